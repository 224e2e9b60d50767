//! The Supabase adapter against a local fake of Supabase Auth: through the real kiosk in a pty
//! (sign-in, the code's errors, the limits, unknown numbers, managers, sign-out, tokens that
//! mustn't be believed), in-process (resends, the sign-out of a long session, the finer
//! mappings), and `shiftkey check-config`.

mod common;
#[path = "supabase/fake.rs"]
mod fake;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{F12, KioskSetup, KioskTerminal, run_as_line, session_user};
use fake::{ALEX, API_KEY, Fake, JORDAN, JwksMode, Logout, Running, SAM, STRANGER, TokenMode};
use shiftkey::auth::{AuthBackend, AuthError, SignedOut, Tokens};
use shiftkey::config::{BackendConfig, BackendKind, ConfigFile, KioskConfig, SecretSource};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::OtpCode;

const WAIT: Duration = Duration::from_secs(15);
const F9: &[u8] = b"\x1b[20~";
const CODE_SCREEN: &str = "Enter the 6-digit code we texted to";

/// A session that shows where its token is, then runs a shell.
const SESSION: &[&str] = &["/bin/sh", "-c", "echo \"TOKENFILE=$SHIFTKEY_TOKEN_FILE\"; exec /bin/sh"];

/// The `[backend]` table for the fake, its key in a file of the test's own.
fn backend_lines(dir: &Path, url: &str) -> String {
    let key = dir.join("anon.key");
    std::fs::write(&key, API_KEY).unwrap();
    format!("kind = \"supabase\"\nurl = \"{url}\"\napi_key = {{ file = {key:?} }}")
}

/// A kiosk on the fake, its sessions run as a dedicated account where the machine allows.
fn kiosk(fake: &Running, dir: &Path, account: &str) -> (KioskSetup, KioskTerminal) {
    let user = session_user(account);
    let setup = KioskSetup::with_backend(dir, &backend_lines(dir, fake.url()), SESSION, &run_as_line(&user), "");
    let screen = setup.spawn();
    (setup, screen)
}

/// Types `e164` (national form) on the phone screen and waits for the code screen; the code
/// the fake texted, if it texted one.
async fn ask_for_code(screen: &mut KioskTerminal, fake: &Fake, e164: &str) -> Option<String> {
    screen.wait_for("Enter your mobile number", WAIT).await;
    let before = fake.codes_for(e164).len();
    screen.type_text(e164.trim_start_matches("+1")).await;
    screen.send(b"\r");
    screen.wait_for(CODE_SCREEN, WAIT).await;
    // The bottom line: the whole form is drawn.
    screen.wait_for("Esc: change number", WAIT).await;
    fake.codes_for(e164).get(before).cloned()
}

/// A code that isn't `code`.
fn other_than(code: &str) -> String {
    code.chars().map(|c| if c == '1' { '2' } else { '1' }).collect()
}

async fn eventually<T>(what: &str, mut look: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = look() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn value_after<'a>(screen: &'a str, key: &str) -> &'a str {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim()
}

#[tokio::test]
async fn a_worker_signs_in_and_f12_ends_the_session_at_supabase() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-basic");
    let code = ask_for_code(&mut screen, &fake, ALEX).await.expect("a code texted to Alex");
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    // The status bar, with the name from user_metadata.
    let shown = screen.wait_for("Alex Rivera", WAIT).await;

    let sent = fake.read(|s| s.otp_requests[0].clone());
    assert_eq!(sent, serde_json::json!({ "phone": ALEX, "create_user": false, "channel": "sms" }));
    let token = std::fs::read_to_string(value_after(&shown, "TOKENFILE=")).unwrap();
    let (access, refresh) = fake.issued().pop().expect("a session was handed out");
    assert_eq!(token, access, "the session holds Supabase's access token");
    assert!(!token.contains(&refresh), "and never the refresh token");

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    let logouts = eventually("the logout", || Some(fake.logouts()).filter(|l| !l.is_empty())).await;
    let session_id = fake.read(|s| s.sessions[0].id.clone());
    assert_eq!(logouts, [Logout { session_id, user_id: fake.user_id(ALEX), scope: "local".into() }]);
    let ends = setup.audit_events("session_end");
    assert_eq!(ends[0]["revoke"], "revoked", "{ends:?}");

    assert!(!fake.read(|s| s.key_misused), "the key went as `apikey` only, on every request");
    let written = format!("{}{}", setup.audit_text(), std::fs::read_to_string(&setup.log).unwrap_or_default());
    for secret in [API_KEY, &access, &refresh, "2065550100"] {
        assert!(!written.contains(secret), "a secret in the audit log or the kiosk's log");
    }
}

