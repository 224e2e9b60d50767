//! Where the kiosk draws: the real terminal (ratatui's crossterm backend, with the session's
//! rows painted straight to it), or ratatui's `TestBackend` for in-process tests. The event
//! loop is generic over this trait, so the same loop runs in both.

use std::io::Write;

use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use vt100::MouseProtocolMode;

use super::super::frame;
use super::super::session_paint::SessionPainter;
use super::super::state::State;
use super::super::view;

/// CSI 2 J + CSI 3 J: wipe the screen and the scrollback; home the cursor; and turn off the
/// modes a program may have left on (mouse reporting, bracketed paste).
pub const WIPE_SCREEN: &[u8] = b"\x1b[2J\x1b[3J\x1b[H\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l";

/// Mouse reporting off, whatever mode it was in (for a kiosk that panics).
pub const MOUSE_OFF: &[u8] = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l";

/// The DEC private mode that has a terminal report `mode`'s events. X10's presses alone come
/// from 1000 too: a session is sent only what it asked for (`session::mouse`).
fn tracking_mode(mode: MouseProtocolMode) -> Option<u16> {
    match mode {
        MouseProtocolMode::None => None,
        MouseProtocolMode::Press | MouseProtocolMode::PressRelease => Some(1000),
        MouseProtocolMode::ButtonMotion => Some(1002),
        MouseProtocolMode::AnyMotion => Some(1003),
    }
}

/// The bytes that turn a terminal's mouse reporting from `from` to `to`, SGR-encoded (1006)
/// whenever it is on: the kiosk reads no other encoding, and SGR has no column limit.
pub fn mouse_reporting_bytes(from: MouseProtocolMode, to: MouseProtocolMode) -> Vec<u8> {
    let (from, to) = (tracking_mode(from), tracking_mode(to));
    let mut bytes = Vec::new();
    if from == to {
        return bytes;
    }
    if let Some(mode) = from {
        let _ = write!(bytes, "\x1b[?{mode}l");
    }
    match (from, to) {
        (_, Some(mode)) => {
            let _ = write!(bytes, "\x1b[?{mode}h");
            if from.is_none() {
                bytes.extend(b"\x1b[?1006h");
            }
        }
        (_, None) => bytes.extend(b"\x1b[?1006l"),
    }
    bytes
}

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
    /// Wipes the screen and its scrollback: nothing of a session may stay visible. Mouse
    /// reporting is off after it.
    fn wipe(&mut self) -> std::io::Result<()>;
    /// Has the terminal report the mouse events of `to` instead of `from`'s. A display that
    /// isn't a terminal has no mouse to set.
    fn set_mouse_reporting(&mut self, from: MouseProtocolMode, to: MouseProtocolMode) -> std::io::Result<()> {
        let _ = (from, to);
        Ok(())
    }
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

    fn set_mouse_reporting(&mut self, from: MouseProtocolMode, to: MouseProtocolMode) -> std::io::Result<()> {
        let backend = self.backend_mut();
        backend.write_all(&mouse_reporting_bytes(from, to))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a terminal (vt100's, as xterm) makes of the bytes.
    fn after(bytes: &[u8]) -> (MouseProtocolMode, vt100::MouseProtocolEncoding) {
        let mut terminal = vt100::Parser::new(24, 80, 0);
        terminal.process(bytes);
        (terminal.screen().mouse_protocol_mode(), terminal.screen().mouse_protocol_encoding())
    }

    #[test]
    fn mouse_reporting_switches_modes_and_is_sgr_whenever_on() {
        use MouseProtocolMode::*;
        use vt100::MouseProtocolEncoding::{Default, Sgr};
        assert_eq!(after(&mouse_reporting_bytes(None, PressRelease)), (PressRelease, Sgr));
        let taps_then_motion =
            [mouse_reporting_bytes(None, PressRelease), mouse_reporting_bytes(PressRelease, AnyMotion)];
        assert_eq!(after(&taps_then_motion.concat()), (AnyMotion, Sgr));
        let on_and_off = [mouse_reporting_bytes(None, ButtonMotion), mouse_reporting_bytes(ButtonMotion, None)];
        assert_eq!(after(&on_and_off.concat()), (None, Default));
        assert_eq!(after(&mouse_reporting_bytes(None, Press)), (PressRelease, Sgr), "presses come from 1000");
        assert!(mouse_reporting_bytes(Press, PressRelease).is_empty(), "the same mode for the terminal");
        let wiped = [mouse_reporting_bytes(None, AnyMotion), WIPE_SCREEN.to_vec()];
        assert_eq!(after(&wiped.concat()), (None, Default), "the wipe turns it off");
    }
}
