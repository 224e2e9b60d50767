//! The touch panel beside a sign-in form: a numeric keypad — 1-9, ⌫, 0, Enter, each key 7x3 —
//! and under it the form's buttons (New code and Change number on a code screen; "+ Country
//! code" on a number screen, and Language on a worker's). `place` says where each one goes; the drawing and the tap targets
//! (`targets`) both ask it, so a tap lands on what is drawn there.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::kiosk::state::{CodeOption, KeypadKey, Target};
use crate::locale::Language;
use crate::tr;

const KEY_WIDTH: u16 = 7;
const KEY_HEIGHT: u16 = 3;
const KEY_GAP: u16 = 1;
const KEYS: [[KeypadKey; 3]; 4] = {
    use KeypadKey::{Backspace, Digit, Enter};
    [
        [Digit('1'), Digit('2'), Digit('3')],
        [Digit('4'), Digit('5'), Digit('6')],
        [Digit('7'), Digit('8'), Digit('9')],
        [Backspace, Digit('0'), Enter],
    ]
};
const PANEL_WIDTH: u16 = 3 * KEY_WIDTH + 2 * KEY_GAP;
const BUTTON_HEIGHT: u16 = 3;
/// A code screen's two buttons: every form has room for them, so the panel shows on all of
/// them or on none (it doesn't come and go between the number and the code).
const MAX_BUTTONS: usize = 2;
const PANEL_HEIGHT: u16 = 4 * KEY_HEIGHT + MAX_BUTTONS as u16 * BUTTON_HEIGHT;
/// The form beside the panel keeps at least this many columns.
const FORM_MIN_WIDTH: u16 = 40;
/// Columns between the form and the panel, and right of the panel.
const MARGIN: u16 = 2;

/// A form's area split between its text and the touch panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    /// What is left for the form's text.
    pub form: Rect,
    /// The keys, then the buttons, each where it is drawn and tapped.
    pub targets: Vec<(Target, Rect)>,
}

/// The panel at the right of `area`, below a blank row, with `buttons` under the keypad;
/// `None` where it doesn't fit beside a form (the form is then typed into alone).
pub fn place(area: Rect, buttons: &[Target]) -> Option<Panel> {
    let form_width = area.width.checked_sub(PANEL_WIDTH + 2 * MARGIN)?;
    if form_width < FORM_MIN_WIDTH || area.height < PANEL_HEIGHT + 2 {
        return None;
    }
    let (x, y) = (area.right() - MARGIN - PANEL_WIDTH, area.y + 1);
    let mut targets = Vec::new();
    for (row, keys) in (0..).zip(KEYS) {
        for (column, key) in (0..).zip(keys) {
            let at = Rect::new(x + column * (KEY_WIDTH + KEY_GAP), y + row * KEY_HEIGHT, KEY_WIDTH, KEY_HEIGHT);
            targets.push((Target::Key(key), at));
        }
    }
    let below = y + 4 * KEY_HEIGHT;
    for (index, button) in (0..).zip(buttons.iter().take(MAX_BUTTONS)) {
        targets.push((*button, Rect::new(x, below + index * BUTTON_HEIGHT, PANEL_WIDTH, BUTTON_HEIGHT)));
    }
    Some(Panel { form: Rect { width: form_width, ..area }, targets })
}

/// What a target of the panel says, in `language`.
fn label(target: Target, language: Language) -> String {
    match target {
        Target::Key(KeypadKey::Digit(digit)) => digit.to_string(),
        Target::Key(KeypadKey::Backspace) => "⌫".to_string(),
        Target::Key(KeypadKey::Enter) => tr!(language, "keypad-enter"),
        Target::NewCode => tr!(language, "touch-new-code"),
        Target::ChangeNumber => tr!(language, "touch-change-number"),
        Target::Languages => tr!(language, "touch-language"),
        Target::Plus => tr!(language, "touch-plus"),
        Target::CodeOption(CodeOption::UsePass) => tr!(language, "pass-use"),
        Target::BackToCode => tr!(language, "pass-back"),
        // Not on the panel: the lists (and the code screen's ways on) draw their own rows.
        Target::Language(_) | Target::MenuItem(_) | Target::LockMessage(_) | Target::Way(_) => String::new(),
    }
}

/// Draws the panel; the target under a finger (`pressed`) is highlighted.
pub fn draw(frame: &mut Frame, panel: &Panel, pressed: Option<Target>, language: Language) {
    for (target, area) in &panel.targets {
        let style = match Some(*target) == pressed {
            true => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            false => Style::default().add_modifier(Modifier::BOLD),
        };
        frame.render_widget(Button { label: label(*target, language), style }, *area);
    }
}

/// A framed label, centred: a key or a button. Written cell by cell into the buffer: a block
/// and a paragraph for each of 14 targets cost a sign-in frame a third more.
struct Button {
    label: String,
    style: Style,
}

impl Widget for Button {
    fn render(self, area: Rect, buffer: &mut Buffer) {
        let area = area.intersection(buffer.area);
        if area.width < 2 || area.height < 2 {
            return;
        }
        let (left, right, top, bottom) = (area.left(), area.right() - 1, area.top(), area.bottom() - 1);
        for y in top..=bottom {
            for x in left..=right {
                let symbol = match (x == left, x == right, y == top, y == bottom) {
                    (true, _, true, _) => "┌",
                    (_, true, true, _) => "┐",
                    (true, _, _, true) => "└",
                    (_, true, _, true) => "┘",
                    (_, _, true, _) | (_, _, _, true) => "─",
                    (true, _, _, _) | (_, true, _, _) => "│",
                    _ => " ",
                };
                buffer[(x, y)].set_symbol(symbol).set_style(self.style);
            }
        }
        // Centred by the columns it takes (a CJK character takes two).
        let inside = area.width - 2;
        let width = u16::try_from(Span::raw(self.label.as_str()).width()).unwrap_or(u16::MAX);
        let x = left + 1 + inside.saturating_sub(width) / 2;
        buffer.set_stringn(x, top + area.height / 2, &self.label, usize::from(inside), self.style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_shows_from_69x22_with_the_keys_in_phone_order() {
        // The main screen's form area is the terminal less its frame.
        let inner = |width: u16, height: u16| Rect::new(1, 1, width - 2, height - 2);
        assert!(place(inner(69, 22), &[]).is_some());
        assert!(place(inner(68, 22), &[]).is_none(), "too narrow for a 40-column form beside it");
        assert!(place(inner(69, 21), &[]).is_none(), "too low for the keypad and two buttons");
        let panel = place(inner(80, 24), &[Target::NewCode, Target::ChangeNumber]).unwrap();
        let order: Vec<Target> = panel.targets.iter().map(|(target, _)| *target).collect();
        let digit = |c| Target::Key(KeypadKey::Digit(c));
        assert_eq!(order[..3], [digit('1'), digit('2'), digit('3')], "the top row is 1 2 3, as on a phone");
        let last = [Target::Key(KeypadKey::Backspace), digit('0'), Target::Key(KeypadKey::Enter)];
        assert_eq!(order[9..12], last);
        assert_eq!(order[12..], [Target::NewCode, Target::ChangeNumber], "the buttons under the keys");
        assert!(panel.form.right() + MARGIN <= panel.targets[0].1.x, "the form stays left of the panel");
    }
}
