//! The resumable video upload's calls, as request builders and response
//! readers (no I/O), per Meta's guide "Upload Video to Meta Servers"
//! (<https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads>):
//!
//! - the container is created with `upload_type=resumable` (`calls.rs`) for a
//!   reel (`REELS`), a story (`STORIES`) or a carousel video
//!   (`VIDEO`, `is_carousel_item=true`) — "available only for apps that have
//!   implemented Facebook Login for Business";
//! - the bytes go to `POST https://rupload.facebook.com/ig-api-upload/{version}/{container_id}`
//!   with the headers `Authorization: OAuth <token>`, `offset` (the first
//!   byte sent) and `file_size` (the whole file), the body being the bytes
//!   from `offset` on; the answer is `{"success":true,"message":"Upload successful."}`,
//!   a failure `{"debug_info":{"retriable":…,"type":…,"message":…}}` or a
//!   Graph error;
//! - after an interruption the next upload starts at the offset Meta reports:
//!   the container's `video_status.uploading_phase.bytes_transferred`
//!   (`GET /{container_id}?fields=status_code,video_status`), the same
//!   uploading phase the Video API's resumable upload reports and resumes
//!   from (<https://developers.facebook.com/documentation/video-api/guides/reels-publishing>,
//!   "resume an interrupted upload").

use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{Request, Response};
use crate::core::json::{self, Fields};
use crate::core::meta_body::parse_success;
use crate::core::secret::AccessToken;

/// `POST {rupload}/ig-api-upload/{version}/{container_id}` with
/// `bytes[offset..end]` of a `file_size`-byte file.
pub fn upload_request(
    config: &Config,
    token: &AccessToken,
    container_id: &str,
    file: &[u8],
    offset: u64,
    end: u64,
) -> Result<Request, Error> {
    let url = config.rupload_url(container_id)?;
    let size = file.len() as u64;
    if offset > end || end > size {
        return Err(Error::invalid_input(
            "offset",
            format!("upload range {offset}..{end} is outside the {size}-byte file"),
        ));
    }
    let headers = vec![
        (
            "authorization".to_owned(),
            format!("OAuth {}", token.expose_secret()),
        ),
        ("offset".to_owned(), offset.to_string()),
        ("file_size".to_owned(), size.to_string()),
    ];
    let body = file[offset as usize..end as usize].to_vec();
    Ok(Request::post_bytes(&url, headers, body))
}

/// Reads the upload's answer: `{"success":true,…}`; anything else is an
/// error (`debug_info.retriable` decides whether it may be tried again).
pub fn process_upload(response: &Response) -> Result<(), Error> {
    struct DebugInfo {
        retriable: bool,
        kind: Option<String>,
        message: Option<String>,
    }
    // `(success, debug_info)`; `None` when the body is not that shape.
    let answer = json::parse(&response.body).and_then(|body| {
        let read = || -> Result<(bool, Option<DebugInfo>), Error> {
            let answer = Fields::root(&body, "body")?;
            let info = match answer.opt_object("debug_info")? {
                None => None,
                Some(info) => Some(DebugInfo {
                    retriable: info.opt_bool("retriable")?.unwrap_or(false),
                    kind: info.opt_string("type")?,
                    message: info.opt_string("message")?,
                }),
            };
            Ok((answer.opt_bool("success")?.unwrap_or(false), info))
        };
        read().ok()
    });
    if let Some((_, Some(info))) = answer {
        let kind = if info.retriable || response.status >= 500 {
            ErrorKind::Transient
        } else {
            ErrorKind::Media
        };
        let message = format!(
            "the video upload was refused: {} ({})",
            info.message.as_deref().unwrap_or("no message"),
            info.kind.as_deref().unwrap_or("no type")
        );
        return Err(Error::new(kind, message).with_status(response.status));
    }
    if !response.is_success() {
        return Err(Error::from_response(response));
    }
    match answer {
        Some((true, _)) => Ok(()),
        _ => Err(Error::unexpected(response, "video upload")),
    }
}

/// `GET {graph}/{container_id}?fields=status_code,video_status`: how many
/// bytes Meta has.
pub fn upload_status_request(config: &Config, token: &AccessToken, container_id: &str) -> Request {
    Request::get(
        &config.graph_url(container_id),
        &[
            ("fields", "status_code,video_status"),
            ("access_token", token.expose_secret()),
        ],
    )
}

