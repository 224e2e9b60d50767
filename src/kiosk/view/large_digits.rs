//! The number and the code in large block digits, for a terminal with room (`display.large_digits`).
//! Each character is a 3x5 bitmap drawn with the full block `█`, the one block element every
//! Debian console font has (Lat15, Uni2 and Uni3 lack the half blocks `▀ ▄`); an ASCII terminal
//! gets `#` from the glyph folding. Pixels are two columns wide where that fits, else one.

/// One character's place in a large field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cell {
    Char(char),
    /// Where the next digit goes: a solid bar at the foot.
    Caret,
    /// A digit still to come (the code's empty boxes): a thin line at the foot.
    Slot,
}

/// The rows of a large character.
pub(super) const HEIGHT: usize = 5;

/// A character's bitmap, top to bottom: `x` a block, `_` an underscore, `.` blank.
fn bitmap(cell: Cell) -> Option<[&'static str; HEIGHT]> {
    Some(match cell {
        Cell::Caret => ["...", "...", "...", "...", "xxx"],
        Cell::Slot => ["...", "...", "...", "...", "___"],
        Cell::Char(c) => match c {
            '0' => ["xxx", "x.x", "x.x", "x.x", "xxx"],
            '1' => [".x.", "xx.", ".x.", ".x.", "xxx"],
            '2' => ["xxx", "..x", "xxx", "x..", "xxx"],
            '3' => ["xxx", "..x", ".xx", "..x", "xxx"],
            '4' => ["x.x", "x.x", "xxx", "..x", "..x"],
            '5' => ["xxx", "x..", "xxx", "..x", "xxx"],
            '6' => ["xxx", "x..", "xxx", "x.x", "xxx"],
            '7' => ["xxx", "..x", "..x", "..x", "..x"],
            '8' => ["xxx", "x.x", "xxx", "x.x", "xxx"],
            '9' => ["xxx", "x.x", "xxx", "..x", "xxx"],
            '+' => ["...", ".x.", "xxx", ".x.", "..."],
            '-' => ["...", "...", "xxx", "...", "..."],
            // A wrong code's mark, where colour isn't relied on (high contrast).
            '×' => ["...", "x.x", ".x.", "x.x", "..."],
            // A masked digit while the number is sent.
            '•' => ["...", "...", ".x.", "...", "..."],
            '(' => [".x", "x.", "x.", "x.", ".x"],
            ')' => ["x.", ".x", ".x", ".x", "x."],
            ' ' => ["..", "..", "..", "..", ".."],
            _ => return None,
        },
    })
}

/// `cells` as `HEIGHT` rows no wider than `width`, at the largest scale that fits; `None`
/// when even the smallest doesn't, or a character has no large form (the caller then draws
/// the field as text).
pub(super) fn rows(cells: &[Cell], width: u16) -> Option<Vec<String>> {
    let bitmaps: Vec<[&str; HEIGHT]> = cells.iter().map(|cell| bitmap(*cell)).collect::<Option<_>>()?;
    [2, 1].into_iter().find_map(|scale| {
        let columns: usize =
            bitmaps.iter().map(|b| b[0].len() * scale).sum::<usize>() + scale * bitmaps.len().saturating_sub(1);
        (columns <= usize::from(width)).then(|| draw(&bitmaps, scale))
    })
}

fn draw(bitmaps: &[[&str; HEIGHT]], scale: usize) -> Vec<String> {
    let gap = " ".repeat(scale);
    (0..HEIGHT)
        .map(|row| {
            let glyphs: Vec<String> = bitmaps
                .iter()
                .map(|bitmap| {
                    bitmap[row]
                        .chars()
                        .flat_map(|pixel| {
                            let ink = match pixel {
                                'x' => '█',
                                '_' => '_',
                                _ => ' ',
                            };
                            std::iter::repeat_n(ink, scale)
                        })
                        .collect()
                })
                .collect();
            glyphs.join(&gap)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<Cell> {
        text.chars().map(Cell::Char).collect()
    }

    #[test]
    fn digits_are_drawn_twice_as_wide_where_they_fit_and_narrow_where_they_do_not() {
        let wide = rows(&chars("10"), 14).unwrap();
        assert_eq!(wide, ["  ██    ██████", "████    ██  ██", "  ██    ██  ██", "  ██    ██  ██", "██████  ██████"]);
        let narrow = rows(&chars("10"), 13).unwrap();
        assert_eq!(narrow, [" █  ███", "██  █ █", " █  █ █", " █  █ █", "███ ███"]);
        assert_eq!(rows(&chars("10"), 6), None, "too narrow for either");
    }

    #[test]
    fn every_character_of_a_formatted_number_has_a_large_form_and_others_do_not() {
        assert!(rows(&chars("+1 (206) 555-0100"), 200).is_some());
        assert!(rows(&chars("+1 ••• ••• 0100"), 200).is_some());
        assert_eq!(rows(&chars("206x"), 200), None);
    }

    #[test]
    fn the_caret_is_solid_and_a_slot_a_line() {
        let drawn = rows(&[Cell::Char('7'), Cell::Caret, Cell::Slot], 40).unwrap();
        assert_eq!(drawn[4], "    ██  ██████  ______");
        assert!(drawn.iter().all(|row| row.chars().all(|c| " █_".contains(c))), "only blocks: {drawn:?}");
    }
}
