//! One test per numbered requirement of `shared/reference/security-requirements.md` that
//! concerns the reference backend, named after it. All over real HTTP.

mod common;

use std::time::Duration;

use common::{InProcess, TWO_USERS, post_json};
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";
const SAM: &str = "+12065550102";

async fn start(url: &str, phone: &str) -> (u16, Value) {
    post_json(url, "/v1/sign-in/start", json!({ "phone": phone })).await
}

async fn verify(url: &str, challenge: &Value, code: &str) -> (u16, Value) {
    post_json(url, "/v1/sign-in/verify", json!({ "challenge_id": challenge, "code": code })).await
}

async fn resend(url: &str, challenge: &Value) -> (u16, Value) {
    post_json(url, "/v1/sign-in/resend", json!({ "challenge_id": challenge })).await
}

async fn me(url: &str, token: &str) -> u16 {
    reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// Starts and completes a sign-in for `phone`; returns the access token.
async fn sign_in(server: &InProcess, phone: &str) -> String {
    let before = common::outbox_codes(&server.outbox, phone).len();
    let (_, body) = start(&server.url, phone).await;
    let code = server.codes_for(phone, before + 1).await.pop().unwrap();
    let (status, grant) = verify(&server.url, &body["challenge_id"], &code).await;
    assert_eq!(status, 200, "{grant}");
    grant["access_token"].as_str().unwrap().to_string()
}

/// Everything the database holds, as text (the file or `pg_dump`).
fn dump(server: &InProcess) -> String {
    String::from_utf8_lossy(&server.db.dump()).into_owned()
}

on_both_engines! {
    async fn req01_codes_are_six_decimal_digits_and_vary(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        for _ in 0..20 {
            start(&server.url, ALEX).await;
        }
        let codes = server.codes_for(ALEX, 10).await;
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())), "{codes:?}");
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() >= codes.len() - 1, "codes repeat: {codes:?}");
    }

    async fn req02_code_lifetime_boundary_with_an_injected_clock(engine: Engine) {
        let server = InProcess::start_on(engine, "code_lifetime = \"2m\"", TWO_USERS).await;
        let (_, first) = start(&server.url, ALEX).await;
        assert_eq!(first["expires_in"], 120);
        let (_, second) = start(&server.url, ALEX).await;
        let codes = server.codes_for(ALEX, 2).await;
        server.clock.advance(Duration::from_millis(119_999));
        assert_eq!(verify(&server.url, &first["challenge_id"], &codes[0]).await.0, 200, "valid until the last millisecond");
        server.clock.advance(Duration::from_millis(1));
        let (status, body) = verify(&server.url, &second["challenge_id"], &codes[1]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("expired")));
    }

    async fn req03_a_code_is_single_use(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let (_, body) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, 1).await.pop().unwrap();
        assert_eq!(verify(&server.url, &body["challenge_id"], &code).await.0, 200);
        assert_eq!(verify(&server.url, &body["challenge_id"], &code).await.1["error"], "expired");
    }

    async fn req04_a_code_is_bound_to_its_challenge_and_only_the_latest_lives(engine: Engine) {
        let server = InProcess::start_on(engine, "resend_cooldown = \"30s\"", TWO_USERS).await;
        let (_, a) = start(&server.url, ALEX).await;
        let (_, b) = start(&server.url, ALEX).await;
        let codes = server.codes_for(ALEX, 2).await;
        if codes[0] != codes[1] {
            assert_eq!(
                verify(&server.url, &b["challenge_id"], &codes[0]).await.1["error"],
                "invalid_code",
                "A's code on B"
            );
        }
        server.clock.advance(Duration::from_secs(30));
        assert_eq!(resend(&server.url, &a["challenge_id"]).await.0, 202);
        let newest = server.codes_for(ALEX, 3).await[2].clone();
        if newest != codes[0] {
            assert_eq!(
                verify(&server.url, &a["challenge_id"], &codes[0]).await.1["error"],
                "invalid_code",
                "the old code died"
            );
        }
        assert_eq!(verify(&server.url, &a["challenge_id"], &newest).await.0, 200);
    }

    async fn req05_five_wrong_codes_kill_a_challenge_and_twenty_an_hour_block_the_user(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let mut failures = 0;
        for round in 0..4 {
            let (_, body) = start(&server.url, ALEX).await;
            let code = server.codes_for(ALEX, round + 1).await.pop().unwrap();
            for left in (0..5).rev() {
                let (_, answer) = verify(&server.url, &body["challenge_id"], &wrong(&code)).await;
                failures += 1;
                if left == 0 {
                    assert_eq!(answer["error"], "too_many_attempts");
                } else {
                    assert_eq!(answer["attempts_left"], left);
                }
            }
            assert_eq!(verify(&server.url, &body["challenge_id"], &code).await.1["error"], "too_many_attempts");
        }
        assert_eq!(failures, 20);
        // Twenty failures this hour: even a fresh challenge with the right code is refused.
        let (_, body) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, 5).await.pop().unwrap();
        let response = reqwest::Client::new()
            .post(format!("{}/v1/sign-in/verify", server.url))
            .json(&json!({ "challenge_id": body["challenge_id"], "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 3600, "{retry}");
        // Another user is not affected; after the hour, alex can sign in again.
        sign_in(&server, SAM).await;
        server.clock.advance(Duration::from_secs(3601));
        sign_in(&server, ALEX).await;
    }

    async fn req06_resends_and_new_codes_never_reset_failure_counts(engine: Engine) {
        let server = InProcess::start_on(engine, "resend_cooldown = \"1s\"", TWO_USERS).await;
        let (_, body) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, 1).await.pop().unwrap();
        for _ in 0..3 {
            verify(&server.url, &body["challenge_id"], &wrong(&code)).await;
        }
        server.clock.advance(Duration::from_secs(1));
        assert_eq!(resend(&server.url, &body["challenge_id"]).await.0, 202);
        let newest = server.codes_for(ALEX, 2).await.pop().unwrap();
        let (_, answer) = verify(&server.url, &body["challenge_id"], &wrong(&newest)).await;
        assert_eq!(answer["attempts_left"], 1, "the resend kept the 3 failures");
    }

    async fn req07_fifty_parallel_wrong_guesses_count_exactly(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let (_, body) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, 1).await.pop().unwrap();
        let guesses = (0..50).map(|i| {
            let url = server.url.clone();
            let challenge = body["challenge_id"].clone();
            let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
            tokio::spawn(async move { verify(&url, &challenge, &guess).await.1 })
        });
        let answers: Vec<Value> = futures_util::future::join_all(guesses).await.into_iter().map(Result::unwrap).collect();
        let mut left: Vec<u64> = answers.iter().filter_map(|a| a["attempts_left"].as_u64()).collect();
        left.sort();
        assert_eq!(left, vec![1, 2, 3, 4], "each count given exactly once");
        assert_eq!(answers.iter().filter(|a| a["error"] == "too_many_attempts").count(), 46);
        assert_eq!(verify(&server.url, &body["challenge_id"], &code).await.1["error"], "too_many_attempts");
    }

    async fn req08_a_database_dump_reveals_no_code_and_no_token(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let token = sign_in(&server, ALEX).await;
        let (_, pending) = start(&server.url, SAM).await;
        let pending_code = server.codes_for(SAM, 1).await.pop().unwrap();
        let used_code = server.codes_for(ALEX, 1).await.pop().unwrap();
        assert!(pending["challenge_id"].is_string());
        let text = dump(&server);
        assert!(text.contains("+12065550100"), "the dump is real: {}", &text[..200.min(text.len())]);
        for secret in [&token, &pending_code, &used_code] {
            assert!(!text.contains(secret.as_str()), "{secret} is in the dump");
        }
        let key = std::fs::read(server.db.key()).unwrap();
        assert_eq!(key.len(), 32, "the HMAC key lives outside the database");
    }

    async fn req09_a_code_differing_in_any_digit_is_refused(engine: Engine) {
        // The compare is `subtle::ConstantTimeEq` over HMACs (src/server/otp.rs); what can be shown
        // from outside is that it compares all of it: every single-digit change fails.
        let server = InProcess::start_on(engine, "max_attempts = 10", TWO_USERS).await;
        let (_, body) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, 1).await.pop().unwrap();
        for position in [0, 5] {
            let mut bytes = code.clone().into_bytes();
            bytes[position] = if bytes[position] == b'9' { b'0' } else { bytes[position] + 1 };
            let (status, _) = verify(&server.url, &body["challenge_id"], &String::from_utf8(bytes).unwrap()).await;
            assert_eq!(status, 400);
        }
        for malformed in ["12345", "1234567", "abcdef", ""] {
            assert_eq!(verify(&server.url, &body["challenge_id"], malformed).await.0, 400);
        }
        assert_eq!(verify(&server.url, &body["challenge_id"], &code).await.0, 200);
    }

    async fn req10_start_answers_alike_for_registered_unregistered_disabled_and_untargeted_numbers(engine: Engine) {
        let directory = format!(
            "{TWO_USERS}[[user]]\nusername = \"gone\"\ndisplay_name = \"Gone\"\nmobile = \"+1 206 555 0103\"\n\
             [[user]]\nusername = \"outside\"\ndisplay_name = \"Outside\"\nmobile = \"+1 206 555 0104\"\n"
        );
        let server = InProcess::start_on(engine, "[limits]\nenabled = false", &directory).await;
        let db = server.db.clone();
        // alex is in the targeted group; "outside" isn't; "gone" is disabled.
        for args in [
            &["user", "disable", "gone"][..],
            &["group", "add", "tills"],
            &["user", "add-to-group", "alex", "tills"],
            &["user", "add-to-group", "gone", "tills"],
            &["policy", "set", "--target-group", "tills"],
        ] {
            let (ok, _, err) = common::admin(&db, args);
            assert!(ok, "{err}");
        }
        let kinds = [
            ("registered", ALEX),
            ("unregistered", "+12065550177"),
            ("disabled", "+12065550103"),
            ("untargeted", "+12065550104"),
        ];
        let bodies: Vec<Value> = kinds.iter().map(|(_, phone)| json!({ "phone": phone })).collect();
        let url = format!("{}/v1/sign-in/start", server.url);
        let (answers, timings) = common::timing::post_in_rounds(&url, &bodies, 300).await;
        let shapes: Vec<_> = answers
            .iter()
            .map(|(status, body)| {
                let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
                keys.sort();
                (*status, keys, body["expires_in"].clone(), body["challenge_id"].as_str().unwrap().len())
            })
            .collect();
        assert!(shapes.windows(2).all(|w| w[0] == w[1]), "status and body shape differ: {shapes:?}");
        let names: Vec<&str> = kinds.iter().map(|kind| kind.0).collect();
        common::timing::assert_alike("start", &names, &timings);
        // The sender works off the request path: wait for it.
        let sent = server.codes_for(ALEX, 300).await.len();
        assert_eq!(sent, 300, "only the registered number got texts");
        assert!(common::outbox_codes(&server.outbox, "+12065550103").is_empty());
        assert!(common::outbox_codes(&server.outbox, "+12065550104").is_empty());
        assert!(common::outbox_codes(&server.outbox, "+12065550104").is_empty());
    }

    async fn req11_resend_cooldown_and_at_most_five_sends_per_challenge(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let (_, body) = start(&server.url, ALEX).await;
        let (status, answer) = resend(&server.url, &body["challenge_id"]).await;
        assert_eq!((status, answer["error"].as_str()), (429, Some("rate_limited")));
        assert_eq!(answer["retry_after"], 30);
        for _ in 0..4 {
            server.clock.advance(Duration::from_secs(30));
            assert_eq!(resend(&server.url, &body["challenge_id"]).await.0, 202);
        }
        server.clock.advance(Duration::from_secs(30));
        let (status, _) = resend(&server.url, &body["challenge_id"]).await;
        assert_eq!(status, 429, "a sixth send for one challenge is refused");
        assert_eq!(server.codes_for(ALEX, 5).await.len(), 5);
    }

    async fn req12_caps_per_number_per_client_and_per_server_hour(engine: Engine) {
        let server = InProcess::start_on(engine,
            "[limits]\nper_phone_per_hour = 3\nper_client_per_hour = 5\nper_server_per_hour = 100",
            TWO_USERS,
        )
        .await;
        for _ in 0..3 {
            assert_eq!(start(&server.url, ALEX).await.0, 202);
        }
        let response = reqwest::Client::new()
            .post(format!("{}/v1/sign-in/start", server.url))
            .json(&json!({ "phone": ALEX }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429, "per number");
        assert!(response.headers().contains_key("retry-after"));
        // Unknown numbers count the same way (caps must not reveal who is registered).
        assert_eq!(start(&server.url, "+12065550177").await.0, 202);
        assert_eq!(start(&server.url, "+12065550178").await.0, 202);
        assert_eq!(start(&server.url, "+12065550179").await.0, 429, "per client: 5 sends this hour");
        server.clock.advance(Duration::from_secs(3601));
        assert_eq!(start(&server.url, ALEX).await.0, 202, "the window rolls");

        let server = InProcess::start_on(engine, "[limits]\nper_server_per_hour = 2\ntrust_forwarded_for = true", TWO_USERS).await;
        let from = |ip: &'static str| {
            reqwest::Client::new()
                .post(format!("{}/v1/sign-in/start", server.url))
                .header("x-forwarded-for", ip)
                .json(&json!({ "phone": "+12065550177" }))
                .send()
        };
        assert_eq!(from("192.0.2.1").await.unwrap().status().as_u16(), 202);
        assert_eq!(from("192.0.2.2").await.unwrap().status().as_u16(), 202);
        assert_eq!(from("192.0.2.3").await.unwrap().status().as_u16(), 429, "per server-hour");
    }

    async fn req15_tokens_are_new_256_bit_values_kept_only_as_hashes(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let first = sign_in(&server, ALEX).await;
        let second = sign_in(&server, ALEX).await;
        assert_ne!(first, second);
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&first).unwrap();
        assert_eq!(bytes.len(), 32);
        assert!(!dump(&server).contains(&first));
    }

    async fn req16_sign_out_revokes_server_side(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let token = sign_in(&server, ALEX).await;
        assert_eq!(me(&server.url, &token).await, 200);
        let status = reqwest::Client::new()
            .post(format!("{}/v1/sign-out", server.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 204);
        assert_eq!(me(&server.url, &token).await, 401);
    }

    async fn req17_tokens_live_twelve_hours(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let token = sign_in(&server, ALEX).await;
        server.clock.advance(Duration::from_secs(12 * 3600 - 1));
        assert_eq!(me(&server.url, &token).await, 200);
        server.clock.advance(Duration::from_secs(1));
        assert_eq!(me(&server.url, &token).await, 401);
    }

    async fn req18_disabling_a_user_or_revoking_sessions_ends_all_their_tokens(engine: Engine) {
        let server = InProcess::start_on(engine, "", TWO_USERS).await;
        let a = sign_in(&server, ALEX).await;
        let b = sign_in(&server, ALEX).await;
        let sam = sign_in(&server, SAM).await;
        assert!(common::admin(&server.db, &["sessions", "revoke", "alex"]).0);
        assert_eq!((me(&server.url, &a).await, me(&server.url, &b).await), (401, 401));
        assert_eq!(me(&server.url, &sam).await, 200, "only alex's");
        let again = sign_in(&server, ALEX).await;
        assert!(common::admin(&server.db, &["user", "disable", "alex"]).0);
        assert_eq!(me(&server.url, &again).await, 401);
        assert!(common::admin(&server.db, &["user", "enable", "alex"]).0);
        assert_eq!(me(&server.url, &again).await, 401, "enabling again doesn't bring old tokens back");
        // A code texted before the user was disabled dies with their sessions, even once they
        // are enabled again: it would have made a token, and the kiosk a session, after it.
        let before = common::outbox_codes(&server.outbox, ALEX).len();
        let (_, started) = start(&server.url, ALEX).await;
        let code = server.codes_for(ALEX, before + 1).await.pop().unwrap();
        assert!(common::admin(&server.db, &["user", "disable", "alex"]).0);
        assert!(common::admin(&server.db, &["user", "enable", "alex"]).0);
        let (status, answer) = verify(&server.url, &started["challenge_id"], &code).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_code")), "{answer}");
        sign_in(&server, ALEX).await;
    }
}
