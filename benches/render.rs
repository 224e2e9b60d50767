//! Benchmark 7: the cost of drawing each screen, at 80x24 and 200x60 (target < 200 µs).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shiftkey::kiosk::fixtures;
use shiftkey::kiosk::state::State;
use shiftkey::kiosk::view;

fn screens() -> Vec<(&'static str, State)> {
    vec![
        ("phone", fixtures::phone_typed()),
        ("code", fixtures::code_screen()),
        ("session", fixtures::in_session()),
        ("manager_menu", fixtures::manager_menu()),
        ("locked", fixtures::locked()),
    ]
}

fn render(c: &mut Criterion) {
    for (width, height) in [(80u16, 24u16), (200, 60)] {
        // A session screen full of text, as a busy app would leave it.
        let mut parser = vt100::Parser::new(height - 1, width, 0);
        for line in 0..height {
            parser.process(
                format!("\x1b[3{}mline {line:03} {}\x1b[0m\r\n", line % 8, "x".repeat(width as usize - 12)).as_bytes(),
            );
        }
        for (name, state) in screens() {
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            let session = (name == "session").then(|| parser.screen());
            c.bench_function(&format!("draw {name} {width}x{height}"), |b| {
                b.iter(|| {
                    terminal.draw(|frame| view::draw(frame, &state, session)).unwrap();
                });
            });
        }
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
