//! Voice: "Call me with the code" on the reference backend, over real HTTP. A resend asked for
//! with `"channel": "voice"` is queued as a call (the outbox records the channel, texts keep
//! theirs), counts against the same caps as texts, and a channel that is neither is a clear 400
//! that sends nothing. And the real kiosk in a pty, on that real server, offers "Call me with
//! the code" only once the resend countdown is over, and signs in with the code the call read.
//! (The gateways' calls: `sms_gateways.rs`.)

mod common;

use std::time::Duration;

use common::{Backend, F12, InProcess, KioskSetup, TWO_USERS, post_json, run_as_line, session_user};
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";

/// The outbox's lines to `e164`, once there are `count` (within 5 s).
async fn lines_to(server: &InProcess, e164: &str, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&server.outbox).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["to"] == e164)
            .collect();
        if lines.len() >= count {
            return lines;
        }
        assert!(std::time::Instant::now() < deadline, "{count} messages to {e164} never came: {lines:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn start(server: &InProcess) -> (u16, Value) {
    post_json(&server.url, "/v1/sign-in/start", json!({ "phone": ALEX })).await
}

async fn resend(server: &InProcess, challenge: &Value, channel: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "challenge_id": challenge["challenge_id"] });
    if let Some(channel) = channel {
        body["channel"] = json!(channel);
    }
    post_json(&server.url, "/v1/sign-in/resend", body).await
}

#[tokio::test]
async fn voice_the_outbox_records_a_call_and_its_code_signs_in() {
    let server = InProcess::start("resend_cooldown = \"0s\"", TWO_USERS).await;
    let (_, challenge) = start(&server).await;
    assert_eq!(resend(&server, &challenge, Some("voice")).await.0, 202);
    assert_eq!(resend(&server, &challenge, None).await.0, 202, "no channel: a text, as before");
    let lines = lines_to(&server, ALEX, 3).await;
    let channels: Vec<&str> = lines.iter().map(|line| line["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["sms", "voice", "sms"]);
    let said = lines[1]["body"].as_str().unwrap();
    assert!(said.starts_with("Your shiftkey sign-in code is: "), "{said}");
    assert!(!said.contains('#'), "a call has no origin-bound line: {said}");
    // The text after the call holds the code now; the call's is spent with it.
    let call_code: String = said.chars().filter(char::is_ascii_digit).take(6).collect();
    let verify = json!({ "challenge_id": challenge["challenge_id"], "code": call_code });
    let (status, body) = post_json(&server.url, "/v1/sign-in/verify", verify).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_code")), "a newer code replaced the call's");
    let text_code = server.codes_for(ALEX, 2).await.pop().unwrap();
    let verify = json!({ "challenge_id": challenge["challenge_id"], "code": text_code });
    assert_eq!(post_json(&server.url, "/v1/sign-in/verify", verify).await.0, 200);
}

#[tokio::test]
async fn voice_calls_count_against_the_same_caps_as_texts() {
    let config = "resend_cooldown = \"0s\"\n[limits]\nper_phone_per_hour = 3\n";
    let server = InProcess::start(config, TWO_USERS).await;
    let (_, challenge) = start(&server).await;
    assert_eq!(resend(&server, &challenge, Some("voice")).await.0, 202);
    assert_eq!(resend(&server, &challenge, Some("voice")).await.0, 202);
    // Three sends this hour (a text, two calls): a fourth of either kind is refused.
    let (status, body) = resend(&server, &challenge, Some("voice")).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(body["retry_after"].as_u64().unwrap() > 0);
    let (status, body) = start(&server).await;
    assert_eq!(status, 429, "the calls used up the number's texts too: {body}");
    assert_eq!(lines_to(&server, ALEX, 3).await.len(), 3, "nothing more was sent");
}

#[tokio::test]
async fn voice_a_channel_that_is_neither_is_a_clear_400_and_sends_nothing() {
    let server = InProcess::start("resend_cooldown = \"0s\"", TWO_USERS).await;
    let (_, challenge) = start(&server).await;
    lines_to(&server, ALEX, 1).await;
    for channel in [json!("fax"), json!("VOICE"), json!(""), json!(1), json!(null)] {
        let body = json!({ "challenge_id": challenge["challenge_id"], "channel": channel });
        let (status, answer) = post_json(&server.url, "/v1/sign-in/resend", body).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")), "{channel}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains("channel") || message.contains("`sms`"), "{channel}: {message}");
    }
    // Nothing was sent, and the challenge is as it was: a real resend still works.
    assert_eq!(resend(&server, &challenge, Some("voice")).await.0, 202);
    assert_eq!(lines_to(&server, ALEX, 2).await.len(), 2);
}

#[tokio::test]
async fn voice_the_real_kiosk_offers_call_me_after_the_countdown_and_signs_in_with_the_call_s_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, "resend_cooldown = \"5s\"\n").unwrap();
    let backend = Backend::start_with_config(dir, db, Some(config));
    let user = session_user("sk-e2e-voice");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &run_as_line(&user));
    let mut screen = setup.spawn();
    let wait = Duration::from_secs(10);
    screen.wait_for("Enter your mobile number", wait).await;
    screen.type_text("2065550100").await;
    screen.send(b"\r");
    let shown = screen.wait_for("New code possible in", wait).await;
    assert!(!shown.contains("Call me"), "not during the countdown:\n{shown}");
    screen.send(b"c");
    let shown = screen.wait_for("Call me with the code", wait).await;
    assert!(shown.contains("[R] Text me a new code"), "beside a new text:\n{shown}");
    assert_eq!(common::outbox_codes(&backend.outbox, ALEX).len(), 1, "the C pressed early asked for nothing");
    screen.send(b"c");
    screen.wait_for("calling you", wait).await;
    let lines = {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let text = std::fs::read_to_string(&backend.outbox).unwrap_or_default();
            let calls: Vec<Value> = text
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .filter(|m| m["channel"] == "voice")
                .collect();
            if !calls.is_empty() || std::time::Instant::now() > deadline {
                break calls;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert_eq!(lines.len(), 1, "one call");
    assert_eq!(lines[0]["to"], ALEX);
    let code: String = lines[0]["body"].as_str().unwrap().chars().filter(char::is_ascii_digit).take(6).collect();
    screen.type_text(&code).await;
    let shown = screen.wait_for("sign out", wait).await;
    assert!(shown.contains("Alex Rivera"), "signed in with the call's code:\n{shown}");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", wait).await;
    let sent = setup.audit_events("code_sent");
    assert!(sent.iter().any(|record| record["channel"] == "voice"), "{sent:?}");
}
