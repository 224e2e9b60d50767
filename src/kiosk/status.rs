//! What `shiftkey status` reports, and the out-of-service flag that survives restarts.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::state::{Faults, Screen, State};
use crate::control::protocol::{StatusAnswer, StatusUser};

/// The kiosk's state as `status` reports it, as far as `update` knows it: the event loop adds
/// the wall-clock time, the backend probe and the audit log's last lines.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub kiosk: String,
    pub backend: &'static str,
    pub state: &'static str,
    pub since: Instant,
    pub now: Instant,
    pub user: Option<StatusUser>,
    pub session_age_secs: Option<u64>,
    pub idle_secs: u64,
    pub locked_message: Option<String>,
    pub manager_mode: bool,
    /// What the kiosk can't write (out of service until it can).
    pub faults: Faults,
}

impl StatusReport {
    pub fn of(state: &State) -> Self {
        let now = state.now;
        let (user, session_age_secs) = match &state.screen {
            Screen::Session(session) => (
                Some(StatusUser { display_name: session.name.clone(), phone: session.phone_masked.clone() }),
                Some(now.saturating_duration_since(session.since).as_secs()),
            ),
            Screen::Welcome { name, .. } => {
                (Some(StatusUser { display_name: name.clone(), phone: state.pending_phone_masked.clone() }), Some(0))
            }
            _ => (None, None),
        };
        StatusReport {
            kiosk: state.settings.kiosk_name.clone(),
            backend: state.settings.backend_kind,
            state: state.label_since.0,
            since: state.label_since.1,
            now,
            user,
            session_age_secs,
            idle_secs: now.saturating_duration_since(state.last_key_at).as_secs(),
            locked_message: state.locked.clone(),
            manager_mode: state.manager.is_some(),
            faults: state.faults.clone(),
        }
    }

    /// The answer, with what only I/O can tell: the wall clock, the probe, the recent events.
    pub fn answer(
        self,
        wall_now: SystemTime,
        backend_reachable: bool,
        recent_events: Vec<serde_json::Value>,
    ) -> StatusAnswer {
        let ago = self.now.saturating_duration_since(self.since);
        StatusAnswer {
            kiosk: self.kiosk,
            backend: self.backend.to_string(),
            state: self.state.to_string(),
            since: humantime::format_rfc3339_seconds(wall_now - ago).to_string(),
            user: self.user,
            session_age_secs: self.session_age_secs,
            idle_secs: self.idle_secs,
            locked_message: self.locked_message,
            manager_mode: self.manager_mode,
            audit_log_error: self.faults.audit_log,
            state_dir_error: self.faults.state_dir,
            backend_reachable,
            recent_events,
        }
    }
}

/// The out-of-service flag as it is kept on disk.
#[derive(Serialize, Deserialize)]
struct LockFile {
    message: String,
}

/// Where the out-of-service flag is kept.
pub fn lock_file(state_dir: &Path) -> PathBuf {
    state_dir.join("locked.json")
}

/// The out-of-service message saved by the last kiosk, if it was locked.
pub fn load_lock(state_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lock_file(state_dir)).ok()?;
    serde_json::from_str::<LockFile>(&text).ok().map(|lock| lock.message)
}

/// Saves (or clears) the out-of-service flag.
pub fn save_lock(state_dir: &Path, message: Option<&str>) -> std::io::Result<()> {
    let path = lock_file(state_dir);
    match message {
        None => match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        },
        Some(message) => {
            std::fs::create_dir_all(state_dir)?;
            let temp = path.with_extension("json.tmp");
            let lock = LockFile { message: message.to_string() };
            std::fs::write(&temp, serde_json::to_string(&lock).expect("the lock file serializes"))?;
            std::fs::rename(temp, path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_survives_on_disk_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_lock(dir.path()), None);
        save_lock(dir.path(), Some("Closed for cleaning")).unwrap();
        assert_eq!(load_lock(dir.path()).as_deref(), Some("Closed for cleaning"));
        save_lock(dir.path(), None).unwrap();
        save_lock(dir.path(), None).unwrap();
        assert_eq!(load_lock(dir.path()), None);
    }
}
