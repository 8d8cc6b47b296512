//! The account's object (src/service/account_object.rs) natively: work on
//! one account runs one piece at a time, concurrent refresh triggers share
//! one refresh, a deleted account stays deleted, and `Idempotency-Key`
//! makes a retried publish answer with the first job. Concurrency is real
//! here: every call to Meta yields to the other futures before answering,
//! as a `fetch` does inside a Durable Object.

#![allow(clippy::result_large_err)]

mod service_common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join_all, LocalBoxFuture};
use instagate::core::error::Error;
use instagate::core::http::{Request, Response, Transport};
use instagate::core::testing::{block_on, jpeg, ScriptedTransport};
use instagate::core::time::Timestamp;
use instagate::service::account_object::{AccountObject, ObjectStorage};
use instagate::service::error::ApiError;
use instagate::service::http::{HttpRequest, HttpResponse};
use instagate::service::line::{AccountLine, AccountWork, WorkReply};
use instagate::service::memory_store::MemoryStore;
use instagate::service::Service;
use serde_json::{json, Value};
use service_common::*;

/// The world's transport, but every request waits a turn before it is answered.
struct Yielding<'a>(&'a ScriptedTransport);

impl Transport for Yielding<'_> {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        YieldOnce::default().await;
        self.0.send(request).await
    }
    async fn sleep(&self, duration: Duration) {
        self.0.sleep(duration).await
    }
    fn now(&self) -> Timestamp {
        self.0.now()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        self.0.fill_random(buf)
    }
}

/// One [`AccountObject`] per account id, in this process, each with its own
/// storage: what the Worker's Durable Object namespace is.
struct LocalObjects<'a> {
    w: &'a World,
    transport: Yielding<'a>,
    objects: RefCell<HashMap<String, Rc<AccountObject<MemoryStore>>>>,
}

impl<'a> LocalObjects<'a> {
    fn new(w: &'a World) -> LocalObjects<'a> {
        LocalObjects {
            w,
            transport: Yielding(&w.transport),
            objects: RefCell::new(HashMap::new()),
        }
    }

    fn service(&self) -> Service<'_, MemoryStore, Yielding<'a>> {
        Service::new(&self.w.config, &self.w.store, &self.transport, &self.w.log)
            .with_line(self)
            .with_blobs(&self.w.blobs)
    }

    /// Fires every object alarm due at the fake clock's now, as the runtime
    /// does (each alarm is the `Wake` work of its object). Returns how many.
    fn fire_alarms(&self) -> usize {
        let now = self.transport.now();
        let due: Vec<String> = self
            .objects
            .borrow()
            .iter()
            .filter(|(_, o)| {
                block_on(o.storage().alarm())
                    .unwrap()
                    .is_some_and(|at| at <= now)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            block_on(self.run(id, AccountWork::Wake)).expect("wake");
        }
        due.len()
    }

    /// The alarm of `account`'s object.
    fn alarm_of(&self, account: &str) -> Option<Timestamp> {
        let object = self.objects.borrow().get(account).cloned()?;
        block_on(object.storage().alarm()).unwrap()
    }

    /// The operations `account`'s object made on its own storage so far.
    fn storage_ops(&self, account: &str) -> instagate::service::store::KvOps {
        let object = self
            .objects
            .borrow()
            .get(account)
            .cloned()
            .expect("an object");
        object.storage().ops()
    }

    /// Many requests at once through the Worker (each its own invocation).
    fn call_all(&self, reqs: Vec<HttpRequest>) -> Vec<HttpResponse> {
        block_on(join_all(
            reqs.into_iter()
                .map(|r| async move { self.service().handle(r).await }),
        ))
    }
}

impl AccountLine for LocalObjects<'_> {
    fn run<'s>(
        &'s self,
        account: &'s str,
        work: AccountWork,
    ) -> LocalBoxFuture<'s, Result<WorkReply, ApiError>> {
        Box::pin(async move {
            let object = self
                .objects
                .borrow_mut()
                .entry(account.to_owned())
                .or_insert_with(|| Rc::new(AccountObject::new(MemoryStore::new())))
                .clone();
            // Inside the object: a service without a line does the work.
            let inside = Service::new(&self.w.config, &self.w.store, &self.transport, &self.w.log)
                .with_blobs(&self.w.blobs);
            object
                .run(work, self.transport.now(), |work, deleted_at| {
                    let inside = &inside;
                    async move { inside.perform(account, work, deleted_at).await }
                })
                .await
        })
    }
}

fn refresh_calls(w: &World) -> usize {
    w.meta.borrow().count("refresh_access_token")
}

