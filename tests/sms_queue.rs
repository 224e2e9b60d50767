//! The SMS queue in the database (issue 18): a text is sent exactly once whichever replica
//! takes it, and a replica killed with SIGKILL mid-send loses none: another delivers it, and
//! the audit record names the replica that did.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use common::{Engine, needs, post_json};
use serde_json::{Value, json};

const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";

/// A fake of our signed webhook (README: SMS gateways): it records every text it gets, and
/// answers after `delay` — or, for the first `hang` requests, never.
struct Webhook {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

async fn webhook(hang: usize, delay: Duration) -> Webhook {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/sms",
        post(move |body: Bytes| {
            let log = log.clone();
            async move {
                let count = {
                    let mut log = log.lock().unwrap();
                    log.push(serde_json::from_slice(&body).unwrap());
                    log.len()
                };
                if count <= hang {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(delay).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Webhook { url, received }
}

impl Webhook {
    fn texts(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let texts = self.texts();
            if texts.len() >= count {
                return texts;
            }
            assert!(Instant::now() < deadline, "the webhook got {} texts in {within:?}, not {count}", texts.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A replica's config: its name, a short claim, and the webhook as its gateway.
fn config(dir: &std::path::Path, name: &str, hook: &Webhook) -> String {
    let secret = dir.join(format!("webhook-secret-{name}"));
    std::fs::write(&secret, "a-webhook-secret").unwrap();
    format!(
        "replica = {name:?}\nsms_claim_timeout = \"2s\"\n[limits]\nenabled = false\n\
         [sms]\nkind = \"webhook\"\nurl = {:?}\nsecret = {{ file = {secret:?} }}\n",
        hook.url
    )
}

fn audit(db: &common::TestDb, event: &str) -> Vec<Value> {
    std::fs::read_to_string(db.audit())
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["event"] == event)
        .collect()
}

fn queued(db: &common::TestDb) -> u64 {
    db.query("SELECT COUNT(*) FROM sms_queue").trim().parse().unwrap()
}

#[tokio::test]
async fn a_replica_killed_mid_send_loses_no_text_another_sends_it() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    let hook = webhook(1, Duration::ZERO).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db = common::seeded(Engine::Postgres, dir_a.path());
    let (config_a, config_b) = (config(dir_a.path(), "a", &hook), config(dir_b.path(), "b", &hook));
    let mut a = common::replica(dir_a, &db, &config_a, false);
    let (status, challenge) = post_json(&a.url, "/v1/sign-in/start", json!({ "phone": ALEX })).await;
    assert_eq!(status, 202);
    // Replica a is sending: the gateway has the text and hasn't answered. Kill a there.
    let first = hook.wait_for(1, Duration::from_secs(10)).await.remove(0);
    let pid = nix::unistd::Pid::from_raw(a.pid());
    a.stop();
    assert!(nix::sys::signal::kill(pid, None).is_err(), "replica a is gone");
    assert!(audit(&db, "sms_sent").is_empty(), "a sent nothing to its end");
    let b = common::replica(dir_b, &db, &config_b, false);
    // b finds the text once a's claim has run out, and sends it: the same text again.
    let texts = hook.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(texts[1]["to"], ALEX);
    assert_eq!(texts[1]["body"], first["body"], "the very text a was sending");
    let deadline = Instant::now() + Duration::from_secs(5);
    while audit(&db, "sms_sent").is_empty() {
        assert!(Instant::now() < deadline, "no sms_sent audit record");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = audit(&db, "sms_sent");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0]["replica"].as_str(), sent[0]["to"].as_str()), (Some("b"), Some("+1 ••• ••• 0100")));
    let code = first["body"].as_str().unwrap().rsplit('#').next().unwrap().to_string();
    let (status, _) =
        post_json(&b.url, "/v1/sign-in/verify", json!({ "challenge_id": challenge["challenge_id"], "code": code }))
            .await;
    assert_eq!(status, 200, "the code b delivered signs in");
    assert_eq!(queued(&db), 0, "the queue is empty");
}

#[tokio::test]
async fn each_text_is_sent_exactly_once_whichever_replica_takes_it() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    // Starts on both replicas and a slow gateway: each replica sends the texts it queued
    // while both look at the queue (every 2 s) for texts no one holds; none goes out twice.
    let hook = webhook(0, Duration::from_millis(25)).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db = common::seeded(Engine::Postgres, dir_a.path());
    let (config_a, config_b) = (config(dir_a.path(), "a", &hook), config(dir_b.path(), "b", &hook));
    let a = common::replica(dir_a, &db, &config_a, false);
    let b = common::replica(dir_b, &db, &config_b, false);
    let starts = (0..160).map(|i| {
        let url = if i % 4 == 0 { b.url.clone() } else { a.url.clone() };
        let phone = if i % 2 == 0 { ALEX } else { JORDAN };
        tokio::spawn(async move { post_json(&url, "/v1/sign-in/start", json!({ "phone": phone })).await.0 })
    });
    for status in futures_util::future::join_all(starts).await {
        assert_eq!(status.unwrap(), 202);
    }
    hook.wait_for(160, Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while queued(&db) > 0 {
        assert!(Instant::now() < deadline, "texts left in the queue");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both replicas' senders had time to look again: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let texts = hook.texts();
    assert_eq!(texts.len(), 160, "each text once, none twice, none lost");
    let sent = audit(&db, "sms_sent");
    assert_eq!(sent.len(), 160);
    let by = |name: &str| sent.iter().filter(|r| r["replica"] == name).count();
    assert!(by("a") > 0 && by("b") > 0, "both replicas sent: a {}, b {}", by("a"), by("b"));
    assert_eq!(by("a") + by("b"), 160);
}

/// The same queue on SQLite: a `serve` that died with texts queued sends them when it starts again.
#[tokio::test]
async fn a_restarted_sqlite_server_sends_what_it_had_queued() {
    let hook = webhook(1, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded(Engine::Sqlite, dir.path());
    let config = config(dir.path(), "only", &hook);
    let run = tempfile::tempdir().unwrap();
    let mut first = common::replica(run, &db, &config, false);
    post_json(&first.url, "/v1/sign-in/start", json!({ "phone": ALEX })).await;
    let text = hook.wait_for(1, Duration::from_secs(10)).await.remove(0);
    first.stop();
    let again = common::replica(tempfile::tempdir().unwrap(), &db, &config, false);
    let texts = hook.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(texts[1]["body"], text["body"]);
    drop(again);
}

/// A text that waited too long behind a slow delivery to be sent well within its claim is
/// handed back to the queue, and the replica looks at the queue at once and sends it (on
/// SQLite nothing else would: no other replica looks).
#[tokio::test]
async fn a_text_handed_back_behind_a_slow_delivery_is_sent_once_all_the_same() {
    // Claims of 2 s: a text is handed back unless it can go out 1 s before its claim ends.
    let hook = webhook(0, Duration::from_millis(1200)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded(Engine::Sqlite, dir.path());
    let only = common::replica(tempfile::tempdir().unwrap(), &db, &config(dir.path(), "only", &hook), false);
    let starts = [ALEX, JORDAN].map(|phone| {
        let url = only.url.clone();
        tokio::spawn(async move { post_json(&url, "/v1/sign-in/start", json!({ "phone": phone })).await.0 })
    });
    for status in futures_util::future::join_all(starts).await {
        assert_eq!(status.unwrap(), 202);
    }
    let texts = hook.wait_for(2, Duration::from_secs(10)).await;
    let mut to: Vec<&str> = texts.iter().map(|text| text["to"].as_str().unwrap()).collect();
    to.sort();
    assert_eq!(to, [ALEX, JORDAN]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while queued(&db) > 0 {
        assert!(Instant::now() < deadline, "texts left in the queue");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hook.texts().len(), 2, "none twice");
    assert_eq!(audit(&db, "sms_sent").len(), 2);
}
