//! A temporary access pass in large block letters, for the manager to read out or show: every
//! character a pass can have (`api_types::PASS_ALPHABET`) and the dash between its groups, each a
//! 5x7 bitmap of full blocks `█` (the one block element every console font has). 5x7, not the
//! digits' 3x5: at 3x5, S and 5, B and 8, G and 6 come out the same.

/// The rows of a large letter.
pub(super) const HEIGHT: usize = 7;
const WIDTH: usize = 5;

/// A character's bitmap, top to bottom: `x` a block, `.` blank.
fn bitmap(c: char) -> Option<[&'static str; HEIGHT]> {
    Some(match c {
        '2' => [".xxx.", "x...x", "....x", "...x.", "..x..", ".x...", "xxxxx"],
        '3' => ["xxxxx", "...x.", "..x..", "...x.", "....x", "x...x", ".xxx."],
        '4' => ["...x.", "..xx.", ".x.x.", "x..x.", "xxxxx", "...x.", "...x."],
        '5' => ["xxxxx", "x....", "xxxx.", "....x", "....x", "x...x", ".xxx."],
        '6' => ["..xx.", ".x...", "x....", "xxxx.", "x...x", "x...x", ".xxx."],
        '7' => ["xxxxx", "....x", "...x.", "..x..", ".x...", ".x...", ".x..."],
        '8' => [".xxx.", "x...x", "x...x", ".xxx.", "x...x", "x...x", ".xxx."],
        '9' => [".xxx.", "x...x", "x...x", ".xxxx", "....x", "...x.", ".xx.."],
        'A' => [".xxx.", "x...x", "x...x", "xxxxx", "x...x", "x...x", "x...x"],
        'B' => ["xxxx.", "x...x", "x...x", "xxxx.", "x...x", "x...x", "xxxx."],
        'C' => [".xxx.", "x...x", "x....", "x....", "x....", "x...x", ".xxx."],
        'D' => ["xxx..", "x..x.", "x...x", "x...x", "x...x", "x..x.", "xxx.."],
        'E' => ["xxxxx", "x....", "x....", "xxxx.", "x....", "x....", "xxxxx"],
        'F' => ["xxxxx", "x....", "x....", "xxxx.", "x....", "x....", "x...."],
        'G' => [".xxx.", "x...x", "x....", "x.xxx", "x...x", "x...x", ".xxxx"],
        'H' => ["x...x", "x...x", "x...x", "xxxxx", "x...x", "x...x", "x...x"],
        'J' => ["..xxx", "...x.", "...x.", "...x.", "...x.", "x..x.", ".xx.."],
        'K' => ["x...x", "x..x.", "x.x..", "xx...", "x.x..", "x..x.", "x...x"],
        'M' => ["x...x", "xx.xx", "x.x.x", "x.x.x", "x...x", "x...x", "x...x"],
        'N' => ["x...x", "x...x", "xx..x", "x.x.x", "x..xx", "x...x", "x...x"],
        'P' => ["xxxx.", "x...x", "x...x", "xxxx.", "x....", "x....", "x...."],
        'Q' => [".xxx.", "x...x", "x...x", "x...x", "x.x.x", "x..x.", ".xx.x"],
        'R' => ["xxxx.", "x...x", "x...x", "xxxx.", "x.x..", "x..x.", "x...x"],
        'S' => [".xxxx", "x....", "x....", ".xxx.", "....x", "....x", "xxxx."],
        'T' => ["xxxxx", "..x..", "..x..", "..x..", "..x..", "..x..", "..x.."],
        'U' => ["x...x", "x...x", "x...x", "x...x", "x...x", "x...x", ".xxx."],
        'V' => ["x...x", "x...x", "x...x", "x...x", "x...x", ".x.x.", "..x.."],
        'W' => ["x...x", "x...x", "x...x", "x.x.x", "x.x.x", "x.x.x", ".x.x."],
        'X' => ["x...x", "x...x", ".x.x.", "..x..", ".x.x.", "x...x", "x...x"],
        'Y' => ["x...x", "x...x", ".x.x.", "..x..", "..x..", "..x..", "..x.."],
        'Z' => ["xxxxx", "....x", "...x.", "..x..", ".x...", "x....", "xxxxx"],
        '-' => [".....", ".....", ".....", ".xxx.", ".....", ".....", "....."],
        _ => return None,
    })
}

/// `text` as `HEIGHT` rows of blocks, a blank column between letters; `None` when it is wider
/// than `width` or has a character without a large form (the caller then shows it as text).
pub(super) fn rows(text: &str, width: u16) -> Option<Vec<String>> {
    let bitmaps: Vec<[&str; HEIGHT]> = text.chars().map(bitmap).collect::<Option<_>>()?;
    let columns = bitmaps.len() * (WIDTH + 1) - 1;
    if bitmaps.is_empty() || columns > usize::from(width) {
        return None;
    }
    Some(
        (0..HEIGHT)
            .map(|row| {
                let glyphs: Vec<String> = bitmaps
                    .iter()
                    .map(|b| b[row].chars().map(|p| if p == 'x' { '█' } else { ' ' }).collect())
                    .collect();
                glyphs.join(" ")
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_types::PASS_ALPHABET;

    #[test]
    fn every_character_of_a_pass_has_a_large_form_and_no_two_are_alike() {
        let mut seen = std::collections::HashMap::new();
        for c in PASS_ALPHABET.iter().map(|b| char::from(*b)).chain(['-']) {
            let glyph = bitmap(c).unwrap_or_else(|| panic!("{c:?} has no large form"));
            assert!(glyph.iter().all(|row| row.len() == WIDTH), "{c:?}");
            if let Some(other) = seen.insert(glyph, c) {
                panic!("{c:?} looks like {other:?}");
            }
        }
        assert!(bitmap('O').is_none() && bitmap('1').is_none(), "not in a pass");
    }

    #[test]
    fn a_pass_is_drawn_where_it_fits_and_not_where_it_does_not() {
        let pass = "7KQ4M-XRT2P";
        let rows = rows(pass, 66).expect("11 letters of 5, 10 gaps: 65 columns");
        assert_eq!(rows.len(), HEIGHT);
        assert!(rows.iter().all(|row| row.chars().count() == 65), "{rows:?}");
        // The top rows' blocks: 7 K Q 4 M - X R T 2 P.
        assert_eq!(
            rows[0].chars().filter(|c| *c == '█').count(),
            [5, 2, 3, 1, 2, 0, 2, 4, 5, 3, 4].iter().sum::<usize>()
        );
        assert!(super::rows(pass, 64).is_none());
        assert!(super::rows("7kq", 80).is_none(), "lower case has no large form");
    }
}
