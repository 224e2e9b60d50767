//! Turning key presses into the bytes a program in a terminal expects (xterm sequences).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// xterm's modifier parameter for a special key: 1 + Shift 1, Alt 2, Ctrl 4, Super 8; `None`
/// without modifiers.
fn modifier_parameter(modifiers: KeyModifiers) -> Option<u8> {
    let bits = [(KeyModifiers::SHIFT, 1), (KeyModifiers::ALT, 2), (KeyModifiers::CONTROL, 4), (KeyModifiers::SUPER, 8)]
        .into_iter()
        .filter(|(modifier, _)| modifiers.contains(*modifier))
        .map(|(_, bit)| bit)
        .sum::<u8>();
    (bits != 0).then_some(1 + bits)
}

/// A special key as xterm sends it: `ESC [ 1 ; m X` / `ESC [ n ; m ~` with modifiers, else the
/// plain form (`ESC [ X`, `ESC O X` in application cursor mode or for F1-F4, `ESC [ n ~`).
fn special(key: &KeyEvent, application_cursor: bool) -> Option<Vec<u8>> {
    enum Form {
        Letter { letter: char, ss3: bool },
        Tilde(u8),
    }
    let form = match key.code {
        KeyCode::Up => Form::Letter { letter: 'A', ss3: application_cursor },
        KeyCode::Down => Form::Letter { letter: 'B', ss3: application_cursor },
        KeyCode::Right => Form::Letter { letter: 'C', ss3: application_cursor },
        KeyCode::Left => Form::Letter { letter: 'D', ss3: application_cursor },
        KeyCode::Home => Form::Letter { letter: 'H', ss3: false },
        KeyCode::End => Form::Letter { letter: 'F', ss3: false },
        KeyCode::F(n @ 1..=4) => Form::Letter { letter: (b'P' + n - 1) as char, ss3: true },
        KeyCode::PageUp => Form::Tilde(5),
        KeyCode::PageDown => Form::Tilde(6),
        KeyCode::Insert => Form::Tilde(2),
        KeyCode::Delete => Form::Tilde(3),
        KeyCode::F(n @ 5..=12) => Form::Tilde([15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)]),
        _ => return None,
    };
    let bytes = match (form, modifier_parameter(key.modifiers)) {
        (Form::Letter { letter, ss3: true }, None) => format!("\x1bO{letter}"),
        (Form::Letter { letter, .. }, None) => format!("\x1b[{letter}"),
        (Form::Letter { letter, .. }, Some(m)) => format!("\x1b[1;{m}{letter}"),
        (Form::Tilde(n), None) => format!("\x1b[{n}~"),
        (Form::Tilde(n), Some(m)) => format!("\x1b[{n};{m}~"),
    };
    Some(bytes.into_bytes())
}

/// The bytes for a key, or nothing for keys a terminal cannot express.
pub fn key_bytes(key: &KeyEvent, application_cursor: bool) -> Vec<u8> {
    if let Some(bytes) = special(key, application_cursor) {
        return bytes;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let mut bytes = match key.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            c @ 'a'..='z' => vec![c as u8 - b'a' + 1],
            ' ' | '@' | '2' => vec![0],
            '[' | '3' => vec![0x1b],
            '\\' | '4' => vec![0x1c],
            ']' | '5' => vec![0x1d],
            '^' | '6' => vec![0x1e],
            '_' | '7' | '/' => vec![0x1f],
            _ => return Vec::new(),
        },
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Backspace => vec![0x7f],
        KeyCode::Esc => vec![0x1b],
        _ => return Vec::new(),
    };
    // Alt is an escape before the key (xterm's metaSendsEscape).
    if alt && !bytes.is_empty() {
        bytes.insert(0, 0x1b);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn common_keys_encode_like_xterm() {
        assert_eq!(key_bytes(&key(KeyCode::Char('a'), KeyModifiers::NONE), false), b"a");
        assert_eq!(key_bytes(&key(KeyCode::Char('c'), KeyModifiers::CONTROL), false), [3]);
        assert_eq!(key_bytes(&key(KeyCode::Up, KeyModifiers::NONE), false), b"\x1b[A");
        assert_eq!(key_bytes(&key(KeyCode::Up, KeyModifiers::NONE), true), b"\x1bOA");
        assert_eq!(key_bytes(&key(KeyCode::Char('x'), KeyModifiers::ALT), false), b"\x1bx");
        assert_eq!(key_bytes(&key(KeyCode::Enter, KeyModifiers::NONE), false), b"\r");
        assert_eq!(key_bytes(&key(KeyCode::Char('é'), KeyModifiers::NONE), false), "é".as_bytes());
        assert_eq!(key_bytes(&key(KeyCode::F(1), KeyModifiers::NONE), false), b"\x1bOP");
        assert_eq!(key_bytes(&key(KeyCode::F(12), KeyModifiers::NONE), false), b"\x1b[24~");
    }

    #[test]
    fn modified_special_keys_carry_xterms_modifier_parameter() {
        assert_eq!(key_bytes(&key(KeyCode::Delete, KeyModifiers::ALT), false), b"\x1b[3;3~");
        assert_eq!(key_bytes(&key(KeyCode::Right, KeyModifiers::CONTROL), true), b"\x1b[1;5C");
        assert_eq!(key_bytes(&key(KeyCode::F(2), KeyModifiers::SHIFT), false), b"\x1b[1;2Q");
        assert_eq!(key_bytes(&key(KeyCode::F(5), KeyModifiers::CONTROL | KeyModifiers::SHIFT), false), b"\x1b[15;6~");
    }
}
