//! The publishing core, natively, against the fake Instagram: validation of
//! every input rule, the exact requests per media kind and login product,
//! every state transition, resuming a saved job after every step, progress
//! events and the quota.
//!
//! References:
//! - IG User Media (container parameters, limits):
//!   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
//! - Content Publishing guide (steps, carousels, reels, stories, status codes):
//!   https://developers.facebook.com/documentation/instagram-platform/content-publishing
//! - IG Container (status_code, status):
//!   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-container
//! - media_publish:
//!   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media_publish
//! - content_publishing_limit:
//!   https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit

mod publish_common;

use instagate::core::config::Product;
use instagate::core::error::ErrorKind;
use instagate::core::http::{Method, Transport};
use instagate::core::publish::PollPolicy;
use instagate::core::publish::{
    publish, publishing_quota, ImageSpec, MediaSpec, Phase, Progress, PublishJob, PublishOptions,
    PublishingQuota, StepOutcome, Unobserved,
};
use instagate::core::retry::RetryPolicy;
use instagate::core::testing::{block_on, ScriptedTransport};
use publish_common::*;
use serde_json::{json, Value};
use std::time::Duration;

// ---- validation: before any call --------------------------------------------------------

/// Every rule, with the field path its error must name.
#[test]
fn every_input_rule_names_its_field() {
    let long = |n: usize| "x".repeat(n);
    let tags = |n: usize| (0..n).map(|i| format!("#t{i} ")).collect::<String>();
    let mentions = |n: usize| (0..n).map(|i| format!("@u{i} ")).collect::<String>();
    let img = |extra: Value| {
        let mut v = json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let reel = |extra: Value| {
        let mut v = json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let items = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"imageUrl": format!("https://cdn.example/{i}.jpg")}))
            .collect()
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"type": "image", "imageUrl": "http://cdn.example/a.jpg"}),
            "imageUrl",
        ),
        (json!({"type": "image", "imageUrl": "https://"}), "imageUrl"),
        (
            json!({"type": "image", "imageUrl": "https://cdn.example/ä.jpg"}),
            "imageUrl",
        ),
        (img(json!({"caption": long(2_201)})), "caption"),
        (img(json!({"caption": tags(31)})), "caption"),
        (img(json!({"caption": mentions(21)})), "caption"),
        (img(json!({"altText": long(1_001)})), "altText"),
        (img(json!({"altText": "  "})), "altText"),
        (
            img(json!({"userTags": [{"username": "amy"}]})),
            "userTags[0].x",
        ),
        (
            img(json!({"userTags": [{"username": "amy", "x": 0.5}]})),
            "userTags[0].y",
        ),
        (
            img(json!({"userTags": [{"username": "amy", "x": 1.5, "y": 0.5}]})),
            "userTags[0].x",
        ),
        (
            img(json!({"userTags": [{"username": "amy", "x": 0.5, "y": -0.1}]})),
            "userTags[0].y",
        ),
        (
            img(json!({"userTags": [{"username": "@amy", "x": 0.5, "y": 0.5}]})),
            "userTags[0].username",
        ),
        (
            img(json!({"userTags": [{"username": "a b", "x": 0.5, "y": 0.5}]})),
            "userTags[0].username",
        ),
        (
            img(
                json!({"userTags": (0..21).map(|i| json!({"username": format!("u{i}"), "x": 0.1, "y": 0.1})).collect::<Value>()}),
            ),
            "userTags",
        ),
        (
            img(json!({"userTags": [{"username": "amy", "x": 0.5, "y": 0.5, "z": 1}]})),
            "userTags[0].z",
        ),
        (
            img(json!({"collaborators": ["a", "b", "c", "d"]})),
            "collaborators",
        ),
        (
            img(json!({"collaborators": ["a", "a"]})),
            "collaborators[1]",
        ),
        (img(json!({"locationId": "paris"})), "locationId"),
        (img(json!({"shareToFeed": true})), "shareToFeed"),
        (
            reel(json!({"coverUrl": "https://cdn.example/c.jpg", "thumbOffset": 100})),
            "thumbOffset",
        ),
        (
            reel(json!({"coverUrl": "http://cdn.example/c.jpg"})),
            "coverUrl",
        ),
        (reel(json!({"thumbOffset": 900_001})), "thumbOffset"),
        (reel(json!({"thumbOffset": 1.5})), "thumbOffset"),
        (reel(json!({"audioName": ""})), "audioName"),
        (
            reel(json!({"userTags": [{"username": "amy", "x": 0.5, "y": 0.5}]})),
            "userTags[0].x",
        ),
        (reel(json!({"altText": "reels take none"})), "altText"),
        (
            reel(json!({"videoUrl": "https://cdn.example/r.mp4 "})),
            "videoUrl",
        ),
        (json!({"type": "carousel", "items": items(1)}), "items"),
        (json!({"type": "carousel", "items": items(11)}), "items"),
        (
            json!({"type": "carousel", "items": [
            {"imageUrl": "https://cdn.example/0.jpg"}, {"imageUrl": "https://cdn.example/1.jpg"},
            {"imageUrl": "https://cdn.example/2.jpg"}, {"videoUrl": "http://cdn.example/3.mp4"}]}),
            "items[3].videoUrl",
        ),
        (
            json!({"type": "carousel", "items": [
            {"imageUrl": "https://cdn.example/0.jpg", "altText": long(1_001)}, {"imageUrl": "https://cdn.example/1.jpg"}]}),
            "items[0].altText",
        ),
        (
            json!({"type": "carousel", "items": [
            {"imageUrl": "https://cdn.example/0.jpg", "userTags": [{"username": "amy", "x": 0.3}]}, {"imageUrl": "https://cdn.example/1.jpg"}]}),
            "items[0].userTags[0].y",
        ),
        (
            json!({"type": "carousel", "items": [
            {"imageUrl": "https://cdn.example/0.jpg"}, {"videoUrl": "https://cdn.example/1.mp4", "userTags": [{"username": "amy", "y": 0.3}]}]}),
            "items[1].userTags[0].y",
        ),
        (
            json!({"type": "carousel", "items": [
            {"imageUrl": "https://cdn.example/0.jpg", "caption": "items take no caption"}, {"imageUrl": "https://cdn.example/1.jpg"}]}),
            "items[0].caption",
        ),
        (
            json!({"type": "carousel", "items": items(2), "caption": tags(31)}),
            "caption",
        ),
        (
            json!({"type": "carousel", "items": items(2), "collaborators": ["a", "b", "c", "d"]}),
            "collaborators",
        ),
        (json!({"type": "story"}), "imageUrl"),
        (
            json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg", "videoUrl": "https://cdn.example/s.mp4"}),
            "videoUrl",
        ),
        (
            json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg", "userTags": [{"username": "amy", "x": 0.2}]}),
            "userTags[0].y",
        ),
        (
            json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg", "caption": "stories take none"}),
            "caption",
        ),
        (
            json!({"type": "video", "videoUrl": "https://cdn.example/v.mp4"}),
            "type",
        ),
        (json!({"type": "gif"}), "type"),
    ];
    for (input, field) in cases {
        let error = MediaSpec::from_json(&input).expect_err(&input.to_string());
        assert_eq!(error.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            error.field.as_deref(),
            Some(field),
            "{input}: {}",
            error.message
        );
        assert!(!error.message.is_empty());
    }
}

