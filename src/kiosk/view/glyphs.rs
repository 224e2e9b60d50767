//! The characters a terminal can show. The views draw with Unicode; before a frame goes out,
//! what the terminal's glyph set lacks is folded to what it has: the Linux console's fonts
//! (Lat15, Uni2, Uni3) lack four of the kiosk's characters, and an ASCII terminal lacks the
//! box drawing too. One place, so no view has to think about it. `tests/console_glyphs.rs`
//! holds every screen on `TERM=linux` to the fonts themselves.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::config::GlyphSet;
use crate::locale::Script;

/// The glyph set in use, `auto` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyphs {
    Unicode,
    Console,
    Ascii,
}

impl Glyphs {
    /// `auto` by the terminal type: the Linux console gets its fonts' characters; a dumb,
    /// VT100 or unknown terminal gets ASCII; anything else Unicode.
    pub fn resolve(set: GlyphSet, term: Option<&str>) -> Glyphs {
        match set {
            GlyphSet::Unicode => Glyphs::Unicode,
            GlyphSet::Console => Glyphs::Console,
            GlyphSet::Ascii => Glyphs::Ascii,
            GlyphSet::Auto => match term.map(str::trim) {
                Some("linux") => Glyphs::Console,
                None | Some("" | "dumb" | "vt100" | "vt102" | "vt220" | "ansi") => Glyphs::Ascii,
                Some(_) => Glyphs::Unicode,
            },
        }
    }

    /// Whether text that needs `script` can be shown with this set (the console: Latin letters
    /// its fonts have; an ASCII terminal: English alone).
    pub fn shows(self, script: Script) -> bool {
        match self {
            Glyphs::Unicode => true,
            Glyphs::Console => script <= Script::ConsoleLatin,
            Glyphs::Ascii => script == Script::Ascii,
        }
    }

    /// What this set draws instead of `symbol`, if it can't draw it.
    pub fn replacement(self, symbol: &str) -> Option<&'static str> {
        match self {
            Glyphs::Unicode => None,
            Glyphs::Console => console(symbol),
            Glyphs::Ascii => {
                let for_console = console(symbol);
                ascii(for_console.unwrap_or(symbol)).or(for_console)
            }
        }
    }

    /// Replaces, in `area` of `buffer`, every symbol this set can't show.
    pub fn fold(self, buffer: &mut Buffer, area: Rect) {
        if self == Glyphs::Unicode {
            return;
        }
        let area = area.intersection(buffer.area);
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let cell = &mut buffer[(x, y)];
                if cell.symbol().is_ascii() {
                    continue;
                }
                if let Some(replacement) = self.replacement(cell.symbol()) {
                    cell.set_symbol(replacement);
                }
            }
        }
    }
}

/// The letters, punctuation and arrows beyond ASCII that Debian's console fonts Lat15, Uni2
/// and Uni3 all have (read off their Unicode tables in console-setup-linux 1.221; their box
/// drawing is left out). A language is offered on the console only if its text keeps to these
/// (`locale::Script::ConsoleLatin`): Lat15, the font for Western European locales, has no
/// Polish ł ą ę and none of Vietnamese's stacked diacritics.
#[cfg(test)]
const CONSOLE_REPERTOIRE: &str = concat!(
    "¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß",
    "àáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿĐĞğİıŒœŞşŠšŸŽžƒ",
    "‐‑‒–—―‘’‚“”„†‡•…‰‹›€™←↑→↓▶▸◀◂●",
);

/// The characters of the kiosk's own the console fonts lack.
fn console(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        // The code box's cursor and the input caret: the console has the underscore and the bar.
        "▁" => "_",
        "▏" => "│",
        "✓" => "*",
        // The keypad's backspace key.
        "⌫" => "←",
        _ => return None,
    })
}

/// Everything else that isn't ASCII in the kiosk's own drawing.
fn ascii(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "│" | "║" | "┃" => "|",
        "─" | "═" | "━" => "-",
        "╭" | "╮" | "╰" | "╯" | "┌" | "┐" | "└" | "┘" | "╔" | "╗" | "╚" | "╝" | "┏" | "┓" | "┗" | "┛" | "├" | "┤"
        | "┬" | "┴" | "┼" => "+",
        "•" => "*",
        "—" | "–" => "-",
        "…" => ".",
        "·" => "-",
        "▸" | "▶" | "→" => ">",
        "◀" | "←" => "<",
        "↑" => "^",
        "↓" => "v",
        "█" | "▓" | "▒" | "░" => "#",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Language;

    #[test]
    fn auto_follows_the_terminal_type() {
        assert_eq!(Glyphs::resolve(GlyphSet::Auto, Some("linux")), Glyphs::Console);
        assert_eq!(Glyphs::resolve(GlyphSet::Auto, Some("xterm-256color")), Glyphs::Unicode);
        assert_eq!(Glyphs::resolve(GlyphSet::Auto, Some("foot")), Glyphs::Unicode);
        assert_eq!(Glyphs::resolve(GlyphSet::Auto, Some("dumb")), Glyphs::Ascii);
        assert_eq!(Glyphs::resolve(GlyphSet::Auto, None), Glyphs::Ascii);
        assert_eq!(Glyphs::resolve(GlyphSet::Unicode, Some("linux")), Glyphs::Unicode, "config wins");
    }

    #[test]
    fn the_console_loses_only_what_its_fonts_lack_and_ascii_keeps_to_ascii() {
        let mut buffer = Buffer::with_lines(["╭─[▁] 5▏✓ •─⌫╮"]);
        let area = buffer.area;
        Glyphs::Console.fold(&mut buffer, area);
        assert_eq!(buffer, Buffer::with_lines(["╭─[_] 5│* •─←╮"]));
        Glyphs::Ascii.fold(&mut buffer, area);
        assert_eq!(buffer, Buffer::with_lines(["+-[_] 5|* *-<+"]));
    }

    /// The least a terminal must show for `text`: what folds to ASCII, else what the console
    /// fonts have, else Unicode.
    fn script_of(text: &str) -> Script {
        let mut needs = Script::Ascii;
        for c in text.chars().filter(|c| !c.is_ascii() && !c.is_whitespace()) {
            let symbol = c.to_string();
            let level = if Glyphs::Ascii.replacement(&symbol).is_some() {
                Script::Ascii
            } else if CONSOLE_REPERTOIRE.contains(c) || Glyphs::Console.replacement(&symbol).is_some() {
                Script::ConsoleLatin
            } else {
                Script::Unicode
            };
            needs = needs.max(level);
        }
        needs
    }

    #[test]
    fn each_language_needs_what_its_script_says_of_the_terminal() {
        for language in Language::ALL {
            // The messages' text, not the comments (which are for translators, in English).
            let text: String = language
                .source()
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .chain([language.native_name()])
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(script_of(&text), language.script(), "{}", language.tag());
        }
        assert_eq!(script_of("Łódź"), Script::Unicode, "Polish letters aren't in every console font");
        assert_eq!(script_of("Tiếng Việt"), Script::Unicode);
        assert_eq!(script_of("Größe ção"), Script::ConsoleLatin);
    }
}
