//! The kiosk's display modes, on every screen: the screen-reader layout (no box drawing, the
//! terminal's cursor on the field, in TestBackend frames and in the real binary in a pty), high
//! contrast (errors in words and bold white, a marked wrong code, nothing dim, only the console's
//! colours), large digits (at 100x30 and up, not below), and the store's branding (in the
//! worker's language, falling back to the kiosk's; bad values refused naming the key).

mod common;

use std::path::Path;
use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Position;
use ratatui::style::{Color, Modifier};
use shiftkey::auth::AuthError;
use shiftkey::config::{ConfigFile, KioskConfig};
use shiftkey::kiosk::fixtures::{self, press, type_text};
use shiftkey::kiosk::state::{Settings, State};
use shiftkey::kiosk::view;

use common::{BIN, Backend, KioskSetup};

const WAIT: Duration = Duration::from_secs(10);

/// A kiosk whose config is `toml` (a `[display]` table, a `[branding]` one), on a Unicode terminal.
fn settings(toml: &str) -> Settings {
    let config = KioskConfig::from_toml(toml, Path::new("kiosk.toml")).unwrap_or_else(|err| panic!("{err}"));
    fixtures::settings_for(&config, "xterm-256color")
}

/// Every screen, and the manager's code screen, in a kiosk with `settings`.
fn screens(settings: &Settings) -> Vec<(&'static str, State)> {
    let mut screens = fixtures::screens::every_screen(settings);
    let mut manager_code = fixtures::fresh_with(settings.clone());
    press(&mut manager_code, KeyCode::F(settings.manager_key.0));
    type_text(&mut manager_code, "2065550109");
    let sent = press(&mut manager_code, KeyCode::Enter);
    fixtures::code_sent(&mut manager_code, &sent, Ok(fixtures::challenge()));
    type_text(&mut manager_code, "12");
    screens.push(("manager_code", manager_code));
    screens
}

/// A frame of `state`, and where the terminal's cursor is if it is shown.
struct Drawn {
    buffer: Buffer,
    cursor: Option<Position>,
}

fn draw(state: &State, width: u16, height: u16) -> Drawn {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut session = vt100::Parser::new(height - 1, width, 0);
    session.process(b"worker@till:~$ ls\r\nnotes.txt\r\nworker@till:~$ ");
    let screen = state.in_session().then(|| session.screen());
    terminal.draw(|frame| view::draw(frame, state, screen)).unwrap();
    let backend = terminal.backend();
    let cursor = backend.cursor_visible().then(|| backend.cursor_position());
    Drawn { buffer: backend.buffer().clone(), cursor }
}

impl Drawn {
    fn rows(&self) -> Vec<String> {
        let area = self.buffer.area;
        (0..area.height).map(|y| (0..area.width).map(|x| self.buffer[(x, y)].symbol()).collect()).collect()
    }

    fn text(&self) -> String {
        self.rows().join("\n")
    }

    /// The screen as text, the cursor's place under it.
    fn shown(&self) -> String {
        let cursor = self.cursor.map_or("hidden".to_string(), |c| format!("column {}, row {}", c.x, c.y));
        let rows: Vec<String> = self.rows().iter().map(|row| row.trim_end().to_string()).collect();
        let last = rows.iter().rposition(|row| !row.is_empty()).map_or(0, |last| last + 1);
        format!("{}\ncursor: {cursor}", rows[..last].join("\n"))
    }
}

const SIZES: [(u16, u16); 4] = [(80, 24), (40, 12), (100, 30), (200, 60)];

fn unicode_width(symbol: &str) -> usize {
    ratatui::text::Span::raw(symbol).width()
}

fn is_box_drawing(c: char) -> bool {
    ('\u{2500}'..='\u{257f}').contains(&c)
}

/// A row's text inside its frame.
fn inside(row: &str) -> &str {
    row.trim_matches(|c: char| c == ' ' || is_box_drawing(c))
}

