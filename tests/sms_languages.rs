//! The text message in the worker's language: a real `shiftkey serve`, asked over HTTP (and
//! through the kiosk's own client) with a `locale`, sends from `sms-template.<lang>.txt`,
//! falls back to the default, and keeps the language for resends.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shiftkey::auth::AuthBackend;
use shiftkey::auth::shiftkey::ShiftkeyBackend;
use shiftkey::phone::PhoneNumber;

const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";

async fn start(url: &str, phone: &str, locale: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "phone": phone });
    if let Some(locale) = locale {
        body["locale"] = json!(locale);
    }
    let response =
        reqwest::Client::new().post(format!("{url}/v1/sign-in/start")).json(&body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The bodies texted to `e164`, oldest first, once there are `count` of them (within 5 s).
fn texts(outbox: &Path, e164: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(outbox).unwrap_or_default();
        let bodies: Vec<String> = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|message| message["to"] == e164)
            .filter_map(|message| message["body"].as_str().map(str::to_string))
            .collect();
        if bodies.len() >= count {
            return bodies;
        }
        assert!(Instant::now() < deadline, "{count} texts to {e164} never came: {bodies:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The message a template makes, up to the code: what a text in that language starts with.
fn opening(template: &str) -> &str {
    template.split("{code}").next().unwrap()
}

#[tokio::test]
async fn the_code_is_texted_in_the_language_asked_for_else_the_default() {
    let backend = Backend::start();
    let spanish = include_str!("../assets/sms-template.es.txt");
    let english = include_str!("../assets/sms-template.txt");
    let cases = [
        (Some("es"), spanish),
        (Some("es-MX"), spanish),
        (Some("PT-br"), include_str!("../assets/sms-template.pt-BR.txt")),
        (Some("it"), english),
        (None, english),
    ];
    for (count, (locale, template)) in cases.into_iter().enumerate() {
        let (status, body) = start(&backend.url, ALEX, locale).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{locale:?}: {body}");
        let last = texts(&backend.outbox, ALEX, count + 1).pop().unwrap();
        assert!(last.starts_with(opening(template)), "{locale:?}: {last}");
        assert!(last.len() <= 140, "{last}");
    }
}

#[tokio::test]
async fn a_locale_that_is_no_language_tag_is_refused() {
    let backend = Backend::start();
    let (status, body) = start(&backend.url, ALEX, Some("../../etc/passwd")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert_eq!(backend.sms_count(), 0);
}

#[tokio::test]
async fn a_resend_keeps_the_challenge_s_language() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, "resend_cooldown = \"1s\"\n").unwrap();
    let backend = Backend::start_with_config(dir, db, Some(config));
    let (status, body) = start(&backend.url, JORDAN, Some("de")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let challenge = body["challenge_id"].as_str().unwrap().to_string();
    texts(&backend.outbox, JORDAN, 1);
    // Asked again until the cooldown has passed (the server says when).
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = client
            .post(format!("{}/v1/sign-in/resend", backend.url))
            .json(&json!({ "challenge_id": challenge }))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::ACCEPTED {
            break;
        }
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(Instant::now() < deadline, "the resend cooldown never passed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let german = opening(include_str!("../assets/sms-template.de.txt"));
    let sent = texts(&backend.outbox, JORDAN, 2);
    assert!(sent.iter().all(|text| text.starts_with(german)), "{sent:?}");
    assert_ne!(sent[0], sent[1], "a new code");
}

#[tokio::test]
async fn the_kiosk_s_client_asks_for_the_worker_s_language() {
    let backend = Backend::start();
    let client = ShiftkeyBackend::new(&backend.url).unwrap();
    let phone = PhoneNumber::parse_international(ALEX).unwrap();
    client.start_in(&phone, "zh-CN").await.expect("a challenge");
    let text = texts(&backend.outbox, ALEX, 1).pop().unwrap();
    assert!(text.starts_with(opening(include_str!("../assets/sms-template.zh-CN.txt"))), "{text}");
    // `start` alone is the default language.
    client.start(&phone).await.expect("a challenge");
    let text = texts(&backend.outbox, ALEX, 2).pop().unwrap();
    assert!(text.starts_with(opening(include_str!("../assets/sms-template.txt"))), "{text}");
}