fn account_keys(w: &World, id: &str) -> Vec<String> {
    w.store
        .dump()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.contains(id) && !k.starts_with("deletion:"))
        .collect()
}

#[test]
fn concurrent_refresh_triggers_make_one_refresh_and_every_caller_sees_the_stored_token() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    w.advance(DAY * 31);
    let objects = LocalObjects::new(&w);
    let refresh = || w.api("POST", &format!("/api/accounts/{id}/refresh"));
    let answers = objects.call_all((0..8).map(|_| refresh()).collect());
    assert_eq!(
        refresh_calls(&w),
        1,
        "one refresh call to Meta for 8 triggers"
    );
    let stored = record(&w, &id);
    let stored_expiry = stored.token.expires_at.unwrap().to_rfc3339();
    for a in &answers {
        assert_eq!(a.status, 200, "{:?}", a.json_body());
        assert_eq!(
            a.json_body()["account"]["token"]["expires_at"],
            stored_expiry
        );
    }
    // A cron run in the mix joins the same line: nothing more is due.
    block_on(objects.service().run_cron());
    assert_eq!(refresh_calls(&w), 1);

    // Control: the same race without the objects refreshes once per trigger
    // (what the Worker did before them), so this test can fail.
    let w = World::new();
    let (id, _) = w.connect("instagram");
    w.advance(DAY * 31);
    let yielding = Yielding(&w.transport);
    let direct = Service::new(&w.config, &w.store, &yielding, &w.log);
    let req = || w.api("POST", &format!("/api/accounts/{id}/refresh"));
    block_on(join_all((0..8).map(|_| direct.handle(req()))));
    assert_eq!(refresh_calls(&w), 8);
}

#[test]
fn an_account_deleted_during_its_refresh_ends_deleted_with_no_key_left() {
    for how in ["api", "deauthorize", "data-deletion"] {
        let w = World::new();
        let (id, _) = w.connect("instagram");
        w.advance(DAY * 31);
        let objects = LocalObjects::new(&w);
        let record_before = w.store.peek(&format!("token:{id}")).unwrap();
        let due_before = record(&w, &id).due_key.unwrap();
        let delete = match how {
            "api" => w.api("DELETE", &format!("/api/accounts/{id}")),
            _ => form_post(
                &format!("/auth/{how}"),
                &signed_request_issued(SECRET, &id, "HMAC-SHA256", w.now().as_millis() / 1000),
            ),
        };
        let answers = objects.call_all(vec![
            w.api("POST", &format!("/api/accounts/{id}/refresh")),
            delete,
            w.api("POST", &format!("/api/accounts/{id}/refresh")),
        ]);
        assert_eq!(
            answers[1].status,
            200,
            "{how}: {:?}",
            answers[1].json_body()
        );
        assert_eq!(
            answers[2].status, 404,
            "{how}: the refresh after the delete finds nothing"
        );
        assert_eq!(account_keys(&w, &id), Vec::<String>::new(), "{how}");

        // A stale copy comes back (a KV location that had not caught up, a
        // cron that listed the index before the delete): the tombstone
        // removes it instead of refreshing it.
        w.store.seed(&format!("token:{id}"), &record_before);
        w.store.seed(&due_before, "1");
        let r = objects.call_all(vec![w.api("POST", &format!("/api/accounts/{id}/refresh"))]);
        assert_eq!(r[0].status, 404, "{how}");
        w.store.seed(&format!("token:{id}"), &record_before);
        w.store.seed(&due_before, "1");
        block_on(objects.service().run_cron());
        assert_eq!(account_keys(&w, &id), Vec::<String>::new(), "{how}");
        assert_eq!(
            refresh_calls(&w),
            1,
            "{how}: only the refresh before the delete"
        );
    }
}

#[test]
fn a_new_login_after_a_delete_is_a_new_account() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let r = objects.call_all(vec![w.api("DELETE", &format!("/api/accounts/{id}"))]);
    assert_eq!(r[0].status, 200);
    w.advance(Duration::from_secs(60));
    let (again, _) = w.connect("instagram");
    assert_eq!(again, id);
    w.advance(DAY * 31);
    let r = objects.call_all(vec![w.api("POST", &format!("/api/accounts/{id}/refresh"))]);
    assert_eq!(r[0].status, 200, "{:?}", r[0].json_body());
    assert_eq!(r[0].json_body()["outcome"], "refreshed");
    assert!(w.store.peek(&format!("token:{id}")).is_some());
}

