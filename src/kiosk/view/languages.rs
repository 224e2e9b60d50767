//! The language list, over the sign-in screen: each language in its own name (whoever needs
//! it can read it, whatever the screen's language), the one in use ticked. Each row is where
//! the touch work's tap target goes (`update::language::choose`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::ACCENT;
use super::wrap::wrap;
use crate::kiosk::state::State;
use crate::tr;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let language = state.language;
    let languages = &state.settings.languages;
    let rows: Vec<Line> = languages
        .iter()
        .enumerate()
        .map(|(index, other)| {
            let marker = if index == selected { "▶" } else { " " };
            let tick = if *other == language { " ✓" } else { "" };
            let lead = format!("{marker} {}  ", index + 1);
            let style =
                if index == selected { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
            Line::from(vec![Span::styled(lead, style), Span::styled(format!("{}{tick}", other.native_name()), style)])
        })
        .collect();
    let hint = Line::from(tr!(language, "menu-hint")).dim();
    // Wide enough for the rows and the hint, if the screen is; the hint wraps if it isn't.
    let widest = rows.iter().chain([&hint]).map(Line::width).max().unwrap_or(0) as u16;
    // One column short of the screen is as good as all of it (and keeps the frame even).
    let width = match widest + 4 {
        wide if wide + 1 >= area.width => area.width,
        fitting => fitting,
    };
    let mut lines = rows;
    lines.push(hint);
    let lines = wrap(lines, width.saturating_sub(4).max(1));
    let height = (lines.len() as u16 + 2).min(area.height);
    // Rounded down on a screen that just fits it: the kiosk's title stays in sight.
    let y = area.y + (area.height - height).div_ceil(2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y, width, height };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(ACCENT))
        .title(format!(" {} ", tr!(language, "language-title")).bold());
    let inner = block.inner(popup);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines), padded);
}
