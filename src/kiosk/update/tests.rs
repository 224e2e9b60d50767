//! Every transition of the kiosk's state machine, driven by events alone.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::auth::{Grant, SignedInUser, Tokens};
use crate::control::protocol::{ControlAnswer, ErrorCode, Request};
use crate::kiosk::fixtures::{self, code_sent, request_id, verified};
use crate::secret::AccessToken;

fn new_state() -> State {
    let mut settings = fixtures::settings();
    settings.kiosk_name = "till-3".into();
    State::new(settings, None, Instant::now())
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(state, key(KeyCode::Char(c)))).collect()
}

fn challenge() -> Challenge {
    Challenge {
        id: "ch1".into(),
        code_length: 6,
        expires_in: Duration::from_secs(300),
        resend_after: Duration::from_secs(30),
    }
}

fn grant() -> Grant {
    Grant {
        tokens: Tokens::access_only(AccessToken::new("tok")),
        expires_in: Duration::from_secs(3600),
        user: SignedInUser { id: "alex".into(), display_name: "Alex Rivera".into(), roles: vec![] },
    }
}

/// A state on the code screen for +1 206 555 0100.
fn at_code_screen() -> State {
    let mut state = new_state();
    type_text(&mut state, "2065550100");
    let sent = update(&mut state, key(KeyCode::Enter));
    code_sent(&mut state, &sent, Ok(challenge()));
    assert!(matches!(state.screen, Screen::Code(_)));
    state
}

fn code_form(state: &State) -> &CodeForm {
    match &state.screen {
        Screen::Code(form) => form,
        other => panic!("expected the code screen, got {other:?}"),
    }
}

fn phone_form(state: &State) -> &PhoneForm {
    match &state.screen {
        Screen::Phone(form) => form,
        other => panic!("expected the phone screen, got {other:?}"),
    }
}

/// The numbers sent a code among `effects`.
fn codes_sent_to(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| if let Effect::SendCode { phone, .. } = e { Some(phone.e164().to_string()) } else { None })
        .collect()
}

#[test]
fn valid_number_on_enter_sends_a_code() {
    let mut state = new_state();
    assert!(type_text(&mut state, "(206) 555-0100").is_empty());
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_eq!(codes_sent_to(&effects), vec!["+12065550100"]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "sign_in_start", .. })));
    assert!(phone_form(&state).sending());
    // Typing while the request is in flight changes nothing.
    type_text(&mut state, "9");
    assert_eq!(phone_form(&state).input.as_str(), "(206) 555-0100");
}

#[test]
fn invalid_number_shows_why_and_sends_nothing() {
    let mut state = new_state();
    type_text(&mut state, "+1 4251234567");
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(effects.is_empty());
    assert_eq!(phone_form(&state).error, Some(FormError::Phone(crate::phone::PhoneError::Invalid("US".into()))));
    assert!(!phone_form(&state).sending());
}

#[test]
fn letters_are_refused_with_a_hint() {
    let mut state = new_state();
    type_text(&mut state, "12a");
    assert_eq!(phone_form(&state).input.as_str(), "12");
    assert_eq!(phone_form(&state).error, Some(FormError::DigitsOnly));
}

#[test]
fn input_stops_at_32_characters() {
    let mut state = new_state();
    type_text(&mut state, &"1".repeat(40));
    assert_eq!(phone_form(&state).input.len(), 32);
}

#[test]
fn code_sent_shows_the_code_screen_with_masked_number() {
    let state = at_code_screen();
    let form = code_form(&state);
    assert_eq!(form.phone.masked(), "+1 ••• ••• 0100");
    assert_eq!(form.code_length, 6);
    assert_eq!(form.expires_at, state.now + Duration::from_secs(300));
    assert_eq!(state.next_wakeup(), Some(state.now + Duration::from_secs(1)), "the countdown ticks at 1 Hz");
}

#[test]
fn sixth_digit_submits_the_code() {
    let mut state = at_code_screen();
    assert!(type_text(&mut state, "12345").is_empty());
    let effects = type_text(&mut state, "6");
    match &effects[..] {
        [Effect::Verify { challenge_id, code, .. }] => {
            assert_eq!(challenge_id, "ch1");
            assert_eq!(code.expose(), "123456");
        }
        other => panic!("expected one Verify, got {other:?}"),
    }
    assert_eq!(code_form(&state).verifying, request_id(&effects));
}

