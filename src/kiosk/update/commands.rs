//! What a store manager can do, from the control socket or the manager menu: end the session,
//! lock, unlock; and the control socket's requests, answered from here.

use serde_json::json;

use crate::control::protocol::{ControlAnswer, ErrorAnswer, ErrorCode, LockAnswer, Request, ResetAnswer, UnlockAnswer};
use crate::kiosk::state::{ControlId, DiscardReason, Effect, LOCK_MESSAGE_MAX_CHARS, PhoneForm, Screen, State};
use crate::kiosk::status::StatusReport;
use crate::session::SignOutReason;
use crate::session::teardown::TeardownOutcome;

/// A manager ends the session (from the control socket or the manager screens). A worker's
/// sign-in in progress is ended too: it would otherwise become a session a moment later.
pub fn manager_reset(state: &mut State, via: &str) -> Vec<Effect> {
    if state.signing_in() {
        state.screen = Screen::Phone(PhoneForm::default());
        state.abandon_orphans(DiscardReason::ManagerReset);
        return vec![Effect::Audit { event: "sign_in_cancelled", detail: json!({ "via": via }) }];
    }
    if !state.in_session() {
        return Vec::new();
    }
    state.screen = Screen::SigningOut;
    vec![
        Effect::Audit { event: "manager_reset", detail: json!({ "via": via }) },
        Effect::Teardown(SignOutReason::ManagerReset),
    ]
}

/// Out of service: ends any session (the same teardown) and any sign-in in progress, then no
/// sign-in until unlocked.
pub fn lock(state: &mut State, message: String, via: &str) -> Vec<Effect> {
    state.locked = Some(message.clone());
    let mut effects = vec![
        Effect::Audit { event: "locked", detail: json!({ "via": via, "message": message }) },
        Effect::PersistLock(Some(message)),
    ];
    match state.screen {
        Screen::Session(_) | Screen::Welcome { .. } => {
            state.screen = Screen::SigningOut;
            effects.push(Effect::Teardown(SignOutReason::ManagerLock));
        }
        // The teardown under way ends on the locked screen.
        Screen::SigningOut => {}
        // Forms in progress are dropped (and their buffers zeroized), and with them the
        // language their worker picked: the locked screen is everyone's.
        _ => {
            state.screen = Screen::Locked;
            super::language::reset(state);
        }
    }
    state.abandon_orphans(DiscardReason::Locked);
    effects
}

/// Back in service.
pub fn unlock(state: &mut State, via: &str) -> Vec<Effect> {
    if state.locked.take().is_none() {
        return Vec::new();
    }
    // Still out of service if the kiosk can't write what a session needs.
    if matches!(state.screen, Screen::Locked) && !state.faults.any() {
        state.screen = Screen::Phone(PhoneForm::default());
    }
    vec![Effect::Audit { event: "unlocked", detail: json!({ "via": via }) }, Effect::PersistLock(None)]
}

/// A lock message from the control socket: trimmed, defaulted (to the first preset, in the
/// kiosk's language), one line, not too long.
fn lock_message(message: Option<String>, default: &str) -> Result<String, ErrorAnswer> {
    let message = message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
    let message = message.unwrap_or_else(|| default.to_string());
    if message.chars().count() > LOCK_MESSAGE_MAX_CHARS || message.chars().any(char::is_control) {
        return Err(ErrorAnswer::new(
            ErrorCode::BadMessage,
            format!("the message must be one line of at most {LOCK_MESSAGE_MAX_CHARS} characters"),
        ));
    }
    Ok(message)
}

/// Whether a session is running or being torn down: a reset or lock then waits for the
/// teardown and answers with its outcome.
fn session_to_end(state: &State) -> bool {
    state.in_session() || matches!(state.screen, Screen::SigningOut)
}

/// A request from the control socket.
pub fn on_control(state: &mut State, id: ControlId, request: Request) -> Vec<Effect> {
    match request {
        Request::Status => vec![Effect::AnswerStatus(id, StatusReport::of(state))],
        Request::Reset { ref reason } => {
            let mut effects = vec![Effect::Audit { event: "control_reset", detail: json!({ "reason": reason }) }];
            if session_to_end(state) {
                effects.extend(manager_reset(state, "control"));
                state.waiting_for_teardown.push((id, request));
                return effects;
            }
            let message = if state.signing_in() {
                effects.extend(manager_reset(state, "control"));
                "no session to reset; the sign-in in progress was cancelled"
            } else {
                "no session to reset; nothing changed"
            };
            let answer = ResetAnswer { session: false, message: Some(message.into()), outcome: None };
            effects.push(Effect::Answer(id, ControlAnswer::Reset(answer)));
            effects
        }
        Request::Lock { message } => {
            let message = match lock_message(message, &state.settings.lock_presets[0]) {
                Ok(message) => message,
                Err(refused) => return vec![Effect::Answer(id, refused.into())],
            };
            let ends_session = session_to_end(state);
            let mut effects = lock(state, message.clone(), "control");
            if ends_session {
                state.waiting_for_teardown.push((id, Request::Lock { message: Some(message) }));
            } else {
                let answer = LockAnswer { session: false, locked: Some(true), message: Some(message), outcome: None };
                effects.push(Effect::Answer(id, ControlAnswer::Lock(answer)));
            }
            effects
        }
        Request::Unlock => {
            let was_locked = state.locked.is_some();
            let mut effects = unlock(state, "control");
            effects.push(Effect::Answer(id, ControlAnswer::Unlock(UnlockAnswer { locked: false, was_locked })));
            effects
        }
    }
}

/// The teardown is done: the requests that waited for it get its outcome.
pub fn answer_waiting(state: &mut State, outcome: &TeardownOutcome) -> Vec<Effect> {
    let outcome = Some(outcome.clone());
    state
        .waiting_for_teardown
        .drain(..)
        .map(|(id, request)| {
            let answer = match request {
                Request::Lock { .. } => ControlAnswer::Lock(LockAnswer {
                    session: true,
                    locked: None,
                    message: None,
                    outcome: outcome.clone(),
                }),
                _ => ControlAnswer::Reset(ResetAnswer { session: true, message: None, outcome: outcome.clone() }),
            };
            Effect::Answer(id, answer)
        })
        .collect()
}
