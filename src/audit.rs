//! The append-only audit log: one JSON object per line.
//!
//! Records carry masked phone numbers and outcomes only; the types that reach this module
//! (`PhoneNumber`, `AccessToken`, `OtpCode`) cannot print a secret, so none can be written.
//!
//! A record that can't be written (a full disk, a read-only file system) is held in memory,
//! in order, and written before the next one; the log's health is published so that the kiosk
//! can stop opening sessions it couldn't account for (`AuditLog::health`).

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::watch;

/// Records held while the log can't be written; past this, the oldest are dropped (and counted).
const MAX_HELD: usize = 1000;

/// An audit log file, opened for appending on each write (so rotation just works). Clones
/// share what is held and the health.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Option<PathBuf>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    held: Mutex<Held>,
    /// `None` while records are written; else the last write's error.
    health: watch::Sender<Option<String>>,
}

/// What couldn't be written yet.
#[derive(Debug, Default)]
struct Held {
    lines: VecDeque<String>,
    dropped: usize,
    /// When writing first failed (RFC 3339), while it fails.
    failing_since: Option<String>,
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// One record as a line: `{"time", "event", ...fields}`.
fn line(event: &str, fields: impl Serialize) -> String {
    let mut object = Map::new();
    object.insert("time".into(), Value::String(now_rfc3339()));
    object.insert("event".into(), Value::String(event.into()));
    if let Ok(Value::Object(extra)) = serde_json::to_value(fields) {
        object.extend(extra);
    }
    let mut line = Value::Object(object).to_string();
    line.push('\n');
    line
}

/// Appends `text` whole or not at all: a write cut short by a full disk is cut off again, so
/// the next record doesn't continue a broken line.
fn append_whole(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    let before = file.metadata()?.len();
    file.write_all(text.as_bytes()).inspect_err(|_| {
        let _ = file.set_len(before);
    })
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        Self::with_path(Some(path))
    }

    /// A log that records nothing (used where no log was configured and none can be created).
    pub fn disabled() -> Self {
        Self::with_path(None)
    }

    fn with_path(path: Option<PathBuf>) -> Self {
        let shared = Shared { held: Mutex::default(), health: watch::Sender::new(None) };
        AuditLog { path, shared: Arc::new(shared) }
    }

    /// The default place: the user's data dir, `/var/lib/shiftkey` for root.
    pub fn default_path() -> PathBuf {
        if nix::unistd::geteuid().is_root() {
            return PathBuf::from("/var/lib/shiftkey/audit.jsonl");
        }
        directories::ProjectDirs::from("", "", "shiftkey")
            .map(|d| d.data_dir().join("audit.jsonl"))
            .unwrap_or_else(|| std::env::temp_dir().join("shiftkey-audit.jsonl"))
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one record `{"time", "event", ...fields}`. Failure to write is not fatal (a full
    /// disk must not stop a sign-out): the record is held and written with the next one.
    pub fn record(&self, event: &str, fields: impl Serialize) {
        if self.path.is_none() {
            return;
        }
        let mut held = self.held();
        if held.lines.len() == MAX_HELD {
            held.lines.pop_front();
            held.dropped += 1;
        }
        held.lines.push_back(line(event, fields));
        self.write_held(&mut held);
    }

    /// Tries again to write what is held (nothing to do when nothing is).
    pub fn retry(&self) {
        let mut held = self.held();
        if held.failing_since.is_some() {
            self.write_held(&mut held);
        }
    }

    /// Whether records are written: `None`, or why not. Changes as writes fail and succeed.
    pub fn health(&self) -> watch::Receiver<Option<String>> {
        self.shared.health.subscribe()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic while holding the lock leaves lines whole: each is pushed or popped at once.
        self.shared.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes every held record, and after an outage one saying what it cost, in one append.
    fn write_held(&self, held: &mut Held) {
        let Some(path) = &self.path else { return };
        let mut text: String = held.lines.iter().map(String::as_str).collect();
        if let Some(since) = &held.failing_since {
            let detail =
                serde_json::json!({ "failing_since": since, "held": held.lines.len(), "dropped": held.dropped });
            text.push_str(&line("audit_resumed", detail));
        }
        match append_whole(path, &text) {
            Ok(()) => {
                *held = Held::default();
                self.shared.health.send_if_modified(|health| health.take().is_some());
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, held = held.lines.len(), "can't write the audit log");
                held.failing_since.get_or_insert_with(now_rfc3339);
                let error = err.to_string();
                self.shared.health.send_if_modified(|health| {
                    let changed = health.as_deref() != Some(error.as_str());
                    *health = Some(error);
                    changed
                });
            }
        }
    }

    /// The last `count` records, oldest first (those held in memory included).
    pub fn tail(&self, count: usize) -> Vec<Value> {
        let Some(path) = &self.path else { return Vec::new() };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let held = self.held();
        let lines: Vec<&str> = text.lines().chain(held.lines.iter().map(|l| l.trim_end())).collect();
        lines[lines.len().saturating_sub(count)..].iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("sub/audit.jsonl"));
        log.record("sign_in", serde_json::json!({"user": "a"}));
        log.record("sign_out", serde_json::json!({"reason": "key"}));
        let tail = log.tail(5);
        assert_eq!(tail.len(), 2);
        assert_eq!(tail[0]["event"], "sign_in");
        assert_eq!(tail[1]["reason"], "key");
        assert!(tail[0]["time"].as_str().unwrap().ends_with('Z'));
    }

    /// A log whose directory is a file for now: every write fails, root's too. Removing the
    /// file (the returned path) lets it be written.
    fn blocked_log(dir: &Path) -> (AuditLog, PathBuf) {
        let blocker = dir.join("logs");
        std::fs::write(&blocker, "not a directory").unwrap();
        (AuditLog::new(blocker.join("audit.jsonl")), blocker)
    }

    fn written(blocker: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(blocker.join("audit.jsonl")).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn records_that_cant_be_written_are_held_and_written_in_order_once_they_can() {
        let dir = tempfile::tempdir().unwrap();
        let (log, blocker) = blocked_log(dir.path());
        let health = log.health();
        assert_eq!(*health.borrow(), None);
        log.record("session_start", serde_json::json!({"user": "a"}));
        log.record("session_end", serde_json::json!({"user": "a"}));
        assert!(health.borrow().is_some(), "the error is published");
        assert_eq!(log.tail(5).len(), 2, "held records show in the tail");
        log.retry();
        assert!(health.borrow().is_some(), "still failing");

        std::fs::remove_file(&blocker).unwrap();
        log.retry();
        assert_eq!(*health.borrow(), None, "writing again");
        let events = written(&blocker);
        let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["session_start", "session_end", "audit_resumed"]);
        assert_eq!(events[2]["held"], 2);
        assert_eq!(events[2]["dropped"], 0);
        log.record("next", serde_json::json!({}));
        assert_eq!(written(&blocker).len(), 4);
    }

    #[test]
    fn past_the_limit_the_oldest_held_records_are_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (log, blocker) = blocked_log(dir.path());
        for i in 0..MAX_HELD + 3 {
            log.record("n", serde_json::json!({ "i": i }));
        }
        std::fs::remove_file(&blocker).unwrap();
        log.retry();
        let events = written(&blocker);
        assert_eq!(events.len(), MAX_HELD + 1);
        assert_eq!(events[0]["i"], 3, "the three oldest went");
        assert_eq!(events[MAX_HELD]["dropped"], 3);
    }
}
