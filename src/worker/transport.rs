//! The core's [`Transport`] over the Workers runtime: `fetch` with a
//! timeout (an `AbortController` fired by a timer, so a hung upstream
//! becomes a clear `timeout` error), `setTimeout` sleeps, `Date.now()` and
//! `crypto.getRandomValues`.

use std::time::Duration;

use futures_util::future::{select, Either};
use wasm_bindgen::{JsCast, JsValue};
use worker::{AbortController, Delay, Fetch, Headers, Method, RequestInit};

use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response, Transport};
use crate::core::time::Timestamp;

#[derive(Clone)]
pub struct FetchTransport {
    timeout: Duration,
}

impl FetchTransport {
    pub fn new(timeout: Duration) -> FetchTransport {
        FetchTransport { timeout }
    }
}

fn transport_error(what: &str) -> Error {
    Error::new(
        ErrorKind::Transport,
        format!("the call to Meta failed: {what}"),
    )
}

impl Transport for FetchTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let headers = Headers::new();
        for (k, v) in &request.headers {
            headers
                .set(k, v)
                .map_err(|_| transport_error("a request header is not valid"))?;
        }
        let mut init = RequestInit::new();
        init.with_method(match request.method {
            crate::core::http::Method::Get => Method::Get,
            crate::core::http::Method::Post => Method::Post,
            crate::core::http::Method::Delete => Method::Delete,
        })
        .with_headers(headers)
        .with_body(match (&request.body, &request.bytes) {
            (Some(text), _) => Some(JsValue::from_str(text)),
            (None, Some(bytes)) => Some(js_sys::Uint8Array::from(bytes.as_slice()).into()),
            (None, None) => None,
        });
        let outgoing = worker::Request::new_with_init(&request.url, &init)
            .map_err(|_| transport_error("the request URL is not valid"))?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(outgoing);
        let call = Box::pin(async {
            let mut response = fetch.send_with_signal(&signal).await?;
            let status = response.status_code();
            let headers: Vec<(String, String)> = response.headers().entries().collect();
            let body = response.text().await?;
            Ok::<_, worker::Error>(Response {
                status,
                headers,
                body,
            })
        });
        let timer = Box::pin(Delay::from(self.timeout));
        let outcome = select(call, timer).await;
        let result = match outcome {
            Either::Left((Ok(response), _)) => Ok(response),
            Either::Left((Err(_), _)) => Err(transport_error("the connection failed")),
            Either::Right(((), _)) => {
                controller.abort();
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("Meta did not answer within {} ms", self.timeout.as_millis()),
                ))
            }
        };
        result
    }

    async fn sleep(&self, duration: Duration) {
        Delay::from(duration).await;
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(js_sys::Date::now() as u64)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // crypto.getRandomValues on a fresh Uint8Array, copied out.
        let global = js_sys::global();
        let crypto = js_sys::Reflect::get(&global, &JsValue::from_str("crypto"))
            .expect("the Workers runtime has crypto");
        let get_random: js_sys::Function =
            js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
                .expect("crypto.getRandomValues")
                .unchecked_into();
        for chunk in buf.chunks_mut(65_536) {
            let array = js_sys::Uint8Array::new_with_length(chunk.len() as u32);
            get_random
                .call1(&crypto, &array)
                .expect("crypto.getRandomValues succeeds");
            array.copy_to(chunk);
        }
    }
}
