//! The Auth0 adapter through the real kiosk in a pty, against a fake tenant
//! (`tests/auth0/fake.rs`), in both flows (`otp-challenge` and the classic `passwordless`); and
//! `shiftkey check-config` against the same fake.

mod common;
#[path = "auth0/fake.rs"]
mod fake;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, F12, KioskSetup, KioskTerminal, run_as_line, session_user};
use fake::{ALEX, CLIENT_ID, DB_CONNECTION, FakeAuth0, JORDAN, ROLES_CLAIM};

const WAIT: Duration = Duration::from_secs(15);
const F9: &[u8] = b"\x1b[20~";
/// The session shows what its token file holds.
const SESSION: &[&str] = &["/bin/sh", "-c", "echo \"TOKEN=$(cat \"$SHIFTKEY_TOKEN_FILE\")\"; exec /bin/sh"];
const CODE_SCREEN: &str = "Enter the 6-digit code we texted to";
const PHONE_SCREEN: &str = "Enter your mobile number";
/// A number the tenant has no account for.
const STRANGER: &str = "+12065550177";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    OtpChallenge,
    Passwordless,
}

impl Flow {
    fn config_lines(self) -> String {
        match self {
            Flow::OtpChallenge => format!("flow = \"otp-challenge\"\nconnection = \"{DB_CONNECTION}\""),
            Flow::Passwordless => "flow = \"passwordless\"".into(),
        }
    }

    fn start_path(self) -> &'static str {
        match self {
            Flow::OtpChallenge => "/otp/challenge",
            Flow::Passwordless => "/passwordless/start",
        }
    }
}

/// The `[backend]` table for the fake, with `extra` lines.
fn backend_lines(url: &str, flow: Flow, extra: &str) -> String {
    format!(
        "kind = \"auth0\"\nurl = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\n{}\nroles_claim = \"{ROLES_CLAIM}\"\n{extra}",
        flow.config_lines()
    )
}

struct Kiosk {
    fake: FakeAuth0,
    setup: KioskSetup,
    screen: KioskTerminal,
    _dir: tempfile::TempDir,
}

/// A kiosk on a fresh fake tenant. `account`: the session user of a test that reaches a session.
fn kiosk(flow: Flow, account: Option<&str>) -> Kiosk {
    let fake = FakeAuth0::start();
    let dir = tempfile::tempdir().unwrap();
    let user = account.and_then(session_user);
    let setup =
        KioskSetup::with_backend(dir.path(), &backend_lines(fake.url(), flow, ""), SESSION, &run_as_line(&user), "");
    let screen = setup.spawn();
    Kiosk { fake, setup, screen, _dir: dir }
}

impl Kiosk {
    /// Types `typed` on the phone form and waits for the code screen; the screen.
    async fn ask_for_code(&mut self, typed: &str) -> String {
        self.screen.wait_for(PHONE_SCREEN, WAIT).await;
        self.screen.type_text(typed).await;
        self.screen.send(b"\r");
        self.screen.wait_for(CODE_SCREEN, WAIT).await
    }

    /// The latest code texted to `phone` (the kiosk shows the code screen once Auth0 answered).
    fn code_for(&self, phone: &str) -> String {
        self.fake.codes_for(phone).pop().unwrap_or_else(|| panic!("no code texted to {phone}"))
    }

    /// Back from the code screen to an empty phone form.
    async fn change_number(&mut self) {
        self.screen.send(b"\x1b");
        self.screen.wait_gone(CODE_SCREEN, WAIT).await;
        self.screen.wait_for(PHONE_SCREEN, WAIT).await;
    }

