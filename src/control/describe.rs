//! Control answers as text for people (the CLI's default; `--json` prints them as they are).

use serde_json::Value;

use super::protocol::Request;

fn teardown_text(outcome: &Value) -> String {
    let left = outcome["left_alive"].as_array().map_or(0, Vec::len);
    let mut text = format!(
        "session of {} erased ({}): {} processes ended ({} needed SIGKILL), {} files removed, token {}",
        outcome["user_id"].as_str().unwrap_or("?"),
        outcome["reason"].as_str().unwrap_or("?"),
        outcome["processes_ended"],
        outcome["killed_after_grace"],
        outcome["files_removed"],
        outcome["revoke"].as_str().unwrap_or("?"),
    );
    if left > 0 || outcome["dir_removed"] == false {
        text.push_str(&format!(
            "\nWARNING: left behind: {left} processes, session dir removed: {}",
            outcome["dir_removed"]
        ));
    }
    text
}

/// A successful answer in a few lines.
pub fn human(request: &Request, answer: &Value) -> String {
    match request {
        Request::Status => {
            let mut lines = vec![
                format!("kiosk:    {}", answer["kiosk"].as_str().unwrap_or("?")),
                format!(
                    "state:    {} since {}",
                    answer["state"].as_str().unwrap_or("?"),
                    answer["since"].as_str().unwrap_or("?")
                ),
            ];
            if let Some(message) = answer["locked_message"].as_str() {
                lines.push(format!("locked:   \"{message}\""));
            }
            if answer["user"].is_object() {
                lines.push(format!(
                    "user:     {} ({}), signed in {} s ago",
                    answer["user"]["display_name"].as_str().unwrap_or("?"),
                    answer["user"]["phone"].as_str().unwrap_or("?"),
                    answer["session_age_secs"]
                ));
            }
            lines.push(format!("idle:     {} s", answer["idle_secs"]));
            let backend = if answer["backend_reachable"] == true { "answers" } else { "NOT REACHABLE" };
            lines.push(format!("backend:  {backend}"));
            lines.push("recent events:".into());
            for event in answer["recent_events"].as_array().into_iter().flatten() {
                lines.push(format!(
                    "  {} {}",
                    event["time"].as_str().unwrap_or(""),
                    event["event"].as_str().unwrap_or("")
                ));
            }
            lines.join("\n")
        }
        Request::Reset { .. } if answer["session"] == false => "no session to reset; nothing changed".into(),
        Request::Reset { .. } => teardown_text(&answer["outcome"]),
        Request::Lock { .. } if answer["session"] == true => format!("locked\n{}", teardown_text(&answer["outcome"])),
        Request::Lock { .. } => format!("locked: \"{}\"", answer["message"].as_str().unwrap_or("")),
        Request::Unlock if answer["was_locked"] == false => "was not locked; nothing changed".into(),
        Request::Unlock => "unlocked: sign-in is open".into(),
    }
}
