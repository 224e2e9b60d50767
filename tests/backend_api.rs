//! The reference backend over real HTTP: `shiftkey serve` on port 0 with a temp database.

mod common;

use std::time::Duration;

use common::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";

async fn post(url: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new().post(format!("{url}{path}")).json(&body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn start(url: &str, phone: &str) -> (StatusCode, Value) {
    post(url, "/v1/sign-in/start", json!({ "phone": phone })).await
}

async fn verify(url: &str, challenge: &str, code: &str) -> (StatusCode, Value) {
    post(url, "/v1/sign-in/verify", json!({ "challenge_id": challenge, "code": code })).await
}

async fn me(url: &str, token: &str) -> StatusCode {
    reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.expect("request").status()
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

on_both_engines! {
    async fn happy_path_signs_in_and_sign_out_revokes(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (status, body) = start(&backend.url, ALEX).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(body["code_length"], 6);
        assert_eq!(body["expires_in"], 300);
        assert_eq!(body["resend_after"], 30);
        let challenge = body["challenge_id"].as_str().unwrap();
        let code = backend.code_for(ALEX);

        let (status, body) = verify(&backend.url, challenge, &code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["user"]["display_name"], "Alex Rivera");
        assert_eq!(body["user"]["id"], "alex");
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(me(&backend.url, token).await, StatusCode::OK);

        let client = reqwest::Client::new();
        let out = client.post(format!("{}/v1/sign-out", backend.url)).bearer_auth(token).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert_eq!(me(&backend.url, token).await, StatusCode::UNAUTHORIZED, "a revoked token gets 401");
        let again = client.post(format!("{}/v1/sign-out", backend.url)).bearer_auth(token).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NO_CONTENT, "sign-out is idempotent");
    }

    async fn message_ends_with_origin_bound_code_line(engine: Engine) {
        let backend = Backend::start_on(engine);
        start(&backend.url, ALEX).await;
        let code = backend.code_for(ALEX);
        let text = std::fs::read_to_string(&backend.outbox).unwrap();
        let message: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let body = message["body"].as_str().unwrap();
        assert!(body.ends_with(&format!("\n@shiftkey.local #{code}")), "{body}");
        assert!(body.len() <= 140);
    }

    async fn wrong_code_reports_attempts_left(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (_, body) = start(&backend.url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap();
        let code = backend.code_for(ALEX);
        let (status, body) = verify(&backend.url, challenge, &wrong(&code)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_code");
        assert_eq!(body["attempts_left"], 4);
        // The right code still works after a wrong one.
        let (status, _) = verify(&backend.url, challenge, &code).await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn a_code_works_only_once(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (_, body) = start(&backend.url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap();
        let code = backend.code_for(ALEX);
        assert_eq!(verify(&backend.url, challenge, &code).await.0, StatusCode::OK);
        let (status, body) = verify(&backend.url, challenge, &code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "expired");
    }

    async fn five_wrong_codes_kill_the_challenge(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (_, body) = start(&backend.url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap();
        let code = backend.code_for(ALEX);
        for left in [4, 3, 2, 1] {
            let (_, body) = verify(&backend.url, challenge, &wrong(&code)).await;
            assert_eq!(body["attempts_left"], left);
        }
        let (status, body) = verify(&backend.url, challenge, &wrong(&code)).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("too_many_attempts")));
        let (_, body) = verify(&backend.url, challenge, &code).await;
        assert_eq!(body["error"], "too_many_attempts", "even the right code is refused now");
    }

    async fn unknown_number_gets_the_same_answer_and_no_sms(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (known_status, known) = start(&backend.url, ALEX).await;
        backend.code_for(ALEX);
        let (unknown_status, unknown) = start(&backend.url, "+12065550177").await;
        assert_eq!(known_status, unknown_status);
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&known), keys(&unknown));
        for field in ["code_length", "expires_in", "resend_after"] {
            assert_eq!(known[field], unknown[field], "{field}");
        }
        assert_eq!(known["challenge_id"].as_str().unwrap().len(), unknown["challenge_id"].as_str().unwrap().len());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(backend.sms_count(), 1, "no SMS for the unknown number");
        // Guessing on an unknown number's challenge behaves like a wrong code.
        let (status, body) = verify(&backend.url, unknown["challenge_id"].as_str().unwrap(), "123456").await;
        assert_eq!((status, body["attempts_left"].as_u64()), (StatusCode::BAD_REQUEST, Some(4)));
    }

    async fn resend_kills_the_old_code_and_keeps_attempts(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let db = common::seeded(engine, dir.path());
        // The cooldown is real time; a server config makes it short enough to test without a clock.
        let config = dir.path().join("server.toml");
        std::fs::write(&config, "resend_cooldown = \"0s\"\n").unwrap();
        let backend = Backend::start_with_config(dir, db, Some(config));
        let (_, body) = start(&backend.url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap().to_string();
        let first = backend.code_for(ALEX);
        verify(&backend.url, &challenge, &wrong(&first)).await;
        let (status, _) = post(&backend.url, "/v1/sign-in/resend", json!({ "challenge_id": challenge })).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let codes = backend.codes_for(ALEX, 2);
        let second = codes[1].clone();
        if first != second {
            let (_, body) = verify(&backend.url, &challenge, &first).await;
            assert_eq!(body["error"], "invalid_code", "the old code died");
            assert_eq!(body["attempts_left"], 3, "attempts were not reset by the resend");
        }
        assert_eq!(verify(&backend.url, &challenge, &second).await.0, StatusCode::OK);
    }

    async fn resend_too_early_is_rate_limited_with_retry_after(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (_, body) = start(&backend.url, ALEX).await;
        let response = reqwest::Client::new()
            .post(format!("{}/v1/sign-in/resend", backend.url))
            .json(&json!({ "challenge_id": body["challenge_id"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "rate_limited");
    }

    async fn bad_requests_get_clear_json_errors(engine: Engine) {
        let backend = Backend::start_on(engine);
        let client = reqwest::Client::new();
        let raw = |body: &'static str| {
            client
                .post(format!("{}/v1/sign-in/start", backend.url))
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let response = raw("{not json").await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(!body["message"].as_str().unwrap().is_empty());

        let response = raw(r#"{"phone": "+12065550100", "extra": 1}"#).await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("unknown field"), "{body}");

        let (status, body) = start(&backend.url, "2065550100").await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_phone")));
        let (_, body) = start(&backend.url, "+1 4251234567").await;
        assert!(body["message"].as_str().unwrap().contains("isn't a valid mobile number"), "{body}");

        let big = format!(r#"{{"phone": "{}"}}"#, "1".repeat(20_000));
        let response = client
            .post(format!("{}/v1/sign-in/start", backend.url))
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    async fn health_and_openapi_are_served(engine: Engine) {
        let backend = Backend::start_on(engine);
        let health: Value = reqwest::get(format!("{}/healthz", backend.url)).await.unwrap().json().await.unwrap();
        assert_eq!(health["status"], "ok");
        let spec: Value = reqwest::get(format!("{}/v1/openapi.json", backend.url)).await.unwrap().json().await.unwrap();
        assert_eq!(spec["openapi"], "3.0.3");
        for path in ["/v1/sign-in/start", "/v1/sign-in/resend", "/v1/sign-in/verify", "/v1/sign-out", "/v1/me", "/healthz"]
        {
            assert!(spec["paths"].get(path).is_some(), "{path} is documented");
        }
    }

    async fn codes_expire_after_five_minutes(engine: Engine) {
        // The same server as `shiftkey serve`, in-process so the clock can be moved.
        let server = common::InProcess::start_on(engine, "", common::TWO_USERS).await;
        let url = server.url.clone();
        let (_, body) = start(&url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap().to_string();
        let (_, body2) = start(&url, ALEX).await;
        let challenge2 = body2["challenge_id"].as_str().unwrap().to_string();
        let codes = server.codes_for(ALEX, 2).await;

        server.clock.advance(Duration::from_secs(299));
        assert_eq!(verify(&url, &challenge, &codes[0]).await.0, StatusCode::OK, "valid one second before expiry");
        server.clock.advance(Duration::from_secs(1));
        let (status, body) = verify(&url, &challenge2, &codes[1]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("expired")),
            "dead at exactly 5 minutes"
        );
    }

    async fn server_log_holds_no_code_no_token_and_no_full_number(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (_, body) = start(&backend.url, ALEX).await;
        let challenge = body["challenge_id"].as_str().unwrap();
        let code = backend.code_for(ALEX);
        verify(&backend.url, challenge, &wrong(&code)).await;
        let (_, grant) = verify(&backend.url, challenge, &code).await;
        let token = grant["access_token"].as_str().unwrap().to_string();
        reqwest::Client::new().post(format!("{}/v1/sign-out", backend.url)).bearer_auth(&token).send().await.unwrap();
        start(&backend.url, "+12065550177").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let log = std::fs::read_to_string(backend.dir.path().join("serve.log")).unwrap();
        assert!(log.contains("sign-in started") && log.contains("+1 ••• ••• 0100"), "the log is real:\n{log}");
        for secret in [code.as_str(), token.as_str(), "2065550100", "2065550177"] {
            assert!(!log.contains(secret), "{secret} is in the server log:\n{log}");
        }
    }
}

/// Rows of `table` in the database at `db`, as the server sees them now.
fn rows(db: &std::path::Path, table: &str) -> i64 {
    let db = rusqlite::Connection::open(db).unwrap();
    db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// Waits (up to 5 s) until `table` holds `count` rows.
async fn until_rows(db: &std::path::Path, table: &str, count: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while rows(db, table) != count {
        assert!(std::time::Instant::now() < deadline, "{table}: {} rows, not {count}", rows(db, table));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_server_forgets_used_challenges_and_ended_tokens_and_only_those() {
    let server = common::InProcess::start("prune_interval = \"1s\"", common::TWO_USERS).await;
    let url = &server.url;
    let mut tokens = Vec::new();
    for round in 0..2 {
        let (_, body) = start(url, ALEX).await;
        let code = server.codes_for(ALEX, round + 1).await.pop().unwrap();
        let (status, grant) = verify(url, body["challenge_id"].as_str().unwrap(), &code).await;
        assert_eq!(status, StatusCode::OK);
        tokens.push(grant["access_token"].as_str().unwrap().to_string());
    }
    let out = reqwest::Client::new().post(format!("{url}/v1/sign-out")).bearer_auth(&tokens[1]).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let (_, waiting) = start(url, ALEX).await;

    // The used challenges and the revoked token go; the live token and the open challenge stay.
    until_rows(server.db.path(), "tokens", 1).await;
    until_rows(server.db.path(), "challenges", 1).await;
    assert_eq!(me(url, &tokens[0]).await, StatusCode::OK);
    assert_eq!(me(url, &tokens[1]).await, StatusCode::UNAUTHORIZED);
    let code = server.codes_for(ALEX, 3).await.pop().unwrap();
    let waiting = waiting["challenge_id"].as_str().unwrap();
    assert_eq!(
        post(url, "/v1/sign-in/resend", json!({ "challenge_id": waiting })).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "still there (cooling down)"
    );

    // 13 hours on: the token has expired, the open challenge too (over 2 hours ago): both go.
    server.clock.advance(Duration::from_secs(13 * 3600));
    until_rows(server.db.path(), "tokens", 0).await;
    until_rows(server.db.path(), "challenges", 0).await;
    assert_eq!(me(url, &tokens[0]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(verify(url, waiting, &code).await.1["error"], "expired");
}
