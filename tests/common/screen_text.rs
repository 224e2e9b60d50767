//! The kiosk's screens drawn in memory (ratatui's `TestBackend`) and read back as text: the
//! messages a frame formatted, the text of each box, and where a message's rows are.

use std::collections::HashMap;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use shiftkey::kiosk::state::{Screen, State};
use shiftkey::kiosk::view;
use shiftkey::locale::capture;

/// Draws `state` at `width`x`height` (a session's rows blank) and returns the terminal and the
/// messages the view formatted.
pub fn draw_capturing(state: &State, width: u16, height: u16) -> Drawn {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let session = vt100::Parser::new(height.saturating_sub(1), width, 0);
    let screen = state.in_session().then(|| session.screen());
    let ((), messages) = capture(|| {
        terminal.draw(|frame| view::draw(frame, state, screen)).unwrap();
    });
    (terminal, messages)
}

/// `state` drawn without what lies over its screen (the manager screens, the language list),
/// then as it is; each with the messages formatted for it. Without any, drawn once.
pub fn draw_under_and_over(state: &mut State, width: u16, height: u16) -> Vec<Drawn> {
    let manager = state.manager.take();
    let list = match &mut state.screen {
        Screen::Phone(form) => form.language_menu.take(),
        _ => None,
    };
    let has_overlay = manager.is_some() || list.is_some();
    let under = has_overlay.then(|| draw_capturing(state, width, height));
    state.manager = manager;
    if let Screen::Phone(form) = &mut state.screen {
        form.language_menu = list;
    }
    under.into_iter().chain([draw_capturing(state, width, height)]).collect()
}

/// A frame drawn in memory, and the messages the view formatted for it.
pub type Drawn = (Terminal<TestBackend>, Vec<String>);

/// The screen's rows as (column, symbol) cells: a wide character once, not followed by the
/// blank it hides.
pub fn rows(buffer: &Buffer) -> Vec<Vec<(u16, &str)>> {
    (0..buffer.area.height)
        .map(|y| {
            let mut cells = Vec::new();
            let mut hidden = 0;
            for x in 0..buffer.area.width {
                let symbol = buffer[(x, y)].symbol();
                if hidden == 0 {
                    cells.push((x, symbol));
                }
                let width = if symbol.is_ascii() { 1 } else { columns(symbol) };
                hidden = (hidden.max(width)).saturating_sub(1);
            }
            cells
        })
        .collect()
}

/// Columns `text` takes (a CJK character two).
pub fn columns(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
}

/// A box-drawing character: a frame's side, not text.
pub fn is_frame(symbol: &str) -> bool {
    symbol.chars().all(|c| ('\u{2500}'..='\u{257f}').contains(&c)) && !symbol.is_empty()
}

fn is_wide(c: char) -> bool {
    columns(&c.to_string()) > 1
}

fn is_blank(symbol: &str) -> bool {
    symbol.trim().is_empty()
}

/// `text` with every run of whitespace one space.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of each box on screen, read down: runs of cells between frame characters, put
/// together by the column they start at. Where a box's line wraps, its rows join with a
/// space, or with nothing between two wide characters (Chinese wraps anywhere).
pub fn boxes(buffer: &Buffer) -> Vec<String> {
    let mut by_column: std::collections::BTreeMap<u16, String> = Default::default();
    for row in rows(buffer) {
        let mut run: Option<(u16, String)> = None;
        for (x, symbol) in row.into_iter().chain([(u16::MAX, "─")]) {
            if is_frame(symbol) {
                if let Some((start, text)) = run.take() {
                    let column = by_column.entry(start).or_default();
                    let text = text.trim_end();
                    let joins_wide = column.trim_end().chars().last().is_some_and(is_wide)
                        && text.trim_start().chars().next().is_some_and(is_wide);
                    if joins_wide {
                        column.truncate(column.trim_end().len());
                        column.push_str(text.trim_start());
                    } else {
                        column.push(' ');
                        column.push_str(text);
                    }
                }
            } else {
                run.get_or_insert((x, String::new())).1.push_str(symbol);
            }
        }
    }
    by_column.into_values().map(|text| squeeze(&text)).collect()
}

/// One row of a text on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedRow {
    pub y: u16,
    /// The column of the text's first cell on this row.
    pub start: u16,
    /// Blank columns between the row's content and its box's sides (or the screen's edges).
    pub left_gap: u16,
    pub right_gap: u16,
}

/// Where a text is drawn: the rows it takes, from its first, as a paragraph wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub rows: Vec<PlacedRow>,
}

impl Placement {
    /// Every further row starts in the column the first row's text starts in.
    pub fn aligned(&self) -> bool {
        self.rows.iter().all(|row| row.start == self.rows[0].start)
    }

    /// Every row is centred in its box.
    pub fn centred(&self) -> bool {
        self.rows.iter().all(|row| row.left_gap.abs_diff(row.right_gap) <= 1)
    }
}

/// A screen read for where texts are: each row's cells that aren't blank, and where each
/// character starts one.
pub struct Grid<'a> {
    /// Each row's drawn cells: (column, symbol, columns it takes); a blank is a gap.
    rows: Vec<Vec<Cell<'a>>>,
    width: u16,
    /// (row, cell index) of each cell, by the first character of its symbol.
    starts: HashMap<char, Vec<(usize, usize)>>,
}

