//! The SMS gateways against local fakes built from their documented wire formats: Twilio's
//! Messages API and Calls API (form POSTs, basic auth; a call's words as TwiML `<Say>`) and our
//! signed webhook. The "Voice:" tests are the calls.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{InProcess, TWO_USERS, post_json};
use hmac::{KeyInit, Mac};
use serde_json::json;

/// What a fake gateway received: headers and body of each request.
type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A fake gateway at `path` that fails the first `failures` requests with 503, then answers `ok`.
async fn fake_gateway(path: &'static str, failures: usize, ok: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new().route(path, recording(&received, failures, ok));
    (serve(app).await, received)
}

/// A fake Twilio account AC123: its Messages API and its Calls API, each answering 201.
async fn fake_twilio() -> (String, Received, Received) {
    let (texts, calls): (Received, Received) = Default::default();
    let app = axum::Router::new()
        .route("/2010-04-01/Accounts/AC123/Messages.json", recording(&texts, 0, StatusCode::CREATED))
        .route("/2010-04-01/Accounts/AC123/Calls.json", recording(&calls, 0, StatusCode::CREATED));
    (serve(app).await, texts, calls)
}

/// A POST handler that logs each request into `received` and fails the first `failures` with 503.
fn recording(received: &Received, failures: usize, ok: StatusCode) -> axum::routing::MethodRouter {
    let log = received.clone();
    post(move |headers: HeaderMap, body: Bytes| {
        let log = log.clone();
        async move {
            let mut log = log.lock().unwrap();
            log.push((headers, body));
            if log.len() <= failures { StatusCode::SERVICE_UNAVAILABLE } else { ok }
        }
    })
}

/// Serves `app` on a free port; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn wait_for(received: &Received, count: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..500 {
        if received.lock().unwrap().len() >= count {
            return received.lock().unwrap().clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the fake gateway got {} requests, expected {count}", received.lock().unwrap().len());
}

fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[tokio::test]
async fn twilio_gets_the_documented_form_and_basic_auth_and_a_retry_after_503() {
    let (url, received) = fake_gateway("/2010-04-01/Accounts/AC123/Messages.json", 1, StatusCode::CREATED).await;
    let dir = tempfile::tempdir().unwrap();
    let sms = twilio_config(&url, dir.path(), "+12065550199");
    let server = InProcess::start_with_sms("", TWO_USERS, Some(&sms)).await;
    let (status, _) = post_json(&server.url, "/v1/sign-in/start", json!({ "phone": "+12065550100" })).await;
    assert_eq!(status, 202, "the request path doesn't wait for the gateway");
    let requests = wait_for(&received, 2).await;
    let (headers, body) = &requests[1];
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("AC123:s3cret-token"));
    assert_eq!(headers["authorization"], expected.as_str());
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let fields = form_fields(body);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("To").as_deref(), Some("+12065550100"));
    assert_eq!(get("From").as_deref(), Some("+12065550199"));
    let text = get("Body").unwrap();
    assert!(text.contains("\n\n@shiftkey.local #") && text.len() <= 140, "{text}");
    assert_eq!(requests[0].1, requests[1].1, "the retry sent the same message");
}

/// Twilio's config for account AC123 at `url`, the token in a file in `dir`, calling from `from`.
fn twilio_config(url: &str, dir: &std::path::Path, from: &str) -> String {
    let token_file = dir.join("twilio-token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    format!(
        "[sms]\nkind = \"twilio\"\naccount_sid = \"AC123\"\nfrom = \"{from}\"\nbase_url = \"{url}\"\nauth_token = {{ file = {token_file:?} }}\n"
    )
}

/// The webhook's config for a gateway at `url`/sms, its secret ("hook-key") in a file in `dir`.
fn webhook_config(url: &str, dir: &std::path::Path) -> String {
    let secret_file = dir.join("webhook-secret");
    std::fs::write(&secret_file, "hook-key").unwrap();
    format!("[sms]\nkind = \"webhook\"\nurl = \"{url}/sms\"\nsecret = {{ file = {secret_file:?} }}\n")
}

/// Starts a sign-in for alex in `locale` and asks for the code again by `channel`; the challenge.
async fn start_then_resend(server: &InProcess, locale: &str, channel: &str) -> serde_json::Value {
    let (status, started) =
        post_json(&server.url, "/v1/sign-in/start", json!({ "phone": "+12065550100", "locale": locale })).await;
    assert_eq!(status, 202, "{started}");
    let body = json!({ "challenge_id": started["challenge_id"], "channel": channel });
    let (status, resent) = post_json(&server.url, "/v1/sign-in/resend", body).await;
    assert_eq!(status, 202, "{resent}");
    started["challenge_id"].clone()
}

