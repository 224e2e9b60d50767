//! The Ory Kratos adapter against a local fake of Kratos's public API (tests/kratos/fake.rs):
//! through the real kiosk in a pty (sign-in to sign-out, wrong codes, an expired flow, a rate
//! limit, an unknown number, managers by `metadata_public.roles`, a whoami that doesn't confirm
//! the login), the adapter alone where the kiosk's screens can't show a difference (resend and
//! Kratos's count of codes), and `check-config`.

mod common;
#[path = "kratos/fake.rs"]
mod fake;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{BIN, F12, KioskSetup, KioskTerminal, run_as_line, session_user};
use fake::{FakeKratos, Mode, Whoami};
use shiftkey::auth::kratos::KratosBackend;
use shiftkey::auth::{AuthBackend, AuthError, Challenge, SignedOut, Tokens};
use shiftkey::config::{BackendConfig, BackendKind, ConfigFile, KioskConfig};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::{AccessToken, OtpCode};

const WAIT: Duration = Duration::from_secs(15);
const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";
const NOBODY: &str = "+12065550199";
const F9: &[u8] = b"\x1b[20~";

/// A session that shows where its token is, then waits.
const SESSION: &[&str] = &["/bin/sh", "-c", "echo \"TOKENFILE=$SHIFTKEY_TOKEN_FILE\"; exec /bin/sh"];

fn backend_lines(url: &str) -> String {
    format!("kind = \"kratos\"\nurl = \"{url}\"")
}

/// A kiosk against `fake` whose sessions run as `account` (when it can be made).
fn kiosk(dir: &Path, fake: &FakeKratos, account: &str, extra: &str) -> KioskSetup {
    let user = session_user(account);
    let setup = KioskSetup::with_backend(dir, &backend_lines(fake.url()), SESSION, &run_as_line(&user), "");
    if !extra.is_empty() {
        let mut text = std::fs::read_to_string(&setup.config).unwrap();
        text.push_str(extra);
        std::fs::write(&setup.config, text).unwrap();
    }
    setup
}

fn value_after<'a>(screen: &'a str, key: &str) -> &'a str {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim()
}

/// Types a number on the phone form and waits for the code form.
async fn enter_number(screen: &mut KioskTerminal, typed: &str) -> String {
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text(typed).await;
    screen.send(b"\r");
    screen.wait_for("Code expires in", WAIT).await
}

/// Signs in with the code Kratos texted; waits for `ready`.
async fn sign_in(screen: &mut KioskTerminal, fake: &FakeKratos, typed: &str, e164: &str, ready: &str) -> String {
    let before = fake.texts_to(e164).len();
    enter_number(screen, typed).await;
    let code = fake.code_for(e164, before + 1).await;
    screen.type_text(&code).await;
    screen.wait_for(ready, WAIT).await
}

/// A code that isn't `code`.
fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test]
async fn sign_in_reaches_the_session_with_the_session_token_and_f12_logs_it_out() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-in", "");
    let mut screen = setup.spawn();

    let shown = sign_in(&mut screen, &fake, "2065550100", ALEX, "TOKENFILE=").await;
    assert!(shown.contains("Alex Rivera"), "the name from traits.name.first/last:\n{shown}");
    let token = std::fs::read_to_string(value_after(&shown, "TOKENFILE=")).unwrap();
    let sessions = fake.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0], (token.clone(), true), "the token file holds Kratos's session token");

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert_eq!(fake.wait_logouts(1).await, std::slice::from_ref(&token), "F12 logged the session out at Kratos");
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["revoke"], "revoked");
    let audit = setup.audit_text();
    assert!(!audit.contains("2065550100") && !audit.contains(&token), "no number or token in the audit log");
    assert_eq!(fake.browser_requests(), 0, "no Origin header, no cookies");
}

