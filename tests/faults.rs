//! Faults the kiosk must survive, injected for real: a full disk under the audit log, a state
//! dir it can't write. The real kiosk in a pty against a real `serve`; `/proc` and the files
//! are the judges. RELIABILITY.md has what each tried and its figures.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::hostile::{ALEX, HostileSession, hostile_session_with};
use common::needs::{self, Need};
use common::tmpfs::Tmpfs;
use common::{Backend, F12, KioskSetup, run_as_line, session_user, sign_in, status_json};

const WAIT: Duration = Duration::from_secs(15);
const SIGN_IN: &str = "Enter your mobile number";

/// Every line of an audit log, parsed: a line that isn't JSON (a record cut short) fails.
fn audit_records(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("a broken audit line {line:?}: {err}")))
        .collect()
}

fn names(records: &[serde_json::Value]) -> Vec<&str> {
    records.iter().map(|r| r["event"].as_str().unwrap()).collect()
}

/// Pads a log on tmpfs to a whole page with a record of the test's own: tmpfs allocates a page
/// at a time, and a record appended into a page already held would fit on a "full" disk.
fn pad_to_a_page(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len() as usize;
    let empty = r#"{"event":"test_padding","pad":""}"#.len() + 1;
    let mut pad = 4096 - len % 4096;
    if pad < empty {
        pad += 4096;
    }
    let line = format!("{{\"event\":\"test_padding\",\"pad\":\"{}\"}}\n", " ".repeat(pad - empty));
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(line.as_bytes()).unwrap();
    assert_eq!(std::fs::metadata(path).unwrap().len() % 4096, 0);
}

#[tokio::test]
async fn a_full_audit_disk_still_erases_the_session_closes_sign_in_and_reopens_by_itself() {
    if !needs::requires(&[Need::Root]) {
        return;
    }
    let disk = Tmpfs::mount("64k");
    let audit = disk.path().join("audit.jsonl");
    let HostileSession { backend, uid, setup, mut screen, hostile, .. } =
        hostile_session_with("sk-f-audit", "", |setup| setup.set_audit_log(audit.clone())).await;
    let token = std::fs::read_to_string(hostile.dir.join(".shiftkey-token")).unwrap();
    pad_to_a_page(&audit);
    let filler = disk.fill();

    // Sign-out on a full disk: everything is still ended and erased, and the screen and status
    // say why no one can sign in next.
    screen.send(F12);
    let shown = screen.wait_for("Out of service — audit log unavailable", WAIT).await;
    assert!(shown.contains("No space left on device"), "the reason is on screen:\n{shown}");
    hostile.assert_gone(uid);
    let me = reqwest::Client::new().get(format!("{}/v1/me", backend.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 401, "the token was revoked");
    let status = status_json(&setup.control);
    assert_eq!(status["state"], "out-of-service", "{status}");
    assert!(status["audit_log_error"].as_str().unwrap().contains("No space left on device"), "{status}");
    let written = audit_records(&audit);
    assert!(!names(&written).contains(&"session_end"), "nothing more was written: {written:?}");

    // Nobody can sign in meanwhile.
    screen.type_text("2065550100\r").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = screen.contents();
    assert!(!shown.contains(SIGN_IN) && !shown.contains("(206)"), "sign-in stays closed:\n{shown}");
    assert_eq!(backend.sms_count(), 1, "no code was sent");

    // Room again: the kiosk notices by itself, writes what it held, in order, and opens.
    std::fs::remove_file(filler).unwrap();
    screen.wait_for(SIGN_IN, WAIT).await;
    let records = audit_records(&audit);
    let names = names(&records);
    let held = &names[names.iter().position(|n| *n == "test_padding").unwrap() + 1..];
    let kiosk_own: Vec<&str> = held.iter().copied().filter(|n| *n != "control").collect();
    assert_eq!(
        kiosk_own,
        ["token_revoked", "session_end", "out_of_service", "audit_resumed", "back_in_service"],
        "{records:?}"
    );
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["reason"], "sign_out_key");
    assert_eq!(end["revoke"], "revoked");
    assert_eq!(end["left_alive"], serde_json::json!([]));
    assert_eq!(end["dir_removed"], true);
    let resumed = &setup.audit_events("audit_resumed")[0];
    assert_eq!(resumed["held"], held.len() - 2, "all before it: {resumed}");
    assert_eq!(resumed["dropped"], 0, "{resumed}");
    let status = status_json(&setup.control);
    assert_eq!(status["state"], "idle", "{status}");
    assert_eq!(status["audit_log_error"], serde_json::Value::Null, "{status}");
}

#[tokio::test]
async fn an_unwritable_state_dir_at_start_keeps_sign_in_closed_and_says_why_until_it_can_be_written() {
    if !needs::requires(&[Need::Root]) {
        return;
    }
    let backend = Backend::start();
    let user = session_user("sk-f-state");
    let disk = Tmpfs::mount("64k");
    disk.read_only();
    let mut setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh", "-c", "echo READY; exec sh"],
        &run_as_line(&user),
    );
    setup.set_state_dir(disk.path());
    let mut screen = setup.spawn();
    let shown = screen.wait_for("Out of service — session records can't be kept", WAIT).await;
    assert!(shown.contains("Read-only file system"), "the reason is on screen:\n{shown}");
    assert!(shown.contains(&disk.path().display().to_string()), "and the directory:\n{shown}");
    let status = status_json(&setup.control);
    assert_eq!(status["state"], "out-of-service", "{status}");
    assert!(status["state_dir_error"].as_str().unwrap().contains("Read-only file system"), "{status}");
    screen.type_text("2065550100\r").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!screen.contents().contains(SIGN_IN), "sign-in stays closed:\n{}", screen.contents());
    assert_eq!(backend.sms_count(), 0, "no code was sent");
    assert_eq!(setup.audit_events("out_of_service").len(), 1);

    // Writable again: it opens by itself, and the next session's record is kept there.
    disk.writable();
    screen.wait_for(SIGN_IN, WAIT).await;
    sign_in(&mut screen, &backend, "2065550100", ALEX, "READY").await;
    assert!(disk.path().join("live-session.json").exists(), "the session's record is kept");
    screen.send(F12);
    screen.wait_for(SIGN_IN, WAIT).await;
    assert!(!disk.path().join("live-session.json").exists());
    assert_eq!(setup.audit_events("back_in_service").len(), 1);
    assert_eq!(status_json(&setup.control)["state_dir_error"], serde_json::Value::Null);
}
