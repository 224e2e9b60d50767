//! WAL checkpoints, mostly on a thread of their own. SQLite's automatic checkpoint runs inside
//! whichever commit crosses 1,000 pages, under the store's lock: under load that was a tenth of
//! the server's time and the slowest requests. A PASSIVE checkpoint from a second connection
//! copies the WAL back while requests keep committing, so the automatic one finds little left
//! to do. It stays on: only a checkpoint with no writer beside it can finish, and only a
//! finished one lets the WAL start over instead of growing without end.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::{Store, StoreError};

/// How often the background checkpoint runs.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

impl Store {
    /// Starts a thread that checkpoints the WAL of the database at `path` for as long as the
    /// process lives (with a connection of its own: the store's stays free for requests).
    pub fn checkpoint_in_background(path: &Path) -> Result<(), StoreError> {
        let checkpointer = Connection::open(path)?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        let path: PathBuf = path.into();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    let done = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(err) = done {
                        tracing::warn!(path = %path.display(), %err, "WAL checkpoint failed; retrying");
                    }
                }
            })
            .map_err(StoreError::Checkpointer)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_thread_copies_the_wal_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = Store::open_sqlite(&path).unwrap();
        let mut db = store.connection().await.unwrap();
        // Only the thread may checkpoint here, so the database file grows only by its work.
        db.sqlite().unwrap().pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        for i in 0..500 {
            db.add_group(&format!("group-{i:04}-with-a-longer-name")).await.unwrap();
        }
        assert_eq!(size(), before, "nothing is checkpointed without the thread");
        Store::checkpoint_in_background(&path).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() == before {
            assert!(std::time::Instant::now() < deadline, "no checkpoint in 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
