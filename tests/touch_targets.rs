//! Where the tap targets are, screen by screen: a map of them at 80x24 (snapshots), every
//! keypad key at least 5x3 (a pass keyboard's 3x3), none overlapping another, each one around
//! what is drawn for it, and none where the keypad doesn't fit.

use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::{Position, Rect};
use shiftkey::kiosk::fixtures::{self, press, type_text};
use shiftkey::kiosk::state::{KeypadKey, Settings, State, Target};
use shiftkey::kiosk::view::{self, targets};
use shiftkey::kiosk::ways::WayOn;

/// Every screen with targets, built as events build them.
fn screens() -> Vec<(&'static str, State)> {
    let mut list = fixtures::phone_typed();
    press(&mut list, KeyCode::F(2));
    let mut manager_phone = fixtures::fresh();
    press(&mut manager_phone, KeyCode::F(9));
    let mut manager_code = fixtures::fresh();
    press(&mut manager_code, KeyCode::F(9));
    type_text(&mut manager_code, "2065550109");
    let sent = press(&mut manager_code, KeyCode::Enter);
    fixtures::code_sent(&mut manager_code, &sent, Ok(fixtures::challenge()));
    let mut lock_message = fixtures::manager_menu();
    press(&mut lock_message, KeyCode::Char('2'));
    let passes = || Settings { passes: true, issues_passes: true, ..fixtures::settings() };
    let mut pass_field = fixtures::code_screen_with(passes());
    press(&mut pass_field, KeyCode::Char('p'));
    let mut pass_for = fixtures::manager_menu_with(passes());
    press(&mut pass_for, KeyCode::Char('5'));
    vec![
        ("phone", fixtures::phone_typed()),
        ("code", fixtures::code_screen()),
        ("code_still_waiting", fixtures::code_screen_waited(fixtures::settings(), "", Duration::from_secs(31))),
        ("language_list", list),
        ("manager_phone", manager_phone),
        ("manager_code", manager_code),
        ("manager_menu", fixtures::manager_menu()),
        ("manager_lock_message", lock_message),
        ("code_pass_offered", fixtures::code_screen_with(passes())),
        ("code_pass_field", pass_field),
        ("manager_menu_with_passes", fixtures::manager_menu_with(passes())),
        ("manager_pass_for", pass_for),
    ]
}

/// A letter for each target: what the map shows in its cells.
fn letter(target: Target) -> char {
    match target {
        Target::Key(KeypadKey::Digit(digit)) => digit,
        // Lower case: the pass keyboard's E and B aren't Enter and Back to the code.
        Target::Key(KeypadKey::Letter(letter)) => letter.to_ascii_lowercase(),
        Target::Key(KeypadKey::Backspace) => '<',
        Target::Key(KeypadKey::Enter) => 'E',
        Target::NewCode => 'N',
        Target::ChangeNumber => 'C',
        Target::Languages => 'L',
        Target::Plus => '+',
        Target::Language(row) => (b'a' + row as u8) as char,
        Target::MenuItem(row) => (b'm' + row as u8) as char,
        Target::LockMessage(row) => (b'w' + row as u8) as char,
        Target::Way(WayOn::NewCode) => 'R',
        Target::Way(WayOn::CallMe) => 'V',
        Target::Way(WayOn::AskManager) => 'M',
        Target::CodeOption(_) => 'P',
        Target::BackToCode => 'B',
    }
}

/// The screen with each target's cells in its letter, `.` where there is none.
fn map(state: &State, area: Rect) -> String {
    let mut rows = vec![vec!['.'; usize::from(area.width)]; usize::from(area.height)];
    for (target, place) in targets::targets(state, area) {
        for y in place.top()..place.bottom() {
            for x in place.left()..place.right() {
                rows[usize::from(y)][usize::from(x)] = letter(target);
            }
        }
    }
    rows.into_iter().map(|row| row.into_iter().collect::<String>()).collect::<Vec<_>>().join("\n")
}

fn drawn(state: &State, area: Rect) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    terminal.draw(|frame| view::draw(frame, state, None)).unwrap();
    terminal
}

/// The text drawn inside `place`, without its blanks (a wide character's second cell is one).
fn text_in(terminal: &Terminal<TestBackend>, place: Rect) -> String {
    let buffer = terminal.backend().buffer();
    (place.top()..place.bottom())
        .flat_map(|y| (place.left()..place.right()).map(move |x| (x, y)))
        .map(|(x, y)| buffer[(x, y)].symbol().to_string())
        .collect::<String>()
        .split_whitespace()
        .collect()
}

