//! The SMS gateways against local fakes built from their documented wire formats: Twilio's
//! Messages API (form POST, basic auth) and our signed webhook.

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
    let log = received.clone();
    let app = axum::Router::new().route(
        path,
        post(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push((headers, body));
                if log.len() <= failures { StatusCode::SERVICE_UNAVAILABLE } else { ok }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
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
    let token_file = dir.path().join("twilio-token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let sms = format!(
        "[sms]\nkind = \"twilio\"\naccount_sid = \"AC123\"\nfrom = \"+12065550199\"\nbase_url = \"{url}\"\nauth_token = {{ file = {token_file:?} }}\n"
    );
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

#[tokio::test]
async fn webhook_signature_verifies_and_a_dead_gateway_is_audited() {
    let (url, received) = fake_gateway("/sms", 0, StatusCode::NO_CONTENT).await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("webhook-secret");
    std::fs::write(&secret_file, "hook-key").unwrap();
    let sms = format!("[sms]\nkind = \"webhook\"\nurl = \"{url}/sms\"\nsecret = {{ file = {secret_file:?} }}\n");
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
    let sms = format!("[sms]\nkind = \"webhook\"\nurl = \"{url}/sms\"\nsecret = {{ file = {secret_file:?} }}\n");
    let server = InProcess::start_with_sms("", TWO_USERS, Some(&sms)).await;
    post_json(&server.url, "/v1/sign-in/start", json!({ "phone": "+12065550100" })).await;
    wait_for(&received, 3).await;
    let audit_path = server.dir.path().join("shiftkey.db.audit.jsonl");
    let mut audit = String::new();
    for _ in 0..300 {
        audit = std::fs::read_to_string(&audit_path).unwrap_or_default();
        if audit.contains("sms_failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(audit.contains("\"event\":\"sms_failed\""), "{audit}");
    assert!(audit.contains("after 3 tries"), "{audit}");
    assert!(!audit.contains("2065550100"), "{audit}");
    assert_eq!(received.lock().unwrap().len(), 3, "no fourth try");
}
