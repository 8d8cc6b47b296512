//! Publishing a video file with Meta's resumable upload
//! (<https://developers.facebook.com/documentation/instagram-platform/content-publishing/resumable-uploads>):
//! the container is created with `upload_type=resumable`, the bytes go to the
//! rupload host with `Authorization: OAuth`, `offset` and `file_size`, and an
//! interrupted upload resumes at the offset Meta reports, across a restart
//! (the job saved as JSON and read back between steps).

#![allow(clippy::result_large_err)]

mod publish_common;

use instagate::core::config::Product;
use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::Method;
use instagate::core::publish::video_file::{inspect_mp4, sample_mp4};
use instagate::core::publish::{
    run_with_files, MediaSpec, Phase, Progress, PublishJob, PublishOptions, StepOutcome,
};
use instagate::core::testing::{block_on, ScriptedTransport};
use publish_common::*;
use serde_json::json;

const CONTAINER: &str = "17900000000000077";
const MEDIA: &str = "17950000000000077";

fn reel_file(bytes: &[u8]) -> MediaSpec {
    let file = inspect_mp4("video", bytes).unwrap();
    spec(json!({"type": "reel", "caption": "from disk", "videoFile": file}))
}

/// Steps the job to the end, saving it as JSON and reading it back between
/// steps (a restart each time), and returns every progress event.
fn step_to_end(
    t: &ScriptedTransport,
    mut job: PublishJob,
    files: &[&[u8]],
) -> (Result<StepOutcome, Error>, Vec<Progress>) {
    let c = config(Product::Facebook);
    let mut events = Vec::new();
    for _ in 0..40 {
        let outcome = block_on(job.step_with_files(t, &c, &token(), files));
        job = serde_json::from_str(&job.to_json()).unwrap();
        match outcome {
            Ok(StepOutcome::Continue { progress, next_at }) => {
                events.extend(progress);
                let now = instagate::core::http::Transport::now(t);
                if next_at > now {
                    t.advance(next_at.since(now));
                }
            }
            other => return (other, events),
        }
    }
    panic!("no end after 40 steps");
}

