//! Lines drawn one under another, each wrapped to the area's width (keeping its indent:
//! `wrap`): where each one lands. The
//! lists (the manager's menu, the language list) draw their rows here and their tap targets
//! are these places, so a row is tapped where it is drawn. A row may take blank rows under it
//! (a taller target for a finger, where the screen has room).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::wrap::wrap;

/// Each line's place in `area`, in order: as many rows as it wraps to and the blank rows it
/// takes under it (`gap`), cut off at the bottom as a paragraph of them
/// all would be.
pub(super) fn stack<'a>(area: Rect, lines: impl IntoIterator<Item = (&'a Line<'a>, u16)>) -> Vec<Rect> {
    let mut y = area.y;
    lines
        .into_iter()
        .map(|(line, gap)| {
            let rows = match line.width() {
                // A line that fits is one row: the wrapping is counted only where it wraps.
                fits if fits <= usize::from(area.width) && area.width > 0 => 1,
                _ => wrap(vec![line.clone()], area.width).len(),
            } + usize::from(gap);
            let top = y.min(area.bottom());
            let height = u16::try_from(rows).unwrap_or(u16::MAX).min(area.bottom() - top);
            y = top + height;
            Rect { x: area.x, y: top, width: area.width, height }
        })
        .collect()
}

/// Draws each line at its place (`stack`'s).
pub(super) fn draw<'a>(frame: &mut Frame, lines: impl IntoIterator<Item = (Line<'a>, Rect)>) {
    for (line, area) in lines {
        frame.render_widget(Paragraph::new(wrap(vec![line], area.width)), area);
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    /// Stacked lines look exactly as one paragraph of them does.
    #[test]
    fn stacked_lines_are_drawn_as_one_paragraph_draws_them() {
        let lines: Vec<Line> =
            ["Signed in: Jordan Lee", "", "▶ 1. End the current session (no session)", "  2. Lock", "x"]
                .into_iter()
                .map(Line::from)
                .collect();
        let area = Rect::new(2, 1, 20, 6);
        let rects = stack(area, lines.iter().map(|line| (line, 0)));
        assert_eq!(rects.iter().map(|r| r.height).collect::<Vec<_>>(), [2, 1, 2, 1, 0], "wrapped, then cut off");
        let spaced = stack(area, lines.iter().map(|line| (line, 1)));
        assert_eq!(
            spaced.iter().map(|r| (r.y, r.height)).collect::<Vec<_>>(),
            [(1, 3), (4, 2), (6, 1), (7, 0), (7, 0)]
        );
        let mut stacked = Terminal::new(TestBackend::new(24, 8)).unwrap();
        stacked.draw(|frame| draw(frame, lines.iter().cloned().zip(rects))).unwrap();
        let mut whole = Terminal::new(TestBackend::new(24, 8)).unwrap();
        whole.draw(|frame| frame.render_widget(Paragraph::new(wrap(lines.clone(), area.width)), area)).unwrap();
        assert_eq!(stacked.backend().buffer(), whole.backend().buffer());
    }
}
