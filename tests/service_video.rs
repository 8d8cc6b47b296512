//! Staged videos, natively: a local video uploaded to the Worker in parts
//! (an R2 multipart upload, here the in-memory store), resumed by sending a
//! part again, checked once complete with ranged reads (the core's MP4
//! walk; `moov` may be at the end), then published as a reel, a story or a
//! carousel item with `video_media_id`; the signed download answers Range
//! requests. Every refusal leaves nothing behind. Limits: IG User Media
//! reference, "Reel Specifications", "Story Video Specifications", "Video
//! Specifications"
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>).

mod service_common;

use std::time::Duration;

use instagate::core::publish::video_file::sample_mp4;
use instagate::core::testing::{block_on, jpeg};
use instagate::core::time::Timestamp;
use instagate::service::http::{HttpRequest, HttpResponse};
use instagate::service::media::signed_url;
use instagate::service::media::uploads::PART_SIZE;
use instagate::service::Service;
use serde_json::{json, Value};
use service_common::*;

const MB: u64 = 1024 * 1024;

/// A video of `duration_ms` and about `size` bytes (mdat fills the rest).
fn video(duration_ms: u32, size: u64) -> Vec<u8> {
    sample_mp4(duration_ms, size as usize - 156)
}

/// `video`, with `moov` moved after `mdat` (many encoders write it last).
fn moov_last(duration_ms: u32, size: u64) -> Vec<u8> {
    let front = video(duration_ms, size);
    let (at, len) = (32, 8 + 108);
    let mut out = front[..at].to_vec();
    out.extend_from_slice(&front[at + len..]);
    out.extend_from_slice(&front[at..at + len]);
    out
}

fn create_req(w: &World, account: &str, body: Value) -> HttpRequest {
    w.api("POST", &format!("/api/accounts/{account}/uploads"))
        .with_json(&body)
}

/// Starts an upload; returns its `upload` object.
fn create(w: &World, account: &str, usage: &str, size: usize) -> Value {
    let r = w.call(create_req(
        w,
        account,
        json!({"use": usage, "content_type": "video/mp4", "size": size}),
    ));
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    r.json_body()["upload"].clone()
}

fn part_req(w: &World, account: &str, upload: &Value, n: u64, bytes: &[u8]) -> HttpRequest {
    w.api(
        "PUT",
        &format!(
            "/api/accounts/{account}/uploads/{}/parts/{n}?upload_id={}",
            upload["id"].as_str().unwrap(),
            upload["upload_id"].as_str().unwrap()
        ),
    )
    .with_header("content-type", "application/octet-stream")
    .with_header("content-length", &bytes.len().to_string())
    .with_body(bytes.to_vec())
}

/// The bytes of part `n` (1-based) of `file`.
fn part_of(file: &[u8], n: u64) -> &[u8] {
    let from = ((n - 1) * PART_SIZE) as usize;
    &file[from..(from + PART_SIZE as usize).min(file.len())]
}

/// Sends every part of `file`; returns the parts for completing.
fn send_parts(w: &World, account: &str, upload: &Value, file: &[u8]) -> Vec<Value> {
    let parts = upload["parts"].as_u64().unwrap();
    (1..=parts)
        .map(|n| {
            let r = w.call(part_req(w, account, upload, n, part_of(file, n)));
            assert_eq!(r.status, 200, "part {n}: {:?}", r.json_body());
            r.json_body()["part"].clone()
        })
        .collect()
}

fn complete(w: &World, account: &str, upload: &Value, parts: &[Value]) -> HttpResponse {
    w.call(
        w.api(
            "POST",
            &format!(
                "/api/accounts/{account}/uploads/{}/complete",
                upload["id"].as_str().unwrap()
            ),
        )
        .with_json(&json!({"upload_id": upload["upload_id"], "parts": parts})),
    )
}

