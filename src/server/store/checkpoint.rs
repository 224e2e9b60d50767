//! WAL checkpoints, on a thread of their own, once the WAL has grown. SQLite's automatic
//! checkpoint runs inside whichever commit crosses 1,000 pages, under the store's lock: under
//! load that was a tenth of the server's time and the slowest requests. Here a commit past the
//! same mark only wakes a thread, which copies the WAL back (PASSIVE, from a second connection)
//! while requests keep committing.
//!
//! Why not sooner, as this did every 100 ms: after a checkpoint that copied the whole WAL, the
//! next commit starts the WAL over, and SQLite syncs the WAL's header in that commit — on the
//! server's worker, holding the store. Checkpointing every 100 ms made nearly every write at low
//! traffic start the WAL over, so nearly every request of a kiosk's sign-in waited for an fsync:
//! half a millisecond on a quiet disk, 100-260 ms beside a build, and once more than the kiosk's
//! 1 s revoke timeout (RELIABILITY.md). Now the WAL starts over once per 1,000 pages written.

use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use super::{Store, StoreError};

/// The WAL's size, in pages, past which a commit wakes the checkpoint thread: SQLite's own
/// automatic checkpoint's (4 MiB at 4 KiB pages).
pub const CHECKPOINT_PAST: c_int = 1000;

/// The thread's rest after each checkpoint: under load it runs at most this often (as it did
/// on a timer before), leaving the CPU to requests; a wake meanwhile waits for it.
const REST: Duration = Duration::from_millis(100);

/// Past this the thread has fallen behind (a reader held it back, or it is gone): the commit
/// copies the WAL back itself, as SQLite's automatic checkpoint would, so the WAL can't grow
/// without end.
const COMMIT_CHECKPOINTS_PAST: c_int = 4 * CHECKPOINT_PAST;

impl Store {
    /// Starts a thread that checkpoints the WAL of the database at `path` (this store's file)
    /// whenever a commit leaves it past [`CHECKPOINT_PAST`] pages, for as long as the store
    /// lives. Between those it sleeps: an idle server does nothing here.
    pub async fn checkpoint_in_background(&self, path: &Path) -> Result<(), StoreError> {
        let checkpointer = Connection::open(path)?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        // One wake waiting is enough: the checkpoint copies whatever the WAL has by then.
        let (wake, woken) = sync_channel::<()>(1);
        let path: PathBuf = path.into();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                // Ends when the store's connection, and the hook holding `wake` with it, is gone.
                while woken.recv().is_ok() {
                    let done = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(err) = done {
                        tracing::warn!(path = %path.display(), %err, "WAL checkpoint failed; trying again at the next commit");
                    }
                    std::thread::sleep(REST);
                }
            })
            .map_err(StoreError::Checkpointer)?;
        let mut db = self.connection().await?;
        let Some(conn) = db.sqlite_mut() else { return Ok(()) };
        // The first commit into an empty WAL writes its header and syncs it: one here, at start,
        // rather than in the first request. (user_version set to itself changes nothing.)
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        conn.pragma_update(None, "user_version", version)?;
        // This hook replaces SQLite's automatic checkpoint (it is one too).
        conn.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            if pages >= COMMIT_CHECKPOINTS_PAST {
                // Busy or failed, the commit stands; the next one tries again.
                let _ = wal.checkpoint();
            } else if pages >= CHECKPOINT_PAST {
                let _ = wake.try_send(());
            }
            Ok(())
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_thread_copies_the_wal_back_once_it_passes_the_mark_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = Store::open_sqlite(&path).unwrap();
        store.checkpoint_in_background(&path).await.unwrap();
        let mut db = store.connection().await.unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        let wal_header = || std::fs::read(path.with_extension("db-wal")).unwrap()[..32].to_vec();
        let before = size();
        // A commit writes a few pages: 100 stay well below the mark.
        for i in 0..100 {
            db.add_group(&format!("early-{i:04}")).await.unwrap();
        }
        let header = wal_header();
        assert_eq!(size(), before, "nothing is copied back below the mark");
        for i in 0..1000 {
            db.add_group(&format!("group-{i:04}-with-a-longer-name")).await.unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() == before {
            assert!(std::time::Instant::now() < deadline, "no checkpoint in 10 s past the mark");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Once all is copied back, the next commit starts the WAL over (a new salt in its header).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        for n in 0.. {
            db.add_group(&format!("late-{n}")).await.unwrap();
            if wal_header() != header {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the WAL never started over");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
