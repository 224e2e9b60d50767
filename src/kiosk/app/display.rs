//! Where the kiosk draws: the real terminal (ratatui's crossterm backend, with the session's
//! rows painted straight to it), or ratatui's `TestBackend` for in-process tests. The event
//! loop is generic over this trait, so the same loop runs in both.

use std::io::Write;

use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;

use super::super::frame;
use super::super::session_paint::SessionPainter;
use super::super::state::State;
use super::super::view;

/// CSI 2 J + CSI 3 J: wipe the screen and the scrollback; home the cursor; and turn off the
/// modes a program may have left on (mouse reporting, bracketed paste).
pub const WIPE_SCREEN: &[u8] = b"\x1b[2J\x1b[3J\x1b[H\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l";

pub trait KioskDisplay {
    /// The whole screen.
    fn area(&mut self) -> Rect;
    /// Draws `state`, and the hosted session's screen if there is one.
    fn draw(&mut self, state: &State, session: Option<(&vt100::Screen, &mut SessionPainter)>) -> std::io::Result<()>;
    /// Draws only the session's new output; false (having drawn nothing) when a whole frame is needed.
    fn draw_session_output(
        &mut self,
        state: &State,
        screen: &vt100::Screen,
        painter: &mut SessionPainter,
    ) -> std::io::Result<bool>;
    fn resize(&mut self, painter: Option<&mut SessionPainter>, area: Rect) -> std::io::Result<()>;
    /// Wipes the screen and its scrollback: nothing of a session may stay visible.
    fn wipe(&mut self) -> std::io::Result<()>;
}

impl<W: Write> KioskDisplay for Terminal<CrosstermBackend<W>> {
    fn area(&mut self) -> Rect {
        self.get_frame().area()
    }

    fn draw(&mut self, state: &State, session: Option<(&vt100::Screen, &mut SessionPainter)>) -> std::io::Result<()> {
        frame::draw(self, state, session)
    }

    fn draw_session_output(
        &mut self,
        state: &State,
        screen: &vt100::Screen,
        painter: &mut SessionPainter,
    ) -> std::io::Result<bool> {
        frame::draw_session_output(self, state, screen, painter)
    }

    fn resize(&mut self, painter: Option<&mut SessionPainter>, area: Rect) -> std::io::Result<()> {
        frame::resize(self, painter, area)
    }

    fn wipe(&mut self) -> std::io::Result<()> {
        // Draw a blank frame first so ratatui's idea of the screen matches the wiped one
        // (`Terminal::clear` would query the cursor, which the input stream races with).
        Terminal::draw(self, |frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))?;
        let backend = self.backend_mut();
        backend.write_all(WIPE_SCREEN)?;
        Write::flush(backend)
    }
}

/// In-memory: ratatui draws everything, the session's rows through its terminal widget.
impl KioskDisplay for Terminal<TestBackend> {
    fn area(&mut self) -> Rect {
        self.get_frame().area()
    }

    fn draw(&mut self, state: &State, session: Option<(&vt100::Screen, &mut SessionPainter)>) -> std::io::Result<()> {
        let screen = session.map(|(screen, _)| screen);
        Terminal::draw(self, |frame| view::draw(frame, state, screen)).map(drop).map_err(infallible)
    }

    fn draw_session_output(&mut self, _: &State, _: &vt100::Screen, _: &mut SessionPainter) -> std::io::Result<bool> {
        Ok(false)
    }

    fn resize(&mut self, _: Option<&mut SessionPainter>, area: Rect) -> std::io::Result<()> {
        Terminal::resize(self, area).map_err(infallible)
    }

    fn wipe(&mut self) -> std::io::Result<()> {
        self.clear().map_err(infallible)
    }
}

/// `TestBackend` never fails.
fn infallible(never: std::convert::Infallible) -> std::io::Error {
    match never {}
}
