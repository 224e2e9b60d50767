//! The control socket's protocol: one JSON object per line each way.
//!
//! ```text
//! → {"command": "status"}
//! → {"command": "reset", "reason": "stuck app"}
//! → {"command": "lock", "message": "Out of service"}
//! → {"command": "unlock"}
//! ← {"ok": true, ...}            or   {"ok": false, "error": CODE, "message": TEXT}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// An answer: `{"ok": true, ...fields}` or an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Response(pub Value);

impl Response {
    pub fn ok(fields: Value) -> Self {
        let mut object = serde_json::Map::new();
        object.insert("ok".into(), Value::Bool(true));
        if let Value::Object(fields) = fields {
            object.extend(fields);
        }
        Response(Value::Object(object))
    }

    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Response(serde_json::json!({ "ok": false, "error": code, "message": message.into() }))
    }

    pub fn is_ok(&self) -> bool {
        self.0["ok"] == true
    }

    pub fn line(&self) -> String {
        let mut line = self.0.to_string();
        line.push('\n');
        line
    }
}

/// Parses one request line, with a message that says what was wrong.
pub fn parse_request(line: &str) -> Result<Request, Response> {
    let value: Value = serde_json::from_str(line.trim())
        .map_err(|e| Response::error("malformed", format!("not a JSON object: {e}")))?;
    let command = value.get("command").and_then(Value::as_str).unwrap_or_default().to_string();
    if !["status", "reset", "lock", "unlock"].contains(&command.as_str()) {
        return Err(Response::error(
            "unknown_command",
            format!("unknown command {command:?}: use status, reset, lock or unlock"),
        ));
    }
    serde_json::from_value(value).map_err(|e| Response::error("malformed", format!("bad {command} request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_bad_ones_say_why() {
        assert_eq!(parse_request(r#"{"command":"status"}"#).unwrap(), Request::Status);
        assert_eq!(
            parse_request(r#"{"command":"lock","message":"Back soon"}"#).unwrap(),
            Request::Lock { message: Some("Back soon".into()) }
        );
        assert_eq!(parse_request("{").unwrap_err().0["error"], "malformed");
        assert_eq!(parse_request(r#"{"command":"reboot"}"#).unwrap_err().0["error"], "unknown_command");
        assert_eq!(parse_request(r#"{"command":"reset","force":true}"#).unwrap_err().0["error"], "malformed");
        assert_eq!(parse_request("[]").unwrap_err().0["error"], "unknown_command");
    }
}
