//! The two sign-in forms — phone number, then code — as pure functions over their state.
//! Workers and managers sign in through the same steps; `Purpose` marks the manager's in the
//! audit log. Each request a form sends gets an id from `Requests`, and the form keeps it:
//! only the reply with that id changes the form.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;
use zeroize::Zeroize;

use crate::auth::{AuthError, Challenge, Channel, Grant};
use crate::kiosk::state::{CodeForm, CodeNotice, Effect, FormError, PhoneForm, Purpose, RETRY_AFTER, Requests};
use crate::locale::Language;
use crate::phone::{MAX_INPUT_CHARS, PhoneNumber};
use crate::secret::OtpCode;

fn audit(event: &'static str, purpose: Purpose, mut detail: serde_json::Value) -> Effect {
    if purpose == Purpose::Manager {
        detail["manager"] = json!(true);
    }
    Effect::Audit { event, detail }
}

/// Asks for a code for `phone`, texted in `language`, as request `id`.
fn send_code(
    requests: &mut Requests,
    phone: PhoneNumber,
    language: Language,
) -> (crate::kiosk::state::RequestId, Effect) {
    let id = requests.start();
    (id, Effect::SendCode { id, phone, language })
}

/// A key on the phone form. Esc clears it, a request in flight included (its reply is then
/// no one's). The code is asked for in `language`.
pub fn phone_key(
    form: &mut PhoneForm,
    key: KeyEvent,
    region: &str,
    language: Language,
    purpose: Purpose,
    requests: &mut Requests,
) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        *form = PhoneForm::default();
        return Vec::new();
    }
    let Some(phone) = edit_phone(form, key, region) else { return Vec::new() };
    let masked = phone.masked();
    let (id, send) = send_code(requests, phone, language);
    form.request = Some(id);
    let detail = json!({ "phone": masked, "language": language.tag() });
    vec![audit("sign_in_start", purpose, detail), send]
}

/// A key typing a number into `form` (nothing while it is being sent): the number, kept as
/// the form's `pending`, once Enter finds it valid; else an error on the form, or nothing.
pub fn edit_phone(form: &mut PhoneForm, key: KeyEvent, region: &str) -> Option<PhoneNumber> {
    if form.sending() {
        return None;
    }
    match key.code {
        KeyCode::Char(c) if c.is_ascii_digit() || "+-() .".contains(c) => {
            if form.input.chars().count() < MAX_INPUT_CHARS {
                form.input.push(c);
            }
            form.error = None;
        }
        KeyCode::Char(_) => form.error = Some(FormError::DigitsOnly),
        KeyCode::Backspace => {
            form.input.pop();
            form.error = None;
        }
        KeyCode::Enter => match PhoneNumber::parse(&form.input, region) {
            Ok(phone) => {
                form.error = None;
                form.pending = Some(phone.clone());
                return Some(phone);
            }
            Err(err) => form.error = Some(FormError::Phone(err)),
        },
        _ => {}
    }
    None
}

