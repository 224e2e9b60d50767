//! Touch on the real kiosk in a pseudo-terminal, against a real `shiftkey serve`: taps as foot
//! sends a touch (an SGR mouse report of a left press where the finger lands, `CSI < 0 ; x ; y
//! M`, and of its release where it lifts, `… m`, 1-based), found on screen as a person finds
//! them, and the mouse reporting the kiosk's output turns on and off, read off the terminal
//! state those bytes leave.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, F12, KioskSetup, KioskTerminal, admin, run_as_line, session_user, sign_in};
use vt100::{MouseProtocolEncoding, MouseProtocolMode};

const WAIT: Duration = Duration::from_secs(10);

/// Makes the terminal 99x30, below the 100x30 where typed digits are drawn large (these tests
/// read them as text), and waits until the kiosk has drawn its frame at that width (the top
/// right corner in the last column), so every tap goes where the target now is.
async fn narrower(screen: &mut KioskTerminal) {
    screen.resize(99, 30);
    let deadline = Instant::now() + WAIT;
    loop {
        let screen_now = screen.parsed();
        let framed = screen_now.cell(0, 98).is_some_and(|cell| cell.contents() == "╮");
        if framed && screen_now.contents().contains("Enter your mobile number") {
            return;
        }
        assert!(Instant::now() < deadline, "no frame at 99x30:\n{}", screen_now.contents());
        screen.drain(Duration::from_millis(20)).await;
    }
}
const TAPS: (MouseProtocolMode, MouseProtocolEncoding) = (MouseProtocolMode::PressRelease, MouseProtocolEncoding::Sgr);
const OFF: (MouseProtocolMode, MouseProtocolEncoding) = (MouseProtocolMode::None, MouseProtocolEncoding::Default);

/// The screen's rows, one char per cell (a blank cell is a space).
fn cells(screen: &vt100::Screen) -> Vec<Vec<char>> {
    let (rows, cols) = screen.size();
    (0..rows)
        .map(|row| {
            (0..cols)
                .map(|col| screen.cell(row, col).and_then(|cell| cell.contents().chars().next()).unwrap_or(' '))
                .collect()
        })
        .collect()
}

/// Where `label` is drawn inside a box (`│  5  │`, `│ New code │`): (row, column) of its first
/// character, the cell a finger goes to. Panics with the screen when there is none.
fn boxed(screen: &vt100::Screen, label: &str) -> (u16, u16) {
    let label: Vec<char> = label.chars().collect();
    let rows = cells(screen);
    for (row, line) in rows.iter().enumerate() {
        for start in 0..line.len().saturating_sub(label.len()) {
            if line[start..start + label.len()] != label[..] {
                continue;
            }
            let left = line[..start].iter().rev().find(|c| **c != ' ');
            let right = line[start + label.len()..].iter().find(|c| **c != ' ');
            if left == Some(&'│') && right == Some(&'│') {
                return (row as u16, start as u16);
            }
        }
    }
    panic!("no box says {:?}:\n{}", label.iter().collect::<String>(), screen.contents());
}

/// What foot sends for a finger touching (row, column) and (`release`) lifting there.
fn touch(screen: &mut KioskTerminal, (row, column): (u16, u16), release: bool) {
    let last = if release { 'm' } else { 'M' };
    screen.send(format!("\x1b[<0;{};{}{last}", column + 1, row + 1).as_bytes());
}

fn tap_at(screen: &mut KioskTerminal, cell: (u16, u16)) {
    touch(screen, cell, false);
    touch(screen, cell, true);
}

/// Taps the box that says `label`.
fn tap(screen: &mut KioskTerminal, label: &str) {
    let cell = boxed(screen.parsed(), label);
    tap_at(screen, cell);
}

/// The mouse reporting the kiosk's output has left its terminal in.
fn mouse(screen: &mut KioskTerminal) -> (MouseProtocolMode, MouseProtocolEncoding) {
    let shown = screen.parsed();
    (shown.mouse_protocol_mode(), shown.mouse_protocol_encoding())
}

