//! The real `shiftkey` kiosk in a pseudo-terminal against a real `shiftkey serve`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::needs;
use common::slow_sync::SlowSync;
use common::{Backend, F12, KioskSetup, run_as_line, session_user, sign_in};

const WAIT: Duration = Duration::from_secs(10);

/// A session command that prints what the test needs to check, then runs a shell.
const SESSION: &[&str] = &[
    "/bin/sh",
    "-c",
    "echo \"DIR=$SHIFTKEY_SESSION_DIR\"; echo \"TOKENFILE=$SHIFTKEY_TOKEN_FILE\"; echo \"HOME=$HOME\"; exec /bin/sh",
];

fn value_after<'a>(screen: &'a str, key: &str) -> &'a str {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim()
}

async fn me_status(url: &str, token: &str) -> u16 {
    reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn sign_in_run_session_and_sign_out_leaves_nothing() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-basic");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, SESSION, &run_as_line(&user));
    let mut screen = setup.spawn();

    let shown = sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TOKENFILE=").await;
    assert!(shown.contains("Alex Rivera"), "status bar names the worker:\n{shown}");
    assert!(shown.contains("F12 sign out"), "status bar shows the sign-out key:\n{shown}");
    assert!(shown.contains("test-till"), "status bar names the kiosk:\n{shown}");
    assert!(shown.contains("11h 59m left") || shown.contains("12h 00m left"), "time left:\n{shown}");
    let dir = PathBuf::from(value_after(&shown, "DIR="));
    let token_file = PathBuf::from(value_after(&shown, "TOKENFILE="));
    assert_eq!(value_after(&shown, "HOME="), dir.to_str().unwrap(), "HOME is the session dir");
    assert!(token_file.starts_with(&dir));
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(&dir).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    if let Some((_, uid)) = &user {
        assert_eq!(meta.uid(), *uid, "the session dir belongs to the session user");
    }
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(me_status(&backend.url, &token).await, 200);

    // Something of the session's own, on screen and on disk.
    screen.type_text("echo secret-work > $HOME/notes.txt; echo MARK-$((6*7))\r").await;
    screen.wait_for("MARK-42", WAIT).await;
    assert!(dir.join("notes.txt").exists());

    screen.send(F12);
    let after = screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!after.contains("MARK-42") && !after.contains("TOKENFILE"), "session output left on screen:\n{after}");
    assert!(!dir.exists(), "session directory {} still exists", dir.display());
    assert_eq!(me_status(&backend.url, &token).await, 401, "the token was revoked at sign-out");
    let raw = String::from_utf8_lossy(&screen.raw);
    assert!(raw.contains("\x1b[3J"), "the scrollback was cleared");

    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "sign_out_key");
    assert_eq!(ends[0]["revoke"], "revoked");
    assert_eq!(ends[0]["dir_removed"], true);
    assert!(ends[0]["files_removed"].as_u64().unwrap() >= 2, "token file and notes.txt");
    assert!(!setup.audit_text().contains("2065550100"), "no full phone number in the audit log");
}

/// The flake #17 asked about: a sign-out whose revoke had "no answer within 1000 ms" though the
/// server revoked the token. The server's commit was syncing SQLite's WAL on its only worker (the
/// WAL started over after every checkpoint, and the checkpoint ran every 100 ms), on a disk made
/// slow by the suite beside it. Here the disk takes 1.5 s a sync, longer than the revoke's 1 s.
#[tokio::test]
async fn sign_out_is_revoked_in_time_while_the_servers_disk_is_slow_to_sync() {
    if !needs::requires(&[needs::CC]) {
        return;
    }
    let tools = tempfile::tempdir().unwrap();
    let slow = SlowSync::build(tools.path());
    let backend = Backend::start_with_env(slow.env("/shiftkey.db", 1500));
    let user = session_user("sk-e2e-slowdisk");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, SESSION, &run_as_line(&user));
    let mut screen = setup.spawn();
    let at_start = slow.syncs().len();

    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "TOKENFILE=").await;
    screen.type_text("echo MARK-$((6*7))\r").await;
    screen.wait_for("MARK-42", WAIT).await;
    // A session lasts minutes: time enough for a checkpoint on this disk (two syncs, 3 s) to
    // finish, after which the checkpoint every 100 ms made the next commit start the WAL over
    // and sync it: the revoke's, on the server's only worker. Not an event to wait for: the
    // point is that nothing happens now.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;

    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["revoke"], "revoked", "the revoke was answered within its 1 s");
    let on_requests: Vec<_> =
        slow.syncs().split_off(at_start).into_iter().filter(|(t, _)| t != "wal-checkpoint").collect();
    assert!(on_requests.is_empty(), "requests waited for the disk: {on_requests:?}");
}