#[test]
fn wrong_code_reports_attempts_left() {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "111111");
    let effects = verified(&mut state, &sent, Err(AuthError::InvalidCode { attempts_left: 4 }));
    assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "sign_in_failed", .. })));
    let form = code_form(&state);
    assert_eq!(form.notice, Some(CodeNotice::WrongCode { attempts_left: 4 }));
    assert!(form.digits.is_empty(), "the wrong code is cleared");
    assert!(form.verifying.is_none());
}

#[test]
fn expired_code_offers_a_new_one() {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "111111");
    verified(&mut state, &sent, Err(AuthError::Expired));
    assert_eq!(code_form(&state).notice, Some(CodeNotice::Expired));
    // Digits do nothing now; Enter asks for a new code for the same number.
    assert!(type_text(&mut state, "1").is_empty());
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_eq!(codes_sent_to(&effects), vec!["+12065550100"]);
    code_sent(&mut state, &effects, Ok(Challenge { id: "ch2".into(), ..challenge() }));
    let form = code_form(&state);
    assert_eq!(form.challenge_id, "ch2");
    assert_eq!(form.notice, Some(CodeNotice::Resent));
}

#[test]
fn countdown_reaching_zero_expires_the_code() {
    let mut state = at_code_screen();
    let later = state.now + Duration::from_secs(301);
    update(&mut state, Event::Tick(later));
    assert_eq!(code_form(&state).notice, Some(CodeNotice::Expired));
}

#[test]
fn too_many_attempts_says_so_and_offers_a_new_code() {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "111111");
    verified(&mut state, &sent, Err(AuthError::TooManyAttempts));
    assert_eq!(code_form(&state).notice, Some(CodeNotice::TooManyAttempts));
    assert!(matches!(&update(&mut state, key(KeyCode::Enter))[..], [Effect::SendCode { .. }]));
}

#[test]
fn resend_waits_for_the_cooldown() {
    let mut state = at_code_screen();
    assert!(update(&mut state, key(KeyCode::Char('r'))).is_empty(), "too early");
    let later = state.now + Duration::from_secs(30);
    update(&mut state, Event::Tick(later));
    assert!(
        matches!(&update(&mut state, key(KeyCode::Char('r')))[..], [Effect::Resend { challenge_id, .. }] if challenge_id == "ch1")
    );
}

#[test]
fn rate_limited_start_says_when_to_retry() {
    let mut state = new_state();
    type_text(&mut state, "2065550100");
    let sent = update(&mut state, key(KeyCode::Enter));
    code_sent(&mut state, &sent, Err(AuthError::RateLimited { retry_after: Duration::from_secs(42) }));
    let form = phone_form(&state);
    assert_eq!(form.error, Some(FormError::RateLimited { seconds: 42 }));
    assert!(!form.sending());
}

#[test]
fn unreachable_backend_retries_automatically() {
    let mut state = new_state();
    type_text(&mut state, "2065550100");
    let sent = update(&mut state, key(KeyCode::Enter));
    let effects = code_sent(&mut state, &sent, Err(AuthError::Unreachable));
    assert!(codes_sent_to(&effects).is_empty());
    assert_eq!(phone_form(&state).error, Some(FormError::Unreachable));
    assert!(state.next_wakeup().is_some());
    let soon = state.now + Duration::from_secs(2);
    assert!(update(&mut state, Event::Tick(soon)).is_empty());
    let later = state.now + RETRY_AFTER;
    let effects = update(&mut state, Event::Tick(later));
    assert_eq!(codes_sent_to(&effects), vec!["+12065550100"]);
    // Esc gives up.
    update(&mut state, key(KeyCode::Esc));
    assert!(!phone_form(&state).sending());
}

#[test]
fn esc_on_the_code_screen_goes_back_empty() {
    let mut state = at_code_screen();
    type_text(&mut state, "12");
    update(&mut state, key(KeyCode::Esc));
    assert!(phone_form(&state).input.is_empty());
}

#[test]
fn verified_welcomes_then_starts_the_session() {
    let mut state = at_code_screen();
    state.demo_phone = Some(vec![DemoSms { to_masked: "x".into(), body: "code 123456".to_string().into() }]);
    let sent = type_text(&mut state, "123456");
    let effects = verified(&mut state, &sent, Ok(grant()));
    assert!(
        matches!(&effects[..], [Effect::Audit { event: "sign_in", .. }, Effect::StartSession(g)] if g.user.id == "alex")
    );
    assert!(matches!(&state.screen, Screen::Welcome { name, .. } if name == "Alex Rivera"));
    assert!(state.demo_phone.as_ref().unwrap().is_empty(), "spent codes leave the demo phone");
    update(&mut state, Event::SessionStarted);
    let later = state.now + WELCOME_FOR;
    update(&mut state, Event::Tick(later));
    assert!(matches!(&state.screen, Screen::Session(session) if session.name == "Alex Rivera"));
    let wakeup = state.next_wakeup().unwrap();
    assert!(wakeup >= state.now + Duration::from_secs(1), "no busy ticking in a session");
}

