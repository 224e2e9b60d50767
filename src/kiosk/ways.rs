//! The ways on from a code screen when the code is slow to come: once the resend countdown
//! ends, a new text and (where the backend can call) a call; once the worker has waited
//! `STILL_WAITING_AFTER` with nothing typed ("Still waiting?"), asking a store manager too.
//! One list, read by `update` (what a key or a tap does) and by the view (what is drawn, and
//! where its rows are tapped), so both see the same ways. Another way is one more `WayOn`.
//! Plain reading of state: no clock of its own (`now` is the state's).

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;

pub use super::state::WayOn;
use super::state::{CodeForm, Settings};

/// How long after a code went out, with nothing typed, the screen asks "Still waiting?".
pub const STILL_WAITING_AFTER: Duration = Duration::from_secs(30);

impl WayOn {
    /// The key that takes this way; a tap on its row presses it.
    pub fn key(self, settings: &Settings) -> KeyCode {
        match self {
            WayOn::NewCode => KeyCode::Char('r'),
            WayOn::CallMe => KeyCode::Char('c'),
            WayOn::AskManager => KeyCode::F(settings.manager_key.0),
        }
    }
}

/// Whether the code screen asks "Still waiting?": the code went out `STILL_WAITING_AFTER` ago,
/// nothing was typed, nothing is under way, and the code still works.
pub fn still_waiting(form: &CodeForm, now: Instant) -> bool {
    now >= form.sent_at + STILL_WAITING_AFTER && !form.typed && idle(form, now)
}

/// Nothing under way and the code alive: the form can take another way.
fn idle(form: &CodeForm, now: Instant) -> bool {
    form.verifying.is_none() && form.resending.is_none() && !form.dead(now)
}