/// The text the cursor's row starts with on each screen with a field or a selection.
fn focus_row_start(name: &str) -> Option<&'static str> {
    Some(match name {
        "phone_language_list" => "▶ 2  Español",
        "code_pass_typing" | "code_pass_rejected" => "Pass:",
        "manager_pass_for" | "manager_pass_no_user" => "Mobile number:",
        "manager_pass_shown" => "7 K Q 4 M",
        name if name.starts_with("phone") || name == "manager_phone" => "Mobile number:",
        name if name.starts_with("code") || name == "demo" || name == "manager_code" => "Code:",
        "manager_menu_over_a_session" | "manager_lock_message" => "▶ ",
        "idle_warning" => "Signing out in",
        "welcome" => "Welcome, Alex Rivera",
        "signing_out" => "Signing out and erasing",
        "locked" => "Out of service",
        "manager_refused" => "Error: This number isn't a store manager",
        "manager_events" => "Recent events",
        _ => return None,
    })
}

#[test]
fn the_screen_reader_layout_draws_no_box_and_leaves_the_cursor_on_the_field() {
    let settings = settings("[display]\nscreen_reader = true\nlarge_digits = \"on\"");
    let mut shown = String::new();
    for (name, state) in screens(&settings) {
        for (width, height) in SIZES {
            let drawn = draw(&state, width, height);
            let text = drawn.text();
            // (A session shows its own cursor as a block.)
            let large = |c: char| c == '█' && !state.in_session();
            let boxes: String = text.chars().filter(|c| is_box_drawing(*c) || large(*c)).collect();
            assert!(boxes.is_empty(), "{name} {width}x{height} draws {boxes:?}:\n{text}");
            // A session's cursor is its own program's (painted with its rows on a real terminal).
            if name == "session" {
                continue;
            }
            let cursor = drawn.cursor.unwrap_or_else(|| panic!("{name} {width}x{height}: no cursor:\n{text}"));
            let row = &drawn.rows()[usize::from(cursor.y)];
            if let Some(start) = focus_row_start(name) {
                assert!(row.starts_with(start), "{name} {width}x{height}: the cursor is on {row:?}, not {start:?}");
            }
            if ["Mobile number:", "Code:", "Pass:"].contains(&focus_row_start(name).unwrap_or_default()) {
                let end = row.trim_end().chars().count() as u16;
                let at = if row.trim_end().ends_with(':') { end + 1 } else { end };
                assert_eq!(cursor.x, at, "{name} {width}x{height}: the cursor isn't after what was typed in {row:?}");
            }
        }
        shown.push_str(&format!("── {name} 80x24\n{}\n", draw(&state, 80, 24).shown()));
    }
    insta::assert_snapshot!("screen_reader_80x24", shown);
}

#[test]
fn the_screen_reader_layout_says_the_time_left_in_minutes_and_errors_in_words() {
    let settings = settings("[display]\nscreen_reader = true");
    let mut state = fixtures::code_screen_with(settings);
    let text = draw(&state, 80, 24).text();
    assert!(text.contains("The code expires in 5 minutes."), "{text}");
    let later = state.now + Duration::from_secs(1);
    shiftkey::kiosk::update::update(&mut state, shiftkey::kiosk::state::Event::Tick(later));
    assert_eq!(draw(&state, 80, 24).text(), text, "a second later nothing on screen changed");
    let sent = type_text(&mut state, "111111");
    fixtures::verified(&mut state, &sent, Err(AuthError::InvalidCode { attempts_left: 3 }));
    let text = draw(&state, 80, 24).text();
    assert!(text.contains("Error: That code isn't right — 3 tries left"), "{text}");
}

/// The 16 colours the console has (ratatui's named ones, or their indexes), and the default.
fn console_colour(color: Color) -> bool {
    !matches!(color, Color::Rgb(..)) && !matches!(color, Color::Indexed(index) if index >= 16)
}

