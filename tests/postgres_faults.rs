//! PostgreSQL going away under load (issue 18): `serve` answers 503 with `Retry-After` while the
//! database is gone, recovers by itself when it is back, and no counter is lost or doubled.
//! The test stops and starts a cluster of its own (the shared one serves other tests).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::postgres::Cluster;
use common::{Backend, TestDb, needs};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// What the clients saw.
#[derive(Default, Debug)]
struct Seen {
    starts_accepted: u64,
    wrong_codes_counted: u64,
    unavailable: u64,
    unavailable_without_retry_after: u64,
    other: Vec<(u16, Value)>,
}

async fn post(client: &reqwest::Client, url: &str, path: &str, body: Value, seen: &Mutex<Seen>) -> Option<Value> {
    let Ok(response) = client.post(format!("{url}{path}")).json(&body).send().await else {
        seen.lock().await.other.push((0, json!("no answer")));
        return None;
    };
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let mut seen = seen.lock().await;
    match (status, body["error"].as_str()) {
        (202, _) => {
            seen.starts_accepted += 1;
            return Some(body);
        }
        (400, Some("invalid_code")) => seen.wrong_codes_counted += 1,
        (503, Some("unavailable")) => {
            seen.unavailable += 1;
            seen.unavailable_without_retry_after += u64::from(!retry_after);
        }
        _ => seen.other.push((status, body)),
    }
    None
}

fn count(db: &TestDb, cluster: &Cluster, sql: &str) -> u64 {
    let value = cluster.psql(common::postgres::database_of(&db.location), sql);
    value.trim().parse().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_is_503_then_recovered_with_no_counter_lost_or_doubled() {
    if !needs::requires(&[needs::POSTGRES]) {
        return;
    }
    // Durable, as a real deployment: a commit answered is a commit kept.
    let cluster = Cluster::start(true);
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::in_cluster(&cluster, dir.path());
    common::seed(&db);
    let config = dir.path().join("server.toml");
    // Caps high enough not to answer 429, but on: their counting is what must survive.
    std::fs::write(
        &config,
        "[limits]\nper_phone_per_hour = 100000\nper_client_per_hour = 100000\nper_server_per_hour = 100000\n\
         failures_per_user_per_hour = 100000\n",
    )
    .unwrap();
    let backend = Backend::start_with_config(dir, db.clone(), Some(config));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let (url, seen, running) = (backend.url.clone(), seen.clone(), running.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let phone = if i % 2 == 0 { "+12065550100" } else { "+12065550109" };
                while running.load(Ordering::SeqCst) {
                    let started = post(&client, &url, "/v1/sign-in/start", json!({ "phone": phone }), &seen).await;
                    if let Some(challenge) = started {
                        // One wrong code per challenge (the right one is 1 in a million).
                        let verify = json!({ "challenge_id": challenge["challenge_id"], "code": "000000" });
                        post(&client, &url, "/v1/sign-in/verify", verify, &seen).await;
                    }
                }
            })
        })
        .collect();
    let seen_now = |seen: &Arc<Mutex<Seen>>| {
        let seen = seen.clone();
        async move {
            let seen = seen.lock().await;
            (seen.starts_accepted, seen.unavailable)
        }
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (before, _) = seen_now(&seen).await;
    assert!(before > 0, "the load runs");
    cluster.pg_ctl_stop();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (during, unavailable) = seen_now(&seen).await;
    assert!(unavailable > 0, "503 while PostgreSQL is away");
    // Token checks and sign-outs share statements on PostgreSQL (`server::batch`): one that
    // failed is 503 + Retry-After for every request in it, as a statement of its own would be.
    let client = reqwest::Client::new();
    for request in [client.get(format!("{}/v1/me", backend.url)), client.post(format!("{}/v1/sign-out", backend.url))] {
        let response = request.bearer_auth("a-token-nobody-has").send().await.unwrap();
        assert_eq!(response.status(), 503, "{:?}", response.text().await);
        assert!(response.headers().contains_key("retry-after"), "503 with Retry-After");
    }
    cluster.pg_ctl_start();
    // Recovered by itself: sign-ins go through again, with no restart of serve.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while seen_now(&seen).await.0 < during + 20 {
        assert!(std::time::Instant::now() < deadline, "no recovery 15 s after PostgreSQL came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.store(false, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let seen = seen.lock().await;
    assert!(seen.other.is_empty(), "answers other than 202, 400 invalid_code, 503: {:?}", &seen.other);
    assert_eq!(seen.unavailable_without_retry_after, 0, "every 503 says Retry-After");
    // Counted exactly what was answered as counted. A commit PostgreSQL made just as it went
    // down may have been answered 503 (the answer lost, not the count): that, and only that,
    // is the slack; a count lost (answered, not stored) or doubled would be outside it.
    let sends = count(&db, &cluster, "SELECT COUNT(*) FROM sends");
    let attempts = count(&db, &cluster, "SELECT COALESCE(SUM(attempts), 0) FROM challenges");
    let failures = count(&db, &cluster, "SELECT COUNT(*) FROM failures");
    let slack = seen.unavailable;
    eprintln!("seen {seen:?}; stored: {sends} sends, {attempts} attempts, {failures} failures");
    assert!((seen.starts_accepted..=seen.starts_accepted + slack).contains(&sends), "sends {sends}, {seen:?}");
    assert!((seen.wrong_codes_counted..=seen.wrong_codes_counted + slack).contains(&attempts), "attempts {attempts}");
    assert_eq!(attempts, failures, "each wrong code counted on the challenge and on the user, together");
}
