//! Publishing under faults, natively: a `media_publish` whose answer is
//! lost (before or after it took effect) is never sent again blindly and
//! exactly one media exists in the end; 5xx, throttling with Retry-After,
//! containers in ERROR / EXPIRED, permanent errors, the call budget,
//! cancellation, and HTML or truncated bodies everywhere.
//!
//! References:
//! - Troubleshooting ("does not return the published media ID" → read status_code):
//!   https://developers.facebook.com/documentation/instagram-platform/content-publishing
//! - Error codes (9007/2207027 not ready, 9/2207042 limit, 9004/2207052 fetch, 2207001 retry):
//!   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
//! - Rate limiting (codes 4/17/32/613/80002, usage headers):
//!   https://developers.facebook.com/docs/graph-api/overview/rate-limiting

mod publish_common;

use std::cell::Cell;
use std::time::Duration;

use instagate::core::config::Product;
use instagate::core::error::ErrorKind;
use instagate::core::http::{Method, Response, Transport};
use instagate::core::publish::fake::{FakeGraph, Fault};
use instagate::core::publish::{
    run as run_job, Phase, Progress, PublishJob, PublishObserver, PublishOptions, StepOutcome,
    Unobserved,
};
use instagate::core::testing::{block_on, graph_error};
use publish_common::*;

fn html(status: u16) -> Response {
    Response::new(status, "<html><body>Bad Gateway</body></html>")
        .with_header("content-type", "text/html")
}

/// Exactly one media, created by exactly `sends` media_publish calls.
fn assert_one_post(fake: &FakeGraph, sends: usize) {
    assert_eq!(fake.media().len(), 1, "exactly one media");
    assert_eq!(
        fake.count(Method::Post, "/media_publish"),
        sends,
        "media_publish calls"
    );
}

// ---- lost answers: never twice ------------------------------------------------------------