fn publish_req(w: &World, id: &str, body: &Value, key: Option<&str>) -> HttpRequest {
    let mut req = w
        .api("POST", &format!("/api/accounts/{id}/publish"))
        .with_json(body);
    if let Some(k) = key {
        req = req.with_header("idempotency-key", k);
    }
    req
}

#[test]
fn concurrent_steps_of_one_job_and_overlapping_crons_send_one_media_publish() {
    let w = World::with_config(config(&[("PUBLISH_WAIT_MS", "1000")]));
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let reel = json!({"kind": "reel", "video_url": "https://cdn.example/r.mp4"});
    let r = objects.call_all(vec![publish_req(&w, &id, &reel, None)]);
    assert_eq!(r[0].status, 202, "{:?}", r[0].json_body());
    let job = r[0].json_body()["job"]["id"].as_str().unwrap().to_owned();
    w.advance(Duration::from_secs(120));
    // Status reads, two cron runs and the background step, all at once.
    let reads: Vec<_> = (0..4)
        .map(|_| w.api("GET", &format!("/api/jobs/{job}")))
        .collect();
    block_on(async {
        let service = objects.service();
        let background = instagate::service::http::Background::AdvanceJob {
            account: id.clone(),
            job: job.clone(),
        };
        futures_util::future::join4(
            join_all(reads.into_iter().map(|r| service.handle(r))),
            service.run_cron(),
            service.run_cron(),
            service.run_background(background),
        )
        .await;
    });
    assert_eq!(w.meta.borrow().count("media_publish"), 1);
    w.assert_published_once(&job);
}

#[test]
fn a_retried_publish_with_the_same_idempotency_key_makes_one_post() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let image =
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "caption": "once"});
    let answers = objects.call_all(vec![
        publish_req(&w, &id, &image, Some("retry-1")),
        publish_req(&w, &id, &image, Some("retry-1")),
    ]);
    let first = answers[0].json_body();
    let second = answers[1].json_body();
    assert_eq!(answers[0].status, 200, "{first:?}");
    assert_eq!(answers[1].status, 200, "{second:?}");
    assert_eq!(first["job"]["id"], second["job"]["id"], "the same job");
    assert_eq!(answers[1].header("idempotent-replayed"), Some("true"));
    assert_eq!(w.meta.borrow().count("media_publish"), 1, "one post");

    // The same key with another body is a conflict; nothing is posted.
    let other = json!({"kind": "image", "image_url": "https://cdn.example/b.jpg"});
    let r = objects.call_all(vec![publish_req(&w, &id, &other, Some("retry-1"))]);
    assert_eq!(r[0].status, 409);
    assert_eq!(r[0].json_body()["error"]["kind"], "idempotency_conflict");
    // Past the window the key names a new request.
    w.advance(DAY + Duration::from_secs(1));
    let r = objects.call_all(vec![publish_req(&w, &id, &image, Some("retry-1"))]);
    assert_eq!(r[0].status, 200);
    assert_ne!(r[0].json_body()["job"]["id"], first["job"]["id"]);
    assert_eq!(w.meta.borrow().media.len(), 2);
    // A bad key is a clear 400 before anything is stored.
    let r = objects.call_all(vec![publish_req(&w, &id, &image, Some("two words"))]);
    assert_eq!(r[0].status, 400);
    assert_eq!(r[0].json_body()["error"]["field"], "idempotency-key");
}

#[test]
fn a_scheduled_post_waits_in_its_object_and_goes_live_at_its_time() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let at = w.now().plus(Duration::from_secs(3600));
    let body = json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "publish_at": at.to_rfc3339()});
    let r = objects.call_all(vec![publish_req(&w, &id, &body, None)]);
    assert_eq!(r[0].status, 202, "{:?}", r[0].json_body());
    let job = r[0].json_body()["job"].clone();
    assert_eq!(job["status"], "scheduled");
    assert_eq!(job["publish_at"], at.to_rfc3339());
    assert!(r[0].background.is_empty(), "nothing to do until its time");
    assert_eq!(w.meta.borrow().count("/media"), 0, "no container yet");
    assert_eq!(
        w.meta.borrow().count("content_publishing_limit"),
        1,
        "quota read when scheduling"
    );
    // The object wakes a lead before the time (containers take a moment).
    let wake = objects.alarm_of(&id).expect("an alarm");
    assert_eq!(wake, at.minus(instagate::service::schedule::IMAGE_LEAD));
    let listed = objects.call_all(vec![
        w.api("GET", &format!("/api/accounts/{id}/jobs?status=scheduled"))
    ]);
    assert_eq!(listed[0].json_body()["jobs"][0]["id"], job["id"]);
    // A cron run before then spends nothing on it.
    block_on(objects.service().run_cron());
    assert_eq!(w.meta.borrow().count("/media"), 0);

    w.advance(wake.since(w.now()));
    assert_eq!(objects.fire_alarms(), 1);
    // The container is made; the job holds (without keeping the object
    // busy) until its time, when the alarm goes off again.
    assert_eq!(w.meta.borrow().count("/media"), 1);
    assert_eq!(w.meta.borrow().media.len(), 0);
    assert_eq!(objects.alarm_of(&id), Some(at));
    w.advance(at.since(w.now()));
    assert_eq!(objects.fire_alarms(), 1);
    let meta = w.meta.borrow();
    assert_eq!(meta.media.len(), 1, "published");
    assert_eq!(
        meta.media[0].published_at, at,
        "on time (fake clock: zero latency)"
    );
    assert_eq!(
        meta.count("content_publishing_limit"),
        2,
        "quota read again when publishing"
    );
    drop(meta);
    let read = objects.call_all(vec![
        w.api("GET", &format!("/api/jobs/{}", job["id"].as_str().unwrap()))
    ]);
    assert_eq!(read[0].json_body()["job"]["status"], "published");
}

