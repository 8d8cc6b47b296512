//! Publish jobs, natively: each media kind, 202 + background, resume in a
//! new "Worker invocation" over the same store, a lost publish answer, a
//! crash right after publishing, failures, quota, and access control.

mod service_common;

use std::time::Duration;

use instagate::core::publish::{Phase, PublishJob};
use instagate::core::retry::RetryPolicy;
use instagate::core::testing::block_on;
use instagate::service::http::{Background, HttpRequest};
use instagate::service::jobs::STALLED_RETRY;
use instagate::service::log::NoLog;
use instagate::service::store::KvOp;
use instagate::service::Service;
use serde_json::{json, Value};
use service_common::*;

fn publish(w: &World, account: &str, body: Value) -> instagate::service::http::HttpResponse {
    w.call(
        w.api("POST", &format!("/api/accounts/{account}/publish"))
            .with_json(&body),
    )
}

#[test]
fn each_media_kind_publishes_once() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    let cases = [
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "image #one", "alt_text": "a cat"}),
        json!({"kind": "reel", "video_url": "https://cdn.example/r.mp4", "caption": "reel", "share_to_feed": true, "thumb_offset": 1000}),
        json!({"kind": "carousel", "caption": "carousel", "items": [
            {"image_url": "https://cdn.example/1.jpg"}, {"video_url": "https://cdn.example/2.mp4"}, {"image_url": "https://cdn.example/3.jpg"}]}),
        json!({"kind": "story", "image_url": "https://cdn.example/s.jpg"}),
    ];
    for (n, body) in cases.iter().enumerate() {
        let r = publish(&w, &ig, body.clone());
        assert_eq!(r.status, 200, "{}: {:?}", body["kind"], r.json_body());
        let job = &r.json_body()["job"];
        assert_eq!(job["status"], "published");
        assert_eq!(job["kind"], body["kind"]);
        assert_eq!(job["publish_sends"], 1);
        let meta = w.meta.borrow();
        assert_eq!(meta.media.len(), n + 1, "exactly one media per publish");
        // The job reports the media Meta made, with Meta's permalink.
        let media = &meta.media[n];
        assert_eq!(job["media_id"], media.id);
        assert_eq!(job["permalink"], media.permalink());
    }
    let carousel = w
        .meta
        .borrow()
        .graph
        .containers()
        .into_iter()
        .find(|c| c.param("media_type") == Some("CAROUSEL"))
        .unwrap();
    assert_eq!(carousel.children.len(), 3);
    // Facebook Login publishes on graph.facebook.com with the Page token.
    let (fb, _) = w.connect("facebook");
    let r = publish(
        &w,
        &fb,
        json!({"kind": "image", "image_url": "https://cdn.example/fb.jpg"}),
    );
    assert_eq!(r.status, 200);
    assert!(w
        .meta
        .borrow()
        .calls
        .iter()
        .any(|c| c.contains(&format!("graph.facebook.com/v27.0/{FB_IG}/media_publish"))));
    assert!(w.store.keys("jobq:").is_empty(), "no unfinished jobs left");
}

#[test]
fn a_slow_job_answers_202_and_finishes_in_the_background() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "1000")]));
    let (ig, session) = w.connect("instagram");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "reel", "video_url": "https://cdn.example/r.mp4"}),
    );
    assert_eq!(r.status, 202);
    let id = r.json_body()["job"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/jobs/{id}").as_str())
    );
    assert_eq!(r.background, vec![Background::AdvanceJob(id.clone())]);
    assert_eq!(w.store.keys("jobq:"), vec![format!("jobq:{id}")]);
    // The session that owns the account reads it; processing.
    let read = |w: &World| {
        w.call(
            HttpRequest::new("GET", &format!("{WORKER}/api/jobs/{id}"))
                .with_header("cookie", &session),
        )
    };
    assert_eq!(read(&w).json_body()["job"]["status"], "processing");
    block_on(
        w.service()
            .run_background(Background::AdvanceJob(id.clone())),
    );
    let r = read(&w);
    assert_eq!(
        r.json_body()["job"]["status"],
        "published",
        "{:?}",
        r.json_body()
    );
    assert_eq!(w.meta.borrow().media.len(), 1);
    assert!(w.store.keys("jobq:").is_empty());
    assert!(
        w.store.expiry(&format!("job:{id}")).is_some(),
        "finished jobs expire"
    );
}

