//! A deterministic simulation of the token lifecycle, shared by the test
//! `tests/sim_tokens.rs` (short) and the benchmark `benches/sim_tokens.rs`
//! (10,000 accounts, 120 days).
//!
//! It runs the real service — `Service::run_cron` (jobs phase, then the
//! refresh phase with its budget and due index), `Accounts::save`, the
//! keyring, and `POST /api/accounts/{id}/refresh` through `Service::handle` —
//! natively, with no network, against:
//! - [`SimNet`], a [`Transport`] over the harness's `FakeMeta` (which keeps
//!   Meta's token rules: `ig_refresh_token` only for an unexpired token at
//!   least 24 h old, 60-day lifetime, revoked tokens answer 190) that adds
//!   latency and faults: 5xx, 429 with `Retry-After`, timeouts, lost
//!   answers (the refresh happened upstream, the answer never came),
//!   outages for everyone or for a few accounts;
//! - [`EcStore`], an eventually consistent KV around `MemoryStore`: every
//!   read (get or list) sees the store as it was a random 0–60 s ago;
//! - a fake clock: the cron runs at :17 every hour (a few runs are skipped,
//!   as a missed trigger would be), owners press "refresh now" at random
//!   times (often within a minute of a cron run, where stale reads bite),
//!   a few users remove the app (190) and some log in again;
//! - the accounts' Durable Objects ([`objects`]): by default the cron and
//!   the API hand each account's work to its real `AccountObject` (own
//!   in-memory storage), whose alarms the fake clock fires; "refresh now"
//!   often comes in bursts racing each other, the account's alarm or a
//!   cron run, and accounts are deleted while a refresh is in flight (then
//!   pressed again while reads are stale). `objects: None` is the old
//!   cron-only path, for comparison.
//!
//! Faults are drawn per account and hour from the seed, so "was Instagram
//! reachable for this account at that cron run" is a fact the checker can
//! look up. Invariants, checked after every step (see [`Sim::check_all`]):
//! 1. no account's token expires while Instagram was reachable for it at
//!    one or more cron runs in its refresh window;
//! 2. a delivered 190 marks `needs_reauth`, and the record keeps the last
//!    good token; `needs_reauth` is never set without such a cause;
//! 3. no cron run exceeds its subrequest or KV budget (counted here, and
//!    the run's own figures must agree);
//! 4. a run's KV operations are bounded by the due index entries it could
//!    see, not by the number of accounts;
//! 5. (objects) never two calls to Meta in flight at once for one account;
//! 6. (objects) a deleted account stays deleted: no record or due entry of
//!    it is ever stored again.
//!
//! Everything follows from the seed: a failure names it, and `SIM_SEED=<n>`
//! replays it.
#![allow(dead_code, clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join_all, LocalBoxFuture};
use instagate::core::config::Product;
use instagate::core::error::{Error, ErrorKind};
use instagate::core::http::{Request, Response, Transport};
use instagate::core::secret::AccessToken;
use instagate::core::testing::{block_on, graph_error, ScriptedTransport};
use instagate::core::time::Timestamp;
use instagate::core::token::{TokenKind, TokenRecord};
use instagate::service::accounts::{AccountRecord, Accounts, RefreshEvent};
use instagate::service::error::ApiError;
use instagate::service::line::{AccountLine, AccountWork};
use instagate::service::log::NoLog;
use instagate::service::memory_store::MemoryStore;
use instagate::service::refresh::KV_OPS_PER_ACCOUNT;
use instagate::service::store::{KvOps, KvStore, ListPage, MAX_LIST_LIMIT};
use instagate::service::Service;

use crate::service_common::{config, FakeMeta, World, YieldOnce, LONG_LIVED, START};

pub mod objects;

use objects::{ObjectMode, Objects, SimLine};

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 86_400_000;
/// The cron's minute (wrangler.toml: `17 * * * *`).
const CRON_MINUTE_MS: u64 = 17 * 60_000;
const TIMEOUT: Duration = Duration::from_secs(15);

/// The seeds the test runs when `SIM_SEED` is not set: the same every run,
/// so CI is reproducible (seeds that once found a bug belong here).
pub const FIXED_SEEDS: [u64; 3] = [1, 2, 3];

/// The first seed: `SIM_SEED=<n>`, `SIM_SEED=random` for a fresh one
/// (printed by whoever fails), else the first of [`FIXED_SEEDS`].
pub fn seed_from_env() -> u64 {
    match std::env::var("SIM_SEED") {
        Ok(s) if s.trim() == "random" => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            mix(nanos, u64::from(std::process::id()), 0) % 1_000_000_000
        }
        Ok(s) => s.trim().parse().unwrap_or_else(|_| {
            panic!("SIM_SEED must be an unsigned integer or \"random\", got {s:?}")
        }),
        Err(_) => FIXED_SEEDS[0],
    }
}

/// The seeds a test runs: [`FIXED_SEEDS`], or `count` in a row from `SIM_SEED`.
pub fn seeds_from_env(count: u64) -> Vec<u64> {
    if std::env::var_os("SIM_SEED").is_none() {
        return FIXED_SEEDS.to_vec();
    }
    let base = seed_from_env();
    (base..base + count).collect()
}

