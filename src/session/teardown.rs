//! The one sign-out: every trigger (key, exit, idle, max duration, signal, manager, crash
//! recovery) ends here.
//!
//! Each step runs even if an earlier one failed, and the outcome of each is recorded:
//! end the processes, revoke the token, delete the files, drop the secrets, audit.
//! Clearing the screen is the caller's (it owns the terminal) and happens right after.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::procs;
use super::record::{SessionRecord, StateFile};
use super::{LiveSession, SignOutReason};
use crate::audit::AuditLog;
use crate::auth::AuthBackend;
use crate::auth::Tokens;
use crate::auth::revoke::revoke;

/// How long each bounded step may take.
#[derive(Debug, Clone, Copy)]
pub struct TeardownLimits {
    /// Between SIGTERM and SIGKILL: a session may ignore SIGTERM.
    pub kill_grace: Duration,
    /// Sign-out must not hang on a backend that is down.
    pub revoke_timeout: Duration,
}

/// Where a teardown reports to.
#[derive(Debug, Clone)]
pub struct TeardownContext {
    pub limits: TeardownLimits,
    pub audit: AuditLog,
    pub state_file: StateFile,
}

/// What the teardown did, for the audit log and the manager.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeardownOutcome {
    pub reason: SignOutReason,
    pub user_id: String,
    pub duration_secs: u64,
    pub processes_ended: usize,
    pub killed_after_grace: usize,
    /// Pids still alive after everything: should always be empty.
    pub left_alive: Vec<i32>,
    pub revoke: String,
    pub files_removed: usize,
    pub dir_removed: bool,
    /// Files of the session's dedicated user that could not be removed.
    pub files_left: Vec<PathBuf>,
    pub dir_on_tmpfs: bool,
    pub sandbox: String,
}

impl TeardownOutcome {
    /// Whether nothing of the session is left.
    pub fn clean(&self) -> bool {
        self.left_alive.is_empty() && self.dir_removed && self.files_left.is_empty()
    }

    /// The outcome when a trigger fired but no session was running.
    pub fn nothing(reason: SignOutReason) -> Self {
        TeardownOutcome {
            reason,
            user_id: String::new(),
            duration_secs: 0,
            processes_ended: 0,
            killed_after_grace: 0,
            left_alive: Vec::new(),
            revoke: "no session".into(),
            files_removed: 0,
            dir_removed: true,
            files_left: Vec::new(),
            dir_on_tmpfs: false,
            sandbox: "none".into(),
        }
    }
}

/// How often the teardown looks for processes still alive. It starts at FIRST_POLL and doubles:
/// most sessions are gone a millisecond after SIGTERM, and the worker is waiting to see the
/// sign-in screen (BENCHMARKS.md, measure 6).
const POLL: Duration = Duration::from_millis(20);
const FIRST_POLL: Duration = Duration::from_millis(1);
/// Places where a dedicated session user may have left files outside its home.
const SHARED_TEMP_DIRS: [&str; 3] = ["/tmp", "/var/tmp", "/dev/shm"];

fn member_pids(record: &SessionRecord) -> Vec<i32> {
    procs::session_processes(&record.membership()).into_iter().map(|p| p.pid).collect()
}

fn signal_all(record: &SessionRecord, pids: &[i32], signal: Signal) {
    if record.leader > 1 {
        let _ = killpg(Pid::from_raw(record.leader), signal);
    }
    for pid in pids {
        let _ = kill(Pid::from_raw(*pid), signal);
    }
}