#[test]
fn limits_themselves_are_accepted() {
    let tags: String = (0..30).map(|i| format!("#t{i} ")).collect();
    let mentions: String = (0..20).map(|i| format!("@u{i} ")).collect();
    let caption = format!("{tags}{mentions}");
    let caption = format!("{caption}{}", "é".repeat(2_200 - caption.chars().count()));
    assert_eq!(caption.chars().count(), 2_200);
    let ok = [
        json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg", "caption": caption,
               "altText": "a".repeat(1_000), "collaborators": ["a", "b.c", "d_e"], "locationId": "110",
               "userTags": [{"username": "amy", "x": 0.0, "y": 1.0}]}),
        json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "thumbOffset": 900_000,
               "userTags": [{"username": "amy"}], "shareToFeed": false}),
        json!({"type": "carousel", "items": (0..10).map(|i| json!({"imageUrl": format!("https://cdn.example/{i}.jpg")})).collect::<Value>()}),
        json!({"type": "story", "videoUrl": "https://cdn.example/s.mp4", "userTags": [{"username": "amy"}, {"username": "bob", "x": 0.5, "y": 0.5}]}),
    ];
    for input in ok {
        assert!(MediaSpec::from_json(&input).is_ok(), "{input}");
    }
}

#[test]
fn invalid_specs_and_accounts_are_refused_before_any_call() {
    // No handler: any request would panic the scripted transport.
    let t = ScriptedTransport::new(START);
    let bad = MediaSpec::Image(ImageSpec {
        image_url: "https://cdn.example/a.jpg".into(),
        caption: Some("@a ".repeat(21)),
        alt_text: None,
        user_tags: vec![],
        location_id: None,
        collaborators: vec![],
        product_tags: vec![],
        extras: Default::default(),
    });
    let c = config(Product::Instagram);
    let e = block_on(publish(
        &t,
        &c,
        &token(),
        IG,
        bad,
        &PublishOptions::default(),
        &mut Unobserved,
    ))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("caption"));
    let e = block_on(publish(
        &t,
        &c,
        &token(),
        "me/../x",
        image(),
        &PublishOptions::default(),
        &mut Unobserved,
    ))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("igUserId"));
    let options = PublishOptions {
        max_calls: 0,
        ..PublishOptions::default()
    };
    let e = block_on(publish(
        &t,
        &c,
        &token(),
        IG,
        image(),
        &options,
        &mut Unobserved,
    ))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("maxCalls"));
    assert!(t.requests().is_empty());
}

