//! An in-memory [`KvStore`] for native tests and benchmarks (feature
//! `testing`: never in a library build). [`MemoryStore`] counts every operation (the cron benchmark reports them),
//! expires TTL'd keys on its clock, can fail chosen operations (so tests can
//! prove nothing is half-stored), and can lag reads behind writes to imitate
//! KV's eventual consistency.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
#[cfg(test)]
use std::rc::Rc;
use std::time::Duration;

use crate::core::time::Timestamp;
use crate::service::error::ApiError;
use crate::service::store::{KvOp, KvOps, KvStore, ListPage, MAX_LIST_LIMIT, MIN_TTL};

#[derive(Clone)]
struct Version {
    written_at: u64,
    /// `None` is a deletion.
    value: Option<String>,
    expires_at: Option<u64>,
}

type FaultRule = Box<dyn Fn(KvOp, &str) -> bool>;

/// An in-memory [`KvStore`] on a settable clock.
pub struct MemoryStore {
    /// Every version of every key, oldest first (only the newest is kept
    /// unless a read lag is set).
    data: RefCell<BTreeMap<String, Vec<Version>>>,
    clock: Box<dyn Fn() -> Timestamp>,
    gets: Cell<u64>,
    puts: Cell<u64>,
    deletes: Cell<u64>,
    lists: Cell<u64>,
    fault: RefCell<Option<FaultRule>>,
    read_lag: Cell<Duration>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// A store whose clock stays at zero (TTLs never run out).
    pub fn new() -> MemoryStore {
        MemoryStore::with_clock(|| Timestamp::from_millis(0))
    }

    /// A store that reads the time from `clock` (e.g. the test transport's).
    pub fn with_clock(clock: impl Fn() -> Timestamp + 'static) -> MemoryStore {
        MemoryStore {
            data: RefCell::new(BTreeMap::new()),
            clock: Box::new(clock),
            gets: Cell::new(0),
            puts: Cell::new(0),
            deletes: Cell::new(0),
            lists: Cell::new(0),
            fault: RefCell::new(None),
            read_lag: Cell::new(Duration::ZERO),
        }
    }

    /// Operation counts so far.
    pub fn ops(&self) -> KvOps {
        KvOps {
            gets: self.gets.get(),
            puts: self.puts.get(),
            deletes: self.deletes.get(),
            lists: self.lists.get(),
        }
    }

    /// Makes every operation for which `rule(op, key)` holds fail with a
    /// storage error (the operation has no effect). `None` clears it.
    pub fn fail_when(&self, rule: Option<FaultRule>) {
        *self.fault.borrow_mut() = rule;
    }

    /// Reads (get and list) see the store as it was `lag` ago, like a KV
    /// location that has not caught up yet. Writes are immediate.
    pub fn set_read_lag(&self, lag: Duration) {
        self.read_lag.set(lag);
    }

    /// Writes without counting (seeding benchmarks and tests).
    pub fn seed(&self, key: &str, value: &str) {
        self.write(key, Some(value.to_owned()), None);
    }

    /// Every live key and value, in key order (for assertions on what is stored).
    pub fn dump(&self) -> Vec<(String, String)> {
        let now = self.now();
        self.data
            .borrow()
            .iter()
            .filter_map(|(k, versions)| {
                let v = versions.last()?;
                live(v, now).map(|value| (k.clone(), value.to_owned()))
            })
            .collect()
    }

    /// Live keys with `prefix` (uncounted).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.dump()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with(prefix))
            .collect()
    }

    /// The live value at `key` (uncounted).
    pub fn peek(&self, key: &str) -> Option<String> {
        let now = self.now();
        let data = self.data.borrow();
        data.get(key)
            .and_then(|v| v.last())
            .and_then(|v| live(v, now).map(str::to_owned))
    }

    /// The TTL deadline of `key`, if it has one.
    pub fn expiry(&self, key: &str) -> Option<Timestamp> {
        let data = self.data.borrow();
        data.get(key)
            .and_then(|v| v.last())
            .and_then(|v| v.expires_at)
            .map(Timestamp::from_millis)
    }

    fn now(&self) -> u64 {
        (self.clock)().as_millis()
    }

    fn check_fault(&self, op: KvOp, key: &str) -> Result<(), ApiError> {
        match &*self.fault.borrow() {
            Some(rule) if rule(op, key) => Err(ApiError::storage(format!(
                "injected KV failure on {op:?} {key}"
            ))),
            _ => Ok(()),
        }
    }

    fn write(&self, key: &str, value: Option<String>, ttl: Option<Duration>) {
        let now = self.now();
        let version = Version {
            written_at: now,
            value,
            expires_at: ttl.map(|t| now + t.as_millis() as u64),
        };
        let keep_history = !self.read_lag.get().is_zero();
        let mut data = self.data.borrow_mut();
        let versions = data.entry(key.to_owned()).or_default();
        if !keep_history {
            versions.clear();
        }
        versions.push(version);
    }

    /// The version of `key` a reader sees now.
    fn visible<'a>(&self, versions: &'a [Version], now: u64) -> Option<&'a Version> {
        let horizon = now.saturating_sub(self.read_lag.get().as_millis() as u64);
        versions.iter().rev().find(|v| v.written_at <= horizon)
    }
}