/// Uploads `file` for `usage` whole; returns the staged media's id.
fn stage_video(w: &World, account: &str, usage: &str, file: &[u8]) -> String {
    let upload = create(w, account, usage, file.len());
    let parts = send_parts(w, account, &upload, file);
    let r = complete(w, account, &upload, &parts);
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    r.json_body()["media"]["id"].as_str().unwrap().to_owned()
}

fn publish(w: &World, account: &str, body: Value) -> HttpResponse {
    w.call(
        w.api("POST", &format!("/api/accounts/{account}/publish"))
            .with_json(&body),
    )
}

/// The `video_url`s Meta was given.
fn video_urls_given_to_meta(w: &World) -> Vec<String> {
    let mut containers = w.meta.borrow().graph.containers();
    containers.sort_by_key(|c| c.created_at);
    containers
        .iter()
        .filter_map(|c| c.param("video_url").map(str::to_owned))
        .collect()
}

fn message(r: &HttpResponse) -> String {
    r.json_body()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Nothing staged and no upload in progress.
fn nothing_left(w: &World) {
    assert!(w.blobs.keys().is_empty(), "{:?}", w.blobs.keys());
    assert_eq!(w.blobs.uploads_in_progress(), 0);
}

#[test]
fn a_reel_is_uploaded_in_parts_checked_and_published_from_a_signed_url() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let file = video(12_345, 9 * MB);
    let upload = create(&w, &ig, "reel", file.len());
    assert_eq!(upload["part_size"], PART_SIZE);
    assert_eq!(upload["parts"], 2);
    assert_eq!(upload["size"], file.len());
    assert_eq!(upload["use"], "reel");
    assert_eq!(upload["content_type"], "video/mp4");
    let expires = w.now().plus(Duration::from_secs(24 * 3600));
    assert_eq!(
        upload["expires_at"],
        Timestamp::from_secs(expires.as_secs()).to_rfc3339()
    );
    let parts = send_parts(&w, &ig, &upload, &file);
    assert!(
        w.blobs.keys().is_empty(),
        "nothing is an object before completing"
    );
    let r = complete(&w, &ig, &upload, &parts);
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let media = &r.json_body()["media"];
    assert_eq!(media["id"], upload["id"]);
    assert_eq!(media["type"], "video");
    assert_eq!(media["content_type"], "video/mp4");
    assert_eq!(media["size"], file.len());
    assert_eq!(media["duration_ms"], 12_345);
    assert_eq!(media["use"], "reel");
    assert_eq!(media["expires_at"], upload["expires_at"]);
    let keys = w.blobs.keys();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains(&format!("/{ig}/")), "{keys:?}");
    assert_eq!(w.blobs.bytes(&keys[0]).unwrap(), file);
    // The check read headers, never the whole video.
    assert_eq!(w.blobs.whole_reads.get(), 0);
    assert!(
        w.blobs.ranged_bytes.get() < 200,
        "{}",
        w.blobs.ranged_bytes.get()
    );

    let r = publish(
        &w,
        &ig,
        json!({"kind": "reel", "video_media_id": media["id"], "caption": "from a file"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["job"]["status"], "published");
    let urls = video_urls_given_to_meta(&w);
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with(&format!("{WORKER}/media/")),
        "{}",
        urls[0]
    );
    // Published: the object is gone, and the reference used up.
    assert!(w.blobs.keys().is_empty());
    let again = publish(
        &w,
        &ig,
        json!({"kind": "reel", "video_media_id": media["id"]}),
    );
    assert_eq!(again.status, 400);
    assert_eq!(again.json_body()["error"]["field"], "video_media_id");
}

