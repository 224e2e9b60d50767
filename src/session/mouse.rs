//! Turning mouse events into the reports a program in a terminal asked for (xterm's mouse
//! modes 9, 1000, 1002, 1003 and encodings X10, UTF-8 (1005), SGR (1006)), as its terminal
//! would send them. A program that asked for no mouse gets nothing.

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use vt100::{MouseProtocolEncoding, MouseProtocolMode};

/// The bytes for `event` in the program's `mode` and `encoding`; `None` when the mode doesn't
/// report such events, or the encoding can't say where (X10 stops at column 223).
pub fn mouse_bytes(event: &MouseEvent, mode: MouseProtocolMode, encoding: MouseProtocolEncoding) -> Option<Vec<u8>> {
    let reported = match event.kind {
        // The wheel's "buttons" are presses.
        MouseEventKind::Down(_)
        | MouseEventKind::ScrollUp
        | MouseEventKind::ScrollDown
        | MouseEventKind::ScrollLeft
        | MouseEventKind::ScrollRight => mode != MouseProtocolMode::None,
        MouseEventKind::Up(_) => {
            matches!(
                mode,
                MouseProtocolMode::PressRelease | MouseProtocolMode::ButtonMotion | MouseProtocolMode::AnyMotion
            )
        }
        MouseEventKind::Drag(_) => matches!(mode, MouseProtocolMode::ButtonMotion | MouseProtocolMode::AnyMotion),
        MouseEventKind::Moved => mode == MouseProtocolMode::AnyMotion,
    };
    if !reported {
        return None;
    }
    let release = matches!(event.kind, MouseEventKind::Up(_));
    // X10 mode (9) reports presses alone, with no modifiers.
    let modifiers = if mode == MouseProtocolMode::Press { KeyModifiers::NONE } else { event.modifiers };
    let (x, y) = (u32::from(event.column) + 1, u32::from(event.row) + 1);
    match encoding {
        MouseProtocolEncoding::Sgr => {
            let last = if release { 'm' } else { 'M' };
            Some(format!("\x1b[<{};{x};{y}{last}", button_code(event.kind, modifiers, false)).into_bytes())
        }
        MouseProtocolEncoding::Default => {
            let mut bytes = b"\x1b[M".to_vec();
            for value in [button_code(event.kind, modifiers, true), x, y] {
                // One byte each, offset by 32: up to 255.
                bytes.push(u8::try_from(value + 32).ok()?);
            }
            Some(bytes)
        }
        MouseProtocolEncoding::Utf8 => {
            let mut text = String::from("\x1b[M");
            for value in [button_code(event.kind, modifiers, true), x, y] {
                // Past 95, the value is a character in UTF-8 (xterm's limit: 2015).
                text.push(char::from_u32(value + 32).filter(|_| value + 32 < 2048)?);
            }
            Some(text.into_bytes())
        }
    }
}

/// `Cb`: the button, with 32 for motion, 64 for the wheel, 4/8/16 for Shift/Alt/Ctrl. Without
/// SGR a release can't say which button it was: it is button 3.
fn button_code(kind: MouseEventKind, modifiers: KeyModifiers, release_is_3: bool) -> u32 {
    let button = |button: MouseButton| match button {
        MouseButton::Left => 0,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    };
    let code = match kind {
        MouseEventKind::Down(b) => button(b),
        MouseEventKind::Up(_) if release_is_3 => 3,
        MouseEventKind::Up(b) => button(b),
        MouseEventKind::Drag(b) => 32 + button(b),
        MouseEventKind::Moved => 35,
        MouseEventKind::ScrollUp => 64,
        MouseEventKind::ScrollDown => 65,
        MouseEventKind::ScrollLeft => 66,
        MouseEventKind::ScrollRight => 67,
    };
    let mut code = code;
    for (modifier, bit) in [(KeyModifiers::SHIFT, 4), (KeyModifiers::ALT, 8), (KeyModifiers::CONTROL, 16)] {
        if modifiers.contains(modifier) {
            code += bit;
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }
    }

    const PRESS: MouseEventKind = MouseEventKind::Down(MouseButton::Left);
    const RELEASE: MouseEventKind = MouseEventKind::Up(MouseButton::Left);

    fn text(bytes: Option<Vec<u8>>) -> Option<String> {
        bytes.map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn sgr_reports_say_which_button_was_released() {
        let sgr = MouseProtocolEncoding::Sgr;
        let mode = MouseProtocolMode::PressRelease;
        assert_eq!(text(mouse_bytes(&at(PRESS, 4, 2), mode, sgr)).as_deref(), Some("\x1b[<0;5;3M"));
        assert_eq!(text(mouse_bytes(&at(RELEASE, 4, 2), mode, sgr)).as_deref(), Some("\x1b[<0;5;3m"));
        let right = at(MouseEventKind::Up(MouseButton::Right), 299, 99);
        assert_eq!(text(mouse_bytes(&right, mode, sgr)).as_deref(), Some("\x1b[<2;300;100m"));
        let ctrl_wheel = MouseEvent { modifiers: KeyModifiers::CONTROL, ..at(MouseEventKind::ScrollDown, 0, 0) };
        assert_eq!(text(mouse_bytes(&ctrl_wheel, mode, sgr)).as_deref(), Some("\x1b[<81;1;1M"));
    }

    #[test]
    fn x10_and_utf8_encodings_as_xterm_sends_them() {
        let mode = MouseProtocolMode::PressRelease;
        let default = MouseProtocolEncoding::Default;
        assert_eq!(mouse_bytes(&at(PRESS, 4, 2), mode, default), Some(b"\x1b[M %#".to_vec()));
        assert_eq!(mouse_bytes(&at(RELEASE, 4, 2), mode, default), Some(b"\x1b[M#%#".to_vec()));
        assert_eq!(mouse_bytes(&at(PRESS, 222, 0), mode, default), Some(b"\x1b[M \xff!".to_vec()));
        assert_eq!(mouse_bytes(&at(PRESS, 223, 0), mode, default), None, "past X10's last column");
        let utf8 = MouseProtocolEncoding::Utf8;
        assert_eq!(text(mouse_bytes(&at(PRESS, 299, 0), mode, utf8)), Some("\x1b[M \u{14c}!".to_string()));
    }

    #[test]
    fn each_mode_reports_only_its_events() {
        let sgr = MouseProtocolEncoding::Sgr;
        let drag = at(MouseEventKind::Drag(MouseButton::Left), 1, 1);
        let moved = at(MouseEventKind::Moved, 1, 1);
        let table = [
            (MouseProtocolMode::None, [false, false, false, false]),
            (MouseProtocolMode::Press, [true, false, false, false]),
            (MouseProtocolMode::PressRelease, [true, true, false, false]),
            (MouseProtocolMode::ButtonMotion, [true, true, true, false]),
            (MouseProtocolMode::AnyMotion, [true, true, true, true]),
        ];
        for (mode, reported) in table {
            let events = [at(PRESS, 1, 1), at(RELEASE, 1, 1), drag, moved];
            let got = events.map(|event| mouse_bytes(&event, mode, sgr).is_some());
            assert_eq!(got, reported, "{mode:?}");
        }
    }
}