fn in_session() -> State {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "123456");
    verified(&mut state, &sent, Ok(grant()));
    update(&mut state, Event::SessionStarted);
    let later = state.now + WELCOME_FOR;
    update(&mut state, Event::Tick(later));
    state
}

#[test]
fn keys_in_a_session_go_to_the_session() {
    let mut state = in_session();
    assert!(matches!(&update(&mut state, key(KeyCode::Char('l')))[..], [Effect::ForwardKey(_)]));
    assert!(matches!(&update(&mut state, key(KeyCode::F(5)))[..], [Effect::ForwardKey(_)]));
    // The manager key is the kiosk's, even inside a session.
    let effects = update(&mut state, key(KeyCode::F(9)));
    assert!(effects.iter().all(|e| !matches!(e, Effect::ForwardKey(_))));
    assert!(state.manager.is_some());
}

#[test]
fn sign_out_key_tears_down_then_shows_signed_out() {
    let mut state = in_session();
    let effects = update(&mut state, key(KeyCode::F(12)));
    assert!(matches!(&effects[..], [Effect::Teardown(SignOutReason::SignOutKey)]));
    assert!(matches!(state.screen, Screen::SigningOut));
    let effects = update(
        &mut state,
        Event::TeardownDone(crate::session::teardown::TeardownOutcome::nothing(SignOutReason::SignOutKey)),
    );
    assert!(matches!(&effects[..], [Effect::ClearScreen]));
    assert!(matches!(&state.screen, Screen::SignedOut { problem: None, .. }));
    let later = state.now + SIGNED_OUT_FOR;
    update(&mut state, Event::Tick(later));
    assert!(phone_form(&state).input.is_empty());
}

#[test]
fn session_command_exiting_signs_out() {
    let mut state = in_session();
    assert!(matches!(&update(&mut state, Event::SessionExited)[..], [Effect::Teardown(SignOutReason::CommandExited)]));
}

#[test]
fn a_teardown_that_left_something_says_so() {
    let mut state = in_session();
    update(&mut state, key(KeyCode::F(12)));
    let mut outcome = crate::session::teardown::TeardownOutcome::nothing(SignOutReason::SignOutKey);
    outcome.left_alive = vec![4242];
    update(&mut state, Event::TeardownDone(outcome));
    let expected = SignOutProblem { left_alive: 1, dir_removed: true };
    assert!(
        matches!(&state.screen, Screen::SignedOut { problem: Some(p), .. } if *p == expected),
        "{:?}",
        state.screen
    );
}

#[test]
fn stop_during_a_session_tears_down_then_quits() {
    let mut state = in_session();
    assert!(matches!(&update(&mut state, Event::Stop)[..], [Effect::Teardown(SignOutReason::KioskStopped)]));
    let effects = update(
        &mut state,
        Event::TeardownDone(crate::session::teardown::TeardownOutcome::nothing(SignOutReason::KioskStopped)),
    );
    assert!(matches!(&effects[..], [Effect::ClearScreen]));
    assert!(state.may_exit());
}

#[test]
fn stop_at_the_sign_in_screen_quits_at_once() {
    let mut state = new_state();
    assert!(update(&mut state, Event::Stop).is_empty());
    assert!(state.may_exit());
}

#[test]
fn session_that_fails_to_start_returns_to_sign_in_with_the_reason() {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "123456");
    verified(&mut state, &sent, Ok(grant()));
    let effects =
        update(&mut state, Event::SessionFailed { error: "can't start /nope".into(), tokens: grant().tokens });
    assert_eq!(phone_form(&state).error, Some(FormError::SessionFailed("can't start /nope".into())));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Revoke(t, RevokeReason::SessionFailed) if t.access.expose() == "tok"))
    );
}

#[test]
fn idle_sign_in_screen_needs_no_tick() {
    assert_eq!(new_state().next_wakeup(), None);
}

fn limits(idle: u64, warning: u64, max: u64) -> SessionLimits {
    SessionLimits {
        idle_timeout: Duration::from_secs(idle),
        idle_warning: Duration::from_secs(warning),
        max_duration: Duration::from_secs(max),
        recheck: Duration::from_secs(60),
    }
}

