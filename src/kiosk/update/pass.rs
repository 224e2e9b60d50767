//! "Use a pass from your manager" on the code screen: the worker types the temporary access
//! pass a manager or an admin issued instead of the texted code, into a field of its own
//! (letters in upper case whatever was typed; the grouping is the view's). Offered only where
//! the backend takes passes (`Settings::passes`).

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;
use zeroize::Zeroize;

use crate::api_types::{PASS_LENGTH, group_pass};
use crate::auth::{AuthError, Grant};
use crate::kiosk::state::{CodeForm, Effect, PassField, PassNotice, Requests};
use crate::secret::AccessPass;

/// Opens the pass field (not while a code is checked or a new one asked for).
pub fn open(form: &mut CodeForm) {
    if form.verifying.is_none() && form.resending.is_none() {
        form.digits.zeroize();
        form.pass = Some(PassField::default());
    }
}

/// A key in the pass field: Esc goes back to the code (a pass being checked is then no one's),
/// Enter with the whole pass checks it.
pub fn key(form: &mut CodeForm, key: KeyEvent, requests: &mut Requests) -> Vec<Effect> {
    let Some(field) = &mut form.pass else { return Vec::new() };
    if key.code == KeyCode::Esc {
        field.typed.zeroize();
        form.pass = None;
        return Vec::new();
    }
    if field.checking.is_some() {
        return Vec::new();
    }
    match key.code {
        KeyCode::Char(c) if c.is_ascii_alphanumeric() => {
            if field.typed.len() < PASS_LENGTH {
                field.typed.push(c.to_ascii_uppercase());
            }
            field.notice = None;
            Vec::new()
        }
        KeyCode::Backspace => {
            field.typed.pop();
            field.notice = None;
            Vec::new()
        }
        KeyCode::Enter if field.typed.len() == PASS_LENGTH => {
            let id = requests.start();
            field.checking = Some(id);
            let pass = AccessPass::new(group_pass(&field.typed));
            vec![Effect::SignInWithPass { id, phone: form.phone.clone(), pass }]
        }
        _ => Vec::new(),
    }
}

/// The backend's answer to the pass: the grant, or a notice under the field.
pub fn checked(form: &mut CodeForm, result: Result<Grant, AuthError>) -> (Option<Grant>, Vec<Effect>) {
    let masked = form.phone.masked();
    let Some(field) = &mut form.pass else { return (None, Vec::new()) };
    field.checking = None;
    field.typed.zeroize();
    match result {
        Ok(grant) => {
            let detail = json!({ "phone": masked, "user": grant.user.id, "with": "pass" });
            (Some(grant), vec![Effect::Audit { event: "sign_in", detail }])
        }
        Err(err) => {
            field.notice = Some(match &err {
                AuthError::RateLimited { retry_after } | AuthError::StoreRateLimited { retry_after } => {
                    PassNotice::RateLimited { seconds: retry_after.as_secs().max(1) }
                }
                AuthError::Unreachable => PassNotice::Unreachable,
                _ => PassNotice::Rejected,
            });
            let detail = json!({ "phone": masked, "with": "pass", "error": err.to_string() });
            (None, vec![Effect::Audit { event: "sign_in_failed", detail }])
        }
    }
}