/// SplitMix64: small, fast and fully determined by the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix(self.0)
    }
    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        unit(self.next_u64()) < p
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix(a: u64, b: u64, c: u64) -> u64 {
    splitmix(splitmix(splitmix(a) ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ c)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimParams {
    pub seed: u64,
    pub accounts: u32,
    pub days: u32,
    /// Accounts connect at uniform times in [-(60 days - refresh window),
    /// `connect_days`): the ones before 0 were connected before the
    /// simulation, with a token a cron that kept up had kept fresh.
    pub connect_days: u32,
    /// Share of Facebook Login accounts (a Page token, checked weekly).
    pub page_share: f64,
    /// Accounts whose user removes the app at a random time (Meta answers 190).
    pub revoked: u32,
    /// Accounts unreachable for one stretch of 20–45 days.
    pub outage_accounts: u32,
    /// Per account and hour: the chance of each fault.
    pub p_5xx: f64,
    pub p_429: f64,
    pub p_timeout: f64,
    pub p_lost: f64,
    /// Per day: the chance of a 1–12 h outage for everyone.
    pub p_global_outage: f64,
    /// Per account and day: the chance its owner presses "refresh now".
    pub p_refresh_now: f64,
    /// Per hour: the chance the cron trigger is missed.
    pub p_skip_cron: f64,
    /// How stale a read may be (Workers KV: up to 60 s).
    pub max_lag: Duration,
    /// Test of the checker: this account's record writes are silently lost
    /// after its first one, so its token must be reported as expiring.
    pub sabotage_account: Option<u32>,
    /// Run refreshes and deletes through the accounts' objects (with
    /// their alarms) as the Worker does; `None`: the old cron-only path.
    pub objects: Option<ObjectMode>,
    /// Accounts deleted (through the API) at a random time, each racing a
    /// "refresh now" and followed by stale reads.
    pub deleted: u32,
    /// Per "refresh now": the chance it comes as a burst of concurrent
    /// presses (racing each other, and the alarm or cron when due).
    pub p_burst: f64,
    /// Worker settings over the test defaults (e.g. `REFRESH_WINDOW_DAYS`,
    /// `CRON_MAX_SUBREQUESTS`).
    pub settings: Vec<(String, String)>,
}

impl SimParams {
    /// The CI version: 1,000 accounts for 30 days.
    pub fn short(seed: u64) -> SimParams {
        SimParams {
            seed,
            accounts: 1_000,
            days: 30,
            connect_days: 15,
            page_share: 0.1,
            revoked: 6,
            outage_accounts: 4,
            p_5xx: 0.03,
            p_429: 0.02,
            p_timeout: 0.02,
            p_lost: 0.01,
            p_global_outage: 0.05,
            p_refresh_now: 0.01,
            p_skip_cron: 0.01,
            max_lag: Duration::from_secs(60),
            sabotage_account: None,
            objects: Some(ObjectMode::Real),
            deleted: 8,
            p_burst: 0.3,
            settings: Vec::new(),
        }
    }

    /// The benchmark: 10,000 accounts for 120 days.
    pub fn long(seed: u64) -> SimParams {
        SimParams {
            accounts: 10_000,
            days: 120,
            connect_days: 60,
            revoked: 30,
            outage_accounts: 20,
            deleted: 30,
            ..SimParams::short(seed)
        }
    }
}

/// One fault class for an (account, hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    None,
    ServerError,
    RateLimited,
    Timeout,
    Lost,
    Outage,
}

/// Which faults happen where: decided by the seed alone, so that
/// reachability can be looked up by the checker.
pub struct Faults {
    seed: u64,
    start: u64,
    p: [f64; 4],
    global: Vec<(u64, u64)>,
    per_account: HashMap<String, (u64, u64)>,
}

impl Faults {
    fn hour(&self, now: u64) -> u64 {
        now.saturating_sub(self.start) / HOUR_MS
    }

    pub fn at(&self, account: &str, now: u64) -> Fault {
        let in_window = |(a, b): (u64, u64)| a <= now && now < b;
        if self.global.iter().any(|w| in_window(*w))
            || self.per_account.get(account).is_some_and(|w| in_window(*w))
        {
            return Fault::Outage;
        }
        let id: u64 = account.parse().unwrap_or(0);
        let x = unit(mix(self.seed, id, self.hour(now)));
        let [p5, p4, pt, pl] = self.p;
        if x < p5 {
            Fault::ServerError
        } else if x < p5 + p4 {
            Fault::RateLimited
        } else if x < p5 + p4 + pt {
            Fault::Timeout
        } else if x < p5 + p4 + pt + pl {
            Fault::Lost
        } else {
            Fault::None
        }
    }

    /// A full round trip to Meta works for `account` at `now`.
    pub fn reachable(&self, account: &str, now: u64) -> bool {
        self.at(account, now) == Fault::None
    }
}

/// The network: the harness's fake Meta, plus latency and faults.
pub struct SimNet {
    pub inner: Rc<ScriptedTransport>,
    pub meta: Rc<RefCell<FakeMeta>>,
    pub faults: Faults,
    rng: RefCell<Rng>,
    pub sends: Cell<u64>,
    pub injected: RefCell<HashMap<Fault, u64>>,
    /// Tokens for which a 190 answer reached the service.
    pub delivered_190: RefCell<Vec<String>>,
    /// Every call waits a turn before it is answered (so concurrent
    /// triggers really interleave, as `fetch` does in a Durable Object).
    pub yielding: bool,
    /// Calls to Meta in flight, by account.
    in_flight: RefCell<HashMap<String, u32>>,
    /// Accounts that had two calls to Meta in flight at once.
    pub overlaps: RefCell<Vec<String>>,
    /// `refresh_access_token` calls sent.
    pub refresh_calls: Cell<u64>,
}

impl SimNet {
    fn subject_of(&self, request: &Request) -> Option<String> {
        let token = request
            .params()
            .into_iter()
            .find(|(k, _)| k == "access_token")?
            .1;
        self.meta
            .borrow()
            .tokens
            .get(&token)
            .map(|t| t.subject.clone())
    }
}

fn token_param(request: &Request) -> String {
    request
        .params()
        .into_iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

impl Transport for SimNet {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        self.sends.set(self.sends.get() + 1);
        if request.path().ends_with("refresh_access_token") {
            self.refresh_calls.set(self.refresh_calls.get() + 1);
        }
        let now = self.inner.now().as_millis();
        let subject = self.subject_of(&request);
        let fault = subject
            .as_deref()
            .map_or(Fault::None, |s| self.faults.at(s, now));
        let Some(subject) = subject.filter(|_| self.yielding) else {
            return self.answer(request, fault).await;
        };
        // "At most one call to Meta per account at a time": counted
        // across the yield, where the other triggers run.
        let running = {
            let mut in_flight = self.in_flight.borrow_mut();
            let n = in_flight.entry(subject.clone()).or_default();
            *n += 1;
            *n
        };
        if running > 1 {
            self.overlaps.borrow_mut().push(subject.clone());
        }
        YieldOnce::default().await;
        let answer = self.answer(request, fault).await;
        YieldOnce::default().await;
        if let Some(n) = self.in_flight.borrow_mut().get_mut(&subject) {
            *n -= 1;
        }
        answer
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await
    }

    fn now(&self) -> Timestamp {
        self.inner.now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        self.inner.fill_random(buf)
    }
}

impl SimNet {
    /// Meta's answer, or the fault in its place.
    async fn answer(&self, request: Request, fault: Fault) -> Result<Response, Error> {
        let latency = 50 + self.rng.borrow_mut().below(750);
        self.inner.advance(Duration::from_millis(latency));
        if fault != Fault::None {
            *self.injected.borrow_mut().entry(fault).or_default() += 1;
        }
        let outage_kind = self.rng.borrow_mut().below(2);
        match fault {
            Fault::None => {
                let token = token_param(&request);
                let answer = self.inner.send(request).await;
                if let Ok(r) = &answer {
                    if r.status >= 400 && r.body.contains("\"code\":190") {
                        self.delivered_190.borrow_mut().push(token);
                    }
                }
                answer
            }
            Fault::ServerError => Ok(graph_error(503, 2, None, "Service temporarily unavailable")),
            Fault::Outage if outage_kind == 0 => Ok(Response::new(502, "<html>Bad Gateway</html>")),
            Fault::RateLimited => {
                let after = 60 + self.rng.borrow_mut().below(3600);
                Ok(
                    graph_error(429, 4, None, "Application request limit reached")
                        .with_header("Retry-After", &after.to_string()),
                )
            }
            Fault::Timeout | Fault::Outage => {
                self.inner.advance(TIMEOUT);
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("Meta did not answer within {} ms", TIMEOUT.as_millis()),
                ))
            }
            Fault::Lost => {
                // Meta acts on the request; its answer never arrives.
                let _ = self.inner.send(request).await;
                Err(Error::new(
                    ErrorKind::Transport,
                    "connection reset after the request was sent",
                ))
            }
        }
    }
}

/// Workers KV's consistency, around the in-memory store: writes land at
/// once, every read sees the store as it was a random 0..=`max_lag` ago.
/// It counts its own operations (the checker's figures, independent of
/// the service's), and keeps the due index and the written records aside
/// for the checker, uncounted.
pub struct EcStore {
    inner: MemoryStore,
    clock: Rc<ScriptedTransport>,
    rng: RefCell<Rng>,
    max_lag_ms: u64,
    /// The writes of the last `max_lag`: (when, key, value before it).
    recent: RefCell<VecDeque<(u64, String, Option<String>)>>,
    ops: Cell<KvOps>,
    due_index: RefCell<BTreeSet<String>>,
    /// The live due entries, by account.
    due_of: RefCell<HashMap<String, BTreeSet<String>>>,
    written_records: RefCell<Vec<(String, String)>>,
    /// Reads that returned something other than the current value.
    pub stale_reads: Cell<u64>,
    /// Record writes to this key are dropped (checker test).
    sabotaged: RefCell<Option<String>>,
}

