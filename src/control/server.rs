//! The kiosk's side of the control socket: who may connect, reading one request without
//! letting a slow or hostile client stall anything, and handing it to the event loop.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::unistd::{Gid, Group, Uid, User};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::protocol::{ControlAnswer, ErrorAnswer, ErrorCode, MAX_REQUEST_BYTES, Request, parse_request};
use crate::audit::AuditLog;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A request from an authorised client, waiting for the kiosk's answer.
pub struct ControlRequest {
    pub request: Request,
    pub reply: oneshot::Sender<ControlAnswer>,
}

/// Who may use the socket: root, the kiosk's own user, members of the allowed groups.
#[derive(Debug, Clone)]
pub struct Authorizer {
    kiosk_uid: Uid,
    allowed_gids: Vec<Gid>,
}

impl Authorizer {
    /// Resolves group names once; an unknown group is a config error.
    pub fn new(allowed_groups: &[String]) -> Result<Self, UnknownGroup> {
        let allowed_gids = allowed_groups
            .iter()
            .map(|name| match Group::from_name(name) {
                Ok(Some(group)) => Ok(group.gid),
                _ => Err(UnknownGroup { key: "control.allowed_groups", name: name.clone() }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Authorizer { kiosk_uid: Uid::effective(), allowed_gids })
    }

    pub fn allows(&self, uid: Uid, gid: Gid) -> bool {
        if uid.is_root() || uid == self.kiosk_uid || self.allowed_gids.contains(&gid) {
            return true;
        }
        // Supplementary groups as the group database has them.
        let Ok(Some(user)) = User::from_uid(uid) else { return false };
        let Ok(name) = std::ffi::CString::new(user.name) else { return false };
        nix::unistd::getgrouplist(&name, user.gid)
            .is_ok_and(|groups| groups.iter().any(|g| self.allowed_gids.contains(g)))
    }
}

/// A group named in config that the system doesn't have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: no group named {name:?} (create it with groupadd {name})")]
pub struct UnknownGroup {
    pub key: &'static str,
    pub name: String,
}

/// The bound socket.
pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("another kiosk is already listening on {0}")]
    InUse(PathBuf),
    #[error("can't set up the control socket {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ControlError + '_ {
    move |source| ControlError::Io { path: path.to_path_buf(), source }
}

impl ControlServer {
    /// Creates the socket (0660) in its directory (0750), both owned by `group` when given.
    pub async fn bind(path: &Path, group: Option<Gid>) -> Result<Self, ControlError> {
        let dir = path.parent().unwrap_or(Path::new("/"));
        std::fs::DirBuilder::new().recursive(true).mode(0o750).create(dir).map_err(io_error(dir))?;
        if path.exists() {
            if UnixStream::connect(path).await.is_ok() {
                return Err(ControlError::InUse(path.to_path_buf()));
            }
            // A socket left by a kiosk that died: nobody answers on it.
            std::fs::remove_file(path).map_err(io_error(path))?;
        }
        let listener = UnixListener::bind(path).map_err(io_error(path))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(io_error(path))?;
        if let Some(gid) = group {
            nix::unistd::chown(dir, None, Some(gid)).map_err(|e| io_error(dir)(e.into()))?;
            nix::unistd::chown(path, None, Some(gid)).map_err(|e| io_error(path)(e.into()))?;
        }
        Ok(ControlServer { listener, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts clients until the kiosk stops; each is handled on its own task.
    pub async fn serve(self, authorizer: Authorizer, kiosk: mpsc::Sender<ControlRequest>, audit: AuditLog) {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else { continue };
            let (authorizer, kiosk, audit) = (authorizer.clone(), kiosk.clone(), audit.clone());
            tokio::spawn(async move { handle(stream, &authorizer, &kiosk, &audit).await });
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads one line of at most `MAX_REQUEST_BYTES`.
async fn read_request(stream: &mut UnixStream) -> Result<String, ErrorAnswer> {
    let mut line = Vec::new();
    let mut reader = BufReader::new(stream).take(MAX_REQUEST_BYTES as u64 + 1);
    let read = tokio::time::timeout(READ_TIMEOUT, reader.read_until(b'\n', &mut line)).await;
    match read {
        Err(_) => Err(ErrorAnswer::new(ErrorCode::Timeout, format!("no request within {} s", READ_TIMEOUT.as_secs()))),
        Ok(Err(err)) => Err(ErrorAnswer::new(ErrorCode::Malformed, format!("can't read the request: {err}"))),
        Ok(Ok(_)) if line.len() > MAX_REQUEST_BYTES => {
            Err(ErrorAnswer::new(ErrorCode::TooLarge, format!("requests are at most {MAX_REQUEST_BYTES} bytes")))
        }
        Ok(Ok(_)) => {
            String::from_utf8(line).map_err(|_| ErrorAnswer::new(ErrorCode::Malformed, "the request is not UTF-8"))
        }
    }
}

fn stopping() -> ControlAnswer {
    ControlAnswer::error(ErrorCode::Stopping, "the kiosk is stopping")
}

async fn handle(
    mut stream: UnixStream,
    authorizer: &Authorizer,
    kiosk: &mpsc::Sender<ControlRequest>,
    audit: &AuditLog,
) {
    let Ok(cred) = stream.peer_cred() else { return };
    let (uid, gid) = (Uid::from_raw(cred.uid()), Gid::from_raw(cred.gid()));
    let peer = json!({ "uid": cred.uid(), "gid": cred.gid(), "pid": cred.pid() });
    if !authorizer.allows(uid, gid) {
        audit.record("control_refused", json!({ "peer": peer }));
        let answer = ControlAnswer::error(
            ErrorCode::NotAllowed,
            "not allowed: only root, the kiosk's user and members of control.allowed_groups",
        );
        let _ = stream.write_all(answer.line().as_bytes()).await;
        return;
    }
    let answer = match read_request(&mut stream).await.and_then(|line| parse_request(&line)) {
        Err(refused) => refused.into(),
        Ok(request) => {
            let command = request.name();
            let (reply, answer) = oneshot::channel();
            let answer = match kiosk.send(ControlRequest { request, reply }).await {
                Ok(()) => answer.await.unwrap_or_else(|_| stopping()),
                Err(_) => stopping(),
            };
            audit.record("control", json!({ "peer": peer, "command": command, "ok": answer.is_ok() }));
            answer
        }
    };
    let _ = stream.write_all(answer.line().as_bytes()).await;
}