// ---- exact requests per kind --------------------------------------------------------------

#[test]
fn image_container_parameters() {
    let (t, fake) = world();
    let spec = spec(
        json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg?v=1", "caption": "hi #x",
        "altText": "a cat", "userTags": [{"username": "amy", "x": 0.5, "y": 0.25}],
        "locationId": "110", "collaborators": ["bob", "cy"]}),
    );
    run(&t, spec, &PublishOptions::default()).unwrap();
    let create = requests(&fake, Method::Post, "/media");
    assert_eq!(create.len(), 1);
    assert_eq!(
        create[0].url,
        "https://graph.instagram.com/v27.0/17841400000000001/media"
    );
    assert_eq!(
        params(&create[0]),
        map(&[
            ("image_url", "https://cdn.example/a.jpg?v=1"),
            ("caption", "hi #x"),
            ("alt_text", "a cat"),
            ("user_tags", r#"[{"username":"amy","x":0.5,"y":0.25}]"#),
            ("location_id", "110"),
            ("collaborators", r#"["bob","cy"]"#),
        ])
    );
    // The token is a form parameter, never in the URL of a POST.
    assert!(create[0]
        .body
        .as_deref()
        .unwrap()
        .contains("access_token=IGAAsecret-token-value"));
    assert!(!create[0].url.contains("access_token"));
}

#[test]
fn reel_container_parameters() {
    let (t, fake) = world();
    let spec = spec(
        json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "caption": "reel",
        "coverUrl": "https://cdn.example/c.jpg", "shareToFeed": false, "audioName": "Our song",
        "collaborators": ["bob"], "locationId": "7", "userTags": [{"username": "amy"}]}),
    );
    run(&t, spec, &PublishOptions::default()).unwrap();
    let create = requests(&fake, Method::Post, "/media");
    assert_eq!(
        params(&create[0]),
        map(&[
            ("media_type", "REELS"),
            ("video_url", "https://cdn.example/r.mp4"),
            ("caption", "reel"),
            ("cover_url", "https://cdn.example/c.jpg"),
            ("share_to_feed", "false"),
            ("audio_name", "Our song"),
            ("collaborators", r#"["bob"]"#),
            ("location_id", "7"),
            ("user_tags", r#"[{"username":"amy"}]"#),
        ])
    );
    let (t, fake) = world();
    run(&t, spec_thumb(), &PublishOptions::default()).unwrap();
    let create = requests(&fake, Method::Post, "/media");
    assert_eq!(
        params(&create[0]),
        map(&[
            ("media_type", "REELS"),
            ("video_url", "https://cdn.example/r.mp4"),
            ("thumb_offset", "1500")
        ])
    );
}

fn spec_thumb() -> MediaSpec {
    spec(json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "thumbOffset": 1500}))
}