impl EcStore {
    pub fn new(clock: Rc<ScriptedTransport>, seed: u64, max_lag: Duration) -> EcStore {
        let c = clock.clone();
        EcStore {
            inner: MemoryStore::with_clock(move || c.now()),
            clock,
            rng: RefCell::new(Rng::new(seed)),
            max_lag_ms: max_lag.as_millis() as u64,
            recent: RefCell::new(VecDeque::new()),
            ops: Cell::new(KvOps::default()),
            due_index: RefCell::new(BTreeSet::new()),
            due_of: RefCell::new(HashMap::new()),
            written_records: RefCell::new(Vec::new()),
            stale_reads: Cell::new(0),
            sabotaged: RefCell::new(None),
        }
    }

    pub fn ops(&self) -> KvOps {
        self.ops.get()
    }

    fn count(&self, f: impl FnOnce(&mut KvOps)) {
        let mut o = self.ops.get();
        f(&mut o);
        self.ops.set(o);
    }

    fn now(&self) -> u64 {
        self.clock.now().as_millis()
    }

    /// The moment this read sees, and drops history older than any read sees.
    fn horizon(&self) -> u64 {
        let now = self.now();
        let mut recent = self.recent.borrow_mut();
        while recent
            .front()
            .is_some_and(|(at, _, _)| *at + self.max_lag_ms < now)
        {
            recent.pop_front();
        }
        let lag = self.rng.borrow_mut().below(self.max_lag_ms + 1);
        now.saturating_sub(lag)
    }

    /// `Some(value at horizon)` if `key` changed after `horizon`.
    fn stale_value(&self, key: &str, horizon: u64) -> Option<Option<String>> {
        self.recent
            .borrow()
            .iter()
            .find(|(at, k, _)| *at > horizon && k == key)
            .map(|(_, _, before)| before.clone())
    }

    fn record_write(&self, key: &str, value: Option<&str>) {
        let before = self.inner.peek(key);
        self.recent
            .borrow_mut()
            .push_back((self.now(), key.to_owned(), before));
        if key.starts_with("due:") {
            let mut index = self.due_index.borrow_mut();
            let account = key.rsplit(':').next().unwrap_or_default().to_owned();
            let mut due_of = self.due_of.borrow_mut();
            let of = due_of.entry(account).or_default();
            match value {
                Some(_) => {
                    of.insert(key.to_owned());
                    index.insert(key.to_owned())
                }
                None => {
                    of.remove(key);
                    index.remove(key)
                }
            };
        }
        if let (Some(id), Some(v)) = (key.strip_prefix("token:"), value) {
            self.written_records
                .borrow_mut()
                .push((id.to_owned(), v.to_owned()));
        }
    }

    /// Index entries dated `yyyymmdd` or earlier that a read may see now
    /// (live ones plus those deleted less than `max_lag` ago).
    pub fn due_entries_upto(&self, yyyymmdd: &str) -> usize {
        let end = format!("due:{yyyymmdd}:~");
        let index = self.due_index.borrow();
        let live = index.range(..end.clone()).count();
        let gone: BTreeSet<String> = self
            .recent
            .borrow()
            .iter()
            .filter(|(_, k, _)| k.starts_with("due:") && *k < end && !index.contains(k))
            .map(|(_, k, _)| k.clone())
            .collect();
        live + gone.len()
    }

    /// The keys of account `id` that are stored now (its record and due
    /// entries), uncounted.
    pub fn account_keys(&self, id: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .due_of
            .borrow()
            .get(id)
            .map(|k| k.iter().cloned().collect())
            .unwrap_or_default();
        let record = format!("token:{id}");
        if self.inner.peek(&record).is_some() {
            keys.push(record);
        }
        keys
    }

    /// The account of the first due entry (the one a cron run takes first).
    pub fn first_due_account(&self) -> Option<String> {
        let index = self.due_index.borrow();
        let key = index.iter().next()?;
        key.rsplit(':').next().map(str::to_owned)
    }

    pub fn due_entries(&self) -> usize {
        self.due_index.borrow().len()
    }

    pub fn take_written_records(&self) -> Vec<(String, String)> {
        std::mem::take(&mut self.written_records.borrow_mut())
    }

    /// The current value, uncounted and never stale.
    pub fn peek(&self, key: &str) -> Option<String> {
        self.inner.peek(key)
    }

    pub fn sabotage(&self, key: Option<String>) {
        *self.sabotaged.borrow_mut() = key;
    }
}

impl KvStore for EcStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.count(|o| o.gets += 1);
        let horizon = self.horizon();
        if let Some(old) = self.stale_value(key, horizon) {
            if old != self.inner.peek(key) {
                self.stale_reads.set(self.stale_reads.get() + 1);
            }
            return Ok(old);
        }
        self.inner.get(key).await
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), ApiError> {
        self.count(|o| o.puts += 1);
        if self.sabotaged.borrow().as_deref() == Some(key) {
            return Ok(());
        }
        self.record_write(key, Some(value));
        self.inner.put(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.count(|o| o.deletes += 1);
        if self.inner.peek(key).is_some() {
            self.record_write(key, None);
        }
        self.inner.delete(key).await
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, ApiError> {
        self.count(|o| o.lists += 1);
        let limit = limit.clamp(1, MAX_LIST_LIMIT) as usize;
        let horizon = self.horizon();
        // Keys under `prefix` changed since the horizon: visible as they were then.
        let mut changed: HashMap<String, bool> = HashMap::new();
        for (at, k, before) in self.recent.borrow().iter() {
            if *at > horizon && k.starts_with(prefix) && cursor.is_none_or(|c| k.as_str() > c) {
                changed.entry(k.clone()).or_insert(before.is_some());
            }
        }
        // Enough current keys that, after hiding the changed ones, a full page remains.
        let want = limit + changed.len() + 1;
        let mut current: Vec<String> = Vec::new();
        let mut inner_cursor = cursor.map(str::to_owned);
        let mut exhausted = false;
        while current.len() < want {
            let page = self
                .inner
                .list(prefix, inner_cursor.as_deref(), MAX_LIST_LIMIT)
                .await?;
            current.extend(page.keys);
            match page.cursor {
                Some(c) => inner_cursor = Some(c),
                None => {
                    exhausted = true;
                    break;
                }
            }
        }
        let last = current.last().cloned();
        let mut keys: BTreeSet<String> = current
            .into_iter()
            .filter(|k| changed.get(k).copied().unwrap_or(true))
            .collect();
        for (k, visible) in &changed {
            let in_range = exhausted || last.as_ref().is_some_and(|l| k <= l);
            if *visible && in_range {
                keys.insert(k.clone());
            }
        }
        if !changed.is_empty() {
            self.stale_reads.set(self.stale_reads.get() + 1);
        }
        let more = keys.len() > limit || !exhausted;
        let keys: Vec<String> = keys.into_iter().take(limit).collect();
        let cursor = if more { keys.last().cloned() } else { None };
        Ok(ListPage { keys, cursor })
    }
}

/// What the checker knows about one stored record.
#[derive(Clone, Debug)]
struct Shadow {
    token: String,
    /// Meta's own issue and expiry times of that token.
    meta_issued: u64,
    meta_expires: Option<u64>,
    needs_reauth: bool,
    reason: Option<String>,
    written_at: u64,
}

struct Account {
    id: String,
    page: bool,
    connect_at: u64,
    connected: bool,
    shadow: Option<Shadow>,
    /// When its owner removed the app (Meta revoked its tokens).
    revoked_at: Option<u64>,
    /// Deleted through the API: none of its keys may come back.
    deleted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Connect(usize),
    Cron,
    RefreshNow(usize),
    Revoke(usize),
    Reconnect(usize),
    /// An object's alarm set for this time goes off.
    Alarm(usize, u64),
    Delete(usize),
}

/// Figures of one simulation.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub seed: u64,
    pub accounts: u32,
    pub days: u32,
    pub cron_runs: u64,
    pub cron_skipped: u64,
    pub refreshed: u64,
    pub checked: u64,
    pub failed: u64,
    pub not_due_yet: u64,
    pub stale_entries: u64,
    pub needs_reauth_190: u64,
    pub needs_reauth_expired: u64,
    pub left_over_max: u32,
    pub subrequests: u64,
    pub max_subrequests_per_run: u64,
    /// Runs that used their whole subrequest budget.
    pub runs_at_budget: u64,
    /// The least time a token had left when the cron or "refresh now"
    /// replaced it (accounts without a long outage), in hours.
    pub min_hours_left_at_refresh: Option<u64>,
    /// Where that least margin was seen: the account, the day of the
    /// simulation, and how the token was replaced (its last history entries).
    pub least_margin_at: Option<(String, f64, String)>,
    pub window_days: u64,
    pub max_kv_ops_per_run: u64,
    pub max_due_entries: usize,
    /// Per bucket of due entries a run could see: (label, runs, max ops, total ops).
    pub kv_by_due: Vec<(&'static str, u64, u64, u64)>,
    /// Faults the network injected, by kind.
    pub injected: Vec<(String, u64)>,
    /// Failures the service recorded in history, by error kind.
    pub failures_by_kind: Vec<(String, u64)>,
    pub refresh_now: Vec<(u16, u64)>,
    pub reconnects: u64,
    pub revocations: u64,
    pub stale_reads: u64,
    /// Records written with an older token than the one before (a stale
    /// read raced a newer write; the older token was still valid).
    pub token_regressions: u64,
    /// Expiries excused because Meta was never reachable in the window.
    pub excused_expiries: u64,
    /// Must be 0: accounts whose token expired while Meta was reachable, or
    /// that need a new login without a cause.
    pub tokens_lost: u64,
    pub kv_ops_total: u64,
    /// Object mode: alarms that went off, work handed to objects, bursts
    /// of concurrent triggers, accounts deleted (each racing a refresh).
    pub alarms_fired: u64,
    pub handoffs: u64,
    pub bursts: u64,
    pub deleted: u64,
    /// Refreshes the alarms did (the cron's share is `refreshed`).
    pub alarm_refreshes: u64,
}

/// An invariant broke.
#[derive(Debug)]
pub struct Failure {
    pub seed: u64,
    pub at: Timestamp,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "simulation invariant broken at {} (seed {}): {}\nreplay with SIM_SEED={}",
            self.at.to_rfc3339(),
            self.seed,
            self.message,
            self.seed
        )
    }
}