#[tokio::test]
async fn session_command_exiting_signs_out() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-exit");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, SESSION, &run_as_line(&user));
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "206 555 0100", "+12065550100", "TOKENFILE=").await;
    let dir = PathBuf::from(value_after(&shown, "DIR="));
    screen.type_text("exit\r").await;
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!dir.exists());
    assert_eq!(setup.audit_events("session_end")[0]["reason"], "command_exited");
}

#[tokio::test]
async fn invalid_number_and_unreachable_backend_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let setup = KioskSetup::new(dir.path(), &format!("http://127.0.0.1:{port}"), &["/bin/sh"], "run_as = \"root\"");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("425 123 4567\r").await;
    screen.wait_for("That isn't a valid mobile number for United States", WAIT).await;
    screen.send(b"\x1b");
    // A lone ESC is only read as the Esc key once no sequence follows it.
    screen.wait_gone("isn't a valid mobile number", WAIT).await;
    screen.type_text("2065550100\r").await;
    screen.wait_for("Can't reach the sign-in service — try again", WAIT).await;
    screen.wait_for("Trying again in", WAIT).await;
}

#[tokio::test]
async fn sigterm_at_the_sign_in_screen_restores_the_terminal_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let setup = KioskSetup::new(dir.path(), "http://127.0.0.1:9", &["/bin/sh"], "run_as = \"root\"");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(screen.process.pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(screen.wait_exit(WAIT).await, Some(0));
    screen.drain(WAIT).await;
    let raw = String::from_utf8_lossy(&screen.raw);
    assert!(raw.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(raw.contains("\x1b[?25h"), "showed the cursor again");
}

#[test]
fn bad_config_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[session]\nidle_timeout = \"soon\"\n", "bad duration \"soon\""),
        ("colour = \"blue\"\n", "unknown field `colour`"),
        ("[session]\ncommand = []\n", "session.command is missing"),
        ("[session]\nsandbox = \"jail\"\n", "unknown variant `jail`"),
    ];
    for (text, expected) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let output =
            std::process::Command::new(common::BIN).args(["--config", path.to_str().unwrap()]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
}

#[test]
fn root_kiosk_without_run_as_refuses_to_start() {
    if !common::needs::requires(&[common::needs::Need::Root]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let setup = KioskSetup::new(dir.path(), "http://127.0.0.1:9", &["/bin/sh"], "");
    let output =
        std::process::Command::new(common::BIN).args(["--config", setup.config.to_str().unwrap()]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("set session.run_as"), "{stderr}");
    let setup = KioskSetup::new(dir.path(), "http://127.0.0.1:9", &["/bin/sh"], "run_as = \"no-such-user-sk\"");
    let output =
        std::process::Command::new(common::BIN).args(["--config", setup.config.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("useradd --system"), "{stderr}");
}

#[tokio::test]
async fn full_screen_programs_and_resizes_reach_the_session() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-vi");
    // The sandbox hides nothing vi needs; run it the way a store would.
    let command = &["/bin/sh", "-c", "trap 'echo SIZE=$(stty size)' WINCH; echo READY; while :; do sleep 0.1; done"];
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, command, &run_as_line(&user));
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "READY").await;
    screen.resize(90, 25);
    screen.wait_for("SIZE=24 90", WAIT).await;
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;

    // vi: alternate screen, cursor keys, and back.
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &run_as_line(&user));
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "$").await;
    screen.type_text("echo BEFORE-VI; vi notes.txt\r").await;
    // vi's empty-buffer rows ("~" at the start of a row) mean it is up and reading keys; the typed
    // command line says "notes.txt" too, so that is no sign of vi.
    screen.wait_for("\n~", WAIT).await;
    screen.type_text("ihello from vi").await;
    screen.send(b"\x1b");
    tokio::time::sleep(Duration::from_millis(200)).await;
    screen.send(b"\x1b[D"); // cursor left
    screen.type_text("x:wq\r").await;
    let back = screen.wait_for("BEFORE-VI", WAIT).await;
    assert!(!back.contains("hello from"), "vi's alternate screen is gone:\n{back}");
    screen.type_text("cat notes.txt\r").await;
    screen.wait_for("hello from i", WAIT).await;
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