#[tokio::test]
async fn voice_twilio_places_a_call_with_the_calls_api_form_and_twiml_say() {
    let (url, texts, calls) = fake_twilio().await;
    let dir = tempfile::tempdir().unwrap();
    let sms = twilio_config(&url, dir.path(), "+12065550199");
    let server = InProcess::start_with_sms("resend_cooldown = \"0s\"", TWO_USERS, Some(&sms)).await;
    let challenge_id = start_then_resend(&server, "es", "voice").await;
    let requests = wait_for(&calls, 1).await;
    assert_eq!(wait_for(&texts, 1).await.len(), 1, "the start was a text; the resend a call, not a text");
    let (headers, body) = &requests[0];
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("AC123:s3cret-token"));
    assert_eq!(headers["authorization"], expected.as_str());
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let fields = form_fields(body);
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["To", "From", "Twiml"], "the Calls API's fields, and no Body");
    assert_eq!((fields[0].1.as_str(), fields[1].1.as_str()), ("+12065550100", "+12065550199"));
    // The TwiML is one <Say> in Spanish, reading the code digit by digit, twice.
    let twiml = &fields[2].1;
    let said = twiml
        .strip_prefix("<Response><Say language=\"es-ES\">")
        .and_then(|rest| rest.strip_suffix("</Say></Response>"))
        .unwrap_or_else(|| panic!("not one <Say> in es-ES: {twiml}"));
    assert!(said.starts_with("Tu código"), "the Spanish template: {said}");
    let digits: String = said.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits.len(), 12, "six digits, twice: {said}");
    assert_eq!(digits[..6], digits[6..]);
    let spaced = digits[..6].chars().map(String::from).collect::<Vec<_>>().join(", ");
    assert_eq!(said.matches(&spaced).count(), 2, "digit by digit: {said}");
    // The code it read is the challenge's new one: it signs in.
    let verify = json!({ "challenge_id": challenge_id, "code": &digits[..6] });
    let (status, grant) = post_json(&server.url, "/v1/sign-in/verify", verify).await;
    assert_eq!(status, 200, "{grant}");
}

#[tokio::test]
async fn voice_a_messaging_service_cant_call_and_says_so_in_the_audit_log() {
    let (url, _texts, calls) = fake_twilio().await;
    let dir = tempfile::tempdir().unwrap();
    let sms = twilio_config(&url, dir.path(), "MG0123456789");
    let server = InProcess::start_with_sms("resend_cooldown = \"0s\"", TWO_USERS, Some(&sms)).await;
    start_then_resend(&server, "en", "voice").await;
    let audit = wait_for_audit(&server, "sms_failed").await;
    assert!(audit.contains("can't place calls; set sms.from to a Twilio number"), "{audit}");
    assert!(audit.contains("\"channel\":\"voice\""), "{audit}");
    assert!(calls.lock().unwrap().is_empty(), "no call without a caller id");
}

/// The audit log once it has an `event` record.
async fn wait_for_audit(server: &InProcess, event: &str) -> String {
    let audit_path = server.dir.path().join("shiftkey.db.audit.jsonl");
    for _ in 0..500 {
        let audit = std::fs::read_to_string(&audit_path).unwrap_or_default();
        if audit.contains(&format!("\"event\":\"{event}\"")) {
            return audit;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {event} in the audit log");
}

#[tokio::test]
async fn voice_the_webhook_gets_channel_voice_and_the_language() {
    let (url, received) = fake_gateway("/sms", 0, StatusCode::NO_CONTENT).await;
    let dir = tempfile::tempdir().unwrap();
    let sms = webhook_config(&url, dir.path());
    let server = InProcess::start_with_sms("resend_cooldown = \"0s\"", TWO_USERS, Some(&sms)).await;
    start_then_resend(&server, "pt-BR", "voice").await;
    let requests = wait_for(&received, 2).await;
    let text: serde_json::Value = serde_json::from_slice(&requests[0].1).unwrap();
    let call: serde_json::Value = serde_json::from_slice(&requests[1].1).unwrap();
    assert_eq!(text["channel"], "sms");
    assert_eq!((call["channel"].as_str(), call["language"].as_str()), (Some("voice"), Some("pt-br")));
    assert_eq!(call["to"], "+12065550100");
    assert!(call["body"].as_str().unwrap().starts_with("Seu código"), "{call}");
}

#[tokio::test]
async fn webhook_signature_verifies_and_a_dead_gateway_is_audited() {
    let (url, received) = fake_gateway("/sms", 0, StatusCode::NO_CONTENT).await;
    let dir = tempfile::tempdir().unwrap();
    let sms = webhook_config(&url, dir.path());
    let server = InProcess::start_with_sms("", TWO_USERS, Some(&sms)).await;
    post_json(&server.url, "/v1/sign-in/start", json!({ "phone": "+12065550100" })).await;
    let requests = wait_for(&received, 1).await;
    let (headers, body) = &requests[0];
    let timestamp = headers["x-shiftkey-timestamp"].to_str().unwrap();
    let signature = headers["x-shiftkey-signature"].to_str().unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"hook-key").unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, format!("v1={hex}"), "the signature verifies with the shared secret");
    let message: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(message["to"], "+12065550100");
    assert!(message["body"].as_str().unwrap().contains("@shiftkey.local #"));

    // A gateway that always fails: three tries, then an audit record (number masked).
    let (url, received) = fake_gateway("/sms", usize::MAX, StatusCode::NO_CONTENT).await;
    let sms = webhook_config(&url, dir.path());
    let server = InProcess::start_with_sms("", TWO_USERS, Some(&sms)).await;
    post_json(&server.url, "/v1/sign-in/start", json!({ "phone": "+12065550100" })).await;
    wait_for(&received, 3).await;
    let audit = wait_for_audit(&server, "sms_failed").await;
    assert!(audit.contains("after 3 tries"), "{audit}");
    assert!(!audit.contains("2065550100"), "{audit}");
    assert_eq!(received.lock().unwrap().len(), 3, "no fourth try");
}
