//! What the teardown needs to know about a session, and the crash-safety state file that keeps
//! it on disk while the session is live. No secrets here: the token stays in the session dir.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Everything needed to find and erase a session, even from another kiosk process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRecord {
    pub leader: i32,
    pub kiosk_pid: i32,
    pub dir: PathBuf,
    pub dir_on_tmpfs: bool,
    pub uid: u32,
    /// When the uid is a dedicated session account: all its processes and files are the session's.
    pub dedicated_uid: bool,
    pub user_id: String,
    pub started_unix: u64,
    pub sandbox: String,
}

impl SessionRecord {
    /// How to recognise this session's processes. Orphans re-parented to the kiosk count only
    /// in the kiosk that started the session, while it is the child subreaper (main.rs): a
    /// kiosk recovering a crashed one's session, or a test harness, has children of its own.
    pub fn membership(&self) -> super::procs::Membership<'_> {
        let subreaper =
            self.kiosk_pid == std::process::id() as i32 && nix::sys::prctl::get_child_subreaper().unwrap_or(false);
        super::procs::Membership {
            leader: self.leader,
            dir: &self.dir,
            dedicated_uid: self.dedicated_uid.then_some(self.uid),
            // The kiosk starts no process but the session (session/pty.rs): no helpers to leave out.
            subreaper: subreaper.then_some(super::procs::Subreaper { pid: self.kiosk_pid, helpers: &[] }),
        }
    }
}

/// The file holding the live session's record.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(state_dir: &Path) -> Self {
        StateFile { path: state_dir.join("live-session.json") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the record atomically (temp file + rename), 0600.
    pub fn save(&self, record: &SessionRecord) -> std::io::Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
        }
        let temp = self.path.with_extension("json.tmp");
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temp)?;
        file.write_all(serde_json::to_string(record).map_err(std::io::Error::other)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, &self.path)
    }

    /// Whether a record can be saved here now: the directory made if missing, a file written
    /// and removed. The error names the directory.
    pub fn check_writable(&self) -> std::io::Result<()> {
        let probe = self.path.with_extension("json.probe");
        let dir = self.path.parent().unwrap_or(Path::new("/"));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .and_then(|()| std::fs::write(&probe, b"probe"))
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", dir.display())))
    }

    /// The record left by a kiosk that did not finish its teardown, if any.
    pub fn load(&self) -> Option<SessionRecord> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

use std::os::unix::fs::DirBuilderExt as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_through_the_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(&dir.path().join("state"));
        assert!(file.load().is_none());
        let record = SessionRecord {
            leader: 42,
            kiosk_pid: 7,
            dir: "/run/x".into(),
            dir_on_tmpfs: true,
            uid: 1000,
            dedicated_uid: true,
            user_id: "alex".into(),
            started_unix: 1,
            sandbox: "none".into(),
        };
        file.save(&record).unwrap();
        assert_eq!(file.load(), Some(record));
        file.clear();
        assert!(file.load().is_none());
    }

    #[test]
    fn a_state_dir_that_cant_be_written_says_which_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let fine = StateFile::new(&dir.path().join("state"));
        fine.check_writable().unwrap();
        assert_eq!(std::fs::read_dir(dir.path().join("state")).unwrap().count(), 0, "the probe is gone");
        // A file where the directory should be: refused whoever runs the test (root too).
        std::fs::write(dir.path().join("file"), "").unwrap();
        let err = StateFile::new(&dir.path().join("file/state")).check_writable().unwrap_err();
        assert!(err.to_string().starts_with(&format!("{}/file/state: ", dir.path().display())), "{err}");
    }
}
