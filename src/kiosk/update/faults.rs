//! Out of service by itself: while the kiosk can't write its audit log or its state dir, it
//! opens no session (one it couldn't account for, or couldn't erase after a crash), checks
//! again every `FAULT_RETRY`, and opens sign-in again by itself once it can write.

use serde_json::json;

use crate::kiosk::state::{DiscardReason, Effect, FAULT_RETRY, Faults, PhoneForm, Screen, State};

/// What the kiosk can't write changed.
pub fn on_faults(state: &mut State, faults: Faults) -> Vec<Effect> {
    if state.faults == faults {
        return Vec::new();
    }
    state.faults = faults;
    let detail = json!({ "audit_log": state.faults.audit_log, "state_dir": state.faults.state_dir });
    if !state.faults.any() {
        state.faults_check_at = None;
        if matches!(state.screen, Screen::Locked) && state.locked.is_none() {
            state.screen = Screen::Phone(PhoneForm::default());
        }
        return vec![Effect::Audit { event: "back_in_service", detail }];
    }
    state.faults_check_at.get_or_insert(state.now + FAULT_RETRY);
    match state.screen {
        // A sign-in in progress ends here: it would become a session the kiosk can't keep.
        Screen::Phone(_) | Screen::Code(_) | Screen::SignedOut { .. } => {
            state.screen = Screen::Locked;
            super::language::reset(state);
            state.abandon_orphans(DiscardReason::Locked);
        }
        // A session runs on; its teardown ends out of service.
        Screen::Welcome { .. } | Screen::Session(_) | Screen::SigningOut | Screen::Locked => {}
    }
    vec![Effect::Audit { event: "out_of_service", detail }]
}

/// Time to check the faults again.
pub fn on_tick(state: &mut State) -> Vec<Effect> {
    match state.faults_check_at {
        Some(at) if state.now >= at => {
            state.faults_check_at = Some(state.now + FAULT_RETRY);
            vec![Effect::CheckFaults]
        }
        _ => Vec::new(),
    }
}

/// Whether the kiosk must stay out of service: locked by a manager, or a fault.
pub fn out_of_service(state: &State) -> bool {
    state.locked.is_some() || state.faults.any()
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::*;
    use crate::control::protocol::Request;
    use crate::kiosk::fixtures::{self, press, type_text};
    use crate::kiosk::state::{ControlId, Event};
    use crate::kiosk::update::update;
    use crate::session::SignOutReason;
    use crate::session::teardown::TeardownOutcome;

    fn disk_full() -> Faults {
        Faults { audit_log: Some("No space left on device (os error 28)".into()), state_dir: None }
    }

    fn audited(effects: &[Effect], name: &str) -> bool {
        effects.iter().any(|e| matches!(e, Effect::Audit { event, .. } if *event == name))
    }

    #[test]
    fn a_fault_closes_sign_in_until_it_clears_by_itself() {
        let mut state = fixtures::phone_typed();
        let sent = press(&mut state, KeyCode::Enter);
        let id = fixtures::request_id(&sent).unwrap();
        let effects = update(&mut state, Event::Faults(disk_full()));
        assert!(audited(&effects, "out_of_service"));
        assert!(matches!(state.screen, Screen::Locked));
        assert_eq!(state.label(), "out-of-service");
        assert_eq!(state.requests.abandoned(id), Some(DiscardReason::Locked), "the code sent goes unused");
        assert!(type_text(&mut state, "2065550100\r").is_empty(), "typing does nothing");
        assert!(matches!(state.screen, Screen::Locked));

        // It checks again by itself, every FAULT_RETRY, and nothing else wakes it.
        let check = state.next_wakeup().expect("a check is due");
        assert_eq!(check, state.now + FAULT_RETRY);
        assert!(matches!(update(&mut state, Event::Tick(check))[..], [Effect::CheckFaults]));
        assert_eq!(state.next_wakeup(), Some(check + FAULT_RETRY));
        assert!(update(&mut state, Event::Faults(disk_full())).is_empty(), "the same fault changes nothing");

        let effects = update(&mut state, Event::Faults(Faults::default()));
        assert!(audited(&effects, "back_in_service"));
        assert!(matches!(state.screen, Screen::Phone(_)));
        assert_eq!(state.next_wakeup(), None, "idle means idle again");
    }

    #[test]
    fn a_session_runs_on_through_a_fault_and_its_sign_out_ends_out_of_service() {
        let mut state = fixtures::in_session();
        update(&mut state, Event::Faults(disk_full()));
        assert!(matches!(state.screen, Screen::Session(_)), "the worker keeps their session");
        let effects = press(&mut state, KeyCode::F(12));
        assert!(effects.iter().any(|e| matches!(e, Effect::Teardown(SignOutReason::SignOutKey))));
        update(&mut state, Event::TeardownDone(TeardownOutcome::nothing(SignOutReason::SignOutKey)));
        assert!(matches!(state.screen, Screen::Locked), "no next sign-in: {:?}", state.screen);
    }

    #[test]
    fn a_managers_unlock_and_lock_and_a_fault_each_keep_the_kiosk_closed_while_they_last() {
        let mut state = fixtures::locked();
        update(&mut state, Event::Faults(disk_full()));
        update(&mut state, Event::Control(ControlId(1), Request::Unlock));
        assert!(matches!(state.screen, Screen::Locked), "still unable to audit");
        assert_eq!(state.label(), "out-of-service");
        update(&mut state, Event::Control(ControlId(2), Request::Lock { message: None }));
        update(&mut state, Event::Faults(Faults::default()));
        assert!(matches!(state.screen, Screen::Locked), "the manager's lock holds");
        assert_eq!(state.label(), "locked");
    }

    #[test]
    fn status_reports_what_cant_be_written() {
        let mut state = fixtures::fresh();
        let faults = Faults { audit_log: None, state_dir: Some("/run/shiftkey: Read-only file system".into()) };
        update(&mut state, Event::Faults(faults.clone()));
        let effects = update(&mut state, Event::Control(ControlId(1), Request::Status));
        match &effects[..] {
            [Effect::AnswerStatus(_, report)] => {
                assert_eq!(report.faults, faults);
                assert_eq!(report.state, "out-of-service");
            }
            other => panic!("{other:?}"),
        }
    }
}
