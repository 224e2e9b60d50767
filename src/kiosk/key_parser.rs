//! The bytes a terminal sends for keys (xterm's encoding, as Linux consoles, tmux and screen
//! send it too) turned into key events, and its SGR mouse reports into mouse events
//! (`sgr_mouse`).
//!
//! The kiosk reads its terminal itself (see `input`): crossterm's reader reads a kilobyte a
//! time and spins forever on a terminal that hung up (crossterm-rs/crossterm#793), neither of
//! which a kiosk can live with. Its event types stay the vocabulary, so the events are the
//! ones crossterm would give for the same bytes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};

use super::sgr_mouse;
use super::state::TerminalInput;

const ESC: u8 = 0x1b;

/// A control sequence longer than this, still without its final byte, is garbage.
const MAX_SEQUENCE: usize = 64;

/// Turns the terminal's bytes into events, keeping a sequence cut short by a read until the
/// rest comes.
#[derive(Default)]
pub struct KeyParser {
    pending: Vec<u8>,
}

/// What the bytes at the front of the buffer are.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// The start of something whose rest has not been read yet.
    Incomplete,
    /// A sequence of this length that means nothing to the kiosk (an X10 mouse report, a focus
    /// change, a malformed SGR mouse report).
    Skip(usize),
    Key(usize, KeyEvent),
    Mouse(usize, MouseEvent),
}

impl KeyParser {
    /// Parses `bytes`, what a read returned, into `events`.
    pub fn feed(&mut self, bytes: &[u8], events: &mut impl Extend<TerminalInput>) {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.pending.len() {
            match parse(&self.pending[at..]) {
                Parsed::Incomplete => break,
                Parsed::Skip(len) => at += len,
                Parsed::Key(len, key) => {
                    events.extend([TerminalInput::Key(key)]);
                    at += len;
                }
                Parsed::Mouse(len, mouse) => {
                    events.extend([TerminalInput::Mouse(mouse)]);
                    at += len;
                }
            }
        }
        self.pending.drain(..at);
    }

    /// Says that everything the terminal had sent has been read: an escape byte on its own is
    /// the Esc key, not the start of a sequence still on its way (terminals send a sequence in
    /// one write).
    pub fn input_drained(&mut self, events: &mut impl Extend<TerminalInput>) {
        if self.pending == [ESC] {
            self.pending.clear();
            events.extend([TerminalInput::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE))]);
        }
    }
}

fn key(len: usize, code: KeyCode, modifiers: KeyModifiers) -> Parsed {
    Parsed::Key(len, KeyEvent::new(code, modifiers))
}

fn ctrl(len: usize, c: u8) -> Parsed {
    key(len, KeyCode::Char(c as char), KeyModifiers::CONTROL)
}

