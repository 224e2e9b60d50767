//! The privacyIDEA adapter against a real privacyIDEA 3.14 (tests/privacyidea/lab.rs), through
//! the real kiosk in a pty, and `shiftkey check-config` against it.

mod common;
#[path = "privacyidea/lab.rs"]
mod lab;
#[path = "privacyidea/proxy.rs"]
mod proxy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{BIN, F12, KioskSetup, KioskTerminal, run_as_line, session_user};
use lab::{Lab, Worker};
use shiftkey::auth::{AuthBackend, AuthError};
use shiftkey::config::{BackendConfig, BackendKind, ConfigFile, KioskConfig};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::{AccessPass, OtpCode};

const WAIT: Duration = Duration::from_secs(15);
const F9: &[u8] = b"\x1b[20~";
const ESC: &[u8] = b"\x1b";
const PHONE_FORM: &str = "Enter your mobile number";
const CODE_FORM: &str = "Enter the 6-digit code we texted to";

/// A session that shows what the test checks, then runs a shell.
const SESSION: &[&str] = &[
    "/bin/sh",
    "-c",
    "echo \"TOKENFILE=$SHIFTKEY_TOKEN_FILE\"; echo \"USERID=$SHIFTKEY_USER_ID\"; echo \"DIR=$SHIFTKEY_SESSION_DIR\"; exec /bin/sh",
];

/// The `[backend]` table for the lab (or anything in front of it): signed answers checked.
fn backend(url: &str, lab: &Lab) -> String {
    format!("kind = \"privacyidea\"\nurl = \"{url}\"\nrealm = \"kiosk\"\npublic_key = {:?}", lab.public_key)
}

fn value_after<'a>(screen: &'a str, key: &str) -> &'a str {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].lines().next().unwrap().trim()
}

/// A kiosk for `lab` at `url`, sessions as the tests' own user (or root's `run_as = "root"`).
fn kiosk(dir: &Path, backend_lines: &str) -> (KioskSetup, KioskTerminal) {
    let setup = KioskSetup::with_backend(dir, backend_lines, SESSION, &run_as_line(&None), "");
    let screen = setup.spawn();
    (setup, screen)
}

/// Types a number and Enter on the phone form; waits for `expect`. privacyIDEA's code
/// lifetime is global: asking for a code holds the lab's lifetime lock for reading.
async fn ask_for_code(lab: &Lab, screen: &mut KioskTerminal, typed: &str, expect: &str) -> String {
    let _lifetime = lab.lifetime.read().await;
    screen.type_text(typed).await;
    screen.send(b"\r");
    screen.wait_for(expect, WAIT).await
}

/// Asks for a code for `who` and types the one that arrives; waits for `ready`.
async fn sign_in(lab: &Lab, screen: &mut KioskTerminal, who: &Worker, ready: &str) -> String {
    let before = lab.texts_to(who.e164).len();
    ask_for_code(lab, screen, who.typed, CODE_FORM).await;
    let code = lab.codes_for(who.e164, before + 1).await.pop().unwrap();
    screen.type_text(&code).await;
    screen.wait_for(ready, WAIT).await
}

