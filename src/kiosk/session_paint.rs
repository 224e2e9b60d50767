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

/// Keeps what the terminal shows in the session's rows, to paint only what changed.
#[derive(Default)]
pub struct SessionPainter {
    /// The session's rows as the terminal shows them, and the terminal size they were painted
    /// on. Kept up by feeding this parser the bytes painted when they are few (an echo), by a
    /// copy of the session's screen when they are many (parsing them would cost more). `None` when the rows hold something else
    /// (a first frame, an overlay, a resize).
    shown: Option<(vt100::Parser, Rect)>,
    bytes: Vec<u8>,
}

impl SessionPainter {
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
                // The diff moves from where the shown screen left the cursor, with its
                // attributes; ratatui has drawn since, so put both back first.
                self.bytes.extend(shown.screen().cursor_state_formatted());
                self.bytes.extend(shown.screen().attributes_formatted());
                self.bytes.extend(screen.contents_diff(shown.screen()));
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
        } else {
            *shown.screen_mut() = screen.clone();
        }
        self.shown = Some((shown, area));
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
        let mut session = vt100::Parser::new(ROWS, COLS, 0);
        let mut terminal = Terminal::new();
        let mut painter = SessionPainter::default();
        for step in steps {
            session.process(step.as_bytes());
            terminal.parser.process(painter.paint(session.screen(), area()));
            terminal.assert_shows(session.screen(), step);
            terminal.ratatui_draws();
        }
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
}