fn parse(bytes: &[u8]) -> Parsed {
    match bytes[0] {
        ESC => parse_escape(bytes),
        b'\r' => key(1, KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => key(1, KeyCode::Tab, KeyModifiers::NONE),
        0x7f => key(1, KeyCode::Backspace, KeyModifiers::NONE),
        0 => ctrl(1, b' '),
        // In raw mode \n is Ctrl+J and ^H Ctrl+H, as the terminal sent them.
        c @ 0x01..=0x1a => ctrl(1, c - 1 + b'a'),
        c @ 0x1c..=0x1f => ctrl(1, c - 0x1c + b'4'),
        _ => parse_char(bytes),
    }
}

/// A character, ASCII or UTF-8; uppercase letters carry Shift, as crossterm reports them.
fn parse_char(bytes: &[u8]) -> Parsed {
    let len = match bytes[0] {
        0x20..=0x7e => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Parsed::Skip(1),
    };
    if bytes.len() < len {
        return if bytes[1..].iter().all(|b| (0x80..=0xbf).contains(b)) { Parsed::Incomplete } else { Parsed::Skip(1) };
    }
    match std::str::from_utf8(&bytes[..len]).ok().and_then(|s| s.chars().next()) {
        Some(c) => {
            let modifiers = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
            key(len, KeyCode::Char(c), modifiers)
        }
        None => Parsed::Skip(1),
    }
}

fn parse_escape(bytes: &[u8]) -> Parsed {
    match bytes.get(1) {
        None => Parsed::Incomplete,
        Some(b'[') => parse_csi(bytes),
        Some(b'O') => match bytes.get(2) {
            None => Parsed::Incomplete,
            Some(&last) => match final_key(last) {
                Some(code) => key(3, code, KeyModifiers::NONE),
                None => Parsed::Skip(3),
            },
        },
        Some(&ESC) => key(1, KeyCode::Esc, KeyModifiers::NONE),
        // Escape before a key is how terminals send Alt with it.
        Some(_) => match parse(&bytes[1..]) {
            Parsed::Key(len, mut key) => {
                key.modifiers |= KeyModifiers::ALT;
                Parsed::Key(len + 1, key)
            }
            // A mouse report starts with an escape, taken above as the Esc key.
            Parsed::Skip(len) | Parsed::Mouse(len, _) => Parsed::Skip(len + 1),
            Parsed::Incomplete => Parsed::Incomplete,
        },
    }
}

/// The keys named by a sequence's last byte: `ESC [ A`, `ESC O A`, `ESC [ 1 ; 5 A`.
fn final_key(last: u8) -> Option<KeyCode> {
    Some(match last {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P'..=b'S' => KeyCode::F(last - b'P' + 1),
        _ => return None,
    })
}

/// The keys of `ESC [ N ~` sequences, by N.
fn tilde_key(number: u16) -> Option<KeyCode> {
    Some(match number {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        11..=15 => KeyCode::F((number - 10) as u8),
        17..=21 => KeyCode::F((number - 11) as u8),
        23..=26 => KeyCode::F((number - 12) as u8),
        28 | 29 => KeyCode::F((number - 15) as u8),
        31..=34 => KeyCode::F((number - 17) as u8),
        _ => return None,
    })
}

/// xterm's modifier parameter: 1 + a bit each for Shift, Alt, Ctrl and Super.
fn modifiers(parameter: Option<u16>) -> KeyModifiers {
    let bits = parameter.unwrap_or(1).saturating_sub(1);
    let mut modifiers = KeyModifiers::NONE;
    for (bit, modifier) in
        [(1, KeyModifiers::SHIFT), (2, KeyModifiers::ALT), (4, KeyModifiers::CONTROL), (8, KeyModifiers::SUPER)]
    {
        if bits & bit != 0 {
            modifiers |= modifier;
        }
    }
    modifiers
}

/// `ESC [` then parameters, and a final byte.
fn parse_csi(bytes: &[u8]) -> Parsed {
    match bytes.get(2) {
        None => return Parsed::Incomplete,
        // The Linux console's F1-F5: ESC [ [ A..E.
        Some(b'[') => {
            return match bytes.get(3) {
                None => Parsed::Incomplete,
                Some(&c @ b'A'..=b'E') => key(4, KeyCode::F(c - b'A' + 1), KeyModifiers::NONE),
                Some(_) => Parsed::Skip(4),
            };
        }
        // An X10 mouse report carries three raw bytes after the M.
        Some(b'M') => return if bytes.len() < 6 { Parsed::Incomplete } else { Parsed::Skip(6) },
        Some(_) => {}
    }
    let Some(end) = bytes[2..].iter().position(|b| !(0x20..=0x3f).contains(b)).map(|i| i + 2) else {
        return if bytes.len() < MAX_SEQUENCE { Parsed::Incomplete } else { Parsed::Skip(bytes.len()) };
    };
    let len = end + 1;
    let last = bytes[end];
    if !(0x40..=0x7e).contains(&last) {
        // Not a control sequence after all: drop what was taken for one.
        return Parsed::Skip(end);
    }
    let parameters = &bytes[2..end];
    if let (Some(b'<'), b'M' | b'm') = (parameters.first(), last) {
        return match sgr_mouse::parse(&parameters[1..], last) {
            Some(mouse) => Parsed::Mouse(len, mouse),
            None => Parsed::Skip(len),
        };
    }
    // Other private sequences (replies to queries) are not keys.
    if parameters.first().is_some_and(|b| !b.is_ascii_digit() && *b != b';') {
        return Parsed::Skip(len);
    }
    let mut numbers = parameters.split(|b| *b == b';').map(number);
    let first = numbers.next().flatten();
    let modifiers = modifiers(numbers.next().flatten());
    let code = match last {
        b'~' => first.and_then(tilde_key),
        b'Z' => return key(len, KeyCode::BackTab, KeyModifiers::SHIFT),
        _ => final_key(last),
    };
    match code {
        Some(code) => key(len, code, modifiers),
        None => Parsed::Skip(len),
    }
}

/// A parameter's number; kitty-style sub-parameters (`1:2`) count by their first part.
fn number(parameter: &[u8]) -> Option<u16> {
    let digits = parameter.split(|b| *b == b':').next()?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::keys::key_bytes;

    fn events(chunks: &[&[u8]]) -> Vec<TerminalInput> {
        let mut parser = KeyParser::default();
        let mut events = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut events);
            parser.input_drained(&mut events);
        }
        events
    }

    fn keys(bytes: &[u8]) -> Vec<KeyEvent> {
        events(&[bytes])
            .into_iter()
            .map(|event| match event {
                TerminalInput::Key(key) => key,
                other => panic!("not a key: {other:?}"),
            })
            .collect()
    }

    fn k(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn text_and_control_keys() {
        assert_eq!(
            keys("aZ é€😀\r\t\x7f".as_bytes()),
            [
                k(KeyCode::Char('a'), NONE),
                k(KeyCode::Char('Z'), KeyModifiers::SHIFT),
                k(KeyCode::Char(' '), NONE),
                k(KeyCode::Char('é'), NONE),
                k(KeyCode::Char('€'), NONE),
                k(KeyCode::Char('😀'), NONE),
                k(KeyCode::Enter, NONE),
                k(KeyCode::Tab, NONE),
                k(KeyCode::Backspace, NONE),
            ]
        );
        assert_eq!(
            keys(b"\x03\x0a\x00\x1c"),
            [
                k(KeyCode::Char('c'), KeyModifiers::CONTROL),
                k(KeyCode::Char('j'), KeyModifiers::CONTROL),
                k(KeyCode::Char(' '), KeyModifiers::CONTROL),
                k(KeyCode::Char('4'), KeyModifiers::CONTROL),
            ]
        );
    }

    #[test]
    fn cursor_editing_and_function_keys_in_every_encoding() {
        let cases: &[(&[u8], KeyCode)] = &[
            (b"\x1b[A", KeyCode::Up),
            (b"\x1bOB", KeyCode::Down),
            (b"\x1b[C", KeyCode::Right),
            (b"\x1bOD", KeyCode::Left),
            (b"\x1b[H", KeyCode::Home),
            (b"\x1b[1~", KeyCode::Home),
            (b"\x1b[4~", KeyCode::End),
            (b"\x1bOF", KeyCode::End),
            (b"\x1b[2~", KeyCode::Insert),
            (b"\x1b[3~", KeyCode::Delete),
            (b"\x1b[5~", KeyCode::PageUp),
            (b"\x1b[6~", KeyCode::PageDown),
            (b"\x1bOP", KeyCode::F(1)),
            (b"\x1b[[A", KeyCode::F(1)),
            (b"\x1b[11~", KeyCode::F(1)),
            (b"\x1bOS", KeyCode::F(4)),
            (b"\x1b[15~", KeyCode::F(5)),
            (b"\x1b[[E", KeyCode::F(5)),
            (b"\x1b[17~", KeyCode::F(6)),
            (b"\x1b[21~", KeyCode::F(10)),
            (b"\x1b[23~", KeyCode::F(11)),
            (b"\x1b[24~", KeyCode::F(12)),
        ];
        for (bytes, code) in cases {
            assert_eq!(keys(bytes), [k(*code, NONE)], "{bytes:?}");
        }
        assert_eq!(keys(b"\x1b[Z"), [k(KeyCode::BackTab, KeyModifiers::SHIFT)]);
    }

    #[test]
    fn modifiers_alt_and_escape() {
        assert_eq!(keys(b"\x1b[1;5A"), [k(KeyCode::Up, KeyModifiers::CONTROL)]);
        assert_eq!(keys(b"\x1b[24;2~"), [k(KeyCode::F(12), KeyModifiers::SHIFT)]);
        assert_eq!(
            keys(b"\x1b[1;8P"),
            [k(KeyCode::F(1), KeyModifiers::SHIFT | KeyModifiers::ALT | KeyModifiers::CONTROL)]
        );
        assert_eq!(keys(b"\x1bx"), [k(KeyCode::Char('x'), KeyModifiers::ALT)]);
        assert_eq!(keys(b"\x1b\x7f"), [k(KeyCode::Backspace, KeyModifiers::ALT)]);
        assert_eq!(keys(b"\x1b"), [k(KeyCode::Esc, NONE)]);
        assert_eq!(keys(b"\x1b\x1b"), [k(KeyCode::Esc, NONE), k(KeyCode::Esc, NONE)]);
    }

    #[test]
    fn what_is_not_a_key_is_skipped_and_what_follows_still_counts() {
        // X10 mouse reports, focus in/out, a cursor-position reply, an unknown ~ key, a
        // malformed SGR mouse report, a stray continuation byte.
        assert_eq!(keys(b"\x1b[M !!\x1b[I\x1b[O\x1b[?1;2c\x1b[99~\x1b[<0;0;5M\x80q"), [k(KeyCode::Char('q'), NONE)]);
    }

    #[test]
    fn a_tap_as_foot_sends_it_is_a_press_and_a_release_between_keys() {
        use crossterm::event::{MouseButton, MouseEventKind};
        let tap = |kind| TerminalInput::Mouse(MouseEvent { kind, column: 9, row: 4, modifiers: NONE });
        assert_eq!(
            events(&[b"1\x1b[<0;10;5M", b"\x1b[<0;10;5m2"]),
            [
                TerminalInput::Key(k(KeyCode::Char('1'), NONE)),
                tap(MouseEventKind::Down(MouseButton::Left)),
                tap(MouseEventKind::Up(MouseButton::Left)),
                TerminalInput::Key(k(KeyCode::Char('2'), NONE)),
            ]
        );
    }

    #[test]
    fn a_sequence_split_across_reads_waits_for_its_rest() {
        let f12 = [TerminalInput::Key(k(KeyCode::F(12), NONE))];
        let mut parser = KeyParser::default();
        let mut got = Vec::new();
        parser.feed(b"\x1b[2", &mut got);
        parser.input_drained(&mut got);
        assert!(got.is_empty(), "{got:?}");
        parser.feed(b"4~", &mut got);
        assert_eq!(got, f12);

        let euro = "€".as_bytes();
        assert_eq!(events(&[&euro[..1], &euro[1..]]), [TerminalInput::Key(k(KeyCode::Char('€'), NONE))]);
        // The escape and its sequence in one read, after other keys: not an Esc.
        assert_eq!(events(&[b"a", b"\x1b[24~"])[1..], f12);
    }

    #[test]
    fn garbage_never_stalls_the_parser() {
        let mut parser = KeyParser::default();
        let mut got = Vec::new();
        parser.feed(&[b"\x1b[".as_slice(), &[b'1'; 100]].concat(), &mut got);
        parser.feed(b"q", &mut got);
        assert_eq!(got, [TerminalInput::Key(k(KeyCode::Char('q'), NONE))]);
        parser.feed(&[0xff, 0xc3, b'r'], &mut got);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    /// What the kiosk sends on to a session is what the terminal sent, for the keys it knows.
    #[test]
    fn keys_read_then_written_for_a_session_come_out_as_they_came_in() {
        let sent: &[&[u8]] = &[
            b"a",
            "é".as_bytes(),
            b"\r",
            b"\x7f",
            b"\x03",
            b"\x1b",
            b"\x1bx",
            b"\x1b[A",
            b"\x1b[D",
            b"\x1b[H",
            b"\x1b[F",
            b"\x1b[3~",
            b"\x1b[5~",
            b"\x1bOP",
            b"\x1b[15~",
            b"\x1b[24~",
            b"\x1b[Z",
        ];
        for bytes in sent {
            let [key] = keys(bytes)[..] else { panic!("one key for {bytes:?}") };
            assert_eq!(key_bytes(&key, false), *bytes, "{key:?}");
        }
    }

    /// Any bytes, split anywhere (`PROPTEST_CASES` raises the number of cases).
    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn parse_in(chunks: &[&[u8]]) -> (Vec<TerminalInput>, KeyParser) {
            let mut parser = KeyParser::default();
            let mut events = Vec::new();
            for chunk in chunks {
                parser.feed(chunk, &mut events);
            }
            (events, parser)
        }

        /// Bytes a terminal sends: text, controls, escape sequences whole and cut, garbage.
        fn input() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                "[ -~]{1,8}".prop_map(String::into_bytes),
                Just("é日".as_bytes().to_vec()),
                prop::sample::select(vec![
                    &b"\x1b[A"[..],
                    b"\x1b[1;5C",
                    b"\x1bOP",
                    b"\x1b[24~",
                    b"\x1b[3;3~",
                    b"\x1b[Z",
                    b"\x1b",
                    b"\x1bx",
                    b"\x1b[",
                    b"\x1b[<0;12;5M",
                    b"\x1b[I",
                    b"\x7f",
                    b"\r",
                    b"\x03",
                ])
                .prop_map(<[u8]>::to_vec),
                prop::collection::vec(any::<u8>(), 1..6),
                sgr_report(),
            ];
            prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
        }

        /// An SGR mouse report as a terminal sends it (a tap's press or release, a wheel, a
        /// drag, with modifiers), or one with parameters from sensible to garbage.
        fn sgr_report() -> impl Strategy<Value = Vec<u8>> {
            let sent = (0u16..100, 0u16..400, 0u16..200, any::<bool>())
                .prop_map(|(cb, x, y, release)| format!("{cb};{x};{y}{}", if release { 'm' } else { 'M' }));
            let garbage = ("[0-9;:<=>?]{0,16}", prop::sample::select(vec!['M', 'm']))
                .prop_map(|(parameters, last)| format!("{parameters}{last}"));
            prop_oneof![sent, garbage].prop_map(|report| format!("\x1b[<{report}").into_bytes())
        }

        proptest! {
            #![proptest_config(crate::proptest_config(256))]

            /// However the reads cut the stream, the keys are the same, and what waits for its
            /// rest stays bounded.
            #[test]
            fn bytes_split_anywhere_give_the_keys_the_whole_gives(
                bytes in input(),
                cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
            ) {
                let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(bytes.len() + 1)).collect();
                cuts.sort_unstable();
                let mut chunks = Vec::new();
                let mut start = 0;
                for cut in cuts {
                    chunks.push(&bytes[start..cut]);
                    start = cut;
                }
                chunks.push(&bytes[start..]);
                let (whole, _) = parse_in(&[&bytes]);
                let (split, parser) = parse_in(&chunks);
                prop_assert_eq!(&split, &whole);
                prop_assert!(parser.pending.len() <= MAX_SEQUENCE, "{} bytes held", parser.pending.len());
            }

            /// Every key the kiosk reads, written on to a session the way the kiosk writes it,
            /// reads back as the same key.
            #[test]
            fn every_key_the_kiosk_forwards_reads_back_the_same(bytes in input()) {
                let (events, _) = parse_in(&[&bytes]);
                for event in events {
                    let TerminalInput::Key(key) = event else { continue };
                    let written = key_bytes(&key, false);
                    // One key is one write: a lone escape byte is the Esc key once it's read.
                    let (mut again, mut parser) = parse_in(&[&written]);
                    parser.input_drained(&mut again);
                    prop_assert_eq!(again, vec![TerminalInput::Key(key)], "{:?} was written as {:?}", key, written);
                }
            }

            /// A report is one mouse event or none, whatever its parameters, and nothing of it
            /// leaks out as keys; the event is what its numbers say (the session would be sent
            /// the same report back).
            #[test]
            fn an_sgr_report_is_one_mouse_event_or_nothing(report in sgr_report()) {
                let (events, _) = parse_in(&[&report, b"q"]);
                let q = TerminalInput::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
                prop_assert_eq!(events.last(), Some(&q), "{:?} gave {:?}", String::from_utf8_lossy(&report), events);
                prop_assert!(events.len() <= 2, "{:?} gave {:?}", String::from_utf8_lossy(&report), events);
                if let [TerminalInput::Mouse(mouse), _] = events[..] {
                    let numbers = |bytes: &[u8]| -> Vec<u32> {
                        let text = String::from_utf8_lossy(&bytes[3..bytes.len() - 1]).into_owned();
                        text.split(';').map(|n| n.parse().unwrap()).collect()
                    };
                    let sent_back = crate::session::mouse::mouse_bytes(
                        &mouse,
                        vt100::MouseProtocolMode::AnyMotion,
                        vt100::MouseProtocolEncoding::Sgr,
                    );
                    let sent_back = sent_back.expect("every event the kiosk reads can be sent on");
                    prop_assert_eq!(numbers(&sent_back), numbers(&report));
                    prop_assert_eq!(sent_back.last(), report.last());
                }
            }

            /// A sequence cut short gives no key until the rest comes (or the read is over and it
            /// was a lone Esc).
            #[test]
            fn an_incomplete_sequence_gives_nothing_until_its_rest(
                sequence in prop::sample::select(vec![&b"\x1b[1;5C"[..], b"\x1bOP", b"\x1b[24~", b"\x1b[3;3~", b"\x1b[Z"]),
                cut in 1usize..6,
            ) {
                let cut = cut.min(sequence.len() - 1);
                let (events, mut parser) = parse_in(&[&sequence[..cut]]);
                prop_assert!(events.is_empty(), "{:?} gave {:?}", &sequence[..cut], events);
                let mut events = Vec::new();
                parser.feed(&sequence[cut..], &mut events);
                prop_assert_eq!(events.len(), 1);
            }
        }
    }
}
