//! The kiosk's state machine: `update(state, event) -> effects`. No I/O, no clock reads, no
//! randomness: time arrives as `Event::Tick`, backend answers as `Event::Reply`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde_json::json;
use zeroize::Zeroize;

use super::state::*;
use crate::auth::{AuthError, Challenge};
use crate::phone::{MAX_INPUT_CHARS, PhoneNumber};
use crate::secret::OtpCode;
use crate::session::SignOutReason;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Event::Key(key) => on_key(state, key),
        Event::Tick(now) => {
            state.now = now;
            on_tick(state)
        }
        Event::Reply(Reply::CodeSent(result)) => on_code_sent(state, result),
        Event::Reply(Reply::Verified(result)) => on_verified(state, result),
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
            state.screen = Screen::SignedOut { until: state.now + SIGNED_OUT_FOR, problem };
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
    let now = state.now;
    let region = state.region.clone();
    let sign_out = KeyCode::F(state.sign_out_key.0);
    match &mut state.screen {
        Screen::Phone(form) => phone_key(form, key, &region),
        Screen::Code(form) => {
            let (effects, back) = code_key(form, key, now);
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
        Screen::Welcome { .. } | Screen::SigningOut => Vec::new(),
        Screen::SignedOut { .. } => {
            state.screen = Screen::Phone(PhoneForm::default());
            Vec::new()
        }
    }
}

fn phone_key(form: &mut PhoneForm, key: KeyEvent, region: &str) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        *form = PhoneForm::default();
        return Vec::new();
    }
    if form.sending {
        return Vec::new();
    }
    match key.code {
        KeyCode::Char(c) if c.is_ascii_digit() || "+-() .".contains(c) => {
            if form.input.chars().count() < MAX_INPUT_CHARS {
                form.input.push(c);
            }
            form.error = None;
            Vec::new()
        }
        KeyCode::Char(_) => {
            form.error = Some("Type digits only (and + for another country)".into());
            Vec::new()
        }
        KeyCode::Backspace => {
            form.input.pop();
            form.error = None;
            Vec::new()
        }
        KeyCode::Enter => match PhoneNumber::parse(&form.input, region) {
            Ok(phone) => {
                form.error = None;
                form.sending = true;
                form.pending = Some(phone.clone());
                vec![
                    Effect::Audit { event: "sign_in_start", detail: json!({ "phone": phone.masked() }) },
                    Effect::SendCode(phone),
                ]
            }
            Err(err) => {
                form.error = Some(err.to_string());
                Vec::new()
            }
        },
        _ => Vec::new(),
    }
}

/// Returns the effects, and whether to go back to the phone screen.
fn code_key(form: &mut CodeForm, key: KeyEvent, now: std::time::Instant) -> (Vec<Effect>, bool) {
    match key.code {
        KeyCode::Esc => {
            form.digits.zeroize();
            (Vec::new(), true)
        }
        _ if form.verifying || form.resending => (Vec::new(), false),
        KeyCode::Enter | KeyCode::Char('r' | 'R') if form.dead(now) => {
            // The challenge is spent: a new code means a new challenge.
            form.resending = true;
            form.digits.zeroize();
            (vec![Effect::SendCode(form.phone.clone())], false)
        }
        KeyCode::Char('r' | 'R') if now >= form.resend_at => {
            form.resending = true;
            form.digits.zeroize();
            (vec![Effect::Resend(form.challenge_id.clone())], false)
        }
        KeyCode::Char(c) if c.is_ascii_digit() && !form.dead(now) => {
            if form.digits.len() < form.code_length {
                form.digits.push(c);
            }
            if form.digits.len() == form.code_length {
                form.verifying = true;
                let code = OtpCode::new(form.digits.as_str());
                return (vec![Effect::Verify { challenge_id: form.challenge_id.clone(), code }], false);
            }
            (Vec::new(), false)
        }
        KeyCode::Backspace => {
            form.digits.pop();
            (Vec::new(), false)
        }
        _ => (Vec::new(), false),
    }
}