#[derive(Clone, Copy)]
struct Cell<'a> {
    x: u16,
    symbol: &'a str,
    width: u16,
}

impl Cell<'_> {
    fn end(self) -> u16 {
        self.x + self.width
    }
}

impl<'a> Grid<'a> {
    pub fn of(buffer: &'a Buffer) -> Self {
        let width = buffer.area.width.max(1);
        let mut starts: HashMap<char, Vec<(usize, usize)>> = HashMap::new();
        let mut rows = Vec::with_capacity(usize::from(buffer.area.height));
        for (y, row) in buffer.content.chunks(usize::from(width)).enumerate() {
            let mut cells = Vec::new();
            let mut hidden: u16 = 0;
            for (x, cell) in (0..).zip(row) {
                let symbol = cell.symbol();
                if hidden > 0 || symbol == " " || symbol.trim().is_empty() {
                    hidden = hidden.saturating_sub(1);
                    continue;
                }
                let columns = if symbol.is_ascii() { 1 } else { columns(symbol) as u16 };
                hidden = columns.saturating_sub(1);
                if let Some(first) = symbol.chars().next() {
                    starts.entry(first).or_default().push((y, cells.len()));
                }
                cells.push(Cell { x, symbol, width: columns.max(1) });
            }
            rows.push(cells);
        }
        Grid { rows, width, starts }
    }

    /// Every place `text` is drawn, each as the rows it takes: its words in order, a space
    /// between them being one blank or more, or the end of a row (nothing more up to its box's
    /// side) and the first text of the next row in the same box. A word may break at the end
    /// of a row too (a word wider than the row, or Chinese).
    pub fn placements(&self, text: &str) -> Vec<Placement> {
        let want: Vec<char> = squeeze(text).chars().collect();
        let Some(first) = want.first() else { return Vec::new() };
        let starts = self.starts.get(first).map(Vec::as_slice).unwrap_or_default();
        starts.iter().filter_map(|&(y, index)| self.place_from(y, index, &want)).collect()
    }

    /// `want` drawn from cell `index` of row `y` on, if it is.
    fn place_from(&self, y: usize, index: usize, want: &[char]) -> Option<Placement> {
        let (mut y, mut index, mut at) = (y, index, 0);
        // Where each row of it starts: (row, cell index).
        let mut starts = vec![(y, index)];
        loop {
            let cell = self.rows[y][index];
            if is_frame(cell.symbol) {
                return None;
            }
            let mut chars = cell.symbol.chars();
            let taken = want[at..].iter().zip(chars.by_ref()).take_while(|(want, have)| *want == have).count();
            if taken != cell.symbol.chars().count() {
                return None;
            }
            at += taken;
            if at == want.len() {
                break;
            }
            let next = self.rows[y].get(index + 1).copied();
            let space = want[at] == ' ';
            match next {
                // The row ends here: the next row goes on with the text, after a space or in
                // a word broken here.
                None => {}
                Some(next) if is_frame(next.symbol) && is_side(next.symbol) => {}
                Some(next) if !is_frame(next.symbol) && (next.x > cell.end()) == space => {
                    (at, index) = (at + usize::from(space), index + 1);
                    continue;
                }
                Some(_) => return None,
            }
            at += usize::from(space);
            (y, index) = self.next_row(y, starts[0])?;
            starts.push((y, index));
        }
        Some(Placement { rows: starts.into_iter().map(|(y, index)| self.placed_row(y, index)).collect() })
    }

    /// Row `y`'s next row's first text cell, if that row is in the same box as the text's
    /// first row, which starts at cell `first`.
    fn next_row(&self, y: usize, first: (usize, usize)) -> Option<(usize, usize)> {
        let x = self.rows[first.0][first.1].x;
        let row = self.rows.get(y + 1)?;
        let left = left_side(row, x);
        if left != left_side(&self.rows[first.0], x) {
            return None;
        }
        let index = row.iter().position(|cell| left.is_none_or(|left| cell.x > left))?;
        (!is_frame(row[index].symbol)).then_some((y + 1, index))
    }

    fn placed_row(&self, y: usize, index: usize) -> PlacedRow {
        let row = &self.rows[y];
        let start = row[index].x;
        let left = row[..index].iter().rposition(|cell| is_frame(cell.symbol));
        let right = row[index..].iter().position(|cell| is_frame(cell.symbol)).map(|offset| index + offset);
        let box_left = left.map_or(0, |left| row[left].end());
        let box_right = right.map_or(self.width, |right| row[right].x);
        let first = row[left.map_or(0, |left| left + 1)];
        let last = row[right.unwrap_or(row.len()) - 1];
        PlacedRow { y: y as u16, start, left_gap: first.x - box_left, right_gap: box_right - last.end() }
    }
}

/// A box's left or right side (not a border: a title in a border is no paragraph).
fn is_side(symbol: &str) -> bool {
    matches!(symbol, "│" | "║" | "┃" | "╎" | "┆" | "┊")
}

/// The column of the side of the box column `x` of `row` is in, if it is in one.
fn left_side(row: &[Cell], x: u16) -> Option<u16> {
    row.iter().filter(|cell| cell.x < x && is_frame(cell.symbol)).map(|cell| cell.x).max()
}
