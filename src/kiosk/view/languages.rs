//! The language list, over the sign-in screen: each language in its own name (whoever needs
//! it can read it, whatever the screen's language), the one in use ticked. Each row is where
//! the touch work's tap target goes (`update::language::choose`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::{Focus, clear};
use crate::kiosk::state::State;
use crate::tr;

/// The list's rows, then its hint; the focus on the selected row.
pub(super) fn lines(state: &State, selected: usize) -> (Vec<Line<'static>>, Focus) {
    let language = state.language;
    let theme = state.settings.theme;
    let mut lines: Vec<Line> = state
        .settings
        .languages
        .iter()
        .enumerate()
        .map(|(index, other)| {
            let marker = if index == selected { "▶" } else { " " };
            let tick = if *other == language { " ✓" } else { "" };
            let text = format!("{marker} {}  {}{tick}", index + 1, other.native_name());
            let style = if index == selected { theme.selected() } else { Style::default() };
            Line::from(Span::styled(text, style))
        })
        .collect();
    lines.push(Line::from(tr!(language, "menu-hint")).style(theme.hint()));
    (lines, Focus { line: selected, column: 0 })
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let language = state.language;
    let (lines, _) = lines(state, selected);
    // Wide enough for the rows and the hint, if the screen is; the hint wraps if it isn't.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    // One column short of the screen is as good as all of it (and keeps the frame even).
    let width = match widest + 4 {
        wide if wide + 1 >= area.width => area.width,
        fitting => fitting,
    };
    let inner_width = width.saturating_sub(4).max(1);
    let hint_width = lines.last().map_or(0, Line::width) as u16;
    let hint_rows = hint_width.div_ceil(inner_width).max(1);
    let height = (lines.len() as u16 - 1 + hint_rows + 2).min(area.height);
    // Rounded down on a screen that just fits it: the kiosk's title stays in sight.
    let y = area.y + (area.height - height).div_ceil(2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y, width, height };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(state.settings.theme.accent_border())
        .title(Span::styled(
            format!(" {} ", tr!(language, "language-title")),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(popup);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    clear(frame, popup, state);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), padded);
}
