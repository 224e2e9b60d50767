//! Benchmark 7: the cost of drawing each screen, at 80x24 and 200x60 (target < 200 µs).
//!
//! Each frame goes the way the kiosk draws it (`kiosk::frame::draw`) into a crossterm backend
//! writing to a sink, so the escape sequences are produced too. The session is measured three
//! ways: nothing changed (a status-bar tick), one cell changed (an echo), every row changed
//! (output scrolling by a line); and an echo drawn the way the kiosk draws it when only the
//! session wrote (its rows alone, no ratatui frame).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use shiftkey::config::{DisplayConfig, KioskConfig, LargeDigits};
use shiftkey::kiosk::fixtures;
use shiftkey::kiosk::frame;
use shiftkey::kiosk::session_paint::SessionPainter;
use shiftkey::kiosk::state::State;

type MemoryTerminal = Terminal<CrosstermBackend<std::io::Sink>>;

fn terminal(width: u16, height: u16) -> MemoryTerminal {
    let viewport = Viewport::Fixed(Rect::new(0, 0, width, height));
    Terminal::with_options(CrosstermBackend::new(std::io::sink()), TerminalOptions { viewport }).unwrap()
}

/// A session screen full of text, as a busy app would leave it, `scrolled` lines on.
fn busy_session(width: u16, height: u16, scrolled: u16) -> vt100::Parser {
    let mut parser = vt100::Parser::new(height - 1, width, 0);
    for line in 0..height + scrolled {
        let text = format!("\x1b[3{}mline {line:03} {}\x1b[0m\r\n", line % 8, "x".repeat(width as usize - 12));
        parser.process(text.as_bytes());
    }
    parser
}

/// How the kiosk draws a frame: whole, or as the session's output alone (an echo when nothing
/// else happened; after a first whole frame).
#[derive(Clone, Copy, PartialEq)]
enum Drawn {
    Whole,
    SessionOutputAlone,
}

/// Draws the frames in turn, as the kiosk would one after the other.
fn bench_frames(
    c: &mut Criterion,
    name: &str,
    terminal: &mut MemoryTerminal,
    state: &State,
    frames: &[&vt100::Screen],
    drawn: Drawn,
) {
    let mut painter = SessionPainter::default();
    let mut next = 0;
    if let (Drawn::SessionOutputAlone, Some(first)) = (drawn, frames.first()) {
        frame::draw(terminal, state, Some((first, &mut painter))).unwrap();
        next = 1;
    }
    c.bench_function(name, |b| {
        b.iter(|| {
            let screen = frames.get(next % frames.len().max(1)).copied();
            match (drawn, screen) {
                (Drawn::SessionOutputAlone, Some(screen)) => {
                    assert!(frame::draw_session_output(terminal, state, screen, &mut painter).unwrap())
                }
                (_, screen) => frame::draw(terminal, state, screen.map(|screen| (screen, &mut painter))).unwrap(),
            }
            next += 1;
        });
    });
}

fn render(c: &mut Criterion) {
    // The same forms with their digits as text: what the large digits (on at 200x60) cost.
    let config = KioskConfig {
        display: DisplayConfig { large_digits: LargeDigits::Off, ..Default::default() },
        ..Default::default()
    };
    let text_digits = fixtures::settings_for(&config, "xterm-256color");
    let screens = [
        ("phone", fixtures::phone_typed()),
        ("code", fixtures::code_screen()),
        ("manager_menu", fixtures::manager_menu()),
        ("locked", fixtures::locked()),
        ("phone, digits as text", fixtures::phone_typed_with(text_digits.clone())),
        ("code, digits as text", fixtures::code_screen_with(text_digits)),
    ];
    for (width, height) in [(80u16, 24u16), (200, 60)] {
        for (name, state) in &screens {
            let name = format!("draw {name} {width}x{height}");
            bench_frames(c, &name, &mut terminal(width, height), state, &[], Drawn::Whole);
        }
        let state = fixtures::in_session();
        let busy = busy_session(width, height, 0);
        let mut echoed = busy_session(width, height, 0);
        echoed.process(b"$ l");
        let scrolled = busy_session(width, height, 1);
        for (case, frames) in [
            ("unchanged", vec![busy.screen()]),
            ("echo", vec![busy.screen(), echoed.screen()]),
            ("every row changed", vec![busy.screen(), scrolled.screen()]),
        ] {
            let name = format!("draw session {width}x{height} ({case})");
            bench_frames(c, &name, &mut terminal(width, height), &state, &frames, Drawn::Whole);
        }
        let name = format!("draw session {width}x{height} (output, only the session's rows: whole-screen diff)");
        let frames = [busy.screen(), echoed.screen()];
        bench_frames(c, &name, &mut terminal(width, height), &state, &frames, Drawn::SessionOutputAlone);
        bench_echo(c, &format!("draw session {width}x{height} (echo as the kiosk draws it)"), width, height);
    }
}

/// A key's echo as the kiosk handles it: the output fed to the session's screen through the
/// painter (which notes the cells it changed), then drawn. Only that is timed: at the end of
/// the line the cursor goes back to its start, untimed.
fn bench_echo(c: &mut Criterion, name: &str, width: u16, height: u16) {
    let state = fixtures::in_session();
    let mut terminal = terminal(width, height);
    let mut session = busy_session(width, height, 0);
    session.process(b"\x1b[10;1H");
    let mut painter = SessionPainter::default();
    frame::draw(&mut terminal, &state, Some((session.screen(), &mut painter))).unwrap();
    c.bench_function(name, |b| {
        b.iter_custom(|iterations| {
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..iterations {
                if session.screen().cursor_position().1 + 2 >= width {
                    painter.take_output(&mut session, b"\r");
                    assert!(frame::draw_session_output(&mut terminal, &state, session.screen(), &mut painter).unwrap());
                }
                let started = std::time::Instant::now();
                painter.take_output(&mut session, b"e");
                assert!(frame::draw_session_output(&mut terminal, &state, session.screen(), &mut painter).unwrap());
                spent += started.elapsed();
            }
            spent
        });
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