/// Ends every process of the session: SIGHUP and SIGTERM, a grace period, then SIGKILL
/// (repeated, for processes that fork while being killed). Returns (ended, killed, left).
async fn end_processes(record: &SessionRecord, grace: Duration) -> (usize, usize, Vec<i32>) {
    let mut seen: Vec<i32> = member_pids(record);
    signal_all(record, &seen, Signal::SIGHUP);
    signal_all(record, &seen, Signal::SIGTERM);
    let grace_ends = Instant::now() + grace;
    let mut survivors = member_pids(record);
    let mut pause = FIRST_POLL;
    while !survivors.is_empty() && Instant::now() < grace_ends {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL);
        survivors = member_pids(record);
        // A newcomer started during the grace gets the same warning.
        let new: Vec<i32> = survivors.iter().copied().filter(|p| !seen.contains(p)).collect();
        signal_all(record, &new, Signal::SIGTERM);
        seen.extend(new);
    }
    let killed = survivors.len();
    let kill_ends = Instant::now() + Duration::from_secs(2);
    while !survivors.is_empty() && Instant::now() < kill_ends {
        seen.extend(survivors.iter().copied().filter(|p| !seen.contains(p)).collect::<Vec<_>>());
        signal_all(record, &survivors, Signal::SIGKILL);
        tokio::time::sleep(POLL).await;
        survivors = member_pids(record);
    }
    procs::reap(&seen);
    (seen.len(), killed, survivors)
}

fn count_files(path: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => 1 + count_files(&entry.path()),
            _ => 1,
        })
        .sum()
}

fn remove_path(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

/// Removes what the dedicated uid owns at the top of the shared temp dirs. Returns
/// (removed, left behind).
fn sweep_shared_temp(uid: u32) -> (usize, Vec<PathBuf>) {
    let mut removed = 0;
    let mut left = Vec::new();
    for base in SHARED_TEMP_DIRS {
        let Ok(entries) = std::fs::read_dir(base) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            // symlink_metadata: a link the user planted is removed, never followed.
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.uid() == uid) {
                removed += 1 + count_files(&path);
                if remove_path(&path).is_err() || path.symlink_metadata().is_ok() {
                    left.push(path);
                }
            }
        }
    }
    (removed, left)
}

/// Runs the whole teardown for a session record and audits it. `started`: when a live session
/// started, on the monotonic clock (a wall-clock jump doesn't change its duration); `None` for
/// a session a dead kiosk left, timed from its record's wall-clock start, the only time left.
pub async fn teardown<B: AuthBackend>(
    record: &SessionRecord,
    started: Option<Instant>,
    tokens: Option<Tokens>,
    backend: &B,
    reason: SignOutReason,
    context: &TeardownContext,
) -> TeardownOutcome {
    let (processes_ended, killed_after_grace, left_alive) = end_processes(record, context.limits.kill_grace).await;

    let revoke = match &tokens {
        None => "no token".to_string(),
        Some(tokens) => {
            let timeout = context.limits.revoke_timeout;
            revoke(backend, tokens, timeout, &context.audit, "token_revoked", reason).await.to_string()
        }
    };

    let mut files_removed = count_files(&record.dir);
    let _ = std::fs::remove_dir_all(&record.dir);
    let dir_removed = !record.dir.exists();
    let mut files_left = Vec::new();
    if record.dedicated_uid {
        let (removed, left) = sweep_shared_temp(record.uid);
        files_removed += removed;
        files_left = left;
    }

    // The tokens' memory (the refresh token's too) is zeroized here, whatever happened above.
    drop(tokens);
    let duration = match started {
        Some(started) => started.elapsed(),
        None => {
            let started = std::time::UNIX_EPOCH + Duration::from_secs(record.started_unix);
            started.elapsed().unwrap_or_default()
        }
    };
    let outcome = TeardownOutcome {
        reason,
        user_id: record.user_id.clone(),
        duration_secs: duration.as_secs(),
        processes_ended,
        killed_after_grace,
        left_alive,
        revoke,
        files_removed,
        dir_removed,
        files_left,
        dir_on_tmpfs: record.dir_on_tmpfs,
        sandbox: record.sandbox.clone(),
    };
    context.audit.record("session_end", &outcome);
    if outcome.clean() {
        context.state_file.clear();
    } else {
        // Keep the state file: the next kiosk start tries again.
        tracing::error!(left_alive = ?outcome.left_alive, dir_removed = outcome.dir_removed, files_left = ?outcome.files_left, "session teardown left something behind");
    }
    outcome
}

/// Tears down a live session (the usual path).
pub async fn end_session<B: AuthBackend>(
    session: LiveSession,
    backend: &B,
    reason: SignOutReason,
    context: &TeardownContext,
) -> TeardownOutcome {
    let LiveSession { record, tokens, started, .. } = session;
    teardown(&record, Some(started), Some(tokens), backend, reason, context).await
}