#[tokio::test]
async fn wrong_codes_count_down_to_too_many_and_enter_opens_a_new_flow() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-wrong", "");
    let mut screen = setup.spawn();
    enter_number(&mut screen, "2065550100").await;
    let code = fake.code_for(ALEX, 1).await;
    for notice in [
        "That code isn't right — 4 tries left",
        "That code isn't right — 3 tries left",
        "That code isn't right — 2 tries left",
        "That code isn't right — 1 try left",
        "Too many wrong tries. Press Enter for a new code",
    ] {
        screen.type_text(wrong(&code)).await;
        screen.wait_for(notice, WAIT).await;
    }
    assert_eq!(fake.flows_created(), 1);

    // Kratos's count of codes never resets on a flow: the new code comes on a new one.
    screen.send(b"\r");
    screen.wait_for("We sent you a new code", WAIT).await;
    assert_eq!(fake.flows_created(), 2);
    let code = fake.code_for(ALEX, 2).await;
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    screen.send(F12);
    fake.wait_logouts(1).await;
}

#[tokio::test]
async fn an_expired_flow_says_so_and_enter_gets_a_new_code() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-exp", "");
    let mut screen = setup.spawn();
    enter_number(&mut screen, "2065550100").await;
    let code = fake.code_for(ALEX, 1).await;
    fake.expire_flows(true);
    screen.type_text(&code).await;
    screen.wait_for("That code has expired. Press Enter for a new code", WAIT).await;

    fake.expire_flows(false);
    screen.send(b"\r");
    screen.wait_for("We sent you a new code", WAIT).await;
    let code = fake.code_for(ALEX, 2).await;
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    screen.send(F12);
    fake.wait_logouts(1).await;
}

#[tokio::test]
async fn a_rate_limit_says_how_long_to_wait() {
    let fake = FakeKratos::start();
    fake.rate_limit(Some(120));
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-429", "");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("2065550100\r").await;
    screen.wait_for("Too many attempts — try again in 120 s", WAIT).await;
    assert_eq!(fake.texts(), 0);
}

/// The screen with what may differ between two numbers made the same: the last four digits
/// and the seconds of the countdowns.
fn normalized(screen: &str, last_four: &str) -> String {
    let countdown = |line: &str| line.contains("Code expires in") || line.contains("New code possible in");
    screen
        .replace(last_four, "####")
        .lines()
        .map(|line| match line.find(" in ") {
            Some(at) if countdown(line) => line[..at].to_string(),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_screens_as_a_known_one() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-nobody", "");
    let mut screen = setup.spawn();

    let mut seen = Vec::new();
    for (typed, e164, last_four) in [("2065550199", NOBODY, "0199"), ("2065550100", ALEX, "0100")] {
        let code_screen = enter_number(&mut screen, typed).await;
        let code = fake.texts_to(e164).pop().unwrap_or_default();
        screen.type_text(wrong(&code)).await;
        let wrong_screen = screen.wait_for("That code isn't right — 4 tries left", WAIT).await;
        seen.push((normalized(&code_screen, last_four), normalized(&wrong_screen, last_four)));
        screen.send(b"\x1b");
        screen.wait_gone("That code isn't right", WAIT).await;
    }
    assert_eq!(seen[0].0, seen[1].0, "the code screens differ");
    assert_eq!(seen[0].1, seen[1].1, "the wrong-code screens differ");
    assert!(fake.texts_to(NOBODY).is_empty(), "Kratos texted no one");
    assert_eq!(fake.code_submissions(), [NOBODY, ALEX], "the unknown number's code went to Kratos too");
}

/// Types a number and its code on the manager's sign-in screen.
async fn manager_sign_in(screen: &mut KioskTerminal, fake: &FakeKratos, typed: &str, e164: &str) {
    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    let before = fake.texts_to(e164).len();
    screen.type_text(typed).await;
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
    let code = fake.code_for(e164, before + 1).await;
    screen.type_text(&code).await;
}

#[tokio::test]
async fn a_manager_is_found_through_metadata_public_roles_and_a_worker_is_refused() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-mgr", "[manager]\nmenu_timeout = \"3s\"\n");
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    manager_sign_in(&mut screen, &fake, "2065550100", ALEX).await;
    screen.wait_for("This number isn't a store manager", WAIT).await;
    assert_eq!(fake.wait_logouts(1).await.len(), 1, "the refused sign-in's session was logged out");
    assert_eq!(setup.audit_events("manager_refused").len(), 1);
    screen.send(b" ");
    screen.wait_gone("MANAGER", WAIT).await;

    manager_sign_in(&mut screen, &fake, "2065550109", JORDAN).await;
    let menu = screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    assert!(menu.contains("MANAGER"), "{menu}");
    // The menu closes by its timeout; the manager's session ends with it.
    screen.wait_gone("Signed in: Jordan Lee", Duration::from_secs(8)).await;
    assert_eq!(fake.wait_logouts(2).await.len(), 2);
    assert!(fake.sessions().iter().all(|(_, active)| !active), "every session was ended");
}

