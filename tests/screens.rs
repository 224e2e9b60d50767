//! Snapshot tests of every kiosk screen at 80x24 and at the smallest usable size, 40x12; and
//! of every screen in every language, each message checked to be on screen whole.

use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shiftkey::auth::AuthError;
use shiftkey::kiosk::fixtures::{self, press, type_text};
use shiftkey::kiosk::state::{DemoBanner, Event, Screen, State};
use shiftkey::kiosk::update::update;
use shiftkey::kiosk::view;
use shiftkey::locale::{Language, capture};
use shiftkey::session::SignOutReason;
use shiftkey::session::teardown::TeardownOutcome;
use shiftkey::tr;

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
    // Too small for the phone beside the form: the code is still on screen.
    let small = render(&s, None, 40, 12);
    assert!(small.contains("#123456"), "the code can't be read at 40x12:\n{small}");
    assert!(!render(&s, None, 100, 30).contains("demo phone: @"), "beside the form, the phone alone shows it");
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
    snapshot_all_sizes("out_of_service_audit_log", &fixtures::out_of_service(true, false), None);
    snapshot_all_sizes("out_of_service_state_dir", &fixtures::out_of_service(false, true), None);
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
        ("out_of_service", fixtures::out_of_service(true, true)),
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

/// Every screen a worker or a manager can see, with the kiosk set to `language`: each one
/// built through `update` as the fixtures are, then spoken in `language`.
fn screens_in(language: Language) -> Vec<(&'static str, State)> {
    let speak = |mut state: State| {
        state.settings = fixtures::settings_in(language);
        state.language = language;
        if let Screen::SignedOut { language: theirs, .. } = &mut state.screen {
            *theirs = language;
        }
        if state.locked.is_some() {
            state.locked = Some(state.settings.lock_presets[1].clone());
        }
        state
    };
    let mut screens = Vec::new();
    screens.push(("phone_empty", state()));
    let mut listing = fixtures::phone_typed();
    press(&mut listing, KeyCode::F(2));
    press(&mut listing, KeyCode::Down);
    screens.push(("phone_language_list", listing));
    let mut invalid = state();
    type_text(&mut invalid, "+1 425 123 4567");
    press(&mut invalid, KeyCode::Enter);
    screens.push(("phone_invalid", invalid));
    let mut sending = fixtures::phone_typed();
    press(&mut sending, KeyCode::Enter);
    screens.push(("phone_sending", sending));
    let mut retrying = fixtures::phone_typed();
    let sent = press(&mut retrying, KeyCode::Enter);
    fixtures::code_sent(&mut retrying, &sent, Err(AuthError::Unreachable));
    screens.push(("phone_retrying", retrying));
    let mut store_busy = fixtures::phone_typed();
    let sent = press(&mut store_busy, KeyCode::Enter);
    let busy = AuthError::StoreRateLimited { retry_after: Duration::from_secs(600) };
    fixtures::code_sent(&mut store_busy, &sent, Err(busy));
    screens.push(("phone_store_busy", store_busy));
    screens.push(("code_fresh", fixtures::code_screen()));
    let mut wrong = fixtures::code_screen();
    let sent = type_text(&mut wrong, "111111");
    fixtures::verified(&mut wrong, &sent, Err(AuthError::InvalidCode { attempts_left: 3 }));
    let later = wrong.now + Duration::from_secs(31);
    update(&mut wrong, Event::Tick(later));
    screens.push(("code_wrong_resend", wrong));
    let mut expired = fixtures::code_screen();
    let later = expired.now + Duration::from_secs(300);
    update(&mut expired, Event::Tick(later));
    screens.push(("code_expired", expired));
    let mut untrusted = fixtures::code_screen();
    let sent = type_text(&mut untrusted, "123456");
    fixtures::verified(&mut untrusted, &sent, Err(AuthError::Untrusted("bad signature".into())));
    screens.push(("code_untrusted", untrusted));
    let mut welcome = fixtures::code_screen();
    let sent = type_text(&mut welcome, "123456");
    fixtures::verified(&mut welcome, &sent, Ok(fixtures::grant("Alex Rivera", &[])));
    screens.push(("welcome", welcome));
    screens.push(("session", fixtures::in_session()));
    let mut idle = fixtures::in_session();
    let later = idle.now + Duration::from_secs(250);
    update(&mut idle, Event::Tick(later));
    screens.push(("idle_warning", idle));
    let mut signing_out = fixtures::in_session();
    press(&mut signing_out, KeyCode::F(12));
    screens.push(("signing_out", signing_out));
    let mut signed_out = fixtures::in_session();
    let mut outcome = TeardownOutcome::nothing(SignOutReason::Revoked);
    outcome.left_alive = vec![4242, 4243];
    outcome.dir_removed = false;
    update(&mut signed_out, Event::TeardownDone(outcome));
    screens.push(("signed_out_with_problems", signed_out));
    screens.push(("locked", fixtures::locked()));
    screens.push(("out_of_service_audit_log", fixtures::out_of_service(true, false)));
    screens.push(("out_of_service_state_dir", fixtures::out_of_service(false, true)));
    let mut manager_phone = state();
    press(&mut manager_phone, KeyCode::F(9));
    screens.push(("manager_phone", manager_phone));
    let mut refused = state();
    press(&mut refused, KeyCode::F(9));
    type_text(&mut refused, "2065550100");
    let sent = press(&mut refused, KeyCode::Enter);
    fixtures::code_sent(&mut refused, &sent, Ok(fixtures::challenge()));
    let sent = type_text(&mut refused, "123456");
    fixtures::verified(&mut refused, &sent, Ok(fixtures::grant("Alex Rivera", &[])));
    screens.push(("manager_refused", refused));
    let mut menu = fixtures::in_session();
    press(&mut menu, KeyCode::F(9));
    type_text(&mut menu, "2065550109");
    let sent = press(&mut menu, KeyCode::Enter);
    fixtures::code_sent(&mut menu, &sent, Ok(fixtures::challenge()));
    let sent = type_text(&mut menu, "123456");
    fixtures::verified(&mut menu, &sent, Ok(fixtures::grant("Jordan Lee", &["kiosk-manager"])));
    screens.push(("manager_menu_over_a_session", menu));
    let mut lock_message = fixtures::manager_menu();
    press(&mut lock_message, KeyCode::Char('2'));
    screens.push(("manager_lock_message", lock_message));
    let mut events = fixtures::manager_menu();
    press(&mut events, KeyCode::Char('4'));
    update(&mut events, Event::EventsLoaded(Vec::new()));
    screens.push(("manager_events", events));
    let mut demo = fixtures::code_screen();
    demo.demo_phone = Some(Vec::new());
    demo.banner = Some(DemoBanner { user: "worker".into(), sandbox: "bwrap".into() });
    screens.push(("demo", demo));
    screens.into_iter().map(|(name, state)| (name, speak(state))).collect()
}

