//! Drawing the manager screens: a box with a "MANAGER" badge over whatever is showing
//! (a worker's session keeps its place underneath). They speak the kiosk's language, whatever
//! the worker underneath picked. The forms have the touch panel beside them where there is
//! room, and the menus' rows are tap targets.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear};

use super::forms::{FormFor, code_lines, phone_lines};
use super::keypad::{self, Panel};
use super::{ACCENT, ERROR, rows};
use crate::kiosk::state::{MENU, ManagerMode, ManagerStage, MenuItem, State, Target};
use crate::locale::Language;
use crate::tr;

/// The manager screens in `area`: their box, the touch panel beside a form, and each line of
/// text where it goes, with the target it is (a menu's row).
struct Placed<'a> {
    popup: Rect,
    panel: Option<Panel>,
    lines: Vec<(Line<'a>, Option<Target>, Rect)>,
}

fn place<'a>(manager: &'a ManagerMode, state: &'a State, area: Rect) -> Placed<'a> {
    // Tall enough for the keypad beside a form at 80x24.
    let width = 80.min(area.width);
    let height = 22.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let inner = Block::bordered().inner(popup);
    let panel = match &manager.stage {
        ManagerStage::Phone(_) => keypad::place(inner, &[]),
        ManagerStage::Code(_) => keypad::place(inner, &[Target::NewCode, Target::ChangeNumber]),
        _ => None,
    };
    let text = panel.as_ref().map_or(inner, |panel| panel.form);
    let padded = Rect { x: text.x + 1, width: text.width.saturating_sub(2), ..text };
    let (lines, targets) = lines(manager, state, state.settings.language, inner.height);
    // A blank row under each of a menu's rows, where there is room: a taller target for a finger.
    let gap = u16::from(!compact(inner.height));
    let gaps = targets.iter().map(|target| if target.is_some() { gap } else { 0 });
    let places = rows::stack(padded, lines.iter().zip(gaps));
    let lines = lines.into_iter().zip(targets).zip(places).map(|((line, target), place)| (line, target, place));
    Placed { popup, panel, lines: lines.collect() }
}

/// The manager screens' tap targets in `area`: the touch panel's, and the menus' rows.
pub(super) fn targets(state: &State, area: Rect) -> Vec<(Target, Rect)> {
    let Some(manager) = &state.manager else { return Vec::new() };
    let Placed { panel, lines, .. } = place(manager, state, area);
    let rows = lines.into_iter().filter_map(|(_, target, place)| Some((target?, place)));
    panel.map(|panel| panel.targets).unwrap_or_default().into_iter().chain(rows).collect()
}

pub fn draw(frame: &mut Frame, state: &State) {
    let Some(manager) = &state.manager else { return };
    let Placed { popup, panel, lines } = place(manager, state, frame.area());
    let width = popup.width;
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
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    rows::draw(frame, lines.into_iter().map(|(line, _, place)| (line, place)));
    if let Some(panel) = &panel {
        keypad::draw(frame, panel, state.pressed, language);
    }
}

/// The lines of the manager's stage, and the target each one is (a menu's rows).
fn lines<'a>(
    manager: &'a ManagerMode,
    state: &'a State,
    language: Language,
    height: u16,
) -> (Vec<Line<'a>>, Vec<Option<Target>>) {
    let compact = compact(height);
    let mut lines = Vec::new();
    // A menu's rows: the line each is, and its target.
    let mut rows: Vec<(usize, Target)> = Vec::new();
    let pressed = |target| state.pressed == Some(target);
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
                rows.push((lines.len(), Target::MenuItem(index)));
                let (label, available) = item_label(*item, state, language);
                let marker = if index == *selected { "▶ " } else { "  " };
                let lead = format!("{marker}{}. ", index + 1);
                let lit = index == *selected || pressed(Target::MenuItem(index));
                let style = match (lit, available) {
                    (true, true) => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                    (true, false) => Style::default().add_modifier(Modifier::REVERSED | Modifier::DIM),
                    (false, true) => Style::default(),
                    (false, false) => Style::default().add_modifier(Modifier::DIM),
                };
                // The lead apart, so that a label too long for its row wraps under itself.
                lines.push(Line::from(vec![Span::styled(lead, style), Span::styled(label, style)]));
            }
            // (Where not compact, the last row's gap is the blank line above the hint.)
            lines.push(Line::from(tr!(language, "menu-hint")).dim());
        }
        ManagerStage::LockMessage { selected, custom } => {
            lines.push(Line::from(tr!(language, "manager-lock-title")).bold());
            let presets = &state.settings.lock_presets;
            for (index, preset) in presets.iter().enumerate() {
                rows.push((lines.len(), Target::LockMessage(index)));
                lines.push(choice(index == *selected, pressed(Target::LockMessage(index)), preset.clone()));
            }
            let own = tr!(language, "manager-lock-own", text = format!("{custom}▏"));
            let own_row = presets.len();
            rows.push((lines.len(), Target::LockMessage(own_row)));
            lines.push(choice(*selected == own_row, pressed(Target::LockMessage(own_row)), own));
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
    let mut targets = vec![None; lines.len()];
    for (line, target) in rows {
        targets[line] = Some(target);
    }
    (lines, targets)
}

/// Whether the manager screens are `height` rows inside: only what must be there is drawn.
fn compact(height: u16) -> bool {
    height < 14
}

/// A row to choose: marked when selected, highlighted when selected or under a finger.
fn choice(selected: bool, pressed: bool, text: String) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let lit = selected || pressed;
    let style = if lit { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
    Line::from(vec![Span::styled(marker, style), Span::styled(text, style)])
}

/// A menu row's text, and whether it can be chosen now.
fn item_label(item: MenuItem, state: &State, language: Language) -> (String, bool) {
    match item {
        MenuItem::EndSession => match state.session_owner() {
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
