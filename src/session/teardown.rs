//! The one sign-out: every trigger (key, exit, idle, signal, manager, recovery) ends here.
//!
//! Each step runs even if an earlier one failed, and the outcome of each is recorded.
//! Order: end the processes, revoke the token, delete the files, drop the secrets, audit.
//! Clearing the screen is the caller's (it owns the terminal) and happens right after.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::Serialize;

use super::{LiveSession, SignOutReason, procs};
use crate::audit::AuditLog;
use crate::auth::AuthBackend;

/// How long each bounded step may take.
#[derive(Debug, Clone, Copy)]
pub struct TeardownLimits {
    /// Between SIGTERM and SIGKILL: a session may ignore SIGTERM.
    pub kill_grace: Duration,
    /// Sign-out must not hang on a backend that is down.
    pub revoke_timeout: Duration,
}

/// What the teardown did, for the audit log and the manager.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
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
    pub dir_on_tmpfs: bool,
    pub sandbox: &'static str,
}

impl TeardownOutcome {
    /// Whether nothing of the session is left.
    pub fn clean(&self) -> bool {
        self.left_alive.is_empty() && self.dir_removed
    }
}

const POLL: Duration = Duration::from_millis(20);

fn signal_all(leader: i32, pids: &[i32], signal: Signal) {
    let _ = killpg(Pid::from_raw(leader), signal);
    for pid in pids {
        let _ = kill(Pid::from_raw(*pid), signal);
    }
}

fn pids_of(leader: i32) -> Vec<i32> {
    procs::session_processes(leader)
        .into_iter()
        .map(|p| p.pid)
        .collect()
}

/// Waits until no process of the session is alive, or the deadline passes.
async fn wait_gone(leader: i32, deadline: Instant) -> Vec<i32> {
    loop {
        let left = pids_of(leader);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Ends every process of the session: SIGHUP and SIGTERM, a grace period, then SIGKILL.
async fn end_processes(leader: i32, grace: Duration) -> (usize, usize, Vec<i32>) {
    let first = pids_of(leader);
    signal_all(leader, &first, Signal::SIGHUP);
    signal_all(leader, &first, Signal::SIGTERM);
    let survivors = wait_gone(leader, Instant::now() + grace).await;
    let mut seen: Vec<i32> = first.clone();
    seen.extend(survivors.iter().filter(|p| !first.contains(p)));
    if survivors.is_empty() {
        return (seen.len(), 0, Vec::new());
    }
    signal_all(leader, &survivors, Signal::SIGKILL);
    let left = wait_gone(leader, Instant::now() + Duration::from_secs(2)).await;
    (seen.len(), survivors.len(), left)
}

fn count_files(path: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => 1 + count_files(&entry.path()),
            _ => 1,
        })
        .sum()
}

/// Runs the whole teardown for a session and audits it.
pub async fn teardown<B: AuthBackend>(
    session: LiveSession,
    backend: &B,
    reason: SignOutReason,
    limits: TeardownLimits,
    audit: &AuditLog,
) -> TeardownOutcome {
    let (processes_ended, killed_after_grace, left_alive) =
        end_processes(session.leader, limits.kill_grace).await;

    let revoke = match tokio::time::timeout(
        limits.revoke_timeout,
        backend.sign_out(session.token()),
    )
    .await
    {
        Ok(Ok(())) => "revoked".to_string(),
        Ok(Err(err)) => format!("failed: {err}"),
        Err(_) => format!(
            "failed: no answer within {} ms",
            limits.revoke_timeout.as_millis()
        ),
    };

    let files_removed = count_files(&session.dir.path);
    let _ = std::fs::remove_dir_all(&session.dir.path);
    let dir_removed = !session.dir.path.exists();

    let outcome = TeardownOutcome {
        reason,
        user_id: session.user.id.clone(),
        duration_secs: session.started.elapsed().as_secs(),
        processes_ended,
        killed_after_grace,
        left_alive,
        revoke,
        files_removed,
        dir_removed,
        dir_on_tmpfs: session.dir.on_tmpfs,
        sandbox: "none",
    };
    // The token and the rest of the session's secrets are zeroized as they drop here.
    drop(session);
    audit.record("session_end", &outcome);
    if !outcome.clean() {
        tracing::error!(left_alive = ?outcome.left_alive, dir_removed = outcome.dir_removed, "session teardown left something behind");
    }
    outcome
}

impl TeardownOutcome {
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
            dir_on_tmpfs: false,
            sandbox: "none",
        }
    }
}
