//! Lines wrapped to a width, each keeping its indent: where a line is too long for its area,
//! its further rows start under its text, not under its lead (the blanks, marker or number
//! before the text). ratatui's own wrapping starts them at the area's left edge.
//!
//! Words break at spaces, as ratatui's do; a word wider than a row (Chinese, which has no
//! spaces) is cut where the row ends.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use textwrap::WordSeparator;
use textwrap::core::{Word, break_words};
use textwrap::wrap_algorithms::wrap_first_fit;

/// `lines` as rows of at most `width` columns, for a `Paragraph` without wrapping of its own.
pub(super) fn wrap<'a>(lines: Vec<Line<'a>>, width: u16) -> Vec<Line<'a>> {
    lines.into_iter().flat_map(|line| wrap_line(line, usize::from(width))).collect()
}

/// Where a line's text starts: after its first span when that ends in a blank and more follow
/// (" ▸ " before the number, "▶ 1. " before a menu item), else after its leading blanks.
fn lead_bytes(line: &Line) -> usize {
    match line.spans.as_slice() {
        [first, _, ..] if first.content.ends_with(' ') => first.content.len(),
        _ => {
            let text: String = line.spans.iter().map(|span| span.content.as_ref()).collect();
            text.len() - text.trim_start_matches(' ').len()
        }
    }
}

fn wrap_line(line: Line<'_>, width: usize) -> Vec<Line<'_>> {
    if line.width() <= width {
        return vec![line];
    }
    let lead_end = lead_bytes(&line);
    let (style, alignment) = (line.style, line.alignment);
    let styled = StyledText::from(line.spans);
    let hang = textwrap::core::display_width(&styled.text[..lead_end]);
    // A lead that leaves the text no room is no lead.
    let (lead_end, hang) = if hang < width / 2 { (lead_end, hang) } else { (0, 0) };
    let words = break_words(WordSeparator::AsciiSpace.find_words(&styled.text[lead_end..]), width - hang);
    let mut rows = vec![Line { spans: styled.spans(0..lead_end), style, alignment }];
    let mut start = lead_end;
    for (index, row) in wrap_first_fit(&words, &[(width - hang) as f64]).into_iter().enumerate() {
        let taken: usize = row.iter().map(|word| word.word.len() + word.whitespace.len()).sum();
        let trailing = row.last().map_or(0, |word: &Word| word.whitespace.len());
        if index > 0 {
            rows.push(Line { spans: vec![Span::raw(" ".repeat(hang))], style, alignment });
        }
        if let Some(row_line) = rows.last_mut() {
            row_line.spans.extend(styled.spans(start..start + taken - trailing));
        }
        start += taken;
    }
    rows
}

/// A line's text in one piece, and the style of each of its spans' bytes.
struct StyledText {
    text: String,
    /// Where each span ends in `text`, and its style.
    ends: Vec<(usize, Style)>,
}

impl From<Vec<Span<'_>>> for StyledText {
    fn from(spans: Vec<Span<'_>>) -> Self {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(spans.len());
        for span in spans {
            text.push_str(&span.content);
            ends.push((text.len(), span.style));
        }
        StyledText { text, ends }
    }
}

impl StyledText {
    /// The bytes `range` of the text, as spans in their own styles.
    fn spans(&self, range: std::ops::Range<usize>) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        let mut span_start = 0;
        for &(span_end, style) in &self.ends {
            let (from, to) = (range.start.max(span_start), range.end.min(span_end));
            if from < to {
                spans.push(Span::styled(self.text[from..to].to_string(), style));
            }
            span_start = span_end;
        }
        spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Stylize;

    fn texts(rows: &[Line]) -> Vec<String> {
        rows.iter().map(|row| row.spans.iter().map(|span| span.content.as_ref()).collect()).collect()
    }

    #[test]
    fn a_line_that_fits_is_left_alone() {
        let line = Line::from(vec![" ▸ ".into(), "206".bold()]);
        assert_eq!(wrap(vec![line.clone()], 6), [line]);
    }

    #[test]
    fn an_indented_line_wraps_under_its_text() {
        let line = Line::from("    numbers without +country are read as United States").dim();
        let rows = wrap(vec![line], 30);
        assert_eq!(texts(&rows), ["    numbers without +country", "    are read as United States"]);
        assert!(rows.iter().all(|row| row.style == Style::new().dim()), "the line's style stays");
    }

    #[test]
    fn a_marked_line_wraps_under_the_text_after_its_marker_in_each_span_s_style() {
        let line = Line::from(vec![" ▸ ".into(), "one two three".bold(), " four".red()]);
        let rows = wrap(vec![line], 12);
        assert_eq!(texts(&rows), [" ▸ one two", "   three", "   four"]);
        assert_eq!(rows[1].spans[1], "three".bold());
        assert_eq!(rows[2].spans[1], "four".red(), "the blank the row broke at is gone");
    }

    #[test]
    fn a_word_wider_than_the_row_is_cut_and_chinese_breaks_where_the_row_ends() {
        assert_eq!(texts(&wrap(vec![Line::from("  abcdefghij")], 6)), ["  abcd", "  efgh", "  ij"]);
        assert_eq!(texts(&wrap(vec![Line::from("请输入您的手机号码")], 8)), ["请输入您", "的手机号", "码"]);
    }

    #[test]
    fn a_lead_as_wide_as_half_the_row_is_no_lead() {
        let rows = wrap(vec![Line::from("          ten blanks then words")], 16);
        assert_eq!(texts(&rows), ["          ten", "blanks then", "words"]);
    }
}