#[test]
fn a_job_survives_a_restart_and_the_cron_finishes_it() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "0")]));
    let (ig, _) = w.connect("instagram");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "carousel", "items": [{"image_url": "https://cdn.example/1.jpg"}, {"image_url": "https://cdn.example/2.jpg"}]}),
    );
    assert_eq!(r.status, 202);
    let id = r.json_body()["job"]["id"].as_str().unwrap().to_owned();
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "processing");
    assert_eq!(job["children"].as_array().unwrap().len(), 2);
    assert!(
        job["container_id"].is_string(),
        "saved mid-way, waiting for processing"
    );

    // "Restart": a new configuration object and a new service over the same KV.
    let config = config(&[]);
    for _ in 0..10 {
        w.advance(Duration::from_secs(1));
        let svc = Service::new(&config, &w.store, &*w.transport, &NoLog);
        let stats = block_on(svc.run_cron());
        if stats.jobs.finished == 1 {
            break;
        }
    }
    w.assert_published_once(&id);
}

#[test]
fn a_lost_publish_answer_is_confirmed_from_the_container_not_resent() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    w.meta.borrow_mut().lose_next_publish_answer = true;
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "only once"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "published");
    assert_eq!(job["publish_sends"], 1);
    let meta = w.meta.borrow();
    assert_eq!(meta.media.len(), 1, "exactly one media");
    assert_eq!(job["media_id"], meta.media[0].id, "media id recovered");
    assert_eq!(meta.count("media_publish"), 1, "never resent");
}

#[test]
fn a_crash_right_after_publishing_does_not_publish_twice() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    // The Worker dies after media_publish succeeded, before saving: every
    // job write after the publish fails (and the answer is an error).
    let published = std::rc::Rc::new(std::cell::Cell::new(false));
    let meta = w.meta.clone();
    let seen = published.clone();
    w.store.fail_when(Some(Box::new(move |op, key| {
        if op == KvOp::Put && key.starts_with("job:") && !meta.borrow().media.is_empty() {
            seen.set(true);
            return true;
        }
        false
    })));
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "crash"}),
    );
    assert!(published.get());
    assert_eq!(r.status, 503, "{:?}", r.json_body());
    w.store.fail_when(None);
    assert_eq!(w.meta.borrow().media.len(), 1);

    // The next invocation finds the job "sent, outcome unknown" and asks the container.
    let job_id = w.store.keys("jobq:")[0]
        .trim_start_matches("jobq:")
        .to_owned();
    w.advance(Duration::from_secs(60));
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.jobs.finished, 1);
    let r = w.call(w.api("GET", &format!("/api/jobs/{job_id}")));
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "published");
    assert_eq!(job["publish_sends"], 1);
    assert_eq!(w.meta.borrow().media.len(), 1, "still exactly one media");
    assert_eq!(w.meta.borrow().count("media_publish"), 1);
}

#[test]
fn a_send_that_never_reached_meta_is_confirmed_then_sent_once() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    w.meta
        .borrow_mut()
        .fail_next("media_publish", transport_error());
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json_body());
    assert_eq!(r.json_body()["job"]["publish_sends"], 2);
    assert_eq!(w.meta.borrow().media.len(), 1);
}

