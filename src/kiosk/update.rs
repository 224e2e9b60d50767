//! The kiosk's state machine: `update(state, event) -> effects`. No I/O, no clock reads, no
//! randomness: time arrives as `Event::Tick`, backend answers as `Event::Reply`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde_json::json;

use super::state::*;
use super::{manager, signin};
use crate::auth::{AuthError, Challenge, Grant};
use crate::session::SignOutReason;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Event::Key(key) => on_key(state, key),
        Event::Tick(now) => {
            state.now = now;
            on_tick(state)
        }
        Event::Reply(Reply::CodeSent(purpose, result)) => on_code_sent(state, purpose, result),
        Event::Reply(Reply::Verified(purpose, result)) => on_verified(state, purpose, result),
        Event::SessionStarted => {
            if let Screen::Welcome { session_ready, .. } = &mut state.screen {
                *session_ready = true;
            }
            Vec::new()
        }
        Event::SessionFailed(message) => {
            state.screen = Screen::Phone(PhoneForm {
                error: Some(format!("Couldn't start your session: {message}")),
                ..PhoneForm::default()
            });
            vec![Effect::Audit { event: "session_start_failed", detail: json!({ "error": message }) }]
        }
        Event::SessionExited => {
            if state.in_session() {
                state.screen = Screen::SigningOut;
                vec![Effect::Teardown(SignOutReason::CommandExited)]
            } else {
                Vec::new()
            }
        }
        Event::TeardownDone(outcome) => {
            let problem = (!outcome.clean()).then(|| {
                format!(
                    "Sign-out left something behind ({} processes, directory removed: {}) — tell a manager",
                    outcome.left_alive.len(),
                    outcome.dir_removed
                )
            });
            state.screen = match (&state.locked, problem) {
                // Locked: out of service straight away; a problem still shows on the locked screen's log.
                (Some(_), _) => Screen::Locked,
                (None, problem) => Screen::SignedOut { until: state.now + SIGNED_OUT_FOR, problem },
            };
            let mut effects = vec![Effect::ClearScreen];
            if state.quitting {
                effects.push(Effect::Quit);
            }
            effects
        }
        Event::DemoSms { to_masked, body } => {
            if let Some(messages) = &mut state.demo_phone {
                messages.push(DemoSms { to_masked, body: body.into() });
                let excess = messages.len().saturating_sub(3);
                messages.drain(..excess);
            }
            Vec::new()
        }
        Event::ManagerReset => manager_reset(state, "control"),
        Event::Lock(message) => lock(state, message, "control"),
        Event::Unlock => unlock(state, "control"),
        Event::EventsLoaded(lines) => {
            manager::on_events_loaded(state, lines);
            Vec::new()
        }
        Event::Stop => {
            state.quitting = true;
            match state.screen {
                Screen::Session(_) | Screen::Welcome { .. } => {
                    state.screen = Screen::SigningOut;
                    vec![Effect::Teardown(SignOutReason::KioskStopped)]
                }
                Screen::SigningOut => Vec::new(),
                _ => vec![Effect::Quit],
            }
        }
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // The demo can be left with Ctrl-C outside a session; a real kiosk is stopped by its service.
    if state.demo_phone.is_some() && is_ctrl_c(&key) && !state.in_session() {
        state.quitting = true;
        return vec![Effect::Quit];
    }
    state.last_key_at = state.now;
    if state.manager.is_some() {
        return manager::on_key(state, key);
    }
    if key.code == KeyCode::F(state.manager_key.0) {
        return manager::open(state);
    }
    let now = state.now;
    let region = state.region.clone();
    let sign_out = KeyCode::F(state.sign_out_key.0);
    match &mut state.screen {
        Screen::Phone(form) => signin::phone_key(form, key, &region, Purpose::Worker),
        Screen::Code(form) => {
            let (effects, back) = signin::code_key(form, key, now, Purpose::Worker);
            if back {
                state.screen = Screen::Phone(PhoneForm::default());
            }
            effects
        }
        Screen::Session(_) if key.code == sign_out => {
            state.screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::SignOutKey)]
        }
        Screen::Session(view) => {
            let warned = view.idle_warning_shown(&state.limits, now);
            view.last_input = now;
            // A key that cancels the idle warning is not meant for the session.
            if warned { Vec::new() } else { vec![Effect::ForwardKey(key)] }
        }
        // Out of service: typing changes nothing; the screen already says why.
        Screen::Welcome { .. } | Screen::SigningOut | Screen::Locked => Vec::new(),
        Screen::SignedOut { .. } => {
            state.screen = Screen::Phone(PhoneForm::default());
            Vec::new()
        }
    }
}