/// The ways the worker's code screen lists now, in order.
pub fn offered(form: &CodeForm, settings: &Settings, now: Instant) -> Vec<WayOn> {
    let mut ways = Vec::new();
    // Typing a pass instead: its letters include R and C, and its own row leads back.
    if !idle(form, now) || form.pass.is_some() {
        return ways;
    }
    if now >= form.resend_at {
        ways.push(WayOn::NewCode);
        if settings.voice {
            ways.push(WayOn::CallMe);
        }
    }
    if still_waiting(form, now) {
        ways.push(WayOn::AskManager);
    }
    ways
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::*;
    use crate::api_types::Channel;
    use crate::auth::AuthError;
    use crate::kiosk::fixtures::{self, SCREEN, code_screen_waited, press, tap};
    use crate::kiosk::state::{CodeNotice, Effect, Event, Screen, State, Target};
    use crate::kiosk::update::update;
    use crate::kiosk::view::targets;

    fn form(state: &State) -> &CodeForm {
        match &state.screen {
            Screen::Code(form) => form,
            other => panic!("expected the code screen, got {other:?}"),
        }
    }

    fn wait(state: &mut State, by: Duration) {
        let later = state.now + by;
        update(state, Event::Tick(later));
    }

    fn offered_now(state: &State) -> Vec<WayOn> {
        offered(form(state), &state.settings, state.now)
    }

    fn way_targets(state: &State) -> Vec<WayOn> {
        targets::targets(state, SCREEN)
            .into_iter()
            .filter_map(|(target, _)| match target {
                Target::Way(way) => Some(way),
                _ => None,
            })
            .collect()
    }

    fn voice_kiosk() -> State {
        fixtures::code_screen_with(crate::kiosk::state::Settings { voice: true, ..fixtures::settings() })
    }

    #[test]
    fn voice_call_me_is_offered_only_after_the_countdown_by_key_and_by_tap() {
        let mut state = voice_kiosk();
        assert!(press(&mut state, KeyCode::Char('c')).is_empty(), "not during the countdown");
        assert_eq!(offered_now(&state), []);
        assert_eq!(way_targets(&state), []);
        wait(&mut state, Duration::from_secs(29));
        assert!(press(&mut state, KeyCode::Char('c')).is_empty(), "a second before its end");
        wait(&mut state, Duration::from_secs(1));
        assert_eq!(offered_now(&state)[..2], [WayOn::NewCode, WayOn::CallMe], "beside a new text");
        let effects = press(&mut state, KeyCode::Char('c'));
        assert!(
            matches!(&effects[..], [Effect::Resend { channel: Channel::Voice, challenge_id, .. }] if challenge_id == "c")
        );
        assert_eq!(offered_now(&state), [], "nothing else while it is asked for");
        fixtures::code_sent(&mut state, &effects, Ok(fixtures::challenge()));
        assert_eq!(form(&state).notice, Some(CodeNotice::Calling));
        // The prompt says how this code came: read out, not texted.
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| crate::kiosk::view::draw(frame, &state, None)).unwrap();
        let screen = terminal.backend().to_string();
        assert!(screen.contains("code we read out to") && !screen.contains("texted"), "{screen}");
        assert!(press(&mut state, KeyCode::Char('c')).is_empty(), "a new countdown for the next");

        // By tap, on its row.
        wait(&mut state, Duration::from_secs(30));
        assert!(way_targets(&state).contains(&WayOn::CallMe));
        let effects = tap(&mut state, Target::Way(WayOn::CallMe));
        assert!(matches!(&effects[..], [Effect::Resend { channel: Channel::Voice, .. }]), "{effects:?}");
        // A refused call says why, as a refused text does.
        let busy = AuthError::RateLimited { retry_after: Duration::from_secs(40) };
        fixtures::code_sent(&mut state, &effects, Err(busy));
        assert_eq!(form(&state).notice, Some(CodeNotice::RateLimited { seconds: 40 }));
        // A new text by its row too.
        wait(&mut state, Duration::from_secs(40));
        let effects = tap(&mut state, Target::Way(WayOn::NewCode));
        assert!(matches!(&effects[..], [Effect::Resend { channel: Channel::Sms, .. }]), "{effects:?}");
    }

    #[test]
    fn voice_a_backend_that_can_t_call_never_offers_it() {
        let mut state = fixtures::code_screen();
        assert!(!state.settings.voice, "off unless the backend says it calls");
        wait(&mut state, Duration::from_secs(31));
        assert!(!offered_now(&state).contains(&WayOn::CallMe));
        assert!(!way_targets(&state).contains(&WayOn::CallMe));
        assert!(press(&mut state, KeyCode::Char('c')).is_empty());
        assert!(matches!(&press(&mut state, KeyCode::Char('r'))[..], [Effect::Resend { channel: Channel::Sms, .. }]));
    }

    #[test]
    fn still_waiting_comes_30_s_after_the_code_with_nothing_typed() {
        let mut state = voice_kiosk();
        wait(&mut state, STILL_WAITING_AFTER - Duration::from_millis(1));
        assert!(!still_waiting(form(&state), state.now));
        wait(&mut state, Duration::from_millis(1));
        assert!(still_waiting(form(&state), state.now));
        assert_eq!(offered_now(&state), [WayOn::NewCode, WayOn::CallMe, WayOn::AskManager]);
        assert_eq!(way_targets(&state), [WayOn::NewCode, WayOn::CallMe, WayOn::AskManager], "each a tap target");

        // A digit typed: the code came, no "Still waiting?" (the ways to a new code stay).
        let typed = code_screen_waited(fixtures::settings(), "4", Duration::from_secs(45));
        assert!(!still_waiting(form(&typed), typed.now));
        assert_eq!(offered(form(&typed), &typed.settings, typed.now), [WayOn::NewCode, WayOn::CallMe]);

        // A new code starts the wait again.
        let effects = press(&mut state, KeyCode::Char('r'));
        fixtures::code_sent(&mut state, &effects, Ok(fixtures::challenge()));
        assert!(!still_waiting(form(&state), state.now));
        wait(&mut state, STILL_WAITING_AFTER);
        assert!(still_waiting(form(&state), state.now));

        // Asking a manager opens the manager screens, as the manager key does.
        tap(&mut state, Target::Way(WayOn::AskManager));
        assert!(state.manager.is_some());
    }

    #[test]
    fn still_waiting_is_not_asked_of_a_dead_code() {
        let state = code_screen_waited(fixtures::settings(), "", Duration::from_secs(300));
        assert!(!still_waiting(form(&state), state.now));
        assert_eq!(offered(form(&state), &state.settings, state.now), [], "Enter makes a new sign-in");
    }

    #[test]
    fn still_waiting_says_the_last_digits_and_the_ways_with_their_keys() {
        let state = code_screen_waited(fixtures::settings(), "", Duration::from_secs(31));
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| crate::kiosk::view::draw(frame, &state, None)).unwrap();
        let screen = terminal.backend().to_string();
        for text in [
            "Still waiting for the code?",
            "ending in 0100",
            "[R] Text me a new code",
            "[C] Call me with the code",
            "[F9] Ask a store manager",
        ] {
            assert!(screen.contains(text), "{text:?} not in\n{screen}");
        }
    }
}