#[test]
fn a_publish_whose_outcome_cannot_be_read_is_kept_and_never_resent() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "0")]));
    let (ig, _) = w.connect("instagram");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "unread"}),
    );
    assert_eq!(r.status, 202);
    let id = r.json_body()["job"]["id"].as_str().unwrap().to_owned();
    let container = r.json_body()["job"]["container_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = |w: &World| -> Value {
        serde_json::from_str(&w.store.peek(&format!("job:{id}")).unwrap()).unwrap()
    };

    // A status read (FINISHED) leads to the publish, whose answer is lost.
    w.meta.borrow_mut().lose_next_publish_answer = true;
    w.advance(Duration::from_secs(1));
    let r = w.call(w.api("GET", &format!("/api/jobs/{id}")));
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "processing", "{job:?}");
    assert_eq!(job["phase"], "publish_sent");
    assert_eq!(job["publish_sends"], 1);
    // The KV record holds the core's job, which a core reader accepts.
    let core = PublishJob::from_json(&stored(&w)["job"].to_string()).unwrap();
    assert!(matches!(core.phase, Phase::Publishing { .. }), "{core:?}");

    // Then the container's status cannot be read, through every retry.
    for _ in 0..RetryPolicy::default().max_attempts {
        w.meta.borrow_mut().fail_next(&container, transport_error());
    }
    for _ in 0..RetryPolicy::default().max_attempts {
        w.advance(Duration::from_secs(10));
        block_on(w.service().run_cron());
    }
    let record = stored(&w);
    assert_eq!(record["stalled"]["kind"], "timeout", "{record}");
    let core = PublishJob::from_json(&record["job"].to_string()).unwrap();
    assert!(
        matches!(core.phase, Phase::Publishing { .. }),
        "never failed while the post may exist: {core:?}"
    );
    assert_eq!(w.store.keys("jobq:"), vec![format!("jobq:{id}")]);
    // The API says why the job waits (and makes no call before its time).
    let calls = w.meta.borrow().count("");
    let r = w.call(w.api("GET", &format!("/api/jobs/{id}")));
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "processing");
    assert_eq!(job["stalled"]["kind"], "timeout", "{job:?}");
    assert_eq!(job["error"], Value::Null);
    assert_eq!(w.meta.borrow().count(""), calls);

    // Once the status can be read, PUBLISHED decides: done, never resent.
    w.advance(STALLED_RETRY);
    let stats = block_on(w.service().run_cron());
    assert_eq!(stats.jobs.finished, 1);
    let r = w.call(w.api("GET", &format!("/api/jobs/{id}")));
    let job = &r.json_body()["job"];
    assert_eq!(job["status"], "published", "{job:?}");
    assert_eq!(job["publish_sends"], 1);
    let meta = w.meta.borrow();
    assert_eq!(meta.media.len(), 1);
    assert_eq!(job["media_id"], meta.media[0].id, "media id recovered");
    assert_eq!(meta.count("media_publish"), 1, "never resent");
    assert!(stored(&w).get("stalled").is_none());
    assert_eq!(job["stalled"], Value::Null);
}

#[test]
fn failures_validation_quota_and_access() {
    let w = World::new();
    let (ig, session) = w.connect("instagram");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/processing-error.jpg"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json_body()["job"]["status"], "failed");
    assert_eq!(r.json_body()["job"]["error"]["kind"], "media");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/fail-download.jpg"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json_body()["job"]["error"]["code"], 9004);
    assert_eq!(w.meta.borrow().media.len(), 0);

    let r = publish(
        &w,
        &ig,
        json!({"kind": "carousel", "items": [{"image_url": "https://cdn.example/1.jpg"}]}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json_body()["error"]["field"], "items");
    assert!(
        w.store.keys("job:").len() == 2,
        "an invalid request stores no job"
    );

    let r = w.call(w.api("GET", &format!("/api/accounts/{ig}/quota")));
    assert_eq!(r.status, 200);
    assert_eq!(r.json_body()["quota"]["quota_total"], 100);

    // Another browser's session can neither publish nor read the jobs.
    let other = World::new();
    let _ = other;
    let (fb, fb_session) = w.connect("facebook");
    let r = w.call(
        HttpRequest::new("POST", &format!("{WORKER}/api/accounts/{ig}/publish"))
            .with_header("cookie", &fb_session)
            .with_header("origin", WORKER)
            .with_json(&json!({"kind": "image", "image_url": "https://cdn.example/a.jpg"})),
    );
    assert_eq!(r.status, 404);
    let job = w.store.keys("job:")[0]
        .trim_start_matches("job:")
        .to_owned();
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/jobs/{job}"))
            .with_header("cookie", &fb_session),
    );
    assert_eq!(r.status, 404);
    let r = w.call(
        HttpRequest::new("GET", &format!("{WORKER}/api/jobs/{job}"))
            .with_header("cookie", &session),
    );
    assert_eq!(r.status, 200);
    let _ = fb;

    // Forgetting the account forgets its jobs.
    assert_eq!(
        w.call(w.api("DELETE", &format!("/api/accounts/{ig}")))
            .status,
        200
    );
    assert!(w.store.keys("job:").is_empty());
    assert!(w.store.keys("jobacct:").is_empty());
}

#[test]
fn an_expired_token_is_refused_before_any_job_or_call() {
    let w = World::new();
    let (ig, _) = w.connect("instagram");
    // Past the 60-day lifetime, with no cron run in between to refresh it.
    w.advance(DAY * 61);
    let calls = w.meta.borrow().count("");
    let r = publish(
        &w,
        &ig,
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg"}),
    );
    assert_eq!(
        r.json_body()["error"]["kind"],
        "token_expired",
        "{:?}",
        r.json_body()
    );
    // 409 like every token problem (401 is for the API caller's own key).
    assert_eq!(r.status, 409);
    assert!(w.store.keys("job:").is_empty(), "no job saved");
    assert!(w.store.keys("jobq:").is_empty());
    assert_eq!(w.meta.borrow().count(""), calls, "no call to Meta");
}
