//! The Cognito adapter against a fake user pool: through the real kiosk in a pty for what a
//! worker and a manager see, `shiftkey check-config` for what an installer sees, and in-process
//! (`cognito/adapter.rs`) for the protocol's details.

#[path = "cognito/adapter.rs"]
mod adapter;
mod common;
#[path = "cognito/fake.rs"]
mod fake;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{F12, KioskSetup, KioskTerminal, run_as_line};
use fake::{ALEX, Fake, IdToken, JORDAN, NOBODY};

const WAIT: Duration = Duration::from_secs(15);
const F9: &[u8] = b"\x1b[20~";
const SECRET: &str = "app-client-secret-for-the-kiosk";
/// A session that shows where its token is, then a shell.
const SESSION: &[&str] =
    &["/bin/sh", "-c", "echo \"TOKENFILE=$SHIFTKEY_TOKEN_FILE\"; echo \"WHO=$SHIFTKEY_USER_NAME\"; exec /bin/sh"];
const CODE_SCREEN: &str = "Enter the 8-digit code we texted to";

/// A kiosk on `fake`, with the app client's secret in a file when the fake's client has one,
/// and `extra` appended to the config.
fn kiosk(fake: &Fake, dir: &Path, extra: &str) -> KioskSetup {
    let secret_line = match fake.with(|s| s.client_secret.clone()) {
        Some(secret) => {
            let path = dir.join("client-secret");
            std::fs::write(&path, secret).unwrap();
            format!("client_secret = {{ file = {path:?} }}")
        }
        None => String::new(),
    };
    let setup = KioskSetup::with_backend(dir, &fake.backend_lines(&secret_line), SESSION, &run_as_line(&None), "");
    let mut text = std::fs::read_to_string(&setup.config).unwrap();
    text.push_str(extra);
    std::fs::write(&setup.config, text).unwrap();
    setup
}

/// Types `typed` on the phone form and waits for the code form.
async fn ask_for_code(screen: &mut KioskTerminal, typed: &str) -> String {
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text(typed).await;
    screen.send(b"\r");
    screen.wait_for(CODE_SCREEN, WAIT).await;
    // The whole form is drawn: its last line is there.
    screen.wait_for("Esc: change number", WAIT).await
}

fn value_after(screen: &str, key: &str) -> String {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim().to_string()
}

