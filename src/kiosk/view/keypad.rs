//! The touch panel beside a sign-in form: a numeric keypad — 1-9, ⌫, 0, Enter, each key 7x3 —
//! and under it the form's buttons (New code and Change number on a code screen; "+ Country
//! code" on a number screen, and Language on a worker's); or, while a pass is typed, the pass
//! keyboard (`place_pass`). `place` says where each one goes; the drawing and the tap targets
//! (`targets`) both ask it, so a tap lands on what is drawn there.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::api_types::PASS_ALPHABET;
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

/// Where a panel goes in `area` (its top left) and the columns left for the form; `None` where
/// it doesn't fit beside a form. The same for the keypad and the pass keyboard, so the panel
/// doesn't come and go when the pass field opens.
fn spot(area: Rect) -> Option<(u16, u16, u16)> {
    let form_width = area.width.checked_sub(PANEL_WIDTH + 2 * MARGIN)?;
    if form_width < FORM_MIN_WIDTH || area.height < PANEL_HEIGHT + 2 {
        return None;
    }
    Some((area.right() - MARGIN - PANEL_WIDTH, area.y + 1, form_width))
}

/// The panel at the right of `area`, below a blank row, with `buttons` under the keypad;
/// `None` where it doesn't fit beside a form (the form is then typed into alone).
pub fn place(area: Rect, buttons: &[Target]) -> Option<Panel> {
    let (x, y, form_width) = spot(area)?;
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

/// The pass keyboard's keys in a row: 6 keys of 3x3 with a column between fill the keypad's
/// 23 columns (the 31 characters of a pass and ⌫ and Enter are 33 keys: 6 rows of 3, 18 rows,
/// within the keypad's height; keys 5 wide would need 9 rows, 27).
const PASS_COLUMNS: u16 = 6;
const PASS_KEY_WIDTH: u16 = 3;
const _: () = assert!(PASS_COLUMNS * (PASS_KEY_WIDTH + KEY_GAP) - KEY_GAP == PANEL_WIDTH);

/// The pass keyboard at the right of `area`, where the keypad would be (`None` where it
/// wouldn't): a key for each character of a pass (`PASS_ALPHABET`, in its order: the digits,
/// then the letters A to Z — easy to find a character copied from a slip), then ⌫ and Enter
/// sharing the last row's free keys (Enter the wider, for its word in every language).
pub fn place_pass(area: Rect) -> Option<Panel> {
    let (x, y, form_width) = spot(area)?;
    let characters = PASS_ALPHABET.iter().map(|&c| match c.is_ascii_digit() {
        true => KeypadKey::Digit(char::from(c)),
        false => KeypadKey::Letter(char::from(c)),
    });
    // Each key with its slot (0.. in reading order) and how many slots wide it is.
    let mut keys: Vec<(KeypadKey, u16, u16)> = (0..).zip(characters).map(|(slot, key)| (key, slot, 1)).collect();
    let mut next = u16::try_from(keys.len()).unwrap_or(u16::MAX);
    let mut free = PASS_COLUMNS - next % PASS_COLUMNS;
    if free < 2 {
        next += free;
        free = PASS_COLUMNS;
    }
    let backspace = free / 2;
    keys.push((KeypadKey::Backspace, next, backspace));
    keys.push((KeypadKey::Enter, next + backspace, free - backspace));
    let targets = keys
        .into_iter()
        .map(|(key, slot, span)| {
            let (column, row) = (slot % PASS_COLUMNS, slot / PASS_COLUMNS);
            let width = span * (PASS_KEY_WIDTH + KEY_GAP) - KEY_GAP;
            let at = Rect::new(x + column * (PASS_KEY_WIDTH + KEY_GAP), y + row * KEY_HEIGHT, width, KEY_HEIGHT);
            (Target::Key(key), at)
        })
        .collect();
    Some(Panel { form: Rect { width: form_width, ..area }, targets })
}

/// What a target of the panel says, in `language`.
fn label(target: Target, language: Language) -> String {
    match target {
        Target::Key(KeypadKey::Digit(c) | KeypadKey::Letter(c)) => c.to_string(),
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

    #[test]
    fn the_pass_keyboard_has_every_character_of_a_pass_in_the_keypad_s_place() {
        let inner = |width: u16, height: u16| Rect::new(1, 1, width - 2, height - 2);
        for (width, height) in [(69, 22), (80, 24), (200, 60)] {
            let keypad = place(inner(width, height), &[Target::NewCode, Target::ChangeNumber]).unwrap();
            let keyboard = place_pass(inner(width, height)).unwrap();
            assert_eq!(keyboard.form, keypad.form, "the form keeps its width at {width}x{height}");
            let bounds = |panel: &Panel| {
                panel.targets.iter().fold(Rect::default(), |all, (_, at)| match all.is_empty() {
                    true => *at,
                    false => all.union(*at),
                })
            };
            let (pad, keys) = (bounds(&keypad), bounds(&keyboard));
            assert!(pad.union(keys) == pad, "{keys:?} is outside the keypad's {pad:?}");
        }
        assert!(place_pass(inner(68, 22)).is_none() && place_pass(inner(69, 21)).is_none(), "where the keypad isn't");
        let keyboard = place_pass(inner(80, 24)).unwrap();
        let typed: String = keyboard
            .targets
            .iter()
            .filter_map(|(target, _)| match target {
                Target::Key(KeypadKey::Digit(c) | KeypadKey::Letter(c)) => Some(*c),
                _ => None,
            })
            .collect();
        assert_eq!(typed.as_bytes(), PASS_ALPHABET, "each character once, in the alphabet's order");
        let last: Vec<Target> = keyboard.targets[typed.len()..].iter().map(|(target, _)| *target).collect();
        assert_eq!(last, [Target::Key(KeypadKey::Backspace), Target::Key(KeypadKey::Enter)]);
        for (index, (target, at)) in keyboard.targets.iter().enumerate() {
            assert!(at.width >= PASS_KEY_WIDTH && at.height == KEY_HEIGHT, "{target:?} is {at:?}");
            for (other, other_at) in &keyboard.targets[index + 1..] {
                assert!(!at.intersects(*other_at), "{target:?} {at:?} overlaps {other:?} {other_at:?}");
            }
        }
        let enter = keyboard.targets.last().unwrap().1;
        assert!(enter.width >= KEY_WIDTH + 2, "Enter has room for its word: {enter:?}");
    }
}
