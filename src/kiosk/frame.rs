//! One frame on the real terminal: ratatui draws the kiosk's screens and the session's status
//! bar; the session's rows go through `session_paint` while nothing covers them.

use std::io::Write;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use super::session_paint::SessionPainter;
use super::state::State;
use super::view;

/// Draws `state`, and the hosted session's screen if there is one.
pub fn draw<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    state: &State,
    session: Option<(&vt100::Screen, &mut SessionPainter)>,
) -> std::io::Result<()> {
    // The kiosk's terminal has a fixed viewport, resized on resize events (which clear it), so
    // `draw` will not clear what is painted here.
    let area = terminal.get_frame().area();
    match session {
        Some((screen, painter)) if view::session_paintable(state, screen, area) => {
            let rows = painter.paint(screen, area);
            terminal.backend_mut().write_all(rows)?;
            terminal.draw(|frame| view::draw_beside_painted_session(frame, state, screen))?;
        }
        session => {
            // ratatui draws over the rows now; the painter starts afresh next time.
            let screen = session.map(|(screen, painter)| {
                painter.forget();
                screen
            });
            terminal.draw(|frame| view::draw(frame, state, screen))?;
        }
    }
    Ok(())
}

/// Draws the session's new output when that is all that changed: its rows are painted and
/// ratatui's frame (the status bar, unchanged) stays as it is on screen, which spares building
/// and diffing a whole frame for each echo. Returns false, having drawn nothing, when the rows
/// are not the painter's to paint or not as it painted them last: a whole frame is needed.
pub fn draw_session_output<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    state: &State,
    screen: &vt100::Screen,
    painter: &mut SessionPainter,
) -> std::io::Result<bool> {
    let area = terminal.get_frame().area();
    if !(view::session_paintable(state, screen, area) && painter.showing(area)) {
        return Ok(false);
    }
    let backend = terminal.backend_mut();
    backend.write_all(painter.paint(screen, area))?;
    Write::flush(backend)?;
    Ok(true)
}

/// The terminal is now `area` (or was resized and back): ratatui clears it, so nothing painted
/// on it is there any more.
pub fn resize<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    painter: Option<&mut SessionPainter>,
    area: Rect,
) -> std::io::Result<()> {
    if let Some(painter) = painter {
        painter.forget();
    }
    terminal.resize(area)
}

#[cfg(test)]
mod tests {
    use ratatui::{TerminalOptions, Viewport};

    use super::*;
    use crate::kiosk::fixtures;

    const AREA: Rect = Rect { x: 0, y: 0, width: 40, height: 8 };

    /// Bytes written to the terminal, kept where the test can read them.
    #[derive(Clone, Default)]
    struct Tape(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Tape {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The kiosk's terminal, writing into memory, and a vt100 screen showing what it wrote.
    struct Shown {
        terminal: Terminal<CrosstermBackend<Tape>>,
        tape: Tape,
        screen: vt100::Parser,
    }

    impl Shown {
        fn new() -> Self {
            let tape = Tape::default();
            let options = TerminalOptions { viewport: Viewport::Fixed(AREA) };
            let terminal = Terminal::with_options(CrosstermBackend::new(tape.clone()), options).unwrap();
            Shown { terminal, tape, screen: vt100::Parser::new(AREA.height, AREA.width, 0) }
        }

        /// Takes in what was written since; returns how many bytes that was.
        fn update(&mut self) -> usize {
            let written = std::mem::take(&mut *self.tape.0.borrow_mut());
            self.screen.process(&written);
            written.len()
        }

        fn row(&self, row: u16) -> String {
            self.screen.screen().rows(0, AREA.width).nth(row.into()).unwrap()
        }
    }

    fn session(text: &str) -> vt100::Parser {
        let mut session = vt100::Parser::new(AREA.height - 1, AREA.width, 0);
        session.process(text.as_bytes());
        session
    }

    #[test]
    fn session_output_alone_paints_its_rows_and_leaves_the_bar() {
        let state = fixtures::in_session();
        let mut shown = Shown::new();
        let mut session = session("$ ");
        let mut painter = SessionPainter::default();
        draw(&mut shown.terminal, &state, Some((session.screen(), &mut painter))).unwrap();
        shown.update();
        let bar = shown.row(AREA.height - 1);
        assert!(bar.contains("Alex Rivera"), "{bar:?}");

        session.process(b"ls");
        assert!(draw_session_output(&mut shown.terminal, &state, session.screen(), &mut painter).unwrap());
        let written = shown.update();
        assert!(written < 48, "an echo wrote {written} bytes");
        assert_eq!(shown.row(0), "$ ls");
        assert_eq!(shown.row(AREA.height - 1), bar);
        assert_eq!(shown.screen.screen().cursor_position(), (0, 4));
    }

    #[test]
    fn after_a_resize_or_under_an_overlay_the_whole_frame_is_drawn() {
        let mut state = fixtures::in_session();
        let mut shown = Shown::new();
        let session = session("$ echo hi\r\nhi\r\n$ ");
        let mut painter = SessionPainter::default();
        draw(&mut shown.terminal, &state, Some((session.screen(), &mut painter))).unwrap();
        // A resize, even back to the same size, clears the terminal.
        resize(&mut shown.terminal, Some(&mut painter), AREA).unwrap();
        assert!(!draw_session_output(&mut shown.terminal, &state, session.screen(), &mut painter).unwrap());
        draw(&mut shown.terminal, &state, Some((session.screen(), &mut painter))).unwrap();
        shown.update();
        assert_eq!(shown.row(1), "hi", "the session's rows are back after the resize");
        // The manager menu covers the session: its rows are not the painter's to paint.
        fixtures::press(&mut state, crossterm::event::KeyCode::F(9));
        assert!(!draw_session_output(&mut shown.terminal, &state, session.screen(), &mut painter).unwrap());
    }
}