/// Waits until `done` holds for the fake (what the kiosk does after a screen changes, like a
/// revoke, may come a moment later).
async fn until(fake: &Fake, what: &str, done: impl Fn(&fake::State) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !fake.with(|s| done(s)) {
        assert!(Instant::now() < deadline, "timed out waiting for the fake: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_worker_signs_in_after_a_wrong_code_gets_the_access_token_and_f12_revokes_the_refresh_token() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(&fake, dir.path(), "");
    let mut screen = setup.spawn();

    let shown = ask_for_code(&mut screen, "2065550100").await;
    assert!(shown.contains("Enter the 8-digit code we texted to +1 ••• ••• 0100"), "{shown}");
    assert!(shown.contains("Code expires in 3:00") || shown.contains("Code expires in 2:"), "{shown}");
    screen.type_text("00000000").await;
    screen.wait_for("That code didn't work — try again", WAIT).await;
    screen.type_text(&fake.code_for(ALEX)).await;
    let shown = screen.wait_for("WHO=", WAIT).await;
    assert_eq!(value_after(&shown, "WHO="), "Alex Rivera");
    assert!(fake.with(|s| s.secret_hashes_checked) >= 3, "the fake checked every SECRET_HASH");

    let token_file = PathBuf::from(value_after(&shown, "TOKENFILE="));
    let token = std::fs::read_to_string(&token_file).unwrap();
    let issued = fake.with(|s| s.issued.last().cloned().unwrap());
    assert_eq!(token, issued.access, "the session holds Cognito's access token");
    assert!(!token.contains(&issued.refresh), "never the refresh token");

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(!token_file.exists());
    let revoked = fake.with(|s| s.revoked.clone());
    assert_eq!(revoked.len(), 1, "one RevokeToken: {revoked:?}");
    assert_eq!(revoked[0].token, issued.refresh, "sign-out revoked the refresh token");
    assert_eq!(revoked[0].client_secret.as_deref(), Some(SECRET));
    let ends = setup.audit_events("session_end");
    assert_eq!((ends.len(), ends[0]["revoke"].as_str()), (1, Some("revoked")), "{ends:?}");

    let audit = setup.audit_text();
    let log = std::fs::read_to_string(&setup.log).unwrap_or_default();
    for secret in [issued.access.as_str(), issued.refresh.as_str(), "2065550100", SECRET] {
        assert!(!audit.contains(secret) && !log.contains(secret), "{secret} in the audit log or the kiosk's log");
    }
}

#[tokio::test]
async fn limits_and_an_expired_session_say_so_and_a_new_code_then_works() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(&fake, dir.path(), "");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    // Per number (Cognito's request quotas) and per store address (the pool's WAF).
    fake.with(|s| s.fail_next("InitiateAuth", "TooManyRequestsException", "Rate exceeded"));
    screen.type_text("2065550100\r").await;
    screen.wait_for("Too many attempts — try again in 30 s", WAIT).await;
    fake.with(|s| s.fail_next("InitiateAuth", "ForbiddenException", "Request not allowed due to WAF block."));
    screen.send(b"\r");
    screen.wait_for("Too many sign-ins from this store right now — try again in 5 min", WAIT).await;
    screen.send(b"\r");
    screen.wait_for(CODE_SCREEN, WAIT).await;

    fake.with(|s| s.fail_next("RespondToAuthChallenge", "TooManyRequestsException", "Rate exceeded"));
    screen.type_text(&fake.code_for(ALEX)).await;
    screen.wait_for("Too many requests — wait 30 s", WAIT).await;

    fake.with(|s| s.expire_sessions = true);
    screen.type_text(&fake.code_for(ALEX)).await;
    screen.wait_for("That code has expired. Press Enter for a new code", WAIT).await;
    fake.with(|s| s.expire_sessions = false);
    screen.send(b"\r");
    screen.wait_for("We sent you a new code", WAIT).await;
    assert_eq!(fake.with(|s| s.codes_for(ALEX).len()), 2);
    screen.type_text(&fake.code_for(ALEX)).await;
    screen.wait_for("WHO=Alex Rivera", WAIT).await;
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

/// The screen with every digit hidden: the masked numbers' last four and the countdowns.
fn without_digits(screen: &str) -> String {
    screen.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

#[tokio::test]
async fn an_unknown_number_sees_the_same_screens_as_a_known_one() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(&fake, dir.path(), "");
    let mut screen = setup.spawn();
    let mut seen = Vec::new();
    for typed in ["2065550100", "2065550199"] {
        let code_screen = ask_for_code(&mut screen, typed).await;
        screen.type_text("00000000").await;
        screen.wait_for("That code didn't work — try again", WAIT).await;
        let wrong_screen = screen.wait_for("Esc: change number", WAIT).await;
        seen.push((without_digits(&code_screen), without_digits(&wrong_screen)));
        screen.send(b"\x1b");
        screen.wait_for("Enter your mobile number", WAIT).await;
    }
    assert_eq!(seen[0].0, seen[1].0, "the code screens differ");
    assert_eq!(seen[0].1, seen[1].1, "the wrong-code screens differ");
    assert!(fake.with(|s| s.codes_for(NOBODY).is_empty()));
    let sent = setup.audit_events("code_sent");
    assert_eq!(sent.len(), 2, "the kiosk's audit log doesn't tell them apart either: {sent:?}");
}

#[tokio::test]
async fn a_manager_is_found_through_cognito_groups_and_a_worker_is_refused() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(&fake, dir.path(), "[manager]\nmenu_timeout = \"3s\"\n");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    ask_for_code(&mut screen, "2065550100").await;
    screen.type_text(&fake.code_for(ALEX)).await;
    screen.wait_for("This number isn't a store manager", WAIT).await;
    let alex = fake.with(|s| s.issued.last().cloned().unwrap());
    until(&fake, "the refused worker's refresh token revoked", |s| s.revoked.iter().any(|r| r.token == alex.refresh))
        .await;
    screen.send(b" ");
    screen.wait_gone("MANAGER", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    ask_for_code(&mut screen, "2065550109").await;
    screen.type_text(&fake.code_for(JORDAN)).await;
    screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    let jordan = fake.with(|s| s.issued.last().cloned().unwrap());
    assert!(!fake.with(|s| s.revoked.iter().any(|r| r.token == jordan.refresh)));
    screen.wait_gone("Signed in: Jordan Lee", WAIT).await;
    until(&fake, "the manager's refresh token revoked", |s| s.revoked.iter().any(|r| r.token == jordan.refresh)).await;
}

#[tokio::test]
async fn a_forged_or_misaddressed_id_token_gets_no_session() {
    let fake = Fake::start(None);
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(&fake, dir.path(), "");
    let mut screen = setup.spawn();
    for trouble in [IdToken::Forged, IdToken::WrongAudience] {
        fake.with(|s| s.id_token = trouble);
        ask_for_code(&mut screen, "2065550109").await;
        screen.type_text(&fake.code_for(JORDAN)).await;
        let shown = screen.wait_for("The sign-in service's answer couldn't be checked — tell a manager", WAIT).await;
        assert!(!shown.contains("TOKENFILE="), "{trouble:?}: {shown}");
        screen.send(b"\x1b");
    }
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert!(setup.audit_events("session_start").is_empty());
    assert_eq!(setup.audit_events("sign_in_failed").len(), 2);
}

/// `shiftkey check-config --config FILE` with `env`: (success, stdout, stderr).
fn check_config(config: &Path, env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new(common::BIN)
        .args(["check-config", "--config"])
        .arg(config)
        .env_remove("SHIFTKEY_COGNITO_CLIENT_SECRET")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[tokio::test]
async fn check_config_passes_a_good_set_up_and_says_what_to_change_otherwise() {
    let fake = Fake::start(Some(SECRET));
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, SECRET).unwrap();
    let config = |backend: String| {
        let lines = format!("{backend}\nclient_secret = {{ file = {secret:?} }}");
        KioskSetup::with_backend(dir.path(), &lines, &["/bin/sh"], &run_as_line(&None), "").config
    };

    let (ok, out, err) = check_config(&config(fake.backend_lines("")), &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("valid kiosk config") && out.contains("(cognito) answers"), "{out}");
    assert!(
        out.contains("note: store managers are the members of the user pool's groups named in manager.roles"),
        "{out}"
    );
    assert!(out.contains("note: no temporary access passes: the Cognito user pool's SMS sign-in"), "{out}");

    let wrong_client = fake.backend_lines("").replace(fake::CLIENT, "no_such_client");
    let (ok, _, err) = check_config(&config(wrong_client), &[]);
    assert!(!ok && err.contains("no app client \"no_such_client\"") && err.contains("set backend.client_id"), "{err}");

    let wrong_pool = fake.backend_lines("").replace(fake::POOL, "eu-west-1_Elsewhere");
    let (ok, _, err) = check_config(&config(wrong_pool), &[]);
    assert!(!ok && err.contains("check backend.user_pool_id"), "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = fake.backend_lines("").replace(fake.url(), &format!("http://127.0.0.1:{port}"));
    let (ok, _, err) = check_config(&config(unreachable), &[]);
    assert!(!ok && err.contains("can't reach Cognito") && err.contains("check backend.url"), "{err}");

    fake.with(|s| s.bad_jwks = true);
    let (ok, _, err) = check_config(&config(fake.backend_lines("")), &[]);
    assert!(!ok && err.contains("can't fetch the signing keys from"), "{err}");

    assert!(fake.with(|s| s.sms.is_empty()), "check-config texted no one");
}

#[test]
fn the_example_config_loads_and_builds() {
    use shiftkey::config::{BackendKind, ConfigFile, KioskConfig, SecretSource};
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kiosk.cognito.example.toml");
    let config = KioskConfig::load(&example).unwrap();
    assert_eq!(config.backend.kind, BackendKind::Cognito);
    assert!(config.manager.roles.contains(&"kiosk-manager".to_string()));

    // Built in-process with the secret from a file instead of the environment ...
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s").unwrap();
    let mut backend = config.backend.clone();
    assert_eq!(
        backend.client_secret,
        Some(SecretSource { file: None, env: Some("SHIFTKEY_COGNITO_CLIENT_SECRET".into()) })
    );
    backend.client_secret = Some(SecretSource { file: Some(secret), env: None });
    shiftkey::auth::from_config(&backend).expect("the example's [backend] builds");

    // ... and by the binary, as written, with the variable set for it alone; its session account
    // is one this machine has, and its URL local, so nothing reaches AWS from a test.
    let run_as = if nix::unistd::geteuid().is_root() { "run_as = \"root\"" } else { "" };
    let text = std::fs::read_to_string(&example).unwrap();
    let local = text
        .lines()
        .map(|line| match line {
            l if l.starts_with("run_as") => run_as.to_string(),
            l if l.starts_with("url") => "url = \"http://127.0.0.1:9\"".to_string(),
            l => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(local, text);
    let copy = dir.path().join("kiosk.toml");
    std::fs::write(&copy, local).unwrap();
    let (_, out, err) = check_config(&copy, &[("SHIFTKEY_COGNITO_CLIENT_SECRET", "from-the-environment")]);
    assert!(out.contains("valid kiosk config"), "{out}\n{err}");
    let (ok, _, err) = check_config(&copy, &[]);
    assert!(
        !ok && err.contains("backend.client_secret: environment variable SHIFTKEY_COGNITO_CLIENT_SECRET is not set"),
        "{err}"
    );
}
