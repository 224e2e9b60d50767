//! The step-away lock: the worker chooses a PIN (typed twice; short or trivial ones refused),
//! the session is covered until it is typed again, and too many wrong ones sign the worker out.
//! Hashing and comparing are slow on purpose, so they are effects whose results come back as
//! events (`PinSealed`, `PinChecked`).
//!
//! Keys typed at the lock are not activity: the idle timeout and the maximum duration run on
//! while the session is locked, so a lock never keeps a session alive.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;

use crate::kiosk::state::*;
use crate::pin::{self, PinEntry, PinHash};
use crate::session::SignOutReason;

/// The lock key in a session: choose a PIN.
pub fn open(session: &mut SessionStatus) {
    session.pin = Some(PinLock::Choosing { first: None, entry: PinEntry::default(), problem: None });
}

/// Whether the session on screen is behind the lock (or its PIN is being chosen).
pub fn is_up(state: &State) -> bool {
    matches!(&state.screen, Screen::Session(session) if session.pin.is_some())
}

/// A key while the lock is up.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let (now, attempts) = (state.now, state.settings.pin_attempts);
    let sign_out = KeyCode::F(state.settings.sign_out_key.0);
    let Screen::Session(session) = &mut state.screen else { return Vec::new() };
    let Some(lock) = &mut session.pin else { return Vec::new() };
    match lock {
        PinLock::Choosing { first, entry, problem } => {
            // Choosing a PIN is the worker at the kiosk: that is activity.
            session.last_input = now;
            match key.code {
                code if code == sign_out => sign_out_from_lock(state, SignOutReason::SignOutKey),
                KeyCode::Esc => {
                    session.pin = None;
                    Vec::new()
                }
                KeyCode::Char(c) => {
                    if entry.push(c) {
                        *problem = None;
                    }
                    Vec::new()
                }
                KeyCode::Backspace => {
                    entry.pop();
                    Vec::new()
                }
                KeyCode::Enter => {
                    let chosen = entry.take();
                    match first.take() {
                        None => match pin::check_choice(&chosen) {
                            Ok(()) => *first = Some(chosen),
                            Err(rule) => *problem = Some(PinProblem::Rule(rule)),
                        },
                        Some(earlier) if earlier == chosen => {
                            let phone = session.phone_masked.clone();
                            session.pin = Some(PinLock::Locked {
                                hash: None,
                                entry: PinEntry::default(),
                                attempts_left: attempts,
                                checking: false,
                                problem: None,
                            });
                            return vec![
                                Effect::SealPin(chosen),
                                Effect::Audit { event: "session_locked", detail: json!({ "phone": phone }) },
                            ];
                        }
                        Some(_) => *problem = Some(PinProblem::Mismatch),
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
        PinLock::Locked { hash, entry, checking, .. } => match key.code {
            code if code == sign_out => sign_out_from_lock(state, SignOutReason::NotYou),
            // One PIN at a time: keys wait while the last one is compared.
            _ if *checking => Vec::new(),
            KeyCode::Char(c) => {
                entry.push(c);
                Vec::new()
            }
            KeyCode::Backspace => {
                entry.pop();
                Vec::new()
            }
            KeyCode::Esc => {
                entry.clear();
                Vec::new()
            }
            KeyCode::Enter if !entry.is_empty() => {
                *checking = true;
                match hash {
                    Some(hash) => vec![Effect::CheckPin { hash: hash.clone(), entry: entry.take() }],
                    // Compared as soon as the hash is made (`on_sealed`).
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        },
    }
}

fn sign_out_from_lock(state: &mut State, reason: SignOutReason) -> Vec<Effect> {
    state.screen = Screen::SigningOut;
    vec![Effect::Teardown(reason)]
}

/// The PIN's hash is made: the lock keeps it, and compares a PIN typed meanwhile.
pub fn on_sealed(state: &mut State, sealed: PinHash) -> Vec<Effect> {
    let Screen::Session(SessionStatus {
        pin: Some(PinLock::Locked { hash: hash @ None, entry, checking, .. }), ..
    }) = &mut state.screen
    else {
        // The session ended (or the lock went) while it was made: nothing to keep.
        return Vec::new();
    };
    *hash = Some(sealed.clone());
    if *checking { vec![Effect::CheckPin { hash: sealed, entry: entry.take() }] } else { Vec::new() }
}

/// A typed PIN was compared: the right one opens the session; wrong ones count down to sign-out.
pub fn on_checked(state: &mut State, right: bool) -> Vec<Effect> {
    let now = state.now;
    let Screen::Session(session) = &mut state.screen else { return Vec::new() };
    let Some(PinLock::Locked { attempts_left, checking: checking @ true, problem, .. }) = &mut session.pin else {
        return Vec::new();
    };
    *checking = false;
    let phone = session.phone_masked.clone();
    if right {
        session.pin = None;
        session.last_input = now;
        return vec![Effect::Audit { event: "session_unlocked", detail: json!({ "phone": phone }) }];
    }
    *attempts_left = attempts_left.saturating_sub(1);
    let left = *attempts_left;
    *problem = Some(PinProblem::Wrong { attempts_left: left });
    let mut effects =
        vec![Effect::Audit { event: "pin_wrong", detail: json!({ "phone": phone, "attempts_left": left }) }];
    if left == 0 {
        effects.extend(sign_out_from_lock(state, SignOutReason::PinFailed));
    }
    effects
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use super::*;
    use crate::control::protocol::Request;
    use crate::kiosk::fixtures::{self, press, try_pin, type_text};
    use crate::kiosk::update::update;

    fn lock(state: &State) -> &PinLock {
        match &state.screen {
            Screen::Session(SessionStatus { pin: Some(lock), .. }) => lock,
            other => panic!("no lock up: {other:?}"),
        }
    }

    fn teardown_reason(effects: &[Effect]) -> Option<SignOutReason> {
        effects.iter().find_map(|effect| match effect {
            Effect::Teardown(reason) => Some(*reason),
            _ => None,
        })
    }

    fn audited(effects: &[Effect], name: &str) -> bool {
        effects.iter().any(|effect| matches!(effect, Effect::Audit { event, .. } if *event == name))
    }

    #[test]
    fn the_lock_key_asks_for_a_pin_and_its_keys_never_reach_the_session() {
        let mut state = fixtures::in_session();
        assert!(press(&mut state, KeyCode::F(11)).is_empty());
        let effects = type_text(&mut state, "86");
        assert!(effects.is_empty(), "digits for the PIN are not the session's: {effects:?}");
        assert!(matches!(lock(&state), PinLock::Choosing { entry, .. } if entry.len() == 2));
        press(&mut state, KeyCode::Esc);
        assert!(!is_up(&state), "Esc goes back to the session");
        assert!(matches!(type_text(&mut state, "x")[..], [Effect::ForwardKey(_)]));
    }

    #[test]
    fn short_trivial_and_mismatched_pins_are_refused() {
        let mut state = fixtures::pin_choosing("135");
        press(&mut state, KeyCode::Enter);
        assert!(matches!(
            lock(&state),
            PinLock::Choosing { problem: Some(PinProblem::Rule(pin::PinRule::TooShort)), first: None, .. }
        ));
        type_text(&mut state, "1111");
        press(&mut state, KeyCode::Enter);
        assert!(matches!(
            lock(&state),
            PinLock::Choosing { problem: Some(PinProblem::Rule(pin::PinRule::Trivial)), first: None, .. }
        ));
        type_text(&mut state, "8642");
        press(&mut state, KeyCode::Enter);
        type_text(&mut state, "8643");
        let effects = press(&mut state, KeyCode::Enter);
        assert!(effects.is_empty(), "{effects:?}");
        assert!(matches!(lock(&state), PinLock::Choosing { problem: Some(PinProblem::Mismatch), first: None, .. }));
    }

    #[test]
    fn the_confirmed_pin_is_sealed_and_the_right_one_opens_the_session() {
        let mut state = fixtures::pin_choosing("8642");
        press(&mut state, KeyCode::Enter);
        type_text(&mut state, "8642");
        let effects = press(&mut state, KeyCode::Enter);
        assert!(effects.iter().any(|effect| matches!(effect, Effect::SealPin(entry) if entry.len() == 4)));
        assert!(audited(&effects, "session_locked"));
        assert!(matches!(lock(&state), PinLock::Locked { hash: None, attempts_left: 3, .. }));
        // Nothing of the PIN in the state's Debug output.
        assert!(!format!("{state:?}").contains("8642"));

        let mut state = fixtures::pin_locked("8642");
        let effects = try_pin(&mut state, "8642");
        assert!(audited(&effects, "session_unlocked"), "{effects:?}");
        assert!(!is_up(&state));
        assert!(matches!(type_text(&mut state, "x")[..], [Effect::ForwardKey(_)]));
    }

    #[test]
    fn a_pin_typed_before_its_hash_is_made_is_compared_once_it_is() {
        let mut state = fixtures::pin_choosing("8642");
        press(&mut state, KeyCode::Enter);
        type_text(&mut state, "8642");
        let effects = press(&mut state, KeyCode::Enter);
        let Some(Effect::SealPin(chosen)) = effects.into_iter().find(|e| matches!(e, Effect::SealPin(_))) else {
            panic!("not sealed")
        };
        type_text(&mut state, "8642");
        assert!(press(&mut state, KeyCode::Enter).is_empty(), "nothing to compare with yet");
        assert!(type_text(&mut state, "9").is_empty());
        let effects = update(&mut state, Event::PinSealed(pin::seal(&chosen)));
        let [Effect::CheckPin { hash, entry }] = &effects[..] else { panic!("{effects:?}") };
        assert!(hash.matches(entry), "the PIN typed while waiting, without the key typed after Enter");
    }

    #[test]
    fn wrong_pins_count_down_to_a_full_sign_out() {
        let mut state = fixtures::pin_locked("8642");
        let effects = try_pin(&mut state, "1357");
        assert!(audited(&effects, "pin_wrong") && teardown_reason(&effects).is_none());
        assert!(matches!(lock(&state), PinLock::Locked { problem: Some(PinProblem::Wrong { attempts_left: 2 }), .. }));
        try_pin(&mut state, "13579");
        let effects = try_pin(&mut state, "000000");
        assert_eq!(teardown_reason(&effects), Some(SignOutReason::PinFailed));
        assert!(matches!(state.screen, Screen::SigningOut));
    }

    #[test]
    fn not_you_signs_the_locked_worker_out() {
        let mut state = fixtures::pin_locked("8642");
        let effects = press(&mut state, KeyCode::F(12));
        assert_eq!(teardown_reason(&effects), Some(SignOutReason::NotYou));
    }

    #[test]
    fn the_idle_timeout_runs_on_while_locked_and_keys_at_the_lock_dont_hold_it() {
        let mut state = fixtures::pin_locked("8642");
        let limits = state.settings.limits;
        let deadline = match &state.screen {
            Screen::Session(session) => session.idle_deadline(&limits),
            _ => unreachable!(),
        };
        let almost = deadline - Duration::from_secs(1);
        update(&mut state, Event::Tick(almost));
        type_text(&mut state, "12");
        let effects = update(&mut state, Event::Tick(deadline));
        assert_eq!(teardown_reason(&effects), Some(SignOutReason::IdleTimeout));
    }

    #[test]
    fn a_manager_reset_ends_a_locked_session() {
        let mut state = fixtures::pin_locked("8642");
        let effects = update(&mut state, Event::Control(ControlId(1), Request::Reset { reason: None }));
        assert_eq!(teardown_reason(&effects), Some(SignOutReason::ManagerReset));
    }
}
