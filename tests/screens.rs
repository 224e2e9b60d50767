//! Snapshot tests of every kiosk screen at 80x24 and at the smallest usable size, 40x12.

use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shiftkey::auth::AuthError;
use shiftkey::kiosk::fixtures::{self, press, type_text};
use shiftkey::kiosk::state::{DemoBanner, Event, State};
use shiftkey::kiosk::update::update;
use shiftkey::kiosk::view;
use shiftkey::session::SignOutReason;
use shiftkey::session::teardown::TeardownOutcome;

const SIZES: [(u16, u16); 2] = [(80, 24), (40, 12)];

fn render(state: &State, session: Option<&vt100::Screen>, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view::draw(frame, state, session)).unwrap();
    terminal.backend().to_string()
}

fn snapshot_all_sizes(name: &str, state: &State, session: Option<&vt100::Screen>) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), render(state, session, width, height));
    }
}

fn state() -> State {
    fixtures::fresh()
}

#[test]
fn phone_screen() {
    snapshot_all_sizes("phone_empty", &state(), None);
    let mut s = state();
    type_text(&mut s, "2065550100");
    snapshot_all_sizes("phone_typed", &s, None);
    press(&mut s, KeyCode::Enter);
    snapshot_all_sizes("phone_sending", &s, None);
}

#[test]
fn phone_screen_errors() {
    let mut s = state();
    type_text(&mut s, "425 123 4567");
    press(&mut s, KeyCode::Enter);
    snapshot_all_sizes("phone_invalid", &s, None);
    let mut s = state();
    type_text(&mut s, "2065550100");
    let sent = press(&mut s, KeyCode::Enter);
    fixtures::code_sent(&mut s, &sent, Err(AuthError::Unreachable));
    snapshot_all_sizes("phone_unreachable", &s, None);
}

#[test]
fn code_screen() {
    let mut s = fixtures::code_screen();
    snapshot_all_sizes("code_fresh", &s, None);
    type_text(&mut s, "123");
    let later = s.now + Duration::from_secs(42);
    update(&mut s, Event::Tick(later));
    snapshot_all_sizes("code_typing", &s, None);
    let sent = type_text(&mut s, "456");
    fixtures::verified(&mut s, &sent, Err(AuthError::InvalidCode { attempts_left: 4 }));
    snapshot_all_sizes("code_wrong", &s, None);
    let sent = type_text(&mut s, "111111");
    fixtures::verified(&mut s, &sent, Err(AuthError::TooManyAttempts));
    snapshot_all_sizes("code_too_many", &s, None);
    let mut s = fixtures::code_screen();
    let later = s.now + Duration::from_secs(300);
    update(&mut s, Event::Tick(later));
    snapshot_all_sizes("code_expired", &s, None);
}

#[test]
fn welcome_and_signed_out() {
    let mut s = fixtures::code_screen();
    let sent = type_text(&mut s, "123456");
    fixtures::verified(&mut s, &sent, Ok(fixtures::grant("Alex Rivera", &[])));
    snapshot_all_sizes("welcome", &s, None);
    update(&mut s, Event::SessionStarted);
    let later = s.now + Duration::from_secs(1);
    update(&mut s, Event::Tick(later));
    let mut parser = vt100::Parser::new(23, 80, 0);
    parser.process(b"\x1b[32mworker@till\x1b[0m:~$ ls\r\nnotes.txt\r\nworker@till:~$ ");
    for (width, height) in SIZES {
        parser.screen_mut().set_size(height - 1, width);
        insta::assert_snapshot!(format!("session_{width}x{height}"), render(&s, Some(parser.screen()), width, height));
    }
    // Four idle minutes later: the warning overlay, counting down.
    let idle = s.now + Duration::from_secs(250);
    update(&mut s, Event::Tick(idle));
    for (width, height) in SIZES {
        parser.screen_mut().set_size(height - 1, width);
        insta::assert_snapshot!(
            format!("idle_warning_{width}x{height}"),
            render(&s, Some(parser.screen()), width, height)
        );
    }
    press(&mut s, KeyCode::F(12));
    snapshot_all_sizes("signing_out", &s, None);
    update(&mut s, Event::TeardownDone(TeardownOutcome::nothing(SignOutReason::SignOutKey)));
    snapshot_all_sizes("signed_out", &s, None);
}