#[test]
fn the_targets_at_80x24() {
    let area = fixtures::SCREEN;
    for (name, state) in screens() {
        let found = targets::targets(&state, area);
        assert!(!found.is_empty(), "{name} has no targets");
        insta::assert_snapshot!(format!("targets_{name}"), map(&state, area));
        for (index, (target, place)) in found.iter().enumerate() {
            assert!(
                area.contains(place.as_position()) && place.right() <= area.right() && place.bottom() <= area.bottom()
            );
            if let Target::Key(_) = target {
                // The pass keyboard's 33 keys share the keypad's 23 columns: 3 wide.
                let width = if name == "code_pass_field" { 3 } else { 5 };
                assert!(
                    place.width >= width && place.height >= 3,
                    "{name}: {target:?} is {}x{}",
                    place.width,
                    place.height
                );
            }
            for (other, other_place) in &found[index + 1..] {
                assert!(
                    !place.intersects(*other_place),
                    "{name}: {target:?} {place:?} overlaps {other:?} {other_place:?}"
                );
            }
        }
        // Each target is around what is drawn for it, and a tap anywhere in it finds it.
        let terminal = drawn(&state, area);
        for (target, place) in &found {
            let text = text_in(&terminal, *place);
            let label = match target {
                Target::Key(KeypadKey::Digit(c) | KeypadKey::Letter(c)) => c.to_string(),
                Target::Key(KeypadKey::Backspace) => "⌫".into(),
                Target::Key(KeypadKey::Enter) => "Enter".into(),
                Target::NewCode => "New code".into(),
                Target::ChangeNumber => "Change number".into(),
                Target::Languages => "Language".into(),
                Target::Plus => "+ Country code".into(),
                Target::Language(row) => state.settings.languages[*row].native_name().into(),
                Target::MenuItem(row) => format!("{}. ", row + 1),
                Target::LockMessage(row) => match state.settings.lock_presets.get(*row) {
                    Some(preset) => preset.clone(),
                    None => "Your own".into(),
                },
                Target::Way(WayOn::NewCode) => "[R] Text me a new code".into(),
                Target::Way(WayOn::CallMe) => "[C] Call me with the code".into(),
                Target::Way(WayOn::AskManager) => "[F9] Ask a store manager".into(),
                Target::CodeOption(_) => "[P] Use a pass from your manager".into(),
                Target::BackToCode => "[Esc] Back to the code".into(),
            };
            let label: String = label.split_whitespace().collect();
            assert!(text.contains(&label), "{name}: {target:?} at {place:?} shows {text:?}, not {label:?}");
            for y in place.top()..place.bottom() {
                for x in place.left()..place.right() {
                    assert_eq!(targets::hit(&state, area, x, y), Some(*target), "{name}: {x},{y}");
                }
            }
        }
    }
}

#[test]
fn where_the_keypad_doesn_t_fit_the_forms_have_no_targets_and_take_keys() {
    let small = Rect::new(0, 0, 40, 12);
    for (name, state) in screens() {
        let keys: Vec<Target> = targets::targets(&state, small)
            .into_iter()
            .map(|(target, _)| target)
            .filter(|target| {
                matches!(
                    target,
                    Target::Key(_) | Target::NewCode | Target::ChangeNumber | Target::Languages | Target::Plus
                )
            })
            .collect();
        assert!(keys.is_empty(), "{name} at 40x12: {keys:?}");
        let shown = drawn(&state, small).backend().to_string();
        assert!(!shown.contains('⌫'), "{name} at 40x12 draws the keypad:\n{shown}");
    }
    // Off the map: no target at all.
    let state = fixtures::phone_typed();
    assert_eq!(targets::hit(&state, fixtures::SCREEN, 80, 0), None);
    assert_eq!(targets::hit(&state, fixtures::SCREEN, 0, 24), None);
    assert!(!fixtures::SCREEN.contains(Position::new(80, 0)));
}

/// The sizes the README gives for the keypad.
#[test]
fn the_keypad_shows_from_69x22_and_beside_the_demo_phone_from_99x22() {
    let shows = |state: &State, width: u16, height: u16| {
        targets::targets(state, Rect::new(0, 0, width, height))
            .iter()
            .any(|(target, _)| matches!(target, Target::Key(_)))
    };
    let mut manager = fixtures::fresh();
    press(&mut manager, KeyCode::F(9));
    for state in [fixtures::phone_typed(), fixtures::code_screen(), manager] {
        assert!(shows(&state, 69, 22) && shows(&state, 300, 100));
        assert!(!shows(&state, 68, 22) && !shows(&state, 69, 21) && !shows(&state, 68, 100));
    }
    let mut demo = fixtures::code_screen();
    demo.demo_phone = Some(Vec::new());
    assert!(shows(&demo, 99, 22));
    assert!(!shows(&demo, 98, 22));
}
