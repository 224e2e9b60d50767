//! One frame on the real terminal: ratatui draws the kiosk's screens and the session's status
//! bar; the session's rows go through `session_paint` while nothing covers them.

use std::io::Write;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

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
