//! "Issue a one-time pass" on the manager screens: the worker's number, then the pass the
//! backend issued, shown once until the manager closes it (Enter, Esc, the idle timeout).
//! Audited with the manager's and the worker's numbers masked; never the pass.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;

use super::signin;
use crate::auth::{AuthError, IssuedPass};
use crate::kiosk::state::{Effect, FormError, ManagerStage, MenuItem, PhoneForm, State, menu};

/// The menu again, with "Issue a one-time pass" selected.
fn back_to_menu(state: &State) -> ManagerStage {
    let selected = menu(&state.settings).iter().position(|item| *item == MenuItem::IssuePass).unwrap_or(0);
    ManagerStage::Menu { selected }
}

/// Chosen from the menu: ask for the worker's number.
pub fn open(state: &mut State) {
    if let Some(manager) = state.manager.as_mut() {
        manager.stage = ManagerStage::PassFor(PhoneForm::default());
    }
}

/// A key on the number form or on the pass shown.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let region = state.settings.region.clone();
    let back = back_to_menu(state);
    let State { manager, requests, .. } = state;
    let Some(manager) = manager.as_mut() else { return Vec::new() };
    match &mut manager.stage {
        // Esc while the pass is asked for: back, and the answer is no one's.
        ManagerStage::PassFor(_) if key.code == KeyCode::Esc => {
            manager.stage = back;
            Vec::new()
        }
        ManagerStage::PassFor(form) => {
            let Some(worker) = signin::edit_phone(form, key, &region) else { return Vec::new() };
            let Some(tokens) = manager.tokens.clone() else { return Vec::new() };
            let id = requests.start();
            form.request = Some(id);
            vec![Effect::IssuePass { id, manager: tokens, worker }]
        }
        // The pass leaves the screen (and memory: it is zeroized when dropped).
        ManagerStage::PassShown { .. } if matches!(key.code, KeyCode::Enter | KeyCode::Esc) => {
            manager.stage = back;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The backend's answer: the pass shown, or why not on the number form.
pub fn on_issued(state: &mut State, result: Result<IssuedPass, AuthError>) -> Vec<Effect> {
    let Some(manager) = state.manager.as_mut() else { return Vec::new() };
    let ManagerStage::PassFor(form) = &mut manager.stage else { return Vec::new() };
    form.request = None;
    let worker = form.pending.take().map(|phone| phone.masked());
    match result {
        Ok(issued) => {
            let detail = json!({
                "manager": manager.name,
                "manager_phone": manager.phone_masked,
                "worker": issued.user.id,
                "phone": worker,
                "expires_in_s": issued.expires_in.as_secs(),
            });
            let minutes = issued.expires_in.as_secs().div_ceil(60);
            manager.stage = ManagerStage::PassShown { pass: issued.pass, name: issued.user.display_name, minutes };
            vec![Effect::Audit { event: "pass_issued", detail }]
        }
        Err(err) => {
            form.error = Some(match err {
                AuthError::NoSuchUser => FormError::NoSuchWorker,
                AuthError::Unreachable => FormError::Unreachable,
                AuthError::RateLimited { retry_after } => FormError::RateLimited { seconds: retry_after.as_secs() },
                _ => FormError::PassRefused,
            });
            let detail = json!({
                "manager": manager.name,
                "manager_phone": manager.phone_masked,
                "phone": worker,
                "error": err.to_string(),
            });
            vec![Effect::Audit { event: "pass_not_issued", detail }]
        }
    }
}
