//! The worker's session: started in a pty with a private directory and a clean environment,
//! and ended by one teardown that leaves nothing behind.

pub mod dir;
pub mod env;
pub mod keys;
pub mod mouse;
pub mod procs;
pub mod pty;
mod pty_io;
pub mod record;
pub mod recovery;
pub mod sandbox;
pub mod teardown;
pub mod user;

use std::ffi::OsString;
use std::time::Instant;

use tokio::sync::watch;

use crate::auth::{Grant, SignedInUser, Tokens};
use crate::config::SessionConfig;
use dir::SessionDir;
use pty::{PtyCommand, PtyInput, PtyOutput, PtyProcess};
use record::SessionRecord;
use sandbox::Sandbox;
use user::SessionUser;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    SignOutKey,
    CommandExited,
    IdleTimeout,
    MaxDuration,
    KioskStopped,
    KioskCrashed,
    ManagerReset,
    ManagerLock,
    /// The backend no longer accepts the session's token (the organisation removed the worker).
    Revoked,
    Recovered,
    /// Too many wrong PINs on the step-away lock (`session.pin_attempts`).
    PinFailed,
    /// "Not you? Sign in" on the step-away lock: someone else needs the kiosk.
    NotYou,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("can't create the session directory: {0}")]
    Dir(std::io::Error),
    #[error("can't start {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
}

/// How sessions are started on this kiosk: decided once, at kiosk start.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub config: SessionConfig,
    pub user: SessionUser,
    pub sandbox: Sandbox,
}

/// A running session and everything its teardown needs.
pub struct LiveSession {
    pub record: SessionRecord,
    pub user: SignedInUser,
    pub started: Instant,
    pub input: PtyInput,
    pub(crate) tokens: Tokens,
    /// Becomes true when the session command has exited.
    pub exited: watch::Receiver<bool>,
}

impl LiveSession {
    /// Sends SIGWINCH to every process of the session.
    pub fn notify_resize(&self) {
        for process in procs::session_processes(&self.record.membership()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(process.pid), nix::sys::signal::Signal::SIGWINCH);
        }
    }
}

impl Launcher {
    /// Creates the private directory, writes the token file and starts the command in a pty.
    pub fn start(&self, grant: &Grant, cols: u16, rows: u16) -> Result<(LiveSession, PtyOutput), StartError> {
        let dir = SessionDir::create(self.user.ids()).map_err(StartError::Dir)?;
        match self.spawn_in(&dir, grant, cols, rows) {
            Ok((process, output, input)) => {
                let (exit_sender, exited) = watch::channel(false);
                let record = SessionRecord {
                    leader: process.pid,
                    kiosk_pid: std::process::id() as i32,
                    dir: dir.path.clone(),
                    dir_on_tmpfs: dir.on_tmpfs,
                    uid: self.user.uid(),
                    dedicated_uid: matches!(self.user, SessionUser::Dedicated { .. }),
                    user_id: grant.user.id.clone(),
                    started_unix: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0),
                    sandbox: self.sandbox.name().into(),
                };
                let mut child = process.child;
                tokio::spawn(async move {
                    let _ = child.wait().await;
                    let _ = exit_sender.send(true);
                });
                let session = LiveSession {
                    record,
                    user: grant.user.clone(),
                    started: Instant::now(),
                    input,
                    tokens: grant.tokens.clone(),
                    exited,
                };
                Ok((session, output))
            }
            Err(err) => {
                // Nothing ran: the directory (and token file) must not outlive the attempt.
                let _ = std::fs::remove_dir_all(&dir.path);
                Err(err)
            }
        }
    }

    fn spawn_in(
        &self,
        dir: &SessionDir,
        grant: &Grant,
        cols: u16,
        rows: u16,
    ) -> Result<(PtyProcess, PtyOutput, PtyInput), StartError> {
        let program = self.config.command[0].clone();
        let spawn_error = |source| StartError::Spawn { program: program.clone(), source };
        let token_file = dir.write_token(&grant.tokens.access).map_err(StartError::Dir)?;
        let identity = env::SessionIdentity {
            dir: &dir.path,
            token_file: &token_file,
            user_id: &grant.user.id,
            user_name: &grant.user.display_name,
            path: &self.config.path,
        };
        let (program_path, args) = self.sandbox.wrap(&self.config.command, &dir.path);
        let command = PtyCommand {
            program: program_path,
            args: args.into_iter().map(OsString::from).collect(),
            env: env::session_env(&identity, std::env::vars_os()),
            cwd: Some(dir.path.clone()),
            cols,
            rows,
            locked_down: true,
            user: self.user.ids(),
        };
        let process = PtyProcess::spawn(&command).map_err(spawn_error)?;
        let (output, input) = process.attach().map_err(spawn_error)?;
        Ok((process, output, input))
    }
}