#[test]
fn a_cancelled_scheduled_post_is_never_published_and_bad_times_are_400() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let at = w.now().plus(Duration::from_secs(600));
    let body = json!({"kind": "reel", "video_url": "https://cdn.example/r.mp4", "publish_at": at.to_rfc3339()});
    let r = objects.call_all(vec![publish_req(&w, &id, &body, None)]);
    let job = r[0].json_body()["job"]["id"].as_str().unwrap().to_owned();
    let cancel = || w.api("DELETE", &format!("/api/jobs/{job}"));
    let r = objects.call_all(vec![cancel()]);
    assert_eq!(r[0].status, 200, "{:?}", r[0].json_body());
    assert_eq!(r[0].json_body()["job"]["status"], "failed");
    assert_eq!(r[0].json_body()["job"]["error"]["kind"], "aborted");
    let r = objects.call_all(vec![cancel()]);
    assert_eq!(r[0].status, 409);
    assert_eq!(r[0].json_body()["error"]["kind"], "not_cancellable");
    w.advance(Duration::from_secs(700));
    objects.fire_alarms();
    block_on(objects.service().run_cron());
    assert_eq!(w.meta.borrow().count("/media"), 0, "no container, no post");

    for bad in ["yesterday", "2020-01-01T00:00:00Z"] {
        let body =
            json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "publish_at": bad});
        let r = objects.call_all(vec![publish_req(&w, &id, &body, None)]);
        assert_eq!(r[0].status, 400);
        assert_eq!(r[0].json_body()["error"]["field"], "publish_at");
    }
    let far = w.now().plus(DAY * 31).to_rfc3339();
    let body =
        json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "publish_at": far});
    assert_eq!(
        objects.call_all(vec![publish_req(&w, &id, &body, None)])[0].status,
        400
    );
}

#[test]
fn a_token_that_expired_before_the_scheduled_time_fails_the_job_clearly() {
    let w = World::new();
    let id = "17841400000000077";
    // Issued long ago: the token expires in one hour, before the post.
    seed_instagram_account(
        &w,
        id,
        w.now().minus(LONG_LIVED).plus(Duration::from_secs(3600)),
    );
    let objects = LocalObjects::new(&w);
    let at = w.now().plus(Duration::from_secs(2 * 3600));
    let body = json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "publish_at": at.to_rfc3339()});
    let r = objects.call_all(vec![publish_req(&w, id, &body, None)]);
    assert_eq!(r[0].status, 202, "{:?}", r[0].json_body());
    let job = r[0].json_body()["job"]["id"].as_str().unwrap().to_owned();
    w.advance(Duration::from_secs(2 * 3600));
    objects.fire_alarms();
    let read = objects.call_all(vec![w.api("GET", &format!("/api/jobs/{job}"))]);
    let view = read[0].json_body();
    assert_eq!(view["job"]["status"], "failed", "{view:?}");
    assert_eq!(view["job"]["error"]["kind"], "token_expired");
    assert_eq!(w.meta.borrow().count("/media"), 0);
}

