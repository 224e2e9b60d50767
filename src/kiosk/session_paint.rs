//! Paints the session's terminal straight onto the real one, as vt100's diff against what was
//! painted last: an echo rewrites one cell, not the whole frame.
//!
//! Copying every cell of the session into ratatui's buffer and diffing the whole frame cost
//! ~400 µs at 200x60 (BENCHMARKS.md, measure 7). So while nothing covers the session, ratatui
//! leaves the session's rows alone (skip cells) and draws only the status bar, and this painter
//! writes the session's rows. The session's rows are the terminal's top rows, so vt100's
//! positions are the terminal's.

use std::io::Write;

use ratatui::layout::Rect;

/// SGR 0: default colours and no attributes, which is what ratatui assumes it starts from.
const RESET_ATTRIBUTES: &[u8] = b"\x1b[m";

/// What the session's output since the last paint may have changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Damage {
    #[default]
    Nothing,
    /// Only these cells of one row: text typed or echoed on a line.
    Cells {
        row: u16,
        start: u16,
        end: u16,
    },
    Anything,
}

impl Damage {
    /// Adds one piece of output, given the session's cursor before and after it. Printable
    /// ASCII that moved the cursor along its row by its length (no wrap, no scroll, no escape
    /// sequence) changed only the cells it was written to, and perhaps their neighbours (the
    /// other half of a wide character it overwrote). Anything else may have changed anything.
    fn add(self, bytes: &[u8], before: (u16, u16), after: (u16, u16)) -> Self {
        if bytes.is_empty() {
            return self;
        }
        let plain_text = bytes.iter().all(|b| (0x20..=0x7e).contains(b));
        let along_the_row = after.0 == before.0 && usize::from(after.1) == usize::from(before.1) + bytes.len();
        if !(plain_text && along_the_row) {
            return Self::Anything;
        }
        let (row, start, end) = (before.0, before.1.saturating_sub(1), after.1.saturating_add(1));
        match self {
            Self::Nothing => Self::Cells { row, start, end },
            Self::Cells { row: damaged, start: s, end: e } if damaged == row => {
                Self::Cells { row, start: s.min(start), end: e.max(end) }
            }
            _ => Self::Anything,
        }
    }
}

/// Keeps what the terminal shows in the session's rows, to paint only what changed.
#[derive(Default)]
pub struct SessionPainter {
    /// The session's rows as the terminal shows them, and the terminal size they were painted
    /// on. Kept up by feeding this parser the bytes painted when they are few (an echo), by a
    /// copy of the session's screen when they are many (parsing them would cost more). `None` when the rows hold something else
    /// (a first frame, an overlay, a resize).
    shown: Option<(vt100::Parser, Rect)>,
    damage: Damage,
    bytes: Vec<u8>,
}

impl SessionPainter {
    /// Feeds the session's output to its screen, noting what it changed.
    pub fn take_output(&mut self, session: &mut vt100::Parser, bytes: &[u8]) {
        let before = session.screen().cursor_position();
        session.process(bytes);
        self.damage = self.damage.add(bytes, before, session.screen().cursor_position());
    }

    /// The rows no longer show what was painted: the next paint redraws them all.
    pub fn forget(&mut self) {
        self.shown = None;
    }

    /// Whether the rows show what was painted last, on a terminal of `area`.
    pub fn showing(&self, area: Rect) -> bool {
        self.shown.as_ref().is_some_and(|(_, shown_area)| *shown_area == area)
    }

