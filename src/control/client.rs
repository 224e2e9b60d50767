//! The CLI side: `shiftkey status | reset | lock | unlock`, one request over the socket.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::protocol::{ControlAnswer, Request};

/// How long the CLI waits for an answer (a reset waits for the whole teardown).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a request got no answer; each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no kiosk is listening at {path} ({source})")]
    NotListening { path: String, source: std::io::Error },
    #[error("not allowed to use {path}: {source} (ask for membership of a control.allowed_groups group)")]
    Forbidden { path: String, source: std::io::Error },
    #[error("the kiosk didn't answer properly: {0}")]
    Broken(String),
}

impl ClientError {
    /// 2: nobody listens; 1: refused or failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NotListening { .. } => 2,
            _ => 1,
        }
    }
}

/// Sends one request and returns the kiosk's answer, and the line it came as.
pub async fn send(path: &Path, request: &Request) -> Result<(ControlAnswer, String), ClientError> {
    let shown = path.display().to_string();
    let mut stream = UnixStream::connect(path).await.map_err(|source| match source.kind() {
        std::io::ErrorKind::PermissionDenied => ClientError::Forbidden { path: shown.clone(), source },
        _ => ClientError::NotListening { path: shown.clone(), source },
    })?;
    let mut line = serde_json::to_string(request).expect("requests serialize");
    line.push('\n');
    // A refused client may find the socket closed before it writes: still read the refusal.
    let _ = stream.write_all(line.as_bytes()).await;
    let mut answer = String::new();
    let mut reader = BufReader::new(stream);
    tokio::time::timeout(ANSWER_TIMEOUT, reader.read_line(&mut answer))
        .await
        .map_err(|_| ClientError::Broken(format!("no answer within {} s", ANSWER_TIMEOUT.as_secs())))?
        .map_err(|e| ClientError::Broken(e.to_string()))?;
    let parsed = ControlAnswer::parse(request, &answer).map_err(|e| ClientError::Broken(format!("{e}: {answer:?}")))?;
    Ok((parsed, answer.trim_end().to_string()))
}
