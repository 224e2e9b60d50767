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

/// Draws the frames in turn, as the kiosk would one after the other.
fn bench_frames(
    c: &mut Criterion,
    name: &str,
    terminal: &mut MemoryTerminal,
    state: &State,
    frames: &[&vt100::Screen],
) {
    let mut painter = SessionPainter::default();
    let mut next = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let session = frames.get(next % frames.len().max(1)).map(|screen| (*screen, &mut painter));
            frame::draw(terminal, state, session).unwrap();
            next += 1;
        });
    });
}

/// As `bench_frames`, for frames drawn because the session wrote, and nothing else happened:
/// the way the kiosk draws an echo.
fn bench_session_output(
    c: &mut Criterion,
    name: &str,
    terminal: &mut MemoryTerminal,
    state: &State,
    frames: &[&vt100::Screen],
) {
    let mut painter = SessionPainter::default();
    frame::draw(terminal, state, Some((frames[0], &mut painter))).unwrap();
    let mut next = 1;
    c.bench_function(name, |b| {
        b.iter(|| {
            let screen = frames[next % frames.len()];
            assert!(frame::draw_session_output(terminal, state, screen, &mut painter).unwrap());
            next += 1;
        });
    });
}

fn render(c: &mut Criterion) {
    let screens = [
        ("phone", fixtures::phone_typed()),
        ("code", fixtures::code_screen()),
        ("manager_menu", fixtures::manager_menu()),
        ("locked", fixtures::locked()),
    ];
    for (width, height) in [(80u16, 24u16), (200, 60)] {
        for (name, state) in &screens {
            bench_frames(c, &format!("draw {name} {width}x{height}"), &mut terminal(width, height), state, &[]);
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
            bench_frames(c, &name, &mut terminal(width, height), &state, &frames);
        }
        let name = format!("draw session {width}x{height} (echo, only the session's rows)");
        bench_session_output(c, &name, &mut terminal(width, height), &state, &[busy.screen(), echoed.screen()]);
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