/// The screen's rows as text (a wide character once, not followed by its blank).
fn rows(terminal: &Terminal<TestBackend>) -> Vec<Vec<(u16, String)>> {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            let mut cells = Vec::new();
            let mut hidden = 0;
            for x in 0..buffer.area.width {
                let symbol = buffer[(x, y)].symbol();
                if hidden == 0 {
                    cells.push((x, symbol.to_string()));
                }
                hidden = (hidden.max(unicode_columns(symbol))).saturating_sub(1);
            }
            cells
        })
        .collect()
}

fn unicode_columns(symbol: &str) -> usize {
    ratatui::text::Span::raw(symbol).width()
}

fn is_frame(symbol: &str) -> bool {
    symbol.chars().all(|c| ('\u{2500}'..='\u{257f}').contains(&c)) && !symbol.is_empty()
}

fn is_wide(c: char) -> bool {
    unicode_columns(&c.to_string()) > 1
}

/// The text of each box on screen, read down: runs of cells between frame characters, put
/// together by the column they start at. Where a box's line wraps, its rows join with a
/// space, or with nothing between two wide characters (Chinese wraps anywhere).
fn boxes(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let mut columns: std::collections::BTreeMap<u16, String> = Default::default();
    for row in rows(terminal) {
        let mut run: Option<(u16, String)> = None;
        for (x, symbol) in row.into_iter().chain([(u16::MAX, "─".to_string())]) {
            if is_frame(&symbol) {
                if let Some((start, text)) = run.take() {
                    let column = columns.entry(start).or_default();
                    let text = text.trim_end();
                    let joins_wide = column.trim_end().chars().last().is_some_and(is_wide)
                        && text.trim_start().chars().next().is_some_and(is_wide);
                    if joins_wide {
                        column.truncate(column.trim_end().len());
                        column.push_str(text.trim_start());
                    } else {
                        column.push(' ');
                        column.push_str(text);
                    }
                }
            } else {
                run.get_or_insert((x, String::new())).1.push_str(&symbol);
            }
        }
    }
    columns.into_values().map(|text| squeeze(&text)).collect()
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Draws `state` and returns the screen's text and the messages the view formatted.
fn draw_capturing(state: &State, width: u16, height: u16) -> (Terminal<TestBackend>, Vec<String>) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let session = vt100::Parser::new(height.saturating_sub(1), width, 0);
    let screen = state.in_session().then(|| session.screen());
    let ((), messages) = capture(|| {
        terminal.draw(|frame| view::draw(frame, state, screen)).unwrap();
    });
    (terminal, messages)
}

