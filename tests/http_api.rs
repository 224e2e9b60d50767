//! HTTP hygiene of `shiftkey serve`, and the OpenAPI document against what the server does.

mod common;

use std::collections::BTreeSet;

use common::Backend;
use serde_json::{Value, json};

/// Sends one request and returns (method, path, status).
async fn call(url: &str, method: &str, path: &str, body: Option<String>, token: Option<&str>) -> (String, String, u16) {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), format!("{url}{path}"));
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let status = request.send().await.unwrap().status().as_u16();
    (method.to_lowercase(), path.to_string(), status)
}

on_both_engines! {
    async fn every_route_and_status_is_documented_and_every_documented_one_happens(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let db = common::seeded(engine, dir.path());
        let config = dir.path().join("s.toml");
        std::fs::write(
            &config,
            "resend_cooldown = \"0s\"\n[limits]\nper_phone_per_hour = 3\nfailures_per_user_per_hour = 3\n",
        )
        .unwrap();
        let backend = Backend::start_with_config(dir, db, Some(config));
        let url = backend.url.as_str();
        let mut seen = BTreeSet::new();
        let start = |phone: &str| Some(json!({ "phone": phone }).to_string());
        let resend = |id: &str| Some(json!({ "challenge_id": id }).to_string());
        let verify = |id: &str, code: &str| Some(json!({ "challenge_id": id, "code": code }).to_string());
        let too_big = Some(format!("{{\"phone\":\"{}\"}}", "1".repeat(20_000)));

        // alex: start 202, resend 202, start 202; then the per-number cap: start 429, resend 429.
        let (_, body) = common::post_json(url, "/v1/sign-in/start", json!({ "phone": "+12065550100" })).await;
        seen.insert(("post".to_string(), "/v1/sign-in/start".to_string(), 202));
        let challenge = body["challenge_id"].as_str().unwrap().to_string();
        seen.insert(call(url, "POST", "/v1/sign-in/resend", resend(&challenge), None).await);
        seen.insert(call(url, "POST", "/v1/sign-in/start", start("+12065550100"), None).await);
        seen.insert(call(url, "POST", "/v1/sign-in/start", start("+12065550100"), None).await);
        seen.insert(call(url, "POST", "/v1/sign-in/resend", resend(&challenge), None).await);
        // Bad input: 400 and 413 on each POST route.
        seen.insert(call(url, "POST", "/v1/sign-in/start", start("nope"), None).await);
        seen.insert(call(url, "POST", "/v1/sign-in/resend", resend("unknown"), None).await);
        seen.insert(call(url, "POST", "/v1/sign-in/verify", verify(&challenge, "000000x"), None).await);
        for path in ["/v1/sign-in/start", "/v1/sign-in/resend", "/v1/sign-in/verify"] {
            seen.insert(call(url, "POST", path, too_big.clone(), None).await);
        }
        // Three wrong codes reach alex's hourly failure cap: the next verify is 429.
        for _ in 0..3 {
            seen.insert(call(url, "POST", "/v1/sign-in/verify", verify(&challenge, "999999"), None).await);
        }
        seen.insert(call(url, "POST", "/v1/sign-in/verify", verify(&challenge, "999999"), None).await);
        // jordan signs in: verify 200.
        let (_, body) = common::post_json(url, "/v1/sign-in/start", json!({ "phone": "+12065550109" })).await;
        let jordan = body["challenge_id"].as_str().unwrap().to_string();
        let jordan_code = backend.code_for("+12065550109");
        seen.insert(call(url, "POST", "/v1/sign-in/verify", verify(&jordan, &jordan_code), None).await);
        let (_, body) = common::post_json(url, "/v1/sign-in/start", json!({ "phone": "+12065550109" })).await;
        let again = backend.codes_for("+12065550109", 2)[1].clone();
        let (_, grant) =
            common::post_json(url, "/v1/sign-in/verify", json!({ "challenge_id": body["challenge_id"], "code": again }))
                .await;
        let token = grant["access_token"].as_str().unwrap().to_string();
        // Passes: jordan (a kiosk manager) issues one for alex, 201; alex signs in with it, 200;
        // alex's token can't issue one, 403; bad number 400; no token 401; no one's number 404.
        let issue = |phone: &str| Some(json!({ "phone": phone }).to_string());
        let with_pass = |phone: &str, pass: &str| Some(json!({ "phone": phone, "pass": pass }).to_string());
        let (_, issued) = {
            let response = reqwest::Client::new()
                .post(format!("{url}/v1/passes"))
                .bearer_auth(&token)
                .json(&json!({ "phone": "+12065550100" }))
                .send()
                .await
                .unwrap();
            seen.insert(("post".to_string(), "/v1/passes".to_string(), response.status().as_u16()));
            (response.status(), response.json::<Value>().await.unwrap())
        };
        let pass = issued["pass"].as_str().unwrap().to_string();
        let (status, alex) = common::post_json(url, "/v1/sign-in/pass", json!({ "phone": "+12065550100", "pass": pass })).await;
        seen.insert(("post".to_string(), "/v1/sign-in/pass".to_string(), status));
        let alex_token = alex["access_token"].as_str().unwrap().to_string();
        seen.insert(call(url, "POST", "/v1/passes", issue("+12065550109"), Some(&alex_token)).await);
        seen.insert(call(url, "POST", "/v1/passes", issue("nope"), Some(&token)).await);
        seen.insert(call(url, "POST", "/v1/passes", issue("+12065550100"), None).await);
        seen.insert(call(url, "POST", "/v1/passes", issue("+12065550177"), Some(&token)).await);
        seen.insert(call(url, "POST", "/v1/passes", too_big.clone(), Some(&token)).await);
        // Three wrong passes reach the number's hourly cap: the next is 429.
        for _ in 0..4 {
            seen.insert(call(url, "POST", "/v1/sign-in/pass", with_pass("+12065550177", "AAAAA-AAAAA"), None).await);
        }
        seen.insert(call(url, "POST", "/v1/sign-in/pass", too_big.clone(), None).await);
        // me, sign-out, openapi, healthz
        seen.insert(call(url, "GET", "/v1/me", None, Some(&token)).await);
        seen.insert(call(url, "GET", "/v1/me", None, Some("nope")).await);
        seen.insert(call(url, "POST", "/v1/sign-out", None, Some(&token)).await);
        seen.insert(call(url, "POST", "/v1/sign-out", None, None).await);
        seen.insert(call(url, "GET", "/v1/openapi.json", None, None).await);
        seen.insert(call(url, "GET", "/healthz", None, None).await);

        let spec: Value = reqwest::get(format!("{url}/v1/openapi.json")).await.unwrap().json().await.unwrap();
        let mut documented = BTreeSet::new();
        for (path, operations) in spec["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                for status in operation["responses"].as_object().unwrap().keys() {
                    if let Ok(status) = status.parse::<u16>() {
                        documented.insert((method.clone(), path.clone(), status));
                    }
                }
            }
        }
        let undocumented: Vec<_> = seen.difference(&documented).collect();
        let never_seen: Vec<_> = documented.difference(&seen).collect();
        assert!(undocumented.is_empty(), "the server answered these, the document doesn't say so: {undocumented:?}");
        assert!(never_seen.is_empty(), "documented but never produced: {never_seen:?}");
    }

    async fn wrong_method_and_unknown_path_get_json_errors(engine: Engine) {
        let backend = Backend::start_on(engine);
        let response = reqwest::get(format!("{}/v1/sign-in/start", backend.url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 405);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");
        let response = reqwest::get(format!("{}/v2/nothing", backend.url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }

    async fn a_body_without_json_content_type_is_a_clear_400(engine: Engine) {
        let backend = Backend::start_on(engine);
        let response = reqwest::Client::new()
            .post(format!("{}/v1/sign-in/start", backend.url))
            .body("{\"phone\": \"+12065550100\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("Content-Type: application/json"), "{body}");
    }
}