/// Waits until the terminal's mouse reporting is `wanted`.
async fn wait_mouse(screen: &mut KioskTerminal, wanted: (MouseProtocolMode, MouseProtocolEncoding), when: &str) {
    let deadline = Instant::now() + WAIT;
    while mouse(screen) != wanted {
        assert!(Instant::now() < deadline, "{when}: mouse reporting is {:?}, not {wanted:?}", mouse(screen));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the cell is drawn highlighted (`lit`) or not.
async fn wait_lit(screen: &mut KioskTerminal, (row, column): (u16, u16), lit: bool) {
    let deadline = Instant::now() + WAIT;
    while screen.parsed().cell(row, column).is_none_or(|cell| cell.inverse() != lit) {
        assert!(Instant::now() < deadline, "the cell at {row},{column} isn't {}:\n{}", lit, screen.contents());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Alex's number tapped on the keypad, and Enter: the code screen.
async fn alex_s_number_by_taps(screen: &mut KioskTerminal) {
    for digit in "2065550100".chars() {
        tap(screen, &digit.to_string());
    }
    screen.wait_for("(206) 555-0100", WAIT).await;
    tap(screen, "Enter");
    screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
}

#[tokio::test]
async fn a_worker_signs_in_by_taps_alone() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-touch");
    let command = &["/bin/sh", "-c", "echo TAPPED-IN; exec /bin/sh"];
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, command, &run_as_line(&user));
    let mut screen = setup.spawn();
    narrower(&mut screen).await;

    // Every byte from here to the session is a mouse report: not a key is pressed.
    alex_s_number_by_taps(&mut screen).await;
    let code = backend.code_for("+12065550100");
    for digit in code.chars() {
        tap(&mut screen, &digit.to_string());
    }
    screen.wait_for("TAPPED-IN", WAIT).await;
    // The status bar and the session's output are written apart: wait for each.
    screen.wait_for("Alex Rivera", WAIT).await;
    assert_eq!(setup.audit_events("sign_in").len(), 1);
    assert_eq!(setup.audit_events("session_start").len(), 1);

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

/// Where `text` starts on screen: (row, column). Panics with the screen when it isn't there.
fn text_at(screen: &vt100::Screen, text: &str) -> (u16, u16) {
    let text: Vec<char> = text.chars().collect();
    for (row, line) in cells(screen).iter().enumerate() {
        if let Some(start) = line.windows(text.len()).position(|window| window == &text[..]) {
            return (row as u16, start as u16);
        }
    }
    panic!("{:?} isn't on screen:\n{}", text.iter().collect::<String>(), screen.contents());
}

#[tokio::test]
async fn a_worker_signs_in_with_a_pass_by_taps_alone() {
    let backend = Backend::start();
    let (ok, out, err) = admin(&backend.db, &["tap", "create", "alex"]);
    assert!(ok, "tap create: {err}");
    let pass = out.trim_end().lines().last().expect("the pass").to_string();
    let user = session_user("sk-e2e-touchpass");
    let command = &["/bin/sh", "-c", "echo PASS-TAPPED-IN; exec /bin/sh"];
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, command, &run_as_line(&user));
    let mut screen = setup.spawn();
    narrower(&mut screen).await;

    // Every byte from here to the session is a mouse report: not a key is pressed.
    alex_s_number_by_taps(&mut screen).await;
    let offer = text_at(screen.parsed(), "[P] Use a pass from your manager");
    tap_at(&mut screen, offer);
    screen.wait_for("Type the pass your manager gave you", WAIT).await;
    // A slip of the finger, taken back with ⌫; then the pass, letter by letter.
    let wrong = if pass.starts_with('Z') { "Y" } else { "Z" };
    tap(&mut screen, wrong);
    screen.wait_for(&format!("{wrong}▁···-·····"), WAIT).await;
    tap(&mut screen, "⌫");
    screen.wait_for("▁····-·····", WAIT).await;
    for c in pass.chars().filter(|c| *c != '-') {
        tap(&mut screen, &c.to_string());
    }
    screen.wait_for(&pass, WAIT).await;
    tap(&mut screen, "Enter");
    screen.wait_for("PASS-TAPPED-IN", WAIT).await;
    // The session's rows and the status bar are written apart: wait for the bar too.
    screen.wait_for("Alex Rivera", WAIT).await;
    let sign_ins = setup.audit_events("sign_in");
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0]["with"].as_str(), Some("pass"), "{sign_ins:?}");

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

#[tokio::test]
async fn taps_outside_the_targets_do_nothing_and_a_press_highlights_until_it_is_released() {
    let backend = Backend::start();
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &run_as_line(&None));
    let mut screen = setup.spawn();
    narrower(&mut screen).await;
    for digit in ["2", "0", "6"] {
        tap(&mut screen, digit);
    }
    screen.wait_for("206▏", WAIT).await;
    let before = screen.contents();

    // Off every target: the frame's corner, the title, a blank row under the form, the gap
    // between two keys, the margin right of the keypad, the last row.
    let (one, three) = (boxed(screen.parsed(), "1"), boxed(screen.parsed(), "3"));
    let (rows, cols) = screen.parsed().size();
    for cell in [(0, 0), (0, 5), (rows - 4, 6), (one.0, one.1 + 4), (three.0, three.1 + 5), (rows - 1, cols / 2)] {
        tap_at(&mut screen, cell);
    }
    // A press on a key lights it; lifted elsewhere, it is cancelled.
    let seven = boxed(screen.parsed(), "7");
    touch(&mut screen, seven, false);
    wait_lit(&mut screen, seven, true).await;
    touch(&mut screen, (0, 0), true);
    wait_lit(&mut screen, seven, false).await;

    // The kiosk takes input in order: once a 5 and its erasure are on screen, every tap above
    // was taken, and the screen is again what it was.
    tap(&mut screen, "5");
    screen.wait_for("2065▏", WAIT).await;
    tap(&mut screen, "⌫");
    let after = screen.wait_gone("2065▏", WAIT).await;
    assert_eq!(after, before, "taps off the targets changed the screen");
    assert_eq!(backend.sms_count(), 0, "no code was asked for");
    assert!(setup.audit_events("sign_in_start").is_empty());
}