#[test]
fn a_login_wakes_its_object_which_then_refreshes_the_token_at_its_alarm_without_the_cron() {
    let w = World::new();
    let (code, state, cookie) = login_up_to_the_callback(&w);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    let id = query(r.header("location").unwrap(), "connected").unwrap();
    let due = record(&w, &id).due_at(&w.config).unwrap();
    let wake = instagate::service::http::Background::Wake {
        account: id.clone(),
        due_at: Some(due),
        connected_at: Some(record(&w, &id).connected_at),
    };
    assert_eq!(
        r.background,
        vec![wake.clone()],
        "the login hands its object a wake with the refresh time, after the answer"
    );
    let objects = LocalObjects::new(&w);
    block_on(objects.service().run_background(wake));
    assert_eq!(objects.alarm_of(&id), Some(due));
    // Two refresh cycles, driven only by the object's alarms.
    for cycle in 1..=2 {
        let alarm = objects.alarm_of(&id).unwrap();
        w.advance(alarm.since(w.now()));
        assert_eq!(objects.fire_alarms(), 1);
        assert_eq!(refresh_calls(&w), cycle);
        assert!(
            objects.alarm_of(&id).unwrap() > w.now(),
            "the next alarm is set"
        );
    }
}

const RECEIVER: &str = "https://receiver.example/hook";
const FORWARD_KEY: &str = "operator-forward-key-0123456789abcdef";

#[test]
fn webhook_events_go_to_a_durable_outbox_and_reach_a_receiver_that_fails_then_recovers() {
    let w = World::with_config(config(&[
        ("WEBHOOK_FORWARD_URL", RECEIVER),
        ("WEBHOOK_FORWARD_KEY", FORWARD_KEY),
        ("WEBHOOK_RETRY_BASE_SECONDS", "30"),
    ]));
    // The receiver answers 503 twice, then 200; Meta's calls go to FakeMeta.
    let received: Rc<RefCell<Vec<Request>>> = Rc::default();
    let (meta, got) = (w.meta.clone(), received.clone());
    w.transport.set_handler(move |req, now| {
        if req.url == RECEIVER {
            got.borrow_mut().push(req.clone());
            let status = if got.borrow().len() <= 2 { 503 } else { 200 };
            return Ok(Response::new(status, "{}"));
        }
        meta.borrow_mut().answer(req, now)
    });
    let objects = LocalObjects::new(&w);
    let body = format!(
        r#"{{"object":"instagram","entry":[{{"id":"{IG_USER}","time":1795000000,"changes":[{{"field":"comments","value":{{"id":"1","text":"hi"}}}}]}}]}}"#
    );
    let sig = instagate::service::crypto::hmac_sha256(SECRET.as_bytes(), body.as_bytes());
    let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    let req = HttpRequest::new("POST", &format!("{WORKER}/webhooks/instagram"))
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &format!("sha256={hex}"))
        .with_body(body.into_bytes());
    let r = objects.call_all(vec![req]).remove(0);
    assert_eq!(r.status, 200, "Meta gets its 200 first");
    assert!(
        received.borrow().is_empty(),
        "nothing is sent before the answer"
    );
    assert_eq!(r.background.len(), 1);
    block_on(objects.service().run_background(r.background[0].clone()));
    assert_eq!(received.borrow().len(), 1, "first attempt (503)");
    for wait in [30, 60] {
        let alarm = objects.alarm_of(IG_USER).expect("a retry is scheduled");
        assert_eq!(alarm.since(w.now()), Duration::from_secs(wait));
        w.advance(Duration::from_secs(wait));
        objects.fire_alarms();
    }
    let attempts = received.borrow();
    assert_eq!(attempts.len(), 3, "503, 503, then 200: delivered");
    let ids: Vec<_> = attempts
        .iter()
        .map(|a| a.header("x-instagate-event-id").unwrap().to_owned())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one event id on every attempt"
    );
    // The receiver's check: HMAC-SHA256(key, "{t}.{body}") in v1.
    let last = &attempts[2];
    let header = last.header("x-instagate-signature").unwrap();
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let body = last.body.as_deref().unwrap();
    let mac = instagate::service::crypto::hmac_sha256(
        FORWARD_KEY.as_bytes(),
        format!("{t}.{body}").as_bytes(),
    );
    assert_eq!(
        v1,
        mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["id"], ids[0]);
    assert_eq!(event["account_id"], IG_USER);
    assert_eq!(event["entry"]["changes"][0]["field"], "comments");
    drop(attempts);
    // Delivered: the outbox is empty, and no further attempt comes.
    w.advance(Duration::from_secs(3600));
    objects.fire_alarms();
    assert_eq!(received.borrow().len(), 3);
}

/// Logs in and lets the object set its first alarm (the token's due time).
fn connect_with_alarm(w: &World, objects: &LocalObjects) -> String {
    let (id, _) = w.connect("instagram");
    let wake = instagate::service::http::Background::Wake {
        account: id.clone(),
        due_at: record(w, &id).due_at(&w.config),
        connected_at: Some(record(w, &id).connected_at),
    };
    block_on(objects.service().run_background(wake));
    assert!(objects.alarm_of(&id).is_some());
    id
}