#[tokio::test]
async fn a_wrong_code_says_that_code_didnt_work_and_the_right_one_still_does() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-wrong");
    let code = ask_for_code(&mut screen, &fake, ALEX).await.unwrap();
    screen.type_text(&other_than(&code)).await;
    screen.wait_for("That code didn't work — try again", WAIT).await;
    // Supabase counts no attempts: the code still works.
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

/// A code rejected once its 60 s are up is "expired", not "didn't work" (Supabase says the
/// same for both). Takes a minute: the lifetime is Supabase's default, not configurable here.
#[tokio::test]
async fn a_code_rejected_past_its_lifetime_is_expired() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-expired");
    let code = ask_for_code(&mut screen, &fake, ALEX).await.unwrap();
    screen.type_text(&code[..5]).await;
    // The last digit goes in with two or three seconds left; the answer comes back after the end.
    screen.wait_for("Code expires in 0:03", Duration::from_secs(75)).await;
    fake.set(|s| s.verify_delay = Duration::from_secs(4));
    screen.type_text(&code[5..]).await;
    screen.wait_for("That code has expired. Press Enter for a new code", WAIT).await;
    let failed = setup.audit_events("sign_in_failed");
    assert_eq!(failed[0]["error"], "the code has expired", "the adapter said so, not the kiosk's clock: {failed:?}");
    assert!(setup.audit_events("session_start").is_empty());
}

#[tokio::test]
async fn asking_again_too_soon_says_when_for_known_and_unknown_numbers_alike() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-throttle");
    let mut shown = Vec::new();
    for number in [ALEX, STRANGER] {
        ask_for_code(&mut screen, &fake, number).await;
        screen.send(b"\x1b");
        screen.wait_for("Enter your mobile number", WAIT).await;
        screen.type_text(number.trim_start_matches("+1")).await;
        screen.send(b"\r");
        let text = screen.wait_for("Too many attempts — try again in", WAIT).await;
        let seconds: u64 = value_after(&text, "try again in ")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap();
        assert!((50..=60).contains(&seconds), "{seconds} s");
        // The numbers hidden: their digits, and the rows of large digits (at 100x30 and up).
        let rows: Vec<&str> = text.lines().filter(|row| !row.contains('█')).collect();
        shown.push(rows.join("\n").replace(|c: char| c.is_ascii_digit(), "#"));
        screen.send(b"\x1b");
        screen.wait_gone("Too many attempts", WAIT).await;
    }
    assert_eq!(shown[0], shown[1], "a known and an unknown number look alike");
}

#[tokio::test]
async fn the_stores_address_limit_says_so_on_both_forms() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-store");
    // One request left: the send goes through, the check is refused.
    fake.set(|s| s.requests_left = Some(1));
    let code = ask_for_code(&mut screen, &fake, ALEX).await.unwrap();
    screen.type_text(&code).await;
    screen.wait_for("Too many sign-ins from this store right now — try again in 1 min", WAIT).await;
    screen.send(b"\x1b");
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("2065550102\r").await;
    screen.wait_for("Too many sign-ins from this store right now — try again in 1 min", WAIT).await;
    assert!(fake.codes_for(SAM).is_empty());
}

/// The code screen and a wrong code's screen, with every digit hidden (the masked number, the
/// countdown), for `number`.
async fn screens_for(screen: &mut KioskTerminal, fake: &Fake, number: &str) -> (String, String) {
    let code = ask_for_code(screen, fake, number).await;
    let asked = screen.contents();
    screen.type_text(&other_than(code.as_deref().unwrap_or("000000"))).await;
    screen.wait_for("That code didn't work — try again", WAIT).await;
    let refused = screen.wait_for("Esc: change number", WAIT).await;
    screen.send(b"\x1b");
    screen.wait_for("Enter your mobile number", WAIT).await;
    let hide = |text: String| text.replace(|c: char| c.is_ascii_digit(), "#");
    (hide(asked), hide(refused))
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_screens_as_a_known_one() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-unknown");
    let known = screens_for(&mut screen, &fake, ALEX).await;
    let unknown = screens_for(&mut screen, &fake, STRANGER).await;
    assert_eq!(known.0, unknown.0, "the code screen");
    assert_eq!(known.1, unknown.1, "a wrong code");
    assert!(fake.codes_for(STRANGER).is_empty(), "nothing was texted to the unknown number");
    let checked = fake.read(|s| s.verify_requests.iter().filter(|r| r["phone"] == STRANGER).count());
    assert_eq!(checked, 1, "the unknown number's code was asked about as a known one's is");
    let sent = setup.audit_events("code_sent");
    assert_eq!(sent.len(), 2, "both audited as sent: {sent:?}");
}

