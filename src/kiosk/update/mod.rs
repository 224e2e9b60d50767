//! The kiosk's state machine: `update(state, event) -> effects`. No I/O, no clock reads, no
//! randomness: time arrives as `Event::Tick`, backend answers as `Event::Reply`, managers'
//! requests as `Event::Control`. Every decision is made here; the event loop only carries
//! out the effects.
//!
//! `signin` holds the two forms, `language` the worker's choice of language, `manager` the
//! manager screens (`issue_pass` its "Issue a one-time pass"), `commands` what the control socket and the manager menu share (reset,
//! lock, unlock), `pass` the temporary access pass on the code screen, `touch` taps and the mouse, `faults` what the kiosk does while it can't write its
//! audit log or state dir.

pub mod commands;
pub mod faults;
pub mod issue_pass;
pub mod language;
pub mod manager;
pub mod pass;
pub mod pin;
pub mod signin;
pub mod touch;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde_json::json;

use super::state::*;
use crate::auth::{AuthError, Challenge, Grant};
use crate::session::SignOutReason;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    let effects = dispatch(state, event);
    // A request whose form went without saying why (none should) is no one's all the same.
    state.abandon_orphans(DiscardReason::FormGone);
    let label = state.label();
    if label != state.label_since.0 {
        state.label_since = (label, state.now);
    }
    effects
}

fn dispatch(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Event::Key(key) => on_key(state, key),
        Event::Mouse { mouse, area } => touch::on_mouse(state, mouse, area),
        Event::Tick(now) => {
            state.now = now;
            on_tick(state)
        }
        Event::Reply(reply) => on_reply(state, reply),
        Event::SessionStarted => {
            if let Screen::Welcome { session_ready, .. } = &mut state.screen {
                *session_ready = true;
            }
            Vec::new()
        }
        Event::SessionFailed { error, tokens } => {
            state.screen = Screen::Phone(PhoneForm {
                error: Some(FormError::SessionFailed(error.clone())),
                ..PhoneForm::default()
            });
            vec![
                Effect::Audit { event: "session_start_failed", detail: json!({ "error": error }) },
                Effect::Revoke(tokens, RevokeReason::SessionFailed),
            ]
        }
        Event::SessionExited => {
            if state.in_session() {
                state.screen = Screen::SigningOut;
                vec![Effect::Teardown(SignOutReason::CommandExited)]
            } else {
                Vec::new()
            }
        }
        Event::TeardownDone(outcome) => on_teardown_done(state, outcome),
        Event::DemoSms { to_masked, body } => {
            if let Some(messages) = &mut state.demo_phone {
                messages.push(DemoSms { to_masked, body: body.into() });
                let excess = messages.len().saturating_sub(3);
                messages.drain(..excess);
            }
            Vec::new()
        }
        Event::Control(id, request) => commands::on_control(state, id, request),
        Event::EventsLoaded(lines) => {
            manager::on_events_loaded(state, lines);
            Vec::new()
        }
        Event::PinSealed(hash) => pin::on_sealed(state, hash),
        Event::PinChecked(right) => pin::on_checked(state, right),
        Event::Stop => on_stop(state),
        Event::Faults(now_faulty) => faults::on_faults(state, now_faulty),
    }
}

/// The teardown is done: the worker's language ends with their session, and "Signed out"
/// says so in it one last time.
fn on_teardown_done(state: &mut State, outcome: crate::session::teardown::TeardownOutcome) -> Vec<Effect> {
    let problem = (!outcome.clean())
        .then_some(SignOutProblem { left_alive: outcome.left_alive.len(), dir_removed: outcome.dir_removed });
    let language = language::reset(state);
    state.screen = match (faults::out_of_service(state), problem) {
        // Locked, or unable to open another session: out of service straight away.
        (true, _) => Screen::Locked,
        (false, problem) => Screen::SignedOut {
            until: state.now + SIGNED_OUT_FOR,
            problem,
            access_ended: outcome.reason == SignOutReason::Revoked,
            language,
        },
    };
    let mut effects = vec![Effect::ClearScreen];
    effects.extend(commands::answer_waiting(state, &outcome));
    effects
}

