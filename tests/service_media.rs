//! Staged media, natively: `POST /api/accounts/{id}/media` refuses what
//! Meta would (type, size, aspect ratio, empty, truncated) and stores
//! nothing then; publishing with `image_media_id` hands Meta a signed URL on
//! the Worker's origin, which serves the bytes only with the right
//! signature and until it expires; another account's reference is refused
//! with nothing posted; the object is deleted once the job is published or
//! failed; the cron sweeps what expired, and only that.
//! Limits: IG User Media reference, "Image Specifications"
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media>).

mod service_common;

use std::time::Duration;

use instagate::core::http::Method;
use instagate::core::publish::fake::Fault;
use instagate::core::testing::{block_on, graph_error, jpeg};
use instagate::service::http::{HttpRequest, HttpResponse};
use instagate::service::media::signed_url;
use instagate::service::Service;
use serde_json::{json, Value};
use service_common::*;

fn stage_request(w: &World, account: &str, query: &str, body: &[u8]) -> HttpRequest {
    w.api("POST", &format!("/api/accounts/{account}/media{query}"))
        .with_header("content-type", "image/jpeg")
        .with_header("content-length", &body.len().to_string())
        .with_body(body.to_vec())
}

/// Stages `body` for `account`; returns the reference id.
fn stage(w: &World, account: &str, query: &str, body: &[u8]) -> String {
    let r = w.call(stage_request(w, account, query, body));
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    r.json_body()["media"]["id"].as_str().unwrap().to_owned()
}

/// `req` with header `name` set to `value` (replacing the one it had).
fn replaced(mut req: HttpRequest, name: &str, value: &str) -> HttpRequest {
    req.headers.retain(|(k, _)| k != name);
    req.with_header(name, value)
}

fn publish(w: &World, account: &str, body: Value) -> HttpResponse {
    w.call(
        w.api("POST", &format!("/api/accounts/{account}/publish"))
            .with_json(&body),
    )
}

/// The `image_url` Meta was given for the container created `n`-th.
fn url_given_to_meta(w: &World) -> Vec<String> {
    let mut containers = w.meta.borrow().graph.containers();
    containers.sort_by_key(|c| c.created_at);
    containers
        .iter()
        .filter_map(|c| c.param("image_url").map(str::to_owned))
        .collect()
}

fn get(w: &World, url: &str) -> HttpResponse {
    w.call(HttpRequest::new("GET", url))
}

#[test]
fn staging_answers_a_reference_with_what_the_header_says() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let image = jpeg(1080, 1350);
    let r = w.call(stage_request(&w, &ig, "", &image));
    assert_eq!(r.status, 201, "{:?}", r.json_body());
    let media = &r.json_body()["media"];
    assert_eq!(media["type"], "image");
    assert_eq!(media["content_type"], "image/jpeg");
    assert_eq!(media["size"], image.len());
    assert_eq!(
        (media["width"].clone(), media["height"].clone()),
        (json!(1080), json!(1350))
    );
    assert_eq!(media["use"], "feed");
    let expires = w.now().plus(Duration::from_secs(24 * 3600));
    assert_eq!(media["expires_at"], expires.to_rfc3339());
    // Stored under a key scoped to the account.
    let keys = w.blobs.keys();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains(&format!("/{ig}/")), "{keys:?}");
}

#[test]
fn staging_refuses_what_meta_would_and_stores_nothing() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let good = jpeg(1080, 1080);
    let refused = |req: HttpRequest, status: u16, words: &str| {
        let r = w.call(req);
        assert_eq!(r.status, status, "{:?}", r.json_body());
        let message = r.json_body()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(message.contains(words), "{words:?} not in {message:?}");
    };
    // Type: JPEG only.
    refused(
        replaced(
            stage_request(&w, &ig, "", &good),
            "content-type",
            "image/png",
        ),
        415,
        "JPEG only",
    );
    // Content-Length: required, and must be what arrived.
    let mut no_length = stage_request(&w, &ig, "", &good);
    no_length.headers.retain(|(k, _)| k != "content-length");
    refused(no_length, 411, "Content-Length");
    refused(
        replaced(
            stage_request(&w, &ig, "", &good),
            "content-length",
            &(good.len() + 10).to_string(),
        ),
        400,
        "cut short",
    );
    // Empty, not JPEG, truncated inside the image.
    refused(stage_request(&w, &ig, "", b""), 400, "empty");
    refused(stage_request(&w, &ig, "", b"GIF89a......"), 400, "JPEG");
    refused(
        stage_request(&w, &ig, "", &good[..good.len() - 2]),
        400,
        "truncated",
    );
    // Size: 8 MB at most (declared, and actual).
    let mut big = jpeg(1080, 1080);
    big.resize(8 * 1024 * 1024 + 1, 0);
    refused(stage_request(&w, &ig, "", &big), 413, "at most 8 MB");
    // Aspect ratio: feed images 4:5 to 1.91:1; a story takes 9:16.
    refused(stage_request(&w, &ig, "", &jpeg(1080, 1920)), 400, "4:5");
    refused(stage_request(&w, &ig, "", &jpeg(2000, 1000)), 400, "1.91:1");
    refused(stage_request(&w, &ig, "?use=reel", &good), 400, "story");
    // Not without credentials, nor for an account a session does not hold.
    let mut anonymous = stage_request(&w, &ig, "", &good);
    anonymous.headers.retain(|(k, _)| k != "authorization");
    assert_eq!(w.call(anonymous).status, 401);
    assert!(w.blobs.keys().is_empty(), "{:?}", w.blobs.keys());
    // A story image may be 9:16.
    stage(&w, &ig, "?use=story", &jpeg(1080, 1920));
    assert_eq!(w.blobs.keys().len(), 1);
}