/// An Instagram Login started and allowed at Meta: (code, state, cookie).
fn login_up_to_the_callback(w: &World) -> (String, String, String) {
    let (state, cookie, location) = w.start_login("instagram");
    let code = w.meta.borrow_mut().issue_code(
        "instagram",
        "https://worker.example/auth/callback",
        query(&location, "code_challenge"),
    );
    (code, state, cookie)
}

/// Meta answers the next refresh call with `answer`.
fn fail_next_refresh(w: &World, answer: Result<Response, Error>) {
    w.meta
        .borrow_mut()
        .fail_next("refresh_access_token", answer);
}

/// Advances the fake clock to `account`'s alarm and fires it.
fn go_to_alarm(w: &World, objects: &LocalObjects, account: &str) {
    let alarm = objects.alarm_of(account).expect("an alarm is set");
    w.advance(alarm.since(w.now()));
    assert_eq!(objects.fire_alarms(), 1);
}

#[test]
fn a_refresh_that_fails_at_its_alarm_sets_a_retry_alarm_with_backoff_and_the_retry_succeeds() {
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    // Meta fails twice (5xx, then a timeout), then answers.
    fail_next_refresh(&w, meta_error(500, 2));
    fail_next_refresh(&w, transport_error());
    let expiry_before = record(&w, &id).token.expires_at.unwrap();
    for (failures, backoff_hours) in [(1u32, 1u64), (2, 2)] {
        go_to_alarm(&w, &objects, &id);
        assert_eq!(refresh_calls(&w), failures as usize);
        assert_eq!(record(&w, &id).consecutive_failures, failures);
        // Equal jitter: between half the backoff and all of it, never now.
        let wait = objects.alarm_of(&id).expect("a retry alarm").since(w.now());
        let full = Duration::from_secs(backoff_hours * 3600);
        assert!(
            wait >= full / 2 && wait <= full,
            "retry {failures}: {wait:?}"
        );
    }
    go_to_alarm(&w, &objects, &id);
    assert_eq!(refresh_calls(&w), 3);
    let after = record(&w, &id);
    assert_eq!(after.consecutive_failures, 0);
    assert!(after.token.expires_at.unwrap() > expiry_before, "refreshed");
    assert_eq!(
        objects.alarm_of(&id),
        after.due_at(&w.config),
        "back to the token's next due time"
    );
    let crons = w.log.records().into_iter().filter(|l| l["event"] == "cron");
    assert_eq!(crons.count(), 0, "no cron run was needed");
}

#[test]
fn a_rate_limited_refresh_retries_when_meta_says() {
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    let limited = Response::new(429, "").with_header("Retry-After", "600");
    fail_next_refresh(&w, Ok(limited));
    go_to_alarm(&w, &objects, &id);
    assert_eq!(
        objects.alarm_of(&id).unwrap().since(w.now()),
        Duration::from_secs(600),
        "Meta's Retry-After, not the hour"
    );
    // A hint of a second is no reason to call again at once.
    let hurried = Response::new(429, "").with_header("Retry-After", "1");
    fail_next_refresh(&w, Ok(hurried));
    go_to_alarm(&w, &objects, &id);
    assert_eq!(
        objects.alarm_of(&id).unwrap().since(w.now()),
        instagate::service::refresh_retry::REFRESH_RETRY_HINT_MIN
    );
    go_to_alarm(&w, &objects, &id);
    assert_eq!(refresh_calls(&w), 3);
    assert_eq!(record(&w, &id).consecutive_failures, 0);
}

#[test]
fn a_refresh_refused_for_an_invalid_token_is_not_retried() {
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    fail_next_refresh(&w, meta_error(400, 190));
    go_to_alarm(&w, &objects, &id);
    assert_eq!(refresh_calls(&w), 1);
    assert!(record(&w, &id).needs_reauth);
    let alarm = objects.alarm_of(&id).unwrap();
    assert!(alarm <= w.now(), "no new alarm after the one that fired");
    // Nothing wakes it again: a week on, still one call.
    w.advance(DAY * 7);
    objects.fire_alarms();
    block_on(objects.service().run_cron());
    assert_eq!(refresh_calls(&w), 1);
}