fn session_status(state: &State) -> &SessionStatus {
    match &state.screen {
        Screen::Session(session) => session,
        other => panic!("expected a session, got {other:?}"),
    }
}

#[test]
fn idle_session_warns_then_signs_out() {
    let mut state = in_session();
    state.settings.limits = limits(300, 60, 43200);
    let start = state.now;
    assert_eq!(state.next_wakeup(), Some(start + Duration::from_secs(60)), "wakes once a minute, for the time left");
    state.settings.limits = limits(100, 60, 43200);
    assert_eq!(state.next_wakeup(), Some(start + Duration::from_secs(40)), "or at the idle warning, if sooner");
    state.settings.limits = limits(300, 60, 43200);
    update(&mut state, Event::Tick(start + Duration::from_secs(240)));
    assert!(session_status(&state).idle_warning_shown(&state.settings.limits, state.now));
    assert_eq!(state.next_wakeup(), Some(state.now + Duration::from_secs(1)), "the countdown ticks");
    assert!(update(&mut state, Event::Tick(start + Duration::from_secs(299))).is_empty());
    let effects = update(&mut state, Event::Tick(start + Duration::from_secs(300)));
    assert!(matches!(&effects[..], [Effect::Teardown(SignOutReason::IdleTimeout)]));
}

/// The kiosk stopped (SIGSTOP) for two minutes in a session with a one-minute idle timeout: the
/// first tick once it runs again, at the idle warning's time as the loop had asked, is long past
/// the deadline and signs out at once, no warning first. The loop's clock is `Instant` (the
/// monotonic clock, which runs on while a process is stopped and never jumps with the wall clock).
#[test]
fn stopped_past_the_idle_timeout_the_first_tick_signs_out_at_once() {
    let mut state = in_session();
    state.settings.limits = limits(60, 10, 43200);
    let start = state.now;
    assert_eq!(state.next_wakeup(), Some(start + Duration::from_secs(50)), "the loop sleeps until the warning");
    let effects = update(&mut state, Event::Tick(start + Duration::from_secs(120)));
    assert!(matches!(&effects[..], [Effect::Teardown(SignOutReason::IdleTimeout)]), "{effects:?}");
    assert!(matches!(state.screen, Screen::SigningOut));
}

#[test]
fn any_key_cancels_the_idle_warning_and_is_not_forwarded() {
    let mut state = in_session();
    state.settings.limits = limits(300, 60, 43200);
    let start = state.now;
    update(&mut state, Event::Tick(start + Duration::from_secs(250)));
    assert!(update(&mut state, key(KeyCode::Char('x'))).is_empty(), "the cancelling key is swallowed");
    assert!(!session_status(&state).idle_warning_shown(&state.settings.limits, state.now));
    assert!(update(&mut state, Event::Tick(start + Duration::from_secs(300))).is_empty(), "idle time restarted");
    assert!(matches!(&update(&mut state, key(KeyCode::Char('y')))[..], [Effect::ForwardKey(_)]));
}

#[test]
fn max_duration_warns_then_ends_the_session() {
    let mut state = in_session();
    state.settings.limits = limits(7200, 60, 3600);
    let ends_at = state.now + Duration::from_secs(3600);
    if let Screen::Session(session) = &mut state.screen {
        session.ends_at = ends_at;
    }
    // Keep the worker active so only the maximum duration applies.
    let near = ends_at - Duration::from_secs(299);
    update(&mut state, Event::Tick(near - Duration::from_secs(10)));
    update(&mut state, key(KeyCode::Char('a')));
    update(&mut state, Event::Tick(near));
    assert!(session_status(&state).ending_soon(state.now));
    update(&mut state, key(KeyCode::Char('a')));
    let effects = update(&mut state, Event::Tick(ends_at));
    assert!(matches!(&effects[..], [Effect::Teardown(SignOutReason::MaxDuration)]));
}

fn manager_grant(roles: &[&str]) -> Grant {
    Grant {
        tokens: Tokens::access_only(AccessToken::new("manager-token")),
        expires_in: Duration::from_secs(3600),
        user: SignedInUser {
            id: "jordan".into(),
            display_name: "Jordan Lee".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        },
    }
}

/// Opens the manager screens over `state` and signs in with `roles`.
fn manager_signed_in(state: &mut State, roles: &[&str]) -> Vec<Effect> {
    update(state, key(KeyCode::F(9)));
    type_text(state, "2065550109");
    let effects = update(state, key(KeyCode::Enter));
    assert!(matches!(effects.last(), Some(Effect::SendCode { .. })), "{effects:?}");
    code_sent(state, &effects, Ok(challenge()));
    let effects = type_text(state, "654321");
    assert!(matches!(&effects[..], [Effect::Verify { .. }]));
    verified(state, &effects, Ok(manager_grant(roles)))
}