/// The world under simulation.
pub struct Sim {
    p: SimParams,
    world: World,
    net: SimNet,
    store: EcStore,
    rng: Rng,
    accounts: Vec<Account>,
    by_id: HashMap<String, usize>,
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
    cron_times: Vec<u64>,
    start: u64,
    end: u64,
    report: Report,
    failures_by_kind: HashMap<String, u64>,
    refresh_now: HashMap<u16, u64>,
    kv_buckets: [(u64, u64, u64); 4],
    max_run_ms: u64,
    objects: Option<Objects>,
    deleted: Vec<usize>,
}

fn fail<T>(seed: u64, at: u64, message: String) -> Result<T, Failure> {
    Err(Failure {
        seed,
        at: Timestamp::from_millis(at),
        message,
    })
}

impl Sim {
    pub fn new(p: SimParams) -> Sim {
        let settings: Vec<(&str, &str)> = p
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let world = World::with_config(config(&settings));
        world.transport.set_seed(p.seed);
        let start = START.as_millis() - START.as_millis() % DAY_MS;
        let now = world.now().as_millis();
        world.advance(Duration::from_millis(start.saturating_sub(now)));
        let start = world.now().as_millis();
        let end = start + u64::from(p.days) * DAY_MS;
        let mut rng = Rng::new(p.seed);

        let mut global = Vec::new();
        for day in 0..u64::from(p.days) {
            if rng.chance(p.p_global_outage) {
                let from = start + day * DAY_MS + rng.below(DAY_MS);
                global.push((from, from + HOUR_MS * (1 + rng.below(12))));
            }
        }
        let mut accounts = Vec::with_capacity(p.accounts as usize);
        let mut by_id = HashMap::new();
        // A cron that kept up would have refreshed every token older than this.
        let kept_fresh =
            (LONG_LIVED.saturating_sub(world.config.refresh_window)).as_millis() as u64;
        let span = u64::from(p.connect_days) * DAY_MS + kept_fresh;
        for i in 0..p.accounts {
            let id = format!("{}", 17_841_400_000_000_000u64 + u64::from(i) * 7 + 3);
            let connect_at = (start + rng.below(span)).saturating_sub(kept_fresh);
            by_id.insert(id.clone(), accounts.len());
            accounts.push(Account {
                id,
                page: rng.chance(p.page_share),
                connect_at,
                connected: false,
                shadow: None,
                revoked_at: None,
                deleted: false,
            });
        }
        if let Some(i) = p.sabotage_account {
            // (A Page token never expires: the checker test needs one that does.)
            accounts[i as usize].page = false;
        }
        let mut per_account = HashMap::new();
        for k in 0..p.outage_accounts {
            let a = &mut accounts[rng.below(u64::from(p.accounts)) as usize];
            // Connected before the start with a token 25-40 days old, so
            // the outage decides whether it can be refreshed in time.
            a.connect_at = start - (25 * DAY_MS + rng.below(15 * DAY_MS));
            a.page = false;
            // Half from the first cron run on (doomed when the outage
            // outlasts the token), half starting within the first days.
            let from = if k % 2 == 0 {
                start
            } else {
                start + rng.below(u64::from(p.days.min(20)) * DAY_MS / 2)
            };
            let len = (20 + rng.below(26)) * DAY_MS;
            per_account.insert(a.id.clone(), (from, from + len));
        }
        let faults = Faults {
            seed: p.seed,
            start,
            p: [p.p_5xx, p.p_429, p.p_timeout, p.p_lost],
            global,
            per_account,
        };
        let net = SimNet {
            inner: world.transport.clone(),
            meta: world.meta.clone(),
            faults,
            rng: RefCell::new(Rng::new(p.seed ^ 1)),
            sends: Cell::new(0),
            injected: RefCell::new(HashMap::new()),
            delivered_190: RefCell::new(Vec::new()),
            yielding: p.objects.is_some(),
            in_flight: RefCell::new(HashMap::new()),
            overlaps: RefCell::new(Vec::new()),
            refresh_calls: Cell::new(0),
        };
        let store = EcStore::new(world.transport.clone(), p.seed ^ 2, p.max_lag);
        let mut sim = Sim {
            report: Report {
                seed: p.seed,
                accounts: p.accounts,
                days: p.days,
                window_days: world.config.refresh_window.as_secs() / 86_400,
                ..Report::default()
            },
            world,
            net,
            store,
            rng,
            accounts,
            by_id,
            queue: BinaryHeap::new(),
            seq: 0,
            cron_times: Vec::new(),
            start,
            end,
            failures_by_kind: HashMap::new(),
            refresh_now: HashMap::new(),
            kv_buckets: [(0, 0, 0); 4],
            max_run_ms: 0,
            objects: p.objects.map(Objects::new),
            deleted: Vec::new(),
            p,
        };
        for i in 0..sim.accounts.len() {
            let at = sim.accounts[i].connect_at.max(start);
            sim.schedule(at, Event::Connect(i));
        }
        for _ in 0..sim.p.revoked {
            let i = sim.rng.below(u64::from(sim.p.accounts)) as usize;
            let at = start + sim.rng.below(end - start);
            sim.schedule(at, Event::Revoke(i));
        }
        for _ in 0..sim.p.deleted {
            let i = sim.rng.below(u64::from(sim.p.accounts)) as usize;
            let at = start + sim.rng.below(end - start);
            sim.schedule(at, Event::Delete(i));
        }
        sim.schedule(start + CRON_MINUTE_MS, Event::Cron);
        sim
    }

