//! Drawing the manager screens: a box with a "MANAGER" badge over whatever is showing
//! (a worker's session keeps its place underneath). They speak the kiosk's language, whatever
//! the worker underneath picked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::forms::{FormFor, code_lines, phone_lines};
use super::wrap::wrap;
use super::{ACCENT, ERROR};
use crate::kiosk::state::{MENU, ManagerMode, ManagerStage, MenuItem, State};
use crate::kiosk::update::manager::session_owner;
use crate::locale::Language;
use crate::tr;

pub fn draw(frame: &mut Frame, state: &State) {
    let Some(manager) = &state.manager else { return };
    let area = frame.area();
    let width = 80.min(area.width);
    let height = 18.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let closes_in = (manager.last_key + state.settings.manager_idle).saturating_duration_since(state.now).as_secs();
    let language = state.settings.language;
    let badge = format!(" {} ", tr!(language, "manager-badge"));
    let key = state.settings.manager_key.to_string();
    // Where the whole line doesn't fit the border, the key alone.
    let full = tr!(language, "manager-footer", key = key.as_str(), seconds = closes_in);
    let footer = match Line::from(full.as_str()).width() + 4 <= usize::from(width) {
        true => full,
        false => tr!(language, "manager-close", key = key),
    };
    let footer = format!(" {footer} ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(Color::Yellow))
        .title(Span::styled(badge, Style::default().bg(Color::Yellow).fg(Color::Black).bold()))
        .title_bottom(Line::from(footer).dim());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let lines = lines(manager, state, language, inner.height);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    frame.render_widget(Paragraph::new(wrap(lines, padded.width)), padded);
}

fn lines<'a>(manager: &'a ManagerMode, state: &'a State, language: Language, height: u16) -> Vec<Line<'a>> {
    let compact = height < 14;
    let mut lines = Vec::new();
    match &manager.stage {
        ManagerStage::Phone(form) => {
            lines.push(Line::from(tr!(language, "manager-sign-in")).bold().fg(Color::Yellow));
            phone_lines(&mut lines, form, state, language, FormFor::Manager, compact);
        }
        ManagerStage::Code(form) => code_lines(&mut lines, form, state.now, language, compact),
        ManagerStage::Refused => {
            lines.push(Line::from(tr!(language, "manager-refused")).bold().fg(ERROR));
            lines.push(Line::from(tr!(language, "manager-refused-hint")));
        }
        ManagerStage::Menu { selected } => {
            lines.push(Line::from(tr!(language, "manager-signed-in", name = manager.name.as_str())).bold().fg(ACCENT));
            if !compact {
                lines.push(Line::default());
            }
            for (index, item) in MENU.iter().enumerate() {
                let (label, available) = item_label(*item, state, language);
                let marker = if index == *selected { "▶ " } else { "  " };
                let lead = format!("{marker}{}. ", index + 1);
                let style = match (index == *selected, available) {
                    (true, true) => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                    (true, false) => Style::default().add_modifier(Modifier::REVERSED | Modifier::DIM),
                    (false, true) => Style::default(),
                    (false, false) => Style::default().add_modifier(Modifier::DIM),
                };
                // The lead apart, so that a label too long for its row wraps under itself.
                lines.push(Line::from(vec![Span::styled(lead, style), Span::styled(label, style)]));
            }
            if !compact {
                lines.push(Line::default());
            }
            lines.push(Line::from(tr!(language, "menu-hint")).dim());
        }
        ManagerStage::LockMessage { selected, custom } => {
            lines.push(Line::from(tr!(language, "manager-lock-title")).bold());
            let presets = &state.settings.lock_presets;
            for (index, preset) in presets.iter().enumerate() {
                lines.push(choice(index == *selected, preset.clone()));
            }
            let own = tr!(language, "manager-lock-own", text = format!("{custom}▏"));
            lines.push(choice(*selected == presets.len(), own));
            lines.push(Line::from(tr!(language, "manager-lock-hint")).dim());
        }
        ManagerStage::Events { lines: events, scroll } => {
            lines.push(Line::from(tr!(language, "manager-events-title")).bold());
            if events.is_empty() {
                lines.push(Line::from(tr!(language, "manager-events-empty")).dim());
            }
            let room = height.saturating_sub(3) as usize;
            lines.extend(events.iter().skip(*scroll).take(room).map(|e| Line::from(e.clone())));
            lines.push(Line::from(tr!(language, "manager-events-hint")).dim());
        }
    }
    lines
}

fn choice(selected: bool, text: String) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let style = if selected { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
    Line::from(vec![Span::styled(marker, style), Span::styled(text, style)])
}

/// A menu row's text, and whether it can be chosen now.
fn item_label(item: MenuItem, state: &State, language: Language) -> (String, bool) {
    match item {
        MenuItem::EndSession => match session_owner(state) {
            Some(owner) => (tr!(language, "menu-end-session", owner = owner), true),
            None => (tr!(language, "menu-end-session-none"), false),
        },
        MenuItem::Lock => (tr!(language, "menu-lock"), true),
        MenuItem::Unlock => match &state.locked {
            Some(message) => (tr!(language, "menu-unlock", message = message.as_str()), true),
            None => (tr!(language, "menu-unlock-none"), false),
        },
        MenuItem::Events => (tr!(language, "menu-events"), true),
        MenuItem::Back => (tr!(language, "menu-back"), true),
    }
}
