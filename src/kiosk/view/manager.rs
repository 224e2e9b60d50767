//! Drawing the manager screens: a box with a "MANAGER" badge over whatever is showing
//! (a worker's session keeps its place underneath). They speak the kiosk's language, whatever
//! the worker underneath picked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::forms::{FormFor, code_lines, error_words, phone_lines};
use super::{Focus, Look, clear};
use crate::kiosk::state::{MENU, ManagerMode, ManagerStage, MenuItem, State};
use crate::kiosk::update::manager::session_owner;
use crate::locale::Language;
use crate::tr;

pub fn draw(frame: &mut Frame, state: &State) {
    let Some(manager) = &state.manager else { return };
    let theme = state.settings.theme;
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
        .border_style(theme.manager_border())
        .title(Span::styled(badge, theme.manager_badge()))
        .title_bottom(Line::from(footer).style(theme.hint()));
    let inner = block.inner(popup);
    clear(frame, popup, state);
    frame.render_widget(block, popup);
    let look = Look { compact: inner.height < 14, flat: false, large_width: None };
    let (lines, _) = lines(manager, state, language, inner.height, &look);
    let padded = Rect { x: inner.x + 1, width: inner.width.saturating_sub(2), ..inner };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), padded);
}

/// The manager screen's lines in `height` rows, and where its focus is: the field, the
/// selected row, else the heading.
pub(super) fn lines<'a>(
    manager: &'a ManagerMode,
    state: &'a State,
    language: Language,
    height: u16,
    look: &Look,
) -> (Vec<Line<'a>>, Focus) {
    let theme = state.settings.theme;
    let spaced = look.spaced();
    let mut lines = Vec::new();
    let mut focus = Focus { line: 0, column: 0 };
    match &manager.stage {
        ManagerStage::Phone(form) => {
            lines.push(Line::from(tr!(language, "manager-sign-in")).style(theme.manager_title()));
            focus = phone_lines(&mut lines, form, state, language, FormFor::Manager, look);
        }
        ManagerStage::Code(form) => focus = code_lines(&mut lines, form, state, language, FormFor::Manager, look),
        ManagerStage::Refused => {
            let refused = error_words(state, language, tr!(language, "manager-refused"));
            lines.push(Line::from(refused).style(theme.alert()));
            lines.push(Line::from(tr!(language, "manager-refused-hint")));
        }
        ManagerStage::Menu { selected } => {
            let signed_in = tr!(language, "manager-signed-in", name = manager.name.as_str());
            lines.push(Line::from(signed_in).style(theme.title()));
            if spaced {
                lines.push(Line::default());
            }
            for (index, item) in MENU.iter().enumerate() {
                let (label, available) = item_label(*item, state, language);
                let marker = if index == *selected { "▶ " } else { "  " };
                let style = match (index == *selected, available) {
                    (true, true) => theme.selected().patch(theme.strong()),
                    (true, false) => theme.selected().patch(theme.unavailable()),
                    (false, true) => Style::default(),
                    (false, false) => theme.unavailable(),
                };
                if index == *selected {
                    focus = Focus { line: lines.len(), column: 0 };
                }
                lines.push(Line::from(Span::styled(format!("{marker}{}. {label}", index + 1), style)));
            }
            if spaced {
                lines.push(Line::default());
            }
            lines.push(Line::from(tr!(language, "menu-hint")).style(theme.hint()));
        }
        ManagerStage::LockMessage { selected, custom } => {
            lines.push(Line::from(tr!(language, "manager-lock-title")).style(theme.strong()));
            let presets = &state.settings.lock_presets;
            for (index, preset) in presets.iter().enumerate() {
                if index == *selected {
                    focus = Focus { line: lines.len(), column: 0 };
                }
                lines.push(choice(state, index == *selected, preset.clone()));
            }
            // The flat layout's cursor is the caret: at the end of the text being typed.
            let caret = if look.flat { "" } else { "▏" };
            let own = tr!(language, "manager-lock-own", text = format!("{custom}{caret}"));
            if *selected == presets.len() {
                let column = Line::from(format!("▶ {own}")).width() as u16;
                focus = Focus { line: lines.len(), column };
            }
            lines.push(choice(state, *selected == presets.len(), own));
            lines.push(Line::from(tr!(language, "manager-lock-hint")).style(theme.hint()));
        }
        ManagerStage::Events { lines: events, scroll } => {
            lines.push(Line::from(tr!(language, "manager-events-title")).style(theme.strong()));
            if events.is_empty() {
                lines.push(Line::from(tr!(language, "manager-events-empty")).style(theme.hint()));
            }
            let room = height.saturating_sub(3) as usize;
            lines.extend(events.iter().skip(*scroll).take(room).map(|e| Line::from(e.clone())));
            lines.push(Line::from(tr!(language, "manager-events-hint")).style(theme.hint()));
        }
    }
    (lines, focus)
}

fn choice(state: &State, selected: bool, text: String) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let style = if selected { state.settings.theme.selected() } else { Style::default() };
    Line::from(Span::styled(format!("{marker}{text}"), style))
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