/// The screens that show an error, and the error's first words.
const ERRORS: [(&str, &str); 7] = [
    ("phone_invalid", "That isn't a valid mobile number"),
    ("phone_retrying", "Can't reach the sign-in service"),
    ("phone_store_busy", "Too many sign-ins from this store"),
    ("code_wrong_resend", "That code isn't right"),
    ("code_expired", "That code has expired"),
    ("manager_refused", "This number isn't a store manager"),
    ("signed_out_with_problems", "Sign-out left something behind"),
];

#[test]
fn high_contrast_is_white_on_black_with_nothing_dim_and_only_console_colours() {
    let settings = settings("[display]\ntheme = \"high-contrast\"\n[branding]\naccent = \"bright-magenta\"");
    for (name, state) in screens(&settings) {
        for (width, height) in SIZES {
            let drawn = draw(&state, width, height);
            let session_rows = if state.in_session() { height - 1 } else { 0 };
            for (position, cell) in drawn.buffer.content.iter().enumerate() {
                let (x, y) = (position as u16 % width, position as u16 / width);
                let at = format!("{name} {width}x{height} at {x},{y} ({:?})", cell.symbol());
                assert!(!cell.modifier.contains(Modifier::DIM), "{at} is dim");
                assert!(console_colour(cell.fg) && console_colour(cell.bg), "{at}: {:?} on {:?}", cell.fg, cell.bg);
                // The session's rows are its program's (here in the terminal's own colours);
                // everything the kiosk draws is white on black.
                let session_cell = y < session_rows && cell.bg == Color::Reset;
                // The cell a wide character covers takes that character's colours on screen.
                let covered = x > 0 && unicode_width(drawn.buffer[(x - 1, y)].symbol()) > 1;
                if !session_cell && !covered {
                    assert!(
                        [Color::Gray, Color::White].contains(&cell.fg),
                        "{at}: text in {:?}\n{}",
                        cell.fg,
                        drawn.text()
                    );
                    assert_eq!(cell.bg, Color::Black, "{at}");
                }
            }
        }
    }
}

#[test]
fn every_theme_keeps_to_the_console_s_sixteen_colours() {
    for toml in ["", "[branding]\naccent = \"bright-magenta\"", "[display]\nlarge_digits = \"on\""] {
        for (name, state) in screens(&settings(toml)) {
            for (width, height) in SIZES {
                for cell in &draw(&state, width, height).buffer.content {
                    let colours = (cell.fg, cell.bg);
                    assert!(console_colour(cell.fg) && console_colour(cell.bg), "{name} {width}x{height}: {colours:?}");
                }
            }
        }
    }
}

#[test]
fn high_contrast_says_each_error_in_words_in_bold_white_and_the_default_theme_is_as_it_was() {
    let high = settings("[display]\ntheme = \"high-contrast\"");
    let default = settings("");
    let all_high = screens(&high);
    let all_default = screens(&default);
    for (name, words) in ERRORS {
        let state = &all_high.iter().find(|(n, _)| *n == name).unwrap().1;
        let drawn = draw(state, 80, 24);
        let rows = drawn.rows();
        let said = format!("Error: {words}");
        let (y, row) = rows.iter().enumerate().find(|(_, row)| row.contains(&said)).unwrap_or_else(|| {
            panic!("{name}: no {said:?} in high contrast:\n{}", drawn.text());
        });
        let at = row.find(&said).unwrap();
        let start = row[..at].chars().count() as u16;
        let end = start + row[at..].split(is_box_drawing).next().unwrap().trim_end().chars().count() as u16;
        for x in start..end {
            let cell = &drawn.buffer[(x, y as u16)];
            if cell.symbol() != " " {
                assert!(cell.modifier.contains(Modifier::BOLD), "{name}: {:?} at {x} isn't bold", cell.symbol());
                assert_eq!(cell.fg, Color::White, "{name}: {:?} at {x}", cell.symbol());
            }
        }
        // The default theme says it as it did: in red, without the word.
        let state = &all_default.iter().find(|(n, _)| *n == name).unwrap().1;
        let text = draw(state, 80, 24).text();
        assert!(text.contains(words) && !text.contains("Error:"), "{name}, default theme:\n{text}");
    }
}

