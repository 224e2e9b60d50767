//! The control socket's protocol: one JSON object per line each way, as typed requests and
//! answers.
//!
//! ```text
//! → {"command": "status"}
//! → {"command": "reset", "reason": "stuck app"}
//! → {"command": "lock", "message": "Out of service"}
//! → {"command": "unlock"}
//! ← {"ok": true, ...fields}      or   {"ok": false, "error": CODE, "message": TEXT}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::session::teardown::TeardownOutcome;

/// Requests longer than this are refused unread.
pub const MAX_REQUEST_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    Status,
    Reset {
        #[serde(default)]
        reason: Option<String>,
    },
    Lock {
        #[serde(default)]
        message: Option<String>,
    },
    Unlock,
}

impl Request {
    /// The command's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Reset { .. } => "reset",
            Request::Lock { .. } => "lock",
            Request::Unlock => "unlock",
        }
    }
}

/// Who is signed in, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUser {
    pub display_name: String,
    /// Masked.
    pub phone: String,
}

/// The answer to `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusAnswer {
    pub kiosk: String,
    /// The identity provider (`backend.kind`); its reachability is `backend_reachable`.
    #[serde(default)]
    pub backend: String,
    pub state: String,
    /// RFC 3339.
    pub since: String,
    pub user: Option<StatusUser>,
    pub session_age_secs: Option<u64>,
    pub idle_secs: u64,
    pub locked_message: Option<String>,
    pub manager_mode: bool,
    /// Why the audit log can't be written (the kiosk is out of service until it can); null
    /// when it is written.
    #[serde(default)]
    pub audit_log_error: Option<String>,
    /// Why the state dir can't hold the session record (out of service until it can).
    #[serde(default)]
    pub state_dir_error: Option<String>,
    pub backend_reachable: bool,
    /// The audit log's last records, as they are in the log.
    pub recent_events: Vec<Value>,
}

/// The answer to `reset`: `session` says whether there was one to end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetAnswer {
    pub session: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<TeardownOutcome>,
}

/// The answer to `lock`: the message when no session had to end, else the teardown's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockAnswer {
    pub session: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<TeardownOutcome>,
}

/// The answer to `unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockAnswer {
    pub locked: bool,
    pub was_locked: bool,
}

/// What went wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Malformed,
    UnknownCommand,
    TooLarge,
    Timeout,
    NotAllowed,
    BadMessage,
    Stopping,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    pub error: ErrorCode,
    pub message: String,
}

impl ErrorAnswer {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        ErrorAnswer { error, message: message.into() }
    }
}

impl From<ErrorAnswer> for ControlAnswer {
    fn from(error: ErrorAnswer) -> Self {
        ControlAnswer::Error(error)
    }
}

/// One answer on the wire: `{"ok": true, ...}` with the command's fields, or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlAnswer {
    Status(StatusAnswer),
    Reset(ResetAnswer),
    Lock(LockAnswer),
    Unlock(UnlockAnswer),
    Error(ErrorAnswer),
}

/// An answer's fields with `ok` beside them.
#[derive(Serialize)]
struct Wire<'a, T> {
    ok: bool,
    #[serde(flatten)]
    body: &'a T,
}

impl ControlAnswer {
    pub fn error(error: ErrorCode, message: impl Into<String>) -> Self {
        ControlAnswer::Error(ErrorAnswer { error, message: message.into() })
    }

    pub fn is_ok(&self) -> bool {
        !matches!(self, ControlAnswer::Error(_))
    }

    /// The answer as one JSON object.
    pub fn to_json(&self) -> String {
        fn wire<T: Serialize>(ok: bool, body: &T) -> String {
            serde_json::to_string(&Wire { ok, body }).expect("control answers serialize")
        }
        match self {
            ControlAnswer::Status(body) => wire(true, body),
            ControlAnswer::Reset(body) => wire(true, body),
            ControlAnswer::Lock(body) => wire(true, body),
            ControlAnswer::Unlock(body) => wire(true, body),
            ControlAnswer::Error(body) => wire(false, body),
        }
    }

    /// The answer as one line.
    pub fn line(&self) -> String {
        let mut line = self.to_json();
        line.push('\n');
        line
    }

    /// Reads the answer to `request` from its line.
    pub fn parse(request: &Request, line: &str) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Ok {
            ok: bool,
        }
        if !serde_json::from_str::<Ok>(line)?.ok {
            return serde_json::from_str(line).map(ControlAnswer::Error);
        }
        Ok(match request {
            Request::Status => ControlAnswer::Status(serde_json::from_str(line)?),
            Request::Reset { .. } => ControlAnswer::Reset(serde_json::from_str(line)?),
            Request::Lock { .. } => ControlAnswer::Lock(serde_json::from_str(line)?),
            Request::Unlock => ControlAnswer::Unlock(serde_json::from_str(line)?),
        })
    }
}

/// Parses one request line, with a message that says what was wrong.
pub fn parse_request(line: &str) -> Result<Request, ErrorAnswer> {
    let value: Value = serde_json::from_str(line.trim())
        .map_err(|e| ErrorAnswer::new(ErrorCode::Malformed, format!("not a JSON object: {e}")))?;
    let command = value.get("command").and_then(Value::as_str).unwrap_or_default().to_string();
    if !["status", "reset", "lock", "unlock"].contains(&command.as_str()) {
        return Err(ErrorAnswer::new(
            ErrorCode::UnknownCommand,
            format!("unknown command {command:?}: use status, reset, lock or unlock"),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ErrorAnswer::new(ErrorCode::Malformed, format!("bad {command} request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_code(answer: ErrorAnswer) -> ErrorCode {
        answer.error
    }

    #[test]
    fn requests_parse_and_bad_ones_say_why() {
        assert_eq!(parse_request(r#"{"command":"status"}"#).unwrap(), Request::Status);
        assert_eq!(
            parse_request(r#"{"command":"lock","message":"Back soon"}"#).unwrap(),
            Request::Lock { message: Some("Back soon".into()) }
        );
        assert_eq!(error_code(parse_request("{").unwrap_err()), ErrorCode::Malformed);
        assert_eq!(error_code(parse_request(r#"{"command":"reboot"}"#).unwrap_err()), ErrorCode::UnknownCommand);
        assert_eq!(error_code(parse_request(r#"{"command":"reset","force":true}"#).unwrap_err()), ErrorCode::Malformed);
        assert_eq!(error_code(parse_request("[]").unwrap_err()), ErrorCode::UnknownCommand);
    }

    #[test]
    fn answers_keep_their_wire_form_and_read_back() {
        let lock = ControlAnswer::Lock(LockAnswer {
            session: false,
            locked: Some(true),
            message: Some("Back soon".into()),
            outcome: None,
        });
        assert_eq!(lock.to_json(), r#"{"ok":true,"session":false,"locked":true,"message":"Back soon"}"#);
        let request = Request::Lock { message: None };
        assert_eq!(ControlAnswer::parse(&request, &lock.to_json()).unwrap(), lock);
        let refused = ControlAnswer::error(ErrorCode::BadMessage, "one line");
        assert_eq!(refused.to_json(), r#"{"ok":false,"error":"bad_message","message":"one line"}"#);
        assert_eq!(ControlAnswer::parse(&request, &refused.to_json()).unwrap(), refused);
        let unlock = ControlAnswer::Unlock(UnlockAnswer { locked: false, was_locked: true });
        assert_eq!(unlock.to_json(), r#"{"ok":true,"locked":false,"was_locked":true}"#);
    }
}