#[tokio::test]
async fn a_manager_found_through_app_metadata_roles_gets_the_menu_and_a_non_manager_is_refused() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-manager");
    screen.wait_for("Enter your mobile number", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    let code = ask_for_code(&mut screen, &fake, SAM).await.unwrap();
    screen.type_text(&code).await;
    screen.wait_for("This number isn't a store manager", WAIT).await;
    let sam = fake.user_id(SAM);
    eventually("the refused manager's logout", || fake.logouts().into_iter().find(|l| l.user_id == sam)).await;
    assert_eq!(setup.audit_events("manager_refused").len(), 1);
    screen.send(b" ");
    screen.wait_gone("MANAGER", WAIT).await;

    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    let code = ask_for_code(&mut screen, &fake, JORDAN).await.unwrap();
    screen.type_text(&code).await;
    screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    screen.send(b"\x1b");
    screen.wait_for("Enter your mobile number", WAIT).await;
    let jordan = fake.user_id(JORDAN);
    let out = eventually("the manager's logout", || fake.logouts().into_iter().find(|l| l.user_id == jordan)).await;
    assert_eq!(out.scope, "local");
}

#[tokio::test]
async fn a_forged_or_misaddressed_token_gets_no_session() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(&fake, dir.path(), "sk-sb-forged");
    for (mode, number) in [(TokenMode::Forged, ALEX), (TokenMode::WrongAudience, SAM)] {
        fake.set(|s| s.token_mode = mode);
        let code = ask_for_code(&mut screen, &fake, number).await.unwrap();
        screen.type_text(&code).await;
        let shown = screen.wait_for("The sign-in service's answer couldn't be checked — tell a manager", WAIT).await;
        assert!(!shown.contains("TOKENFILE"), "{mode:?}: no session:\n{shown}");
        screen.send(b"\x1b");
        screen.wait_for("Enter your mobile number", WAIT).await;
    }
    assert!(setup.audit_events("session_start").is_empty());
    let failed = setup.audit_events("sign_in_failed");
    assert_eq!(failed.len(), 2);
    assert!(failed[0]["error"].as_str().unwrap().contains("InvalidSignature"), "{failed:?}");
    assert!(failed[1]["error"].as_str().unwrap().contains("InvalidAudience"), "{failed:?}");
    // The sessions Supabase opened for them were ended.
    assert_eq!(fake.logouts().len(), 2);
}

// ---- The adapter in-process ----

/// The adapter on the fake, its key in `dir`.
fn adapter(fake: &Running, dir: &Path) -> shiftkey::auth::supabase::SupabaseBackend {
    let key = dir.join("anon.key");
    std::fs::write(&key, API_KEY).unwrap();
    let config = BackendConfig {
        kind: BackendKind::Supabase,
        url: fake.url().to_string(),
        api_key: Some(SecretSource { file: Some(key), env: None }),
        ..Default::default()
    };
    shiftkey::auth::supabase::SupabaseBackend::new(&config).unwrap()
}

fn phone(e164: &str) -> PhoneNumber {
    PhoneNumber::parse(e164, "US").unwrap()
}

#[tokio::test]
async fn known_and_unknown_numbers_get_alike_challenges_and_resends() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = adapter(&fake, dir.path());
    let known = backend.start(&phone(ALEX)).await.unwrap();
    let unknown = backend.start(&phone(STRANGER)).await.unwrap();
    assert_ne!(known.id, unknown.id);
    assert_eq!(
        (known.code_length, known.expires_in, known.resend_after),
        (6, Duration::from_secs(60), Duration::from_secs(60))
    );
    assert_eq!(
        (known.code_length, known.expires_in, known.resend_after),
        (unknown.code_length, unknown.expires_in, unknown.resend_after)
    );
    for id in [&known.id, &unknown.id] {
        let Err(AuthError::RateLimited { retry_after }) = backend.resend(id).await else { panic!("a resend too soon") };
        assert!((55..=60).contains(&retry_after.as_secs()), "{retry_after:?}");
    }
    // Once Supabase sends again (its wait over), both resend.
    fake.set(|s| s.max_frequency = Duration::ZERO);
    assert!(backend.resend(&known.id).await.is_ok());
    assert_eq!(fake.codes_for(ALEX).len(), 2);
    let wrong = OtpCode::new("123456");
    assert_eq!(backend.verify(&unknown.id, &wrong).await.unwrap_err(), AuthError::CodeRejected);
    let first = fake.codes_for(ALEX)[0].clone();
    assert_eq!(
        backend.verify(&known.id, &OtpCode::new(first)).await.unwrap_err(),
        AuthError::CodeRejected,
        "a resend ends the old code"
    );
}

