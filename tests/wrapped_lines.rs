//! Every wrapped line keeps its indent: at every size the kiosk supports (40x12 up to 300x100),
//! on every screen, in every language, a message drawn over several rows has each further row
//! start in the column its first row's text starts in (in a centred box: each row centred).

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Alignment;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use shiftkey::kiosk::fixtures::{self, screens::every_screen};
use shiftkey::kiosk::view::{MIN_HEIGHT, MIN_WIDTH};
use shiftkey::locale::Language;

use common::screen_text::{Drawn, Grid, Placement, draw_under_and_over, squeeze};

const MAX_WIDTH: u16 = 300;
const MAX_HEIGHT: u16 = 100;

/// Every second width from the least to the most, each at a compact height (the forms drop
/// their blank lines below 18 rows) and a roomy one, the heights taken in turn.
fn sizes() -> Vec<(u16, u16)> {
    let compact = [MIN_HEIGHT, 13, 15, 17];
    let roomy = [18, 24, 30, 45, 60, MAX_HEIGHT];
    (MIN_WIDTH..=MAX_WIDTH)
        .step_by(2)
        .enumerate()
        .flat_map(|(turn, width)| [(width, compact[turn % compact.len()]), (width, roomy[turn % roomy.len()])])
        .chain([(MAX_WIDTH, MAX_HEIGHT)])
        .collect()
}

/// The messages `drawn` formatted, less those that are part of another (a region's name in
/// the hint that names it): those are checked as part of the whole.
fn whole_messages(drawn: &Drawn) -> Vec<String> {
    let messages: Vec<String> = drawn.1.iter().map(|message| squeeze(message)).collect();
    let mut whole: Vec<String> = messages
        .iter()
        .filter(|message| {
            !message.is_empty() && !messages.iter().any(|other| other != *message && other.contains(*message))
        })
        .cloned()
        .collect();
    whole.sort();
    whole.dedup();
    whole
}

/// The messages of `drawn` drawn over several rows: (message, its placement).
fn wrapped(drawn: &Drawn) -> Vec<(String, Placement)> {
    let grid = Grid::of(drawn.0.backend().buffer());
    whole_messages(drawn)
        .into_iter()
        .flat_map(|message| {
            grid.placements(&message)
                .into_iter()
                .filter(|placement| placement.rows.len() > 1)
                .map(move |placement| (message.clone(), placement))
        })
        .collect()
}

fn out_of_line(placement: &Placement) -> bool {
    !placement.aligned() && !placement.centred()
}

/// How many wrapped messages were seen in `language`, and each one out of line.
fn check_language(language: Language) -> (usize, Vec<String>) {
    let (mut seen, mut problems) = (0, Vec::new());
    for (name, mut state) in every_screen(&fixtures::settings_in(language)) {
        for (width, height) in sizes() {
            for drawn in draw_under_and_over(&mut state, width, height) {
                for (message, placement) in wrapped(&drawn) {
                    seen += 1;
                    if out_of_line(&placement) {
                        let starts: Vec<u16> = placement.rows.iter().map(|row| row.start).collect();
                        problems.push(format!(
                            "{} {name} {width}x{height}: {message:?} rows start at columns {starts:?}\n{}",
                            language.tag(),
                            drawn.0.backend()
                        ));
                    }
                }
            }
        }
    }
    (seen, problems)
}

#[test]
fn every_wrapped_line_keeps_its_indent_at_every_size_on_every_screen_in_every_language() {
    // A language a thread: the two cores share the 8 x 30 screens x 263 sizes.
    let results: Vec<(Language, (usize, Vec<String>))> = std::thread::scope(|scope| {
        let threads: Vec<_> = Language::ALL
            .into_iter()
            .map(|language| (language, scope.spawn(move || check_language(language))))
            .collect();
        threads.into_iter().map(|(language, thread)| (language, thread.join().unwrap())).collect()
    });
    let mut problems = Vec::new();
    for (language, (seen, found)) in results {
        // Not a check of nothing: every language wraps something at the narrow sizes.
        eprintln!("{}: {seen} wrapped messages seen", language.tag());
        assert!(seen > 100, "{}: only {seen} wrapped messages seen", language.tag());
        problems.extend(found);
    }
    let shown: Vec<&String> = problems.iter().take(3).collect();
    assert!(problems.is_empty(), "{} wrapped lines out of line, the first:\n{shown:#?}", problems.len());
}

/// A paragraph drawn by ratatui's own wrapping in a box `width` wide.
fn ratatui_wraps(text: &str, width: u16, alignment: Alignment) -> Drawn {
    let mut terminal = Terminal::new(TestBackend::new(width, 6)).unwrap();
    terminal
        .draw(|frame| {
            let paragraph = Paragraph::new(Line::from(text))
                .alignment(alignment)
                .wrap(Wrap { trim: false })
                .block(Block::default().borders(Borders::ALL));
            frame.render_widget(paragraph, frame.area());
        })
        .unwrap();
    (terminal, vec![text.trim().to_string()])
}

#[test]
fn the_check_sees_a_continuation_out_of_line_and_passes_aligned_and_centred_ones() {
    // The bug the check is for: ratatui starts the hint's second row at the box's edge.
    let hint = "    numbers without +country are read as United States";
    let found = wrapped(&ratatui_wraps(hint, 36, Alignment::Left));
    assert_eq!(found.len(), 1, "{found:?}");
    let rows: Vec<u16> = found[0].1.rows.iter().map(|row| row.start).collect();
    assert_eq!(rows, [5, 1], "the first row's text after the indent, the second at the edge");
    assert!(out_of_line(&found[0].1));
    // No indent: every row at the edge.
    let found = wrapped(&ratatui_wraps(hint.trim(), 36, Alignment::Left));
    assert!(found[0].1.aligned() && !out_of_line(&found[0].1), "{found:?}");
    // Centred rows are in line.
    let found =
        wrapped(&ratatui_wraps("Drücken Sie eine beliebige Taste, um angemeldet zu bleiben", 30, Alignment::Center));
    assert!(!found[0].1.aligned() && found[0].1.centred(), "{found:?}");
    // Chinese, broken where the row ends, is found across its rows.
    let found = wrapped(&ratatui_wraps("请输入您的手机号码以登录此终端", 12, Alignment::Left));
    assert_eq!(found[0].1.rows.len(), 3, "{found:?}");
}

#[test]
fn the_sizes_reach_from_the_least_to_the_most() {
    let sizes = sizes();
    assert!(sizes.contains(&(MIN_WIDTH, MIN_HEIGHT)) && sizes.contains(&(MAX_WIDTH, MAX_HEIGHT)));
    assert!(sizes.iter().all(
        |&(width, height)| (MIN_WIDTH..=MAX_WIDTH).contains(&width) && (MIN_HEIGHT..=MAX_HEIGHT).contains(&height)
    ));
}