fn stage(state: &State) -> &ManagerStage {
    &state.manager.as_ref().expect("manager screens open").stage
}

#[test]
fn a_manager_ends_a_running_session_from_the_menu_and_their_token_is_revoked() {
    let mut state = in_session();
    state.settings.manager_roles = vec!["kiosk-manager".into()];
    let effects = manager_signed_in(&mut state, &["kiosk-manager"]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "manager_sign_in", .. })));
    assert!(matches!(stage(&state), ManagerStage::Menu { selected: 0 }));
    assert!(matches!(state.screen, Screen::Session(_)), "the worker's session keeps running");
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(effects.iter().any(|e| matches!(e, Effect::Teardown(SignOutReason::ManagerReset))), "{effects:?}");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Revoke(t, RevokeReason::ManagerDone) if t.access.expose() == "manager-token"))
    );
    assert!(state.manager.is_none());
    assert!(matches!(state.screen, Screen::SigningOut));
}

#[test]
fn a_non_manager_is_refused_and_nothing_changes() {
    let mut state = in_session();
    let effects = manager_signed_in(&mut state, &[]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "manager_refused", .. })));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Revoke(_, RevokeReason::NotAManager))),
        "the refused token is ended at once"
    );
    assert!(matches!(stage(&state), ManagerStage::Refused));
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(effects.iter().all(|e| !matches!(e, Effect::Teardown(_))));
    assert!(state.manager.is_none());
    assert!(matches!(state.screen, Screen::Session(_)));
}

#[test]
fn the_menu_closes_itself_after_a_minute_and_revokes_the_token() {
    let mut state = new_state();
    manager_signed_in(&mut state, &["kiosk-manager"]);
    let opened = state.now;
    let idle = state.settings.manager_idle;
    assert_eq!(idle, Duration::from_secs(60), "the default menu_timeout");
    assert_eq!(state.next_wakeup(), Some(opened + idle));
    assert!(update(&mut state, Event::Tick(opened + idle - Duration::from_secs(1))).is_empty());
    let effects = update(&mut state, Event::Tick(opened + idle));
    assert!(effects.iter().any(|e| matches!(e, Effect::Revoke(_, RevokeReason::ManagerDone))));
    assert!(state.manager.is_none());
}

#[test]
fn lock_from_the_menu_with_a_preset_then_typing_does_nothing() {
    let mut state = new_state();
    manager_signed_in(&mut state, &["kiosk-manager"]);
    update(&mut state, key(KeyCode::Char('2')));
    assert!(matches!(stage(&state), ManagerStage::LockMessage { .. }));
    update(&mut state, key(KeyCode::Down));
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(effects.iter().any(|e| matches!(e, Effect::PersistLock(Some(m)) if m == "Closed for cleaning")));
    assert!(matches!(state.screen, Screen::Locked));
    assert!(state.manager.is_none());
    assert!(type_text(&mut state, "2065550100").is_empty());
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert!(matches!(state.screen, Screen::Locked));
    assert_eq!(state.label(), "locked");
}

#[test]
fn a_custom_lock_message_can_be_typed() {
    let mut state = new_state();
    manager_signed_in(&mut state, &["kiosk-manager"]);
    update(&mut state, key(KeyCode::Char('2')));
    for _ in 0..3 {
        update(&mut state, key(KeyCode::Down));
    }
    type_text(&mut state, "Till moved to aisle 4");
    let effects = update(&mut state, key(KeyCode::Enter));
    assert!(effects.iter().any(|e| matches!(e, Effect::PersistLock(Some(m)) if m == "Till moved to aisle 4")));
}

/// A control request, and the answer `update` gave it right away (if any).
fn control(state: &mut State, request: Request) -> (Vec<Effect>, Option<ControlAnswer>) {
    let effects = update(state, Event::Control(ControlId(7), request));
    let answer = effects.iter().find_map(|e| match e {
        Effect::Answer(ControlId(7), answer) => Some(answer.clone()),
        _ => None,
    });
    (effects, answer)
}

fn teardown_done(state: &mut State, reason: SignOutReason) -> Vec<Effect> {
    update(state, Event::TeardownDone(crate::session::teardown::TeardownOutcome::nothing(reason)))
}

