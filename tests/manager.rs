//! Store managers: the control socket (who may use it, what each command does, what bad
//! clients get) and manager mode on the kiosk's own screen — all against a real kiosk in a pty
//! and a real backend.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use common::hostile::{HOSTILE, Hostile};
use common::{Backend, F12, KioskSetup, run_as_line, run_cli, session_user, sign_in, status_json};

const WAIT: Duration = Duration::from_secs(15);
const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";
const F9: &[u8] = b"\x1b[20~";

fn control_args<'a>(command: &'a str, setup: &'a KioskSetup) -> Vec<&'a str> {
    vec![command, "--control", setup.control.to_str().unwrap()]
}

/// Tokens of a user still alive in the backend's database.
fn live_tokens(db: &Path, username: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.username = ?1 AND t.revoked_at IS NULL",
        [username],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn socket_authorization_by_peer_credentials() {
    // Users and groups of its own: root, and the tools that make them.
    if !common::needs::requires(&[common::needs::Need::Root, common::needs::USERADD]) {
        return;
    }
    let sock_gid = common::test_group("sk-ctl-sock");
    common::test_group("sk-ctl-mgrs");
    let member = common::test_user_in("sk-ctl-member", &["sk-ctl-sock", "sk-ctl-mgrs"]);
    let other = common::test_user_in("sk-ctl-other", &["sk-ctl-sock"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let setup = KioskSetup::new_with(
        dir.path(),
        "http://127.0.0.1:9",
        &["/bin/sh"],
        "run_as = \"root\"",
        "allowed_groups = [\"sk-ctl-mgrs\"]\nsocket_group = \"sk-ctl-sock\"",
    );
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    let socket = std::fs::metadata(&setup.control).unwrap();
    assert_eq!(socket.permissions().mode() & 0o777, 0o660);
    assert_eq!(socket.gid(), sock_gid);
    let args = control_args("status", &setup);
    let (code, out, err) = run_cli(&args, None);
    assert_eq!(code, 0, "root is allowed: {err}");
    assert!(out.contains("state:    idle"), "{out}");
    // Both users can open the socket (its group); only the manager group's member may use it.
    let (code, _, err) = run_cli(&args, Some((member, sock_gid)));
    assert_eq!(code, 0, "a member of an allowed group is allowed: {err}");
    let (code, _, err) = run_cli(&args, Some((other, sock_gid)));
    assert_eq!(code, 1, "another uid is refused");
    assert!(err.contains("not allowed"), "{err}");
    let refused = setup.audit_events("control_refused");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["peer"]["uid"], other);
    // A uid outside the socket's group can't even connect: refused, not "no kiosk".
    let other_primary = nix::unistd::User::from_uid(other.into()).unwrap().unwrap().gid.as_raw();
    assert_ne!(other_primary, sock_gid);
    let (code, _, err) = run_cli(&args, Some((other, other_primary)));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not allowed to use"), "{err}");
}

#[tokio::test]
async fn no_kiosk_listening_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nobody.sock");
    let (code, _, err) = run_cli(&["status", "--control", socket.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains("no kiosk is listening"), "{err}");
}

#[tokio::test]
async fn reset_wipes_a_hostile_session_and_says_what_it_did() {
    let backend = Backend::start();
    let user = session_user("sk-m-reset");
    let session = format!("{}\nsandbox = \"none\"", run_as_line(&user));
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, HOSTILE, &session);
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;
    let (code, out, _) = run_cli(&control_args("reset", &setup), None);
    assert_eq!((code, out.trim()), (0, "no session to reset; nothing changed"));

    let shown = sign_in(&mut screen, &backend, "2065550100", ALEX, "HOSTILE-READY").await;
    let uid = user.as_ref().map(|(_, uid)| *uid);
    let hostile = Hostile::from_screen(&shown, uid);
    hostile.assert_running();
    let mut args = control_args("reset", &setup);
    args.extend(["--reason", "till frozen", "--json"]);
    let (code, out, err) = run_cli(&args, None);
    assert_eq!(code, 0, "{err}");
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["outcome"]["reason"], "manager_reset");
    assert_eq!(answer["outcome"]["revoke"], "revoked");
    assert_eq!(answer["outcome"]["left_alive"], serde_json::json!([]));
    hostile.assert_gone(uid);
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert_eq!(live_tokens(backend.db.path(), "alex"), 0);
    assert!(setup.audit_text().contains("till frozen"));
}