fn on_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    match &mut state.screen {
        Screen::Phone(form) if form.retry_at.is_some_and(|at| now >= at) => {
            form.retry_at = None;
            form.pending.clone().map(|phone| vec![Effect::SendCode(phone)]).unwrap_or_default()
        }
        Screen::Code(form) if now >= form.expires_at && form.notice != Some(CodeNotice::Expired) && !form.verifying => {
            if form.notice != Some(CodeNotice::TooManyAttempts) {
                form.notice = Some(CodeNotice::Expired);
            }
            form.digits.zeroize();
            Vec::new()
        }
        Screen::Welcome { name, since, session_ready: true } if now >= *since + WELCOME_FOR => {
            let name = std::mem::take(name);
            let ends_at = now + state.limits.max_duration;
            state.screen = Screen::Session(SessionView { name, since: now, last_input: now, ends_at });
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

fn unavailable_message(err: &AuthError) -> String {
    match err {
        AuthError::Unreachable => "Can't reach the sign-in service — try again".into(),
        AuthError::RateLimited { retry_after } => {
            format!("Too many attempts — try again in {} s", retry_after.as_secs().max(1))
        }
        AuthError::InvalidPhone(message) => message.clone(),
        other => format!("The sign-in service had a problem ({other}) — try again"),
    }
}

fn code_form(phone: PhoneNumber, challenge: Challenge, now: std::time::Instant) -> CodeForm {
    CodeForm {
        phone,
        challenge_id: challenge.id,
        code_length: challenge.code_length.clamp(4, 10),
        digits: Default::default(),
        expires_at: now + challenge.expires_in,
        resend_at: now + challenge.resend_after,
        notice: None,
        verifying: false,
        resending: false,
    }
}

fn on_code_sent(state: &mut State, result: Result<Challenge, AuthError>) -> Vec<Effect> {
    let now = state.now;
    match (&mut state.screen, result) {
        (Screen::Phone(form), Ok(challenge)) if form.sending => {
            let Some(phone) = form.pending.take() else {
                return Vec::new();
            };
            let masked = phone.masked();
            form.input.zeroize();
            state.screen = Screen::Code(code_form(phone, challenge, now));
            vec![Effect::Audit { event: "code_sent", detail: json!({ "phone": masked }) }]
        }
        (Screen::Phone(form), Err(err)) if form.sending => {
            let masked = form.pending.as_ref().map(PhoneNumber::masked);
            form.error = Some(unavailable_message(&err));
            if err == AuthError::Unreachable {
                form.retry_at = Some(now + RETRY_AFTER);
            } else {
                form.sending = false;
                form.pending = None;
            }
            vec![Effect::Audit { event: "code_not_sent", detail: json!({ "phone": masked, "error": err.to_string() }) }]
        }
        (Screen::Code(form), Ok(challenge)) if form.resending => {
            let phone = form.phone.clone();
            *form = code_form(phone, challenge, now);
            form.notice = Some(CodeNotice::Resent);
            vec![Effect::Audit { event: "code_sent", detail: json!({ "phone": form.phone.masked(), "resend": true }) }]
        }
        (Screen::Code(form), Err(err)) if form.resending => {
            form.resending = false;
            form.notice = Some(match err {
                AuthError::RateLimited { retry_after } => {
                    form.resend_at = now + retry_after;
                    CodeNotice::RateLimited { seconds: retry_after.as_secs() }
                }
                AuthError::TooManyAttempts => CodeNotice::TooManyAttempts,
                AuthError::Expired => CodeNotice::Expired,
                _ => CodeNotice::Unreachable,
            });
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn on_verified(state: &mut State, result: Result<crate::auth::Grant, AuthError>) -> Vec<Effect> {
    let now = state.now;
    let Screen::Code(form) = &mut state.screen else {
        return Vec::new();
    };
    if !form.verifying {
        return Vec::new();
    }
    form.verifying = false;
    form.digits.zeroize();
    let masked = form.phone.masked();
    match result {
        Ok(grant) => {
            let name = grant.user.display_name.clone();
            let detail = json!({ "phone": masked, "user": grant.user.id });
            state.screen = Screen::Welcome { name, since: now, session_ready: false };
            // The codes on the demo phone are spent: don't leave them on screen.
            if let Some(messages) = &mut state.demo_phone {
                messages.clear();
            }
            vec![Effect::Audit { event: "sign_in", detail }, Effect::StartSession(grant)]
        }
        Err(err) => {
            form.notice = Some(match &err {
                AuthError::InvalidCode { attempts_left: 0 } | AuthError::TooManyAttempts => CodeNotice::TooManyAttempts,
                AuthError::InvalidCode { attempts_left } => CodeNotice::WrongCode { attempts_left: *attempts_left },
                AuthError::Expired => CodeNotice::Expired,
                AuthError::RateLimited { retry_after } => CodeNotice::RateLimited { seconds: retry_after.as_secs() },
                _ => CodeNotice::Unreachable,
            });
            vec![Effect::Audit {
                event: "sign_in_failed",
                detail: json!({ "phone": masked, "error": err.to_string() }),
            }]
        }
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