#[test]
fn demo_phone_shows_the_text() {
    let mut s = fixtures::code_screen();
    s.demo_phone = Some(Vec::new());
    s.banner = Some(DemoBanner { user: "worker".into(), sandbox: "none".into() });
    update(
        &mut s,
        Event::DemoSms {
            to_masked: "+1 ••• ••• 0100".into(),
            body:
                "Your shiftkey sign-in code is 123456. It expires in 5 min. Never share it.\n\n@shiftkey.local #123456"
                    .into(),
        },
    );
    insta::assert_snapshot!("demo_100x30", render(&s, None, 100, 30));
    insta::assert_snapshot!("demo_80x24", render(&s, None, 80, 24));
}

#[test]
fn too_small_says_so() {
    insta::assert_snapshot!("too_small_30x8", render(&state(), None, 30, 8));
}

#[test]
fn session_status_bar_is_coloured() {
    let mut s = fixtures::code_screen();
    let sent = type_text(&mut s, "123456");
    fixtures::verified(&mut s, &sent, Ok(fixtures::grant("Alex Rivera", &[])));
    update(&mut s, Event::SessionStarted);
    let later = s.now + Duration::from_secs(1);
    update(&mut s, Event::Tick(later));
    let parser = vt100::Parser::new(23, 80, 0);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| view::draw(frame, &s, Some(parser.screen()))).unwrap();
    let cell = &terminal.backend().buffer()[(2, 23)];
    assert_eq!(cell.bg, ratatui::style::Color::Blue);
}

#[test]
fn locked_and_manager_screens() {
    let s = fixtures::locked();
    snapshot_all_sizes("locked", &s, None);
    let mut s = state();
    press(&mut s, KeyCode::F(9));
    snapshot_all_sizes("manager_phone", &s, None);
    let mut s = fixtures::manager_menu();
    snapshot_all_sizes("manager_menu", &s, None);
    press(&mut s, KeyCode::Char('2'));
    snapshot_all_sizes("manager_lock_message", &s, None);
}

/// Every screen the fixtures build, for checks that must hold on all of them.
fn every_screen() -> Vec<(&'static str, State)> {
    let mut sending = fixtures::phone_typed();
    press(&mut sending, KeyCode::Enter);
    let mut typing = fixtures::code_screen();
    type_text(&mut typing, "12");
    vec![
        ("phone", fixtures::phone_typed()),
        ("sending", sending),
        ("code", typing),
        ("session", fixtures::in_session()),
        ("manager_menu", fixtures::manager_menu()),
        ("locked", fixtures::locked()),
    ]
}

#[test]
fn the_console_glyph_set_draws_none_of_what_the_console_fonts_lack_and_ascii_draws_ascii() {
    use shiftkey::kiosk::view::glyphs::Glyphs;
    let session = vt100::Parser::new(23, 80, 0);
    for (name, mut state) in every_screen() {
        state.settings.glyphs = Glyphs::Console;
        let console = render(&state, Some(session.screen()), 80, 24);
        for missing in ['▁', '▏', '✓'] {
            assert!(!console.contains(missing), "{name} draws {missing:?} on the console:\n{console}");
        }
        state.settings.glyphs = Glyphs::Ascii;
        // The render's own quoting aside, every character is ASCII.
        let ascii = render(&state, Some(session.screen()), 80, 24);
        let foreign: String = ascii.chars().filter(|c| !c.is_ascii()).collect();
        assert!(foreign.is_empty(), "{name} draws {foreign:?} in ASCII mode:\n{ascii}");
    }
}