    fn schedule(&mut self, at: u64, e: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, e)));
    }

    fn now(&self) -> u64 {
        self.world.now().as_millis()
    }

    fn fail<T>(&self, message: String) -> Result<T, Failure> {
        fail(self.p.seed, self.now(), message)
    }

    /// Runs to the end; the first broken invariant ends it.
    pub fn run(mut self) -> Result<Report, Failure> {
        while let Some(Reverse((at, _, event))) = self.queue.pop() {
            if at >= self.end {
                break;
            }
            let now = self.now();
            if at > now {
                self.world.advance(Duration::from_millis(at - now));
            }
            match event {
                Event::Connect(i) => self.connect(i, false)?,
                Event::Reconnect(i) => {
                    if self.accounts[i]
                        .shadow
                        .as_ref()
                        .is_some_and(|s| s.needs_reauth)
                    {
                        self.connect(i, true)?;
                    }
                }
                Event::Revoke(i) => self.revoke(i),
                Event::RefreshNow(i) => self.refresh_now(i)?,
                Event::Cron => self.cron(at)?,
                Event::Alarm(i, at) => self.alarm(i, at)?,
                Event::Delete(i) => self.delete(i)?,
            }
        }
        self.finish()
    }

    /// The line to the accounts' objects (object mode).
    fn line(&self) -> Option<SimLine<'_, EcStore, SimNet>> {
        self.objects.as_ref().map(|objects| SimLine {
            objects,
            config: &self.world.config,
            store: &self.store,
            transport: &self.net,
        })
    }

    /// One Worker invocation's service, with the line when objects run.
    fn service<'s>(
        &'s self,
        line: &'s Option<SimLine<'s, EcStore, SimNet>>,
    ) -> Service<'s, EcStore, SimNet> {
        let service = Service::new(&self.world.config, &self.store, &self.net, &NoLog);
        match line {
            Some(l) => service.with_line(l),
            None => service,
        }
    }

    /// `n` concurrent "refresh now" calls for account `i`, racing `also`
    /// (an alarm's wake or a cron run); their statuses.
    fn race_refresh_now<'s>(
        &'s self,
        service: &'s Service<'s, EcStore, SimNet>,
        i: usize,
        n: usize,
        also: Option<LocalBoxFuture<'s, ()>>,
    ) -> Vec<u16> {
        let path = format!("/api/accounts/{}/refresh", self.accounts[i].id);
        let mut calls: Vec<LocalBoxFuture<'s, Option<u16>>> = (0..n)
            .map(|_| {
                let req = self.world.api("POST", &path);
                Box::pin(async move { Some(service.handle(req).await.status) })
                    as LocalBoxFuture<'s, Option<u16>>
            })
            .collect();
        if let Some(other) = also {
            calls.insert(
                (n / 2).min(calls.len()),
                Box::pin(async move {
                    other.await;
                    None
                }),
            );
        }
        block_on(join_all(calls)).into_iter().flatten().collect()
    }

    fn accounts_api(&self) -> Accounts<'_, EcStore, SimNet> {
        Accounts {
            store: &self.store,
            transport: &self.net,
            config: &self.world.config,
        }
    }

    /// Stores a completed login the way `Service::store_connected` does:
    /// a new long-lived token (or Page token), history and index entry of
    /// an existing record kept.
    fn connect(&mut self, i: usize, again: bool) -> Result<(), Failure> {
        let now = self.now();
        let (id, page) = (self.accounts[i].id.clone(), self.accounts[i].page);
        // Accounts connected before the start: a token the cron had kept fresh.
        let issued = if !again && self.accounts[i].connect_at < self.start {
            self.accounts[i].connect_at
        } else {
            now
        };
        let issued_ts = Timestamp::from_millis(issued);
        let token = if page {
            self.world.meta.borrow_mut().issue_token(
                "facebook",
                "page",
                &id,
                issued_ts,
                None,
                vec!["instagram_content_publish".into()],
            )
        } else {
            self.world.meta.borrow_mut().issue_token(
                "instagram",
                "long",
                &id,
                issued_ts,
                Some(LONG_LIVED),
                vec!["instagram_business_content_publish".into()],
            )
        };
        let existing = block_on(self.accounts_api().load(&id)).unwrap_or(None);
        let history = existing
            .as_ref()
            .map(|e| e.history.clone())
            .unwrap_or_default();
        let last_checked = if page && issued < now {
            Timestamp::from_millis(now - self.rng.below(7 * DAY_MS))
        } else {
            Timestamp::from_millis(now)
        };
        let mut record = AccountRecord {
            id: id.clone(),
            product: if page {
                Product::Facebook
            } else {
                Product::Instagram
            },
            username: format!("sim_{i}"),
            name: None,
            account_type: (!page).then(|| "BUSINESS".to_owned()),
            token: TokenRecord {
                access_token: AccessToken::new(token),
                kind: if page {
                    TokenKind::FacebookPage
                } else {
                    TokenKind::InstagramLongLived
                },
                scopes: vec!["instagram_business_content_publish".into()],
                issued_at: issued_ts,
                expires_at: (!page).then(|| issued_ts.plus(LONG_LIVED)),
                ig_user_id: Some(id.clone()),
            },
            page_id: page.then(|| format!("2{}", &id[1..])),
            page_name: None,
            aliases: vec![],
            facebook_user_id: None,
            connected_at: existing
                .as_ref()
                .map_or(Timestamp::from_millis(now), |e| e.connected_at),
            logged_in_at: Some(Timestamp::from_millis(now)),
            updated_at: Timestamp::from_millis(now),
            needs_reauth: false,
            reauth_reason: None,
            last_checked_at: Some(last_checked),
            consecutive_failures: 0,
            history,
            due_key: existing.and_then(|e| e.due_key),
            meta_user: Some(id.clone()),
            sessions_valid_after: None,
        };
        // The same "connected" entry a real login adds.
        record.push_history(RefreshEvent {
            at: Timestamp::from_millis(now),
            outcome: "connected".into(),
            error_kind: None,
        });
        if let Err(e) = block_on(self.accounts_api().save(&mut record)) {
            return self.fail(format!("connecting {id}: {e:?}"));
        }
        if again {
            self.report.reconnects += 1;
            self.accounts[i].revoked_at = None;
        }
        self.accounts[i].connected = true;
        // A login wakes the account's object, which sets its alarm (from the
        // due time the login stored when a stale read hides the record).
        if let Some(line) = self.line() {
            let due_at = record.due_at(&self.world.config);
            let work = AccountWork::Connected {
                due_at,
                connected_at: Some(record.connected_at),
            };
            if let Err(e) = block_on(line.run(&id, work)) {
                return self.fail(format!("waking the object of {id} after its login: {e:?}"));
            }
        }
        if self.p.sabotage_account == Some(i as u32) {
            self.store.sabotage(Some(format!("token:{id}")));
        }
        self.after_step(Some(i))?;
        // Its owner's "refresh now" presses until the end.
        let mut t = now;
        loop {
            let gap = (-(1.0 - unit(self.rng.next_u64())).ln() / self.p.p_refresh_now.max(1e-9)
                * DAY_MS as f64) as u64;
            t = t.saturating_add(gap.max(60_000));
            if t >= self.end || again {
                break;
            }
            // Often right next to a cron run, where stale reads matter.
            let at = if self.rng.chance(0.4) {
                let run = t - (t - self.start) % HOUR_MS + CRON_MINUTE_MS;
                if self.rng.chance(0.5) {
                    run.saturating_sub(1 + self.rng.below(60_000))
                } else {
                    run + 1 + self.rng.below(60_000)
                }
            } else {
                t
            };
            self.schedule(at, Event::RefreshNow(i));
        }
        Ok(())
    }

    fn revoke(&mut self, i: usize) {
        if !self.accounts[i].connected || self.accounts[i].revoked_at.is_some() {
            return;
        }
        let id = self.accounts[i].id.clone();
        self.world.meta.borrow_mut().revoke_all(&id);
        self.accounts[i].revoked_at = Some(self.now());
        self.report.revocations += 1;
        if self.rng.chance(0.5) {
            let at = self.now() + DAY_MS + self.rng.below(9 * DAY_MS);
            self.schedule(at, Event::Reconnect(i));
        }
    }

    fn refresh_now(&mut self, i: usize) -> Result<(), Failure> {
        if !self.accounts[i].connected && !self.accounts[i].deleted {
            return Ok(());
        }
        let id = self.accounts[i].id.clone();
        // With objects, often a burst of presses, racing the alarm when due.
        let burst = self.objects.is_some() && self.rng.chance(self.p.p_burst);
        let n = if burst {
            2 + self.rng.below(3) as usize
        } else {
            1
        };
        let alarm_due = burst
            && self
                .objects
                .as_ref()
                .and_then(|o| o.alarm_of(&id))
                .is_some_and(|at| at <= self.now());
        let line = self.line();
        let service = self.service(&line);
        let wake = line.as_ref().filter(|_| alarm_due).map(|l| {
            let id = id.clone();
            Box::pin(async move {
                let _ = l.run(&id, AccountWork::Wake).await;
            }) as LocalBoxFuture<'_, ()>
        });
        let statuses = self.race_refresh_now(&service, i, n, wake);
        if burst {
            self.report.bursts += 1;
        }
        if alarm_due {
            self.report.alarms_fired += 1;
        }
        for status in statuses {
            *self.refresh_now.entry(status).or_default() += 1;
            if status == 500 {
                return self.fail(format!("refresh now of {id} answered 500"));
            }
        }
        self.after_step(Some(i))
    }

    /// An object's alarm goes off: its `Wake`, sometimes racing a "refresh now".
    fn alarm(&mut self, i: usize, at: u64) -> Result<(), Failure> {
        let id = self.accounts[i].id.clone();
        let Some(objects) = &self.objects else {
            return Ok(());
        };
        // Replaced by a later alarm (that one has its own event).
        if objects.alarm_of(&id) != Some(at) {
            return Ok(());
        }
        let racing = self.rng.chance(self.p.p_burst);
        let refreshed_before = self.net.refresh_calls.get();
        let line = self.line();
        let service = self.service(&line);
        let wake = line.as_ref().map(|l| {
            let id = id.clone();
            Box::pin(async move {
                let _ = l.run(&id, AccountWork::Wake).await;
            }) as LocalBoxFuture<'_, ()>
        });
        let statuses = self.race_refresh_now(&service, i, usize::from(racing), wake);
        self.report.alarms_fired += 1;
        self.report.alarm_refreshes += self.net.refresh_calls.get() - refreshed_before;
        for status in statuses {
            *self.refresh_now.entry(status).or_default() += 1;
            if status == 500 {
                return self.fail(format!(
                    "refresh now of {id} (racing its alarm) answered 500"
                ));
            }
        }
        self.after_step(Some(i))
    }

    /// `DELETE /api/accounts/{id}` racing a "refresh now"; then stale reads
    /// and the cron's stale index entries must not bring the account back.
    fn delete(&mut self, i: usize) -> Result<(), Failure> {
        if !self.accounts[i].connected || self.accounts[i].deleted {
            return Ok(());
        }
        let id = self.accounts[i].id.clone();
        let line = self.line();
        let service = self.service(&line);
        let request = self.world.api("DELETE", &format!("/api/accounts/{id}"));
        let delete = Box::pin(async {
            let r = service.handle(request).await;
            assert!(
                r.status == 200 || r.status == 404,
                "DELETE answered {}",
                r.status
            );
        }) as LocalBoxFuture<'_, ()>;
        let statuses = self.race_refresh_now(&service, i, 1, Some(delete));
        for status in statuses {
            *self.refresh_now.entry(status).or_default() += 1;
        }
        // Writes of the refresh that ran before the delete are the live account's.
        self.after_step(Some(i))?;
        let a = &mut self.accounts[i];
        a.deleted = true;
        a.connected = false;
        a.shadow = None;
        self.deleted.push(i);
        self.report.deleted += 1;
        // Presses within the next minute read the deleted record (stale).
        for _ in 0..2 {
            let at = self.now() + 1_000 + self.rng.below(self.p.max_lag.as_millis() as u64);
            self.schedule(at, Event::RefreshNow(i));
        }
        self.after_step(Some(i))
    }

    fn cron(&mut self, at: u64) -> Result<(), Failure> {
        let next = at + HOUR_MS;
        self.schedule(next, Event::Cron);
        if self.rng.chance(self.p.p_skip_cron) {
            self.report.cron_skipped += 1;
            return Ok(());
        }
        let now = self.now();
        self.cron_times.push(now);
        let today = Timestamp::from_millis(now).yyyymmdd();
        let visible_due = self.store.due_entries_upto(&today);
        let (ops0, sends0) = (self.store.ops(), self.net.sends.get());
        let handoffs0 = self.objects.as_ref().map_or(0, |o| o.handoffs.get());
        // With objects, a "refresh now" of the first due account sometimes
        // races the run (which hands that account to its object too).
        let racer = self
            .store
            .first_due_account()
            .and_then(|id| self.by_id.get(&id).copied())
            .filter(|&i| self.accounts[i].connected)
            .filter(|_| self.objects.is_some() && self.rng.chance(self.p.p_burst));
        let line = self.line();
        let service = self.service(&line);
        let stats = match racer {
            None => block_on(service.run_cron()),
            Some(i) => {
                let stats = RefCell::new(None);
                let run = Box::pin(async {
                    *stats.borrow_mut() = Some(service.run_cron().await);
                }) as LocalBoxFuture<'_, ()>;
                let statuses = self.race_refresh_now(&service, i, 1, Some(run));
                if statuses.contains(&500) {
                    return self.fail("refresh now racing the cron answered 500".into());
                }
                stats.into_inner().expect("the cron run finished")
            }
        };
        if racer.is_some() {
            self.report.bursts += 1;
        }
        let handoffs = self.objects.as_ref().map_or(0, |o| o.handoffs.get()) - handoffs0;
        self.report.handoffs += handoffs;
        let ops = self.store.ops().since(&ops0).total();
        // With objects, the run itself calls objects (its subrequests) and
        // lists the index; the objects' own KV work is their budget.
        let (sends, ops) = match (&self.objects, racer) {
            (None, _) => (self.net.sends.get() - sends0, ops),
            (Some(_), None) => (handoffs, ops - stats.refresh.object_kv_ops),
            // The racer's calls are in both counts: the run's own figures.
            (Some(_), Some(_)) => (u64::from(stats.subrequests), stats.kv_ops),
        };
        self.max_run_ms = self.max_run_ms.max(self.now() - now);
        let c = &self.world.config;

        // 3. The budget, by our own count, and the run's figures agree.
        if sends > u64::from(c.cron_max_subrequests) || ops > u64::from(c.cron_max_kv_ops) {
            return self.fail(format!(
                "cron run over budget: {sends} subrequests (max {}), {ops} KV ops (max {})",
                c.cron_max_subrequests, c.cron_max_kv_ops
            ));
        }
        if u64::from(stats.subrequests) != sends || stats.kv_ops != ops {
            return self.fail(format!(
                "cron run reports {} subrequests / {} KV ops, counted {sends} / {ops}",
                stats.subrequests, stats.kv_ops
            ));
        }
        // 4. Cost follows the due entries it could see, not all accounts:
        // the jobs list, index pages, and at most 4 operations per entry
        // worked on (get, put entry, put record, delete entry).
        let worked = visible_due.min(c.cron_max_subrequests as usize) as u64;
        let pages = 1 + visible_due as u64 / u64::from(MAX_LIST_LIMIT) + 1;
        let per_account = if self.objects.is_some() {
            0
        } else {
            u64::from(KV_OPS_PER_ACCOUNT)
        };
        let bound = 1 + pages + per_account * worked;
        if ops > bound {
            return self.fail(format!(
                "cron run used {ops} KV ops with {visible_due} due index entries visible (bound {bound}); {} accounts in all",
                self.accounts.len()
            ));
        }

        let r = &mut self.report;
        r.cron_runs += 1;
        r.refreshed += u64::from(stats.refresh.refreshed);
        r.checked += u64::from(stats.refresh.checked);
        r.failed += u64::from(stats.refresh.failed);
        r.not_due_yet += u64::from(stats.refresh.not_due_yet);
        r.stale_entries += u64::from(stats.refresh.stale);
        r.left_over_max = r.left_over_max.max(stats.refresh.left_over);
        r.subrequests += sends;
        r.max_subrequests_per_run = r.max_subrequests_per_run.max(sends);
        if sends >= u64::from(c.cron_max_subrequests) {
            r.runs_at_budget += 1;
        }
        r.max_kv_ops_per_run = r.max_kv_ops_per_run.max(ops);
        r.max_due_entries = r.max_due_entries.max(visible_due);
        r.kv_ops_total += ops;
        let b = match visible_due {
            0 => 0,
            1..=9 => 1,
            10..=40 => 2,
            _ => 3,
        };
        let bucket = &mut self.kv_buckets[b];
        *bucket = (bucket.0 + 1, bucket.1.max(ops), bucket.2 + ops);
        self.after_step(None)
    }

    /// Reads what the last step wrote, then checks the invariants (for one
    /// account, or all after a cron run).
    fn after_step(&mut self, only: Option<usize>) -> Result<(), Failure> {
        let now = self.now();
        for (id, sealed) in self.store.take_written_records() {
            self.observe_write(&id, &sealed, now)?;
        }
        // 5. One call to Meta per account at a time (the object's turn).
        let overlaps = std::mem::take(&mut *self.net.overlaps.borrow_mut());
        if let Some(id) = overlaps.first() {
            return self.fail(format!(
                "account {id} had two calls to Meta in flight at once ({} such calls)",
                overlaps.len()
            ));
        }
        // 6. A deleted account stays deleted: none of its keys is back.
        for &i in &self.deleted {
            let keys = self.store.account_keys(&self.accounts[i].id);
            if !keys.is_empty() {
                return self.fail(format!(
                    "account {} was deleted, but {keys:?} is stored again",
                    self.accounts[i].id
                ));
            }
        }
        // The alarms objects set go off on the clock.
        let alarms = self
            .objects
            .as_ref()
            .map(Objects::take_alarms_set)
            .unwrap_or_default();
        for (id, at) in alarms {
            if let Some(&i) = self.by_id.get(&id) {
                self.schedule(at.max(now), Event::Alarm(i, at));
            }
        }
        // 2. A delivered 190 marks needs_reauth (on the record that holds
        // that token).
        let delivered = std::mem::take(&mut *self.net.delivered_190.borrow_mut());
        for token in delivered {
            let subject = self
                .world
                .meta
                .borrow()
                .tokens
                .get(&token)
                .map(|t| t.subject.clone());
            let Some(i) = subject.and_then(|s| self.by_id.get(&s).copied()) else {
                continue;
            };
            if let Some(s) = &self.accounts[i].shadow {
                if s.token == token && !s.needs_reauth {
                    return self.fail(format!(
                        "account {} got 190 for its stored token but is not marked needs_reauth",
                        self.accounts[i].id
                    ));
                }
            }
        }
        match only {
            Some(i) => self.check(i, now),
            None => {
                for i in 0..self.accounts.len() {
                    self.check(i, now)?;
                }
                Ok(())
            }
        }
    }

    fn observe_write(&mut self, id: &str, sealed: &str, now: u64) -> Result<(), Failure> {
        let key = format!("token:{id}");
        let plain = match self.world.config.keyring.open(sealed, &key) {
            Ok(p) => p,
            Err(e) => return self.fail(format!("record {key} does not open: {e:?}")),
        };
        let record: AccountRecord = match serde_json::from_slice(&plain) {
            Ok(r) => r,
            Err(e) => return self.fail(format!("record {key} does not decode: {e}")),
        };
        let Some(&i) = self.by_id.get(id) else {
            return self.fail(format!("a record for an unknown account {id}"));
        };
        if self.accounts[i].deleted {
            return self.fail(format!(
                "account {id} was deleted, but a record of it was written again"
            ));
        }
        let token = record.token.access_token.expose_secret().to_owned();
        let info = self.world.meta.borrow().tokens.get(&token).cloned();
        let Some(info) = info else {
            return self.fail(format!("{key} holds a token Meta never issued"));
        };
        if info.subject != id {
            return self.fail(format!("{key} holds a token of account {}", info.subject));
        }
        if let Some(h) = record.history.first() {
            if h.outcome == "failed" {
                let kind = h.error_kind.clone().unwrap_or_else(|| "unknown".into());
                *self.failures_by_kind.entry(kind).or_default() += 1;
            }
        }
        let shadow = Shadow {
            token: token.clone(),
            meta_issued: info.issued_at.as_millis(),
            meta_expires: info.expires_at.map(Timestamp::as_millis),
            needs_reauth: record.needs_reauth,
            reason: record.reauth_reason.clone(),
            written_at: now,
        };
        if let Some(prev) = &self.accounts[i].shadow {
            let refreshed = shadow.token != prev.token
                && record
                    .history
                    .first()
                    .is_none_or(|h| h.outcome != "connected");
            if let (true, Some(left)) = (refreshed, prev.meta_expires) {
                if !self.net.faults.per_account.contains_key(id) {
                    let hours = left.saturating_sub(now) / HOUR_MS;
                    let least = &mut self.report.min_hours_left_at_refresh;
                    if least.is_none_or(|h| hours < h) {
                        let day = now.saturating_sub(self.start) as f64 / DAY_MS as f64;
                        let how = record
                            .history
                            .iter()
                            .take(4)
                            .map(|h| {
                                format!(
                                    "{}@{:.2}",
                                    h.outcome,
                                    h.at.as_millis().saturating_sub(self.start) as f64
                                        / DAY_MS as f64
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.report.least_margin_at = Some((id.to_owned(), day, how));
                    }
                    *least = Some(least.map_or(hours, |h| h.min(hours)));
                }
            }
            if shadow.meta_issued < prev.meta_issued {
                self.report.token_regressions += 1;
            }
            if shadow.needs_reauth && !prev.needs_reauth {
                // "keeps the last good token" (an older one only when a
                // stale read raced a write of the last minutes).
                let raced = now.saturating_sub(prev.written_at)
                    <= self.p.max_lag.as_millis() as u64 + self.max_run_ms + 60_000;
                if shadow.token != prev.token && !raced {
                    return self.fail(format!(
                        "account {id} marked needs_reauth with another token than its last good one"
                    ));
                }
                match shadow.reason.as_deref() {
                    Some("token_expired") => self.report.needs_reauth_expired += 1,
                    _ => self.report.needs_reauth_190 += 1,
                }
            }
        }
        self.accounts[i].shadow = Some(shadow);
        Ok(())
    }

    /// 1 and 2: the stored token is alive, or the account legitimately
    /// needs a new login.
    fn check(&mut self, i: usize, now: u64) -> Result<(), Failure> {
        let a = &self.accounts[i];
        let Some(s) = &a.shadow else {
            return Ok(());
        };
        if !a.connected {
            return Ok(());
        }
        let expired = s.meta_expires.is_some_and(|e| e <= now);
        if !s.needs_reauth && !expired {
            return Ok(());
        }
        let revoked = self.token_revoked(&s.token);
        if s.needs_reauth && revoked {
            return Ok(());
        }
        if expired {
            let e = s.meta_expires.unwrap_or(0);
            if self.excused(&a.id, e) {
                return Ok(());
            }
            self.report.tokens_lost += 1;
            // What the account went through, for the replay.
            let history = self
                .store
                .peek(&format!("token:{}", a.id))
                .and_then(|sealed| {
                    let key = format!("token:{}", a.id);
                    let plain = self.world.config.keyring.open(&sealed, &key).ok()?;
                    serde_json::from_slice::<AccountRecord>(&plain).ok()
                })
                .map(|r| {
                    r.history
                        .iter()
                        .map(|h| {
                            format!(
                                "{}@{}{}",
                                h.outcome,
                                h.at.to_rfc3339(),
                                h.error_kind
                                    .as_deref()
                                    .map(|k| format!("({k})"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let alarm = self
                .objects
                .as_ref()
                .and_then(|o| o.alarm_of(&a.id))
                .map(|at| Timestamp::from_millis(at).to_rfc3339());
            return self.fail(format!(
                "account {} ({}): its token expired at {} although Meta was reachable at a cron run in its refresh window (needs_reauth: {}); object alarm {alarm:?}; history, newest first: {history}",
                a.id,
                if a.page { "page" } else { "instagram" },
                Timestamp::from_millis(e).to_rfc3339(),
                s.needs_reauth
            ));
        }
        self.report.tokens_lost += 1;
        self.fail(format!(
            "account {} needs a new login ({:?}) but its token is valid and not revoked",
            a.id, s.reason
        ))
    }

    /// Meta has revoked `token` (an unknown token counts as not revoked).
    fn token_revoked(&self, token: &str) -> bool {
        self.world
            .meta
            .borrow()
            .tokens
            .get(token)
            .is_some_and(|t| t.revoked)
    }

    /// Meta was unreachable for `id` at every cron run in the refresh window
    /// before `expires`.
    fn excused(&self, id: &str, expires: u64) -> bool {
        let from = expires.saturating_sub(self.world.config.refresh_window.as_millis() as u64);
        let lo = self.cron_times.partition_point(|&t| t < from);
        let hi = self.cron_times.partition_point(|&t| t < expires);
        self.cron_times[lo..hi]
            .iter()
            .all(|&t| !self.net.faults.reachable(id, t))
    }

    fn finish(mut self) -> Result<Report, Failure> {
        let now = self.now();
        // Every account once more, and count the excused expiries.
        for i in 0..self.accounts.len() {
            self.check(i, now)?;
            // (Revoked accounts keep their last token, which expires in
            // time: only the others are expiries the outage excused.)
            if let Some(s) = &self.accounts[i].shadow {
                let revoked = self.token_revoked(&s.token);
                if !revoked && s.meta_expires.is_some_and(|e| e <= now) {
                    self.report.excused_expiries += 1;
                }
            }
        }
        let mut injected: Vec<(String, u64)> = self
            .net
            .injected
            .borrow()
            .iter()
            .map(|(k, v)| (format!("{k:?}"), *v))
            .collect();
        injected.sort();
        let mut failures: Vec<(String, u64)> = self.failures_by_kind.into_iter().collect();
        failures.sort();
        let mut statuses: Vec<(u16, u64)> = self.refresh_now.into_iter().collect();
        statuses.sort();
        let labels = ["0", "1-9", "10-40", ">40"];
        self.report.kv_by_due = self
            .kv_buckets
            .iter()
            .zip(labels)
            .map(|(&(runs, max, total), l)| (l, runs, max, total))
            .collect();
        self.report.injected = injected;
        self.report.failures_by_kind = failures;
        self.report.refresh_now = statuses;
        self.report.stale_reads = self.store.stale_reads.get();
        Ok(self.report)
    }
}

/// Runs one simulation.
pub fn run(p: SimParams) -> Result<Report, Failure> {
    Sim::new(p).run()
}

impl Report {
    /// The figures, one per line.
    pub fn print(&self) {
        println!(
            "seed {}: {} accounts, {} days, {} cron runs ({} triggers missed)",
            self.seed, self.accounts, self.days, self.cron_runs, self.cron_skipped
        );
        println!(
            "refreshed {} | Page tokens checked {} | failed attempts {} | not yet due {} | stale index entries {}",
            self.refreshed, self.checked, self.failed, self.not_due_yet, self.stale_entries
        );
        println!(
            "needs_reauth: {} from 190 ({} revocations), {} expired during long outages (excused: {}) | reconnects {}",
            self.needs_reauth_190,
            self.revocations,
            self.needs_reauth_expired,
            self.excused_expiries,
            self.reconnects
        );
        println!("faults injected: {:?}", self.injected);
        println!("failures recorded by kind: {:?}", self.failures_by_kind);
        println!("refresh now answers by status: {:?}", self.refresh_now);
        println!(
            "per run: max {} subrequests ({} runs used the whole budget), max {} KV ops, max {} due entries visible, max {} left over",
            self.max_subrequests_per_run,
            self.runs_at_budget,
            self.max_kv_ops_per_run,
            self.max_due_entries,
            self.left_over_max
        );
        if let Some(h) = self.min_hours_left_at_refresh {
            println!(
                "least lifetime left when a token was refreshed: {:.1} days (window {} days)",
                h as f64 / 24.0,
                self.window_days
            );
            if let Some((id, day, how)) = &self.least_margin_at {
                println!("  seen on day {day:.2} for account {id} (history, newest first, by day: {how})");
            }
        }
        for (label, runs, max, total) in &self.kv_by_due {
            if *runs > 0 {
                println!(
                    "  runs with {label:>5} due entries: {runs:>5}, KV ops max {max:>4}, mean {:.1}",
                    *total as f64 / *runs as f64
                );
            }
        }
        if self.handoffs + self.alarms_fired > 0 {
            println!(
                "objects: {} alarms went off ({} refresh calls from them) | {} pieces of cron work handed over | {} bursts of concurrent triggers | {} accounts deleted while refreshing",
                self.alarms_fired, self.alarm_refreshes, self.handoffs, self.bursts, self.deleted
            );
        }
        println!(
            "stale reads {} | token regressions (stale read raced a newer write) {} | tokens lost {}",
            self.stale_reads, self.token_regressions, self.tokens_lost
        );
    }
}