#[test]
fn a_login_whose_record_the_object_cannot_see_yet_still_sets_the_refresh_alarm() {
    let w = World::new();
    let (code, state, cookie) = login_up_to_the_callback(&w);
    // Workers KV shows a write at other locations only within a minute: the
    // object (elsewhere) reads the account before the login's write arrives.
    w.advance(Duration::from_secs(61));
    w.store
        .set_read_lag(instagate::service::line::KV_VISIBLE_WITHIN);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    let id = query(r.header("location").unwrap(), "connected").unwrap();
    let objects = LocalObjects::new(&w);
    block_on(objects.service().run_background(r.background[0].clone()));
    // (The record as it is once visible everywhere.)
    w.advance(Duration::from_secs(61));
    let due = record(&w, &id).due_at(&w.config).unwrap();
    assert_eq!(
        objects.alarm_of(&id),
        Some(due),
        "the alarm comes from the login's due time, not from the cron"
    );
    w.advance(due.since(w.now()));
    assert_eq!(objects.fire_alarms(), 1);
    assert_eq!(refresh_calls(&w), 1, "refreshed at its alarm");
}

#[test]
fn a_retried_publish_of_staged_media_replays_after_its_object_is_deleted() {
    let w = World::new();
    let (id, _) = w.connect("instagram");
    let objects = LocalObjects::new(&w);
    let image = jpeg(1080, 1080);
    let staged = objects.call_all(vec![w
        .api("POST", &format!("/api/accounts/{id}/media"))
        .with_header("content-type", "image/jpeg")
        .with_header("content-length", &image.len().to_string())
        .with_body(image)]);
    assert_eq!(staged[0].status, 201, "{:?}", staged[0].json_body());
    let reference = staged[0].json_body()["media"]["id"].clone();
    let body = json!({"kind": "image", "image_media_id": reference});
    let first = objects.call_all(vec![publish_req(&w, &id, &body, Some("staged-1"))]);
    assert_eq!(first[0].status, 200, "{:?}", first[0].json_body());
    assert!(w.blobs.keys().is_empty(), "deleted once published");
    // The client lost the answer and retries: the same job, not a 400.
    let again = objects.call_all(vec![publish_req(&w, &id, &body, Some("staged-1"))]);
    assert_eq!(again[0].status, 200, "{:?}", again[0].json_body());
    assert_eq!(
        again[0].json_body()["job"]["id"],
        first[0].json_body()["job"]["id"]
    );
    // A new key with the used reference is refused, and nothing is posted.
    let fresh = objects.call_all(vec![publish_req(&w, &id, &body, Some("staged-2"))]);
    assert_eq!(fresh[0].status, 400, "{:?}", fresh[0].json_body());
    assert_eq!(fresh[0].json_body()["error"]["field"], "image_media_id");
    assert_eq!(w.meta.borrow().media.len(), 1);
    assert_eq!(w.meta.borrow().graph.containers().len(), 1);
}

/// A new login of `w`'s Instagram account (already connected): its wake task.
fn login_again(w: &World) -> instagate::service::http::Background {
    let (code, state, cookie) = login_up_to_the_callback(w);
    let r = w.callback(&code, &state, Some(&cookie));
    assert_eq!(r.status, 302);
    r.background
        .into_iter()
        .find(|t| matches!(t, instagate::service::http::Background::Wake { .. }))
        .expect("the login wakes its object")
}

#[test]
fn a_login_wake_reads_no_kv_and_an_object_reads_its_tombstone_once() {
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    let first_alarm = objects.alarm_of(&id).unwrap();
    // The same account logs in again a day later: a later due time.
    w.advance(DAY);
    let wake = login_again(&w);
    let (kv, storage) = (w.store.ops(), objects.storage_ops(&id));
    block_on(objects.service().run_background(wake));
    assert_eq!(
        w.store.ops().since(&kv).total(),
        0,
        "the login's wake carries what it needs: no record read, no job listing"
    );
    let storage = objects.storage_ops(&id).since(&storage);
    assert_eq!(
        (storage.gets, storage.puts, storage.deletes, storage.lists),
        (1, 0, 0, 0),
        "the alarm read only: the tombstone's absence is known from the first call, and the earlier alarm stays"
    );
    assert_eq!(objects.alarm_of(&id), Some(first_alarm));
    // That earlier alarm finds the token not due yet and moves on to the
    // new due time; the refresh then happens at it.
    go_to_alarm(&w, &objects, &id);
    assert_eq!(refresh_calls(&w), 0);
    let due = record(&w, &id).due_at(&w.config).unwrap();
    assert_eq!(objects.alarm_of(&id), Some(due));
    go_to_alarm(&w, &objects, &id);
    assert_eq!(refresh_calls(&w), 1);
}

