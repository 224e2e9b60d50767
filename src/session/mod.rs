//! The worker's session: started in a pty with a private directory and a clean environment,
//! and ended by one teardown that leaves nothing behind.

pub mod dir;
pub mod env;
pub mod keys;
pub mod procs;
pub mod pty;
pub mod teardown;

use std::ffi::OsString;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use crate::auth::{Grant, SignedInUser};
use crate::config::SessionConfig;
use crate::secret::AccessToken;
use dir::SessionDir;
use pty::{PtyCommand, PtyInput, PtyProcess};

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    SignOutKey,
    CommandExited,
    IdleTimeout,
    MaxDuration,
    KioskStopped,
    ManagerReset,
    Recovered,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("can't create the session directory: {0}")]
    Dir(std::io::Error),
    #[error("can't start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
}

/// A running session and everything its teardown needs.
pub struct LiveSession {
    pub leader: i32,
    pub dir: SessionDir,
    pub user: SignedInUser,
    pub started: Instant,
    pub input: PtyInput,
    token: AccessToken,
    /// Becomes true when the session command has exited.
    pub exited: watch::Receiver<bool>,
}

impl LiveSession {
    /// Creates the private directory, writes the token file and starts the command in a pty.
    pub fn start(
        config: &SessionConfig,
        grant: &Grant,
        cols: u16,
        rows: u16,
    ) -> Result<(Self, mpsc::Receiver<Vec<u8>>), StartError> {
        let dir = SessionDir::create().map_err(StartError::Dir)?;
        let started = Self::spawn_in(&dir, config, grant, cols, rows);
        match started {
            Ok((process, output)) => {
                let (exit_sender, exited) = watch::channel(false);
                let leader = process.pid;
                let input = process.input().map_err(|source| StartError::Spawn {
                    program: config.command[0].clone(),
                    source,
                })?;
                let mut child = process.child;
                tokio::spawn(async move {
                    let _ = child.wait().await;
                    let _ = exit_sender.send(true);
                });
                Ok((
                    LiveSession {
                        leader,
                        dir,
                        user: grant.user.clone(),
                        started: Instant::now(),
                        input,
                        token: grant.token.clone(),
                        exited,
                    },
                    output,
                ))
            }
            Err(err) => {
                // Nothing ran: the directory (and token file) must not outlive the attempt.
                let _ = std::fs::remove_dir_all(&dir.path);
                Err(err)
            }
        }
    }

    fn spawn_in(
        dir: &SessionDir,
        config: &SessionConfig,
        grant: &Grant,
        cols: u16,
        rows: u16,
    ) -> Result<(PtyProcess, mpsc::Receiver<Vec<u8>>), StartError> {
        let program = config.command[0].clone();
        let spawn_error = |source| StartError::Spawn {
            program: program.clone(),
            source,
        };
        let token_file = dir.write_token(&grant.token).map_err(StartError::Dir)?;
        let identity = env::SessionIdentity {
            dir: &dir.path,
            token_file: &token_file,
            user_id: &grant.user.id,
            user_name: &grant.user.display_name,
            path: &config.path,
        };
        let command = PtyCommand {
            program: program.clone().into(),
            args: config.command[1..].iter().map(OsString::from).collect(),
            env: env::session_env(&identity, std::env::vars_os()),
            cwd: Some(dir.path.clone()),
            cols,
            rows,
            locked_down: true,
        };
        let process = PtyProcess::spawn(&command).map_err(spawn_error)?;
        let output = process.output().map_err(spawn_error)?;
        Ok((process, output))
    }

    /// The token, for the revoke step of the teardown only.
    pub(crate) fn token(&self) -> &AccessToken {
        &self.token
    }
}