/// Waits until the kiosk's audit log holds `count` records of `event`.
async fn wait_for_audit(setup: &KioskSetup, event: &str, count: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    while setup.audit_events(event).len() < count {
        assert!(std::time::Instant::now() < deadline, "no {count} {event} records:\n{}", setup.audit_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A six-digit code that is not `right`.
fn wrong(right: &str, n: u32) -> String {
    let candidate = format!("{:06}", 100_000 + n * 11_111);
    if candidate == right { format!("{:06}", 900_009 - n) } else { candidate }
}

#[tokio::test]
async fn a_worker_signs_in_and_f12_signs_out_with_no_provider_sign_out() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let user = session_user("sk-pi-basic");
    let setup = KioskSetup::with_backend(dir.path(), &backend(&lab.url, lab), SESSION, &run_as_line(&user), "");
    let mut screen = setup.spawn();
    screen.wait_for(PHONE_FORM, WAIT).await;

    let before = lab.texts_to(lab::ALEX.e164).len();
    let code_form = ask_for_code(lab, &mut screen, lab::ALEX.typed, CODE_FORM).await;
    // The lifetime is privacyIDEA's (sms.providerTimeout = 120), read from valid_until.
    assert!(code_form.contains("Code expires in 2:00") || code_form.contains("Code expires in 1:59"), "{code_form}");
    let code = lab.codes_for(lab::ALEX.e164, before + 1).await.pop().unwrap();
    screen.type_text(&code).await;
    let shown = screen.wait_for("TOKENFILE=", WAIT).await;
    // The name from the user store, through privacyIDEA's signed answer (non-ASCII and all).
    assert!(shown.contains(&lab::ALEX.name()), "status bar names the worker:\n{shown}");
    assert_eq!(value_after(&shown, "USERID="), lab::ALEX.id.to_string(), "the id is privacyIDEA's userid");
    let token_file = PathBuf::from(value_after(&shown, "TOKENFILE="));
    let token = std::fs::read_to_string(&token_file).unwrap();
    // privacyIDEA issues nothing for a session: a random kiosk-local value, not a JWT.
    assert_eq!(token.len(), 43, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    let session_dir = PathBuf::from(value_after(&shown, "DIR="));

    screen.send(F12);
    screen.wait_for(PHONE_FORM, WAIT).await;
    assert!(!session_dir.exists(), "the session dir is gone");
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0]["reason"], "sign_out_key");
    assert_eq!(ends[0]["revoke"], "no provider sign-out");
    let sign_ins = setup.audit_events("sign_in");
    assert_eq!(sign_ins[0]["user"], lab::ALEX.id.to_string());
    assert!(!setup.audit_text().contains("2065550101"), "no full number in the audit log");
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_the_right_one_still_signs_in() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    let before = lab.texts_to(lab::SAM.e164).len();
    ask_for_code(lab, &mut screen, lab::SAM.typed, CODE_FORM).await;
    let code = lab.codes_for(lab::SAM.e164, before + 1).await.pop().unwrap();
    screen.type_text(&wrong(&code, 1)).await;
    screen.wait_for("That code didn't work — try again", WAIT).await;
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    let failed = setup.audit_events("sign_in_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["error"], "the code didn't work");
    screen.send(F12);
    screen.wait_for(PHONE_FORM, WAIT).await;
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_works() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    {
        // Codes that live 3 s, for this request alone.
        let _short = lab.lifetime.write().await;
        lab.set_config("sms.providerTimeout", "3").await;
        screen.type_text(lab::CHLOE.typed).await;
        screen.send(b"\r");
        let shown = screen.wait_for(CODE_FORM, WAIT).await;
        lab.set_config("sms.providerTimeout", "120").await;
        assert!(shown.contains("Code expires in 0:0"), "the short lifetime reached the kiosk:\n{shown}");
    }
    screen.wait_for("That code has expired. Press Enter for a new code", WAIT).await;
    let before = lab.texts_to(lab::CHLOE.e164).len();
    {
        let _lifetime = lab.lifetime.read().await;
        screen.send(b"\r");
        screen.wait_for("We sent you a new code", WAIT).await;
    }
    let code = lab.codes_for(lab::CHLOE.e164, before + 1).await.pop().unwrap();
    screen.type_text(&code).await;
    screen.wait_for("TOKENFILE=", WAIT).await;
    screen.send(F12);
    screen.wait_for(PHONE_FORM, WAIT).await;
}

/// The adapter itself, for the lab, its answers' signatures checked.
fn adapter(lab: &Lab) -> shiftkey::auth::Backend {
    let config = BackendConfig {
        kind: BackendKind::Privacyidea,
        url: lab.url.clone(),
        realm: Some("kiosk".into()),
        public_key: Some(lab.public_key.clone()),
        ..Default::default()
    };
    shiftkey::auth::from_config(&config).unwrap()
}

/// The adapter itself, for what the kiosk's own countdown hides: privacyIDEA refuses the right
/// code once it expired, and the adapter calls that expired, not wrong.
#[tokio::test]
async fn privacyidea_refuses_a_right_code_after_its_lifetime_as_expired() {
    let Some(lab) = lab::lab() else { return };
    let backend = adapter(lab);
    let phone = PhoneNumber::parse(lab::KAI.typed, "US").unwrap();
    let challenge = {
        let _short = lab.lifetime.write().await;
        lab.set_config("sms.providerTimeout", "2").await;
        let challenge = backend.start(&phone).await;
        lab.set_config("sms.providerTimeout", "120").await;
        challenge.unwrap()
    };
    assert!(challenge.expires_in <= Duration::from_secs(2), "{challenge:?}");
    assert_eq!(challenge.code_length, 6);
    let code = lab.codes_for(lab::KAI.e164, 1).await.pop().unwrap();
    tokio::time::sleep(challenge.expires_in + Duration::from_millis(1500)).await;
    let refused = backend.verify(&challenge.id, &OtpCode::new(code)).await.unwrap_err();
    assert_eq!(refused, AuthError::Expired);
}

/// A registration token is a pass: through the adapter, it signs its worker in once; a wrong
/// pass, an unknown number and a used pass are refused alike.
#[tokio::test]
async fn a_registration_code_signs_in_once_and_wrong_or_unknown_passes_are_refused_alike() {
    let Some(lab) = lab::lab() else { return };
    let backend = adapter(lab);
    assert!(backend.takes_passes() && !backend.issues_passes());
    let format = backend.pass_format();
    assert!(format.length == 24 && format.case_sensitive, "{format:?}");
    let phone = PhoneNumber::parse(lab::LENA.typed, "US").unwrap();
    let code = lab.enroll_registration(lab::LENA.e164).await;
    assert_eq!(code.len(), 24, "privacyIDEA's default length: {code}");
    // No SMS token yet, only the pass: a start still reads as a code sent (the code screen
    // offers the pass), and no text goes out.
    backend.start(&phone).await.expect("a start with only a registration token");
    assert!(lab.texts_to(lab::LENA.e164).is_empty());

    // The right pass in the wrong case (the codes are case-sensitive), and one character off.
    let swapped: String = code
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() })
        .collect();
    let off = format!("{}{}", &code[..23], if code.ends_with('x') { 'y' } else { 'x' });
    for wrong in [swapped, off] {
        let refused = backend.sign_in_with_pass(&phone, &AccessPass::new(wrong)).await.unwrap_err();
        assert_eq!(refused, AuthError::InvalidPass);
    }
    let nobody = PhoneNumber::parse(lab::NOBODY_TYPED, "US").unwrap();
    let unknown = backend.sign_in_with_pass(&nobody, &AccessPass::new(code.clone())).await.unwrap_err();
    assert_eq!(unknown, AuthError::InvalidPass, "an unknown number reads as a wrong pass");

    let grant = backend.sign_in_with_pass(&phone, &AccessPass::new(code.clone())).await.unwrap();
    assert_eq!(grant.user.id, lab::LENA.id.to_string());
    assert_eq!(grant.user.display_name, lab::LENA.name());
    assert!(!grant.tokens.access.expose().contains(&code), "the session's token is not the pass");
    let again = backend.sign_in_with_pass(&phone, &AccessPass::new(code)).await.unwrap_err();
    assert_eq!(again, AuthError::InvalidPass, "privacyIDEA deleted the token after its one use");
}

