//! The step-away lock in the real kiosk, in a pseudo-terminal, against a real `shiftkey serve`:
//! a worker locks their session with a PIN, steps away and comes back; wrong PINs, the idle
//! timeout, "Not you?" and a manager's reset each end a locked session with the full teardown;
//! and the PIN is in no file, no log line and never on screen.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Backend, KioskSetup, KioskTerminal, run_as_line, session_user, sign_in};

const WAIT: Duration = Duration::from_secs(10);
const F11: &[u8] = b"\x1b[23~";
const F12: &[u8] = common::F12;

/// Prints its session dir, then counts, on screen and into `$HOME/tick`, until it is ended.
const COUNTER: &[&str] = &[
    "/bin/sh",
    "-c",
    "echo \"DIR=$SHIFTKEY_SESSION_DIR\"; i=0; while :; do i=$((i+1)); echo TICK-$i; echo $i > \"$HOME/tick\"; sleep 0.2; done",
];

fn session_dir(screen: &str) -> PathBuf {
    let start = screen.find("DIR=").expect("the session shows its dir") + 4;
    PathBuf::from(screen[start..].lines().next().unwrap().trim())
}

fn tick(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("tick")).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0)
}

/// Chooses `pin` (typed twice) and waits for the lock.
async fn lock_with(screen: &mut KioskTerminal, pin: &str) -> String {
    screen.send(F11);
    screen.wait_for("Lock your session", WAIT).await;
    screen.type_text(&format!("{pin}\r")).await;
    screen.wait_for("Type the same PIN again", WAIT).await;
    screen.type_text(&format!("{pin}\r")).await;
    screen.wait_for("Locked by Alex R. — enter your PIN", WAIT).await
}

/// Whether `pin` stands alone (not inside a longer number, a time or an id) anywhere in `text`.
fn shows_pin(text: &str, pin: &str) -> bool {
    text.match_indices(pin).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + pin.len()..].chars().next();
        let part_of_more =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-'));
        !part_of_more(before) && !part_of_more(after)
    })
}

/// Every file under `dir`, as text.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    found
}

#[tokio::test]
async fn a_worker_locks_steps_away_comes_back_and_wrong_pins_sign_them_out() {
    let backend = Backend::start();
    let user = session_user("sk-pin-lock");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, COUNTER, &run_as_line(&user));
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TICK-").await;
    assert!(shown.contains("F11 lock"), "the status bar offers the lock:\n{shown}");
    let dir = session_dir(&shown);

    // Trivial PINs are refused, then the worker locks with a PIN of their own.
    screen.send(F11);
    screen.wait_for("Lock your session", WAIT).await;
    screen.type_text("1234\r").await;
    screen.wait_for("That PIN is too easy to guess", WAIT).await;
    screen.send(b"\x1b");
    screen.wait_for("TICK-", WAIT).await;
    let locked = lock_with(&mut screen, "2468").await;
    assert!(!locked.contains("TICK-"), "the session's output is covered:\n{locked}");

    // Locked, the session runs on: its counter moves though nothing of it shows.
    let at_lock = tick(&dir);
    let deadline = Instant::now() + WAIT;
    while tick(&dir) < at_lock + 3 {
        assert!(Instant::now() < deadline, "the session stopped counting while locked");
        screen.drain(Duration::from_millis(100)).await;
    }
    assert!(!screen.contents().contains("TICK-"), "still covered:\n{}", screen.contents());

    screen.type_text("1357\r").await;
    screen.wait_for("Wrong PIN. 2 tries left before you are signed out.", WAIT).await;
    screen.type_text("2468\r").await;
    let back = screen.wait_gone("Locked by", WAIT).await;
    assert!(back.contains("TICK-") || screen.wait_for("TICK-", WAIT).await.contains("TICK-"));

    // Locked again; three wrong PINs end the session with the full teardown.
    lock_with(&mut screen, "9753").await;
    screen.type_text("1111\r").await;
    screen.wait_for("2 tries left", WAIT).await;
    screen.type_text("2222\r").await;
    screen.wait_for("1 try left", WAIT).await;
    screen.type_text("3333\r").await;
    let after = screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!after.contains("TICK-") && !after.contains("Locked by"), "{after}");
    assert!(!dir.exists(), "the session dir {} is gone", dir.display());

    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "pin_failed");
    assert_eq!(ends[0]["revoke"], "revoked");
    assert_eq!(ends[0]["left_alive"], serde_json::json!([]));
    assert_eq!(setup.audit_events("session_locked").len(), 2);
    assert_eq!(setup.audit_events("session_unlocked").len(), 1);
    assert_eq!(setup.audit_events("pin_wrong").len(), 4);

    // The PINs are nowhere: not on screen ever (stars only), not in any file the kiosk, the
    // server or the session wrote (audit log, kiosk log, state, outbox, database).
    let raw = String::from_utf8_lossy(&screen.raw).into_owned();
    let files = files_under(backend.dir.path());
    for looked_at in [&setup.audit, &setup.log] {
        assert!(files.iter().any(|(path, _)| path == looked_at), "{} is among the files searched", looked_at.display());
    }
    for pin in ["2468", "9753", "1357"] {
        assert!(!shows_pin(&raw, pin), "PIN {pin} was drawn on screen");
        for (path, text) in &files {
            assert!(!shows_pin(text, pin), "PIN {pin} is in {}", path.display());
        }
    }
}

#[tokio::test]
async fn a_locked_session_still_ends_when_idle() {
    let backend = Backend::start();
    let user = session_user("sk-pin-idle");
    let limits = format!("{}\nidle_timeout = \"3s\"\nidle_warning = \"1s\"", run_as_line(&user));
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, COUNTER, &limits);
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TICK-").await;
    lock_with(&mut screen, "2468").await;
    // Keys at the lock are not activity: a wrong PIN doesn't hold the session open.
    screen.type_text("1357\r").await;
    screen.wait_for("Enter your mobile number", WAIT).await;
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "idle_timeout");
}

#[tokio::test]
async fn not_you_and_a_manager_reset_end_a_locked_session() {
    let backend = Backend::start();
    let user = session_user("sk-pin-notyou");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, COUNTER, &run_as_line(&user));
    let mut screen = setup.spawn();

    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TICK-").await;
    let locked = lock_with(&mut screen, "2468").await;
    assert!(locked.contains("F12 Not you? Sign in"), "{locked}");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;

    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TICK-").await;
    lock_with(&mut screen, "8642").await;
    let output = std::process::Command::new(common::BIN)
        .args(["reset", "--control", setup.control.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    screen.wait_for("Enter your mobile number", WAIT).await;

    let reasons: Vec<_> = setup.audit_events("session_end").iter().map(|end| end["reason"].clone()).collect();
    assert_eq!(reasons, [serde_json::json!("not_you"), serde_json::json!("manager_reset")]);
}