/// `video_status.uploading_phase.bytes_transferred` (0 when Meta has
/// nothing yet and says so by leaving it out).
pub fn process_bytes_transferred(response: &Response) -> Result<u64, Error> {
    parse_success(response, "upload status", |body| {
        let Some(status) = body.opt_object("video_status")? else {
            return Ok(0);
        };
        let Some(phase) = status.opt_object("uploading_phase")? else {
            return Ok(0);
        };
        Ok(phase.opt_u64("bytes_transferred")?.unwrap_or(0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Endpoints, Product};

    fn config() -> Config {
        let mut c = Config::new(Product::Facebook, "1", "https://app.example/cb").unwrap();
        c.graph_version = "v24.0".into();
        c
    }

    #[test]
    fn the_upload_goes_to_rupload_with_oauth_offset_and_file_size() {
        let token = AccessToken::new("EAAtoken");
        let r =
            upload_request(&config(), &token, "17900000000000001", b"0123456789", 4, 10).unwrap();
        assert_eq!(
            r.url,
            "https://rupload.facebook.com/ig-api-upload/v24.0/17900000000000001"
        );
        assert_eq!(r.header("authorization"), Some("OAuth EAAtoken"));
        assert_eq!(r.header("offset"), Some("4"));
        assert_eq!(r.header("file_size"), Some("10"));
        assert_eq!(r.bytes.as_deref(), Some(&b"456789"[..]));
        assert!(!format!("{r:?}").contains("EAAtoken"));
    }

    #[test]
    fn the_stand_in_gets_its_own_rupload_path() {
        let mut c = config();
        c.endpoints = Endpoints::standin(Product::Facebook, "http://127.0.0.1:9");
        assert_eq!(
            c.rupload_url("5").unwrap(),
            "http://127.0.0.1:9/rupload.facebook.com/ig-api-upload/v24.0/5"
        );
    }

    #[test]
    fn an_explicit_rupload_base_wins_for_a_graph_host_elsewhere() {
        let mut c = config();
        c.endpoints.graph_base = "http://127.0.0.1:9/graph".into();
        assert_eq!(
            c.rupload_url("5").unwrap_err().kind,
            ErrorKind::InvalidInput
        );
        c.endpoints.rupload_base = Some("http://127.0.0.1:9/upload".into());
        c.validate().unwrap();
        assert_eq!(
            c.rupload_url("5").unwrap(),
            "http://127.0.0.1:9/upload/ig-api-upload/v24.0/5"
        );
        c.endpoints.rupload_base = Some("ftp://x/".into());
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("endpoints.rupload_base")
        );
    }

    #[test]
    fn instagram_login_has_no_rupload_host() {
        let c = Config::new(Product::Instagram, "1", "https://app.example/cb").unwrap();
        let e = c.rupload_url("5").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("Facebook Login"), "{}", e.message);
    }

    #[test]
    fn answers_are_read() {
        process_upload(&Response::new(
            200,
            r#"{"success":true,"message":"Upload successful."}"#,
        ))
        .unwrap();
        let busy = Response::new(
            503,
            r#"{"debug_info":{"retriable":true,"type":"ServiceUnavailable","message":"busy"}}"#,
        );
        assert!(process_upload(&busy).unwrap_err().retryable());
        let bad = Response::new(
            400,
            r#"{"debug_info":{"retriable":false,"type":"ParameterValidationError","message":"Header Offset not convertable"}}"#,
        );
        let e = process_upload(&bad).unwrap_err();
        assert!(!e.retryable());
        assert!(e.message.contains("Offset"), "{}", e.message);
        let graph = Response::new(
            400,
            r#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}"#,
        );
        assert_eq!(
            process_upload(&graph).unwrap_err().kind,
            ErrorKind::InvalidToken
        );
        assert!(process_upload(&Response::new(200, "{}")).is_err());
    }

    #[test]
    fn bytes_transferred_is_read_from_video_status() {
        let r = Response::new(
            200,
            r#"{"status_code":"IN_PROGRESS","video_status":{"uploading_phase":{"status":"in_progress","bytes_transferred":50002}},"id":"1"}"#,
        );
        assert_eq!(process_bytes_transferred(&r).unwrap(), 50_002);
        let none = Response::new(200, r#"{"status_code":"IN_PROGRESS","id":"1"}"#);
        assert_eq!(process_bytes_transferred(&none).unwrap(), 0);
    }
}
