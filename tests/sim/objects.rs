//! The simulation's Durable Objects: one real [`AccountObject`] (the pure
//! state machine of `src/service/account_object.rs`) per account, each with
//! its own in-memory, strongly consistent storage, and an [`AccountLine`]
//! that carries the Worker's work to them as the object namespace does.
//! Alarms an object sets are noted here and fired by the simulation's clock
//! (an `Alarm` event, whose work is `AccountWork::Wake`).
//!
//! Two switches exist only to test the checker: `NoLock` runs the work
//! beside the object (no turn, no shared refresh, no tombstone), and
//! `NoTombstone` hides the deletion tombstone from the work. Either must
//! make the simulation's invariants fail.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use instagate::core::http::Transport;
use instagate::core::time::Timestamp;
use instagate::service::account_object::{AccountObject, ObjectStorage};
use instagate::service::config::ServiceConfig as Config;
use instagate::service::error::ApiError;
use instagate::service::line::{AccountLine, AccountWork, WorkReply};
use instagate::service::log::NoLog;
use instagate::service::memory_store::MemoryStore;
use instagate::service::store::KvStore;
use instagate::service::Service;

/// How the objects are run (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectMode {
    Real,
    /// Checker test: the work runs outside the object's turn.
    NoLock,
    /// Checker test: the work never sees the deletion tombstone.
    NoTombstone,
}

/// One object's storage: memory, and every alarm it sets noted for the clock.
pub struct ObjectStore {
    account: String,
    inner: MemoryStore,
    alarms_set: Rc<RefCell<Vec<(String, u64)>>>,
}

impl ObjectStorage for ObjectStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        KvStore::get(&self.inner, key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<(), ApiError> {
        KvStore::put(&self.inner, key, value, None).await
    }
    async fn delete(&self, key: &str) -> Result<(), ApiError> {
        KvStore::delete(&self.inner, key).await
    }
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        ObjectStorage::keys(&self.inner, prefix).await
    }
    async fn alarm(&self) -> Result<Option<Timestamp>, ApiError> {
        ObjectStorage::alarm(&self.inner).await
    }
    async fn set_alarm(&self, at: Timestamp) -> Result<(), ApiError> {
        self.alarms_set
            .borrow_mut()
            .push((self.account.clone(), at.as_millis()));
        ObjectStorage::set_alarm(&self.inner, at).await
    }
}

/// The object namespace: one object per account id, created on first use.
pub struct Objects {
    pub mode: ObjectMode,
    objects: RefCell<HashMap<String, Rc<AccountObject<ObjectStore>>>>,
    alarms_set: Rc<RefCell<Vec<(String, u64)>>>,
    /// Pieces of work handed to objects (the Worker's calls to them).
    pub handoffs: Cell<u64>,
}

impl Objects {
    pub fn new(mode: ObjectMode) -> Objects {
        Objects {
            mode,
            objects: RefCell::new(HashMap::new()),
            alarms_set: Rc::new(RefCell::new(Vec::new())),
            handoffs: Cell::new(0),
        }
    }

    fn object(&self, account: &str) -> Rc<AccountObject<ObjectStore>> {
        self.objects
            .borrow_mut()
            .entry(account.to_owned())
            .or_insert_with(|| {
                Rc::new(AccountObject::new(ObjectStore {
                    account: account.to_owned(),
                    inner: MemoryStore::new(),
                    alarms_set: self.alarms_set.clone(),
                }))
            })
            .clone()
    }

    /// The alarms set since the last call: (account, when).
    pub fn take_alarms_set(&self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.alarms_set.borrow_mut())
    }

    /// When `account`'s alarm is set to go off.
    pub fn alarm_of(&self, account: &str) -> Option<u64> {
        let object = self.objects.borrow().get(account).cloned()?;
        instagate::core::testing::block_on(object.storage().alarm())
            .ok()
            .flatten()
            .map(Timestamp::as_millis)
    }
}

/// The line to the objects, for one invocation of the Worker.
pub struct SimLine<'a, S, T> {
    pub objects: &'a Objects,
    pub config: &'a Config,
    pub store: &'a S,
    pub transport: &'a T,
}

impl<S: KvStore, T: Transport> AccountLine for SimLine<'_, S, T> {
    fn run<'s>(
        &'s self,
        account: &'s str,
        work: AccountWork,
    ) -> LocalBoxFuture<'s, Result<WorkReply, ApiError>> {
        Box::pin(async move {
            self.objects.handoffs.set(self.objects.handoffs.get() + 1);
            // Inside the object: a service without a line does the work.
            let inside = Service::new(self.config, self.store, self.transport, &NoLog);
            let now = self.transport.now();
            match self.objects.mode {
                ObjectMode::NoLock => inside.perform(account, work, None).await,
                mode => {
                    let hide = mode == ObjectMode::NoTombstone;
                    let object = self.objects.object(account);
                    object
                        .run(work, now, |work, deleted_at| {
                            let inside = &inside;
                            let seen = if hide && !matches!(work, AccountWork::Delete { .. }) {
                                None
                            } else {
                                deleted_at
                            };
                            async move { inside.perform(account, work, seen).await }
                        })
                        .await
                }
            }
        })
    }
}
