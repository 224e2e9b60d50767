//! The running session: its terminal's rows (drawn by ratatui's terminal widget, or left to
//! `session_paint`), the status bar, and the idle warning.

use std::time::Duration;

use ratatui::Frame;
use ratatui::buffer::CellDiffOption;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use tui_term::widget::PseudoTerminal;

use crate::kiosk::state::{Screen, SessionStatus, State};
use crate::locale::Language;
use crate::tr;

/// The area the session's terminal gets in a frame of `area`: all but the status bar.
pub fn session_area(area: Rect) -> Rect {
    Rect { height: area.height.saturating_sub(1), ..area }
}

/// Whether the session's rows can be left to `session_paint` this frame: a session is on
/// screen, nothing is drawn over it, and its terminal is the size of its area.
pub fn session_paintable(state: &State, screen: &vt100::Screen, area: Rect) -> bool {
    let Screen::Session(status) = &state.screen else { return false };
    let rows = session_area(area);
    state.manager.is_none()
        && status.pin.is_none()
        && !status.idle_warning_shown(&state.settings.limits, state.now)
        && rows.height > 0
        && screen.size() == (rows.height, rows.width)
}

/// The session screen when `session_paintable`: the status bar, and the session's rows left as
/// they are on the terminal (the painter has written them).
pub fn draw_beside_painted_session(frame: &mut Frame, state: &State, screen: &vt100::Screen) {
    if let Screen::Session(status) = &state.screen {
        draw_session(frame, state, screen, status, SessionRows::Painted);
        super::fold_glyphs(frame, state);
    }
}

/// Who draws the session's rows.
#[derive(Clone, Copy)]
pub(super) enum SessionRows {
    /// ratatui, through the terminal widget: when something is drawn over them.
    Widget,
    /// `session_paint`, straight to the terminal; ratatui skips them.
    Painted,
}

/// Leaves `area` to whoever writes to the terminal besides ratatui: its diff passes over it.
fn skip_cells(frame: &mut Frame, area: Rect) {
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        let start = buffer.index_of(area.left(), y);
        for cell in &mut buffer.content[start..start + usize::from(area.width)] {
            cell.set_diff_option(CellDiffOption::Skip);
        }
    }
}

/// Columns `text` takes (a CJK character takes two).
fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// "11h 59m left", "4 min left".
fn time_left(language: Language, left: Duration) -> String {
    let minutes = left.as_secs().div_ceil(60);
    match minutes {
        0..=59 => tr!(language, "time-left-minutes", minutes = minutes),
        _ => tr!(language, "time-left-hours", hours = minutes / 60, minutes = format!("{:02}", minutes % 60)),
    }
}

pub(super) fn draw_session(
    frame: &mut Frame,
    state: &State,
    screen: &vt100::Screen,
    status: &SessionStatus,
    rows: SessionRows,
) {
    let area = frame.area();
    let terminal_area = session_area(area);
    match rows {
        // No Clear first: each frame starts blank, and the terminal widget writes every cell.
        SessionRows::Widget => frame.render_widget(PseudoTerminal::new(screen), terminal_area),
        SessionRows::Painted => {
            skip_cells(frame, terminal_area);
            if !screen.hide_cursor() {
                // The real cursor, where the session's is (it waits past the last column
                // after a full row; the terminal's cannot).
                let (row, col) = screen.cursor_position();
                frame.set_cursor_position((col.min(terminal_area.width.saturating_sub(1)), row));
            }
        }
    }

    // The sign-out key always shows, right-aligned; the lock key and the kiosk name where there
    // is room.
    let language = state.language;
    let sign_out = tr!(language, "status-sign-out", key = state.settings.sign_out_key.to_string());
    let lock = tr!(language, "status-lock", key = state.settings.lock_key.to_string());
    let ending_soon = status.ending_soon(state.now);
    let left_text = time_left(language, status.ends_at.saturating_duration_since(state.now));
    let names = [
        format!(" {} · {} · {left_text} ", status.name, state.settings.kiosk_name),
        format!(" {} · {left_text} ", status.name),
        format!(" {} ", status.name),
    ];
    // Drop detail until it fits: the kiosk name first, then the time left, then the lock key;
    // never the sign-out key.
    let keys = [format!(" {lock} · {sign_out} "), format!(" {sign_out} ")];
    let (left, key) = keys
        .iter()
        .flat_map(|key| names.iter().map(move |name| (name.clone(), key.clone())))
        .find(|(name, key)| width(name) + width(key) <= area.width as usize)
        .unwrap_or_else(|| (String::new(), keys[1].clone()));
    let gap = (area.width as usize).saturating_sub(width(&left) + width(&key));
    let theme = state.settings.theme;
    let bar = Line::from(vec![
        Span::styled(left, Style::default().bold()),
        Span::raw(" ".repeat(gap)),
        Span::styled(key, theme.status_key()),
    ]);
    let bar_area = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
    frame.render_widget(Paragraph::new(bar).style(theme.status_bar(ending_soon)), bar_area);

    if status.idle_warning_shown(&state.settings.limits, state.now) {
        let left = status.idle_deadline(&state.settings.limits).saturating_duration_since(state.now);
        let seconds = left.as_secs_f64().ceil() as u64;
        match state.settings.screen_reader {
            // Every ten seconds (never more than is left), then the last ten: a screen reader
            // speaks each change.
            true => draw_flat_idle_warning(
                frame,
                terminal_area,
                state,
                if seconds > 10 { seconds / 10 * 10 } else { seconds },
            ),
            false => draw_idle_warning(frame, terminal_area, state, seconds),
        }
    }
}

fn draw_idle_warning(frame: &mut Frame, area: Rect, state: &State, seconds: u64) {
    let language = state.language;
    let width = 44.min(area.width);
    let height = 5.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .title(format!(" {} ", tr!(language, "idle-title")).bold())
        .style(state.settings.theme.idle_warning());
    let text = vec![
        Line::from(tr!(language, "idle-countdown", seconds = seconds)).bold(),
        Line::from(tr!(language, "idle-stay")),
    ];
    super::clear(frame, popup, state);
    frame
        .render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }).block(block), popup);
}

/// The warning as three sentences across the foot of the session, the cursor on the countdown.
fn draw_flat_idle_warning(frame: &mut Frame, area: Rect, state: &State, seconds: u64) {
    let language = state.language;
    let style = state.settings.theme.idle_warning();
    let lines = vec![
        Line::from(tr!(language, "idle-title")).style(style),
        Line::from(tr!(language, "idle-countdown", seconds = seconds)).style(style),
        Line::from(tr!(language, "idle-stay")).style(style),
    ];
    let height = super::flat_height(&lines, area.width).min(area.height);
    let band = Rect { y: area.y + area.height - height, height, ..area };
    super::clear(frame, band, state);
    frame.buffer_mut().set_style(band, style);
    super::render_flat(frame, band, lines, Some(super::Focus { line: 1, column: 0 }));
}
