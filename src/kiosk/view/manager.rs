//! Drawing the manager screens: a box with a "MANAGER" badge over whatever is showing
//! (a worker's session keeps its place underneath).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::forms::{code_lines, phone_lines};
use super::{ACCENT, ERROR};
use crate::kiosk::state::{LOCK_PRESETS, MENU, ManagerMode, ManagerStage, MenuItem, State};
use crate::kiosk::update::manager::session_owner;

pub fn draw(frame: &mut Frame, state: &State) {
    let Some(manager) = &state.manager else { return };
    let area = frame.area();
    let width = 80.min(area.width);
    let height = 18.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let closes_in = (manager.last_key + state.settings.manager_idle).saturating_duration_since(state.now).as_secs();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(Color::Yellow))
        .title(Span::styled(" MANAGER ", Style::default().bg(Color::Yellow).fg(Color::Black).bold()))
        .title_bottom(
            Line::from(format!(" {} close · closes after {closes_in} s idle ", state.settings.manager_key)).dim(),
        );
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let lines = lines(manager, state, inner.height);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), padded);
}

fn lines<'a>(manager: &'a ManagerMode, state: &'a State, height: u16) -> Vec<Line<'a>> {
    let compact = height < 14;
    let mut lines = Vec::new();
    match &manager.stage {
        ManagerStage::Phone(form) => {
            lines.push(Line::from("Store manager sign-in").bold().fg(Color::Yellow));
            phone_lines(&mut lines, form, state, compact);
        }
        ManagerStage::Code(form) => code_lines(&mut lines, form, state.now, compact),
        ManagerStage::Refused => {
            lines.push(Line::from("This number isn't a store manager").bold().fg(ERROR));
            lines.push(Line::from("Nothing was changed. Press any key."));
        }
        ManagerStage::Menu { selected } => {
            lines.push(Line::from(format!("Signed in: {}", manager.name)).bold().fg(ACCENT));
            lines.push(Line::default());
            for (index, item) in MENU.iter().enumerate() {
                let (label, available) = item_label(*item, state);
                let marker = if index == *selected { "▶ " } else { "  " };
                let style = match (index == *selected, available) {
                    (true, true) => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                    (true, false) => Style::default().add_modifier(Modifier::REVERSED | Modifier::DIM),
                    (false, true) => Style::default(),
                    (false, false) => Style::default().add_modifier(Modifier::DIM),
                };
                lines.push(Line::from(Span::styled(format!("{marker}{}. {label}", index + 1), style)));
            }
            lines.push(Line::default());
            lines.push(Line::from("↑↓ choose · Enter select · Esc close").dim());
        }
        ManagerStage::LockMessage { selected, custom } => {
            lines.push(Line::from("Lock: the message shown while out of service").bold());
            for (index, preset) in LOCK_PRESETS.iter().enumerate() {
                lines.push(choice(index == *selected, preset.to_string()));
            }
            lines.push(choice(*selected == LOCK_PRESETS.len(), format!("Your own: {custom}▏")));
            lines.push(Line::from("↑↓ choose · type your own · Enter lock · Esc back").dim());
        }
        ManagerStage::Events { lines: events, scroll } => {
            lines.push(Line::from("Recent events (newest first)").bold());
            if events.is_empty() {
                lines.push(Line::from("No events recorded yet").dim());
            }
            let room = height.saturating_sub(3) as usize;
            lines.extend(events.iter().skip(*scroll).take(room).map(|e| Line::from(e.clone())));
            lines.push(Line::from("↑↓ PgUp PgDn scroll · Esc back").dim());
        }
    }
    lines
}

fn choice(selected: bool, text: String) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let style = if selected { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
    Line::from(Span::styled(format!("{marker}{text}"), style))
}

/// A menu row's text, and whether it can be chosen now.
fn item_label(item: MenuItem, state: &State) -> (String, bool) {
    match item {
        MenuItem::EndSession => match session_owner(state) {
            Some(owner) => (format!("End the current session and erase it ({owner})"), true),
            None => ("End the current session (no session)".into(), false),
        },
        MenuItem::Lock => ("Lock (out of service)".into(), true),
        MenuItem::Unlock => match &state.locked {
            Some(message) => (format!("Unlock (now: \"{message}\")"), true),
            None => ("Unlock (not locked)".into(), false),
        },
        MenuItem::Events => ("Recent events".into(), true),
        MenuItem::Back => ("Back".into(), true),
    }
}