#[test]
fn carousel_children_then_container() {
    let (t, fake) = world();
    let spec = spec(
        json!({"type": "carousel", "caption": "trip", "locationId": "9", "collaborators": ["bob"],
        "items": [
            {"imageUrl": "https://cdn.example/1.jpg", "altText": "one", "userTags": [{"username": "amy", "x": 0.1, "y": 0.9}]},
            {"videoUrl": "https://cdn.example/2.mp4", "userTags": [{"username": "amy"}]},
        ]}),
    );
    let published = run(&t, spec, &PublishOptions::default()).unwrap();
    let create = requests(&fake, Method::Post, "/media");
    assert_eq!(create.len(), 3);
    assert_eq!(
        params(&create[0]),
        map(&[
            ("is_carousel_item", "true"),
            ("image_url", "https://cdn.example/1.jpg"),
            ("alt_text", "one"),
            ("user_tags", r#"[{"username":"amy","x":0.1,"y":0.9}]"#),
        ])
    );
    assert_eq!(
        params(&create[1]),
        map(&[
            ("is_carousel_item", "true"),
            ("media_type", "VIDEO"),
            ("video_url", "https://cdn.example/2.mp4"),
            ("user_tags", r#"[{"username":"amy"}]"#),
        ])
    );
    let children: Vec<String> = fake
        .containers()
        .iter()
        .filter(|c| c.is_item)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(
        params(&create[2]),
        map(&[
            ("media_type", "CAROUSEL"),
            ("children", &children.join(",")),
            ("caption", "trip"),
            ("location_id", "9"),
            ("collaborators", r#"["bob"]"#),
        ])
    );
    // Only the carousel container is polled and published.
    let publish = requests(&fake, Method::Post, "/media_publish");
    assert_eq!(publish.len(), 1);
    assert_eq!(params(&publish[0])["creation_id"], published.container_id);
    assert!(!children.contains(&published.container_id));
    assert_eq!(fake.media().len(), 1);
    assert_eq!(fake.media()[0].media_type, "CAROUSEL_ALBUM");
}

#[test]
fn story_container_parameters() {
    for (input, want) in [
        (
            json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg", "userTags": [{"username": "amy", "x": 0.5, "y": 0.5}, {"username": "bob"}]}),
            vec![
                ("media_type", "STORIES"),
                ("image_url", "https://cdn.example/s.jpg"),
                (
                    "user_tags",
                    r#"[{"username":"amy","x":0.5,"y":0.5},{"username":"bob"}]"#,
                ),
            ],
        ),
        (
            json!({"type": "story", "videoUrl": "https://cdn.example/s.mp4"}),
            vec![
                ("media_type", "STORIES"),
                ("video_url", "https://cdn.example/s.mp4"),
            ],
        ),
    ] {
        let (t, fake) = world();
        let published = run(&t, spec(input), &PublishOptions::default()).unwrap();
        let create = requests(&fake, Method::Post, "/media");
        assert_eq!(params(&create[0]), map(&want));
        assert_eq!(fake.media()[0].product_type, "STORY");
        assert!(published.media_id.is_some());
    }
}

#[test]
fn status_publish_and_permalink_requests_on_both_hosts() {
    for (product, host) in [
        (Product::Instagram, "https://graph.instagram.com/v27.0"),
        (Product::Facebook, "https://graph.facebook.com/v27.0"),
    ] {
        let (t, fake) = world();
        let published = block_on(publish(
            &t,
            &config(product),
            &token(),
            IG,
            image(),
            &PublishOptions::default(),
            &mut Unobserved,
        ))
        .unwrap();
        let container = published.container_id.clone();
        let media = published.media_id.clone().unwrap();
        let log = fake.log();
        let summary: Vec<String> = log
            .iter()
            .map(|r| format!("{} {}", r.method.as_str(), r.path()))
            .collect();
        assert_eq!(
            summary,
            vec![
                format!("POST {host}/{IG}/media"),
                format!("GET {host}/{container}"),
                format!("POST {host}/{IG}/media_publish"),
                format!("GET {host}/{media}"),
            ]
        );
        assert_eq!(params(&log[1]), map(&[("fields", "status_code,status")]));
        assert_eq!(params(&log[2]), map(&[("creation_id", &container)]));
        assert_eq!(params(&log[3]), map(&[("fields", "id,permalink")]));
        // Every call carries the token as the access_token parameter.
        for r in &log {
            assert!(
                r.params()
                    .contains(&("access_token".to_owned(), TOKEN.to_owned())),
                "{r:?}"
            );
        }
        assert_eq!(published.permalink, Some(fake.media()[0].permalink()));
    }
}

// ---- state transitions ----------------------------------------------------------------------

/// Steps a job and records the phase after each step and how many calls it made.
fn trace(t: &ScriptedTransport, job: &mut PublishJob) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for _ in 0..100 {
        let before = t.requests().len();
        let outcome = step(t, job).unwrap();
        out.push((job.phase.name().to_owned(), t.requests().len() - before));
        if !matches!(outcome, StepOutcome::Continue { .. }) {
            return out;
        }
    }
    panic!("no end")
}

#[test]
fn image_goes_through_every_phase_in_order() {
    let (t, fake) = world();
    fake.set_processing(secs(2), secs(10));
    let mut job = PublishJob::new(IG, image(), PublishOptions::default(), t.now()).unwrap();
    assert_eq!(job.phase.name(), "creatingContainer");
    let steps = trace(&t, &mut job);
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    // Created; read at 1 s: IN_PROGRESS; read again until FINISHED, which publishes in the
    // same step; the permalink; done.
    assert_eq!(names.first(), Some(&"processing"));
    assert_eq!(&names[names.len() - 2..], &["fetchingPermalink", "done"]);
    assert!(names[..names.len() - 2].iter().all(|n| *n == "processing"));
    for (name, calls) in &steps {
        // Two calls only in the step that read FINISHED and sent media_publish.
        let expected = if name == "fetchingPermalink" { 2 } else { 1 };
        assert_eq!(*calls, expected, "{steps:?}");
    }
    assert!(matches!(job.phase, Phase::Done { .. }));
    assert_eq!(fake.count(Method::Post, "/media_publish"), 1);
}

#[test]
fn carousel_with_quota_check_goes_through_every_phase() {
    let (t, fake) = world();
    let options = PublishOptions {
        check_quota: true,
        ..PublishOptions::default()
    };
    let mut job = PublishJob::new(IG, carousel(), options, t.now()).unwrap();
    assert_eq!(job.phase.name(), "checkingQuota");
    let names: Vec<String> = trace(&t, &mut job).into_iter().map(|(n, _)| n).collect();
    let mut dedup = names.clone();
    dedup.dedup();
    assert_eq!(
        dedup,
        [
            "creatingChildren",
            "creatingContainer",
            "processing",
            "fetchingPermalink",
            "done"
        ]
    );
    // One step per carousel item: the quota step and the first two of the three items
    // end in creatingChildren, the third in creatingContainer.
    assert_eq!(names.iter().filter(|n| *n == "creatingChildren").count(), 3);
    assert_eq!(fake.count(Method::Get, "/content_publishing_limit"), 1);
}

#[test]
fn steps_wait_for_their_time_without_calling() {
    let (t, _fake) = world();
    let mut job = PublishJob::new(IG, reel(), PublishOptions::default(), t.now()).unwrap();
    let c = config(Product::Instagram);
    let outcome = block_on(job.step(&t, &c, &token())).unwrap();
    let StepOutcome::Continue { next_at, progress } = outcome else {
        panic!()
    };
    let first = PollPolicy::default().first_check_video_ms;
    assert_eq!(
        next_at,
        START.plus(Duration::from_millis(first)),
        "videos are first checked later than images"
    );
    assert!(matches!(progress.as_slice(), [Progress::Created { .. }]));
    let calls = t.requests().len();
    // Too early: no call, same time back.
    let again = block_on(job.step(&t, &c, &token())).unwrap();
    assert_eq!(
        again,
        StepOutcome::Continue {
            next_at,
            progress: vec![]
        }
    );
    assert_eq!(t.requests().len(), calls);
}

// ---- resume after every step ---------------------------------------------------------------

#[test]
fn every_kind_resumes_from_json_after_every_step() {
    for (name, spec) in every_kind() {
        for check_quota in [false, true] {
            let (t, fake) = world();
            let options = PublishOptions {
                check_quota,
                ..PublishOptions::default()
            };
            let mut job = PublishJob::new(IG, spec.clone(), options, t.now()).unwrap();
            let mut phases = Vec::new();
            let result = loop {
                // Save and load: a new "invocation" for every step.
                let saved = job.to_json();
                assert!(
                    !saved.contains(TOKEN),
                    "{name}: the token is not part of a job"
                );
                job = PublishJob::from_json(&saved).unwrap();
                phases.push(job.phase.name());
                match step(&t, &mut job).unwrap() {
                    StepOutcome::Continue { .. } => continue,
                    StepOutcome::Done(p) => break p,
                    StepOutcome::Failed(e) => panic!("{name}: {e:?}"),
                }
            };
            assert_eq!(fake.media().len(), 1, "{name}");
            assert_eq!(fake.count(Method::Post, "/media_publish"), 1, "{name}");
            assert_eq!(
                result.media_id.as_deref(),
                Some(fake.media()[0].id.as_str()),
                "{name}"
            );
            assert!(phases.contains(&"processing"), "{name}: {phases:?}");
            assert!(phases.contains(&"fetchingPermalink"), "{name}: {phases:?}");
            // A finished job stays finished when loaded again.
            let mut again = PublishJob::from_json(&job.to_json()).unwrap();
            assert_eq!(step(&t, &mut again).unwrap(), StepOutcome::Done(result));
        }
    }
}

#[test]
fn saved_job_is_camel_case_json() {
    let (t, _fake) = world();
    let mut job = PublishJob::new(IG, carousel(), PublishOptions::default(), t.now()).unwrap();
    step(&t, &mut job).unwrap();
    let v: Value = serde_json::from_str(&job.to_json()).unwrap();
    assert_eq!(v["igUserId"], IG);
    assert_eq!(v["spec"]["type"], "carousel");
    assert_eq!(
        v["spec"]["items"][1]["videoUrl"],
        "https://cdn.example/2.mp4"
    );
    assert_eq!(v["phase"]["step"], "creatingChildren");
    assert!(v["phase"]["done"][0].is_string(), "IDs are strings: {v}");
    assert_eq!(v["options"]["maxCalls"], 100);
    assert_eq!(v["options"]["poll"]["growthPercent"], 18);
    assert_eq!(v["options"]["retry"]["maxAttempts"], 4);
    assert_eq!(v["calls"], 1);
    assert_eq!(v["createdAt"], START.as_millis());
    // Tampered or foreign JSON is refused with a clear error.
    for bad in ["{}", "[]", "null", r#"{"igUserId":"x"}"#] {
        let e = PublishJob::from_json(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad}");
    }
    let mut v2 = v.clone();
    v2["spec"]["items"] = json!([{"imageUrl": "https://cdn.example/1.jpg"}]);
    assert_eq!(
        PublishJob::from_json(&v2.to_string())
            .unwrap_err()
            .field
            .as_deref(),
        Some("items")
    );
}

// ---- progress --------------------------------------------------------------------------------

#[test]
fn progress_reports_created_processing_and_published() {
    let (t, fake) = world();
    fake.set_processing(secs(1), secs(20));
    let (result, events) = run_observed(&t, reel(), &PublishOptions::default());
    let published = result.unwrap();
    let container = published.container_id.clone();
    assert_eq!(
        events.first(),
        Some(&Progress::Created {
            container_id: container.clone()
        })
    );
    let processing: Vec<(u64, u32)> = events
        .iter()
        .filter_map(|e| match e {
            Progress::Processing {
                elapsed, checks, ..
            } => Some((elapsed.as_millis() as u64, *checks)),
            _ => None,
        })
        .collect();
    assert!(processing.len() >= 3, "{events:?}");
    let first = PollPolicy::default().first_check_video_ms;
    assert_eq!(
        processing[0],
        (first, 1),
        "the first check of a video comes after the policy's first wait"
    );
    assert!(processing
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[1].1 == w[0].1 + 1));
    assert!(processing.last().unwrap().0 >= 20_000);
    assert_eq!(
        events.last(),
        Some(&Progress::Published {
            container_id: container,
            media_id: published.media_id.clone()
        })
    );
}

// ---- quota --------------------------------------------------------------------------------------

#[test]
fn quota_is_read_and_checked() {
    let (t, fake) = world();
    run(&t, image(), &PublishOptions::default()).unwrap();
    fake.set_quota_total(2);
    let c = config(Product::Facebook);
    let q = block_on(publishing_quota(
        &t,
        &c,
        &token(),
        IG,
        None,
        &RetryPolicy::default(),
    ))
    .unwrap();
    assert_eq!(
        q,
        PublishingQuota {
            usage: 1,
            total: Some(2),
            duration_secs: Some(86_400)
        }
    );
    let r = requests(&fake, Method::Get, "/content_publishing_limit")
        .pop()
        .unwrap();
    assert_eq!(
        r.url.split('?').next().unwrap(),
        format!("https://graph.facebook.com/v27.0/{IG}/content_publishing_limit")
    );
    assert_eq!(params(&r), map(&[("fields", "quota_usage,config")]));

    let options = PublishOptions {
        check_quota: true,
        ..PublishOptions::default()
    };
    run(&t, image(), &options).unwrap();
    // Used up: refused after the quota read alone, before any container.
    let containers = fake.containers().len();
    let (e, events) = run_observed(&t, image(), &options);
    let e = e.unwrap_err();
    assert_eq!(e.kind, ErrorKind::PublishLimit);
    assert!(e.message.contains("2 of the 2"), "{}", e.message);
    assert_eq!(fake.containers().len(), containers);
    assert!(events.is_empty());
    assert_eq!(fake.media().len(), 2);
}

#[test]
fn quota_read_retries_transient_failures_and_names_bad_accounts() {
    let (t, fake) = world();
    fake.fault(
        Some(Method::Get),
        "/content_publishing_limit",
        instagate::core::publish::fake::Fault::Transport,
        2,
    );
    let c = config(Product::Instagram);
    let q = block_on(publishing_quota(
        &t,
        &c,
        &token(),
        IG,
        None,
        &RetryPolicy::default(),
    ))
    .unwrap();
    assert_eq!(q.usage, 0);
    assert_eq!(t.sleeps().len(), 2);
    let e = block_on(publishing_quota(
        &t,
        &c,
        &token(),
        "",
        None,
        &RetryPolicy::default(),
    ))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("igUserId"));
}