#[tokio::test]
async fn a_whoami_for_another_identity_or_none_is_refused_and_its_session_ended() {
    let fake = FakeKratos::start();
    let dir = tempfile::tempdir().unwrap();
    let setup = kiosk(dir.path(), &fake, "sk-kratos-whoami", "");
    let mut screen = setup.spawn();
    let refused = "The sign-in service's answer couldn't be checked — tell a manager";

    // Kratos's whoami names the manager, not the worker the login was for.
    fake.whoami_answers(Whoami::OtherIdentity);
    let shown = sign_in(&mut screen, &fake, "2065550100", ALEX, refused).await;
    assert!(!shown.contains("TOKENFILE=") && !shown.contains("Jordan Lee"), "{shown}");
    assert_eq!(fake.wait_logouts(1).await.len(), 1, "the unconfirmed session was logged out");

    // Kratos doesn't know the session token it just issued.
    fake.whoami_answers(Whoami::Refuses);
    screen.send(b"\x1b");
    sign_in(&mut screen, &fake, "2065550100", ALEX, refused).await;
    assert_eq!(fake.wait_logouts(2).await.len(), 2);
    assert!(setup.audit_events("session_start").is_empty(), "no session started");
    assert_eq!(setup.audit_events("sign_in_failed").len(), 2);
}

// --- The adapter alone -------------------------------------------------------------------------

fn backend(url: &str) -> KratosBackend {
    let config = BackendConfig { kind: BackendKind::Kratos, url: url.into(), ..Default::default() };
    KratosBackend::new(&config).unwrap()
}

fn phone(e164: &str) -> PhoneNumber {
    PhoneNumber::parse_international(e164).unwrap()
}

fn code(text: &str) -> OtpCode {
    OtpCode::new(text)
}

#[tokio::test]
async fn a_resend_keeps_the_flow_and_its_count_and_a_spent_flow_gets_a_new_one() {
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let challenge = kratos.start(&phone(ALEX)).await.unwrap();
    assert_eq!((challenge.code_length, challenge.resend_after), (6, Duration::from_secs(30)));
    assert!(challenge.expires_in > Duration::from_secs(3590) && challenge.expires_in <= Duration::from_secs(3600));
    let first = fake.code_for(ALEX, 1).await;
    let id = challenge.id.as_str();
    for left in [4, 3] {
        assert_eq!(
            kratos.verify(id, &code(wrong(&first))).await.unwrap_err(),
            AuthError::InvalidCode { attempts_left: left }
        );
    }
    let resent = kratos.resend(id).await.unwrap();
    assert_eq!(resent.id, challenge.id);
    assert_eq!(fake.flows_created(), 1, "the resend went to the same flow");
    let second = fake.code_for(ALEX, 2).await;
    if first != second {
        let old = kratos.verify(id, &code(&first)).await.unwrap_err();
        assert_eq!(old, AuthError::InvalidCode { attempts_left: 2 }, "the old code is gone; the count went on");
    } else {
        kratos.verify(id, &code(wrong(&first))).await.unwrap_err();
    }
    for left in [1, 0] {
        assert_eq!(
            kratos.verify(id, &code(wrong(&second))).await.unwrap_err(),
            AuthError::InvalidCode { attempts_left: left }
        );
    }
    // One more on the spent flow: Kratos's "submitted too often".
    assert_eq!(kratos.verify(id, &code(&second)).await.unwrap_err(), AuthError::TooManyAttempts);

    kratos.resend(id).await.unwrap();
    assert_eq!(fake.flows_created(), 2, "a spent flow is replaced by a new one");
    let third = fake.code_for(ALEX, 3).await;
    let grant = kratos.verify(id, &code(&third)).await.unwrap();
    assert_eq!(grant.user.display_name, "Alex Rivera");
    assert!(grant.user.roles.is_empty());
    assert!(grant.tokens.refresh.is_none(), "Kratos has no refresh token");
    assert!(grant.expires_in > Duration::from_secs(23 * 3600), "Kratos's session lifespan");
    assert_eq!(kratos.verify(id, &code(&third)).await.unwrap_err(), AuthError::Expired, "the sign-in is over");
    assert_eq!(fake.browser_requests(), 0);
}

