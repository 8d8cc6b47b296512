//! A scripted [`Transport`] with a fake clock, for native tests of every flow.
//!
//! Tests queue the responses Meta would give, in order, each with the path
//! the request must go to; the transport checks each request against its
//! expectation, records it, and answers. `sleep` advances the fake clock
//! instantly, so backoff and polling policies run in microseconds and their
//! timing can be asserted exactly. Randomness is a seeded generator, so
//! every run is reproducible.
//!
//! Test code: compiled only with the `testing` feature (tests, benches and
//! the simulation turn it on) or in unit tests, so no library build (native,
//! npm wasm or Worker wasm) contains it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

use crate::core::error::Error;
use crate::core::http::{Request, Response, Transport};
use crate::core::time::Timestamp;

/// Meta's Graph API error answer, the one shape every test fake sends:
/// `{"error":{"message","type":"OAuthException","code","error_subcode"?,"fbtrace_id"}}`
/// (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>).
pub fn graph_error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = serde_json::json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "TRACE",
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = subcode.into();
    }
    Response::new(status, serde_json::json!({ "error": error }).to_string())
        .with_header("content-type", "application/json")
}

type Handler = Box<dyn FnMut(&Request, Timestamp) -> Result<Response, Error>>;

enum Step {
    /// The request URL's path must contain this text; then answer.
    Expect(String, Result<Response, Error>),
}

/// A transport that answers from a script (or a handler) on a fake clock.
pub struct ScriptedTransport {
    now: Cell<u64>,
    script: RefCell<VecDeque<Step>>,
    handler: RefCell<Option<Handler>>,
    requests: RefCell<Vec<Request>>,
    sleeps: RefCell<Vec<Duration>>,
    /// Simulated time each `send` takes.
    latency: Cell<Duration>,
    rng: Cell<u64>,
}

impl ScriptedTransport {
    /// A transport whose clock starts at `start`.
    pub fn new(start: Timestamp) -> ScriptedTransport {
        ScriptedTransport {
            now: Cell::new(start.as_millis()),
            script: RefCell::new(VecDeque::new()),
            handler: RefCell::new(None),
            requests: RefCell::new(Vec::new()),
            sleeps: RefCell::new(Vec::new()),
            latency: Cell::new(Duration::ZERO),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15),
        }
    }

    /// Queues a JSON answer for the next request, whose path must contain `path`.
    pub fn expect(&self, path: &str, status: u16, body: &str) -> &Self {
        self.expect_response(path, Ok(Response::new(status, body)))
    }

    /// Queues any answer (a response with headers, or a transport error).
    pub fn expect_response(&self, path: &str, answer: Result<Response, Error>) -> &Self {
        self.script
            .borrow_mut()
            .push_back(Step::Expect(path.to_owned(), answer));
        self
    }

    /// Answers every request not covered by the script with `handler`.
    pub fn set_handler(
        &self,
        handler: impl FnMut(&Request, Timestamp) -> Result<Response, Error> + 'static,
    ) {
        *self.handler.borrow_mut() = Some(Box::new(handler));
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency.set(latency);
    }

    pub fn set_seed(&self, seed: u64) {
        self.rng.set(seed.max(1));
    }

    pub fn advance(&self, d: Duration) {
        self.now.set(self.now.get() + d.as_millis() as u64);
    }

    /// Every request sent so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.borrow().clone()
    }

    /// Every sleep asked for so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.borrow().clone()
    }

    /// Whether every scripted answer was used.
    pub fn script_done(&self) -> bool {
        self.script.borrow().is_empty()
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: plenty for jitter and test identifiers.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Transport for ScriptedTransport {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        self.requests.borrow_mut().push(request.clone());
        self.advance(self.latency.get());
        let step = self.script.borrow_mut().pop_front();
        match step {
            Some(Step::Expect(path, answer)) => {
                assert!(
                    request.path().contains(&path),
                    "expected a request to a path containing {path:?}, got {} {}",
                    request.method.as_str(),
                    request.path()
                );
                answer
            }
            None => {
                let now = self.now();
                let mut handler = self.handler.borrow_mut();
                match handler.as_mut() {
                    Some(h) => h(&request, now),
                    None => panic!(
                        "unexpected request {} {}",
                        request.method.as_str(),
                        request.path()
                    ),
                }
            }
        }
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.borrow_mut().push(duration);
        self.advance(duration);
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now.get())
    }

    fn fill_random(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Runs a future to completion on the current thread. The core's futures
/// wait on nothing but this transport, which answers at once, so a future
/// that is still pending after a poll is a bug in the flow under test.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1_000_000 {
        if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("future did not complete: it waits on something other than ScriptedTransport")
}

/// A minimal baseline JPEG of `width` x `height` (SOI, APP0, a frame
/// header, a scan with stuffed and restart bytes, EOI): what
/// `core::publish::image_file` reads, for tests of staging.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8];
    b.extend([0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
    b.extend([0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    b.extend(height.to_be_bytes());
    b.extend(width.to_be_bytes());
    b.extend([0x01, 0x01, 0x11, 0x00]);
    b.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    b.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
    b.extend([0xFF, 0xD9]);
    b
}