/// `since` on content_publishing_limit ("a Unix timestamp no older than 24
/// hours", IG User Content Publishing Limit reference): sent as Unix
/// seconds; outside the last 24 hours it is refused before any call.
#[test]
fn quota_since_is_sent_as_unix_seconds_within_the_last_day_content_publishing_limit_reference() {
    let (t, fake) = world();
    let c = config(Product::Instagram);
    let since = t.now().minus(Duration::from_secs(3_600));
    block_on(publishing_quota(
        &t,
        &c,
        &token(),
        IG,
        Some(since),
        &RetryPolicy::default(),
    ))
    .unwrap();
    let r = requests(&fake, Method::Get, "/content_publishing_limit")
        .pop()
        .unwrap();
    assert_eq!(
        params(&r),
        map(&[
            ("fields", "quota_usage,config"),
            ("since", &since.as_secs().to_string())
        ])
    );
    for bad in [
        t.now().minus(Duration::from_secs(25 * 3_600)),
        t.now().plus(Duration::from_secs(60)),
    ] {
        let sent = fake.log().len();
        let e = block_on(publishing_quota(
            &t,
            &c,
            &token(),
            IG,
            Some(bad),
            &RetryPolicy::default(),
        ))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("since"));
        assert_eq!(fake.log().len(), sent, "nothing sent");
    }
}

