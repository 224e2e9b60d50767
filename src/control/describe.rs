//! Control answers as text for people (the CLI's default; `--json` prints them as they are).

use super::protocol::{ControlAnswer, LockAnswer, ResetAnswer, StatusAnswer};
use crate::session::teardown::TeardownOutcome;

fn teardown_text(outcome: &TeardownOutcome) -> String {
    let left = outcome.left_alive.len();
    let reason = serde_json::to_value(outcome.reason).ok().and_then(|v| v.as_str().map(str::to_string));
    let mut text = format!(
        "session of {} erased ({}): {} processes ended ({} needed SIGKILL), {} files removed, token {}",
        outcome.user_id,
        reason.unwrap_or_default(),
        outcome.processes_ended,
        outcome.killed_after_grace,
        outcome.files_removed,
        outcome.revoke,
    );
    if left > 0 || !outcome.dir_removed {
        text.push_str(&format!(
            "\nWARNING: left behind: {left} processes, session dir removed: {}",
            outcome.dir_removed
        ));
    }
    text
}

fn status_text(answer: &StatusAnswer) -> String {
    let mut lines =
        vec![format!("kiosk:    {}", answer.kiosk), format!("state:    {} since {}", answer.state, answer.since)];
    if let Some(message) = &answer.locked_message {
        lines.push(format!("locked:   \"{message}\""));
    }
    if let Some(user) = &answer.user {
        lines.push(format!(
            "user:     {} ({}), signed in {} s ago",
            user.display_name,
            user.phone,
            answer.session_age_secs.unwrap_or(0)
        ));
    }
    if let Some(error) = &answer.audit_log_error {
        lines.push(format!("audit:    CAN'T WRITE the audit log ({error}): out of service until it can"));
    }
    if let Some(error) = &answer.state_dir_error {
        lines.push(format!("state:    CAN'T WRITE the state dir ({error}): out of service until it can"));
    }
    lines.push(format!("idle:     {} s", answer.idle_secs));
    let backend = if answer.backend_reachable { "answers" } else { "NOT REACHABLE" };
    lines.push(format!("backend:  {} — {backend}", answer.backend));
    lines.push("recent events:".into());
    for event in &answer.recent_events {
        lines.push(format!("  {} {}", event["time"].as_str().unwrap_or(""), event["event"].as_str().unwrap_or("")));
    }
    lines.join("\n")
}

/// An answer in a few lines.
pub fn human(answer: &ControlAnswer) -> String {
    match answer {
        ControlAnswer::Status(status) => status_text(status),
        ControlAnswer::Reset(ResetAnswer { outcome: Some(outcome), .. }) => teardown_text(outcome),
        ControlAnswer::Reset(ResetAnswer { message, .. }) => {
            message.clone().unwrap_or_else(|| "no session to reset; nothing changed".into())
        }
        ControlAnswer::Lock(LockAnswer { outcome: Some(outcome), .. }) => format!("locked\n{}", teardown_text(outcome)),
        ControlAnswer::Lock(LockAnswer { message, .. }) => format!("locked: \"{}\"", message.as_deref().unwrap_or("")),
        ControlAnswer::Unlock(unlock) if !unlock.was_locked => "was not locked; nothing changed".into(),
        ControlAnswer::Unlock(_) => "unlocked: sign-in is open".into(),
        ControlAnswer::Error(error) => error.message.clone(),
    }
}
