//! What `shiftkey status` reports, and the out-of-service flag that survives restarts.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde_json::{Value, json};

use super::state::{Screen, State};

/// A wall-clock time `ago` before now, as RFC 3339.
fn wall_time(at: Instant, now: Instant) -> String {
    let ago = now.saturating_duration_since(at);
    humantime::format_rfc3339_seconds(SystemTime::now() - ago).to_string()
}

/// The kiosk's state as the control socket reports it (without the backend probe).
pub fn snapshot(state: &State, since: Instant, recent_events: Vec<Value>) -> Value {
    let now = state.now;
    let (user, session_age) = match &state.screen {
        Screen::Session(view) => (
            json!({ "display_name": view.name, "phone": view.phone_masked }),
            json!(now.saturating_duration_since(view.since).as_secs()),
        ),
        Screen::Welcome { name, .. } => {
            (json!({ "display_name": name, "phone": state.pending_phone_masked }), json!(0))
        }
        _ => (Value::Null, Value::Null),
    };
    json!({
        "kiosk": state.kiosk_name,
        "state": state.label(),
        "since": wall_time(since, now),
        "user": user,
        "session_age_secs": session_age,
        "idle_secs": now.saturating_duration_since(state.last_key_at).as_secs(),
        "locked_message": state.locked,
        "manager_mode": state.manager.is_some(),
        "recent_events": recent_events,
    })
}

/// Where the out-of-service flag is kept.
pub fn lock_file(state_dir: &Path) -> PathBuf {
    state_dir.join("locked.json")
}

/// The out-of-service message saved by the last kiosk, if it was locked.
pub fn load_lock(state_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lock_file(state_dir)).ok()?;
    serde_json::from_str::<Value>(&text).ok()?["message"].as_str().map(str::to_string)
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
            std::fs::write(&temp, json!({ "message": message }).to_string())?;
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
