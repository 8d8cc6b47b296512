//! A [`LogSink`] that keeps every line, for tests that read the log (and
//! scan it for secrets). Feature `testing`: never in a library build.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::service::log::LogSink;

/// Keeps every line.
#[derive(Clone, Default)]
pub struct MemoryLog(pub Rc<RefCell<Vec<String>>>);

impl MemoryLog {
    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// The lines as JSON values.
    pub fn records(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl LogSink for MemoryLog {
    fn line(&self, line: &str) {
        self.0.borrow_mut().push(line.to_owned());
    }
}