fn on_tick(state: &mut State) -> Vec<Effect> {
    let mut effects = manager::on_tick(state);
    effects.extend(screen_tick(state));
    effects
}

fn screen_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    match &mut state.screen {
        Screen::Phone(form) => signin::phone_tick(form, now, Purpose::Worker),
        Screen::Code(form) => {
            signin::code_tick(form, now);
            Vec::new()
        }
        Screen::Welcome { name, since, session_ready: true } if now >= *since + WELCOME_FOR => {
            let name = std::mem::take(name);
            let ends_at = now + state.limits.max_duration;
            let phone_masked = std::mem::take(&mut state.pending_phone_masked);
            state.screen = Screen::Session(SessionView { name, since: now, last_input: now, ends_at, phone_masked });
            Vec::new()
        }
        Screen::Session(view) if now >= view.ends_at => {
            state.screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::MaxDuration)]
        }
        Screen::Session(view) if now >= view.idle_deadline(&state.limits) => {
            state.screen = Screen::SigningOut;
            vec![Effect::Teardown(SignOutReason::IdleTimeout)]
        }
        Screen::SignedOut { until, .. } if now >= *until => {
            state.screen = Screen::Phone(PhoneForm::default());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn on_code_sent(state: &mut State, purpose: Purpose, result: Result<Challenge, AuthError>) -> Vec<Effect> {
    if purpose == Purpose::Manager {
        return manager::on_code_sent(state, result);
    }
    let now = state.now;
    match &mut state.screen {
        Screen::Phone(form) => {
            let (code_form, effects) = signin::code_sent_on_phone(form, result, now, purpose);
            if let Some(code_form) = code_form {
                state.screen = Screen::Code(code_form);
            }
            effects
        }
        Screen::Code(form) => signin::code_sent_on_code(form, result, now, purpose),
        _ => Vec::new(),
    }
}

fn on_verified(state: &mut State, purpose: Purpose, result: Result<Grant, AuthError>) -> Vec<Effect> {
    if purpose == Purpose::Manager {
        return manager::on_verified(state, result);
    }
    let now = state.now;
    let Screen::Code(form) = &mut state.screen else {
        return Vec::new();
    };
    let masked = form.phone.masked();
    let (grant, mut effects) = signin::verified_on_code(form, result, purpose);
    if let Some(grant) = grant {
        state.pending_phone_masked = masked;
        state.screen = Screen::Welcome { name: grant.user.display_name.clone(), since: now, session_ready: false };
        // The codes on the demo phone are spent: don't leave them on screen.
        if let Some(messages) = &mut state.demo_phone {
            messages.clear();
        }
        effects.push(Effect::StartSession(grant));
    }
    effects
}

/// A manager ends the session (from the control socket or the manager screens).
pub fn manager_reset(state: &mut State, via: &str) -> Vec<Effect> {
    if !state.in_session() {
        return Vec::new();
    }
    state.screen = Screen::SigningOut;
    vec![
        Effect::Audit { event: "manager_reset", detail: serde_json::json!({ "via": via }) },
        Effect::Teardown(SignOutReason::ManagerReset),
    ]
}

/// Out of service: ends any session (the same teardown), then no sign-in until unlocked.
pub fn lock(state: &mut State, message: String, via: &str) -> Vec<Effect> {
    state.locked = Some(message.clone());
    let mut effects = vec![
        Effect::Audit { event: "locked", detail: serde_json::json!({ "via": via, "message": message }) },
        Effect::PersistLock(Some(message)),
    ];
    match state.screen {
        Screen::Session(_) | Screen::Welcome { .. } => {
            state.screen = Screen::SigningOut;
            effects.push(Effect::Teardown(SignOutReason::ManagerLock));
        }
        // The teardown under way ends on the locked screen.
        Screen::SigningOut => {}
        // Forms in progress are dropped (and their buffers zeroized).
        _ => state.screen = Screen::Locked,
    }
    effects
}

/// Back in service.
pub fn unlock(state: &mut State, via: &str) -> Vec<Effect> {
    if state.locked.take().is_none() {
        return Vec::new();
    }
    if matches!(state.screen, Screen::Locked) {
        state.screen = Screen::Phone(PhoneForm::default());
    }
    vec![Effect::Audit { event: "unlocked", detail: serde_json::json!({ "via": via }) }, Effect::PersistLock(None)]
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