    /// Waits until the fake was asked to revoke `token`.
    async fn wait_revoked(&self, token: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.fake.revoked().iter().any(|t| t == token) {
            assert!(Instant::now() < deadline, "{token} was never revoked; revoked: {:?}", self.fake.revoked());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn value_after<'a>(screen: &'a str, key: &str) -> &'a str {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim()
}

// --- Sign-in, the token file, and F12 -------------------------------------------------------

async fn signs_in_with_the_access_token_and_f12_revokes_the_refresh_token(flow: Flow, account: &str) {
    let mut k = kiosk(flow, Some(account));
    k.ask_for_code("2065550100").await;
    let code = k.code_for(ALEX.phone);
    k.screen.type_text(&code).await;
    let shown = k.screen.wait_for("TOKEN=", WAIT).await;
    assert!(shown.contains("Alex Rivera"), "the status bar names the worker from the ID token:\n{shown}");

    let issued = k.fake.issued();
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(value_after(&shown, "TOKEN="), issued[0].access, "the token file holds Auth0's access token");
    let refresh = issued[0].refresh.clone().expect("offline_access is in the default scope");
    assert!(!shown.contains(&refresh), "the refresh token never reaches the session");

    // What Auth0 was asked: the documented bodies.
    let start = &k.fake.requests(flow.start_path())[0];
    assert!(start.content_type.starts_with("application/json"), "{start:?}");
    assert_eq!(start.fields["phone_number"], ALEX.phone);
    assert_eq!(start.fields["client_id"], CLIENT_ID);
    match flow {
        Flow::OtpChallenge => {
            assert_eq!(start.fields["connection"], DB_CONNECTION);
            assert_eq!(start.fields["allow_signup"], "false");
            assert_eq!(start.fields["delivery_method"], "text");
        }
        Flow::Passwordless => {
            assert_eq!(start.fields["connection"], "sms");
            assert_eq!(start.fields["send"], "code");
        }
    }
    let token = &k.fake.requests("/oauth/token")[0];
    assert_eq!(token.content_type, "application/x-www-form-urlencoded", "the reference's encoding");
    assert_eq!(token.fields["grant_type"], fake::OTP_GRANT);
    assert_eq!(token.fields["otp"], code);
    assert_eq!(token.fields["scope"], "openid profile offline_access");
    match flow {
        Flow::OtpChallenge => {
            assert!(token.fields.contains_key("auth_session") && !token.fields.contains_key("username"))
        }
        Flow::Passwordless => {
            assert_eq!((token.fields["username"].as_str(), token.fields["realm"].as_str()), (ALEX.phone, "sms"))
        }
    }

    k.screen.send(F12);
    let after = k.screen.wait_for(PHONE_SCREEN, WAIT).await;
    assert!(!after.contains("TOKEN="), "{after}");
    k.wait_revoked(&refresh).await;
    let revoke = &k.fake.requests("/oauth/revoke")[0];
    assert_eq!(revoke.fields["client_id"], CLIENT_ID);
    assert_eq!(revoke.status, 200);
    let ends = k.setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["revoke"], "revoked");
    let audit = k.setup.audit_text();
    assert!(!audit.contains("2065550100") && !audit.contains(&code) && !audit.contains(&refresh), "{audit}");
}

#[tokio::test]
async fn otp_challenge_signs_in_with_the_access_token_and_f12_revokes_the_refresh_token() {
    signs_in_with_the_access_token_and_f12_revokes_the_refresh_token(Flow::OtpChallenge, "sk-a0-in-otp").await;
}

#[tokio::test]
async fn passwordless_signs_in_with_the_access_token_and_f12_revokes_the_refresh_token() {
    signs_in_with_the_access_token_and_f12_revokes_the_refresh_token(Flow::Passwordless, "sk-a0-in-pl").await;
}

// --- Wrong codes, then a new code ---------------------------------------------------------

async fn wrong_codes_count_down_then_a_new_code_signs_in(flow: Flow, account: &str) {
    let mut k = kiosk(flow, Some(account));
    k.ask_for_code("2065550100").await;
    let first = k.code_for(ALEX.phone);
    for notice in ["That code isn't right — 2 tries left", "That code isn't right — 1 try left"] {
        k.screen.type_text("000000").await;
        k.screen.wait_for(notice, WAIT).await;
    }
    k.screen.type_text("000000").await;
    k.screen.wait_for("Too many wrong tries. Press Enter for a new code", WAIT).await;
    assert_eq!(k.fake.requests("/oauth/token").len(), 3, "each try went to Auth0");

    // Resend is a new start; the old code is dead.
    k.screen.send(b"\r");
    k.screen.wait_for("We sent you a new code", WAIT).await;
    assert_eq!(k.fake.requests(flow.start_path()).len(), 2);
    let second = k.code_for(ALEX.phone);
    assert_eq!(k.fake.codes_for(ALEX.phone).len(), 2);
    if second != first {
        k.screen.type_text(&first).await;
        k.screen.wait_for("That code isn't right — 2 tries left", WAIT).await;
    }
    k.screen.type_text(&second).await;
    k.screen.wait_for("TOKEN=", WAIT).await;
    k.screen.send(F12);
    k.screen.wait_for(PHONE_SCREEN, WAIT).await;
}