#[test]
fn a_scheduled_post_keeps_its_alarm_across_a_new_login_and_goes_live() {
    // The login's wake does not list the account's jobs: a job's own runs
    // keep its object's alarm (this pins that they do).
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    let at = w.now().plus(Duration::from_secs(3600));
    let body = json!({"kind": "image", "image_url": "https://cdn.example/a.jpg", "publish_at": at.to_rfc3339()});
    let r = objects.call_all(vec![publish_req(&w, &id, &body, None)]);
    assert_eq!(r[0].status, 202, "{:?}", r[0].json_body());
    let lead = at.minus(instagate::service::schedule::IMAGE_LEAD);
    assert_eq!(objects.alarm_of(&id), Some(lead));
    w.advance(Duration::from_secs(60));
    block_on(objects.service().run_background(login_again(&w)));
    assert_eq!(objects.alarm_of(&id), Some(lead), "the job's alarm stays");
    go_to_alarm(&w, &objects, &id);
    assert_eq!(objects.alarm_of(&id), Some(at));
    go_to_alarm(&w, &objects, &id);
    assert_eq!(w.meta.borrow().media.len(), 1, "published");
}

#[test]
fn a_login_after_a_delete_clears_the_tombstone_at_its_wake() {
    let w = World::new();
    let objects = LocalObjects::new(&w);
    let id = connect_with_alarm(&w, &objects);
    let r = objects.call_all(vec![w.api("DELETE", &format!("/api/accounts/{id}"))]);
    assert_eq!(r[0].status, 200);
    let object = objects.objects.borrow().get(&id).cloned().unwrap();
    assert!(block_on(object.deleted_at()).unwrap().is_some());
    w.advance(Duration::from_secs(60));
    let wake = login_again(&w);
    block_on(objects.service().run_background(wake));
    assert_eq!(
        block_on(object.deleted_at()).unwrap(),
        None,
        "a later login is a new account"
    );
    assert_eq!(
        block_on(
            object
                .storage()
                .get(instagate::service::account_object::TOMBSTONE)
        )
        .unwrap(),
        None,
        "gone from storage too"
    );
    // The first login's alarm (a minute earlier) stays; it moves on to this
    // login's due time, where the refresh happens.
    let due = record(&w, &id).due_at(&w.config).unwrap();
    assert!(objects.alarm_of(&id).is_some_and(|a| a <= due));
    go_to_alarm(&w, &objects, &id);
    if refresh_calls(&w) == 0 {
        assert_eq!(objects.alarm_of(&id), Some(due));
        go_to_alarm(&w, &objects, &id);
    }
    assert_eq!(
        refresh_calls(&w),
        1,
        "the new account is refreshed at its alarm"
    );
    assert!(w.store.peek(&format!("token:{id}")).is_some());
}

#[test]
fn a_login_after_a_delete_that_reads_a_stale_copy_of_the_deleted_record_stays_connected() {
    // The login's KV read can return the deleted record (another location
    // has not seen the delete yet), and a reconnection keeps the record's
    // `connected_at`: the new record then looks connected before the
    // tombstone. Its login time is what the object compares, so neither the
    // wake nor a later alarm takes it for a leftover of the deleted account.
    for lose_the_wake in [false, true] {
        let w = World::new();
        let objects = LocalObjects::new(&w);
        let id = connect_with_alarm(&w, &objects);
        let stale = w.store.peek(&format!("token:{id}")).unwrap();
        w.advance(Duration::from_secs(60));
        let r = objects.call_all(vec![w.api("DELETE", &format!("/api/accounts/{id}"))]);
        assert_eq!(r[0].status, 200);
        w.advance(Duration::from_secs(60));
        w.store.seed(&format!("token:{id}"), &stale);
        let wake = login_again(&w);
        assert!(
            record(&w, &id).connected_at < w.now().minus(Duration::from_secs(60)),
            "the stale copy's connected_at was kept"
        );
        if !lose_the_wake {
            block_on(objects.service().run_background(wake));
        }
        w.advance(DAY * 31);
        let r = objects.call_all(vec![w.api("POST", &format!("/api/accounts/{id}/refresh"))]);
        assert_eq!(
            r[0].status,
            200,
            "lost wake {lose_the_wake}: {:?}",
            r[0].json_body()
        );
        assert_eq!(r[0].json_body()["outcome"], "refreshed");
        assert!(
            w.store.peek(&format!("token:{id}")).is_some(),
            "lost wake {lose_the_wake}"
        );
        let object = objects.objects.borrow().get(&id).cloned().unwrap();
        assert_eq!(
            block_on(object.deleted_at()).unwrap(),
            None,
            "lost wake {lose_the_wake}: the tombstone is cleared"
        );
    }
}