#[tokio::test]
async fn roles_in_one_string_and_a_name_from_the_number() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = adapter(&fake, dir.path());
    let challenge = backend.start(&phone(SAM)).await.unwrap();
    let grant = backend.verify(&challenge.id, &OtpCode::new(fake.codes_for(SAM)[0].clone())).await.unwrap();
    assert_eq!(grant.user.id, fake.user_id(SAM));
    assert_eq!(grant.user.roles, ["cashier", "stock"]);
    assert_eq!(grant.user.display_name, "+1 ••• ••• 0102", "no name in user_metadata");
    assert_eq!(grant.expires_in, Duration::from_secs(3600));
    assert!(grant.tokens.refresh.is_some());
}

#[tokio::test]
async fn a_long_sessions_sign_out_ends_it_with_the_refresh_token() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = adapter(&fake, dir.path());
    fake.set(|s| s.stale_access = true);
    let challenge = backend.start(&phone(ALEX)).await.unwrap();
    let grant = backend.verify(&challenge.id, &OtpCode::new(fake.codes_for(ALEX)[0].clone())).await.unwrap();
    assert_eq!(backend.sign_out(&grant.tokens).await, Ok(SignedOut::Revoked));
    assert_eq!(fake.read(|s| s.refreshes), 1);
    assert_eq!(fake.logouts().len(), 1);
    // Again: the session is over already, which is what was asked.
    assert_eq!(backend.sign_out(&grant.tokens).await, Ok(SignedOut::Revoked));
    assert_eq!(fake.logouts().len(), 1);
    // Without a refresh token (a crashed kiosk's record), an expired token can't be ended.
    let err = backend.sign_out(&Tokens::access_only(grant.tokens.access.clone())).await.unwrap_err();
    assert!(err.to_string().contains("no refresh token"), "{err}");
}

#[tokio::test]
async fn a_token_from_another_issuer_is_not_believed() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = adapter(&fake, dir.path());
    fake.set(|s| s.token_mode = TokenMode::WrongIssuer);
    let challenge = backend.start(&phone(ALEX)).await.unwrap();
    let err = backend.verify(&challenge.id, &OtpCode::new(fake.codes_for(ALEX)[0].clone())).await.unwrap_err();
    assert!(matches!(&err, AuthError::Untrusted(why) if why.contains("InvalidIssuer")), "{err:?}");
}

#[tokio::test]
async fn a_failed_text_a_banned_user_and_older_error_bodies() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = adapter(&fake, dir.path());
    fake.set(|s| s.sms_fails = true);
    let err = backend.start(&phone(ALEX)).await.unwrap_err();
    assert!(matches!(&err, AuthError::Protocol(why) if why.contains("couldn't be sent")), "{err:?}");
    assert!(!err.to_string().contains("2065550100"), "the provider's message, quoting the number, stays out");

    fake.set(|s| {
        s.sms_fails = false;
        s.users.iter_mut().for_each(|u| u.banned = u.phone == "12065550109");
    });
    let challenge = backend.start(&phone(JORDAN)).await.unwrap();
    let code = OtpCode::new(fake.codes_for(JORDAN)[0].clone());
    assert_eq!(backend.verify(&challenge.id, &code).await.unwrap_err(), AuthError::CodeRejected);

    // A GoTrue that ignores X-Supabase-Api-Version: {code: 403, error_code, msg}.
    fake.set(|s| s.old_errors = true);
    let unknown = backend.start(&phone(STRANGER)).await.unwrap();
    assert_eq!(backend.verify(&unknown.id, &OtpCode::new("123456")).await.unwrap_err(), AuthError::CodeRejected);
    fake.set(|s| s.requests_left = Some(0));
    let Err(AuthError::StoreRateLimited { .. }) = backend.start(&phone(SAM)).await else { panic!("the store's limit") };
}

// ---- check-config ----

/// `shiftkey check-config` on a kiosk config with this `[backend]` table: (ok, stdout, stderr).
fn check_config(dir: &Path, backend: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let run_as = if nix::unistd::geteuid().is_root() { "run_as = \"root\"" } else { "" };
    let config = dir.join("check.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"check\"\naudit_log = {:?}\n[backend]\n{backend}\n[session]\ncommand = [\"/bin/sh\"]\n{run_as}\n\
             [control]\nsocket = {:?}\n",
            dir.join("audit.jsonl"),
            dir.join("control.sock")
        ),
    )
    .unwrap();
    run_check(&config, env)
}