/// Everything but the id, and the lifetime to the second.
fn shape(challenge: &Challenge) -> (usize, u64, Duration) {
    (challenge.code_length, challenge.expires_in.as_secs().div_ceil(10), challenge.resend_after)
}

#[tokio::test]
async fn an_unknown_number_fails_exactly_like_a_wrong_code_every_time() {
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let known = kratos.start(&phone(ALEX)).await.unwrap();
    let unknown = kratos.start(&phone(NOBODY)).await.unwrap();
    assert_eq!(shape(&known), shape(&unknown));
    let alex_code = fake.code_for(ALEX, 1).await;
    let mut answers = (Vec::new(), Vec::new());
    for _ in 0..6 {
        answers.0.push(kratos.verify(&known.id, &code(wrong(&alex_code))).await.unwrap_err());
        answers.1.push(kratos.verify(&unknown.id, &code("123456")).await.unwrap_err());
    }
    assert_eq!(answers.0, answers.1);
    assert_eq!(answers.0[0], AuthError::InvalidCode { attempts_left: 4 });
    assert_eq!(answers.0[5], AuthError::TooManyAttempts);
    assert_eq!(shape(&kratos.resend(&known.id).await.unwrap()), shape(&kratos.resend(&unknown.id).await.unwrap()));
    assert!(fake.texts_to(NOBODY).is_empty());
    let to_kratos = fake.code_submissions().iter().filter(|to| *to == NOBODY).count();
    assert_eq!(to_kratos, 6, "every code for the unknown number was asked of Kratos");
}

#[tokio::test]
async fn roles_come_from_metadata_public_under_the_configured_key() {
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let challenge = kratos.start(&phone(JORDAN)).await.unwrap();
    let grant = kratos.verify(&challenge.id, &code(&fake.code_for(JORDAN, 1).await)).await.unwrap();
    assert_eq!(grant.user.roles, ["kiosk-manager"]);
    assert_eq!(grant.user.display_name, "Jordan Lee");
    assert_eq!(grant.user.id, fake::jordan().id);

    let config = BackendConfig {
        kind: BackendKind::Kratos,
        url: fake.url().into(),
        roles_claim: Some("kiosk_roles".into()),
        ..Default::default()
    };
    let other_key = KratosBackend::new(&config).unwrap();
    let challenge = other_key.start(&phone(JORDAN)).await.unwrap();
    let grant = other_key.verify(&challenge.id, &code(&fake.code_for(JORDAN, 2).await)).await.unwrap();
    assert!(grant.user.roles.is_empty(), "no roles under metadata_public.kiosk_roles");
}

#[tokio::test]
async fn sign_out_ends_the_session_once_and_an_unknown_token_is_no_error() {
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let challenge = kratos.start(&phone(ALEX)).await.unwrap();
    let grant = kratos.verify(&challenge.id, &code(&fake.code_for(ALEX, 1).await)).await.unwrap();
    assert_eq!(kratos.sign_out(&grant.tokens).await.unwrap(), SignedOut::Revoked);
    assert_eq!(fake.logouts(), [grant.tokens.access.expose().to_string()]);
    assert_eq!(kratos.sign_out(&grant.tokens).await.unwrap(), SignedOut::Revoked, "204 again: already revoked");
    let unknown = Tokens::access_only(AccessToken::new("ory_st_never_issued"));
    assert_eq!(kratos.sign_out(&unknown).await.unwrap(), SignedOut::Revoked, "403: Kratos has no such session");
    assert_eq!(fake.logouts().len(), 1);
}