#[test]
fn high_contrast_marks_a_wrong_code_beside_its_boxes_and_its_large_digits() {
    let wrong = |settings: Settings| {
        let mut state = fixtures::code_screen_with(settings);
        let sent = type_text(&mut state, "111111");
        fixtures::verified(&mut state, &sent, Err(AuthError::InvalidCode { attempts_left: 3 }));
        state
    };
    let high = wrong(settings("[display]\ntheme = \"high-contrast\""));
    let default = wrong(settings(""));
    let boxes = |state: &State| {
        draw(state, 80, 24).rows().into_iter().find(|row| row.contains("[▁] [ ]")).expect("the code's boxes")
    };
    assert!(boxes(&high).contains("× [▁]"), "{:?}", boxes(&high));
    assert!(!boxes(&default).contains('×'), "{:?}", boxes(&default));
    // Large digits: the mark is drawn as large as they are, before them.
    let blocks = |state: &State| draw(state, 100, 30).text().matches('█').count();
    assert!(blocks(&high) >= blocks(&default) + 5, "the large × adds its blocks");
    let high_rows = draw(&high, 100, 30).rows();
    assert_eq!(high_rows.iter().filter(|row| inside(row) == "██  ██").count(), 2, "the × alone on its rows");
}

/// The code screen with "12" typed, and the phone screen with a number, in a kiosk with `toml`.
fn typed_screens(toml: &str) -> [State; 2] {
    let settings = settings(toml);
    let mut code = fixtures::code_screen_with(settings.clone());
    type_text(&mut code, "12");
    [fixtures::phone_typed_with(settings), code]
}

#[test]
fn large_digits_are_drawn_from_100x30_up_and_not_below() {
    for (toml, sizes_with, sizes_without) in [
        ("", &[(100, 30), (200, 60), (120, 40)][..], &[(99, 30), (100, 29), (80, 24), (40, 12)][..]),
        ("[display]\nlarge_digits = \"off\"", &[], &[(200, 60), (100, 30)]),
        ("[display]\nlarge_digits = \"on\"", &[(100, 24), (100, 30)], &[]),
        ("[display]\nlarge_digits = \"on\"\nscreen_reader = true", &[], &[(80, 24), (200, 60)]),
    ] {
        let [phone, code] = typed_screens(toml);
        for &(width, height) in sizes_with {
            let (phone, code) = (draw(&phone, width, height).text(), draw(&code, width, height).text());
            assert!(phone.contains('█') && !phone.contains("(206) 555-0100"), "{toml:?} {width}x{height}:\n{phone}");
            assert!(code.contains('█') && !code.contains("[1] [2]"), "{toml:?} {width}x{height}:\n{code}");
        }
        for &(width, height) in sizes_without {
            let (phone, code) = (draw(&phone, width, height).text(), draw(&code, width, height).text());
            assert!(!phone.contains('█') && phone.contains("(206) 555-0100"), "{toml:?} {width}x{height}:\n{phone}");
            let small = code.contains("[1] [2]") || code.contains("Code: 12");
            assert!(!code.contains('█') && small, "{toml:?} {width}x{height}:\n{code}");
        }
    }
    let [phone, code] = typed_screens("");
    let rows = draw(&code, 100, 30).rows();
    let typed = "██████  ██████  ██████  ______  ______  ______";
    assert!(rows.iter().any(|row| inside(row) == typed), "1, 2, the caret");
    insta::assert_snapshot!("large_digits_100x30", format!("{}\n{}", draw(&phone, 100, 30).text(), rows.join("\n")));
}