/// The kiosk is to stop: a session is torn down, sign-ins in progress are dropped (their
/// replies, when they come, are discarded), then the loop ends once nothing is in flight.
fn on_stop(state: &mut State) -> Vec<Effect> {
    state.quitting = true;
    let mut effects = manager::close(state, "kiosk stopping");
    match state.screen {
        Screen::Session(_) | Screen::Welcome { .. } => {
            state.screen = Screen::SigningOut;
            effects.push(Effect::Teardown(SignOutReason::KioskStopped));
        }
        Screen::Phone(_) | Screen::Code(_) => state.screen = Screen::Phone(PhoneForm::default()),
        Screen::SigningOut | Screen::SignedOut { .. } | Screen::Locked => {}
    }
    state.abandon_orphans(DiscardReason::KioskStopped);
    effects
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // The demo can be left with Ctrl-C outside a session; a real kiosk is stopped by its service.
    if state.demo_phone.is_some() && is_ctrl_c(&key) && !state.in_session() {
        return on_stop(state);
    }
    state.last_key_at = state.now;
    if state.manager.is_some() {
        return manager::on_key(state, key);
    }
    if key.code == KeyCode::F(state.settings.manager_key.0) {
        return manager::open(state);
    }
    if let Screen::Phone(form) = &state.screen {
        if form.language_menu.is_some() {
            return language::menu_key(state, key);
        }
        if key.code == KeyCode::F(state.settings.language_key.0) {
            return language::open_menu(state);
        }
    }
    if pin::is_up(state) {
        return pin::on_key(state, key);
    }
    let now = state.now;
    let language = state.language;
    let region = state.settings.region.clone();
    let sign_out = KeyCode::F(state.settings.sign_out_key.0);
    let lock = KeyCode::F(state.settings.lock_key.0);
    let State { screen, requests, settings, .. } = state;
    match screen {
        Screen::Phone(form) => {
            let effects = signin::phone_key(form, key, &region, language, Purpose::Worker, requests);
            state.abandon_orphans(DiscardReason::Cancelled);
            effects
        }
        Screen::Code(form) if form.pass.is_some() => {
            let effects = pass::key(form, key, settings.pass_format, requests);
            state.abandon_orphans(DiscardReason::Cancelled);
            effects
        }
        Screen::Code(form)
            if matches!(key.code, KeyCode::Char(c) if KeyCode::Char(c.to_ascii_lowercase()) == CodeOption::UsePass.key())
                && CodeOption::UsePass.offered(settings, form) =>
        {
            pass::open(form);
            Vec::new()
        }
        Screen::Code(form) => {
            let (effects, back) = signin::code_key(form, key, now, language, settings.voice, requests);
            if back {
                *screen = Screen::Phone(PhoneForm::default());
            }
            state.abandon_orphans(if back { DiscardReason::Cancelled } else { DiscardReason::Superseded });
            effects
        }
        Screen::Session(_) if key.code == sign_out => {
            *screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::SignOutKey)]
        }
        Screen::Session(session) => {
            let warned = session.idle_warning_shown(&settings.limits, now);
            session.last_input = now;
            // A key that cancels the idle warning is not meant for the session.
            if warned {
                Vec::new()
            } else if key.code == lock {
                pin::open(session);
                Vec::new()
            } else {
                vec![Effect::ForwardKey(key)]
            }
        }
        // Out of service: typing changes nothing; the screen already says why.
        Screen::Welcome { .. } | Screen::SigningOut | Screen::Locked => Vec::new(),
        Screen::SignedOut { .. } => {
            *screen = Screen::Phone(PhoneForm::default());
            Vec::new()
        }
    }
}

fn on_tick(state: &mut State) -> Vec<Effect> {
    let mut effects = manager::on_tick(state);
    effects.extend(faults::on_tick(state));
    effects.extend(screen_tick(state));
    effects
}

