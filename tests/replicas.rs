//! Several `serve` replicas on one PostgreSQL database agree exactly: every rule of the
//! security requirements holds across replicas as it does within one (issue 18). Each test
//! spreads its requests over two real `serve` processes.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, needs, post_json, replicas};
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";

/// Starts a sign-in for `e164` on the replica at `url`; its challenge, and the code texted for
/// it (by whichever replica sends it).
async fn start(backends: &[Backend], url: &str, e164: &str) -> (Value, String) {
    let before = common::codes_sent_by(backends, e164);
    let (status, body) = post_json(url, "/v1/sign-in/start", json!({ "phone": e164 })).await;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut new = common::codes_sent_by(backends, e164);
        for old in &before {
            if let Some(at) = new.iter().position(|c| c == old) {
                new.remove(at);
            }
        }
        if let Some(code) = new.pop() {
            return (body["challenge_id"].clone(), code);
        }
        assert!(Instant::now() < deadline, "no code for {e164} after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn verify(url: &str, challenge: &Value, code: &str) -> (u16, Value) {
    post_json(url, "/v1/sign-in/verify", json!({ "challenge_id": challenge, "code": code })).await
}

async fn me(url: &str, token: &str) -> u16 {
    reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// How many rows a table holds now (looked at in the database itself).
fn rows(backend: &Backend, table: &str) -> u64 {
    backend.db.query(&format!("SELECT COUNT(*) FROM {table}")).trim().parse().unwrap()
}

#[tokio::test]
async fn fifty_parallel_wrong_guesses_over_two_replicas_count_as_five() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "");
    let (challenge, code) = start(&pair, &pair[0].url, ALEX).await;
    let guesses = (0..50).map(|i| {
        let url = pair[i % 2].url.clone();
        let challenge = challenge.clone();
        let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000);
        tokio::spawn(async move { verify(&url, &challenge, &guess).await.1 })
    });
    let answers: Vec<Value> = futures_util::future::join_all(guesses).await.into_iter().map(Result::unwrap).collect();
    let mut left: Vec<u64> = answers.iter().filter_map(|a| a["attempts_left"].as_u64()).collect();
    left.sort();
    assert_eq!(left, vec![1, 2, 3, 4], "each count given exactly once, whichever replica answered");
    assert_eq!(answers.iter().filter(|a| a["error"] == "too_many_attempts").count(), 46, "{answers:?}");
    assert_eq!(rows(&pair[0], "failures"), 5, "the user's failure count holds five, not fifty");
    for backend in &pair {
        assert_eq!(verify(&backend.url, &challenge, &code).await.1["error"], "too_many_attempts");
    }
}

#[tokio::test]
async fn a_users_wrong_codes_on_several_challenges_over_two_replicas_stop_at_the_cap() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "[limits]\nfailures_per_user_per_hour = 6\n");
    let mut challenges = Vec::new();
    for i in 0..4 {
        challenges.push(start(&pair, &pair[i % 2].url, ALEX).await);
    }
    // Five wrong guesses at each of the four challenges at once: the user's count (one lock
    // per user, taken in the statement that locks the challenge) lets six through in all.
    let guesses = (0..20).map(|i| {
        let url = pair[i % 2].url.clone();
        let (challenge, code) = challenges[i % 4].clone();
        let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000);
        tokio::spawn(async move { verify(&url, &challenge, &guess).await })
    });
    let answers: Vec<(u16, Value)> =
        futures_util::future::join_all(guesses).await.into_iter().map(Result::unwrap).collect();
    let limited = answers.iter().filter(|(status, _)| *status == 429).count();
    assert_eq!(limited, 14, "six counted, the rest refused by the cap: {answers:?}");
    assert_eq!(rows(&pair[0], "failures"), 6, "the user's failure count holds six, not twenty");
    let (challenge, code) = &challenges[0];
    assert_eq!(verify(&pair[1].url, challenge, code).await.0, 429, "the right code waits out the cap too");
}

#[tokio::test]
async fn a_right_code_sent_to_both_replicas_at_once_signs_in_once() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "");
    for round in 0..5 {
        let (challenge, code) = start(&pair, &pair[round % 2].url, ALEX).await;
        let tries = pair.iter().flat_map(|b| [b.url.clone(), b.url.clone()]).map(|url| {
            let (challenge, code) = (challenge.clone(), code.clone());
            tokio::spawn(async move { verify(&url, &challenge, &code).await.0 })
        });
        let statuses: Vec<u16> = futures_util::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
    }
    assert_eq!(rows(&pair[0], "tokens"), 5, "one token per sign-in");
}

#[tokio::test]
async fn the_caps_hold_across_replicas() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "[limits]\nper_phone_per_hour = 3\nper_server_per_hour = 7\n");
    let start = |url: String, phone: &'static str| {
        tokio::spawn(async move { post_json(&url, "/v1/sign-in/start", json!({ "phone": phone })).await.0 })
    };
    // The per-number cap: 12 starts for one number at once, over both replicas, 3 accepted.
    let alex = (0..12).map(|i| start(pair[i % 2].url.clone(), ALEX));
    let statuses: Vec<u16> = futures_util::future::join_all(alex).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
    // The per-server cap: 7 in all, so 4 more numbers' starts out of 12.
    let others = ["+12065550111", "+12065550112", "+12065550113", "+12065550114"];
    let more = (0..12).map(|i| start(pair[i % 2].url.clone(), others[i % others.len()]));
    let statuses: Vec<u16> = futures_util::future::join_all(more).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 4, "{statuses:?}");
    assert_eq!(rows(&pair[0], "sends"), 7, "seven sends recorded in all");
}

#[tokio::test]
async fn a_token_revoked_on_one_replica_is_dead_on_the_other() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "");
    let sign_in = || {
        let pair = &pair;
        async move {
            let (challenge, code) = start(pair, &pair[0].url, ALEX).await;
            let (status, grant) = verify(&pair[1].url, &challenge, &code).await;
            assert_eq!(status, 200, "started on one replica, verified on the other: {grant}");
            grant["access_token"].as_str().unwrap().to_string()
        }
    };
    let token = sign_in().await;
    assert_eq!(me(&pair[0].url, &token).await, 200);
    let out = reqwest::Client::new().post(format!("{}/v1/sign-out", pair[1].url)).bearer_auth(&token).send().await;
    assert_eq!(out.unwrap().status().as_u16(), 204);
    assert_eq!(me(&pair[0].url, &token).await, 401, "signed out on one replica, dead on the other");
    // An admin's "revoke sessions" and disabling reach every replica too.
    let token = sign_in().await;
    assert!(common::admin(&pair[0].db, &["sessions", "revoke", "alex"]).0);
    assert_eq!((me(&pair[0].url, &token).await, me(&pair[1].url, &token).await), (401, 401));
    let token = sign_in().await;
    assert!(common::admin(&pair[0].db, &["user", "disable", "alex"]).0);
    assert_eq!((me(&pair[0].url, &token).await, me(&pair[1].url, &token).await), (401, 401));
}