#[test]
fn large_digits_keep_to_the_console_s_full_block_and_to_hashes_in_ascii() {
    for (glyphs, block) in [("console", '█'), ("ascii", '#')] {
        let config = KioskConfig::from_toml(&format!("[display]\nglyphs = \"{glyphs}\""), Path::new("k")).unwrap();
        let mut code = fixtures::code_screen_with(fixtures::settings_for(&config, "linux"));
        type_text(&mut code, "12");
        let text = draw(&code, 100, 30).text();
        assert!(text.contains(&block.to_string().repeat(6)), "{glyphs}:\n{text}");
        let blocks: String = text.chars().filter(|c| ('\u{2580}'..='\u{259f}').contains(c) && *c != '█').collect();
        assert!(blocks.is_empty(), "{glyphs} draws {blocks:?}, which the console fonts lack");
        if glyphs == "ascii" {
            assert!(text.is_ascii(), "{text}");
        }
    }
}

/// A kiosk config (in `dir`) with the store's branding and a four-line logo beside it.
fn branded(dir: &Path, display: &str) -> Settings {
    std::fs::write(dir.join("logo.txt"), " CCC  M   M\nC     MM MM\nC     M M M\n CCC  M   M\n").unwrap();
    let toml = format!(
        "language = \"en\"\n[display]\n{display}\n[branding]\nlogo = \"logo.txt\"\naccent = \"bright-magenta\"\n\
         title.en = \"Contoso Market\"\ntitle.fr = \"Marché Contoso\"\n\
         login_hint.en = \"Use the mobile number HR has on file\"\n\
         login_hint.es = \"Use el móvil que tiene RR. HH.\"\n\
         help = \"No phone with you? Ask your shift manager\"\n\
         privacy.en = \"Your number only signs you in.\"\nprivacy.es = \"Su número solo sirve para entrar.\"\n"
    );
    let config = KioskConfig::from_toml(&toml, &dir.join("kiosk.toml")).unwrap_or_else(|err| panic!("{err}"));
    fixtures::settings_for(&config, "xterm-256color")
}

/// The sign-in screen after the worker picked the language at `row` of the list (1: English).
fn picked(settings: &Settings, row: char) -> State {
    let mut state = fixtures::fresh_with(settings.clone());
    press(&mut state, KeyCode::F(settings.language_key.0));
    press(&mut state, KeyCode::Char(row));
    state
}

#[test]
fn branding_speaks_the_worker_s_language_and_falls_back_to_the_kiosk_s() {
    let dir = tempfile::tempdir().unwrap();
    let settings = branded(dir.path(), "");
    let english = draw(&picked(&settings, '1'), 100, 30);
    let text = english.text();
    for wanted in ["Contoso Market · store-042-till-3", "Use the mobile number HR has on file", "No phone with you?"] {
        assert!(text.contains(wanted), "{wanted:?}:\n{text}");
    }
    // The logo above the form, in the accent colour.
    let rows = english.rows();
    let logo = rows.iter().position(|row| row.contains("C     MM MM")).expect("the logo");
    assert!(logo < rows.iter().position(|row| row.contains("Sign in")).unwrap(), "{text}");
    let x = rows[logo].find('C').unwrap() as u16;
    assert_eq!(english.buffer[(x, logo as u16)].fg, Color::LightMagenta);
    // Spanish: its own hint; no Spanish title, so the kiosk's; the help given for all.
    let spanish = draw(&picked(&settings, '2'), 100, 30).text();
    for wanted in ["Contoso Market ·", "Use el móvil que tiene RR. HH.", "No phone with you?", "Escribe tu número"] {
        assert!(spanish.contains(wanted), "{wanted:?}:\n{spanish}");
    }
    // French: its own title; no French hint, so the kiosk's (English) one.
    let french = draw(&picked(&settings, '3'), 100, 30).text();
    for wanted in ["Marché Contoso ·", "Use the mobile number HR has on file"] {
        assert!(french.contains(wanted), "{wanted:?}:\n{french}");
    }
    // The privacy line on the code screen, in the worker's language.
    let mut code = picked(&settings, '2');
    type_text(&mut code, "2065550100");
    let sent = press(&mut code, KeyCode::Enter);
    fixtures::code_sent(&mut code, &sent, Ok(fixtures::challenge()));
    assert!(draw(&code, 100, 30).text().contains("Su número solo sirve para entrar."));
    // No room for the logo at 40x12, and no logo for a screen reader: the form is whole.
    let small = draw(&picked(&settings, '1'), 40, 12).text();
    assert!(!small.contains("MM MM") && small.contains("Enter your mobile"), "{small}");
    let reader = draw(&fixtures::fresh_with(branded(dir.path(), "screen_reader = true")), 100, 30).text();
    assert!(reader.starts_with("Contoso Market · store-042-till-3") && !reader.contains("MM MM"), "{reader}");
    // High contrast keeps the logo white.
    let high = draw(&fixtures::fresh_with(branded(dir.path(), "theme = \"high-contrast\"")), 100, 30);
    let rows = high.rows();
    let logo = rows.iter().position(|row| row.contains("C     MM MM")).unwrap();
    assert_eq!(high.buffer[(rows[logo].find('C').unwrap() as u16, logo as u16)].fg, Color::White);
}