fn run_check(config: &Path, env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new(common::BIN)
        .arg("check-config")
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_config_passes_a_good_project_and_says_where_managers_come_from() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = check_config(dir.path(), &backend_lines(dir.path(), fake.url()), &[]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("backend {} (supabase) answers", fake.url())), "{out}");
    assert!(out.contains("note: store managers are the users whose app_metadata.roles"), "{out}");
    assert!(out.contains("note: no temporary access passes: Supabase Auth's phone sign-in only sends codes"), "{out}");
}

#[test]
fn check_config_says_to_fix_a_wrong_api_key() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("wrong.key");
    std::fs::write(&key, "sb_publishable_someone-elses-key").unwrap();
    let backend = format!("kind = \"supabase\"\nurl = \"{}\"\napi_key = {{ file = {key:?} }}", fake.url());
    let (ok, _, err) = check_config(dir.path(), &backend, &[]);
    assert!(!ok);
    assert!(err.contains("the project refused backend.api_key (HTTP 401)"), "{err}");
    assert!(err.contains("set backend.api_key to the project's anon (publishable) key"), "{err}");
    assert!(!err.contains("someone-elses-key"), "the key itself is never shown: {err}");
}

#[test]
fn check_config_says_when_supabase_cant_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ok, _, err) = check_config(dir.path(), &backend_lines(dir.path(), &format!("http://127.0.0.1:{port}")), &[]);
    assert!(!ok);
    assert!(err.contains(&format!("can't reach Supabase at http://127.0.0.1:{port}")), "{err}");
    assert!(err.contains("check backend.url"), "{err}");
}

#[test]
fn check_config_refuses_signing_keys_it_cant_use() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    fake.set(|s| s.jwks_mode = JwksMode::Garbage);
    let (ok, _, err) = check_config(dir.path(), &backend_lines(dir.path(), fake.url()), &[]);
    assert!(!ok);
    assert!(err.contains("can't fetch the signing keys from") && err.contains("not a JWKS"), "{err}");
    fake.set(|s| s.jwks_mode = JwksMode::Empty);
    let (ok, _, err) = check_config(dir.path(), &backend_lines(dir.path(), fake.url()), &[]);
    assert!(!ok);
    assert!(err.contains("legacy JWT secret") && err.contains("Project Settings → JWT Keys"), "{err}");
}

#[test]
fn check_config_says_when_phone_sign_in_is_off() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    fake.set(|s| s.phone_enabled = false);
    let (ok, _, err) = check_config(dir.path(), &backend_lines(dir.path(), fake.url()), &[]);
    assert!(!ok);
    assert!(err.contains("phone sign-in is turned off") && err.contains("Providers → Phone"), "{err}");
}

#[test]
fn the_example_config_loads_and_builds() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/kiosk.supabase.example.toml");
    let config = KioskConfig::load(&example).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.backend.kind, BackendKind::Supabase);
    let variable =
        config.backend.api_key.as_ref().and_then(|key| key.env.clone()).expect("the key from the environment");

    // The same file on the fake, with its key in the command's environment only.
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let run_as = if nix::unistd::geteuid().is_root() { "run_as = \"root\"" } else { "" };
    let text = std::fs::read_to_string(&example).unwrap();
    let text: String = text
        .lines()
        .map(|line| match line.split('=').next().unwrap().trim() {
            "url" => format!("url = \"{}\"", fake.url()),
            "run_as" => run_as.to_string(),
            "audit_log" | "socket" | "state_dir" => String::new(),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = dir.path().join("kiosk.toml");
    let own = format!("audit_log = {:?}\nstate_dir = {:?}\n", dir.path().join("audit.jsonl"), dir.path().join("state"));
    std::fs::write(&config, format!("{own}{text}\n[control]\nsocket = {:?}\n", dir.path().join("control.sock")))
        .unwrap();
    let (ok, out, err) = run_check(&config, &[(&variable, API_KEY)]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("(supabase) answers"), "{out}");
}

#[test]
fn the_docs_show_the_example_config_as_it_is() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let docs = readme.split("### Supabase Auth").nth(1).expect("the README's Supabase section");
    let example = std::fs::read_to_string(root.join("assets/kiosk.supabase.example.toml")).unwrap();
    let shown = docs.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a toml block");
    assert_eq!(shown, example, "the README's Supabase section and assets/kiosk.supabase.example.toml differ");
}