#[test]
fn a_part_sent_again_replaces_the_first_so_an_upload_resumes() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let file = video(5_000, 2 * PART_SIZE + 1000);
    let upload = create(&w, &ig, "reel", file.len());
    assert_eq!(upload["parts"], 3);
    let mut parts = send_parts(&w, &ig, &upload, &file);
    // Part 2 again, with other bytes of the right length (a client that
    // re-reads the wrong place), then again with the right ones.
    let wrong = vec![0u8; PART_SIZE as usize];
    let stale = w.call(part_req(&w, &ig, &upload, 2, &wrong));
    assert_eq!(stale.status, 200);
    let resent = w.call(part_req(&w, &ig, &upload, 2, part_of(&file, 2)));
    assert_eq!(resent.status, 200);
    let stale_etag = stale.json_body()["part"].clone();
    // The etag of a replaced part no longer completes the upload.
    parts[1] = stale_etag;
    let r = complete(&w, &ig, &upload, &parts);
    assert_eq!(r.status, 400, "{:?}", r.json_body());
    assert!(w.blobs.keys().is_empty());
    parts[1] = resent.json_body()["part"].clone();
    let r = complete(&w, &ig, &upload, &parts);
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    assert_eq!(w.blobs.bytes(&w.blobs.keys()[0]).unwrap(), file);
}

#[test]
fn stories_and_carousel_items_take_videos_staged_for_them() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let story = stage_video(&w, &ig, "story", &video(10_000, 6 * MB));
    let item = stage_video(&w, &ig, "carousel", &video(20_000, 6 * MB));
    let reel = stage_video(&w, &ig, "reel", &video(20_000, 6 * MB));
    let image = {
        let jpeg = jpeg(1080, 1080);
        let r = w.call(
            w.api("POST", &format!("/api/accounts/{ig}/media"))
                .with_header("content-type", "image/jpeg")
                .with_header("content-length", &jpeg.len().to_string())
                .with_body(jpeg),
        );
        r.json_body()["media"]["id"].as_str().unwrap().to_owned()
    };
    // A video checked for one use is not taken for another (the limits
    // differ), an image is not a video, nor the other way.
    for (body, field, words) in [
        (
            json!({"kind": "reel", "video_media_id": story}),
            "video_media_id",
            "\"story\", not \"reel\"",
        ),
        (
            json!({"kind": "story", "video_media_id": reel}),
            "video_media_id",
            "\"reel\", not \"story\"",
        ),
        (
            json!({"kind": "reel", "video_media_id": image}),
            "video_media_id",
            "image_media_id",
        ),
        (
            json!({"kind": "image", "image_media_id": reel}),
            "image_media_id",
            "video_media_id",
        ),
        (
            json!({"kind": "carousel", "items": [{"image_media_id": image}, {"video_media_id": reel}]}),
            "items[1].video_media_id",
            "not \"carousel\"",
        ),
        (
            json!({"kind": "reel", "video_media_id": reel, "video_url": "https://cdn.example/r.mp4"}),
            "video_media_id",
            "not both",
        ),
        (
            json!({"kind": "reel", "video_media_id": 7}),
            "video_media_id",
            "uploads",
        ),
    ] {
        let r = publish(&w, &ig, body.clone());
        assert_eq!(r.status, 400, "{body}: {:?}", r.json_body());
        assert_eq!(r.json_body()["error"]["field"], field, "{body}");
        assert!(
            message(&r).contains(words),
            "{words:?} not in {:?}",
            message(&r)
        );
    }
    assert!(
        w.meta.borrow().graph.containers().is_empty(),
        "nothing sent to Meta"
    );
    assert_eq!(w.blobs.keys().len(), 4);

    let r = publish(&w, &ig, json!({"kind": "story", "video_media_id": story}));
    assert_eq!(
        r.json_body()["job"]["status"],
        "published",
        "{:?}",
        r.json_body()
    );
    let r = publish(
        &w,
        &ig,
        json!({"kind": "carousel", "items": [{"image_media_id": image}, {"video_media_id": item}]}),
    );
    assert_eq!(
        r.json_body()["job"]["status"],
        "published",
        "{:?}",
        r.json_body()
    );
    let urls = video_urls_given_to_meta(&w);
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls
        .iter()
        .all(|u| u.starts_with(&format!("{WORKER}/media/"))));
    assert_eq!(w.blobs.keys().len(), 1, "only the unused reel is left");
}