/// `shiftkey ARGS`: exit success, stdout, stderr.
fn run(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let output = std::process::Command::new(BIN).args(args).output().expect("run shiftkey");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn bad_branding_is_refused_naming_the_key_by_check_config_and_by_the_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tall.txt"), "#\n".repeat(9)).unwrap();
    let config = dir.path().join("kiosk.toml");
    for (branding, says) in [
        ("accent = \"pink\"", "branding.accent: unknown colour \"pink\""),
        ("logo = \"tall.txt\"", "branding.logo:"),
        ("logo = \"missing.txt\"", "branding.logo: can't read"),
        ("login_hint.en = \"Use\"\nlogin_hint.xx = \"?\"", "branding.login_hint.xx: unknown language tag \"xx\""),
        ("help.es = \"Pregunte\"", "branding.help has no text for the kiosk's language \"en\""),
        ("privacy = \"two\\nlines\"", "branding.privacy must be one line"),
    ] {
        std::fs::write(&config, format!("[branding]\n{branding}\n")).unwrap();
        for command in ["check-config", "kiosk"] {
            let (ok, _, stderr) = run(&[command.as_ref(), "--config".as_ref(), config.as_os_str()]);
            assert!(!ok && stderr.contains(says), "{command} with {branding:?}: {stderr}");
        }
    }
    let (_, _, stderr) = run(&["check-config".as_ref(), "--config".as_ref(), config.as_os_str()]);
    assert!(stderr.lines().count() == 1, "one line: {stderr}");
    std::fs::write(&config, "[branding]\nlogo = \"tall.txt\"\n").unwrap();
    let (_, _, stderr) = run(&["check-config".as_ref(), "--config".as_ref(), config.as_os_str()]);
    assert!(stderr.contains("9 lines; at most 8"), "{stderr}");
}

#[test]
fn check_config_shows_the_display_and_the_branding() {
    let backend = Backend::start();
    let dir = tempfile::tempdir().unwrap();
    branded(dir.path(), "");
    let setup = KioskSetup::new(dir.path(), &backend.url, &["/bin/sh"], &common::run_as_line(&None));
    let mut text = std::fs::read_to_string(&setup.config).unwrap();
    text.push_str("[display]\ntheme = \"high-contrast\"\n[branding]\nlogo = \"logo.txt\"\naccent = \"blue\"\n");
    text.push_str("login_hint.en = \"Use\"\nlogin_hint.es = \"Use\"\n");
    std::fs::write(&setup.config, text).unwrap();
    let (ok, stdout, stderr) = run(&["check-config".as_ref(), "--config".as_ref(), setup.config.as_os_str()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("display: theme high-contrast, screen-reader layout off, large digits auto"), "{stdout}");
    assert!(
        stdout.contains("branding: no title, logo logo.txt (4 lines), accent blue, login_hint (en, es)"),
        "{stdout}"
    );
}

/// The real kiosk in a pty, configured with `display`, against a real `shiftkey serve`.
fn kiosk_with(backend: &Backend, display: &str) -> (KioskSetup, common::KioskTerminal) {
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &common::run_as_line(&None));
    let mut text = std::fs::read_to_string(&setup.config).unwrap();
    text.push_str(&format!("[display]\n{display}\n"));
    std::fs::write(&setup.config, text).unwrap();
    let screen = setup.spawn();
    (setup, screen)
}