/// An admin issued a registration code before the worker came (so privacyIDEA has no SMS token
/// for them yet): the real kiosk still reaches the code screen, and the pass, typed with its
/// case, signs in once; the second time it is refused.
#[tokio::test]
async fn a_worker_signs_in_on_the_kiosk_with_a_registration_code_once() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    let code = lab.enroll_registration(lab::MO.e164).await;

    for attempt in 0..2 {
        ask_for_code(lab, &mut screen, lab::MO.typed, CODE_FORM).await;
        screen.send(b"p");
        let field = screen.wait_for("Type the pass your manager gave you", WAIT).await;
        assert!(field.contains("24 characters; capitals matter"), "{field}");
        screen.type_text(&code).await;
        // The field shows it whole, case and punctuation kept, in fives.
        screen.wait_for(&shiftkey::api_types::group_pass(&code), WAIT).await;
        screen.send(b"\r");
        if attempt == 0 {
            let shown = screen.wait_for("TOKENFILE=", WAIT).await;
            assert_eq!(value_after(&shown, "USERID="), lab::MO.id.to_string());
            screen.send(F12);
            screen.wait_for(PHONE_FORM, WAIT).await;
        } else {
            screen.wait_for("That pass didn't work", WAIT).await;
        }
    }
    wait_for_audit(&setup, "sign_in_failed", 1).await;
    let sign_ins = setup.audit_events("sign_in");
    assert_eq!((sign_ins.len(), sign_ins[0]["with"].as_str()), (1, Some("pass")), "{sign_ins:?}");
    assert!(!setup.audit_text().contains(&code), "the pass is in no audit record");
}