#[test]
fn starting_an_upload_refuses_what_meta_would_and_starts_nothing() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let refused = |body: Value, status: u16, words: &str| {
        let r = w.call(create_req(&w, &ig, body.clone()));
        assert_eq!(r.status, status, "{body}: {:?}", r.json_body());
        assert!(
            message(&r).contains(words),
            "{words:?} not in {:?}",
            message(&r)
        );
    };
    let body = |usage: &str, content_type: &str, size: Value| json!({"use": usage, "content_type": content_type, "size": size});
    refused(
        body("reel", "video/mp4", json!(0)),
        400,
        "whole number above 0",
    );
    refused(body("reel", "video/mp4", json!(1.5)), 400, "whole number");
    refused(body("reel", "video/mp4", json!("10")), 400, "whole number");
    refused(body("reel", "video/mp4", json!(-3)), 400, "whole number");
    refused(
        json!({"use": "reel", "content_type": "video/mp4"}),
        400,
        "size",
    );
    refused(
        body("feed", "video/mp4", json!(1000)),
        400,
        "\"reel\", \"story\" or \"carousel\"",
    );
    refused(body("reel", "video/webm", json!(1000)), 415, "MP4 or MOV");
    refused(body("reel", "image/jpeg", json!(1000)), 415, "MP4 or MOV");
    refused(
        body("story", "video/mp4", json!(100 * MB + 1)),
        413,
        "a story video of at most 100 MB",
    );
    refused(
        body("reel", "video/mp4", json!(300 * MB + 1)),
        413,
        "a reel of at most 300 MB",
    );
    refused(
        body("carousel", "video/mp4", json!(300 * MB + 1)),
        413,
        "a carousel video of at most 300 MB",
    );
    // Not without credentials.
    let mut anonymous = create_req(&w, &ig, body("reel", "video/mp4", json!(1000)));
    anonymous.headers.retain(|(k, _)| k != "authorization");
    assert_eq!(w.call(anonymous).status, 401);
    nothing_left(&w);
    // At the limit, and a MOV, are fine.
    create(&w, &ig, "story", (100 * MB) as usize);
    let r = w.call(create_req(
        &w,
        &ig,
        body("reel", "video/quicktime", json!(300 * MB)),
    ));
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    assert_eq!(r.json_body()["upload"]["parts"], 38);
    // No bucket: 503.
    let service = Service::new(&w.config, &w.store, &*w.transport, &w.log);
    let r = block_on(service.handle(create_req(&w, &ig, body("reel", "video/mp4", json!(1000)))));
    assert_eq!(r.status, 503);
    assert!(message(&r).contains("MEDIA_BUCKET"));
}