/// The cursor's row and column on the kiosk's screen, and the text of that row.
fn cursor_row(screen: &mut common::KioskTerminal) -> (u16, u16, String) {
    let parsed = screen.parsed();
    assert!(!parsed.hide_cursor(), "the cursor is hidden:\n{}", parsed.contents());
    let (row, column) = parsed.cursor_position();
    let text = parsed.rows(0, parsed.size().1).nth(usize::from(row)).unwrap_or_default();
    (row, column, text)
}

#[tokio::test]
async fn the_real_kiosk_leaves_the_cursor_on_the_field_for_a_screen_reader() {
    let backend = Backend::start();
    let (_setup, mut screen) = kiosk_with(&backend, "screen_reader = true");
    screen.wait_for("Mobile number:", WAIT).await;
    screen.type_text("2065550100").await;
    let shown = screen.wait_for("Mobile number: (206) 555-0100", WAIT).await;
    assert!(!shown.chars().any(|c| is_box_drawing(c) || c == '█'), "{shown}");
    let (_, column, row) = cursor_row(&mut screen);
    assert_eq!((row.as_str(), column), ("Mobile number: (206) 555-0100", 29), "the cursor after the number");
    screen.send(b"\r");
    screen.wait_for("Code:", WAIT).await;
    let code = backend.code_for("+12065550100");
    screen.type_text(&code[..2]).await;
    let shown = screen.wait_for(&format!("Code: {}", &code[..2]), WAIT).await;
    assert!(!shown.chars().any(|c| is_box_drawing(c) || c == '█'), "{shown}");
    let (_, column, row) = cursor_row(&mut screen);
    assert_eq!((row.trim_end(), column), (format!("Code: {}", &code[..2]).as_str(), 8));
    // A wrong code is said in words, on the line under the field; the cursor stays on the field.
    let wrong = if code.ends_with("0000") { "1111" } else { "0000" };
    screen.type_text(wrong).await;
    let shown = screen.wait_for("Error: That code isn't right", WAIT).await;
    let (_, column, row) = cursor_row(&mut screen);
    assert_eq!((row.trim_end(), column), ("Code:", 6), "{shown}");
    // The session: its status bar draws no box either.
    screen.type_text(&backend.codes_for("+12065550100", 1)[0]).await;
    let shown = screen.wait_for("F12 sign out", WAIT).await;
    assert!(!shown.chars().any(is_box_drawing), "{shown}");
}

#[tokio::test]
async fn the_real_kiosk_draws_large_digits_at_100x30_and_high_contrast_in_console_colours() {
    let backend = Backend::start();
    let (_setup, mut screen) = kiosk_with(&backend, "theme = \"high-contrast\"");
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("2065550100").await;
    let shown = screen.wait_for("▸ █", WAIT).await;
    assert!(!shown.contains("(206) 555-0100"), "the number is drawn large at 100x30:\n{shown}");
    let parsed = screen.parsed();
    assert!(parsed.hide_cursor(), "the boxed layout draws its own caret");
    for row in 0..30 {
        for column in 0..100 {
            let cell = parsed.cell(row, column).unwrap();
            assert!(!cell.dim(), "dim at {row},{column}");
            for color in [cell.fgcolor(), cell.bgcolor()] {
                assert!(!matches!(color, vt100::Color::Rgb(..)), "{color:?} at {row},{column}");
                assert!(!matches!(color, vt100::Color::Idx(index) if index >= 16), "{color:?} at {row},{column}");
            }
            assert_eq!(cell.bgcolor(), vt100::Color::Idx(0), "black at {row},{column}");
        }
    }
    screen.resize(99, 30);
    screen.wait_for("(206) 555-0100", WAIT).await;
}