#[tokio::test]
async fn the_send_cap_rate_limits_a_number() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    // Four texts are allowed in 5 minutes (the lab's conditional-access policy) ...
    for sent in 1..=4 {
        ask_for_code(lab, &mut screen, lab::BINH.typed, CODE_FORM).await;
        lab.codes_for(lab::BINH.e164, sent).await;
        if sent < 4 {
            screen.send(ESC);
            screen.wait_for(PHONE_FORM, WAIT).await;
        }
    }
    // ... and from the fourth on privacyIDEA turns every request away, that code's too.
    let code = lab.codes_for(lab::BINH.e164, 4).await.pop().unwrap();
    screen.type_text(&code).await;
    screen.wait_for("Too many requests — wait 300 s", WAIT).await;
    screen.send(ESC);
    screen.wait_for(PHONE_FORM, WAIT).await;
    ask_for_code(lab, &mut screen, lab::BINH.typed, "Too many attempts — try again in 300 s").await;
    assert_eq!(lab.texts_to(lab::BINH.e164).len(), 4, "no fifth text");
}

#[tokio::test]
async fn too_many_wrong_codes_lock_the_number_then_auth_max_fail_refuses() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    ask_for_code(lab, &mut screen, lab::DANA.typed, CODE_FORM).await;
    let code = lab.codes_for(lab::DANA.e164, 1).await.pop().unwrap();
    // DefaultMaxFailCount = 5: five wrong codes, then privacyIDEA says "Failcounter exceeded".
    for n in 1..=5 {
        screen.type_text(&wrong(&code, n)).await;
        // The notice stays from the last code: the audit log says when this one was answered.
        wait_for_audit(&setup, "sign_in_failed", n as usize).await;
        screen.wait_for("That code didn't work — try again", WAIT).await;
    }
    screen.type_text(&code).await;
    screen.wait_for("Too many wrong tries. Press Enter for a new code", WAIT).await;
    // A new code for a locked token: refused until failcounter_clear_timeout (10 min).
    {
        let _lifetime = lab.lifetime.read().await;
        screen.send(b"\r");
        screen.wait_for("Too many requests — wait 600 s", WAIT).await;
    }
    screen.send(ESC);
    screen.wait_for(PHONE_FORM, WAIT).await;
    ask_for_code(lab, &mut screen, lab::DANA.typed, "Too many attempts — try again in 600 s").await;
    // That was the 8th failure: now auth_max_fail (8 in 12 minutes) refuses first.
    {
        let _lifetime = lab.lifetime.read().await;
        screen.send(b"\r");
        screen.wait_for("Too many attempts — try again in 720 s", WAIT).await;
    }
    assert_eq!(lab.texts_to(lab::DANA.e164).len(), 1, "no text for a locked token");
}