fn expect_publish_after_upload(t: &ScriptedTransport) {
    t.expect(
        CONTAINER,
        200,
        r#"{"status_code":"FINISHED","id":"17900000000000077"}"#,
    )
    .expect("media_publish", 200, &format!(r#"{{"id":"{MEDIA}"}}"#))
    .expect(
        MEDIA,
        200,
        &format!(r#"{{"id":"{MEDIA}","permalink":"https://www.instagram.com/reel/x/"}}"#),
    );
}

#[test]
fn a_reel_file_is_uploaded_with_the_documented_headers_then_published() {
    let bytes = sample_mp4(8_000, 5_000);
    let t = ScriptedTransport::new(START);
    t.expect("/media", 200, &format!(r#"{{"id":"{CONTAINER}","uri":"https://rupload.facebook.com/ig-api-upload/v24.0/{CONTAINER}"}}"#))
        .expect("ig-api-upload", 200, r#"{"success":true,"message":"Upload successful."}"#);
    expect_publish_after_upload(&t);
    let job = PublishJob::new(IG, reel_file(&bytes), PublishOptions::default(), START).unwrap();
    let (outcome, events) = step_to_end(&t, job, &[&bytes]);
    assert!(
        matches!(outcome, Ok(StepOutcome::Done(ref p)) if p.media_id.as_deref() == Some(MEDIA)),
        "{outcome:?}"
    );
    let requests = t.requests();
    let create = &requests[0];
    let params = create.params();
    assert!(
        params.contains(&("upload_type".into(), "resumable".into())),
        "{params:?}"
    );
    assert!(params.contains(&("media_type".into(), "REELS".into())));
    assert!(!params.iter().any(|(k, _)| k == "video_url"));
    let upload = &requests[1];
    assert_eq!(upload.method, Method::Post);
    assert!(
        upload
            .url
            .starts_with("https://rupload.facebook.com/ig-api-upload/"),
        "{}",
        upload.url
    );
    assert!(upload.url.ends_with(CONTAINER));
    assert_eq!(
        upload.header("authorization"),
        Some(format!("OAuth {TOKEN}").as_str())
    );
    assert_eq!(upload.header("offset"), Some("0"));
    assert_eq!(
        upload.header("file_size"),
        Some(bytes.len().to_string().as_str())
    );
    assert_eq!(upload.bytes.as_deref(), Some(&bytes[..]));
    assert!(events.iter().any(|e| matches!(e, Progress::Uploaded { sent, total, .. } if *sent == *total && *total == bytes.len() as u64)));
}

#[test]
fn an_interrupted_upload_resumes_at_metas_offset_not_from_zero() {
    let bytes = sample_mp4(8_000, 20_000);
    let total = bytes.len() as u64;
    let t = ScriptedTransport::new(START);
    t.expect("/media", 200, &format!(r#"{{"id":"{CONTAINER}"}}"#))
        // The connection drops after Meta got the first 12,000 bytes.
        .expect_response(
            "ig-api-upload",
            Err(Error::new(ErrorKind::Transport, "the connection was reset")),
        )
        .expect(
            CONTAINER,
            200,
            r#"{"status_code":"IN_PROGRESS","video_status":{"uploading_phase":{"status":"in_progress","bytes_transferred":12000}},"id":"17900000000000077"}"#,
        )
        .expect("ig-api-upload", 200, r#"{"success":true,"message":"Upload successful."}"#);
    expect_publish_after_upload(&t);
    let options = PublishOptions {
        upload_chunk_bytes: 0,
        ..PublishOptions::default()
    };
    let job = PublishJob::new(IG, reel_file(&bytes), options, START).unwrap();
    let (outcome, events) = step_to_end(&t, job, &[&bytes]);
    assert!(matches!(outcome, Ok(StepOutcome::Done(_))), "{outcome:?}");
    let uploads: Vec<_> = t
        .requests()
        .into_iter()
        .filter(|r| r.url.contains("ig-api-upload"))
        .collect();
    assert_eq!(uploads.len(), 2);
    assert_eq!(uploads[1].header("offset"), Some("12000"));
    assert_eq!(
        uploads[1].header("file_size"),
        Some(total.to_string().as_str())
    );
    assert_eq!(uploads[1].bytes.as_deref(), Some(&bytes[12_000..]));
    assert!(events
        .iter()
        .any(|e| matches!(e, Progress::Retrying { .. })));
}

#[test]
fn chunks_report_progress_and_a_carousel_video_is_uploaded_before_the_next_item() {
    let bytes = sample_mp4(5_000, 3_000);
    let file = inspect_mp4("video", &bytes).unwrap();
    let spec = spec(json!({"type": "carousel", "items": [
        {"imageUrl": "https://cdn.example/1.jpg"},
        {"videoFile": file},
    ]}));
    let t = ScriptedTransport::new(START);
    t.expect("/media", 200, r#"{"id":"17900000000000001"}"#)
        .expect("/media", 200, r#"{"id":"17900000000000002"}"#);
    for _ in 0..bytes.len().div_ceil(1_000) {
        t.expect(
            "ig-api-upload/v",
            200,
            r#"{"success":true,"message":"Upload successful."}"#,
        );
    }
    t.expect("/media", 200, &format!(r#"{{"id":"{CONTAINER}"}}"#));
    expect_publish_after_upload(&t);
    let options = PublishOptions {
        upload_chunk_bytes: 1_000,
        ..PublishOptions::default()
    };
    let job = PublishJob::new(IG, spec, options, START).unwrap();
    let (outcome, events) = step_to_end(&t, job, &[&bytes]);
    assert!(matches!(outcome, Ok(StepOutcome::Done(_))), "{outcome:?}");
    let requests = t.requests();
    let item = requests[1].params();
    for p in [
        ("is_carousel_item", "true"),
        ("media_type", "VIDEO"),
        ("upload_type", "resumable"),
    ] {
        assert!(item.contains(&(p.0.into(), p.1.into())), "{item:?}");
    }
    assert!(requests[2].url.ends_with("/17900000000000002"));
    let carousel = requests
        .iter()
        .find(|r| r.params().iter().any(|(k, _)| k == "children"))
        .unwrap();
    assert!(carousel.params().contains(&(
        "children".into(),
        "17900000000000001,17900000000000002".into()
    )));
    let sent: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Uploaded { sent, .. } => Some(*sent),
            _ => None,
        })
        .collect();
    assert_eq!(sent.first(), Some(&1_000));
    assert_eq!(sent.last(), Some(&(bytes.len() as u64)));
}

#[test]
fn a_job_stepped_without_its_file_or_with_another_file_keeps_its_place() {
    let bytes = sample_mp4(8_000, 500);
    let t = ScriptedTransport::new(START);
    t.expect("/media", 200, &format!(r#"{{"id":"{CONTAINER}"}}"#));
    let c = config(Product::Facebook);
    let mut job = PublishJob::new(IG, reel_file(&bytes), PublishOptions::default(), START).unwrap();
    block_on(job.step(&t, &c, &token())).unwrap();
    assert!(matches!(
        job.phase,
        Phase::Uploading {
            offset: Some(0),
            ..
        }
    ));
    let e = block_on(job.step(&t, &c, &token())).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("videoFile"));
    let other = sample_mp4(8_000, 400);
    let e = block_on(job.step_with_files(&t, &c, &token(), &[&other])).unwrap_err();
    assert!(e.message.contains("same file"), "{}", e.message);
    assert!(matches!(
        job.phase,
        Phase::Uploading {
            offset: Some(0),
            ..
        }
    ));
    assert_eq!(
        t.requests().len(),
        1,
        "nothing was sent with the wrong bytes"
    );
}

#[test]
fn instagram_login_cannot_upload_and_says_to_give_a_url() {
    let bytes = sample_mp4(8_000, 500);
    let t = ScriptedTransport::new(START);
    let c = config(Product::Instagram);
    let mut job = PublishJob::new(IG, reel_file(&bytes), PublishOptions::default(), START).unwrap();
    let e = block_on(run_with_files(
        &mut job,
        &t,
        &c,
        &token(),
        &[&bytes],
        &mut |_: &Progress| {},
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("Facebook Login"), "{}", e.message);
    assert!(t.requests().is_empty(), "no container was made");
}

#[test]
fn files_meta_refuses_are_refused_before_any_call() {
    let short = inspect_mp4("video", &sample_mp4(2_000, 100)).unwrap();
    let e = MediaSpec::from_json(&json!({"type": "reel", "videoFile": short})).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("videoFile"));
    assert!(e.message.contains("3.0 s to 900.0 s"), "{}", e.message);
    let long_story = inspect_mp4("video", &sample_mp4(61_000, 100)).unwrap();
    let e = MediaSpec::from_json(&json!({"type": "story", "videoFile": long_story})).unwrap_err();
    assert!(e.message.contains("60.0 s"), "{}", e.message);
    let ok = inspect_mp4("video", &sample_mp4(5_000, 100)).unwrap();
    let e = MediaSpec::from_json(
        &json!({"type": "reel", "videoFile": ok, "videoUrl": "https://c/v.mp4"}),
    )
    .unwrap_err();
    assert!(e.message.contains("not both"), "{}", e.message);
    let e = MediaSpec::from_json(&json!({"type": "carousel", "items": [
        {"imageUrl": "https://c/1.jpg"}, {"videoFile": {"size": 10}}
    ]}))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("items[1].videoFile.durationMs"));
}
