//! Temporary access passes (issue 19) over real HTTP against `shiftkey serve`: `admin tap
//! create/show/revoke`, `POST /v1/sign-in/pass` (one-time and multi-use, replacement, expiry
//! on the injected clock, caps, unknown numbers answered alike) and a manager's
//! `POST /v1/passes`.

mod common;

use std::time::Duration;

use common::{Backend, InProcess, TWO_USERS, admin, post_json};
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";
const SAM: &str = "+12065550102";

/// `tap create` as an admin; returns the pass it printed (its last line).
fn create(db: &impl common::AdminDb, args: &[&str]) -> String {
    let (ok, out, err) = admin(db, &[&["tap", "create"][..], args].concat());
    assert!(ok, "tap create {args:?}: {err}");
    out.trim_end().lines().last().expect("the pass").to_string()
}

async fn with_pass(url: &str, phone: &str, pass: &str) -> (u16, Value) {
    post_json(url, "/v1/sign-in/pass", json!({ "phone": phone, "pass": pass })).await
}

async fn me(url: &str, token: &str) -> u16 {
    reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// A pass with one character changed (still from the alphabet).
fn wrong(pass: &str) -> String {
    let first = if pass.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &pass[1..])
}

on_both_engines! {
    async fn admin_creates_shows_and_revokes_a_one_time_pass(engine: Engine) {
        let backend = Backend::start_on(engine);
        let (ok, out, _) = admin(&backend.db, &["tap", "show", "alex"]);
        assert!(ok && out.contains("alex has no live pass"), "{out}");
        let pass = create(&backend.db, &["alex"]);
        assert_eq!(pass.len(), 11, "10 characters in two groups: {pass}");
        let (ok, out, _) = admin(&backend.db, &["--json", "tap", "show", "alex"]);
        assert!(ok);
        let shown: Value = serde_json::from_str(&out).unwrap();
        assert_eq!((shown["live"].as_bool(), shown["one_time"].as_bool(), shown["uses"].as_u64()), (Some(true), Some(true), Some(0)));
        assert!(!out.contains(&pass), "show never shows the pass: {out}");

        let (status, grant) = with_pass(&backend.url, ALEX, &pass).await;
        assert_eq!(status, 200, "{grant}");
        assert_eq!((grant["token_type"].as_str(), grant["user"]["id"].as_str()), (Some("Bearer"), Some("alex")));
        assert_eq!(me(&backend.url, grant["access_token"].as_str().unwrap()).await, 200);
        let (status, again) = with_pass(&backend.url, ALEX, &pass).await;
        assert_eq!((status, again["error"].as_str()), (400, Some("invalid_pass")), "one-time: {again}");
        let (_, out, _) = admin(&backend.db, &["tap", "show", "alex"]);
        assert!(out.contains("alex has no live pass"), "a used one-time pass isn't live: {out}");

        let pass = create(&backend.db, &["alex", "--one-time", "--lifetime", "30m"]);
        let (ok, out, _) = admin(&backend.db, &["tap", "revoke", "alex"]);
        assert!(ok && out.contains("revoked alex's pass"), "{out}");
        assert_eq!(with_pass(&backend.url, ALEX, &pass).await.0, 400, "a revoked pass is refused");
        let (ok, out, _) = admin(&backend.db, &["tap", "revoke", "alex"]);
        assert!(ok && out.contains("nothing changed"), "{out}");

        let audit = std::fs::read_to_string(backend.db.audit()).unwrap();
        for command in ["tap create", "tap show", "tap revoke"] {
            assert!(audit.contains(&format!("\"command\":\"{command}\"")), "{command} not audited: {audit}");
        }
        assert!(!audit.contains(&pass) && !audit.contains(&pass.replace('-', "")), "the pass is in the audit log");
        let dump = String::from_utf8_lossy(&backend.db.dump()).into_owned();
        assert!(!dump.contains(&pass) && !dump.contains(&pass.replace('-', "")), "the pass is in the database");
    }

    async fn a_multi_use_pass_works_until_replaced_and_typing_is_forgiving(engine: Engine) {
        let backend = Backend::start_on(engine);
        let first = create(&backend.db, &["alex", "--multi-use", "--lifetime", "8h"]);
        for typed in [first.clone(), first.to_lowercase().replace('-', " "), format!(" {} ", first.replace('-', ""))] {
            let (status, body) = with_pass(&backend.url, ALEX, &typed).await;
            assert_eq!(status, 200, "{typed:?}: {body}");
        }
        let (_, out, _) = admin(&backend.db, &["tap", "show", "alex"]);
        assert!(out.contains("live multi-use pass") && out.contains("used 3 time(s)"), "{out}");
        let second = create(&backend.db, &["alex"]);
        assert_ne!(first, second);
        assert_eq!(with_pass(&backend.url, ALEX, &first).await.0, 400, "a new pass replaces the old");
        assert_eq!(with_pass(&backend.url, ALEX, &second).await.0, 200);
        assert_eq!(with_pass(&backend.url, JORDAN, &second).await.0, 400, "a pass is its user's only");
    }

    async fn a_pass_expires_on_the_clock(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let pass = create(&server.db, &["alex", "--multi-use", "--lifetime", "10m"]);
        assert_eq!(with_pass(&server.url, ALEX, &pass).await.0, 200);
        server.clock.advance(Duration::from_secs(9 * 60));
        assert_eq!(with_pass(&server.url, ALEX, &pass).await.0, 200, "still live after 9 minutes");
        server.clock.advance(Duration::from_secs(61));
        let (status, body) = with_pass(&server.url, ALEX, &pass).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_pass")), "{body}");
    }

    async fn wrong_passes_are_capped_per_number_alike_for_unknown_numbers(engine: Engine) {
        let server = InProcess::start_on(engine, "[limits]\nfailures_per_user_per_hour = 3", TWO_USERS).await;
        let pass = create(&server.db, &["alex", "--lifetime", "2h"]);
        for phone in [ALEX, "+12065550177"] {
            for _ in 0..3 {
                let (status, body) = with_pass(&server.url, phone, &wrong(&pass)).await;
                assert_eq!((status, body["error"].as_str()), (400, Some("invalid_pass")), "{body}");
            }
            let response = reqwest::Client::new()
                .post(format!("{}/v1/sign-in/pass", server.url))
                .json(&json!({ "phone": phone, "pass": pass }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 429, "{phone}: the fourth try is refused, even the right pass");
            let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((3590..=3600).contains(&retry), "Retry-After {retry}");
            let body: Value = response.json().await.unwrap();
            assert_eq!((body["error"].as_str(), body["retry_after"].as_u64()), (Some("rate_limited"), Some(retry)));
        }
        server.clock.advance(Duration::from_secs(3601));
        assert_eq!(with_pass(&server.url, ALEX, &pass).await.0, 200, "an hour later the right pass works");
    }

    async fn wrong_passes_are_capped_per_client(engine: Engine) {
        let server = InProcess::start_on(engine, "[limits]\nper_client_per_hour = 4", TWO_USERS).await;
        let pass = create(&server.db, &["sam"]);
        for n in 0..4 {
            let phone = format!("+1206555017{n}");
            assert_eq!(with_pass(&server.url, &phone, "AAAAA-AAAAA").await.0, 400);
        }
        let (status, body) = with_pass(&server.url, SAM, &pass).await;
        assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")), "one client guessing across numbers");
    }

    async fn a_manager_issues_a_one_time_pass_for_a_worker(engine: Engine) {
        let backend = Backend::start_on(engine);
        let manager = backend.sign_in(JORDAN).await;
        let issue = |token: Option<String>, phone: &str| {
            let mut request = reqwest::Client::new().post(format!("{}/v1/passes", backend.url)).json(&json!({ "phone": phone }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, issued) = issue(Some(manager.clone()), ALEX).await;
        assert_eq!(status, 201, "{issued}");
        assert_eq!((issued["one_time"].as_bool(), issued["expires_in"].as_u64()), (Some(true), Some(3600)));
        assert_eq!(issued["user"]["display_name"], "Alex Rivera");
        let pass = issued["pass"].as_str().unwrap().to_string();
        let (_, out, _) = admin(&backend.db, &["tap", "show", "alex"]);
        assert!(out.contains("issued by manager jordan"), "{out}");
        let (status, grant) = with_pass(&backend.url, ALEX, &pass).await;
        assert_eq!((status, grant["user"]["id"].as_str()), (200, Some("alex")), "{grant}");

        let worker = grant["access_token"].as_str().unwrap().to_string();
        let (status, body) = issue(Some(worker), SAM).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")), "a worker can't issue passes");
        assert_eq!(issue(None, ALEX).await.0, 401);
        assert_eq!(issue(Some("not-a-token".into()), ALEX).await.0, 401);
        let (status, body) = issue(Some(manager.clone()), "+12065550177").await;
        assert_eq!((status, body["error"].as_str()), (404, Some("no_such_user")), "{body}");
        assert_eq!(issue(Some(manager), "2065550100").await.0, 400, "not in international form");

        let audit = std::fs::read_to_string(backend.db.audit()).unwrap();
        let record: Value = audit.lines().map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["event"] == "pass_issued").expect("the issue is audited");
        assert_eq!((record["by"].as_str(), record["for"].as_str()), (Some("jordan"), Some("alex")));
        assert!(record["phone"].as_str().unwrap().ends_with("00") && !audit.contains(ALEX) && !audit.contains(JORDAN), "{record}");
        assert!(record["by_phone"].as_str().unwrap().ends_with("09"), "{record}");
        assert!(!audit.contains(&pass), "the pass is in the audit log");
    }

    async fn unknown_numbers_answer_like_known_ones(engine: Engine) {
        let directory = format!(
            "{TWO_USERS}[[user]]\nusername = \"gone\"\ndisplay_name = \"Gone\"\nmobile = \"+1 206 555 0103\"\n"
        );
        let server = InProcess::start_on(engine, "[limits]\nenabled = false\nfailures_per_user_per_hour = 100000", &directory).await;
        let (ok, _, err) = admin(&server.db, &["user", "disable", "gone"]);
        assert!(ok, "{err}");
        create(&server.db, &["alex"]);
        let kinds = [
            ("with a pass", ALEX),
            ("without one", SAM),
            ("unregistered", "+12065550177"),
            ("disabled", "+12065550103"),
        ];
        let bodies: Vec<Value> = kinds.iter().map(|(_, phone)| json!({ "phone": phone, "pass": "AAAAA-AAAAA" })).collect();
        let url = format!("{}/v1/sign-in/pass", server.url);
        let (answers, timings) = common::timing::post_in_rounds(&url, &bodies, 200).await;
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "answers differ: {answers:?}");
        let names: Vec<&str> = kinds.iter().map(|kind| kind.0).collect();
        common::timing::assert_alike("pass", &names, &timings);
    }
}