#[tokio::test]
async fn a_rate_limited_resend_and_an_unreachable_kratos() {
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let challenge = kratos.start(&phone(ALEX)).await.unwrap();
    fake.rate_limit(Some(42));
    let limited = kratos.resend(&challenge.id).await.unwrap_err();
    assert_eq!(limited, AuthError::RateLimited { retry_after: Duration::from_secs(42) });
    assert!(kratos.healthy().await);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = backend(&format!("http://127.0.0.1:{port}"));
    assert_eq!(nowhere.start(&phone(ALEX)).await.unwrap_err(), AuthError::Unreachable);
    assert!(!nowhere.healthy().await);
}

// --- check-config ------------------------------------------------------------------------------

/// `shiftkey check-config` on a kiosk config with these `[backend]` lines: (success, stdout, stderr).
fn check_config(backend_lines: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let setup = KioskSetup::with_backend(dir.path(), backend_lines, &["/bin/sh"], &run_as_line(&None), "");
    let output = Command::new(BIN).args(["check-config", "--config"]).arg(&setup.config).output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn check_config_passes_a_kratos_offering_codes_and_notes_where_roles_come_from() {
    let fake = FakeKratos::start();
    let (ok, out, err) = check_config(&backend_lines(fake.url()));
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("backend {} (kratos) answers", fake.url())), "{out}");
    assert!(out.contains("note: managers are identities whose metadata_public.roles lists"), "{out}");
    assert!(out.contains("note: no temporary access passes: Ory Kratos's code method only sends codes"), "{out}");
    assert_eq!(fake.flows_created(), 1, "it made a login flow to see the code method");
}

/// Kratos has no client id: the nearest mistake is a URL that isn't its public API.
#[test]
fn check_config_refuses_the_admin_api_in_place_of_the_public_one() {
    let fake = FakeKratos::start_as(Mode::AdminApi);
    let (ok, _, err) = check_config(&backend_lines(fake.url()));
    assert!(!ok);
    assert!(err.contains("is not Kratos's public API: GET self-service/login/api answered 404"), "{err}");
    assert!(err.contains("set backend.url to Kratos's public API"), "{err}");
}

#[test]
fn check_config_refuses_an_unreachable_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ok, _, err) = check_config(&backend_lines(&format!("http://127.0.0.1:{port}")));
    assert!(!ok);
    assert!(err.contains(&format!("can't reach Kratos at http://127.0.0.1:{port}/")), "{err}");
    assert!(err.contains("check backend.url"), "{err}");
}

/// Kratos has no JWKS here: the nearest broken set-up is the `code` method not being enabled.
#[test]
fn check_config_refuses_a_kratos_without_the_code_method() {
    let fake = FakeKratos::start_as(Mode::NoCodeMethod);
    let (ok, _, err) = check_config(&backend_lines(fake.url()));
    assert!(!ok);
    assert!(err.contains("doesn't offer sign-in by code"), "{err}");
    assert!(err.contains("selfservice.methods.code.passwordless_enabled: true"), "{err}");
    assert!(err.contains("\"via\": \"sms\""), "{err}");
}

#[test]
fn the_example_config_loads_and_builds_a_kratos_backend() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kiosk.kratos.example.toml");
    let config = KioskConfig::load(&path).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.backend.kind, BackendKind::Kratos);
    let backend = shiftkey::auth::from_config(&config.backend).unwrap_or_else(|err| panic!("{err}"));
    assert!(matches!(backend, shiftkey::auth::Backend::Kratos(_)));
}

#[tokio::test]
async fn a_session_token_holds_until_kratos_ends_it() {
    use shiftkey::auth::TokenState;
    let fake = FakeKratos::start();
    let kratos = backend(fake.url());
    let challenge = kratos.start(&phone(ALEX)).await.unwrap();
    let grant = kratos.verify(&challenge.id, &code(&fake.code_for(ALEX, 1).await)).await.unwrap();
    assert!(kratos.rechecks_tokens());
    assert_eq!(kratos.still_valid(&grant.tokens).await.unwrap(), TokenState::Valid);
    // Ended at Kratos (here by a logout; an admin revoking the session answers the same).
    kratos.sign_out(&grant.tokens).await.unwrap();
    assert_eq!(kratos.still_valid(&grant.tokens).await.unwrap(), TokenState::Ended);
}