#[test]
fn control_lock_ends_a_session_answers_when_it_is_gone_and_unlock_reopens() {
    let mut state = in_session();
    let (effects, answer) = control(&mut state, Request::Lock { message: Some("Back soon".into()) });
    assert!(effects.iter().any(|e| matches!(e, Effect::Teardown(SignOutReason::ManagerLock))));
    assert_eq!(answer, None, "the answer waits for the teardown");
    let effects = teardown_done(&mut state, SignOutReason::ManagerLock);
    assert!(matches!(state.screen, Screen::Locked));
    assert!(effects.iter().any(
        |e| matches!(e, Effect::Answer(ControlId(7), ControlAnswer::Lock(a)) if a.session && a.outcome.is_some())
    ));
    let (effects, answer) = control(&mut state, Request::Unlock);
    assert!(effects.iter().any(|e| matches!(e, Effect::PersistLock(None))));
    assert!(matches!(answer, Some(ControlAnswer::Unlock(a)) if a.was_locked));
    assert!(matches!(state.screen, Screen::Phone(_)));
    let (effects, answer) = control(&mut state, Request::Unlock);
    assert!(matches!(answer, Some(ControlAnswer::Unlock(a)) if !a.was_locked), "unlocking twice changes nothing");
    assert_eq!(effects.len(), 1, "{effects:?}");
}

#[test]
fn control_lock_without_a_session_answers_at_once_and_a_bad_message_changes_nothing() {
    let mut state = new_state();
    let (_, answer) = control(&mut state, Request::Lock { message: Some("two\nlines".into()) });
    assert!(matches!(answer, Some(ControlAnswer::Error(e)) if e.error == ErrorCode::BadMessage));
    assert!(state.locked.is_none());
    assert!(matches!(state.screen, Screen::Phone(_)));
    let (_, answer) = control(&mut state, Request::Lock { message: Some("x".repeat(201)) });
    assert!(matches!(answer, Some(ControlAnswer::Error(e)) if e.error == ErrorCode::BadMessage));
    let (effects, answer) = control(&mut state, Request::Lock { message: Some("  ".into()) });
    assert!(
        matches!(answer, Some(ControlAnswer::Lock(a)) if !a.session && a.message.as_deref() == Some("Out of service"))
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::PersistLock(Some(m)) if m == "Out of service")));
    assert!(matches!(state.screen, Screen::Locked));
}

#[test]
fn control_reset_without_a_session_changes_nothing_and_with_one_waits_for_the_teardown() {
    let mut state = new_state();
    type_text(&mut state, "206");
    let (effects, answer) = control(&mut state, Request::Reset { reason: None });
    assert!(
        matches!(answer, Some(ControlAnswer::Reset(a)) if !a.session && a.message.as_deref() == Some("no session to reset; nothing changed"))
    );
    assert!(effects.iter().all(|e| !matches!(e, Effect::Teardown(_))));
    assert_eq!(phone_form(&state).input.as_str(), "206", "a number being typed is left alone");
    let mut state = in_session();
    let (effects, answer) = control(&mut state, Request::Reset { reason: Some("stuck".into()) });
    assert!(effects.iter().any(|e| matches!(e, Effect::Teardown(SignOutReason::ManagerReset))));
    assert_eq!(answer, None);
    let effects = teardown_done(&mut state, SignOutReason::ManagerReset);
    assert!(effects.iter().any(|e| matches!(e, Effect::Answer(ControlId(7), ControlAnswer::Reset(a)) if a.session)));
}

#[test]
fn control_status_reports_what_the_state_knows() {
    let mut state = in_session();
    let effects = update(&mut state, Event::Control(ControlId(3), Request::Status));
    match &effects[..] {
        [Effect::AnswerStatus(ControlId(3), report)] => {
            assert_eq!(report.state, "in-session");
            assert_eq!(report.user.as_ref().unwrap().display_name, "Alex Rivera");
            assert_eq!(report.user.as_ref().unwrap().phone, "+1 ••• ••• 0100");
            assert_eq!(report.kiosk, "till-3");
        }
        other => panic!("expected one status answer, got {other:?}"),
    }
}

// No grant is ever dropped: every way a sign-in can be left while the backend is checking
// its code ends with the grant revoked when it comes, with the reason.

/// The code screen with the sixth digit typed: the verify request's id.
fn verifying() -> (State, RequestId) {
    let mut state = at_code_screen();
    let sent = type_text(&mut state, "123456");
    let id = request_id(&sent).expect("a verify request");
    (state, id)
}

