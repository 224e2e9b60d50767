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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use crate::auth::{AuthError, IssuedPass, SignedInUser};
    use crate::kiosk::fixtures::{self, press, reply, request_id, type_text};
    use crate::kiosk::state::{Answer, Effect, FormError, ManagerStage, MenuItem, Settings, State, menu};
    use crate::secret::AccessPass;

    fn menu_with_passes() -> State {
        fixtures::manager_menu_with(Settings { passes: true, issues_passes: true, ..fixtures::settings() })
    }

    fn stage(state: &State) -> &ManagerStage {
        &state.manager.as_ref().expect("the manager screens are open").stage
    }

    fn issued() -> IssuedPass {
        IssuedPass {
            pass: AccessPass::new("7KQ4M-XRT2P"),
            expires_in: Duration::from_secs(3600),
            user: SignedInUser { id: "alex".into(), display_name: "Alex Rivera".into(), roles: Vec::new() },
        }
    }

    #[test]
    fn the_menu_offers_passes_only_where_the_backend_takes_them() {
        assert!(!menu(&fixtures::settings()).contains(&MenuItem::IssuePass));
        let with = menu(&Settings { passes: true, issues_passes: true, ..fixtures::settings() });
        assert_eq!(with.iter().position(|item| *item == MenuItem::IssuePass), Some(4));
        let mut state = fixtures::manager_menu();
        press(&mut state, KeyCode::Char('5'));
        assert!(state.manager.is_none(), "without passes, 5 is still Back");
        // privacyIDEA: passes are taken on the code screen but issued by an admin elsewhere.
        let taken_only = menu(&Settings { passes: true, issues_passes: false, ..fixtures::settings() });
        assert!(!taken_only.contains(&MenuItem::IssuePass), "{taken_only:?}");
    }

    #[test]
    fn a_manager_issues_a_pass_for_a_number_and_sees_it_once() {
        let mut state = menu_with_passes();
        press(&mut state, KeyCode::Char('5'));
        assert!(matches!(stage(&state), ManagerStage::PassFor(_)));
        type_text(&mut state, "2065550100");
        let sent = press(&mut state, KeyCode::Enter);
        let asked = sent.iter().find_map(|e| match e {
            Effect::IssuePass { worker, manager, .. } => {
                Some((worker.e164().to_string(), manager.access.expose().to_string()))
            }
            _ => None,
        });
        assert_eq!(asked, Some(("+12065550100".into(), "t".into())), "with the manager's token");
        let effects = reply(&mut state, request_id(&sent).unwrap(), Answer::PassIssued(Ok(issued())));
        let ManagerStage::PassShown { pass, name, minutes } = stage(&state) else { panic!("{:?}", stage(&state)) };
        assert_eq!((pass.expose(), name.as_str(), *minutes), ("7KQ4M-XRT2P", "Alex Rivera", 60));
        let audit = effects.iter().find_map(|e| match e {
            Effect::Audit { event: "pass_issued", detail } => Some(detail.clone()),
            _ => None,
        });
        let audit = audit.expect("audited");
        assert_eq!(audit["phone"], "+1 ••• ••• 0100");
        assert_eq!(audit["manager_phone"], "+1 ••• ••• 0109");
        assert_eq!(audit["worker"], "alex");
        assert!(!audit.to_string().contains("7KQ4M"), "{audit}");
        press(&mut state, KeyCode::Enter);
        assert!(matches!(stage(&state), ManagerStage::Menu { selected: 4 }), "back on its row");
    }

    #[test]
    fn a_number_no_one_signs_in_with_is_said_on_the_form() {
        let mut state = menu_with_passes();
        press(&mut state, KeyCode::Char('5'));
        type_text(&mut state, "2065550177");
        let sent = press(&mut state, KeyCode::Enter);
        let effects = reply(&mut state, request_id(&sent).unwrap(), Answer::PassIssued(Err(AuthError::NoSuchUser)));
        let ManagerStage::PassFor(form) = stage(&state) else { panic!() };
        assert_eq!(form.error, Some(FormError::NoSuchWorker));
        assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "pass_not_issued", .. })));
        press(&mut state, KeyCode::Esc);
        assert!(matches!(stage(&state), ManagerStage::Menu { .. }));
    }

    #[test]
    fn the_pass_goes_when_the_manager_screens_close_by_themselves() {
        let mut state = menu_with_passes();
        press(&mut state, KeyCode::Char('5'));
        type_text(&mut state, "2065550100");
        let sent = press(&mut state, KeyCode::Enter);
        reply(&mut state, request_id(&sent).unwrap(), Answer::PassIssued(Ok(issued())));
        let later = state.now + state.settings.manager_idle;
        crate::kiosk::update::update(&mut state, crate::kiosk::state::Event::Tick(later));
        assert!(state.manager.is_none(), "closed after the idle time, the pass with them");
    }
}