fn screen_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let limits = state.settings.limits;
    let language = state.language;
    let State { screen, requests, .. } = state;
    match screen {
        Screen::Phone(form) => signin::phone_tick(form, now, language, requests),
        Screen::Code(form) => {
            signin::code_tick(form, now);
            Vec::new()
        }
        Screen::Welcome { name, since, session_ready: true } if now >= *since + WELCOME_FOR => {
            let name = std::mem::take(name);
            let ends_at = now + limits.max_duration;
            let phone_masked = std::mem::take(&mut state.pending_phone_masked);
            let recheck_at = Some(now + limits.recheck);
            state.screen = Screen::Session(SessionStatus {
                name,
                since: now,
                last_input: now,
                ends_at,
                phone_masked,
                recheck_at,
                rechecking: None,
                pin: None,
            });
            Vec::new()
        }
        Screen::Session(session) if now >= session.ends_at => {
            *screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::MaxDuration)]
        }
        Screen::Session(session) if now >= session.idle_deadline(&limits) => {
            *screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::IdleTimeout)]
        }
        // Time to ask whether the token still holds: one question at a time.
        Screen::Session(session) if session.recheck_at.is_some_and(|at| now >= at) => {
            session.recheck_at = None;
            let id = requests.start();
            session.rechecking = Some(id);
            vec![Effect::Recheck { id }]
        }
        Screen::SignedOut { until, .. } if now >= *until => {
            *screen = Screen::Phone(PhoneForm::default());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// A backend's answer: to the form that waits for exactly this request, or to no one — then a
/// grant in it is revoked at once, with the reason its form went.
fn on_reply(state: &mut State, Reply { id, answer }: Reply) -> Vec<Effect> {
    let abandoned = state.requests.abandoned(id);
    let awaited = state.waits_for(id);
    state.requests.finish(id);
    if !awaited {
        return discard(answer, abandoned.unwrap_or(DiscardReason::FormGone));
    }
    let for_manager = state.manager_waits_for(id);
    match (answer, for_manager) {
        (Answer::StillValid(result), _) => on_still_valid(state, result),
        (Answer::CodeSent(result), true) => manager::on_code_sent(state, result),
        (Answer::Verified(result), true) => manager::on_verified(state, result),
        (Answer::CodeSent(result), false) => on_code_sent(state, result),
        (Answer::Verified(result), false) => on_verified(state, result),
        (Answer::PassChecked(result), _) => on_pass_checked(state, result),
        (Answer::PassIssued(result), _) => issue_pass::on_issued(state, result),
    }
}

/// An answer no one waits for: a code sent is simply not shown; a grant is revoked.
fn discard(answer: Answer, reason: DiscardReason) -> Vec<Effect> {
    match answer {
        Answer::Verified(Ok(grant)) | Answer::PassChecked(Ok(grant)) => {
            vec![Effect::Revoke(grant.tokens, RevokeReason::GrantDiscarded(reason))]
        }
        // A pass issued for a manager who left: never shown; it expires unused (or the next replaces it).
        Answer::Verified(Err(_))
        | Answer::PassChecked(Err(_))
        | Answer::PassIssued(_)
        | Answer::CodeSent(_)
        | Answer::StillValid(_) => Vec::new(),
    }
}

/// The backend's word on the session's token: ended means the organisation removed the
/// worker, and the session is torn down at once; otherwise ask again later (unless the
/// backend can't tell, or couldn't be reached — then the next question waits a full period).
fn on_still_valid(state: &mut State, result: Result<crate::auth::TokenState, AuthError>) -> Vec<Effect> {
    let (now, recheck) = (state.now, state.settings.limits.recheck);
    let Screen::Session(session) = &mut state.screen else { return Vec::new() };
    session.rechecking = None;
    match result {
        Ok(crate::auth::TokenState::Ended) => {
            let phone = session.phone_masked.clone();
            state.screen = Screen::SigningOut;
            vec![
                Effect::Audit { event: "access_ended", detail: json!({ "phone": phone }) },
                Effect::Teardown(SignOutReason::Revoked),
            ]
        }
        Ok(crate::auth::TokenState::Unknown) => Vec::new(),
        Ok(crate::auth::TokenState::Valid) | Err(_) => {
            session.recheck_at = Some(now + recheck);
            Vec::new()
        }
    }
}

fn on_code_sent(state: &mut State, result: Result<Challenge, AuthError>) -> Vec<Effect> {
    let now = state.now;
    match &mut state.screen {
        Screen::Phone(form) => {
            let (code_form, effects) = signin::code_sent_on_phone(form, result, now, Purpose::Worker);
            if let Some(code_form) = code_form {
                state.screen = Screen::Code(code_form);
            }
            effects
        }
        Screen::Code(form) => signin::code_sent_on_code(form, result, now, Purpose::Worker),
        _ => Vec::new(),
    }
}

fn on_verified(state: &mut State, result: Result<Grant, AuthError>) -> Vec<Effect> {
    let Screen::Code(form) = &mut state.screen else {
        return Vec::new();
    };
    let masked = form.phone.masked();
    let (grant, mut effects) = signin::verified_on_code(form, result, Purpose::Worker);
    effects.extend(grant.map(|grant| welcome(state, grant, masked)));
    effects
}

fn on_pass_checked(state: &mut State, result: Result<Grant, AuthError>) -> Vec<Effect> {
    let Screen::Code(form) = &mut state.screen else {
        return Vec::new();
    };
    let masked = form.phone.masked();
    let (grant, mut effects) = pass::checked(form, result);
    effects.extend(grant.map(|grant| welcome(state, grant, masked)));
    effects
}

/// A worker's grant: "Welcome", and the session started behind it.
fn welcome(state: &mut State, grant: Grant, masked: String) -> Effect {
    state.pending_phone_masked = masked;
    state.screen = Screen::Welcome { name: grant.user.display_name.clone(), since: state.now, session_ready: false };
    // The codes on the demo phone are spent: don't leave them on screen.
    if let Some(messages) = &mut state.demo_phone {
        messages.clear();
    }
    Effect::StartSession(grant)
}

#[cfg(test)]
mod tests;