/// The grant for request `id` arrives: the effects, and the reason it was discarded, if it was.
fn grant_arrives(state: &mut State, id: RequestId) -> (Vec<Effect>, Option<DiscardReason>) {
    let effects = fixtures::reply(state, id, Answer::Verified(Ok(grant())));
    let discarded = effects.iter().find_map(|e| match e {
        Effect::Revoke(token, RevokeReason::GrantDiscarded(reason)) if token.access.expose() == "tok" => Some(*reason),
        _ => None,
    });
    (effects, discarded)
}

fn no_session_started(effects: &[Effect]) -> bool {
    effects.iter().all(|e| !matches!(e, Effect::StartSession(_)))
}

#[test]
fn esc_while_the_code_is_checked_revokes_the_grant_when_it_comes() {
    let (mut state, id) = verifying();
    update(&mut state, key(KeyCode::Esc));
    assert!(phone_form(&state).input.is_empty());
    let (effects, discarded) = grant_arrives(&mut state, id);
    assert_eq!(discarded, Some(DiscardReason::Cancelled));
    assert!(no_session_started(&effects));
    assert!(matches!(state.screen, Screen::Phone(_)), "the late reply changed nothing on screen");
    assert!(state.requests.is_empty());
}

#[test]
fn a_lock_while_the_code_is_checked_revokes_the_grant() {
    let (mut state, id) = verifying();
    let (_, answer) = control(&mut state, Request::Lock { message: None });
    assert!(matches!(answer, Some(ControlAnswer::Lock(a)) if !a.session));
    let (effects, discarded) = grant_arrives(&mut state, id);
    assert_eq!(discarded, Some(DiscardReason::Locked));
    assert!(no_session_started(&effects));
    assert!(matches!(state.screen, Screen::Locked));
}

#[test]
fn a_control_reset_while_the_code_is_checked_cancels_the_sign_in_and_revokes_the_grant() {
    let (mut state, id) = verifying();
    let (_, answer) = control(&mut state, Request::Reset { reason: None });
    assert!(
        matches!(answer, Some(ControlAnswer::Reset(a)) if !a.session && a.message.as_deref().unwrap().contains("cancelled"))
    );
    assert!(phone_form(&state).input.is_empty());
    let (_, discarded) = grant_arrives(&mut state, id);
    assert_eq!(discarded, Some(DiscardReason::ManagerReset));
    assert!(matches!(state.screen, Screen::Phone(_)));
}

#[test]
fn opening_the_manager_screens_while_the_code_is_checked_revokes_the_grant() {
    let (mut state, id) = verifying();
    update(&mut state, key(KeyCode::F(9)));
    assert!(state.manager.is_some());
    let (effects, discarded) = grant_arrives(&mut state, id);
    assert_eq!(discarded, Some(DiscardReason::ManagerMode));
    assert!(no_session_started(&effects));
    assert!(matches!(state.manager.as_ref().unwrap().stage, ManagerStage::Phone(_)), "the manager's form is untouched");
}

#[test]
fn stopping_while_the_code_is_checked_waits_for_the_reply_then_revokes_the_grant() {
    let (mut state, id) = verifying();
    update(&mut state, Event::Stop);
    assert!(!state.may_exit(), "a request is still in flight");
    let (effects, discarded) = grant_arrives(&mut state, id);
    assert_eq!(discarded, Some(DiscardReason::KioskStopped));
    assert!(no_session_started(&effects));
    assert!(state.may_exit());
}

#[test]
fn a_new_code_asked_for_while_one_is_checked_supersedes_it() {
    let (mut state, verify) = verifying();
    let later = state.now + Duration::from_secs(30);
    update(&mut state, Event::Tick(later));
    let effects = update(&mut state, key(KeyCode::Char('r')));
    let resend = request_id(&effects).expect("a resend");
    assert!(matches!(&effects[..], [Effect::Resend { .. }]));
    let (_, discarded) = grant_arrives(&mut state, verify);
    assert_eq!(discarded, Some(DiscardReason::Superseded));
    assert!(matches!(state.screen, Screen::Code(_)), "still waiting for the new code");
    fixtures::reply(&mut state, resend, Answer::CodeSent(Ok(Challenge { id: "ch2".into(), ..challenge() })));
    assert_eq!(code_form(&state).challenge_id, "ch2");
    assert_eq!(code_form(&state).notice, Some(CodeNotice::Resent));
}

