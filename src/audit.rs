//! The append-only audit log: one JSON object per line.
//!
//! Records carry masked phone numbers and outcomes only; the types that reach this module
//! (`PhoneNumber`, `AccessToken`, `OtpCode`) cannot print a secret, so none can be written.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

/// An audit log file, opened for appending on each write (so rotation just works).
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        AuditLog { path: Some(path) }
    }

    /// A log that records nothing (used where no log was configured and none can be created).
    pub fn disabled() -> Self {
        AuditLog { path: None }
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

    /// Appends one record `{"time", "event", ...fields}`. Failure to write is logged, not fatal:
    /// a full disk must not stop a sign-out.
    pub fn record(&self, event: &str, fields: impl Serialize) {
        let Some(path) = &self.path else { return };
        let mut object = Map::new();
        object.insert(
            "time".into(),
            Value::String(humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()),
        );
        object.insert("event".into(), Value::String(event.into()));
        if let Ok(Value::Object(extra)) = serde_json::to_value(fields) {
            object.extend(extra);
        }
        let mut line = Value::Object(object).to_string();
        line.push('\n');
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| OpenOptions::new().create(true).append(true).mode(0o600).open(path))
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = result {
            tracing::warn!(path = %path.display(), %err, "can't write the audit log");
        }
    }

    /// The last `count` records, oldest first.
    pub fn tail(&self, count: usize) -> Vec<Value> {
        let Some(text) = self.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
            return Vec::new();
        };
        let lines: Vec<&str> = text.lines().collect();
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
}
