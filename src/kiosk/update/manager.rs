//! Manager mode on the kiosk's own screen (the manager key, F9 by default): a manager signs in
//! with phone and code like a worker, must hold a manager role, then gets a menu — end the
//! session, lock, unlock, recent events. A worker's session keeps running underneath until the
//! manager ends it. The manager's token is revoked when the screens close; they close by
//! themselves after a minute without a key.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;

use super::{commands, issue_pass, signin};
use crate::auth::{AuthError, Challenge, Grant};
use crate::kiosk::state::{
    DiscardReason, Effect, ManagerMode, ManagerStage, MenuItem, PhoneForm, Purpose, RevokeReason, Screen, State, menu,
};

const CUSTOM_MESSAGE_CHARS: usize = 60;

/// Opens the manager screens at their phone form. A worker's sign-in in progress is dropped:
/// it must not finish under the manager's screens.
pub fn open(state: &mut State) -> Vec<Effect> {
    if matches!(state.screen, Screen::Phone(_) | Screen::Code(_)) {
        state.screen = Screen::Phone(PhoneForm::default());
        state.abandon_orphans(DiscardReason::ManagerMode);
    }
    state.manager = Some(ManagerMode {
        stage: ManagerStage::Phone(PhoneForm::default()),
        last_key: state.now,
        tokens: None,
        name: String::new(),
        phone_masked: String::new(),
    });
    vec![Effect::Audit { event: "manager_mode", detail: json!({ "action": "open" }) }]
}

/// Closes the manager screens; a signed-in manager's token is revoked.
pub fn close(state: &mut State, why: &str) -> Vec<Effect> {
    let Some(manager) = state.manager.take() else { return Vec::new() };
    state.abandon_orphans(DiscardReason::ManagerClosed);
    let mut effects = vec![Effect::Audit { event: "manager_mode", detail: json!({ "action": "close", "why": why }) }];
    if let Some(tokens) = manager.tokens {
        effects.push(Effect::Revoke(tokens, RevokeReason::ManagerDone));
    }
    effects
}

/// A key on the manager screens: they speak the kiosk's language, and a manager's code is
/// texted in it.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let now = state.now;
    let region = state.settings.region.clone();
    let language = state.settings.language;
    let presets = state.settings.lock_presets.len();
    let items = menu(&state.settings);
    if key.code == KeyCode::F(state.settings.manager_key.0) {
        return close(state, "manager key");
    }
    if let Some(ManagerStage::PassFor(_) | ManagerStage::PassShown { .. }) = state.manager.as_ref().map(|m| &m.stage) {
        if let Some(manager) = state.manager.as_mut() {
            manager.last_key = now;
        }
        let effects = issue_pass::on_key(state, key);
        state.abandon_orphans(DiscardReason::Cancelled);
        return effects;
    }
    let State { manager, requests, .. } = state;
    let Some(manager) = manager.as_mut() else { return Vec::new() };
    manager.last_key = now;
    match &mut manager.stage {
        ManagerStage::Phone(form) if key.code == KeyCode::Esc && !form.sending() => close(state, "esc"),
        ManagerStage::Phone(form) => {
            let effects = signin::phone_key(form, key, &region, language, Purpose::Manager, requests);
            state.abandon_orphans(DiscardReason::Cancelled);
            effects
        }
        ManagerStage::Code(form) => {
            let (effects, back) = signin::code_key(form, key, now, language, false, requests);
            if back {
                manager.stage = ManagerStage::Phone(PhoneForm::default());
            }
            state.abandon_orphans(if back { DiscardReason::Cancelled } else { DiscardReason::Superseded });
            effects
        }
        ManagerStage::Refused => close(state, "refused"),
        ManagerStage::Menu { selected } => match key.code {
            KeyCode::Up => {
                *selected = selected.checked_sub(1).unwrap_or(items.len() - 1);
                Vec::new()
            }
            KeyCode::Down | KeyCode::Tab => {
                *selected = (*selected + 1) % items.len();
                Vec::new()
            }
            KeyCode::Enter => {
                let item = items[*selected];
                choose(state, item)
            }
            KeyCode::Char(c @ '1'..='9') => match items.get(c as usize - '1' as usize) {
                Some(item) => choose(state, *item),
                None => Vec::new(),
            },
            KeyCode::Esc => close(state, "back"),
            _ => Vec::new(),
        },
        ManagerStage::LockMessage { selected, custom } => match key.code {
            KeyCode::Up => {
                *selected = selected.saturating_sub(1);
                Vec::new()
            }
            KeyCode::Down | KeyCode::Tab => {
                *selected = (*selected + 1).min(presets);
                Vec::new()
            }
            KeyCode::Char(c) if *selected == presets && !c.is_control() => {
                if custom.chars().count() < CUSTOM_MESSAGE_CHARS {
                    custom.push(c);
                }
                Vec::new()
            }
            KeyCode::Backspace => {
                custom.pop();
                Vec::new()
            }
            KeyCode::Enter => {
                let message = match state.settings.lock_presets.get(*selected) {
                    Some(preset) => preset.clone(),
                    None if !custom.trim().is_empty() => custom.trim().to_string(),
                    None => return Vec::new(),
                };
                let mut effects = commands::lock(state, message, "screen");
                effects.extend(close(state, "locked"));
                effects
            }
            KeyCode::Esc => {
                manager.stage = ManagerStage::Menu { selected: 1 };
                Vec::new()
            }
            _ => Vec::new(),
        },
        // Handled above (`issue_pass`).
        ManagerStage::PassFor(_) | ManagerStage::PassShown { .. } => Vec::new(),
        ManagerStage::Events { lines, scroll } => match key.code {
            KeyCode::Up => {
                *scroll = scroll.saturating_sub(1);
                Vec::new()
            }
            KeyCode::Down => {
                *scroll = (*scroll + 1).min(lines.len().saturating_sub(1));
                Vec::new()
            }
            KeyCode::PageUp => {
                *scroll = scroll.saturating_sub(10);
                Vec::new()
            }
            KeyCode::PageDown => {
                *scroll = (*scroll + 10).min(lines.len().saturating_sub(1));
                Vec::new()
            }
            KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace => {
                manager.stage = ManagerStage::Menu { selected: 3 };
                Vec::new()
            }
            _ => Vec::new(),
        },
    }
}