/// A key on the code form. Returns the effects, and whether to go back to the phone form. A
/// new sign-in (the code is spent) is asked for in `language`; C asks for a call where the
/// backend can call (`voice`).
pub fn code_key(
    form: &mut CodeForm,
    key: KeyEvent,
    now: Instant,
    language: Language,
    voice: bool,
    requests: &mut Requests,
) -> (Vec<Effect>, bool) {
    match key.code {
        KeyCode::Esc => {
            form.digits.zeroize();
            (Vec::new(), true)
        }
        _ if form.resending.is_some() => (Vec::new(), false),
        KeyCode::Enter | KeyCode::Char('r' | 'R') if form.dead(now) && form.verifying.is_none() => {
            // The challenge is spent: a new code means a new challenge.
            form.digits.zeroize();
            let (id, send) = send_code(requests, form.phone.clone(), language);
            form.resending = Some(id);
            (vec![send], false)
        }
        // A new code may be asked for while one is checked: the newer request wins, and a
        // grant for the older one is revoked when it comes. Only once the countdown is over,
        // by text or, where the backend can, by a call.
        KeyCode::Char('r' | 'R') if now >= form.resend_at => (vec![resend(form, Channel::Sms, requests)], false),
        KeyCode::Char('c' | 'C') if voice && now >= form.resend_at => {
            (vec![resend(form, Channel::Voice, requests)], false)
        }
        _ if form.verifying.is_some() => (Vec::new(), false),
        KeyCode::Char(c) if c.is_ascii_digit() && !form.dead(now) => {
            if form.digits.len() < form.code_length {
                form.digits.push(c);
                form.typed = true;
            }
            if form.digits.len() == form.code_length {
                let id = requests.start();
                form.verifying = Some(id);
                let code = OtpCode::new(form.digits.as_str());
                return (vec![Effect::Verify { id, challenge_id: form.challenge_id.clone(), code }], false);
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

/// Asks for the code form's new code by `channel`; the code typed so far is dropped.
fn resend(form: &mut CodeForm, channel: Channel, requests: &mut Requests) -> Effect {
    form.digits.zeroize();
    form.verifying = None;
    let id = requests.start();
    form.resending = Some(id);
    form.resend_channel = channel;
    Effect::Resend { id, challenge_id: form.challenge_id.clone(), channel }
}

/// Time passing on the phone form: retry an unreachable backend (in `language`, as asked).
pub fn phone_tick(form: &mut PhoneForm, now: Instant, language: Language, requests: &mut Requests) -> Vec<Effect> {
    if form.retry_at.is_some_and(|at| now >= at) {
        form.retry_at = None;
        if let Some(phone) = form.pending.clone() {
            let (id, send) = send_code(requests, phone, language);
            form.request = Some(id);
            return vec![send];
        }
    }
    Vec::new()
}

/// Time passing on the code form: a code past its lifetime is dead.
pub fn code_tick(form: &mut CodeForm, now: Instant) {
    if now >= form.expires_at && form.notice != Some(CodeNotice::Expired) && form.verifying.is_none() {
        if form.notice != Some(CodeNotice::TooManyAttempts) {
            form.notice = Some(CodeNotice::Expired);
        }
        form.digits.zeroize();
    }
}

/// Why the backend sent no code, as the phone form shows it. The backend's own words (its
/// refusal's message, a protocol error) go to the audit log, not on screen: they are English.
fn unavailable(err: &AuthError) -> FormError {
    match err {
        AuthError::Unreachable => FormError::Unreachable,
        AuthError::RateLimited { retry_after } => FormError::RateLimited { seconds: retry_after.as_secs().max(1) },
        AuthError::StoreRateLimited { retry_after } => FormError::StoreRateLimited { seconds: retry_after.as_secs() },
        AuthError::InvalidPhone(_) => FormError::Refused,
        _ => FormError::ServiceProblem,
    }
}

fn new_code_form(phone: PhoneNumber, challenge: Challenge, now: Instant) -> CodeForm {
    CodeForm {
        phone,
        challenge_id: challenge.id,
        code_length: challenge.code_length.clamp(4, 10),
        digits: Default::default(),
        expires_at: now + challenge.expires_in,
        resend_at: now + challenge.resend_after,
        sent_at: now,
        typed: false,
        notice: None,
        verifying: None,
        resending: None,
        resend_channel: Channel::Sms,
        sent_by: Channel::Sms,
        pass: None,
    }
}

/// The backend's answer to the phone form's request: the code form, or an error on the phone
/// form (retried by itself when the backend was unreachable).
pub fn code_sent_on_phone(
    form: &mut PhoneForm,
    result: Result<Challenge, AuthError>,
    now: Instant,
    purpose: Purpose,
) -> (Option<CodeForm>, Vec<Effect>) {
    form.request = None;
    match result {
        Ok(challenge) => {
            let Some(phone) = form.pending.take() else { return (None, Vec::new()) };
            let masked = phone.masked();
            form.input.zeroize();
            (Some(new_code_form(phone, challenge, now)), vec![audit("code_sent", purpose, json!({ "phone": masked }))])
        }
        Err(err) => {
            let masked = form.pending.as_ref().map(PhoneNumber::masked);
            form.error = Some(unavailable(&err));
            if err == AuthError::Unreachable {
                form.retry_at = Some(now + RETRY_AFTER);
            } else {
                form.pending = None;
            }
            (None, vec![audit("code_not_sent", purpose, json!({ "phone": masked, "error": err.to_string() }))])
        }
    }
}

/// The backend's answer to the code form's request for a new code.
pub fn code_sent_on_code(
    form: &mut CodeForm,
    result: Result<Challenge, AuthError>,
    now: Instant,
    purpose: Purpose,
) -> Vec<Effect> {
    form.resending = None;
    match result {
        Ok(challenge) => {
            let (phone, channel) = (form.phone.clone(), form.resend_channel);
            *form = new_code_form(phone, challenge, now);
            form.sent_by = channel;
            form.notice = Some(match channel {
                Channel::Sms => CodeNotice::Resent,
                Channel::Voice => CodeNotice::Calling,
            });
            let detail = json!({ "phone": form.phone.masked(), "resend": true, "channel": channel.name() });
            vec![audit("code_sent", purpose, detail)]
        }
        Err(err) => {
            form.notice = Some(match err {
                AuthError::RateLimited { retry_after } => {
                    form.resend_at = now + retry_after;
                    CodeNotice::RateLimited { seconds: retry_after.as_secs() }
                }
                AuthError::StoreRateLimited { retry_after } => {
                    form.resend_at = now + retry_after;
                    CodeNotice::StoreRateLimited { seconds: retry_after.as_secs() }
                }
                AuthError::TooManyAttempts => CodeNotice::TooManyAttempts,
                AuthError::Expired => CodeNotice::Expired,
                _ => CodeNotice::Unreachable,
            });
            Vec::new()
        }
    }
}

/// The backend's answer to the code form's code: the grant, or a notice on the form.
pub fn verified_on_code(
    form: &mut CodeForm,
    result: Result<Grant, AuthError>,
    purpose: Purpose,
) -> (Option<Grant>, Vec<Effect>) {
    form.verifying = None;
    form.digits.zeroize();
    let masked = form.phone.masked();
    match result {
        Ok(grant) => {
            let detail = json!({ "phone": masked, "user": grant.user.id });
            (Some(grant), vec![audit("sign_in", purpose, detail)])
        }
        Err(err) => {
            form.notice = Some(match &err {
                AuthError::InvalidCode { attempts_left: 0 } | AuthError::TooManyAttempts => CodeNotice::TooManyAttempts,
                AuthError::InvalidCode { attempts_left } => CodeNotice::WrongCode { attempts_left: *attempts_left },
                AuthError::Expired => CodeNotice::Expired,
                AuthError::RateLimited { retry_after } => CodeNotice::RateLimited { seconds: retry_after.as_secs() },
                AuthError::StoreRateLimited { retry_after } => {
                    CodeNotice::StoreRateLimited { seconds: retry_after.as_secs() }
                }
                AuthError::CodeRejected => CodeNotice::CodeRejected,
                AuthError::Untrusted(_) => CodeNotice::Untrusted,
                _ => CodeNotice::Unreachable,
            });
            (None, vec![audit("sign_in_failed", purpose, json!({ "phone": masked, "error": err.to_string() }))])
        }
    }
}
