//! A kiosk parses its own language's messages at start and no other: a language a worker
//! never picks costs nothing (BENCHMARKS.md: start-up time and memory at the sign-in screen).
//! One test alone in its process, so no other test has loaded a language first.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shiftkey::config::KioskConfig;
use shiftkey::kiosk::fixtures::press;
use shiftkey::kiosk::state::{Settings, State};
use shiftkey::kiosk::view;
use shiftkey::locale::Language;

fn draw(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(frame, state, None)).unwrap();
    terminal.backend().to_string()
}

fn loaded() -> Vec<Language> {
    Language::ALL.into_iter().filter(|language| language.loaded()).collect()
}

#[test]
fn only_the_default_language_is_parsed_at_start_and_another_only_once_picked() {
    assert_eq!(loaded(), []);
    let config = KioskConfig { language: Language::German, ..KioskConfig::default() };
    let mut state = State::new(Settings::from_config(&config, Some("xterm-256color")), None, std::time::Instant::now());
    assert!(draw(&state).contains("Handynummer eingeben"));
    assert_eq!(loaded(), [Language::German], "the sign-in screen needs its language alone");
    // The list names every language in its own words without parsing any of them.
    press(&mut state, KeyCode::F(2));
    assert!(draw(&state).contains("Tiếng Việt"));
    assert_eq!(loaded(), [Language::German]);
    press(&mut state, KeyCode::Char('7'));
    assert!(draw(&state).contains("Nhập số điện thoại di động"));
    assert_eq!(loaded(), [Language::German, Language::Vietnamese]);
}