/// A menu item chosen (by its row's number, Enter on it, or a tap).
pub fn choose(state: &mut State, item: MenuItem) -> Vec<Effect> {
    let (in_session, locked) = (state.in_session(), state.locked.is_some());
    let Some(manager) = state.manager.as_mut() else { return Vec::new() };
    match item {
        MenuItem::EndSession if in_session => {
            let mut effects = commands::manager_reset(state, "screen");
            effects.extend(close(state, "ended the session"));
            effects
        }
        MenuItem::Lock => {
            manager.stage = ManagerStage::LockMessage { selected: 0, custom: String::new() };
            Vec::new()
        }
        MenuItem::Unlock if locked => {
            let mut effects = commands::unlock(state, "screen");
            effects.extend(close(state, "unlocked"));
            effects
        }
        MenuItem::Events => {
            manager.stage = ManagerStage::Events { lines: Vec::new(), scroll: 0 };
            vec![Effect::LoadEvents]
        }
        MenuItem::IssuePass => {
            issue_pass::open(state);
            Vec::new()
        }
        MenuItem::Back => close(state, "back"),
        // Not available now (no session, not locked): nothing happens.
        MenuItem::EndSession | MenuItem::Unlock => Vec::new(),
    }
}

pub fn on_tick(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(manager) = state.manager.as_mut() else { return Vec::new() };
    if now >= manager.last_key + state.settings.manager_idle {
        return close(state, "timeout");
    }
    let language = state.settings.language;
    let State { manager, requests, .. } = state;
    let Some(manager) = manager.as_mut() else { return Vec::new() };
    match &mut manager.stage {
        ManagerStage::Phone(form) => signin::phone_tick(form, now, language, requests),
        ManagerStage::Code(form) => {
            signin::code_tick(form, now);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The backend's answer to the manager form's request for a code.
pub fn on_code_sent(state: &mut State, result: Result<Challenge, AuthError>) -> Vec<Effect> {
    let now = state.now;
    let Some(manager) = state.manager.as_mut() else { return Vec::new() };
    match &mut manager.stage {
        ManagerStage::Phone(form) => {
            let (code_form, effects) = signin::code_sent_on_phone(form, result, now, Purpose::Manager);
            if let Some(code_form) = code_form {
                manager.stage = ManagerStage::Code(code_form);
            }
            effects
        }
        ManagerStage::Code(form) => signin::code_sent_on_code(form, result, now, Purpose::Manager),
        _ => Vec::new(),
    }
}

/// The backend's answer to the manager's code: the menu for a manager, else "not a manager"
/// (and the token revoked at once).
pub fn on_verified(state: &mut State, result: Result<Grant, AuthError>) -> Vec<Effect> {
    let roles = state.settings.manager_roles.clone();
    let Some(manager) = state.manager.as_mut() else { return Vec::new() };
    let ManagerStage::Code(form) = &mut manager.stage else { return Vec::new() };
    let phone_masked = form.phone.masked();
    let (grant, mut effects) = signin::verified_on_code(form, result, Purpose::Manager);
    let Some(grant) = grant else { return effects };
    if grant.user.roles.iter().any(|role| roles.contains(role)) {
        effects.push(Effect::Audit { event: "manager_sign_in", detail: json!({ "user": grant.user.id }) });
        manager.name = grant.user.display_name.clone();
        manager.phone_masked = phone_masked;
        manager.tokens = Some(grant.tokens);
        manager.stage = ManagerStage::Menu { selected: 0 };
    } else {
        effects.push(Effect::Audit { event: "manager_refused", detail: json!({ "user": grant.user.id }) });
        effects.push(Effect::Revoke(grant.tokens, RevokeReason::NotAManager));
        manager.stage = ManagerStage::Refused;
    }
    effects
}

pub fn on_events_loaded(state: &mut State, loaded: Vec<String>) {
    if let Some(ManagerMode { stage: ManagerStage::Events { lines, .. }, .. }) = state.manager.as_mut() {
        *lines = loaded;
    }
}
