//! Settings built once and reused while their inputs stay the same: the
//! Worker keeps one [`ConfigCache`] per isolate, so a request does not parse
//! and validate every var, decode `TOKEN_KEYS` and expand the AES keys again
//! (see `src/worker/isolate.rs`).
//!
//! The cache remembers which environment the value was built from (an
//! identity, e.g. the JS `env` object) and every setting the build read,
//! with its value. The same identity reuses the value without reading
//! anything; another identity has those settings read again and compared,
//! so a changed var or secret builds anew and an equal environment under a
//! new identity still reuses it. A build that fails is not kept: the next
//! request tries again and gets the same clear error.

use std::cell::RefCell;
use std::rc::Rc;

/// A setting name and the value the build saw (`None`: not set).
type Read = (String, Option<String>);

/// How a build reads a setting by name.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

struct Entry<K, T> {
    identity: K,
    read: Vec<Read>,
    value: Rc<T>,
}

/// One cached value, built by a function of a settings lookup.
pub struct ConfigCache<K, T> {
    entry: Option<Entry<K, T>>,
}

impl<K, T> Default for ConfigCache<K, T> {
    fn default() -> Self {
        ConfigCache { entry: None }
    }
}

impl<K: PartialEq, T> ConfigCache<K, T> {
    pub const fn new() -> ConfigCache<K, T> {
        ConfigCache { entry: None }
    }

    /// The value for the environment `identity`, whose settings `lookup`
    /// reads: the cached one when the environment is the same (same
    /// identity, or every setting the build read has the same value now),
    /// else `build(lookup)`, kept when it succeeds.
    pub fn get_or_build<E>(
        &mut self,
        identity: K,
        lookup: impl Fn(&str) -> Option<String>,
        build: impl FnOnce(Lookup<'_>) -> Result<T, E>,
    ) -> Result<Rc<T>, E> {
        if let Some(entry) = &mut self.entry {
            if entry.identity == identity {
                return Ok(entry.value.clone());
            }
            if entry.read.iter().all(|(name, seen)| lookup(name) == *seen) {
                entry.identity = identity;
                return Ok(entry.value.clone());
            }
        }
        self.entry = None;
        let read: RefCell<Vec<Read>> = RefCell::new(Vec::new());
        let recording = |name: &str| {
            let value = lookup(name);
            let mut read = read.borrow_mut();
            if !read.iter().any(|(n, _)| n == name) {
                read.push((name.to_owned(), value.clone()));
            }
            value
        };
        let value = Rc::new(build(&recording)?);
        self.entry = Some(Entry {
            identity,
            read: read.into_inner(),
            value: value.clone(),
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Builds "A+B" from the settings A and B (B optional), counting builds.
    fn build_ab(builds: &Cell<u32>) -> impl FnOnce(Lookup<'_>) -> Result<String, String> + '_ {
        move |get| {
            builds.set(builds.get() + 1);
            let a = get("A").ok_or("A is not set")?;
            Ok(format!("{a}+{}", get("B").unwrap_or_default()))
        }
    }

    #[test]
    fn the_same_environment_builds_once() {
        let mut cache = ConfigCache::new();
        let builds = Cell::new(0);
        let e = env(&[("A", "1")]);
        let first = cache
            .get_or_build(7, |k| e.get(k).cloned(), build_ab(&builds))
            .unwrap();
        let reads = Cell::new(0);
        let second = cache
            .get_or_build(
                7,
                |k| {
                    reads.set(reads.get() + 1);
                    e.get(k).cloned()
                },
                build_ab(&builds),
            )
            .unwrap();
        assert_eq!(*second, "1+");
        assert!(Rc::ptr_eq(&first, &second));
        assert_eq!(builds.get(), 1);
        assert_eq!(reads.get(), 0, "the same identity reads no setting");
    }

    #[test]
    fn another_identity_with_equal_settings_reuses_the_value() {
        let mut cache = ConfigCache::new();
        let builds = Cell::new(0);
        let e = env(&[("A", "1"), ("UNUSED", "x")]);
        cache
            .get_or_build(1, |k| e.get(k).cloned(), build_ab(&builds))
            .unwrap();
        // A setting the build never read may differ.
        let e2 = env(&[("A", "1"), ("UNUSED", "y")]);
        let v = cache
            .get_or_build(2, |k| e2.get(k).cloned(), build_ab(&builds))
            .unwrap();
        assert_eq!(*v, "1+");
        assert_eq!(builds.get(), 1);
    }

    #[test]
    fn a_changed_added_or_removed_setting_builds_anew() {
        let mut cache = ConfigCache::new();
        let builds = Cell::new(0);
        let mut get = |id: u32, e: &HashMap<String, String>| {
            (*cache
                .get_or_build(id, |k| e.get(k).cloned(), build_ab(&builds))
                .unwrap())
            .clone()
        };
        assert_eq!(get(1, &env(&[("A", "1")])), "1+");
        assert_eq!(get(2, &env(&[("A", "2")])), "2+");
        assert_eq!(get(3, &env(&[("A", "2"), ("B", "b")])), "2+b");
        assert_eq!(get(4, &env(&[("A", "2")])), "2+");
        assert_eq!(builds.get(), 4);
    }

    #[test]
    fn a_failed_build_is_not_kept() {
        let mut cache = ConfigCache::new();
        let builds = Cell::new(0);
        let empty = env(&[]);
        let e = cache
            .get_or_build(1, |k| empty.get(k).cloned(), build_ab(&builds))
            .unwrap_err();
        assert_eq!(e, "A is not set");
        // Same identity again: built again (and fails again), not a stale value.
        assert!(cache
            .get_or_build(1, |k| empty.get(k).cloned(), build_ab(&builds))
            .is_err());
        assert_eq!(builds.get(), 2);
        // A good environment after a failed one is built and kept.
        let good = env(&[("A", "1")]);
        assert_eq!(
            *cache
                .get_or_build(1, |k| good.get(k).cloned(), build_ab(&builds))
                .unwrap(),
            "1+"
        );
        assert_eq!(builds.get(), 3);
    }
}