    /// The bytes that turn the terminal's top rows into `screen`, on a terminal of `area`.
    /// They leave the cursor where the session's is and the attributes reset.
    pub fn paint(&mut self, screen: &vt100::Screen, area: Rect) -> &[u8] {
        self.bytes.clear();
        let (rows, cols) = screen.size();
        let mut shown = match self.shown.take() {
            Some((shown, shown_area)) if shown_area == area && shown.screen().size() == screen.size() => {
                match self.damage {
                    Damage::Cells { row, start, end } => {
                        // Only those cells to compare: the diff of one row's span, not of
                        // every cell of the screen (an echo's whole cost, before).
                        let end = end.min(cols);
                        let _ = write!(self.bytes, "\x1b[{};{}H", row + 1, start + 1);
                        self.bytes.extend(RESET_ATTRIBUTES);
                        if let Some(diff) = screen.rows_diff(shown.screen(), start, end - start).nth(row.into()) {
                            self.bytes.extend(diff);
                        }
                        self.bytes.extend(screen.cursor_state_formatted());
                    }
                    _ => {
                        // The diff moves from where the shown screen left the cursor, with its
                        // attributes; ratatui has drawn since, so put both back first.
                        self.bytes.extend(shown.screen().cursor_state_formatted());
                        self.bytes.extend(shown.screen().attributes_formatted());
                        self.bytes.extend(screen.contents_diff(shown.screen()));
                    }
                }
                shown
            }
            _ => {
                let blank = vt100::Parser::new(rows, cols, 0);
                self.bytes.extend(RESET_ATTRIBUTES);
                for row in 1..=rows {
                    // CUP to the row, then erase all of it.
                    let _ = write!(self.bytes, "\x1b[{row}H\x1b[2K");
                }
                self.bytes.extend(b"\x1b[H");
                self.bytes.extend(screen.contents_diff(blank.screen()));
                blank
            }
        };
        self.bytes.extend(RESET_ATTRIBUTES);
        if self.bytes.len() < usize::from(rows) * usize::from(cols) / 2 {
            shown.process(&self.bytes);
            if !matches!(self.damage, Damage::Cells { .. }) {
                // vt100's diff carries a wrapped row's wrap into the next row by writing one
                // more cell there, which it doesn't repaint when that row looked unchanged (found
                // by the property test): a second diff, from what the terminal now shows, mends it.
                let start = self.bytes.len();
                self.bytes.extend(screen.contents_diff(shown.screen()));
                self.bytes.extend(RESET_ATTRIBUTES);
                let mended = self.bytes[start..].to_vec();
                shown.process(&mended);
            }
        } else {
            *shown.screen_mut() = screen.clone();
        }
        self.shown = Some((shown, area));
        self.damage = Damage::Nothing;
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: u16 = 6;
    const COLS: u16 = 20;
    const BAR: &str = " Alex   F12 out";

    /// A real terminal, as far as vt100 emulates one: the session's rows and the status bar.
    struct Terminal {
        parser: vt100::Parser,
    }

    impl Terminal {
        fn new() -> Self {
            let mut parser = vt100::Parser::new(ROWS + 1, COLS, 0);
            // Whatever was there before, and the bar ratatui drew.
            parser.process(b"\x1b[1;1Hleft over from the sign-in screen");
            parser.process(format!("\x1b[{};1H\x1b[44m{BAR}\x1b[m", ROWS + 1).as_bytes());
            Self { parser }
        }

        /// What ratatui does between paints: moves the cursor, sets colours, draws the bar.
        fn ratatui_draws(&mut self) {
            self.parser.process(format!("\x1b[{};3H\x1b[1;44mA\x1b[m", ROWS + 1).as_bytes());
        }

        fn assert_shows(&self, session: &vt100::Screen, step: &str) {
            let terminal = self.parser.screen();
            let shown: Vec<Vec<u8>> = terminal.rows_formatted(0, COLS).take(ROWS.into()).collect();
            let wanted: Vec<Vec<u8>> = session.rows_formatted(0, COLS).collect();
            for (row, (shown, wanted)) in shown.iter().zip(&wanted).enumerate() {
                assert_eq!(
                    String::from_utf8_lossy(shown),
                    String::from_utf8_lossy(wanted),
                    "{step}: row {row} differs\nterminal:\n{}\nsession:\n{}",
                    terminal.contents(),
                    session.contents()
                );
            }
            assert_eq!(terminal.cursor_position(), session.cursor_position(), "{step}: cursor");
            let bar = terminal.rows(0, COLS).nth(ROWS.into()).unwrap();
            assert!(bar.starts_with(" A"), "{step}: the status bar was painted over: {bar:?}");
            assert_eq!(terminal.cell(ROWS, 0).unwrap().bgcolor(), vt100::Color::Idx(4), "{step}: bar colour");
        }
    }

    fn area() -> Rect {
        Rect::new(0, 0, COLS, ROWS + 1)
    }

    /// Feeds each step to a session, paints it, and checks the terminal shows exactly it.
    fn check(steps: &[&str]) {
        let batches: Vec<Vec<&str>> = steps.iter().map(|step| vec![*step]).collect();
        check_batches(&batches);
    }

    /// As `check`, with several pieces of output before each paint (as when output comes
    /// faster than frames).
    fn check_batches(batches: &[Vec<&str>]) {
        let mut session = vt100::Parser::new(ROWS, COLS, 0);
        let mut terminal = Terminal::new();
        let mut painter = SessionPainter::default();
        for batch in batches {
            for output in batch {
                painter.take_output(&mut session, output.as_bytes());
            }
            terminal.parser.process(painter.paint(session.screen(), area()));
            terminal.assert_shows(session.screen(), &batch.concat());
            terminal.ratatui_draws();
        }
    }

    #[test]
    fn typing_anywhere_on_a_line_paints_just_those_cells() {
        let mut session = vt100::Parser::new(ROWS, COLS, 0);
        let mut painter = SessionPainter::default();
        painter.take_output(&mut session, b"$ \x1b[2;1Hsecond row");
        painter.paint(session.screen(), area());
        painter.take_output(&mut session, b"x");
        let echo = painter.paint(session.screen(), area()).to_vec();
        assert_eq!(painter.damage, Damage::Nothing, "a paint starts the next damage afresh");
        let text = String::from_utf8_lossy(&echo);
        assert!(echo.len() < 40 && text.contains('x'), "an echo wrote {} bytes: {text:?}", echo.len());
        assert!(text.starts_with("\x1b[2;10H"), "starts at the cell before the echo: {text:?}");

        check(&["$ ", "l", "s", " -l", "\x1b[1;3H", "L", "\x1b[1;20H", "z"]);
        check(&["\x1b[31mred", "der", "\x1b[m", " plain", "\x1b[?25l", "hidden", "\x1b[?25h", "shown"]);
        // Over wide characters: writing on one half of one clears the other half.
        check(&["日本語", "\x1b[1;2H", "a", "\x1b[1;5H", "bc", "\x1b[1;1H", "日"]);
        // Up to the right edge, then a wrap: the wrap changes another row.
        check(&[&"x".repeat(usize::from(COLS) - 2), "ab", "c", "d"]);
    }

    /// Found by the property test: a wrap and a scroll, painted after the cursor moved.
    #[test]
    fn a_wrap_carried_into_an_unchanged_row_is_mended() {
        check_batches(&[vec!["\x1b[5;20H", "a2 "], vec!["\x1b[6;20H"], vec![" 2"]]);
    }

    #[test]
    fn output_in_several_pieces_before_a_paint() {
        check_batches(&[
            vec!["$ "],
            vec!["a", "b", "c"],
            vec!["d", "\x1b[3;1H", "e"],
            vec!["\x1b[1;1H", "X", "\x1b[1;10H", "Y"],
            vec!["\r\n", "next"],
        ]);
    }

    #[test]
    fn first_paint_erases_what_was_there() {
        check(&["$ "]);
    }

    #[test]
    fn echoes_and_line_editing() {
        check(&["$ ", "l", "s", "\x08 \x08", "s -l\r\n", "total 0\r\n$ "]);
    }

    #[test]
    fn colours_and_attributes_survive_ratatui_drawing_between_paints() {
        check(&["\x1b[31mred", " still red", "\x1b[1;4mbold underlined\x1b[m plain", "\x1b[7minverse"]);
    }

    #[test]
    fn a_whole_screen_of_output_left_in_colour_then_an_echo() {
        // Many bytes: the painter copies the screen rather than parsing them; the session is
        // still drawing in red afterwards, which the next diff must start from.
        let screenful = format!("\x1b[2J\x1b[H\x1b[31m{}", "r".repeat(usize::from(ROWS * COLS) - 5));
        check(&[&screenful, "x", "\x1b[1;1Hy"]);
    }

    #[test]
    fn scrolling_output() {
        let lines: Vec<String> = (0..15).map(|n| format!("line {n}\r\n")).collect();
        let steps: Vec<&str> = lines.iter().map(String::as_str).collect();
        check(&steps);
        check(&[&lines.concat(), "$ "]);
    }

    #[test]
    fn full_rows_wrap_and_the_cursor_waits_at_the_right_edge() {
        let full_row = "x".repeat(COLS as usize);
        check(&[&full_row, "y", &full_row, "\r\n\x1b[6;1H", &full_row]);
    }

    #[test]
    fn wide_characters() {
        check(&["日本語テキスト", "\x1b[1;2Hab", "\r\n漢字漢字漢字漢字漢字漢字"]);
    }

    #[test]
    fn full_screen_programs_and_back() {
        check(&[
            "$ vi\r\n",
            "\x1b[?1049h\x1b[H\x1b[2J~\r\n~\r\n~\x1b[1;1H",
            "\x1b[2;5Hinserted",
            "\x1b[?25l",
            "\x1b[?1049l\x1b[?25h$ ",
            "\x1b[2J\x1b[H",
        ]);
    }

    #[test]
    fn a_resize_or_an_overlay_repaints_everything() {
        let mut session = vt100::Parser::new(ROWS, COLS, 0);
        let mut terminal = Terminal::new();
        let mut painter = SessionPainter::default();
        session.process(b"$ echo hi\r\nhi\r\n$ ");
        terminal.parser.process(painter.paint(session.screen(), area()));
        // An overlay was drawn over the rows; the painter is told.
        terminal.parser.process(b"\x1b[3;3H\x1b[43m Are you still there? \x1b[m");
        painter.forget();
        terminal.parser.process(painter.paint(session.screen(), area()));
        terminal.assert_shows(session.screen(), "after the overlay");
        // A resize: a different area means the rows are unknown too, whatever forget says.
        terminal.parser.process(b"\x1b[2;1H\x1b[2Kcleared by ratatui");
        let wider = Rect::new(0, 0, COLS, ROWS + 1);
        let bytes = painter.paint(session.screen(), Rect { width: COLS + 1, ..wider }).to_vec();
        assert!(bytes.windows(4).any(|w| w == b"\x1b[2K"), "a new area is painted from scratch");
    }

    #[test]
    fn an_unchanged_screen_paints_almost_nothing() {
        let mut session = vt100::Parser::new(ROWS, COLS, 0);
        session.process(b"$ echo hi\r\nhi\r\n$ ");
        let mut painter = SessionPainter::default();
        let first = painter.paint(session.screen(), area()).len();
        let again = painter.paint(session.screen(), area()).len();
        assert!(again < 24, "repainting an unchanged screen wrote {again} bytes (first paint {first})");
        session.process(b"x");
        let echo = painter.paint(session.screen(), area()).to_vec();
        assert!(echo.len() < 32, "an echo wrote {} bytes: {:?}", echo.len(), String::from_utf8_lossy(&echo));
    }

    /// Arbitrary session output, painted in arbitrary batches, always shows on the terminal as
    /// a fresh emulator shows it (`PROPTEST_CASES` raises the number of cases).
    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A piece of output: text, wide and invalid characters, and control sequences with
        /// parameters from sensible to absurd.
        fn fragment() -> impl Strategy<Value = Vec<u8>> {
            let number = prop_oneof![0u32..30, 0u32..2_000_000];
            prop_oneof![
                "[ -~]{1,12}".prop_map(String::into_bytes),
                Just("日本語".as_bytes().to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\x08\t".to_vec()),
                prop::collection::vec(any::<u8>(), 1..8),
                (number.clone(), number.clone()).prop_map(|(r, c)| format!("\x1b[{r};{c}H").into_bytes()),
                (
                    number.clone(),
                    prop::sample::select(vec![
                        'A', 'B', 'C', 'D', 'J', 'K', 'L', 'M', 'P', '@', 'S', 'T', 'X', 'G', 'd'
                    ])
                )
                    .prop_map(|(n, f)| format!("\x1b[{n}{f}").into_bytes()),
                prop::collection::vec(0u32..300, 0..5).prop_map(|ps| {
                    let ps: Vec<String> = ps.iter().map(u32::to_string).collect();
                    format!("\x1b[{}m", ps.join(";")).into_bytes()
                }),
                (number.clone(), number).prop_map(|(a, b)| format!("\x1b[{a};{b}r").into_bytes()),
                prop::sample::select(vec![
                    "\x1b[?1049h",
                    "\x1b[?1049l",
                    "\x1b[?25l",
                    "\x1b[?25h",
                    "\x1b[?7l",
                    "\x1b[?7h",
                    "\x1bc",
                    "\x1b7",
                    "\x1b8"
                ])
                .prop_map(|s| s.as_bytes().to_vec()),
                "[a-z ]{0,300}".prop_map(|text| format!("\x1b]0;{text}").into_bytes()),
            ]
        }

        proptest! {
            // Slow in a debug build: 64 cases in `cargo test`, more with PROPTEST_CASES.
            #![proptest_config(crate::proptest_config(64))]

            #[test]
            fn any_output_painted_in_any_batches_shows_as_the_emulator_sees_it(
                batches in prop::collection::vec(prop::collection::vec(fragment(), 1..6), 1..10)
            ) {
                let mut session = vt100::Parser::new(ROWS, COLS, 0);
                let mut terminal = Terminal::new();
                let mut painter = SessionPainter::default();
                for (index, batch) in batches.iter().enumerate() {
                    for output in batch {
                        painter.take_output(&mut session, output);
                    }
                    terminal.parser.process(painter.paint(session.screen(), area()));
                    terminal.assert_shows(session.screen(), &format!("batch {index}: {batch:?}"));
                    terminal.ratatui_draws();
                }
            }
        }
    }
}