// ---- documented extras: AI label, caption add-ons, product tags, carousel thumb_offset ----------
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/media
// https://developers.facebook.com/documentation/instagram-platform/content-publishing/caption-add-ons
// https://developers.facebook.com/documentation/instagram-platform/changelog (is_ai_generated, June 22, 2026)

#[test]
fn documented_extras_reach_the_container_requests() {
    let (t, fake) = world();
    let c = config(Product::Facebook);
    let carousel = spec(serde_json::json!({
        "type": "carousel", "caption": "Which one?", "isAiGenerated": true,
        "pollOptions": ["Left", "Right"], "pollDurationExtended": true,
        "items": [
            {"imageUrl": "https://cdn.example/a.jpg", "productTags": [{"productId": "3231775643511089", "x": 0.5, "y": 0.5}]},
            {"videoUrl": "https://cdn.example/b.mp4", "thumbOffset": 1500, "productTags": [{"productId": "3231775643511090"}]},
        ],
    }));
    block_on(publish(
        &t,
        &c,
        &token(),
        IG,
        carousel,
        &PublishOptions::default(),
        &mut Unobserved,
    ))
    .unwrap();
    let creates = requests(&fake, Method::Post, "/media");
    let top = params(
        creates
            .iter()
            .find(|r| params(r).get("media_type").map(String::as_str) == Some("CAROUSEL"))
            .unwrap(),
    );
    assert_eq!(top.get("is_ai_generated").map(String::as_str), Some("true"));
    assert_eq!(
        top.get("poll_attachment").map(String::as_str),
        Some(r#"{"option_a":"Left","option_b":"Right"}"#)
    );
    assert_eq!(
        top.get("is_poll_duration_extended").map(String::as_str),
        Some("true")
    );
    let video = params(
        creates
            .iter()
            .find(|r| params(r).get("media_type").map(String::as_str) == Some("VIDEO"))
            .unwrap(),
    );
    assert_eq!(video.get("thumb_offset").map(String::as_str), Some("1500"));
    assert_eq!(
        video.get("product_tags").map(String::as_str),
        Some(r#"[{"product_id":"3231775643511090"}]"#)
    );
    assert!(
        !video.contains_key("is_ai_generated"),
        "on the carousel container only"
    );
    let image = params(
        creates
            .iter()
            .find(|r| params(r).contains_key("image_url"))
            .unwrap(),
    );
    assert_eq!(
        image.get("product_tags").map(String::as_str),
        Some(r#"[{"product_id":"3231775643511089","x":0.5,"y":0.5}]"#)
    );

    let reel = spec(
        serde_json::json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "caption": "Tell us", "commentPrompt": true, "isAiGenerated": false}),
    );
    block_on(publish(
        &t,
        &c,
        &token(),
        IG,
        reel,
        &PublishOptions::default(),
        &mut Unobserved,
    ))
    .unwrap();
    let last = params(requests(&fake, Method::Post, "/media").last().unwrap());
    assert_eq!(
        last.get("is_comment_prompt_used").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        last.get("is_ai_generated").map(String::as_str),
        Some("false")
    );
}

#[test]
fn documented_extras_are_validated_before_any_call() {
    let refused = |value: serde_json::Value| {
        MediaSpec::from_json(&value)
            .unwrap_err()
            .field
            .unwrap_or_default()
    };
    let image = |extra: serde_json::Value| {
        let mut v = serde_json::json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg", "caption": "Q?"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    assert_eq!(
        refused(image(serde_json::json!({"pollOptions": ["only one"]}))),
        "pollOptions"
    );
    assert_eq!(
        refused(image(
            serde_json::json!({"pollOptions": ["a", "b", "c", "d", "e"]})
        )),
        "pollOptions"
    );
    assert_eq!(
        refused(image(serde_json::json!({"pollOptions": ["a", " "]}))),
        "pollOptions[1]"
    );
    assert_eq!(
        refused(image(
            serde_json::json!({"pollOptions": ["a", "b"], "commentPrompt": true})
        )),
        "commentPrompt"
    );
    assert_eq!(
        refused(image(serde_json::json!({"pollDurationExtended": true}))),
        "pollDurationExtended"
    );
    assert_eq!(
        refused(
            serde_json::json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg", "commentPrompt": true})
        ),
        "caption"
    );
    assert_eq!(
        refused(image(
            serde_json::json!({"productTags": [{"productId": "12"}]})
        )),
        "productTags[0].x"
    );
    assert_eq!(
        refused(image(
            serde_json::json!({"productTags": [{"productId": "12", "x": 0.1, "y": 0.1}, {"productId": "12", "x": 0.2, "y": 0.2}]})
        )),
        "productTags[1].productId"
    );
    assert_eq!(
        refused(
            serde_json::json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "productTags": [{"productId": "12", "x": 0.1, "y": 0.1}]})
        ),
        "productTags[0].x"
    );
    assert_eq!(
        refused(
            serde_json::json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg", "isAiGenerated": true})
        ),
        "isAiGenerated"
    );
    assert_eq!(
        refused(
            serde_json::json!({"type": "carousel", "items": [{"imageUrl": "https://cdn.example/a.jpg"}, {"videoUrl": "https://cdn.example/b.mp4", "thumbOffset": 900_001}]})
        ),
        "items[1].thumbOffset"
    );

    // Caption add-ons are Facebook Login's: refused for Instagram Login before any call.
    let t = ScriptedTransport::new(START);
    let poll = spec(image(serde_json::json!({"pollOptions": ["Yes", "No"]})));
    let e = block_on(publish(
        &t,
        &config(Product::Instagram),
        &token(),
        IG,
        poll,
        &PublishOptions::default(),
        &mut Unobserved,
    ))
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("pollOptions"));
    assert!(t.requests().is_empty());
}
