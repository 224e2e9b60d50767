//! The language list, over the sign-in screen: each language in its own name (whoever needs
//! it can read it, whatever the screen's language), the one in use ticked. Each row is a tap
//! target (`update::language::choose`); the screen-reader layout takes the same lines, flat.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::wrap::wrap;
use super::{Focus, clear, rows};
use crate::kiosk::state::{State, Target};
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
            let lit = index == selected || state.pressed == Some(Target::Language(index));
            let style = if lit { theme.selected() } else { Style::default() };
            // The lead in a span of its own: a wrapped name's rows start under the name.
            let lead = format!("{marker} {}  ", index + 1);
            Line::from(vec![Span::styled(lead, style), Span::styled(format!("{}{tick}", other.native_name()), style)])
        })
        .collect();
    lines.push(Line::from(tr!(language, "menu-hint")).style(theme.hint()));
    (lines, Focus { line: selected, column: 0 })
}

/// The list in `area`: its box, and each line (the languages' rows, then the hint) where it goes.
struct Placed {
    popup: Rect,
    lines: Vec<(Line<'static>, Rect)>,
}

fn place(area: Rect, state: &State, selected: usize) -> Placed {
    let (lines, _) = lines(state, selected);
    // Wide enough for the rows and the hint, if the screen is; the hint wraps if it isn't.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    // One column short of the screen is as good as all of it (and keeps the frame even).
    let width = match widest + 4 {
        wide if wide + 1 >= area.width => area.width,
        fitting => fitting,
    };
    let inner_width = width.saturating_sub(4).max(1);
    let hint = lines.last().cloned().unwrap_or_default();
    let hint_rows = (wrap(vec![hint], inner_width).len() as u16).max(1);
    let count = state.settings.languages.len() as u16;
    // A blank row under each language, where there is room: a taller target for a finger.
    let gap = u16::from(2 * count + hint_rows + 2 <= area.height);
    let height = ((1 + gap) * count + hint_rows + 2).min(area.height);
    // Rounded down on a screen that just fits it: the kiosk's title stays in sight.
    let y = area.y + (area.height - height).div_ceil(2);
    let popup = Rect { x: area.x + (area.width - width) / 2, y, width, height };
    let inner = Block::bordered().inner(popup);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    let gaps = (0..lines.len()).map(|index| if index < usize::from(count) { gap } else { 0 });
    let places = rows::stack(padded, lines.iter().zip(gaps));
    Placed { popup, lines: lines.into_iter().zip(places).collect() }
}

/// The list's rows, each where it is drawn.
pub(super) fn targets(area: Rect, state: &State, selected: usize) -> Vec<(Target, Rect)> {
    let Placed { lines, .. } = place(area, state, selected);
    let count = state.settings.languages.len();
    lines.into_iter().take(count).enumerate().map(|(row, (_, place))| (Target::Language(row), place)).collect()
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let Placed { popup, lines } = place(area, state, selected);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(state.settings.theme.accent_border())
        .title(Span::styled(
            format!(" {} ", tr!(state.language, "language-title")),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    clear(frame, popup, state);
    frame.render_widget(block, popup);
    rows::draw(frame, lines);
}