#[test]
fn parts_of_the_wrong_length_or_number_or_upload_are_refused() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let (fb, _) = w.connect("facebook");
    let file = video(5_000, PART_SIZE + 500);
    let upload = create(&w, &ig, "reel", file.len());
    // A cut-short part: 400 saying the length wanted.
    let r = w.call(part_req(&w, &ig, &upload, 1, &part_of(&file, 1)[..1000]));
    assert_eq!(r.status, 400, "{:?}", r.json_body());
    assert!(
        message(&r).contains(&format!("exactly {PART_SIZE} bytes")),
        "{}",
        message(&r)
    );
    let r = w.call(part_req(&w, &ig, &upload, 2, &file[..400]));
    assert!(message(&r).contains("exactly 500 bytes"), "{}", message(&r));
    // Numbers outside 1..=parts.
    for n in ["0", "3", "x", "-1"] {
        let req = w.api(
            "PUT",
            &format!(
                "/api/accounts/{ig}/uploads/{}/parts/{n}?upload_id={}",
                upload["id"].as_str().unwrap(),
                upload["upload_id"].as_str().unwrap()
            ),
        );
        let r = w.call(req.with_body(part_of(&file, 2).to_vec()));
        assert_eq!(r.status, 400, "{n}: {:?}", r.json_body());
        assert!(message(&r).contains("1 to 2"), "{}", message(&r));
    }
    // An unknown upload id, and none.
    let mut unknown = upload.clone();
    unknown["upload_id"] = json!("not-an-upload");
    assert_eq!(
        w.call(part_req(&w, &ig, &unknown, 1, part_of(&file, 1)))
            .status,
        404
    );
    let no_id = w.api(
        "PUT",
        &format!(
            "/api/accounts/{ig}/uploads/{}/parts/1",
            upload["id"].as_str().unwrap()
        ),
    );
    assert_eq!(
        w.call(no_id.with_body(part_of(&file, 1).to_vec())).status,
        400
    );
    // Another account's upload: its reference names another key: 404, and
    // nothing is written to the owner's upload.
    let r = w.call(part_req(&w, &fb, &upload, 1, part_of(&file, 1)));
    assert_eq!(r.status, 404, "{:?}", r.json_body());
    let parts = send_parts(&w, &ig, &upload, &file);
    assert_eq!(complete(&w, &fb, &upload, &parts).status, 404);
    let abort = |account: &str, upload: &Value| {
        w.call(w.api(
            "DELETE",
            &format!(
                "/api/accounts/{account}/uploads/{}?upload_id={}",
                upload["id"].as_str().unwrap(),
                upload["upload_id"].as_str().unwrap()
            ),
        ))
    };
    assert_eq!(abort(&fb, &upload).status, 404);
    assert_eq!(w.blobs.uploads_in_progress(), 1);
    // A reference with another size names another key: 404.
    let mut resized = upload.clone();
    let id = upload["id"].as_str().unwrap();
    resized["id"] = json!(id.replace(&format!("-{}", file.len()), "-999"));
    assert_eq!(
        w.call(part_req(&w, &ig, &resized, 1, &file[..999])).status,
        404
    );
    // Parts missing or extra.
    let r = complete(&w, &ig, &upload, &parts[..1]);
    assert_eq!(r.status, 400);
    assert!(message(&r).contains("missing: [2]"), "{}", message(&r));
    let extra = [parts.clone(), vec![json!({"number": 3, "etag": "x"})]].concat();
    assert_eq!(complete(&w, &ig, &upload, &extra).status, 400);
    let twice = vec![parts[0].clone(), parts[0].clone()];
    assert_eq!(complete(&w, &ig, &upload, &twice).status, 400);
    assert!(w.blobs.keys().is_empty());
    // Aborted: 204, then the upload is unknown.
    assert_eq!(abort(&ig, &upload).status, 204);
    nothing_left(&w);
    assert_eq!(
        w.call(part_req(&w, &ig, &upload, 1, part_of(&file, 1)))
            .status,
        404
    );
    assert_eq!(complete(&w, &ig, &upload, &parts).status, 404);
    // An upload past its expiry takes no more parts.
    let late = create(&w, &ig, "reel", file.len());
    w.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(
        w.call(part_req(&w, &ig, &late, 1, part_of(&file, 1)))
            .status,
        404
    );
}

#[test]
fn a_completed_video_meta_would_refuse_is_deleted_and_says_why() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let refused = |usage: &str, file: &[u8], words: &str| {
        let upload = create(&w, &ig, usage, file.len());
        let parts = send_parts(&w, &ig, &upload, file);
        let r = complete(&w, &ig, &upload, &parts);
        assert_eq!(r.status, 422, "{:?}", r.json_body());
        assert!(
            message(&r).contains(words),
            "{words:?} not in {:?}",
            message(&r)
        );
        nothing_left(&w);
    };
    refused("reel", &video(2_000, MB), "a reel of 3.0 s to 900.0 s");
    refused(
        "story",
        &video(61_000, MB),
        "a story video of 3.0 s to 60.0 s",
    );
    refused(
        "carousel",
        &video(60 * 60_000 + 1000, MB),
        "a carousel video of 3.0 s to 3600.0 s",
    );
    refused("reel", &jpeg(1080, 1080), "not an MP4 or MOV");
    let mut truncated = video(5_000, MB);
    truncated.truncate(truncated.len() - 10);
    refused("reel", &truncated, "truncated");
    let mut no_moov = video(5_000, MB);
    no_moov[36..40].copy_from_slice(b"free");
    refused("reel", &no_moov, "no moov");
}