/// Where `text` starts on the screen, as (row, col).
fn position_of(screen: &vt100::Screen, text: &str) -> (u16, u16) {
    let (rows, cols) = screen.size();
    let row =
        screen.rows(0, cols).position(|line| line.contains(text)).unwrap_or_else(|| panic!("{text:?} not on screen"));
    let line = screen.rows(0, cols).nth(row).unwrap();
    let col = line[..line.find(text).unwrap()].chars().count();
    assert!(row < usize::from(rows));
    (row as u16, col as u16)
}

#[tokio::test]
async fn the_session_shows_exactly_with_colours_and_cursor_and_after_an_overlay() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-paint");
    let limits = "idle_timeout = \"4s\"\nidle_warning = \"2s\"";
    let setup =
        KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &format!("{}\n{limits}", run_as_line(&user)));
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "$").await;
    screen.type_text("printf '\\033[31mRED\\033[0m plain\\n'\r").await;
    screen.wait_for("RED plain", WAIT).await;
    // The prompt after the output: the cursor waits right after it, visible.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let check = |shown: &vt100::Screen, when: &str| {
        let (row, col) = position_of(shown, "RED plain");
        assert_eq!(shown.cell(row, col).unwrap().fgcolor(), vt100::Color::Idx(1), "{when}: RED is red");
        assert_eq!(shown.cell(row, col + 4).unwrap().fgcolor(), vt100::Color::Default, "{when}: plain is plain");
        let prompt = shown.rows(0, shown.size().1).nth(usize::from(row) + 1).unwrap();
        assert_eq!(prompt.trim_end(), "$", "{when}: the prompt follows on the next row");
        assert_eq!(shown.cursor_position(), (row + 1, 2), "{when}: the cursor is after the prompt");
        assert!(!shown.hide_cursor(), "{when}: the cursor shows");
    };
    check(screen.parsed(), "before the idle warning");

    // The idle warning is drawn over the session; a key takes it away and the session is whole.
    screen.wait_for("Are you still there?", WAIT).await;
    screen.type_text("q").await;
    let shown = screen.wait_gone("Are you still there?", WAIT).await;
    assert!(
        !shown.contains("Press any key") && !shown.contains("Signing out in"),
        "what was under the warning:\n{shown}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    check(screen.parsed(), "after the idle warning");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

#[tokio::test]
async fn a_worker_disabled_by_their_organisation_is_signed_out_within_the_recheck() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-left");
    let session = format!("{}\nrecheck = \"1s\"", run_as_line(&user));
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, SESSION, &session);
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "206 555 0100", "+12065550100", "TOKENFILE=").await;
    let dir = PathBuf::from(value_after(&shown, "DIR="));
    let token = std::fs::read_to_string(value_after(&shown, "TOKENFILE=")).unwrap();
    assert_eq!(me_status(&backend.url, &token).await, 200);

    // The organisation disables Alex: the backend ends the token, and the kiosk, asking every
    // second, ends the session.
    let (ok, _, err) = common::admin(&backend.db, &["user", "disable", "alex"]);
    assert!(ok, "{err}");
    let after = screen.wait_for("Your access was ended by your organisation", WAIT).await;
    assert!(!after.contains("TOKENFILE"), "session output left on screen:\n{after}");
    assert!(!dir.exists(), "session directory {} still exists", dir.display());
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "revoked");
    assert_eq!(ends[0]["left_alive"], serde_json::json!([]));
    assert_eq!(ends[0]["dir_removed"], true);
    assert_eq!(setup.audit_events("access_ended").len(), 1);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

#[tokio::test]
async fn a_worker_deactivated_by_scim_provisioning_is_signed_out_within_the_recheck() {
    let scim = common::scim::ScimServer::start();
    let backend = &scim.backend;
    let user = session_user("sk-e2e-scim");
    let session = format!("{}\nrecheck = \"1s\"", run_as_line(&user));
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, SESSION, &session);
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, backend, "206 555 0100", "+12065550100", "TOKENFILE=").await;
    let dir = PathBuf::from(value_after(&shown, "DIR="));

    // Entra's provisioning service deactivates Alex, as it documents the request.
    let found = scim.call("GET", "/Users?filter=userName%20eq%20%22alex%22", None).await;
    let id = found.body["Resources"][0]["id"].as_str().expect("alex is provisioned").to_string();
    let deactivate = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#;
    let answer = scim.call("PATCH", &format!("/Users/{id}"), Some(deactivate)).await;
    assert!(answer.status.is_success(), "{}: {}", answer.status, answer.body);

    screen.wait_for("Your access was ended by your organisation", WAIT).await;
    assert!(!dir.exists(), "session directory {} still exists", dir.display());
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "revoked");
    assert_eq!(ends[0]["left_alive"], serde_json::json!([]));
}
