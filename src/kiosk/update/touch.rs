//! Taps and other mouse input. A tap is a left press and a left release on the same target (as
//! foot sends a touch): the press highlights the target, the release activates it, a release
//! anywhere else cancels. A target does what the key it stands for does (a keypad digit types
//! it, "New code" is R, "Change number" is Esc); the view says where targets are
//! (`view::targets`). In a session the mouse is the session's: passed on when its program asked
//! for it. Any mouse input is activity for every idle timer — except at the step-away lock,
//! where a tap is what its key is, and keys there are no activity (`pin`).
//!
//! Which mouse reports the kiosk's terminal sends is decided here too (`mouse_reporting`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use vt100::MouseProtocolMode;

use super::{language, manager};
use crate::kiosk::state::{Effect, KeypadKey, ManagerStage, Screen, SessionStatus, State, Target, menu};
use crate::kiosk::view::{session_area, targets};

/// Mouse input at (`mouse.column`, `mouse.row`) of a screen of `area`.
pub fn on_mouse(state: &mut State, mouse: MouseEvent, area: Rect) -> Vec<Effect> {
    let now = state.now;
    state.last_key_at = now;
    if let Some(manager) = &mut state.manager {
        manager.last_key = now;
    } else if let Screen::Session(session @ SessionStatus { pin: None, .. }) = &mut state.screen {
        let warned = session.idle_warning_shown(&state.settings.limits, now);
        session.last_input = now;
        // A tap that cancels the idle warning is not meant for the session, nor is one on the
        // status bar.
        let in_session = session_area(area).contains(Position::new(mouse.column, mouse.row));
        return if warned || !in_session { Vec::new() } else { vec![Effect::ForwardMouse(mouse)] };
    }
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            state.pressed = targets::hit(state, area, mouse.column, mouse.row);
            Vec::new()
        }
        MouseEventKind::Up(MouseButton::Left) => {
            let pressed = state.pressed.take();
            match targets::hit(state, area, mouse.column, mouse.row) {
                Some(target) if Some(target) == pressed => activate(state, target),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// A tap on `target`: what its key does, or what choosing its row does.
fn activate(state: &mut State, target: Target) -> Vec<Effect> {
    let key = match target {
        Target::Key(KeypadKey::Digit(c) | KeypadKey::Letter(c)) => KeyCode::Char(c),
        Target::Key(KeypadKey::Backspace) => KeyCode::Backspace,
        Target::Key(KeypadKey::Enter) => KeyCode::Enter,
        Target::NewCode => KeyCode::Char('r'),
        Target::ChangeNumber | Target::BackToCode => KeyCode::Esc,
        Target::Way(way) => way.key(&state.settings),
        Target::CodeOption(option) => option.key(),
        Target::Plus => KeyCode::Char('+'),
        Target::Languages => return language::open_menu(state),
        Target::Language(row) => {
            if let Some(picked) = state.settings.languages.get(row).copied() {
                language::choose(state, picked);
            }
            return Vec::new();
        }
        Target::MenuItem(row) => {
            let Some(item) = menu(&state.settings).get(row).copied() else { return Vec::new() };
            if let Some(ManagerStage::Menu { selected }) = state.manager.as_mut().map(|m| &mut m.stage) {
                *selected = row;
            }
            return manager::choose(state, item);
        }
        // A preset locks at once, as its row and Enter would; the last row (a message of one's
        // own) is only chosen: it is typed.
        Target::LockMessage(row) => {
            if let Some(ManagerStage::LockMessage { selected, .. }) = state.manager.as_mut().map(|m| &mut m.stage) {
                *selected = row;
            }
            if row >= state.settings.lock_presets.len() {
                return Vec::new();
            }
            KeyCode::Enter
        }
    };
    super::on_key(state, KeyEvent::new(key, KeyModifiers::NONE))
}

/// Which mouse events the kiosk's terminal should report now: presses and releases where the
/// kiosk has targets (a sign-in form, the manager screens, the step-away lock over a session) or
/// an idle warning a tap dismisses; in a session, what its program asked for (`session`: none,
/// unless it asked); else none.
pub fn mouse_reporting(state: &State, session: MouseProtocolMode) -> MouseProtocolMode {
    let taps = MouseProtocolMode::PressRelease;
    if state.manager.is_some() {
        return taps;
    }
    match &state.screen {
        Screen::Phone(_) | Screen::Code(_) => taps,
        Screen::Session(status) if status.pin.is_some() => taps,
        Screen::Session(status) if status.idle_warning_shown(&state.settings.limits, state.now) => taps,
        Screen::Session(_) => session,
        Screen::Welcome { .. } | Screen::SigningOut | Screen::SignedOut { .. } | Screen::Locked => {
            MouseProtocolMode::None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;
    use ratatui::layout::Position;

    use super::*;
    use crate::kiosk::fixtures::{self, SCREEN, press, tap, touch};
    use crate::kiosk::state::{Event, MenuItem};
    use crate::kiosk::update::update;
    use crate::locale::Language;

    fn key(digit: char) -> Target {
        Target::Key(KeypadKey::Digit(digit))
    }

    fn typed(state: &State) -> &str {
        match &state.screen {
            Screen::Phone(form) => form.input.as_str(),
            Screen::Code(form) => form.digits.as_str(),
            other => panic!("not a form: {other:?}"),
        }
    }

    /// The middle of `target` on the 80x24 screen.
    fn middle(state: &State, target: Target) -> (u16, u16) {
        let (_, place) = targets::targets(state, SCREEN).into_iter().find(|(t, _)| *t == target).unwrap();
        (place.x + place.width / 2, place.y + place.height / 2)
    }

    #[test]
    fn keypad_taps_type_the_number_and_enter_asks_for_the_code() {
        let mut state = fixtures::fresh();
        for digit in "2065550199".chars() {
            assert!(tap(&mut state, key(digit)).is_empty());
        }
        tap(&mut state, Target::Key(KeypadKey::Backspace));
        tap(&mut state, key('0'));
        assert_eq!(typed(&state), "2065550190");
        let effects = tap(&mut state, Target::Key(KeypadKey::Enter));
        assert!(effects.iter().any(|e| matches!(e, Effect::SendCode { .. })), "{effects:?}");
        // While it is sent the number can't change, by tap as by key.
        tap(&mut state, key('1'));
        assert!(matches!(&state.screen, Screen::Phone(form) if form.sending() && form.input.as_str() == "2065550190"));
        let sent = effects;
        fixtures::code_sent(&mut state, &sent, Ok(fixtures::challenge()));
        let effects: Vec<Effect> = "12345".chars().flat_map(|digit| tap(&mut state, key(digit))).collect();
        assert!(effects.is_empty() && typed(&state) == "12345");
        let effects = tap(&mut state, key('6'));
        assert!(matches!(effects[..], [Effect::Verify { .. }]), "the sixth digit checks the code: {effects:?}");
    }

    #[test]
    fn a_press_highlights_and_only_a_release_on_the_same_target_activates_it() {
        let mut state = fixtures::fresh();
        let (five, six) = (middle(&state, key('5')), middle(&state, key('6')));
        touch(&mut state, five.0, five.1, false);
        assert_eq!(state.pressed, Some(key('5')), "highlighted while pressed");
        touch(&mut state, six.0, six.1, true);
        assert_eq!((state.pressed, typed(&state)), (None, ""), "released on another key: cancelled");
        touch(&mut state, five.0, five.1, false);
        touch(&mut state, 0, 0, true);
        assert_eq!((state.pressed, typed(&state)), (None, ""), "released outside: cancelled");
        touch(&mut state, 0, 0, false);
        touch(&mut state, five.0, five.1, true);
        assert_eq!(typed(&state), "", "a release alone is no tap");
        // Anywhere on the key counts, its frame too.
        let (_, place) = targets::targets(&state, SCREEN).into_iter().find(|(t, _)| *t == key('5')).unwrap();
        touch(&mut state, place.x, place.y, false);
        touch(&mut state, place.right() - 1, place.bottom() - 1, true);
        assert_eq!(typed(&state), "5");
    }

    #[test]
    fn taps_outside_the_targets_change_nothing() {
        for mut state in [fixtures::phone_typed(), fixtures::code_screen(), fixtures::manager_menu()] {
            let places: Vec<Rect> = targets::targets(&state, SCREEN).into_iter().map(|(_, place)| place).collect();
            let before = format!("{:?}", state.screen);
            for (column, row) in (0..SCREEN.height).flat_map(|row| (0..SCREEN.width).map(move |column| (column, row))) {
                if places.iter().any(|place| place.contains(Position::new(column, row))) {
                    continue;
                }
                let mut effects = touch(&mut state, column, row, false);
                effects.extend(touch(&mut state, column, row, true));
                assert!(effects.is_empty(), "a tap at {column},{row}: {effects:?}");
                assert_eq!(state.pressed, None);
            }
            assert_eq!(format!("{:?}", state.screen), before);
            assert!(matches!(
                state.manager.as_ref().map(|m| &m.stage),
                None | Some(ManagerStage::Menu { selected: 0 })
            ));
        }
    }

    #[test]
    fn the_code_screen_s_buttons_are_a_new_code_and_a_change_of_number() {
        let mut state = fixtures::code_screen();
        assert!(tap(&mut state, Target::NewCode).is_empty(), "not before the wait is over");
        let later = state.now + Duration::from_secs(31);
        update(&mut state, Event::Tick(later));
        let effects = tap(&mut state, Target::NewCode);
        assert!(matches!(effects[..], [Effect::Resend { .. }]), "{effects:?}");
        tap(&mut state, Target::ChangeNumber);
        assert!(matches!(state.screen, Screen::Phone(_)));
        // The manager's code form has them too.
        let mut state = fixtures::fresh();
        press(&mut state, KeyCode::F(9));
        fixtures::type_text(&mut state, "2065550109");
        let sent = press(&mut state, KeyCode::Enter);
        fixtures::code_sent(&mut state, &sent, Ok(fixtures::challenge()));
        tap(&mut state, Target::ChangeNumber);
        assert!(matches!(state.manager.as_ref().map(|m| &m.stage), Some(ManagerStage::Phone(_))));
    }

    #[test]
    fn the_plus_button_types_a_plus_for_a_number_from_another_country() {
        let mut state = fixtures::fresh();
        assert!(targets::targets(&state, SCREEN).iter().any(|(t, _)| *t == Target::Plus));
        tap(&mut state, Target::Plus);
        fixtures::type_text(&mut state, "447911123456");
        assert!(matches!(&state.screen, Screen::Phone(form) if form.input.as_str() == "+447911123456"));
        // The manager's number screen has it too.
        press(&mut state, KeyCode::F(9));
        assert!(targets::targets(&state, SCREEN).iter().any(|(t, _)| *t == Target::Plus));
    }

    #[test]
    fn the_language_button_opens_the_list_and_a_row_picks() {
        let mut state = fixtures::fresh();
        tap(&mut state, Target::Languages);
        assert!(matches!(&state.screen, Screen::Phone(form) if form.language_menu == Some(0)));
        assert!(
            targets::targets(&state, SCREEN).iter().all(|(t, _)| matches!(t, Target::Language(_))),
            "the list alone"
        );
        tap(&mut state, Target::Language(2));
        assert_eq!(state.language, Language::French);
        assert!(matches!(&state.screen, Screen::Phone(form) if form.language_menu.is_none()));
    }

    #[test]
    fn the_manager_s_menu_and_lock_messages_by_tap() {
        let mut state = fixtures::manager_menu();
        assert!(tap(&mut state, Target::MenuItem(0)).is_empty(), "no session to end: nothing happens");
        let lock = menu(&state.settings).iter().position(|i| *i == MenuItem::Lock).unwrap();
        tap(&mut state, Target::MenuItem(lock));
        assert!(matches!(state.manager.as_ref().map(|m| &m.stage), Some(ManagerStage::LockMessage { .. })));
        let own = state.settings.lock_presets.len();
        assert!(tap(&mut state, Target::LockMessage(own)).is_empty(), "one's own message is typed");
        assert!(state.locked.is_none());
        tap(&mut state, Target::LockMessage(1));
        assert_eq!(state.locked.as_deref(), Some("Closed for cleaning"));
        assert!(state.manager.is_none(), "locking closes the manager screens");
    }

    #[test]
    fn any_mouse_input_is_activity_for_every_idle_timer() {
        let mut state = fixtures::in_session();
        let warned = state.now + Duration::from_secs(250);
        update(&mut state, Event::Tick(warned));
        let limits = state.settings.limits;
        let Screen::Session(session) = &state.screen else { unreachable!() };
        assert!(session.idle_warning_shown(&limits, warned));
        assert!(touch(&mut state, 10, 5, false).is_empty(), "the touch that ends the warning isn't the session's");
        let Screen::Session(session) = &state.screen else { unreachable!() };
        assert!(!session.idle_warning_shown(&limits, warned));
        assert_eq!(state.last_key_at, warned);
        let effects = touch(&mut state, 10, 5, true);
        assert!(matches!(effects[..], [Effect::ForwardMouse(_)]), "{effects:?}");
        assert!(touch(&mut state, 10, SCREEN.height - 1, false).is_empty(), "the status bar isn't the session's");

        let mut state = fixtures::manager_menu();
        let later = state.now + Duration::from_secs(50);
        update(&mut state, Event::Tick(later));
        touch(&mut state, 0, 0, false);
        update(&mut state, Event::Tick(later + Duration::from_secs(50)));
        assert!(state.manager.is_some(), "a touch keeps the manager screens open");
    }

    #[test]
    fn the_step_away_pin_is_typed_on_the_keypad_and_a_tap_at_the_lock_is_no_activity() {
        let pin = |state: &mut State, digits: &str| -> Vec<Effect> {
            let mut effects: Vec<Effect> = digits.chars().flat_map(|digit| tap(state, key(digit))).collect();
            effects.extend(tap(state, Target::Key(KeypadKey::Enter)));
            effects
        };
        let mut state = fixtures::pin_choosing("");
        pin(&mut state, "4827");
        let effects = pin(&mut state, "4827");
        assert!(effects.iter().any(|e| matches!(e, Effect::SealPin(_))), "chosen and confirmed: {effects:?}");
        let mut state = fixtures::pin_locked("4827");
        let Screen::Session(before) = &state.screen else { unreachable!() };
        let idle_since = before.last_input;
        state.now += Duration::from_secs(30);
        assert_eq!(mouse_reporting(&state, MouseProtocolMode::AnyMotion), MouseProtocolMode::PressRelease);
        let effects = pin(&mut state, "4827");
        assert!(matches!(effects[..], [Effect::CheckPin { .. }]), "the PIN is checked: {effects:?}");
        assert!(!effects.iter().any(|e| matches!(e, Effect::ForwardMouse(_))), "nothing reaches the covered session");
        let Screen::Session(after) = &state.screen else { unreachable!() };
        assert_eq!(after.last_input, idle_since, "typing at the lock keeps no session alive, by tap as by key");
    }

    #[test]
    fn the_terminal_reports_taps_on_the_kiosk_s_screens_and_the_session_s_own_choice_in_it() {
        let taps = MouseProtocolMode::PressRelease;
        let any = MouseProtocolMode::AnyMotion;
        assert_eq!(mouse_reporting(&fixtures::fresh(), any), taps);
        assert_eq!(mouse_reporting(&fixtures::code_screen(), MouseProtocolMode::None), taps);
        assert_eq!(mouse_reporting(&fixtures::manager_menu(), MouseProtocolMode::None), taps);
        assert_eq!(mouse_reporting(&fixtures::locked(), any), MouseProtocolMode::None);
        let mut state = fixtures::in_session();
        assert_eq!(mouse_reporting(&state, MouseProtocolMode::None), MouseProtocolMode::None);
        assert_eq!(mouse_reporting(&state, any), any);
        press(&mut state, KeyCode::F(9));
        assert_eq!(mouse_reporting(&state, MouseProtocolMode::None), taps, "the manager screens over a session");
        press(&mut state, KeyCode::F(9));
        let warned = state.now + Duration::from_secs(250);
        update(&mut state, Event::Tick(warned));
        assert_eq!(mouse_reporting(&state, MouseProtocolMode::None), taps, "a tap ends the idle warning");
        press(&mut state, KeyCode::F(12));
        assert_eq!(mouse_reporting(&state, any), MouseProtocolMode::None, "signing out");
    }
}
