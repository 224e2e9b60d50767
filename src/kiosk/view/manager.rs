//! Drawing the manager screens: a box with a "MANAGER" badge over whatever is showing
//! (a worker's session keeps its place underneath). They speak the kiosk's language, whatever
//! the worker underneath picked. The forms have the touch panel beside them where there is
//! room, and the menus' rows are tap targets.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::forms::{FormFor, code_lines, error_words, phone_lines};
use super::keypad::{self, Panel};
use super::{Focus, Look, clear, rows};
use crate::kiosk::state::{ManagerMode, ManagerStage, MenuItem, State, Target, menu};
use crate::locale::Language;
use crate::tr;

/// The manager screens in `area`: their box, the touch panel beside a form, and each line of
/// text where it goes, with the target it is (a menu's row).
struct Placed<'a> {
    popup: Rect,
    panel: Option<Panel>,
    lines: Vec<(Line<'a>, Option<Target>, Rect)>,
}

/// Little room inside the box: only what must be there is drawn.
fn look(inner: Rect) -> Look {
    // Room for large text (the issued pass): the text's width inside its padding.
    let compact = inner.height < 14;
    Look { compact, flat: false, large_width: (!compact).then(|| inner.width.saturating_sub(2)) }
}

fn place<'a>(manager: &'a ManagerMode, state: &'a State, area: Rect) -> Placed<'a> {
    // Tall enough for the keypad beside a form at 80x24.
    let width = 80.min(area.width);
    let height = 22.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let inner = Block::bordered().inner(popup);
    let panel = match &manager.stage {
        ManagerStage::Phone(_) | ManagerStage::PassFor(_) => keypad::place(inner, &[Target::Plus]),
        ManagerStage::Code(_) => keypad::place(inner, &[Target::NewCode, Target::ChangeNumber]),
        _ => None,
    };
    let text = panel.as_ref().map_or(inner, |panel| panel.form);
    let padded = Rect { x: text.x + 1, width: text.width.saturating_sub(2), ..text };
    let look = look(inner);
    let StageLines { lines, targets, .. } = stage_lines(manager, state, state.settings.language, inner.height, &look);
    // A blank row under each of a menu's rows, where there is room: a taller target for a finger.
    let gap = u16::from(!look.compact);
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
    let theme = state.settings.theme;
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
        .border_style(theme.manager_border())
        .title(Span::styled(badge, theme.manager_badge()))
        .title_bottom(Line::from(footer).style(theme.hint()));
    clear(frame, popup, state);
    frame.render_widget(block, popup);
    rows::draw(frame, lines.into_iter().map(|(line, _, place)| (line, place)));
    if let Some(panel) = &panel {
        keypad::draw(frame, panel, state.pressed, language);
    }
}

/// A manager screen's lines, the target each one is (a menu's rows), and where its focus is.
struct StageLines<'a> {
    lines: Vec<Line<'a>>,
    targets: Vec<Option<Target>>,
    focus: Focus,
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
    let StageLines { lines, focus, .. } = stage_lines(manager, state, language, height, look);
    (lines, focus)
}

fn stage_lines<'a>(
    manager: &'a ManagerMode,
    state: &'a State,
    language: Language,
    height: u16,
    look: &Look,
) -> StageLines<'a> {
    let theme = state.settings.theme;
    let spaced = look.spaced();
    let mut lines = Vec::new();
    let mut focus = Focus { line: 0, column: 0 };
    // A menu's rows: the line each is, and its target.
    let mut rows: Vec<(usize, Target)> = Vec::new();
    let pressed = |target| state.pressed == Some(target);
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
            for (index, item) in menu(&state.settings).iter().enumerate() {
                rows.push((lines.len(), Target::MenuItem(index)));
                let (label, available) = item_label(*item, state, language);
                let marker = if index == *selected { "▶ " } else { "  " };
                let lead = format!("{marker}{}. ", index + 1);
                let lit = index == *selected || pressed(Target::MenuItem(index));
                let style = match (lit, available) {
                    (true, true) => theme.selected().patch(theme.strong()),
                    (true, false) => theme.selected().patch(theme.unavailable()),
                    (false, true) => Style::default(),
                    (false, false) => theme.unavailable(),
                };
                if index == *selected {
                    focus = Focus { line: lines.len(), column: 0 };
                }
                // The lead apart, so that a label too long for its row wraps under itself.
                lines.push(Line::from(vec![Span::styled(lead, style), Span::styled(label, style)]));
            }
            // (Where spaced, the last row's gap is the blank line above the hint.)
            lines.push(Line::from(tr!(language, "menu-hint")).style(theme.hint()));
        }
        ManagerStage::LockMessage { selected, custom } => {
            lines.push(Line::from(tr!(language, "manager-lock-title")).style(theme.strong()));
            let presets = &state.settings.lock_presets;
            for (index, preset) in presets.iter().enumerate() {
                if index == *selected {
                    focus = Focus { line: lines.len(), column: 0 };
                }
                rows.push((lines.len(), Target::LockMessage(index)));
                lines.push(choice(state, index == *selected, pressed(Target::LockMessage(index)), preset.clone()));
            }
            // The flat layout's cursor is the caret: at the end of the text being typed.
            let caret = if look.flat { "" } else { "▏" };
            let own = tr!(language, "manager-lock-own", text = format!("{custom}{caret}"));
            let own_row = presets.len();
            if *selected == own_row {
                let column = Line::from(format!("▶ {own}")).width() as u16;
                focus = Focus { line: lines.len(), column };
            }
            rows.push((lines.len(), Target::LockMessage(own_row)));
            lines.push(choice(state, *selected == own_row, pressed(Target::LockMessage(own_row)), own));
            lines.push(Line::from(tr!(language, "manager-lock-hint")).style(theme.hint()));
        }
        ManagerStage::PassFor(form) => focus = super::pass::issue_lines(&mut lines, form, state, language, look),
        ManagerStage::PassShown { pass, name, minutes } => {
            focus = super::pass::shown_lines(&mut lines, pass, name, *minutes, state, language, look)
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
    let mut targets = vec![None; lines.len()];
    for (line, target) in rows {
        targets[line] = Some(target);
    }
    StageLines { lines, targets, focus }
}

/// A row to choose: marked when selected, highlighted when selected or under a finger.
fn choice(state: &State, selected: bool, pressed: bool, text: String) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let style = if selected || pressed { state.settings.theme.selected() } else { Style::default() };
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
        MenuItem::IssuePass => (tr!(language, "menu-issue-pass"), true),
        MenuItem::Back => (tr!(language, "menu-back"), true),
    }
}