/// The screen with its digits blanked: the masked numbers and countdowns then read alike.
fn without_digits(screen: &str) -> String {
    screen.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

#[tokio::test]
async fn an_unknown_number_gets_the_same_screens_as_a_known_one() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    let mut seen = Vec::new();
    for (typed, e164) in [(lab::ELI.typed, lab::ELI.e164), (lab::NOBODY_TYPED, lab::NOBODY)] {
        screen.wait_for(PHONE_FORM, WAIT).await;
        let code_form = ask_for_code(lab, &mut screen, typed, CODE_FORM).await;
        let code = if e164 == lab::NOBODY { "123456".to_string() } else { lab.codes_for(e164, 1).await.pop().unwrap() };
        screen.type_text(&wrong(&code, 2)).await;
        let refused = screen.wait_for("That code didn't work — try again", WAIT).await;
        seen.push((without_digits(&code_form), without_digits(&refused)));
        screen.send(ESC);
    }
    assert_eq!(seen[0].0, seen[1].0, "the code screens differ");
    assert_eq!(seen[0].1, seen[1].1, "the wrong-code screens differ");
    assert!(lab.texts_to(lab::NOBODY).is_empty(), "privacyIDEA texted no one for the unknown number");
    // The audit log can't tell them apart either.
    let sent = setup.audit_events("code_sent");
    assert_eq!(sent.len(), 2, "{sent:?}");
    let failed = setup.audit_events("sign_in_failed");
    assert_eq!(failed[0]["error"], failed[1]["error"]);
}

#[tokio::test]
async fn a_manager_is_found_through_the_role_attribute() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    // role = "cashier, kiosk-manager": a comma-separated attribute.
    sign_in(lab, &mut screen, &lab::JORDAN, "Signed in: Jordan Lee").await;
    let signed_in = setup.audit_events("manager_sign_in");
    assert_eq!(signed_in.len(), 1, "{}", setup.audit_text());
    assert_eq!(signed_in[0]["user"], lab::JORDAN.id.to_string());
}

#[tokio::test]
async fn a_worker_is_not_a_manager() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    sign_in(lab, &mut screen, &lab::FARAH, "This number isn't a store manager").await;
    assert_eq!(setup.audit_events("manager_refused").len(), 1);
}

