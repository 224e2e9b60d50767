//! `shiftkey serve` SIGKILLed in the middle of a load of sign-ins, then started again on the
//! same database: it is consistent (no half-made challenge, every counter equal to the events
//! it counts), nothing a client was answered is lost, and no text message is sent twice.
//! RELIABILITY.md has the figures.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, outbox_codes};
use serde_json::{Value, json};

/// Clients signing in at once, each with a number of its own.
const CLIENTS: usize = 16;

fn phone(client: usize) -> String {
    format!("+1206555{:04}", 1000 + client)
}

/// What the clients were answered: the server promised these, so a crash must not lose them.
#[derive(Default, Clone)]
struct Answered {
    /// Challenge id → (sends answered 202, wrong codes answered 400 invalid_code).
    challenges: HashMap<String, (u32, u32)>,
    /// Token → whether its sign-out was answered 204.
    tokens: HashMap<String, bool>,
    sign_ins: usize,
}

/// A server with `CLIENTS` users and no caps in the way (resend at once, no hourly limits, the
/// wrong-code cap, which `limits.enabled` leaves on, far away).
async fn loaded_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut directory = String::from("[policy]\nenabled = true\nuse_for_sign_in = true\n");
    for i in 0..CLIENTS {
        let mobile = phone(i);
        directory
            .push_str(&format!("[[user]]\nusername = \"u{i}\"\ndisplay_name = \"User {i}\"\nmobile = \"{mobile}\"\n"));
    }
    let location = shiftkey::config::Database::Sqlite(db.clone());
    let store = shiftkey::server::store::Store::open(&location, None).await.unwrap();
    shiftkey::server::directory::load(&store, &directory).await.unwrap();
    drop(store);
    let config = dir.path().join("serve.toml");
    // No pruning while the test runs: the counters are compared with every challenge.
    std::fs::write(
        &config,
        "resend_cooldown = \"0s\"\nprune_interval = \"1d\"\n\
         [limits]\nenabled = false\nfailures_per_user_per_hour = 1000000\n",
    )
    .unwrap();
    Backend::start_with_config(dir, db, Some(config))
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> Result<(u16, Value), reqwest::Error> {
    let response = client.post(url).json(&body).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

/// The newest code texted to `e164` after the first `seen` ones (up to 2 s: after the kill,
/// none comes).
async fn next_code(outbox: &std::path::Path, e164: &str, seen: usize) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let codes = outbox_codes(outbox, e164);
        if codes.len() > seen {
            return codes.last().cloned();
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One client: start, a resend every other time, a wrong code, the right one, /me, sign-out;
/// again and again until the server stops answering. Every answer is noted.
async fn sign_in_again_and_again(i: usize, url: String, outbox: std::path::PathBuf, answered: Arc<Mutex<Answered>>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let e164 = phone(i);
    for round in 0.. {
        let seen = outbox_codes(&outbox, &e164).len();
        let Ok((202, start)) = post(&client, &format!("{url}/v1/sign-in/start"), json!({ "phone": e164 })).await else {
            return;
        };
        let challenge = start["challenge_id"].as_str().unwrap().to_string();
        answered.lock().unwrap().challenges.insert(challenge.clone(), (1, 0));
        let Some(mut code) = next_code(&outbox, &e164, seen).await else { return };
        if round % 2 == 0 {
            let seen = outbox_codes(&outbox, &e164).len();
            let Ok((202, _)) =
                post(&client, &format!("{url}/v1/sign-in/resend"), json!({ "challenge_id": challenge })).await
            else {
                return;
            };
            answered.lock().unwrap().challenges.get_mut(&challenge).unwrap().0 += 1;
            let Some(new) = next_code(&outbox, &e164, seen).await else { return };
            code = new;
        }
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let verify = format!("{url}/v1/sign-in/verify");
        let Ok((400, _)) = post(&client, &verify, json!({ "challenge_id": challenge, "code": wrong })).await else {
            return;
        };
        answered.lock().unwrap().challenges.get_mut(&challenge).unwrap().1 += 1;
        let Ok((200, grant)) = post(&client, &verify, json!({ "challenge_id": challenge, "code": code })).await else {
            return;
        };
        let token = grant["access_token"].as_str().unwrap().to_string();
        answered.lock().unwrap().tokens.insert(token.clone(), false);
        let Ok(me) = client.get(format!("{url}/v1/me")).bearer_auth(&token).send().await else { return };
        assert_eq!(me.status(), 200);
        let Ok(out) = client.post(format!("{url}/v1/sign-out")).bearer_auth(&token).send().await else { return };
        if out.status() != 204 {
            return;
        }
        let mut answered = answered.lock().unwrap();
        answered.tokens.insert(token, true);
        answered.sign_ins += 1;
    }
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Runs the load until `sign_ins` more are done, then SIGKILLs the server mid-flight and waits
/// for every client to notice.
async fn load_then_kill(backend: &Backend, answered: &Arc<Mutex<Answered>>, sign_ins: usize) {
    let from = answered.lock().unwrap().sign_ins;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            tokio::spawn(sign_in_again_and_again(i, backend.url.clone(), backend.outbox.clone(), answered.clone()))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().sign_ins < from + sign_ins {
        assert!(Instant::now() < deadline, "the load didn't get going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(backend.pid()), nix::sys::signal::Signal::SIGKILL).unwrap();
    for client in clients {
        client.await.unwrap();
    }
}

/// Waits (up to 10 s) until the queue holds no text that no server holds. Texts the killed
/// server held (it claims each as it queues it) stay its own until `sms_claim_timeout` (60 s)
/// from their queueing, then go out from the next one.
async fn queue_drained(backend: &Backend) {
    let db = rusqlite::Connection::open(backend.db.path()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let waiting = count(&db, &format!("SELECT COUNT(*) FROM sms_queue WHERE claimed_until <= {now}"));
        if waiting == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{waiting} queued texts never sent after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The database after a crash, checked against itself and against what clients were answered.
async fn check_consistent(backend: &Backend, answered: &Answered) {
    let db = rusqlite::Connection::open(backend.db.path()).unwrap();
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    // No half-made challenge: each whole, and each used one with its one token.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM challenges WHERE length(code_mac) != 32 OR length(phone_key) != 32"),
        0
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM challenges WHERE used = 1"), count(&db, "SELECT COUNT(*) FROM tokens"));
    // Counters exact: every send counted is a challenge's send, every failure a challenge's attempt.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sends"), count(&db, "SELECT SUM(sends) FROM challenges"));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM failures"),
        count(&db, "SELECT SUM(attempts) FROM challenges WHERE user_id IS NOT NULL")
    );
    // Nothing answered is lost.
    for (id, (sends, wrong)) in &answered.challenges {
        let (db_sends, db_attempts): (u32, u32) = db
            .query_row("SELECT sends, attempts FROM challenges WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap_or_else(|err| panic!("challenge {id}, answered 202, is gone: {err}"));
        assert!(db_sends >= *sends && db_attempts >= *wrong, "{id}: {db_sends}/{sends} sends, {db_attempts}/{wrong}");
    }
    let client = reqwest::Client::new();
    for (token, signed_out) in &answered.tokens {
        let me = client.get(format!("{}/v1/me", backend.url)).bearer_auth(token).send().await.unwrap();
        assert_eq!(me.status().as_u16(), if *signed_out { 401 } else { 200 }, "signed out: {signed_out}");
    }
    // Nothing sent twice: no more texts to a number than sends to it.
    for i in 0..CLIENTS {
        let texts = outbox_codes(&backend.outbox, &phone(i)).len() as i64;
        let sends = count(
            &db,
            &format!(
                "SELECT COALESCE(SUM(c.sends), 0) FROM challenges c JOIN phones p ON p.user_id = c.user_id \
                 WHERE p.e164 = '{}'",
                phone(i)
            ),
        );
        assert!(texts <= sends, "{}: {texts} texts for {sends} sends", phone(i));
    }
}

/// Kill rounds: `CRASH_ROUNDS` (default 3), each after a few more sign-ins than the last.
#[tokio::test]
async fn serve_killed_mid_load_restarts_consistent_losing_nothing_answered_and_sending_nothing_twice() {
    let rounds: usize = std::env::var("CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let mut backend = loaded_backend().await;
    let answered = Arc::new(Mutex::new(Answered::default()));
    for round in 0..rounds {
        load_then_kill(&backend, &answered, CLIENTS * (round % 4 + 1)).await;
        backend.restart();
        let so_far = answered.lock().unwrap().clone();
        check_consistent(&backend, &so_far).await;
        // No text is left that no server holds (the new one sends those at once; the dead one's
        // go out once their claim runs out: tests/sms_queue.rs), and none went out twice.
        queue_drained(&backend).await;
        let outbox = std::fs::read_to_string(&backend.outbox).unwrap();
        let mut seen = std::collections::HashSet::new();
        for line in outbox.lines() {
            assert!(seen.insert(line), "sent twice: {line}");
        }
    }

    // And it serves: a whole sign-in on the restarted server.
    let client = reqwest::Client::new();
    let seen = outbox_codes(&backend.outbox, &phone(0)).len();
    let start =
        post(&client, &format!("{}/v1/sign-in/start", backend.url), json!({ "phone": phone(0) })).await.unwrap();
    assert_eq!(start.0, 202);
    let code = next_code(&backend.outbox, &phone(0), seen).await;
    let verify = json!({ "challenge_id": start.1["challenge_id"], "code": code.unwrap() });
    let grant = post(&client, &format!("{}/v1/sign-in/verify", backend.url), verify).await.unwrap();
    assert_eq!(grant.0, 200, "{}", grant.1);
    let answered = answered.lock().unwrap();
    let db = rusqlite::Connection::open(backend.db.path()).unwrap();
    println!(
        "{rounds} kills under load ({CLIENTS} clients): {} sign-ins; {} challenges and {} tokens answered, all kept; \
         {} texts for {} sends; {} failures = attempts",
        answered.sign_ins,
        answered.challenges.len(),
        answered.tokens.len(),
        std::fs::read_to_string(&backend.outbox).unwrap().lines().count(),
        count(&db, "SELECT COUNT(*) FROM sends"),
        count(&db, "SELECT COUNT(*) FROM failures"),
    );
}
