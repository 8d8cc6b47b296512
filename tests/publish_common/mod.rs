//! Shared setup for the publishing tests: a configuration per login
//! product, the fake Instagram on a scripted transport, specs of every kind,
//! and helpers to run or step a publish.

#![allow(dead_code)]
// The core `Error` is large by design (see src/core/mod.rs).
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::time::Duration;

use instagate::core::config::{Config, Product};
use instagate::core::error::Error;
use instagate::core::http::{Method, Request, Transport};
use instagate::core::publish::fake::FakeGraph;
use instagate::core::publish::{
    publish, MediaSpec, Progress, PublishJob, PublishOptions, Published, StepOutcome, Unobserved,
};
use instagate::core::secret::AccessToken;
use instagate::core::testing::{block_on, ScriptedTransport};
use instagate::core::time::Timestamp;
use serde_json::{json, Value};

pub const IG: &str = "17841400000000001";
pub const TOKEN: &str = "IGAAsecret-token-value";
/// 2026-11-18T11:06:40Z.
pub const START: Timestamp = Timestamp::from_secs(1_795_000_000);

pub fn config(product: Product) -> Config {
    Config::new(product, "1000000000000001", "https://app.example/cb").unwrap()
}

pub fn token() -> AccessToken {
    AccessToken::new(TOKEN)
}

/// A scripted transport answered by a fake Instagram that insists on `TOKEN`.
pub fn world() -> (ScriptedTransport, FakeGraph) {
    let t = ScriptedTransport::new(START);
    let fake = FakeGraph::new();
    fake.require_token(TOKEN);
    fake.install(&t);
    (t, fake)
}

pub fn spec(value: Value) -> MediaSpec {
    MediaSpec::from_json(&value).unwrap()
}

pub fn image() -> MediaSpec {
    spec(
        json!({"type": "image", "imageUrl": "https://cdn.example/a.jpg", "caption": "an image #one"}),
    )
}

pub fn reel() -> MediaSpec {
    spec(json!({"type": "reel", "videoUrl": "https://cdn.example/r.mp4", "caption": "a reel"}))
}

pub fn carousel() -> MediaSpec {
    spec(json!({"type": "carousel", "caption": "three", "items": [
        {"imageUrl": "https://cdn.example/1.jpg"},
        {"videoUrl": "https://cdn.example/2.mp4"},
        {"imageUrl": "https://cdn.example/3.jpg"},
    ]}))
}

pub fn story_image() -> MediaSpec {
    spec(json!({"type": "story", "imageUrl": "https://cdn.example/s.jpg"}))
}

pub fn story_video() -> MediaSpec {
    spec(json!({"type": "story", "videoUrl": "https://cdn.example/s.mp4"}))
}

pub fn every_kind() -> Vec<(&'static str, MediaSpec)> {
    vec![
        ("image", image()),
        ("reel", reel()),
        ("carousel", carousel()),
        ("story image", story_image()),
        ("story video", story_video()),
    ]
}

/// Runs a publish to the end on the Instagram Login configuration.
pub fn run(
    t: &ScriptedTransport,
    spec: MediaSpec,
    options: &PublishOptions,
) -> Result<Published, Error> {
    run_on(Product::Instagram, t, spec, options)
}

/// Runs a publish to the end on the configuration of `product`.
pub fn run_on(
    product: Product,
    t: &ScriptedTransport,
    spec: MediaSpec,
    options: &PublishOptions,
) -> Result<Published, Error> {
    block_on(publish(
        t,
        &config(product),
        &token(),
        IG,
        spec,
        options,
        &mut Unobserved,
    ))
}

/// Runs a publish and collects its progress events.
pub fn run_observed(
    t: &ScriptedTransport,
    spec: MediaSpec,
    options: &PublishOptions,
) -> (Result<Published, Error>, Vec<Progress>) {
    let mut events = Vec::new();
    let mut observer = |p: &Progress| events.push(p.clone());
    let result = block_on(publish(
        t,
        &config(Product::Instagram),
        &token(),
        IG,
        spec,
        options,
        &mut observer,
    ));
    (result, events)
}

/// One step of `job`; then the fake clock moves to when the next is due.
pub fn step(t: &ScriptedTransport, job: &mut PublishJob) -> Result<StepOutcome, Error> {
    let outcome = block_on(job.step(t, &config(Product::Instagram), &token()));
    if let Ok(StepOutcome::Continue { next_at, .. }) = &outcome {
        let now = t.now();
        if *next_at > now {
            t.advance(next_at.since(now));
        }
    }
    outcome
}

/// Steps until the job is finished or a step fails; `max` steps at most.
pub fn step_to_end(
    t: &ScriptedTransport,
    job: &mut PublishJob,
    max: usize,
) -> Result<StepOutcome, Error> {
    for _ in 0..max {
        match step(t, job)? {
            StepOutcome::Continue { .. } => {}
            done => return Ok(done),
        }
    }
    panic!(
        "the job did not finish in {max} steps: {}",
        job.phase.name()
    )
}

/// The decoded query and form parameters of a request, without the token.
pub fn params(r: &Request) -> BTreeMap<String, String> {
    r.params()
        .into_iter()
        .filter(|(k, _)| k != "access_token")
        .collect()
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Requests to a path ending with `suffix` with `method`.
pub fn requests(fake: &FakeGraph, method: Method, suffix: &str) -> Vec<Request> {
    fake.log()
        .into_iter()
        .filter(|r| r.method == method && r.path().ends_with(suffix))
        .collect()
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