#[tokio::test]
async fn an_answer_changed_on_the_way_is_refused() {
    let Some(lab) = lab::lab() else { return };
    // Someone between the kiosk and privacyIDEA makes a cashier a manager.
    let proxy = proxy::Proxy::start(&lab.url, proxy::Tamper::Promote);
    let dir = tempfile::tempdir().unwrap();
    let (setup, mut screen) = kiosk(dir.path(), &backend(&proxy.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    sign_in(lab, &mut screen, &lab::GUS, "The sign-in service's answer couldn't be checked — tell a manager").await;
    assert_eq!(proxy.tampered(), 1, "the proxy changed the ACCEPT");
    assert!(!screen.contents().contains("TOKENFILE="), "no session");
    let failed = setup.audit_events("sign_in_failed");
    assert_eq!(
        failed[0]["error"],
        "the sign-in service's answer could not be verified: the answer's signature does not match backend.public_key"
    );
    assert!(setup.audit_events("sign_in").is_empty());
}

#[tokio::test]
async fn a_server_signing_with_another_key_is_not_believed() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines =
        format!("kind = \"privacyidea\"\nurl = \"{}\"\nrealm = \"kiosk\"\npublic_key = {:?}", lab.url, lab.other_key);
    let (setup, mut screen) = kiosk(dir.path(), &lines);
    screen.wait_for(PHONE_FORM, WAIT).await;
    ask_for_code(lab, &mut screen, lab::HANA.typed, "The sign-in service had a problem").await;
    assert!(!screen.contents().contains(CODE_FORM), "no code form");
    let refused = setup.audit_events("code_not_sent");
    assert_eq!(
        refused[0]["error"],
        "the sign-in service's answer could not be verified: the answer's signature does not match backend.public_key"
    );
}

#[tokio::test]
async fn a_service_token_triggers_the_challenge() {
    let Some(lab) = lab::lab() else { return };
    let proxy = proxy::Proxy::start(&lab.url, proxy::Tamper::Nothing);
    let dir = tempfile::tempdir().unwrap();
    let lines = format!("{}\nservice_token = {{ file = {:?} }}", backend(&proxy.url, lab), lab.service_token);
    let (_setup, mut screen) = kiosk(dir.path(), &lines);
    screen.wait_for(PHONE_FORM, WAIT).await;
    sign_in(lab, &mut screen, &lab::IVAN, "TOKENFILE=").await;
    assert_eq!(proxy.paths(), ["/validate/triggerchallenge", "/validate/check"]);
    screen.send(F12);
    screen.wait_for(PHONE_FORM, WAIT).await;
}

#[tokio::test]
async fn a_gateway_that_cannot_text_reads_as_unreachable() {
    let Some(lab) = lab::lab() else { return };
    lab.refuse_texts_to(lab::JIN.e164);
    let dir = tempfile::tempdir().unwrap();
    let (_setup, mut screen) = kiosk(dir.path(), &backend(&lab.url, lab));
    screen.wait_for(PHONE_FORM, WAIT).await;
    ask_for_code(lab, &mut screen, lab::JIN.typed, "Can't reach the sign-in service — try again").await;
    screen.wait_for("Trying again in", WAIT).await;
}

// ---- check-config ----

/// `shiftkey check-config` on a kiosk config with these `[backend]` lines: (success, stdout, stderr).
fn check_config(dir: &Path, backend_lines: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let config = dir.join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"check\"\naudit_log = {:?}\nstate_dir = {:?}\n[backend]\n{backend_lines}\n[session]\n\
             command = [\"/bin/sh\"]\n{}\n[control]\nsocket = {:?}\n",
            dir.join("audit.jsonl"),
            dir.join("state"),
            run_as_line(&None),
            dir.join("control.sock")
        ),
    )
    .unwrap();
    let output =
        Command::new(BIN).arg("check-config").arg("--config").arg(&config).envs(env.iter().copied()).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn check_config_passes_a_good_config_and_says_what_is_worth_knowing() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = check_config(dir.path(), &backend(&lab.url, lab), &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("valid kiosk config") && out.contains("(privacyidea) answers"), "{out}");
    assert!(out.contains("note: managers are the users whose \"role\" attribute"), "{out}");
    assert!(!out.contains("no temporary access passes"), "{out}");
    assert!(
        out.contains("note: temporary access passes are issued in privacyIDEA: an admin enrolls a registration token"),
        "{out}"
    );
    assert!(out.contains("(24 characters, backend.pass_length)"), "{out}");
    assert!(!out.contains("signature-checked"), "{out}");
    // Without the public key it passes, and says what that means.
    let plain = format!("kind = \"privacyidea\"\nurl = \"{}\"\nrealm = \"kiosk\"", lab.url);
    let (ok, out, err) = check_config(dir.path(), &plain, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("note: privacyIDEA's answers are not signature-checked"), "{out}");
    assert!(out.contains("set backend.public_key"), "{out}");
}

#[tokio::test]
async fn check_config_refuses_a_realm_privacyidea_does_not_have() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines = backend(&lab.url, lab).replace("realm = \"kiosk\"", "realm = \"no-such-realm\"");
    let (ok, _, err) = check_config(dir.path(), &lines, &[]);
    assert!(!ok);
    assert!(err.contains("privacyIDEA has no realm \"no-such-realm\" — set backend.realm"), "{err}");
}

#[tokio::test]
async fn check_config_refuses_a_realm_that_hides_its_refusals() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines = backend(&lab.url, lab).replace("realm = \"kiosk\"", "realm = \"kiosk-hidden\"");
    let (ok, _, err) = check_config(dir.path(), &lines, &[]);
    assert!(!ok);
    assert!(err.contains("remove hide_specific_error_message from the realm's authentication policies"), "{err}");
}