#[test]
fn without_a_bucket_staging_is_a_clear_503() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let service = Service::new(&w.config, &w.store, &*w.transport, &w.log);
    let r = block_on(service.handle(stage_request(&w, &ig, "", &jpeg(1080, 1080))));
    assert_eq!(r.status, 503);
    assert!(r.json_body()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("MEDIA_BUCKET"));
}

#[test]
fn publishing_a_reference_hands_meta_a_signed_url_then_deletes_the_object() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let image = jpeg(1080, 1080);
    let id = stage(&w, &ig, "", &image);
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_media_id": id, "caption": "from a file"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["job"]["status"], "published");
    let urls = url_given_to_meta(&w);
    assert_eq!(urls.len(), 1);
    // Absolute, on the Worker's public origin (REDIRECT_URI's).
    assert!(
        urls[0].starts_with(&format!("{WORKER}/media/")),
        "{}",
        urls[0]
    );
    assert!(urls[0].contains("expires=") && urls[0].contains("&sig="));
    // Published: the object is gone, and its URL with it.
    assert!(w.blobs.keys().is_empty());
    assert_eq!(get(&w, &urls[0]).status, 404);
    // The reference is used up.
    let again = publish(&w, &ig, json!({"kind": "image", "image_media_id": id}));
    assert_eq!(again.status, 400);
    assert_eq!(w.meta.borrow().media.len(), 1);
}

#[test]
fn the_signed_url_serves_the_bytes_only_with_its_signature_until_it_expires() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let image = jpeg(1080, 1080);
    stage(&w, &ig, "", &image);
    let key = w.blobs.keys().remove(0);
    let until = w.now().plus(Duration::from_secs(600));
    let url = signed_url::sign(&w.config.session_key, WORKER, &key, until);
    let r = get(&w, &url);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, image);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        r.header("content-length"),
        Some(image.len().to_string().as_str())
    );
    let head = w.call(HttpRequest::new("HEAD", &url));
    assert_eq!((head.status, head.body.len()), (200, 0));
    // A wrong signature, another key with this signature, no signature.
    let sig = query(&url, "sig").unwrap();
    let mut wrong = sig.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong_url = url.replace(&sig, std::str::from_utf8(&wrong).unwrap());
    assert_eq!(get(&w, &wrong_url).status, 403);
    let other_key = url.replace(&format!("/{ig}/"), "/17841400000000002/");
    assert_eq!(get(&w, &other_key).status, 403);
    assert_eq!(get(&w, url.split('?').next().unwrap()).status, 403);
    // A later expiry than the one signed.
    let stretched = url.replace(
        &format!("expires={}", until.as_secs()),
        &format!("expires={}", until.as_secs() + 3600),
    );
    assert_eq!(get(&w, &stretched).status, 403);
    // No listing, no other paths.
    assert_eq!(get(&w, &format!("{WORKER}/media/")).status, 404);
    assert_eq!(get(&w, &format!("{WORKER}/media/staged")).status, 404);
    // Expired.
    w.advance(Duration::from_secs(601));
    let r = get(&w, &url);
    assert_eq!(r.status, 403);
    assert!(r.json_body()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[test]
fn another_accounts_reference_is_refused_and_nothing_is_posted() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let (fb, _) = w.connect("facebook");
    let id = stage(&w, &ig, "", &jpeg(1080, 1080));
    let r = publish(&w, &fb, json!({"kind": "image", "image_media_id": id}));
    assert_eq!(r.status, 400, "{:?}", r.json_body());
    assert_eq!(r.json_body()["error"]["field"], "image_media_id");
    assert!(
        w.meta.borrow().graph.containers().is_empty(),
        "nothing sent to Meta"
    );
    assert!(w.meta.borrow().media.is_empty());
    // The owner's object is untouched.
    assert_eq!(w.blobs.keys().len(), 1);
    // Malformed references, and a reference with a URL, are refused too.
    for body in [
        json!({"kind": "image", "image_media_id": "../../x"}),
        json!({"kind": "image", "image_media_id": 7}),
        json!({"kind": "image", "image_media_id": id, "image_url": "https://cdn.example/a.jpg"}),
    ] {
        assert_eq!(publish(&w, &ig, body).status, 400);
    }
    assert!(w.meta.borrow().graph.containers().is_empty());
}

