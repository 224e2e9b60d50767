//! xterm's SGR mouse reports (mode 1006): `CSI < Cb ; Cx ; Cy M` for a press (or a motion),
//! `… m` for a release, with 1-based coordinates. A touch in foot is a left press where the
//! finger lands and a left release where it lifts. `key_parser` finds the sequence's end and
//! hands its parameters here; anything that isn't a well-formed report is no event at all.

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

/// `Cb`'s bits besides the button: Shift, Alt (meta), Ctrl, motion.
const SHIFT: u16 = 4;
const ALT: u16 = 8;
const CONTROL: u16 = 16;
const MOTION: u16 = 32;

/// The report whose parameters (after the `<`) are `parameters` and whose final byte is
/// `last` (`M` or `m`); `None` for anything malformed: a missing, empty, non-decimal or
/// out-of-range number, a coordinate of 0, a release of no button, a button the kiosk doesn't
/// know.
pub fn parse(parameters: &[u8], last: u8) -> Option<MouseEvent> {
    let mut numbers = parameters.split(|b| *b == b';').map(number);
    let (Some(Some(cb)), Some(Some(x)), Some(Some(y)), None) =
        (numbers.next(), numbers.next(), numbers.next(), numbers.next())
    else {
        return None;
    };
    let kind = kind(cb, last == b'm')?;
    let mut modifiers = KeyModifiers::NONE;
    for (bit, modifier) in [(SHIFT, KeyModifiers::SHIFT), (ALT, KeyModifiers::ALT), (CONTROL, KeyModifiers::CONTROL)] {
        if cb & bit != 0 {
            modifiers |= modifier;
        }
    }
    Some(MouseEvent { kind, column: x.checked_sub(1)?, row: y.checked_sub(1)?, modifiers })
}

/// A decimal number of at most five digits that fits a `u16`.
fn number(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// What `Cb` says happened: the button is its low two bits, plus four for the wheel (64) and
/// eight for the extra buttons (128), which the kiosk has no use for.
fn kind(cb: u16, release: bool) -> Option<MouseEventKind> {
    if cb > 255 {
        return None;
    }
    let button = (cb & 0b11) | ((cb & 0b1100_0000) >> 4);
    let motion = cb & MOTION != 0;
    let pressed = |button| match button {
        0 => Some(MouseButton::Left),
        1 => Some(MouseButton::Middle),
        2 => Some(MouseButton::Right),
        _ => None,
    };
    Some(match (button, motion, release) {
        (0..=2, false, false) => MouseEventKind::Down(pressed(button)?),
        (0..=2, false, true) => MouseEventKind::Up(pressed(button)?),
        (0..=2, true, false) => MouseEventKind::Drag(pressed(button)?),
        // Motion with no button held (mode 1003).
        (3, true, false) => MouseEventKind::Moved,
        (4, false, false) => MouseEventKind::ScrollUp,
        (5, false, false) => MouseEventKind::ScrollDown,
        (6, false, false) => MouseEventKind::ScrollLeft,
        (7, false, false) => MouseEventKind::ScrollRight,
        // A release of a motion or of the wheel, SGR's "no button" (3) pressed, buttons 8-11.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(text: &str) -> Option<MouseEvent> {
        let (parameters, last) = text.split_at(text.len() - 1);
        parse(parameters.as_bytes(), last.as_bytes()[0])
    }

    fn event(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }
    }

    #[test]
    fn a_touch_is_a_left_press_and_release_at_zero_based_cells() {
        assert_eq!(report("0;1;1M"), Some(event(MouseEventKind::Down(MouseButton::Left), 0, 0)));
        assert_eq!(report("0;80;24m"), Some(event(MouseEventKind::Up(MouseButton::Left), 79, 23)));
        // Beyond 223 columns: what SGR is for.
        assert_eq!(report("0;300;100M"), Some(event(MouseEventKind::Down(MouseButton::Left), 299, 99)));
    }

    #[test]
    fn other_buttons_motion_wheel_and_modifiers() {
        assert_eq!(report("2;5;6M").map(|e| e.kind), Some(MouseEventKind::Down(MouseButton::Right)));
        assert_eq!(report("1;5;6m").map(|e| e.kind), Some(MouseEventKind::Up(MouseButton::Middle)));
        assert_eq!(report("32;5;6M").map(|e| e.kind), Some(MouseEventKind::Drag(MouseButton::Left)));
        assert_eq!(report("35;5;6M").map(|e| e.kind), Some(MouseEventKind::Moved));
        assert_eq!(report("64;5;6M").map(|e| e.kind), Some(MouseEventKind::ScrollUp));
        assert_eq!(report("65;5;6M").map(|e| e.kind), Some(MouseEventKind::ScrollDown));
        assert_eq!(report("66;5;6M").map(|e| e.kind), Some(MouseEventKind::ScrollLeft));
        assert_eq!(report("67;5;6M").map(|e| e.kind), Some(MouseEventKind::ScrollRight));
        let all = KeyModifiers::SHIFT | KeyModifiers::ALT | KeyModifiers::CONTROL;
        assert_eq!(
            report("28;5;6M").map(|e| (e.kind, e.modifiers)),
            Some((MouseEventKind::Down(MouseButton::Left), all))
        );
    }

    #[test]
    fn malformed_reports_are_no_event() {
        for text in [
            "0;0;5M",      // coordinates are 1-based
            "0;5;0M",      //
            "0;5M",        // too few
            "0;5;6;7M",    // too many
            ";5;6M",       // empty
            "0;;6M",       //
            "0;5;6;M",     //
            "0;65536;6M",  // past u16
            "0;5;999999M", //
            "256;5;6M",    // Cb is a byte
            "0;+5;6M",     // not decimal
            "0;5:1;6M",    //
            "0;5;6<M",     //
            "35;5;6m",     // a release of a motion
            "64;5;6m",     // a release of the wheel
            "3;5;6M",      // "no button" pressed
            "128;5;6M",    // button 8
            "M",
        ] {
            assert_eq!(report(text), None, "{text}");
        }
    }
}
