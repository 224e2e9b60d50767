//! The real `shiftkey` kiosk in a pseudo-terminal against a real `shiftkey serve`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Backend, F12, Screen};

const WAIT: Duration = Duration::from_secs(10);

fn kiosk_config(dir: &Path, url: &str, command: &[&str]) -> PathBuf {
    let path = dir.join("kiosk.toml");
    let command = command.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    let audit = dir.join("audit.jsonl");
    std::fs::write(
        &path,
        format!(
            "name = \"test-till\"\naudit_log = {audit:?}\n[backend]\nurl = \"{url}\"\n[session]\ncommand = [{command}]\nkill_grace = \"1s\"\n"
        ),
    )
    .unwrap();
    path
}

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

async fn sign_in(screen: &mut Screen, backend: &Backend, typed: &str, e164: &str) -> String {
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text(typed).await;
    screen.wait_for("(206) 555-0100", WAIT).await;
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to +1 ••• ••• 0100", WAIT).await;
    let code = backend.code_for(e164);
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await
}

#[tokio::test]
async fn sign_in_run_session_and_sign_out_leaves_nothing() {
    let backend = Backend::start();
    let config = kiosk_config(backend.dir.path(), &backend.url, SESSION);
    let mut screen = Screen::spawn(&["kiosk", "--config", config.to_str().unwrap()], &[], 100, 30);

    let shown = sign_in(&mut screen, &backend, "2065550100", "+12065550100").await;
    assert!(shown.contains("Alex Rivera"), "status bar names the worker:\n{shown}");
    assert!(shown.contains("F12 sign out"), "status bar shows the sign-out key:\n{shown}");
    let dir = PathBuf::from(value_after(&shown, "DIR="));
    let token_file = PathBuf::from(value_after(&shown, "TOKENFILE="));
    assert_eq!(value_after(&shown, "HOME="), dir.to_str().unwrap(), "HOME is the session dir");
    assert!(token_file.starts_with(&dir));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap();
    let me = |token: String, url: String| async move {
        reqwest::Client::new().get(format!("{url}/v1/me")).bearer_auth(token).send().await.unwrap().status()
    };
    assert_eq!(me(token.clone(), backend.url.clone()).await, 200);

    // Something of the session's own, on screen and on disk.
    screen.type_text("echo secret-work > $HOME/notes.txt; echo MARK-$((6*7))\r").await;
    screen.wait_for("MARK-42", WAIT).await;
    assert!(dir.join("notes.txt").exists());

    screen.send(F12);
    let after = screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!after.contains("MARK-42") && !after.contains("TOKENFILE"), "session output left on screen:\n{after}");
    assert!(!dir.exists(), "session directory {} still exists", dir.display());
    assert_eq!(me(token, backend.url.clone()).await, 401, "the token was revoked at sign-out");
    let raw = String::from_utf8_lossy(&screen.raw);
    assert!(raw.contains("\x1b[3J"), "the scrollback was cleared");

    let audit = std::fs::read_to_string(backend.dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"reason\":\"sign_out_key\""), "{audit}");
    assert!(audit.contains("\"revoke\":\"revoked\""), "{audit}");
    assert!(!audit.contains("2065550100"), "no full phone number in the audit log");
}

#[tokio::test]
async fn session_command_exiting_signs_out() {
    let backend = Backend::start();
    let config = kiosk_config(backend.dir.path(), &backend.url, SESSION);
    let mut screen = Screen::spawn(&["--config", config.to_str().unwrap()], &[], 100, 30);
    let shown = sign_in(&mut screen, &backend, "206 555 0100", "+12065550100").await;
    let dir = PathBuf::from(value_after(&shown, "DIR="));
    screen.type_text("exit\r").await;
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!dir.exists());
    let audit = std::fs::read_to_string(backend.dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"reason\":\"command_exited\""), "{audit}");
}

#[tokio::test]
async fn invalid_number_and_unreachable_backend_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = kiosk_config(dir.path(), &format!("http://127.0.0.1:{port}"), &["/bin/sh"]);
    let mut screen = Screen::spawn(&["--config", config.to_str().unwrap()], &[], 80, 24);
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("425 123 4567\r").await;
    screen.wait_for("That isn't a valid mobile number for United States", WAIT).await;
    screen.send(b"\x1b");
    // A lone ESC is only read as the Esc key once no sequence follows it.
    screen.wait_gone("425 123", WAIT).await;
    screen.type_text("2065550100\r").await;
    screen.wait_for("Can't reach the sign-in service — try again", WAIT).await;
    screen.wait_for("Trying again in", WAIT).await;
}

#[tokio::test]
async fn sigterm_restores_the_terminal_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let config = kiosk_config(dir.path(), "http://127.0.0.1:9", &["/bin/sh"]);
    let mut screen = Screen::spawn(&["--config", config.to_str().unwrap()], &[], 80, 24);
    screen.wait_for("Enter your mobile number", WAIT).await;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(screen.process.pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(screen.wait_exit(WAIT).await, Some(0));
    screen.contents();
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