#[test]
fn a_late_code_sent_never_changes_a_form_that_is_not_waiting_for_it() {
    let mut state = new_state();
    type_text(&mut state, "2065550100");
    let first = update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Esc));
    type_text(&mut state, "2065550102");
    let effects = code_sent(&mut state, &first, Ok(challenge()));
    assert!(effects.is_empty());
    assert_eq!(phone_form(&state).input.as_str(), "2065550102", "the new number being typed stays");
    // A reply with an id no one ever sent is no one's either.
    let (effects, discarded) = grant_arrives(&mut state, RequestId(999));
    assert_eq!(discarded, Some(DiscardReason::FormGone));
    assert!(no_session_started(&effects));
}

#[test]
fn a_manager_grant_arriving_after_the_screens_closed_is_revoked() {
    let mut state = new_state();
    update(&mut state, key(KeyCode::F(9)));
    type_text(&mut state, "2065550109");
    let sent = update(&mut state, key(KeyCode::Enter));
    code_sent(&mut state, &sent, Ok(challenge()));
    let sent = type_text(&mut state, "654321");
    let id = request_id(&sent).unwrap();
    let closes = state.now + state.settings.manager_idle;
    update(&mut state, Event::Tick(closes));
    assert!(state.manager.is_none(), "closed by its timeout");
    let effects = fixtures::reply(&mut state, id, Answer::Verified(Ok(manager_grant(&["kiosk-manager"]))));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Revoke(t, RevokeReason::GrantDiscarded(DiscardReason::ManagerClosed)) if t.access.expose() == "manager-token"
    )));
    assert!(state.manager.is_none());
}

#[test]
fn worker_replies_never_reach_the_manager_screens() {
    let mut state = new_state();
    type_text(&mut state, "2065550100");
    let sent = update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::F(9)));
    code_sent(&mut state, &sent, Ok(challenge()));
    assert!(matches!(stage(&state), ManagerStage::Phone(_)), "the manager's form is untouched");
    assert!(matches!(state.screen, Screen::Phone(_)), "the worker's sign-in was dropped when the manager came");
}

// A session's token is re-checked every `session.recheck`; an ended token ends the session.

/// A session whose re-check is due now: the request's id.
fn recheck_due(state: &mut State) -> RequestId {
    let due = session_status(state).recheck_at.expect("a session re-checks its token");
    assert_eq!(due, state.now + state.settings.limits.recheck);
    assert!(state.next_wakeup().unwrap() <= due, "the loop wakes for the re-check");
    let effects = update(state, Event::Tick(due));
    match &effects[..] {
        [Effect::Recheck { id }] => *id,
        other => panic!("expected one re-check, got {other:?}"),
    }
}

#[test]
fn a_token_the_backend_ended_signs_the_worker_out_saying_so() {
    let mut state = in_session();
    let id = recheck_due(&mut state);
    let a_second_later = state.now + Duration::from_secs(1);
    assert!(update(&mut state, Event::Tick(a_second_later)).is_empty(), "one question at a time");
    let effects = fixtures::reply(&mut state, id, Answer::StillValid(Ok(crate::auth::TokenState::Ended)));
    assert!(effects.iter().any(|e| matches!(e, Effect::Teardown(SignOutReason::Revoked))), "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "access_ended", .. })));
    teardown_done(&mut state, SignOutReason::Revoked);
    assert!(matches!(state.screen, Screen::SignedOut { access_ended: true, .. }));
}

#[test]
fn a_token_that_holds_is_asked_about_again_a_period_later_and_one_that_cant_be_told_is_not() {
    let mut state = in_session();
    let id = recheck_due(&mut state);
    assert!(fixtures::reply(&mut state, id, Answer::StillValid(Ok(crate::auth::TokenState::Valid))).is_empty());
    let id = recheck_due(&mut state);
    // An unreachable backend doesn't end a session: ask again later.
    fixtures::reply(&mut state, id, Answer::StillValid(Err(AuthError::Unreachable)));
    let id = recheck_due(&mut state);
    fixtures::reply(&mut state, id, Answer::StillValid(Ok(crate::auth::TokenState::Unknown)));
    assert_eq!(session_status(&state).recheck_at, None, "a backend that can't tell isn't asked again");
    assert!(matches!(state.screen, Screen::Session(_)));
}

#[test]
fn an_ended_token_reported_after_the_session_is_gone_changes_nothing() {
    let mut state = in_session();
    let id = recheck_due(&mut state);
    update(&mut state, key(KeyCode::F(12)));
    let effects = fixtures::reply(&mut state, id, Answer::StillValid(Ok(crate::auth::TokenState::Ended)));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(state.screen, Screen::SigningOut));
}