#[tokio::test]
async fn otp_challenge_wrong_codes_count_down_then_a_new_code_signs_in() {
    wrong_codes_count_down_then_a_new_code_signs_in(Flow::OtpChallenge, "sk-a0-retry-otp").await;
}

#[tokio::test]
async fn passwordless_wrong_codes_count_down_then_a_new_code_signs_in() {
    wrong_codes_count_down_then_a_new_code_signs_in(Flow::Passwordless, "sk-a0-retry-pl").await;
}

// --- Expired codes --------------------------------------------------------------------------

async fn an_expired_code_says_so(flow: Flow) {
    let mut k = kiosk(flow, None);
    k.ask_for_code("2065550100").await;
    let code = k.code_for(ALEX.phone);
    k.fake.expire_codes();
    k.screen.type_text(&code).await;
    k.screen.wait_for("That code has expired. Press Enter for a new code", WAIT).await;
    assert!(k.fake.issued().is_empty());
}

#[tokio::test]
async fn otp_challenge_an_expired_code_says_so() {
    an_expired_code_says_so(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_an_expired_code_says_so() {
    an_expired_code_says_so(Flow::Passwordless).await;
}

// --- Rate limits ----------------------------------------------------------------------------

async fn the_per_address_start_limit_is_the_stores(flow: Flow) {
    let mut k = kiosk(flow, None);
    k.fake.set(|b| b.start_rate_limited = Some(600));
    k.screen.wait_for(PHONE_SCREEN, WAIT).await;
    k.screen.type_text("2065550100\r").await;
    k.screen.wait_for("Too many sign-ins from this store right now — try again in 10 min", WAIT).await;
    assert_eq!(k.fake.sms_count(), 0);
    assert_eq!(k.fake.requests(flow.start_path())[0].status, 429);
}

#[tokio::test]
async fn otp_challenge_the_per_address_start_limit_is_the_stores() {
    the_per_address_start_limit_is_the_stores(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_the_per_address_start_limit_is_the_stores() {
    the_per_address_start_limit_is_the_stores(Flow::Passwordless).await;
}

async fn a_token_endpoint_limit_says_how_long_to_wait(flow: Flow) {
    let mut k = kiosk(flow, None);
    k.ask_for_code("2065550100").await;
    k.fake.set(|b| b.token_rate_limited = Some(30));
    let code = k.code_for(ALEX.phone);
    k.screen.type_text(&code).await;
    k.screen.wait_for("Too many requests — wait 30 s", WAIT).await;
    assert!(k.fake.issued().is_empty());
}

#[tokio::test]
async fn otp_challenge_a_token_endpoint_limit_says_how_long_to_wait() {
    a_token_endpoint_limit_says_how_long_to_wait(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_a_token_endpoint_limit_says_how_long_to_wait() {
    a_token_endpoint_limit_says_how_long_to_wait(Flow::Passwordless).await;
}

// --- Unknown numbers ------------------------------------------------------------------------

/// A code screen with the number's last four digits and the running clocks taken out.
fn comparable(screen: &str, last_four: &str) -> String {
    screen
        .replace(last_four, "••••")
        .lines()
        .filter(|line| !line.contains("Code expires in") && !line.contains("New code possible in"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn an_unknown_number_gets_the_same_screens(flow: Flow) {
    let mut k = kiosk(flow, None);
    let known = k.ask_for_code("2065550100").await;
    k.screen.type_text("000000").await;
    let known_wrong = k.screen.wait_for("2 tries left", WAIT).await;
    k.change_number().await;

    let unknown = k.ask_for_code("2065550177").await;
    k.screen.type_text("000000").await;
    let unknown_wrong = k.screen.wait_for("2 tries left", WAIT).await;
    assert_eq!(comparable(&known, "0100"), comparable(&unknown, "0177"), "the code screens differ");
    assert_eq!(comparable(&known_wrong, "0100"), comparable(&unknown_wrong, "0177"), "the wrong-code screens differ");
    assert!(unknown.contains("Code expires in 2:5") || unknown.contains("Code expires in 3:00"), "{unknown}");
    assert!(k.fake.codes_for(STRANGER).is_empty(), "nothing was texted to a number without an account");
    // Auth0 was asked alike; the classic flow's start was refused (sign-ups disabled).
    let starts = k.fake.requests(flow.start_path());
    let expected = if flow == Flow::Passwordless { 400 } else { 200 };
    assert_eq!(starts.iter().map(|r| r.status).collect::<Vec<_>>(), [200, expected]);
    assert_eq!(k.fake.requests("/oauth/token").len(), 2, "the unknown number's code went to Auth0 too");

    // The rest of the way is the same too: the last tries, then a new code.
    for notice in ["1 try left", "Too many wrong tries. Press Enter for a new code"] {
        k.screen.type_text("000000").await;
        k.screen.wait_for(notice, WAIT).await;
    }
    k.screen.send(b"\r");
    k.screen.wait_for("We sent you a new code", WAIT).await;
}

#[tokio::test]
async fn otp_challenge_an_unknown_number_gets_the_same_screens() {
    an_unknown_number_gets_the_same_screens(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_an_unknown_number_gets_the_same_screens() {
    an_unknown_number_gets_the_same_screens(Flow::Passwordless).await;
}

// --- Managers -------------------------------------------------------------------------------

async fn managers_come_from_the_roles_claim(flow: Flow) {
    let mut k = kiosk(flow, None);
    k.screen.wait_for(PHONE_SCREEN, WAIT).await;

    k.screen.send(F9);
    k.screen.wait_for("Store manager sign-in", WAIT).await;
    k.ask_for_code_on_manager_screen("2065550100").await;
    let code = k.code_for(ALEX.phone);
    k.screen.type_text(&code).await;
    k.screen.wait_for("This number isn't a store manager", WAIT).await;
    let alex = k.fake.issued()[0].refresh.clone().unwrap();
    k.wait_revoked(&alex).await;
    assert_eq!(k.setup.audit_events("manager_refused").len(), 1);
    k.screen.send(b" ");
    k.screen.wait_gone("MANAGER", WAIT).await;

    k.screen.send(F9);
    k.screen.wait_for("Store manager sign-in", WAIT).await;
    k.ask_for_code_on_manager_screen("2065550109").await;
    let code = k.code_for(JORDAN.phone);
    k.screen.type_text(&code).await;
    k.screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    let jordan = k.fake.issued()[1].refresh.clone().unwrap();
    assert!(!k.fake.revoked().contains(&jordan));
    k.screen.send(F9);
    k.screen.wait_gone("Signed in: Jordan Lee", WAIT).await;
    k.wait_revoked(&jordan).await;
}

impl Kiosk {
    async fn ask_for_code_on_manager_screen(&mut self, typed: &str) {
        self.screen.type_text(typed).await;
        self.screen.send(b"\r");
        self.screen.wait_for(CODE_SCREEN, WAIT).await;
    }
}

#[tokio::test]
async fn otp_challenge_managers_come_from_the_roles_claim() {
    managers_come_from_the_roles_claim(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_managers_come_from_the_roles_claim() {
    managers_come_from_the_roles_claim(Flow::Passwordless).await;
}

// --- ID tokens that fail verification -------------------------------------------------------

async fn forged_and_misaddressed_id_tokens_are_refused(flow: Flow) {
    let mut k = kiosk(flow, None);
    let untrusted = "The sign-in service's answer couldn't be checked — tell a manager";
    k.fake.set(|b| b.forge = true);
    k.ask_for_code("2065550100").await;
    let code = k.code_for(ALEX.phone);
    k.screen.type_text(&code).await;
    let shown = k.screen.wait_for(untrusted, WAIT).await;
    assert!(!shown.contains("TOKEN=") && !shown.contains("Alex Rivera"), "{shown}");
    // The refresh token that came with it is ended, not kept.
    k.wait_revoked(&k.fake.issued()[0].refresh.clone().unwrap()).await;
    k.change_number().await;

    k.fake.set(|b| {
        b.forge = false;
        b.wrong_audience = true;
    });
    k.ask_for_code("2065550100").await;
    let code = k.code_for(ALEX.phone);
    k.screen.type_text(&code).await;
    let shown = k.screen.wait_for(untrusted, WAIT).await;
    assert!(!shown.contains("TOKEN="), "{shown}");
    k.wait_revoked(&k.fake.issued()[1].refresh.clone().unwrap()).await;
    assert!(k.setup.audit_events("session_start").is_empty());
    let failures = k.setup.audit_events("sign_in_failed");
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0]["error"].as_str().unwrap().contains("InvalidSignature"), "{failures:?}");
    assert!(failures[1]["error"].as_str().unwrap().contains("InvalidAudience"), "{failures:?}");
}

#[tokio::test]
async fn otp_challenge_forged_and_misaddressed_id_tokens_are_refused() {
    forged_and_misaddressed_id_tokens_are_refused(Flow::OtpChallenge).await;
}

#[tokio::test]
async fn passwordless_forged_and_misaddressed_id_tokens_are_refused() {
    forged_and_misaddressed_id_tokens_are_refused(Flow::Passwordless).await;
}

// --- The fake itself ------------------------------------------------------------------------

/// Auth0 takes `/oauth/token` and `/oauth/revoke` as JSON (the native guide) or as a form (the
/// reference); the adapter sends forms, and the fake answers both alike.
#[tokio::test]
async fn the_fake_takes_token_and_revoke_requests_as_json_or_as_a_form() {
    let fake = FakeAuth0::start();
    let client = reqwest::Client::new();
    for as_json in [true, false] {
        let start =
            serde_json::json!({ "connection": DB_CONNECTION, "client_id": CLIENT_ID, "phone_number": ALEX.phone });
        let url = |path: &str| format!("{}{path}", fake.url());
        let answer: serde_json::Value =
            client.post(url("/otp/challenge")).json(&start).send().await.unwrap().json().await.unwrap();
        let session = answer["auth_session"].as_str().unwrap().to_string();
        let code = fake.codes_for(ALEX.phone).pop().unwrap();
        let fields = std::collections::HashMap::from([
            ("grant_type", fake::OTP_GRANT),
            ("client_id", CLIENT_ID),
            ("auth_session", session.as_str()),
            ("otp", code.as_str()),
            ("scope", "openid offline_access"),
        ]);
        let request = client.post(url("/oauth/token"));
        let request = if as_json { request.json(&fields) } else { request.form(&fields) };
        let tokens: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string(), "{as_json}: {tokens}");
        let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
        let revoke = std::collections::HashMap::from([("client_id", CLIENT_ID), ("token", refresh.as_str())]);
        let request = client.post(url("/oauth/revoke"));
        let request = if as_json { request.json(&revoke) } else { request.form(&revoke) };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().is_empty(), "an empty body");
        assert!(fake.revoked().contains(&refresh));
    }
}

// --- check-config ---------------------------------------------------------------------------

/// A kiosk config with this `[backend]` table, in `dir`.
fn config_file(dir: &Path, backend: &str) -> PathBuf {
    let run_as = if nix::unistd::geteuid().is_root() { "run_as = \"root\"" } else { "" };
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"check-auth0\"\naudit_log = {:?}\nstate_dir = {:?}\n[backend]\n{backend}\n\
             [session]\ncommand = [\"/bin/sh\"]\n{run_as}\n[control]\nsocket = {:?}\n",
            dir.join("audit.jsonl"),
            dir.join("state"),
            dir.join("control.sock")
        ),
    )
    .unwrap();
    path
}

/// `shiftkey check-config --config FILE`: (passed, stdout, stderr).
fn check_config(config: &Path) -> (bool, String, String) {
    let output = Command::new(BIN).arg("check-config").arg("--config").arg(config).output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn check_config_passes_a_good_config_in_either_flow_without_texting_anyone() {
    for flow in [Flow::OtpChallenge, Flow::Passwordless] {
        let fake = FakeAuth0::start();
        let dir = tempfile::tempdir().unwrap();
        let (ok, out, err) = check_config(&config_file(dir.path(), &backend_lines(fake.url(), flow, "")));
        assert!(ok, "{flow:?}: {out}\n{err}");
        assert!(out.contains("valid kiosk config") && out.contains("(auth0) answers"), "{out}");
        // Only the notes every provider without a token re-check gets (Auth0's access tokens are
        // JWTs, valid until they expire), without temporary access passes, and in the classic
        // flow that it can't call.
        let notes: Vec<&str> = out.lines().filter(|line| line.starts_with("note:")).collect();
        let expected = if flow == Flow::Passwordless { 3 } else { 2 };
        assert_eq!(notes.len(), expected, "nothing else to note: {out}");
        assert!(notes.iter().any(|note| note.contains("token still holds")), "{out}");
        assert!(
            notes.iter().any(|note| note.contains("no temporary access passes: Auth0's passwordless SMS connection")),
            "check-config says why there are no passes: {out}"
        );
        let voice = notes.iter().any(|note| note.contains("can't call a worker with the code"));
        assert_eq!(voice, flow == Flow::Passwordless, "{out}");
        // The client id was probed with a number no one can have: nothing was texted.
        let probe = &fake.requests(flow.start_path())[0];
        assert_eq!(probe.fields["phone_number"], "+0000000000000000");
        assert_eq!(probe.status, 400);
        assert_eq!(fake.sms_count(), 0);
    }
}

#[test]
fn check_config_notes_that_without_roles_claim_there_are_no_managers() {
    let fake = FakeAuth0::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = format!(
        "kind = \"auth0\"\nurl = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nflow = \"passwordless\"\nscope = \"openid profile\"",
        fake.url()
    );
    let (ok, out, err) = check_config(&config_file(dir.path(), &backend));
    assert!(ok, "notes don't fail it: {out}\n{err}");
    assert!(out.contains("note: backend.roles_claim is not set: no one can open the manager screens"), "{out}");
    assert!(out.contains("note: backend.scope has no offline_access"), "{out}");
}

#[test]
fn check_config_refuses_a_wrong_client_id_in_either_flow() {
    for flow in [Flow::OtpChallenge, Flow::Passwordless] {
        let fake = FakeAuth0::start();
        let dir = tempfile::tempdir().unwrap();
        let backend = backend_lines(fake.url(), flow, "").replace(CLIENT_ID, "not-the-kiosk-app");
        let (ok, out, err) = check_config(&config_file(dir.path(), &backend));
        assert!(!ok, "{flow:?}: {out}");
        assert!(err.contains("Auth0 doesn't know backend.client_id \"not-the-kiosk-app\""), "{flow:?}: {err}");
        assert!(err.contains("set backend.client_id to the Client ID"), "{err}");
        assert_eq!(fake.sms_count(), 0);
    }
}

#[test]
fn check_config_refuses_a_connection_auth0_does_not_have() {
    let fake = FakeAuth0::start();
    let dir = tempfile::tempdir().unwrap();
    let backend =
        backend_lines(fake.url(), Flow::OtpChallenge, "").replace(DB_CONNECTION, "Username-Password-Authentication");
    let (ok, _, err) = check_config(&config_file(dir.path(), &backend));
    assert!(!ok);
    assert!(err.contains("no database connection \"Username-Password-Authentication\""), "{err}");
    assert!(err.contains("set backend.connection"), "{err}");
}

#[test]
fn check_config_refuses_otp_challenge_without_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    let backend = format!("kind = \"auth0\"\nurl = \"http://127.0.0.1:9\"\nclient_id = \"{CLIENT_ID}\"");
    let (ok, _, err) = check_config(&config_file(dir.path(), &backend));
    assert!(!ok);
    assert!(err.contains("backend.connection: name the database connection"), "{err}");
}

#[test]
fn check_config_refuses_an_unreachable_tenant() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let backend = backend_lines(&format!("http://127.0.0.1:{port}"), Flow::Passwordless, "");
    let (ok, _, err) = check_config(&config_file(dir.path(), &backend));
    assert!(!ok);
    assert!(err.contains(&format!("can't reach Auth0 at http://127.0.0.1:{port}")), "{err}");
    assert!(err.contains("check backend.url"), "{err}");
}

#[test]
fn check_config_refuses_a_tenant_whose_keys_are_not_a_key_set() {
    let fake = FakeAuth0::start();
    fake.set(|b| b.broken_jwks = true);
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = check_config(&config_file(dir.path(), &backend_lines(fake.url(), Flow::OtpChallenge, "")));
    assert!(!ok);
    assert!(err.contains(&format!("can't fetch the signing keys from {}/.well-known/jwks.json", fake.url())), "{err}");
    assert!(err.contains("check backend.url"), "{err}");
}

#[test]
fn check_config_refuses_an_issuer_that_is_not_the_url() {
    let fake = FakeAuth0::start();
    fake.set(|b| b.wrong_issuer = true);
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = check_config(&config_file(dir.path(), &backend_lines(fake.url(), Flow::Passwordless, "")));
    assert!(!ok);
    assert!(err.contains("set backend.url = \"https://other-tenant.auth0.com\""), "{err}");
}

#[test]
fn the_example_config_loads_and_builds() {
    use shiftkey::config::{BackendKind, ConfigFile, KioskConfig};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kiosk.auth0.example.toml");
    let config = KioskConfig::load(&path).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(config.backend.kind, BackendKind::Auth0);
    assert!(config.backend.roles_claim.is_some(), "the example shows how managers are found");
    if let Err(err) = shiftkey::auth::from_config(&config.backend) {
        panic!("the example doesn't build: {err}");
    }
}

/// The adapter itself (no kiosk) on `fake`, in `flow`.
fn adapter(fake: &FakeAuth0, flow: Flow) -> shiftkey::auth::Backend {
    use shiftkey::config::ConfigFile;
    let text = format!("[backend]\n{}\n", backend_lines(fake.url(), flow, ""));
    let config = shiftkey::config::KioskConfig::from_toml(&text, std::path::Path::new("k.toml")).unwrap();
    shiftkey::auth::from_config(&config.backend).unwrap()
}

/// The worker's language picks Auth0's SMS template (`x-request-language`), on a resend too.
#[tokio::test]
async fn the_workers_language_goes_with_the_start_and_the_resend() {
    use shiftkey::auth::AuthBackend;
    let fake = FakeAuth0::start();
    for flow in [Flow::OtpChallenge, Flow::Passwordless] {
        let backend = adapter(&fake, flow);
        let phone = shiftkey::phone::PhoneNumber::parse(ALEX.phone, "US").unwrap();
        let challenge = backend.start_in(&phone, "es").await.unwrap();
        backend.resend(&challenge.id).await.unwrap();
        let starts = fake.requests(flow.start_path());
        let languages: Vec<&str> =
            starts.iter().rev().take(2).map(|r| r.fields["header:x-request-language"].as_str()).collect();
        assert_eq!(languages, ["es", "es"], "{flow:?}");
    }
}

/// Voice: "Call me with the code" is otp-challenge's `delivery_method: "voice"` on a new start
/// (same number, same language); the classic flow can't call, so the kiosk never offers it, and
/// asking anyway sends nothing.
#[tokio::test]
async fn voice_otp_challenge_calls_with_delivery_method_voice_and_passwordless_offers_no_call() {
    use shiftkey::auth::{AuthBackend, Channel};
    let fake = FakeAuth0::start();
    for flow in [Flow::OtpChallenge, Flow::Passwordless] {
        let backend = adapter(&fake, flow);
        assert_eq!(backend.offers_voice(), flow == Flow::OtpChallenge, "{flow:?}");
        let phone = shiftkey::phone::PhoneNumber::parse(ALEX.phone, "US").unwrap();
        let challenge = backend.start_in(&phone, "fr").await.unwrap();
        let before = fake.requests(flow.start_path()).len();
        let called = backend.resend_by(&challenge.id, Channel::Voice).await;
        let starts = fake.requests(flow.start_path());
        match flow {
            Flow::OtpChallenge => {
                assert!(called.is_ok(), "{called:?}");
                let (text, call) = (&starts[before - 1], &starts[before]);
                assert_eq!(text.fields["delivery_method"], "text");
                assert_eq!(call.fields["delivery_method"], "voice");
                assert_eq!(call.fields["phone_number"], ALEX.phone);
                assert_eq!(call.fields["header:x-request-language"], "fr", "the call in the worker's language");
            }
            Flow::Passwordless => {
                assert!(called.is_err(), "the classic flow can't call");
                assert_eq!(starts.len(), before, "nothing was sent");
            }
        }
    }
}