#[test]
fn moov_at_the_end_is_found_with_a_few_ranged_reads() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let file = moov_last(45_000, 9 * MB);
    let upload = create(&w, &ig, "reel", file.len());
    let parts = send_parts(&w, &ig, &upload, &file);
    let r = complete(&w, &ig, &upload, &parts);
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    assert_eq!(r.json_body()["media"]["duration_ms"], 45_000);
    assert_eq!(w.blobs.whole_reads.get(), 0);
    assert_eq!(
        w.blobs.ranged_reads.get(),
        5,
        "ftyp, mdat, moov, mvhd headers, mvhd"
    );
    assert!(w.blobs.ranged_bytes.get() < 100);
}

#[test]
fn the_signed_url_answers_range_requests_and_head() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let file = video(5_000, 6 * MB);
    stage_video(&w, &ig, "reel", &file);
    let key = w.blobs.keys().remove(0);
    let url = signed_url::sign(
        &w.config.session_key,
        WORKER,
        &key,
        w.now().plus(Duration::from_secs(600)),
    );
    let size = file.len();
    let ranged = |range: &str| w.call(HttpRequest::new("GET", &url).with_header("range", range));
    let r = ranged("bytes=0-1023");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, file[..1024]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-1023/{size}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("1024"));
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    let r = ranged("bytes=-100");
    assert_eq!((r.status, r.body.as_slice()), (206, &file[size - 100..]));
    let r = ranged(&format!("bytes={}-", size - 10));
    assert_eq!(r.body, file[size - 10..]);
    let r = ranged(&format!("bytes={size}-"));
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{size}").as_str())
    );
    // Several ranges: the whole file (RFC 9110 lets a server ignore Range).
    let r = ranged("bytes=0-1,5-6");
    assert_eq!((r.status, r.body.len()), (200, size));
    // A plain GET is one read of the store; a ranged one reads the size first.
    let ops = w.blobs.ops.get();
    let r = w.call(HttpRequest::new("GET", &url));
    assert_eq!(w.blobs.ops.get() - ops, 1);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, file);
    let ops = w.blobs.ops.get();
    ranged("bytes=0-0");
    assert_eq!(w.blobs.ops.get() - ops, 2);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let head = w.call(HttpRequest::new("HEAD", &url));
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(
        head.header("content-length"),
        Some(size.to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("video/mp4"));
    // The signature still rules: a range of an unsigned URL is refused.
    let unsigned = w.call(
        HttpRequest::new("GET", url.split('?').next().unwrap()).with_header("range", "bytes=0-1"),
    );
    assert_eq!(unsigned.status, 403);
}

#[test]
fn the_cron_sweeps_a_completed_video_once_it_expires() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    stage_video(&w, &ig, "reel", &video(5_000, MB));
    assert_eq!(w.blobs.keys().len(), 1);
    w.advance(Duration::from_secs(25 * 3600));
    block_on(w.service().run_cron());
    assert_eq!(w.cron_line()["media"]["deleted"], 1);
    assert!(w.blobs.keys().is_empty());
}

#[test]
fn a_facebook_login_account_publishes_a_staged_video_too() {
    let w = World::new();
    let (fb, _) = w.connect("facebook");
    let id = stage_video(&w, &fb, "reel", &video(9_000, 2 * MB));
    let r = publish(&w, &fb, json!({"kind": "reel", "video_media_id": id}));
    assert_eq!(
        r.json_body()["job"]["status"],
        "published",
        "{:?}",
        r.json_body()
    );
    let urls = video_urls_given_to_meta(&w);
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with(&format!("{WORKER}/media/")),
        "{}",
        urls[0]
    );
    assert!(w
        .meta
        .borrow()
        .calls
        .iter()
        .any(|c| c.contains("graph.facebook.com") && c.contains("/media_publish")));
    assert!(w.blobs.keys().is_empty());
}