/// Each message the view formatted that isn't on screen whole, in one piece: cut off at the
/// bottom or the side, or a word broken in two. Messages under an overlay (the manager
/// screens, the language list) are looked for on the screen drawn without it.
/// Returns them, and the screen as drawn.
fn not_shown(state: &mut State, width: u16, height: u16, may_drop: &[String]) -> (Vec<String>, String) {
    let manager = state.manager.take();
    let list = match &mut state.screen {
        Screen::Phone(form) => form.language_menu.take(),
        _ => None,
    };
    let (under, mut under_messages) = draw_capturing(state, width, height);
    state.manager = manager;
    if let Screen::Phone(form) = &mut state.screen {
        form.language_menu = list;
    }
    let (over, over_messages) = draw_capturing(state, width, height);
    let mut missing = Vec::new();
    let mut check = |terminal: &Terminal<TestBackend>, message: &String| {
        let wanted = squeeze(message);
        if !may_drop.contains(message) && !boxes(terminal).iter().any(|text| text.contains(&wanted)) {
            missing.push(message.clone());
        }
    };
    for message in over_messages {
        match under_messages.iter().position(|m| *m == message) {
            Some(index) => {
                let message = under_messages.remove(index);
                check(&under, &message);
            }
            None => check(&over, &message),
        }
    }
    (missing, over.backend().to_string())
}

#[test]
fn every_screen_in_every_language_fits_80x24_and_40x12() {
    let mut problems = Vec::new();
    for language in Language::ALL {
        let mut shown = String::new();
        for (name, mut state) in screens_in(language) {
            for (width, height) in SIZES {
                // At 40 columns the status bar drops the time left to keep the sign-out key.
                let may_drop: Vec<String> = match (&state.screen, width) {
                    (Screen::Session(session), 40) => {
                        let minutes = session.ends_at.saturating_duration_since(state.now).as_secs().div_ceil(60);
                        let (hours, minutes) = (minutes / 60, format!("{:02}", minutes % 60));
                        vec![tr!(language, "time-left-hours", hours = hours, minutes = minutes)]
                    }
                    _ => Vec::new(),
                };
                // So do the manager screens' bottom line, to keep their key.
                let may_drop = match &state.manager {
                    Some(manager) if width == 40 => {
                        let idle = manager.last_key + state.settings.manager_idle;
                        let seconds = idle.saturating_duration_since(state.now).as_secs();
                        let footer = tr!(language, "manager-footer", key = "F9", seconds = seconds);
                        may_drop.into_iter().chain([footer]).collect()
                    }
                    _ => may_drop,
                };
                let (missing, screen) = not_shown(&mut state, width, height, &may_drop);
                for message in missing {
                    problems.push(format!("{} {name} {width}x{height}: {message:?}", language.tag()));
                }
                shown.push_str(&format!("── {name} {width}x{height}\n{screen}\n"));
            }
        }
        let mut small = state();
        small.settings = fixtures::settings_in(language);
        small.language = language;
        let (missing, screen) = not_shown(&mut small, 30, 8, &[]);
        for message in missing {
            problems.push(format!("{} too_small 30x8: {message:?}", language.tag()));
        }
        shown.push_str(&format!("── too_small 30x8\n{screen}"));
        insta::assert_snapshot!(format!("language_{}", language.tag()), shown);
    }
    assert!(problems.is_empty(), "not shown whole:\n{}", problems.join("\n"));
}

#[test]
fn the_fit_check_sees_a_cut_message() {
    // A name too long for the welcome line at 40 columns is broken mid-word: the check says so.
    let mut state = fixtures::code_screen();
    let sent = type_text(&mut state, "123456");
    let long = "Maximilianaalexandrinariveraokaforleeson";
    fixtures::verified(&mut state, &sent, Ok(fixtures::grant(long, &[])));
    let (missing, _) = not_shown(&mut state, 40, 12, &[]);
    assert_eq!(missing, [format!("Welcome, {long}")]);
    assert!(not_shown(&mut state, 80, 24, &[]).0.is_empty());
}

#[test]
fn signed_out_speaks_the_leaving_worker_s_language_and_the_next_screen_the_kiosk_s() {
    let mut s = state();
    press(&mut s, KeyCode::F(2));
    press(&mut s, KeyCode::Char('3'));
    type_text(&mut s, "2065550100");
    let sent = press(&mut s, KeyCode::Enter);
    fixtures::code_sent(&mut s, &sent, Ok(fixtures::challenge()));
    assert!(render(&s, None, 80, 24).contains("Saisissez le code à 6 chiffres"));
    let sent = type_text(&mut s, "123456");
    fixtures::verified(&mut s, &sent, Ok(fixtures::grant("Alex Rivera", &[])));
    update(&mut s, Event::SessionStarted);
    let later = s.now + Duration::from_secs(1);
    update(&mut s, Event::Tick(later));
    let effects = press(&mut s, KeyCode::F(12));
    assert!(!effects.is_empty(), "F12 signs out of the session");
    assert!(render(&s, None, 80, 24).contains("Déconnexion et effacement de votre session"));
    update(&mut s, Event::TeardownDone(TeardownOutcome::nothing(SignOutReason::SignOutKey)));
    assert_eq!(s.language, Language::English);
    let screen = render(&s, None, 80, 24);
    assert!(screen.contains("Déconnecté — votre session a été effacée"), "{screen}");
    assert!(!screen.contains("Signed out"), "{screen}");
    press(&mut s, KeyCode::Char('x'));
    assert!(render(&s, None, 80, 24).contains("Enter your mobile number"));
}