#[tokio::test]
async fn check_config_refuses_an_unreachable_url() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: bound, noted, closed. (No lab needed.)
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let lines =
        format!("kind = \"privacyidea\"\nurl = \"http://127.0.0.1:{port}\"\nrealm = \"kiosk\"\ntimeout = \"2s\"");
    let (ok, _, err) = check_config(dir.path(), &lines, &[]);
    assert!(!ok);
    assert!(err.contains(&format!("can't reach privacyIDEA at http://127.0.0.1:{port}/ — check backend.url")), "{err}");
}

#[tokio::test]
async fn check_config_refuses_a_public_key_that_is_not_the_servers() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines = backend(&lab.url, lab).replace(&format!("{:?}", lab.public_key), &format!("{:?}", lab.other_key));
    let (ok, _, err) = check_config(dir.path(), &lines, &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "privacyIDEA's answers can't be believed: the answer's signature does not match backend.public_key"
        ),
        "{err}"
    );
    assert!(err.contains("set backend.public_key to the server's PI_AUDIT_KEY_PUBLIC file"), "{err}");
    // A file that is no key at all: refused before anything is asked.
    let not_a_key = dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello").unwrap();
    let lines = backend(&lab.url, lab).replace(&format!("{:?}", lab.public_key), &format!("{not_a_key:?}"));
    let (ok, _, err) = check_config(dir.path(), &lines, &[]);
    assert!(!ok);
    assert!(err.contains("backend.public_key:") && err.contains("holds no PEM public key"), "{err}");
}

#[tokio::test]
async fn check_config_refuses_unsigned_answers_when_a_public_key_is_set() {
    let Some(lab) = lab::lab() else { return };
    let proxy = proxy::Proxy::start(&lab.url, proxy::Tamper::Unsign);
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = check_config(dir.path(), &backend(&proxy.url, lab), &[]);
    assert!(!ok);
    assert!(err.contains("privacyIDEA's answers can't be believed: the answer carries no signature"), "{err}");
    assert!(err.contains("remove PI_NO_RESPONSE_SIGN"), "{err}");
    assert!(proxy.tampered() > 0);
}

#[tokio::test]
async fn check_config_refuses_a_service_token_privacyidea_does_not_take() {
    let Some(lab) = lab::lab() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines = format!("{}\nservice_token = {{ env = \"SHIFTKEY_TEST_PI_TOKEN\" }}", backend(&lab.url, lab));
    let (ok, _, err) = check_config(dir.path(), &lines, &[("SHIFTKEY_TEST_PI_TOKEN", "not-a-token")]);
    assert!(!ok);
    assert!(err.contains("privacyIDEA refused backend.service_token"), "{err}");
    let token = std::fs::read_to_string(&lab.service_token).unwrap();
    let (ok, out, err) = check_config(dir.path(), &lines, &[("SHIFTKEY_TEST_PI_TOKEN", token.trim())]);
    assert!(ok, "{out}\n{err}");
}

#[tokio::test]
async fn the_example_config_loads_and_passes_check_config_pointed_at_the_lab() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/kiosk.privacyidea.example.toml");
    let config = KioskConfig::load(&example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.backend.kind, BackendKind::Privacyidea);
    let Some(lab) = lab::lab() else { return };
    // The example as is, but for where privacyIDEA and its key are.
    let text = std::fs::read_to_string(&example).unwrap();
    let text = text.replace(&config.backend.url, &lab.url).replace(
        &format!("{:?}", config.backend.public_key.clone().expect("the example checks signatures")),
        &format!("{:?}", lab.public_key),
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kiosk.toml");
    // Paths of its own, and sessions as whoever runs the tests.
    let text = format!(
        "audit_log = {:?}\nstate_dir = {:?}\n{}",
        dir.path().join("audit.jsonl"),
        dir.path().join("state"),
        text.replace("run_as = \"kiosk-session\"", &run_as_line(&None))
    );
    std::fs::write(&copy, text).unwrap();
    let token = std::fs::read_to_string(&lab.service_token).unwrap();
    let output = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&copy)
        .env("SHIFTKEY_PRIVACYIDEA_TOKEN", token.trim())
        .output()
        .unwrap();
    let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{out}\n{err}");
    assert!(out.contains("(privacyidea) answers"), "{out}");
}