#[tokio::test]
async fn mouse_reporting_is_on_to_sign_in_off_in_a_session_unless_it_asks_and_reset_at_sign_out() {
    let backend = Backend::start();
    let user = session_user("sk-e2e-mouse");
    // A program that asks for the mouse when told to, then shows what it gets (the terminal's
    // echo shows the reports as ^[[<…).
    let command =
        &["/bin/sh", "-c", "echo READY; read line; printf '\\033[?1000h\\033[?1006h'; echo MOUSE-ON; exec cat"];
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, command, &run_as_line(&user));
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert_eq!(mouse(&mut screen), TAPS, "the sign-in screen takes taps");
    let raw = String::from_utf8_lossy(&screen.raw).into_owned();
    assert!(raw.contains("\x1b[?1000h\x1b[?1006h"), "1000 with SGR (1006)");

    sign_in(&mut screen, &backend, "2065550100", "+12065550100", "READY").await;
    assert_eq!(mouse(&mut screen), OFF, "a session whose program didn't ask gets no mouse");

    // The manager screens over the session take taps; closed, the session's choice is back.
    screen.send(b"\x1b[20~");
    screen.wait_for("Store manager sign-in", WAIT).await;
    wait_mouse(&mut screen, TAPS, "the manager screens").await;
    screen.send(b"\x1b");
    screen.wait_gone("Store manager sign-in", WAIT).await;
    wait_mouse(&mut screen, OFF, "the manager screens closed").await;

    // The program asks: the terminal reports, and the program gets the reports.
    screen.type_text("go\r").await;
    screen.wait_for("MOUSE-ON", WAIT).await;
    wait_mouse(&mut screen, TAPS, "the session's program asked").await;
    tap_at(&mut screen, (10, 5));
    screen.wait_for("^[[<0;6;11M^[[<0;6;11m", WAIT).await;

    // Sign-out resets it, and the next sign-in screen takes taps again.
    screen.send(F12);
    screen.wait_for("Signed out", WAIT).await;
    assert_eq!(mouse(&mut screen), OFF, "off after sign-out");
    screen.wait_for("Enter your mobile number", WAIT).await;
    wait_mouse(&mut screen, TAPS, "the next sign-in screen").await;
}
