//! Several `serve` replicas on one PostgreSQL database agree exactly: every rule of the
//! security requirements holds across replicas as it does within one (issue 18). Each test
//! spreads its requests over two real `serve` processes, idle but for the test; the load bench
//! runs the same checks (`common::rules`) on replicas at load.

mod common;

use common::rules::{self, FAILURES_CAP, Person, Rig};
use common::{Backend, needs, replicas};
use serde_json::json;

fn alex() -> Person {
    Person { username: "alex".into(), e164: "+12065550100".into() }
}

fn rig(pair: &[Backend]) -> Rig<'_, [Backend]> {
    Rig::new(pair.iter().map(|b| b.url.clone()).collect(), &pair[0].db, pair)
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
    rules::fifty_parallel_wrong_guesses_count_as_five(&rig(&pair), &alex()).await.unwrap();
    assert_eq!(rows(&pair[0], "failures"), 5, "no one else's failures either");
}

#[tokio::test]
async fn a_users_wrong_codes_on_several_challenges_over_two_replicas_stop_at_the_cap() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, &format!("[limits]\nfailures_per_user_per_hour = {FAILURES_CAP}\n"));
    rules::wrong_codes_stop_at_the_users_cap(&rig(&pair), &alex()).await.unwrap();
}

#[tokio::test]
async fn a_right_code_sent_to_both_replicas_at_once_signs_in_once() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "");
    rules::a_right_code_sent_to_every_replica_at_once_signs_in_once(&rig(&pair), &alex(), 5).await.unwrap();
    assert_eq!(rows(&pair[0], "tokens"), 5, "one token per sign-in, no one else's");
}

#[tokio::test]
async fn the_caps_hold_across_replicas() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let config = "[limits]\nper_phone_per_hour = 3\nper_client_per_hour = 4\nper_server_per_hour = 10\n\
                  trust_forwarded_for = true\n";
    let pair = replicas(2, config);
    let rig = rig(&pair);
    rules::the_send_caps_hold(&rig, ("+12065550100", 3), ("198.51.100.7", 4), 0).await.unwrap();
    // The per-server cap: 10 in all, so 3 more starts out of 12, each from its own address to
    // its own number.
    let more = (0..12).map(|i| {
        let (url, http) = (rig.urls[i % 2].clone(), rig.http.clone());
        let (phone, from) = (format!("+1206558{i:04}"), format!("192.0.2.{}", 1 + i));
        tokio::spawn(async move { http.post(&url, "/v1/sign-in/start", json!({ "phone": phone }), Some(&from)).await })
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(more).await.into_iter().map(|r| r.unwrap().unwrap().0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 3, "{statuses:?}");
    assert_eq!(rows(&pair[0], "sends"), 10, "ten sends recorded in all");
}

#[tokio::test]
async fn a_token_revoked_on_one_replica_is_dead_on_the_other() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let pair = replicas(2, "");
    let rig = rig(&pair);
    rules::a_token_signed_out_on_one_replica_is_dead_on_the_others(&rig, &alex()).await.unwrap();
    // An admin's "revoke sessions" and disabling reach every replica too.
    let token = rules::sign_in(&rig, &alex()).await.unwrap();
    assert!(common::admin(&pair[0].db, &["sessions", "revoke", "alex"]).0);
    assert_eq!((rig.http.me(&pair[0].url, &token).await, rig.http.me(&pair[1].url, &token).await), (Ok(401), Ok(401)));
    let token = rules::sign_in(&rig, &alex()).await.unwrap();
    assert!(common::admin(&pair[0].db, &["user", "disable", "alex"]).0);
    assert_eq!((rig.http.me(&pair[0].url, &token).await, rig.http.me(&pair[1].url, &token).await), (Ok(401), Ok(401)));
}