#[test]
fn a_failed_job_deletes_its_staged_object() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let id = stage(&w, &ig, "", &jpeg(1080, 1080));
    let unfetchable = graph_error(
        400,
        9004,
        Some(2207052),
        "The media could not be fetched from this uri",
    );
    w.meta
        .borrow()
        .graph
        .fault(Some(Method::Post), "/media", Fault::Answer(unfetchable), 1);
    let r = publish(&w, &ig, json!({"kind": "image", "image_media_id": id}));
    assert_eq!(
        r.json_body()["job"]["status"],
        "failed",
        "{:?}",
        r.json_body()
    );
    assert!(w.blobs.keys().is_empty(), "{:?}", w.blobs.keys());
}

#[test]
fn carousel_items_and_stories_take_references() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let a = stage(&w, &ig, "", &jpeg(1080, 1080));
    let b = stage(&w, &ig, "", &jpeg(1080, 1350));
    let r = publish(
        &w,
        &ig,
        json!({"kind": "carousel", "items": [{"image_media_id": a}, {"image_url": "https://cdn.example/x.jpg"}, {"image_media_id": b}]}),
    );
    assert_eq!(
        r.json_body()["job"]["status"],
        "published",
        "{:?}",
        r.json_body()
    );
    let urls = url_given_to_meta(&w);
    assert_eq!(
        urls.iter()
            .filter(|u| u.starts_with(&format!("{WORKER}/media/")))
            .count(),
        2,
        "{urls:?}"
    );
    assert!(w.blobs.keys().is_empty());

    // A story-staged (9:16) image goes to a story, not to the feed.
    let tall = stage(&w, &ig, "?use=story", &jpeg(1080, 1920));
    let feed = publish(&w, &ig, json!({"kind": "image", "image_media_id": tall}));
    assert_eq!(feed.status, 400);
    assert!(feed.json_body()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("use=feed"));
    let story = publish(&w, &ig, json!({"kind": "story", "image_media_id": tall}));
    assert_eq!(
        story.json_body()["job"]["status"],
        "published",
        "{:?}",
        story.json_body()
    );
    assert!(w.blobs.keys().is_empty());
    // Errors inside items name the item.
    let bad = publish(
        &w,
        &ig,
        json!({"kind": "carousel", "items": [{"image_url": "https://cdn.example/x.jpg"}, {"image_media_id": "nope"}]}),
    );
    assert_eq!(bad.json_body()["error"]["field"], "items[1].image_media_id");
}

#[test]
fn a_scheduled_post_may_not_outlive_its_staged_media() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let id = stage(&w, &ig, "", &jpeg(1080, 1080));
    let late = w.now().plus(Duration::from_secs(2 * 86_400)).to_rfc3339();
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_media_id": id, "publish_at": late}),
    );
    assert_eq!(r.status, 400, "{:?}", r.json_body());
    assert!(r.json_body()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expires"));
    assert!(w.meta.borrow().graph.containers().is_empty());
}

#[test]
fn the_cron_sweeps_expired_objects_only() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    for _ in 0..3 {
        stage(&w, &ig, "", &jpeg(1080, 1080));
    }
    w.advance(Duration::from_secs(25 * 3600));
    let fresh = stage(&w, &ig, "", &jpeg(1080, 1080));
    let ops_before = w.blobs.ops.get();
    block_on(w.service().run_cron());
    let line = w.cron_line();
    assert_eq!(line["media"]["deleted"], 3, "{line}");
    // It stopped at the first live object: three expired, one listed past them.
    assert_eq!(line["media"]["listed"], 4, "{line}");
    assert_eq!(
        w.blobs.ops.get() - ops_before,
        1 + 3,
        "one list, three deletes"
    );
    assert_eq!(w.blobs.keys().len(), 1);
    assert!(w.blobs.keys()[0].ends_with(fresh.split('.').nth(1).unwrap()));
}

#[test]
fn the_sweep_keeps_to_its_budget_and_the_next_run_goes_on() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    for _ in 0..3 {
        stage(&w, &ig, "", &jpeg(1080, 1080));
    }
    w.advance(Duration::from_secs(25 * 3600));
    let first = block_on(w.service().sweep_staged(2));
    assert_eq!((first.deleted, first.errors), (2, 0));
    assert_eq!(w.blobs.keys().len(), 1);
    let second = block_on(w.service().sweep_staged(2));
    assert_eq!((second.deleted, second.listed), (1, 1));
    assert!(w.blobs.keys().is_empty());
    // A failing bucket is counted, not fatal.
    w.blobs.failing.set(true);
    assert_eq!(block_on(w.service().sweep_staged(2)).errors, 1);
}

#[test]
fn forgetting_an_account_removes_the_images_it_staged_and_only_those() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let (fb, _) = w.connect("facebook");
    stage(&w, &ig, "", &jpeg(1080, 1080));
    stage(&w, &ig, "?use=story", &jpeg(1080, 1920));
    stage(&w, &fb, "", &jpeg(1080, 1080));
    let r = w.call(w.api("DELETE", &format!("/api/accounts/{ig}")));
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let left = w.blobs.keys();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains(&format!("/{fb}/")));
}