fn live(v: &Version, now: u64) -> Option<&str> {
    match (&v.value, v.expires_at) {
        (Some(_), Some(exp)) if exp <= now => None,
        (Some(value), _) => Some(value),
        (None, _) => None,
    }
}

impl KvStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.gets.set(self.gets.get() + 1);
        self.check_fault(KvOp::Get, key)?;
        let now = self.now();
        let data = self.data.borrow();
        Ok(data
            .get(key)
            .and_then(|versions| self.visible(versions, now))
            .and_then(|v| live(v, now).map(str::to_owned)))
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), ApiError> {
        self.puts.set(self.puts.get() + 1);
        self.check_fault(KvOp::Put, key)?;
        if let Some(ttl) = ttl {
            if ttl < MIN_TTL {
                return Err(ApiError::storage(format!(
                    "KV TTL must be at least 60 s, got {} s",
                    ttl.as_secs()
                )));
            }
        }
        self.write(key, Some(value.to_owned()), ttl);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.deletes.set(self.deletes.get() + 1);
        self.check_fault(KvOp::Delete, key)?;
        if self.data.borrow().contains_key(key) {
            self.write(key, None, None);
        }
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, ApiError> {
        self.lists.set(self.lists.get() + 1);
        self.check_fault(KvOp::List, prefix)?;
        let limit = limit.clamp(1, MAX_LIST_LIMIT) as usize;
        let now = self.now();
        let data = self.data.borrow();
        let start = cursor.unwrap_or(prefix).to_owned();
        let mut keys = Vec::new();
        let mut more = false;
        for (key, versions) in data.range(start..) {
            if !key.starts_with(prefix) {
                break;
            }
            if cursor == Some(key.as_str()) {
                continue;
            }
            let visible = self
                .visible(versions, now)
                .and_then(|v| live(v, now))
                .is_some();
            if !visible {
                continue;
            }
            if keys.len() == limit {
                more = true;
                break;
            }
            keys.push(key.clone());
        }
        let cursor = if more { keys.last().cloned() } else { None };
        Ok(ListPage { keys, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::block_on;

    #[test]
    fn list_pages_in_key_order_with_a_cursor() {
        let s = MemoryStore::new();
        for k in [
            "due:20260102:b",
            "due:20260101:a",
            "due:20260103:c",
            "token:1",
        ] {
            s.seed(k, "1");
        }
        let p = block_on(s.list("due:", None, 2)).unwrap();
        assert_eq!(p.keys, ["due:20260101:a", "due:20260102:b"]);
        let p2 = block_on(s.list("due:", p.cursor.as_deref(), 2)).unwrap();
        assert_eq!(p2.keys, ["due:20260103:c"]);
        assert_eq!(p2.cursor, None);
        assert_eq!(s.ops().lists, 2);
    }

    #[test]
    fn ttl_expires_on_the_clock() {
        let now = Rc::new(Cell::new(0u64));
        let clock = now.clone();
        let s = MemoryStore::with_clock(move || Timestamp::from_millis(clock.get()));
        block_on(s.put("state:x", "v", Some(Duration::from_secs(600)))).unwrap();
        now.set(599_000);
        assert_eq!(block_on(s.get("state:x")).unwrap().as_deref(), Some("v"));
        now.set(600_000);
        assert_eq!(block_on(s.get("state:x")).unwrap(), None);
        assert!(block_on(s.put("k", "v", Some(Duration::from_secs(10)))).is_err());
    }

    #[test]
    fn faults_and_read_lag() {
        let now = Rc::new(Cell::new(1_000_000u64));
        let clock = now.clone();
        let s = MemoryStore::with_clock(move || Timestamp::from_millis(clock.get()));
        s.fail_when(Some(Box::new(|op, key| {
            op == KvOp::Put && key.starts_with("token:")
        })));
        assert_eq!(
            block_on(s.put("token:1", "v", None)).unwrap_err().kind,
            "storage"
        );
        assert_eq!(s.peek("token:1"), None);
        s.fail_when(None);
        s.set_read_lag(Duration::from_secs(60));
        block_on(s.put("a", "1", None)).unwrap();
        assert_eq!(block_on(s.get("a")).unwrap(), None, "not visible yet");
        now.set(now.get() + 60_000);
        assert_eq!(block_on(s.get("a")).unwrap().as_deref(), Some("1"));
        block_on(s.delete("a")).unwrap();
        assert_eq!(
            block_on(s.get("a")).unwrap().as_deref(),
            Some("1"),
            "stale read"
        );
    }
}