#[tokio::test]
async fn lock_ends_the_session_blocks_sign_in_survives_a_restart_and_unlock_reopens() {
    let (backend, setup, mut screen, dir) = common::alex_in_a_session("sk-m-lock").await;
    let mut args = control_args("lock", &setup);
    args.extend(["--message", "Closed for stocktake"]);
    let (code, out, err) = run_cli(&args, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("locked\nsession of alex erased (manager_lock)"), "{out}");
    assert!(!Path::new(&dir).exists());
    screen.wait_for("Out of service", WAIT).await;
    screen.wait_for("Closed for stocktake", WAIT).await;
    screen.type_text("2065550100\r").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shown = screen.contents();
    assert!(shown.contains("Closed for stocktake") && !shown.contains("Enter the 6-digit code"), "{shown}");
    assert_eq!(backend.sms_count(), 1, "no code was requested while locked");

    // Restart: still locked.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(screen.process.pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    screen.wait_exit(WAIT).await;
    let mut screen = setup.spawn();
    screen.wait_for("Closed for stocktake", WAIT).await;
    assert_eq!(status_json(&setup.control)["state"], "locked");

    let (code, out, _) = run_cli(&control_args("unlock", &setup), None);
    assert_eq!((code, out.trim()), (0, "unlocked: sign-in is open"));
    screen.wait_for("Enter your mobile number", WAIT).await;
    let (code, out, _) = run_cli(&control_args("unlock", &setup), None);
    assert_eq!((code, out.trim()), (0, "was not locked; nothing changed"));
}

/// Sends raw bytes to the socket and returns the answer line (empty if none).
fn raw_request(socket: &Path, bytes: &[u8], then_wait: bool) -> String {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(bytes).unwrap();
    if !then_wait {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_kiosk_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let setup = KioskSetup::new(dir.path(), "http://127.0.0.1:9", &["/bin/sh"], "run_as = \"root\"");
    let mut screen = setup.spawn();
    // Below 100x30, where the typed digits are text, not large digits: this test reads them.
    screen.resize(99, 30);
    screen.wait_for("Enter your mobile number", WAIT).await;
    let socket = setup.control.clone();

    // A client that connects and says nothing: others are served meanwhile.
    let silent = UnixStream::connect(&socket).unwrap();
    assert_eq!(status_json(&socket)["state"], "idle", "a silent client stalls nothing");
    screen.type_text("206").await;
    screen.wait_for("206", WAIT).await;

    let cases: [(&[u8], &str); 4] = [
        (b"{not json\n", "\"malformed\""),
        (b"{\"command\":\"reboot\"}\n", "\"unknown_command\""),
        (b"{\"command\":\"lock\",\"message\":5}\n", "\"malformed\""),
        (b"{\"command\":\"reset\",\"force\":true}\n", "\"malformed\""),
    ];
    for (request, expected) in cases {
        let answer = raw_request(&socket, request, false);
        assert!(answer.contains(expected) && answer.contains("\"ok\":false"), "{answer}");
    }
    let big = format!("{{\"command\":\"lock\",\"message\":\"{}\"}}\n", "x".repeat(5000));
    let answer = raw_request(&socket, big.as_bytes(), false);
    assert!(answer.contains("\"too_large\""), "{answer}");
    let answer = raw_request(&socket, b"{\"command\":\"status\"}", true);
    assert!(answer.contains("\"timeout\""), "a request without its newline times out: {answer}");
    drop(silent);
    // Nothing changed: still signing in with the digits typed, not locked.
    let status = status_json(&socket);
    assert_eq!(status["state"], "signing-in");
    assert_eq!(status["locked_message"], serde_json::Value::Null);
    assert!(screen.contents().contains("206"));
}

#[tokio::test]
async fn status_reports_each_state_field_by_field() {
    let backend = Backend::start();
    let user = session_user("sk-m-status");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &run_as_line(&user));
    let mut screen = setup.spawn();
    // Below 100x30, where the typed digits are text, not large digits: this test reads them.
    screen.resize(99, 30);
    screen.wait_for("Enter your mobile number", WAIT).await;
    let idle = status_json(&setup.control);
    assert_eq!(idle["ok"], true);
    assert_eq!(idle["kiosk"], "test-till");
    assert_eq!(idle["state"], "idle");
    assert_eq!(idle["user"], serde_json::Value::Null);
    assert_eq!(idle["session_age_secs"], serde_json::Value::Null);
    assert_eq!(idle["backend_reachable"], true);
    assert!(idle["since"].as_str().unwrap().ends_with('Z'));
    assert!(idle["idle_secs"].as_u64().is_some());
    assert_eq!(idle["recent_events"][0]["event"], "kiosk_start");

    screen.type_text("206").await;
    screen.wait_for("206", WAIT).await;
    let typing = status_json(&setup.control);
    assert_eq!(typing["state"], "signing-in");
    assert_eq!(typing["idle_secs"], 0);
    screen.send(b"\x1b");
    screen.wait_gone("▸ 206", WAIT).await;

    sign_in(&mut screen, &backend, "2065550100", ALEX, "$").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let session = status_json(&setup.control);
    assert_eq!(session["state"], "in-session");
    assert_eq!(session["user"]["display_name"], "Alex Rivera");
    assert_eq!(session["user"]["phone"], "+1 ••• ••• 0100");
    assert!(session["session_age_secs"].as_u64().unwrap() >= 1);
    assert!(session["idle_secs"].as_u64().unwrap() >= 1);
    let events: Vec<&str> =
        session["recent_events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events.len(), 5);
    assert!(events.contains(&"session_start"), "{events:?}");
    assert!(!session.to_string().contains("2065550100"));

    let (code, _, _) = run_cli(&control_args("lock", &setup), None);
    assert_eq!(code, 0);
    let locked = status_json(&setup.control);
    assert_eq!(locked["state"], "locked");
    assert_eq!(locked["locked_message"], "Out of service");
    assert_eq!(locked["user"], serde_json::Value::Null);

    backend_stop_and_check(backend, &setup).await;
}

async fn backend_stop_and_check(mut backend: Backend, setup: &KioskSetup) {
    backend.stop();
    assert_eq!(status_json(&setup.control)["backend_reachable"], false);
}

#[tokio::test]
async fn a_manager_ends_a_workers_session_from_the_kiosk_screen() {
    let (backend, setup, mut screen, dir) = common::alex_in_a_session("sk-m-screen").await;
    screen.send(F9);
    screen.wait_for("MANAGER", WAIT).await;
    screen.wait_for("Store manager sign-in", WAIT).await;
    sign_in_on_manager_screen(&mut screen, &backend, "2065550109", JORDAN).await;
    let menu = screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    assert!(menu.contains("End the current session and erase it (Alex Rivera, +1 ••• ••• 0100)"), "{menu}");
    assert!(Path::new(&dir).exists(), "the worker's session kept running under the menu");
    screen.send(b"\r");
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!Path::new(&dir).exists());
    assert_eq!(setup.audit_events("session_end")[0]["reason"], "manager_reset");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(live_tokens(backend.db.path(), "jordan"), 0, "the manager's token was revoked when the menu closed");
    assert_eq!(live_tokens(backend.db.path(), "alex"), 0);
    screen.send(F12);
}