#[test]
fn lost_publish_answer_recovers_the_media_for_every_kind() {
    // Facebook Login: stories are found through /stories, which Meta
    // documents on graph.facebook.com only.
    for (name, spec) in every_kind() {
        let (t, fake) = world();
        fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
        let published = run_on(Product::Facebook, &t, spec, &PublishOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_one_post(&fake, 1);
        let media = &fake.media()[0];
        assert_eq!(
            published.media_id.as_deref(),
            Some(media.id.as_str()),
            "{name}"
        );
        assert_eq!(published.permalink, Some(media.permalink()), "{name}");
        assert_eq!(published.container_id, media.container_id, "{name}");
        // The recovery read the account's newest media (stories from /stories).
        let edge = if name.starts_with("story") {
            "/stories"
        } else {
            "/media"
        };
        assert_eq!(fake.count(Method::Get, edge), 1, "{name}");
        // It waited the settle time before asking the container.
        assert!(
            t.sleeps().contains(&Duration::from_secs(5)),
            "{name}: {:?}",
            t.sleeps()
        );
    }
}

#[test]
fn instagram_login_never_calls_the_undocumented_stories_edge() {
    // https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories
    // documents GET /{ig-user-id}/stories on graph.facebook.com only.
    for spec in [story_image(), story_video()] {
        let (t, fake) = world();
        fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
        let p = run_on(Product::Instagram, &t, spec, &PublishOptions::default()).unwrap();
        assert_one_post(&fake, 1);
        assert_eq!(fake.count(Method::Get, "/stories"), 0);
        assert_eq!(p.media_id, None, "done, the media unknown");
        assert_eq!(p.container_id, fake.media()[0].container_id);
    }
    // Feed media are still found on graph.instagram.com's /media.
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    let p = run_on(Product::Instagram, &t, image(), &PublishOptions::default()).unwrap();
    assert_eq!(p.media_id.as_deref(), Some(fake.media()[0].id.as_str()));
}

#[test]
fn a_lost_answer_with_two_same_caption_posts_reports_no_id_rather_than_the_other_one() {
    // A person posted the same caption seconds before (a retry by hand):
    // both posts fit and nothing Meta documents tells them apart.
    for product in [Product::Instagram, Product::Facebook] {
        let (t, fake) = world();
        fake.fault(
            Some(Method::Post),
            "/media_publish",
            Fault::AfterEffect(Response::new(502, "")),
            1,
        );
        let ours = graph_time_after_start(5);
        let theirs = graph_time_after_start(1);
        fake.fault(
            Some(Method::Get),
            "/media",
            Fault::Answer(Response::new(200, format!(
                r#"{{"data":[{{"id":"17900000000000002","permalink":"https://www.instagram.com/p/ours/","timestamp":"{ours}","caption":"an image #one","media_type":"IMAGE","media_product_type":"FEED"}},{{"id":"17900000000000001","permalink":"https://www.instagram.com/p/theirs/","timestamp":"{theirs}","caption":"an image #one","media_type":"IMAGE","media_product_type":"FEED"}}]}}"#
            ))),
            1,
        );
        let p = run_on(product, &t, image(), &PublishOptions::default()).unwrap();
        assert_one_post(&fake, 1);
        assert_eq!(
            p.media_id, None,
            "{product:?}: no id rather than another post's"
        );
        assert_eq!(p.permalink, None);
        assert_eq!(p.container_id, fake.media()[0].container_id);
    }
    // Two stories in the window: the same rule (Facebook Login's /stories).
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    fake.fault(
        Some(Method::Get),
        "/stories",
        Fault::Answer(Response::new(200, format!(
            r#"{{"data":[{{"id":"17900000000000004","timestamp":"{}","media_type":"IMAGE","media_product_type":"STORY"}},{{"id":"17900000000000003","timestamp":"{}","media_type":"IMAGE","media_product_type":"STORY"}}]}}"#,
            graph_time_after_start(5),
            graph_time_after_start(1)
        ))),
        1,
    );
    let p = run_on(
        Product::Facebook,
        &t,
        story_image(),
        &PublishOptions::default(),
    )
    .unwrap();
    assert_one_post(&fake, 1);
    assert_eq!(p.media_id, None);
}

#[test]
fn a_lost_answer_is_recovered_from_the_users_own_media_not_another_accounts() {
    // GET /{ig-user-id}/media lists that user's media only:
    // https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
    // Another account posted the same caption a second before ours.
    let (t, fake) = world();
    let other = "17841400000000099";
    let create = instagate::core::http::Request::post_form(
        &format!("https://graph.instagram.com/v27.0/{other}/media"),
        &[
            ("image_url", "https://cdn.example/a.jpg"),
            ("caption", "an image #one"),
            ("access_token", TOKEN),
        ],
    );
    let created = fake.handle(&create, START).unwrap();
    let container: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let theirs = fake
        .publish_directly(container["id"].as_str().unwrap(), START.plus(secs(1)))
        .unwrap();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    let ours = fake.media().into_iter().find(|m| m.owner == IG).unwrap();
    assert_ne!(ours.id, theirs);
    assert_eq!(p.media_id, Some(ours.id), "our post, found among our media");
}

/// Graph time `secs` seconds after the tests' start (2026-11-18T11:06:40Z).
fn graph_time_after_start(secs: u64) -> String {
    format!("2026-11-18T11:06:{:02}+0000", 40 + secs)
}

#[test]
fn answers_after_the_fact_never_cause_a_second_post() {
    // The publish took effect, but what came back says nothing certain.
    let answers = [
        html(502),
        Response::new(500, ""),
        Response::new(
            503,
            r#"{"error":{"message":"Service temporarily unavailable","code":2,"is_transient":true}}"#,
        ),
        Response::new(200, r#"{"id":"179"#),
        Response::new(200, "<html>ok</html>"),
        Response::new(200, ""),
        graph_error(400, 4, None, "boom").with_header("Retry-After", "20"),
        graph_error(400, 100, None, "boom"),
    ];
    for answer in answers {
        let (t, fake) = world();
        fake.fault(
            Some(Method::Post),
            "/media_publish",
            Fault::AfterEffect(answer.clone()),
            1,
        );
        let published = run(&t, image(), &PublishOptions::default())
            .unwrap_or_else(|e| panic!("{answer:?}: {e:?}"));
        assert_one_post(&fake, 1);
        assert_eq!(
            published.media_id.as_deref(),
            Some(fake.media()[0].id.as_str())
        );
    }
}

#[test]
fn failures_without_effect_are_resent_once_the_status_says_finished() {
    let answers = [
        Fault::Transport,
        Fault::Answer(html(502)),
        Fault::Answer(Response::new(504, "")),
        Fault::Answer(Response::new(200, "<html>")),
    ];
    for fault in answers {
        let (t, fake) = world();
        fake.fault(Some(Method::Post), "/media_publish", fault.clone(), 1);
        let published = run(&t, image(), &PublishOptions::default()).unwrap();
        // FINISHED after the failed send: sent a second time, one media.
        assert_one_post(&fake, 2);
        assert_eq!(
            published.media_id.as_deref(),
            Some(fake.media()[0].id.as_str())
        );
        // The two sends are equal requests: find them by position in the log.
        let log = fake.log();
        let sends: Vec<usize> = log
            .iter()
            .enumerate()
            .filter(|(_, r)| r.method == Method::Post && r.url.contains("/media_publish"))
            .map(|(i, _)| i)
            .collect();
        let reads_between = log[sends[0]..sends[1]]
            .iter()
            .filter(|r| r.method == Method::Get)
            .count();
        assert_eq!(
            reads_between, 1,
            "{fault:?}: the status decided before the second send"
        );
    }
}

#[test]
fn a_crash_in_the_middle_of_the_send_resumes_by_reading_the_status() {
    // The Worker saved the job, stepped it, Meta published, and the invocation
    // died before the new state was saved: the saved (pre-step) state is resumed.
    for effect in [true, false] {
        let (t, fake) = world();
        let mut job = PublishJob::new(IG, image(), PublishOptions::default(), t.now()).unwrap();
        step(&t, &mut job).unwrap(); // container created
        let saved = job.to_json();
        assert_eq!(job.phase.name(), "processing");
        let fault = if effect {
            Fault::LostAnswer
        } else {
            Fault::Transport
        };
        fake.fault(Some(Method::Post), "/media_publish", fault, 1);
        step(&t, &mut job).unwrap(); // status FINISHED + media_publish (answer lost)
        drop(job);
        t.advance(Duration::from_secs(60));
        let mut resumed = PublishJob::from_json(&saved).unwrap();
        let StepOutcome::Done(published) = step_to_end(&t, &mut resumed, 10).unwrap() else {
            panic!("not done")
        };
        let sends = if effect { 1 } else { 2 };
        assert_one_post(&fake, sends);
        assert_eq!(
            published.media_id.as_deref(),
            Some(fake.media()[0].id.as_str())
        );
    }
}

#[test]
fn a_lost_answer_saved_and_resumed_later_still_posts_once() {
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    let mut job = PublishJob::new(IG, reel(), PublishOptions::default(), t.now()).unwrap();
    while job.phase.name() != "publishing" {
        step(&t, &mut job).unwrap();
    }
    let saved = job.to_json();
    assert!(saved.contains(r#""step":"publishing""#), "{saved}");
    assert!(saved.contains(r#""lastError""#), "{saved}");
    t.advance(Duration::from_secs(3_600));
    let mut job = PublishJob::from_json(&saved).unwrap();
    let StepOutcome::Done(p) = step_to_end(&t, &mut job, 10).unwrap() else {
        panic!()
    };
    assert_one_post(&fake, 1);
    assert_eq!(p.media_id.as_deref(), Some(fake.media()[0].id.as_str()));
    assert_eq!(job.publish_attempts, 1);
}

#[test]
fn published_elsewhere_while_processing_is_found_not_republished() {
    let (t, fake) = world();
    let mut job = PublishJob::new(IG, image(), PublishOptions::default(), t.now()).unwrap();
    step(&t, &mut job).unwrap();
    let Phase::Processing { container_id, .. } = job.phase.clone() else {
        panic!()
    };
    fake.publish_directly(&container_id, t.now());
    let StepOutcome::Done(p) = step_to_end(&t, &mut job, 10).unwrap() else {
        panic!()
    };
    assert_one_post(&fake, 0);
    assert_eq!(p.media_id.as_deref(), Some(fake.media()[0].id.as_str()));
}

#[test]
fn an_unrecognisable_post_is_reported_done_without_a_guess() {
    // A lost story answer where /stories is not available: done, media unknown.
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    fake.fault(
        Some(Method::Get),
        "/stories",
        Fault::Answer(graph_error(400, 100, Some(33), "boom")),
        1,
    );
    let p = run(&t, story_image(), &PublishOptions::default()).unwrap();
    assert_one_post(&fake, 1);
    assert_eq!(p.media_id, None);
    assert_eq!(p.permalink, None);
    assert_eq!(p.container_id, fake.media()[0].container_id);

    // A feed post whose caption was changed meanwhile: no match, no guess.
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::AfterEffect(Response::new(502, "")),
        1,
    );
    fake.fault(
        Some(Method::Get),
        "/media",
        Fault::Answer(Response::new(200, r#"{"data":[{"id":"1","timestamp":"2026-11-18T11:06:41+0000","caption":"edited","media_type":"IMAGE","media_product_type":"FEED"}]}"#)),
        1,
    );
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    assert_one_post(&fake, 1);
    assert_eq!(p.media_id, None);
}

#[test]
fn an_unconfirmable_publish_stays_resumable_and_is_never_failed() {
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", Fault::LostAnswer, 1);
    let mut job = PublishJob::new(IG, image(), PublishOptions::default(), t.now()).unwrap();
    while job.phase.name() != "publishing" {
        step(&t, &mut job).unwrap();
    }
    // Now every status read fails.
    fake.fault(Some(Method::Get), "", Fault::Transport, 100);
    let c = config(Product::Instagram);
    let e = block_on(run_job(&mut job, &t, &c, &token(), &mut Unobserved)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(
        e.message.contains("may already be published"),
        "{}",
        e.message
    );
    assert_eq!(job.phase.name(), "publishing");
    assert_one_post(&fake, 1);
    // Later, with the network back, the status decides: found, not resent.
    fake.clear_faults();
    let p = block_on(run_job(&mut job, &t, &c, &token(), &mut Unobserved)).unwrap();
    assert_one_post(&fake, 1);
    assert_eq!(p.media_id.as_deref(), Some(fake.media()[0].id.as_str()));
}

#[test]
fn definite_refusals_fail_at_once_without_resending() {
    let cases = [
        (
            graph_error(400, 9, Some(2_207_042), "boom"),
            ErrorKind::PublishLimit,
            1,
        ),
        (
            graph_error(400, 190, None, "boom"),
            ErrorKind::InvalidToken,
            1,
        ),
        (
            graph_error(403, 10, None, "boom"),
            ErrorKind::PermissionDenied,
            1,
        ),
        (
            graph_error(400, -2, Some(2_207_020), "boom"),
            ErrorKind::Media,
            1,
        ),
        (
            graph_error(400, 24, Some(2_207_006), "boom"),
            ErrorKind::Media,
            1,
        ),
        // An invalid-parameter answer: the status is read (FINISHED), no resend.
        (
            graph_error(400, 100, None, "boom"),
            ErrorKind::InvalidRequest,
            1,
        ),
    ];
    for (answer, kind, sends) in cases {
        let (t, fake) = world();
        fake.fault(
            Some(Method::Post),
            "/media_publish",
            Fault::Answer(answer.clone()),
            1,
        );
        let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
        assert_eq!(e.kind, kind, "{answer:?}");
        assert_eq!(
            fake.count(Method::Post, "/media_publish"),
            sends,
            "{answer:?}"
        );
        assert!(fake.media().is_empty());
    }
}

#[test]
fn not_ready_goes_back_to_polling() {
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::Answer(graph_error(400, 9007, Some(2_207_027), "boom")),
        2,
    );
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    assert_one_post(&fake, 3);
    assert!(p.media_id.is_some());
    // Refused as not ready more often than allowed: failed, nothing published.
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::Answer(graph_error(400, 9007, Some(2_207_027), "boom")),
        10,
    );
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert_eq!(fake.count(Method::Post, "/media_publish"), 3);
    assert!(fake.media().is_empty());
}

#[test]
fn repeated_unknown_outcomes_stop_at_the_publish_attempt_bound() {
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::Answer(Response::new(503, "")),
        10,
    );
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert!(e.message.contains("nothing was published"), "{}", e.message);
    assert_eq!(fake.count(Method::Post, "/media_publish"), 3);
    assert!(fake.media().is_empty());
}

// ---- what Meta's error table says to try again ------------------------------------------------
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes

/// 24 / 2207008 after media_publish: "retry once or twice within 30 s to
/// 2 min, then generate a new container": the job waits 30 s, reads the
/// status and publishes again; still refused, it makes a new container once.
#[test]
fn error_table_2207008_retries_after_30_s_then_one_new_container() {
    let refused = || Fault::Answer(graph_error(400, 24, Some(2_207_008), "boom"));
    let top_containers = |fake: &FakeGraph| fake.containers().iter().filter(|c| !c.is_item).count();

    // Refused once: published by the second send on the same container.
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", refused(), 1);
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    assert!(p.media_id.is_some());
    assert_one_post(&fake, 2);
    assert_eq!(top_containers(&fake), 1);
    assert!(
        t.sleeps().iter().any(|s| *s >= Duration::from_secs(30)),
        "waited 30 s before the next try: {:?}",
        t.sleeps()
    );

    // Refused on all three sends: a new container, published.
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", refused(), 3);
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    assert!(p.media_id.is_some());
    assert_one_post(&fake, 4);
    assert_eq!(top_containers(&fake), 2, "one new container");

    // Refused for the new container too: failed, nothing published, once.
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media_publish", refused(), 100);
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.subcode(), Some(2_207_008));
    assert_eq!(
        e.kind,
        ErrorKind::Transient,
        "the kind the retry table gives it"
    );
    assert!(e.message.contains("new container"), "{}", e.message);
    assert_eq!(fake.count(Method::Post, "/media_publish"), 6);
    assert_eq!(top_containers(&fake), 2, "a new container once, not again");
    assert!(fake.media().is_empty());
}

/// A video container in ERROR with 2207053 ("unknown upload error ...
/// Generate a new container and use it to try again"): one new container.
#[test]
fn error_table_2207053_container_error_gets_one_new_container() {
    let failed = || {
        Fault::Answer(Response::new(
            200,
            r#"{"status_code":"ERROR","status":"Error: Media upload has failed with error code 2207053"}"#,
        ))
    };
    let (t, fake) = world();
    fake.fault(Some(Method::Get), "", failed(), 1);
    let p = run(&t, reel(), &PublishOptions::default()).unwrap();
    assert!(p.media_id.is_some());
    assert_one_post(&fake, 1);
    assert_eq!(
        fake.containers().len(),
        2,
        "the failed container and its replacement"
    );

    let (t, fake) = world();
    fake.fault(Some(Method::Get), "", failed(), 2);
    let e = run(&t, reel(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert_eq!(e.subcode(), Some(2_207_053));
    assert_eq!(fake.containers().len(), 2, "one new container, not more");
    assert_eq!(fake.count(Method::Post, "/media_publish"), 0);
}

/// 25 / 2207050, a restricted account: its own kind, a definite refusal
/// (nothing resent), telling the person to act in the Instagram app.
#[test]
fn error_table_2207050_is_account_restricted_and_final() {
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::Answer(graph_error(400, 25, Some(2_207_050), "boom")),
        1,
    );
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccountRestricted);
    assert!(!e.retryable());
    assert_eq!(fake.count(Method::Post, "/media_publish"), 1);
    assert!(fake.media().is_empty());
}

// ---- the container's own failures ------------------------------------------------------------

#[test]
fn container_error_and_expired_end_with_the_status_text() {
    let (t, fake) = world();
    let e = run(&t, spec(serde_json::json!({"type": "reel", "videoUrl": "https://cdn.example/fail-download.mp4"})), &PublishOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert_eq!(e.subcode(), Some(2_207_052));
    assert!(
        e.message
            .contains("Media upload has failed with error code 2207052"),
        "{}",
        e.message
    );
    assert_eq!(fake.count(Method::Post, "/media_publish"), 0);

    let (t, fake) = world();
    let e = run(&t, spec(serde_json::json!({"type": "carousel", "items": [
        {"imageUrl": "https://cdn.example/1.jpg"}, {"imageUrl": "https://cdn.example/processing-error.jpg"}]})), &PublishOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert_eq!(e.subcode(), Some(2_207_001));
    assert_eq!(fake.count(Method::Post, "/media_publish"), 0);

    let (t, fake) = world();
    fake.fault(
        Some(Method::Get),
        "",
        Fault::Answer(Response::new(200, r#"{"status_code":"EXPIRED","status":"Expired: Media has not been published within 24 hours."}"#)),
        1,
    );
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert!(e.message.contains("expired"), "{}", e.message);
    assert!(
        e.message.contains("Expired: Media has not been published"),
        "{}",
        e.message
    );
    assert!(fake.media().is_empty());
}

#[test]
fn permanent_create_errors_fail_at_once_with_the_cause() {
    let (t, fake) = world();
    let e = run(&t, spec(serde_json::json!({"type": "image", "imageUrl": "https://cdn.example/fail-download.jpg"})), &PublishOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Media);
    assert_eq!(e.code(), Some(9004));
    assert_eq!(e.subcode(), Some(2_207_052));
    assert_eq!(fake.count(Method::Post, "/media"), 1, "not retried");
    assert!(t.sleeps().is_empty());
    for (answer, kind) in [
        (
            graph_error(400, 36001, Some(2_207_005), "boom"),
            ErrorKind::Media,
        ),
        (
            graph_error(400, 352, Some(2_207_026), "boom"),
            ErrorKind::Media,
        ),
        (
            graph_error(403, 10, None, "boom"),
            ErrorKind::PermissionDenied,
        ),
        (
            graph_error(400, 190, Some(463), "boom"),
            ErrorKind::TokenExpired,
        ),
    ] {
        let (t, fake) = world();
        fake.fault(Some(Method::Post), "/media", Fault::Answer(answer), 1);
        let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
        assert_eq!(e.kind, kind);
        assert_eq!(fake.count(Method::Post, "/media"), 1);
        assert!(t.sleeps().is_empty());
    }
}

// ---- transient errors, backoff, Retry-After ----------------------------------------------------

#[test]
fn transient_create_errors_retry_with_jittered_backoff() {
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media",
        Fault::Answer(graph_error(400, -1, Some(2_207_032), "boom")),
        1,
    );
    fake.fault(Some(Method::Post), "/media", Fault::Answer(html(503)), 1);
    let (result, events) = run_observed(&t, image(), &PublishOptions::default());
    result.unwrap();
    assert_eq!(fake.count(Method::Post, "/media"), 3);
    let waits: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Retrying { wait, .. } => Some(*wait),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 2);
    assert!(
        waits[0] >= Duration::from_millis(500) && waits[0] <= Duration::from_secs(1),
        "{waits:?}"
    );
    assert!(
        waits[1] >= Duration::from_secs(1) && waits[1] <= Duration::from_secs(2),
        "{waits:?}"
    );
    assert_eq!(&t.sleeps()[..2], &waits[..]);
    // Jitter: another seed waits differently.
    let (t2, fake2) = world();
    t2.set_seed(42);
    fake2.fault(Some(Method::Post), "/media", Fault::Answer(html(503)), 1);
    run(&t2, image(), &PublishOptions::default()).unwrap();
    assert_ne!(t2.sleeps()[0], t.sleeps()[0]);
}

#[test]
fn a_lost_create_answer_leaves_an_unused_container_and_still_posts_once() {
    let (t, fake) = world();
    fake.fault(Some(Method::Post), "/media", Fault::LostAnswer, 1);
    let p = run(&t, image(), &PublishOptions::default()).unwrap();
    assert_eq!(fake.containers().len(), 2);
    assert_one_post(&fake, 1);
    assert_eq!(p.container_id, fake.media()[0].container_id);
}

#[test]
fn rate_limits_wait_exactly_as_long_as_meta_says() {
    // 429 + Retry-After on a status read.
    let (t, fake) = world();
    fake.fault(
        Some(Method::Get),
        "",
        Fault::Answer(Response::new(429, "").with_header("Retry-After", "17")),
        1,
    );
    run(&t, image(), &PublishOptions::default()).unwrap();
    assert_eq!(t.sleeps(), vec![secs(1), secs(17)]);

    // Meta's own shape: HTTP 400, code 80002, X-Business-Use-Case-Usage in minutes.
    let (t, fake) = world();
    let usage = r#"{"17841400000000001":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":2}]}"#;
    fake.fault(
        Some(Method::Get),
        "",
        Fault::Answer(
            graph_error(400, 80_002, None, "boom").with_header("X-Business-Use-Case-Usage", usage),
        ),
        1,
    );
    run(&t, image(), &PublishOptions::default()).unwrap();
    assert_eq!(t.sleeps(), vec![secs(1), secs(120)]);

    // Throttled media_publish: waits Retry-After, the status decides, sent again.
    let (t, fake) = world();
    fake.fault(
        Some(Method::Post),
        "/media_publish",
        Fault::Answer(graph_error(429, 4, None, "boom").with_header("Retry-After", "30")),
        1,
    );
    run(&t, image(), &PublishOptions::default()).unwrap();
    assert_eq!(t.sleeps(), vec![secs(1), secs(30)]);
    assert_one_post(&fake, 2);

    // A wait beyond the retry bound (5 minutes) is not waited out: the error says when.
    let (t, fake) = world();
    fake.fault(
        Some(Method::Get),
        "",
        Fault::Answer(Response::new(429, "").with_header("Retry-After", "3600")),
        1,
    );
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(secs(3_600)));
    assert!(fake.media().is_empty());
}

#[test]
fn transient_read_errors_past_the_bound_fail_before_anything_is_published() {
    let (t, fake) = world();
    fake.fault(Some(Method::Get), "", Fault::Transport, 100);
    let e = run(&t, image(), &PublishOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    // 4 attempts of the first status read, 3 backoffs between them.
    assert_eq!(fake.status_reads(), 4);
    assert_eq!(t.sleeps().len(), 1 + 3);
    assert_eq!(fake.count(Method::Post, "/media_publish"), 0);
}

#[test]
fn permalink_failures_still_finish_the_publish() {
    let (t, fake) = world();
    let mut job = PublishJob::new(IG, image(), PublishOptions::default(), t.now()).unwrap();
    while job.phase.name() != "fetchingPermalink" {
        step(&t, &mut job).unwrap();
    }
    fake.fault(
        Some(Method::Get),
        "",
        Fault::Answer(graph_error(400, 100, Some(33), "boom")),
        1,
    );
    let StepOutcome::Done(p) = step(&t, &mut job).unwrap() else {
        panic!()
    };
    assert_eq!(p.media_id.as_deref(), Some(fake.media()[0].id.as_str()));
    assert_eq!(p.permalink, None);
}

// ---- budget and cancellation ----------------------------------------------------------------

#[test]
fn the_call_budget_stops_a_publish_that_stays_resumable() {
    let (t, fake) = world();
    fake.set_processing(secs(1), secs(600));
    let options = PublishOptions {
        max_calls: 8,
        ..PublishOptions::default()
    };
    let mut job = PublishJob::new(IG, reel(), options, t.now()).unwrap();
    let c = config(Product::Instagram);
    let e = block_on(run_job(&mut job, &t, &c, &token(), &mut Unobserved)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(e.message.contains("budget of 8 calls"), "{}", e.message);
    assert!(job.calls <= 8);
    assert_eq!(job.phase.name(), "processing");
    assert_eq!(fake.log().len() as u32, job.calls, "every call is counted");
    // More calls: it finishes, once.
    job.grant_calls(100);
    let p = block_on(run_job(&mut job, &t, &c, &token(), &mut Unobserved)).unwrap();
    assert_one_post(&fake, 1);
    assert!(p.media_id.is_some());
    assert_eq!(fake.log().len() as u32, job.calls);
}

struct CancelAfterCreated {
    created: Cell<bool>,
}

impl PublishObserver for CancelAfterCreated {
    fn on_progress(&mut self, progress: &Progress) {
        if matches!(progress, Progress::Created { .. }) {
            self.created.set(true);
        }
    }
    fn is_cancelled(&self) -> bool {
        self.created.get()
    }
}

#[test]
fn cancellation_stops_between_steps_and_the_job_can_resume() {
    let (t, fake) = world();
    let mut job = PublishJob::new(IG, carousel(), PublishOptions::default(), t.now()).unwrap();
    let c = config(Product::Instagram);
    let mut observer = CancelAfterCreated {
        created: Cell::new(false),
    };
    let e = block_on(run_job(&mut job, &t, &c, &token(), &mut observer)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Aborted);
    assert_eq!(job.phase.name(), "processing");
    assert_eq!(fake.count(Method::Post, "/media"), 4);
    assert_eq!(fake.status_reads(), 0, "nothing after the cancelled step");
    assert!(fake.media().is_empty());
    // Cancelled before the very first step: no call at all.
    let (t2, fake2) = world();
    let mut fresh = PublishJob::new(IG, image(), PublishOptions::default(), t2.now()).unwrap();
    let mut cancelled = CancelAfterCreated {
        created: Cell::new(true),
    };
    let e = block_on(run_job(&mut fresh, &t2, &c, &token(), &mut cancelled)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Aborted);
    assert!(fake2.log().is_empty());
    // The cancelled job resumes to one post.
    block_on(run_job(&mut job, &t, &c, &token(), &mut Unobserved)).unwrap();
    assert_one_post(&fake, 1);
}

// ---- odd bodies never panic -------------------------------------------------------------------

#[test]
fn html_truncated_and_empty_bodies_never_panic() {
    let bodies = [
        Response::new(200, "<!DOCTYPE html><title>x</title>"),
        Response::new(200, r#"{"id":"1790"#),
        Response::new(200, ""),
        Response::new(200, "null"),
        Response::new(200, r#"{"data":[{"quota_usage":"#),
        Response::new(200, r#"{"error":{"message":"inside a 200","code":2}}"#),
        Response::new(200, r#"{"status_code":null}"#),
        Response::new(200, "\u{0}\u{ffff}"),
        html(502),
        Response::new(400, "<html>"),
        Response::new(404, r#"{"error":"#),
    ];
    for (suffix, method) in [
        ("/content_publishing_limit", Method::Get),
        ("/media", Method::Post),
        ("", Method::Get),
        ("/media_publish", Method::Post),
    ] {
        for body in &bodies {
            let (t, fake) = world();
            fake.fault(Some(method), suffix, Fault::Answer(body.clone()), 1);
            fake.fault(Some(method), suffix, Fault::AfterEffect(body.clone()), 1);
            let options = PublishOptions {
                check_quota: true,
                ..PublishOptions::default()
            };
            let result = run(&t, carousel(), &options);
            // Whatever happened, at most one post exists and a result came back.
            assert!(fake.media().len() <= 1, "{suffix} {body:?}");
            if let Ok(p) = &result {
                assert_eq!(fake.media().len(), 1, "{suffix} {body:?}");
                assert_eq!(p.container_id, fake.media()[0].container_id);
            }
            if let Err(e) = &result {
                assert!(
                    fake.media().is_empty() || e.message.contains("may already"),
                    "{suffix} {body:?}: {e:?}"
                );
                assert!(!e.message.contains(TOKEN));
            }
        }
    }
}