async fn sign_in_on_manager_screen(screen: &mut common::KioskTerminal, backend: &Backend, typed: &str, e164: &str) {
    let before = common::outbox_codes(&backend.outbox, e164).len();
    screen.type_text(typed).await;
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
    let code = backend.codes_for(e164, before + 1).pop().unwrap();
    screen.type_text(&code).await;
}

#[tokio::test]
async fn a_non_manager_is_refused_and_the_menu_times_out() {
    let backend = Backend::start();
    let setup = KioskSetup::new_with(backend.dir.path(), &backend.url, &["/bin/sh"], "run_as = \"root\"", "");
    // The menu timeout comes from [manager]; add it to the config.
    let mut text = std::fs::read_to_string(&setup.config).unwrap();
    text.push_str("[manager]\nmenu_timeout = \"3s\"\n");
    std::fs::write(&setup.config, text).unwrap();
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    sign_in_on_manager_screen(&mut screen, &backend, "2065550100", ALEX).await;
    screen.wait_for("This number isn't a store manager", WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(live_tokens(backend.db.path(), "alex"), 0, "the refused sign-in's token was ended");
    assert_eq!(setup.audit_events("manager_refused").len(), 1);
    screen.send(b" ");
    screen.wait_gone("MANAGER", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    sign_in_on_manager_screen(&mut screen, &backend, "2065550109", JORDAN).await;
    screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    assert_eq!(live_tokens(backend.db.path(), "jordan"), 1);
    screen.wait_gone("Signed in: Jordan Lee", Duration::from_secs(6)).await;
    screen.wait_for("Enter your mobile number", WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(live_tokens(backend.db.path(), "jordan"), 0, "closing by timeout revoked the manager's token");
    let closes: Vec<_> = setup.audit_events("manager_mode").into_iter().filter(|e| e["why"] == "timeout").collect();
    assert_eq!(closes.len(), 1);
}
