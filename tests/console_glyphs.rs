//! On the Linux console (`TERM=linux`) the kiosk draws only what Debian's console fonts have:
//! every screen, in every glyph set (and theme) a console kiosk can run with, in every language
//! it offers there, at 80x24 and 200x60 — each character drawn is in each of the five fonts
//! below. And the languages offered on the console are those whose every message the five
//! fonts can draw. The fonts are console-setup-linux's, which scripts/test fetches.

mod common;
#[path = "console_glyphs/psf.rs"]
mod psf;

use std::collections::{BTreeMap, BTreeSet};

use shiftkey::config::{GlyphSet, KioskConfig, LargeDigits, ThemeName};
use shiftkey::kiosk::fixtures::{self, screens::every_screen};
use shiftkey::kiosk::state::Settings;
use shiftkey::kiosk::view::glyphs::Glyphs;
use shiftkey::locale::Language;

use common::needs::{CONSOLE_FONTS, requires};
use common::screen_text::draw_capturing;

/// The fonts the issue names: console-setup's Western European (Lat15), its widest Latin
/// (Uni2) and its Terminus (Uni3) sets, as Debian's installer offers them.
const FONTS: [&str; 5] = ["Lat15-Fixed16", "Lat15-Terminus16", "Uni2-Fixed16", "Uni2-VGA16", "Uni3-Terminus16"];
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];
const TERM: &str = "linux";

/// Each font's characters, or None when the machine lacks the fonts (the test is skipped).
fn fonts() -> Option<Vec<(&'static str, BTreeSet<char>)>> {
    if !requires(&[CONSOLE_FONTS]) {
        return None;
    }
    let dir = CONSOLE_FONTS.dir()?;
    let read = |name| psf::read(&dir.join(format!("{name}.psf.gz"))).unwrap_or_else(|e| panic!("{e}"));
    Some(FONTS.into_iter().map(|name| (name, read(name))).collect())
}

/// Every config a kiosk on the console may draw with: each glyph set but `unicode` (which says
/// the terminal has every font: on the console, the admin's mistake). A theme is one more
/// `flat_map` here.
fn console_configs() -> Vec<(String, KioskConfig)> {
    let layouts = [(false, LargeDigits::Auto), (false, LargeDigits::On), (true, LargeDigits::Auto)];
    GlyphSet::ALL
        .into_iter()
        .flat_map(|glyphs| ThemeName::ALL.into_iter().map(move |theme| (glyphs, theme)))
        .flat_map(|(glyphs, theme)| layouts.into_iter().map(move |layout| (glyphs, theme, layout)))
        .map(|(glyphs, theme, (screen_reader, large_digits))| {
            let mut config = KioskConfig::default();
            config.display.glyphs = glyphs;
            config.display.theme = theme;
            config.display.screen_reader = screen_reader;
            config.display.large_digits = large_digits;
            let name = format!(
                "glyphs {glyphs:?}, theme {theme:?}, screen reader {screen_reader}, large digits {large_digits:?}"
            );
            (name, config)
        })
        .filter(|(_, config)| settings(config).glyphs != Glyphs::Unicode)
        .collect()
}

fn settings(config: &KioskConfig) -> Settings {
    fixtures::settings_for(config, TERM)
}

/// The kiosk with `config` in each language it offers on the console, spoken by default.
fn in_each_offered_language(config: &KioskConfig) -> Vec<Settings> {
    settings(config)
        .languages
        .into_iter()
        .map(|language| settings(&KioskConfig { language, ..config.clone() }))
        .collect()
}

/// The characters each font lacks, each with where it was first seen.
#[derive(Default)]
struct Lacking(BTreeMap<(char, &'static str), String>);

impl Lacking {
    fn check(&mut self, fonts: &[(&'static str, BTreeSet<char>)], text: &str, seen_in: impl Fn() -> String) {
        for c in text.chars().filter(|c| *c != '\n') {
            for (font, characters) in fonts {
                if !characters.contains(&c) && !self.0.contains_key(&(c, *font)) {
                    self.0.insert((c, *font), seen_in());
                }
            }
        }
    }

    fn report(&self) -> String {
        self.0.iter().map(|((c, font), seen)| format!("{c:?} (U+{:04X}) not in {font}: {seen}\n", *c as u32)).collect()
    }
}

#[test]
fn every_character_the_kiosk_draws_on_the_console_is_in_its_five_fonts() {
    let Some(fonts) = fonts() else { return };
    let mut lacking = Lacking::default();
    let mut drawn = 0;
    for (variant, config) in console_configs() {
        for settings in in_each_offered_language(&config) {
            let language = settings.language.tag();
            for (name, state) in every_screen(&settings) {
                for (width, height) in SIZES {
                    let (terminal, _) = draw_capturing(&state, width, height);
                    let buffer = terminal.backend().buffer();
                    let symbols: String = buffer.content.iter().map(|cell| cell.symbol()).collect();
                    lacking.check(&fonts, &symbols, || format!("{name} {width}x{height}, {language}, {variant}"));
                    drawn += 1;
                }
            }
        }
    }
    assert!(drawn > 100, "only {drawn} screens drawn");
    assert!(lacking.0.is_empty(), "drawn on the console but not in its fonts:\n{}", lacking.report());
}

/// A language's messages as the console draws them: every message's text (all its variants,
/// drawn or not) and its name, each character folded as `glyphs` folds it.
fn messages_as_drawn(language: Language, glyphs: Glyphs) -> String {
    let path = format!("{}/assets/locales/{}/kiosk.ftl", env!("CARGO_MANIFEST_DIR"), language.tag());
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // The comments are for translators, in English; the rest is messages (and their ASCII ids).
    let text = source.lines().filter(|line| !line.trim_start().starts_with('#')).chain([language.native_name()]);
    let mut drawn = String::new();
    for c in text.flat_map(str::chars) {
        let symbol = c.to_string();
        drawn.push_str(glyphs.replacement(&symbol).unwrap_or(&symbol));
    }
    drawn
}

#[test]
fn the_languages_offered_on_the_console_are_those_its_five_fonts_can_draw() {
    let Some(fonts) = fonts() else { return };
    let mut lacking = Lacking::default();
    for (variant, config) in console_configs() {
        let settings = settings(&config);
        for language in Language::ALL {
            let offered = settings.languages.contains(&language);
            let mut this_one = Lacking::default();
            this_one.check(&fonts, &messages_as_drawn(language, settings.glyphs), || {
                format!("{} messages, {variant}", language.tag())
            });
            if offered {
                lacking.0.extend(this_one.0);
            } else if settings.glyphs == Glyphs::Console {
                // Not offered on the console: some font must lack one of its characters.
                assert!(
                    !this_one.0.is_empty(),
                    "{} is not offered on the console but all five fonts have it",
                    language.tag()
                );
            }
        }
    }
    assert!(lacking.0.is_empty(), "offered on the console but not in its fonts:\n{}", lacking.report());
}

#[test]
fn the_check_knows_what_the_fonts_lack() {
    let Some(fonts) = fonts() else { return };
    // The three: the code box's cursor, the input caret, the tick. And Polish's ł,
    // which the Western European fonts (Lat15) lack and the others have.
    let mut lacking = Lacking::default();
    lacking.check(&fonts, "▁▏✓ł", String::new);
    let lacks = |c| lacking.0.keys().filter(|(lacked, _)| *lacked == c).map(|(_, font)| *font).collect::<Vec<_>>();
    for c in ['▁', '▏', '✓'] {
        assert_eq!(lacks(c), FONTS, "{c:?}");
    }
    assert_eq!(lacks('ł'), ["Lat15-Fixed16", "Lat15-Terminus16"]);
    // What the kiosk draws with on the console, all five have.
    let mut lacking = Lacking::default();
    lacking.check(&fonts, "╭─╮│╰╯║═▶▸•·—…é ß+0Az", String::new);
    assert!(lacking.0.is_empty(), "{}", lacking.report());
}

/// A PSF1 font of 256 empty glyphs whose table maps glyph 0 to 'a' and 'b' and a sequence,
/// glyph 1 to 'é', and the rest to nothing.
fn tiny_psf1() -> Vec<u8> {
    let mut font = vec![0x36, 0x04, 0x02 | 0x04, 1];
    font.extend(std::iter::repeat_n(0, 256));
    let units: Vec<u16> = [&[0x61, 0x62, 0xFFFE, 0x65, 0x301, 0xFFFF, 0xE9, 0xFFFF][..], &[0xFFFF; 254]].concat();
    font.extend(units.iter().flat_map(|unit| unit.to_le_bytes()));
    font
}

/// The same as a PSF2 font of 2 glyphs.
fn tiny_psf2() -> Vec<u8> {
    let header = [0x864ab572u32, 0, 32, 1, 2, 1, 1, 8];
    let mut font: Vec<u8> = header.iter().flat_map(|word| word.to_le_bytes()).collect();
    font.extend([0, 0]);
    font.extend(b"ab\xFEe\xCC\x81\xFF");
    font.extend("é".as_bytes());
    font.push(0xFF);
    font
}

#[test]
fn a_psf_table_gives_its_single_characters_not_its_sequences() {
    let want: BTreeSet<char> = ['a', 'b', 'é'].into();
    assert_eq!(psf::characters(&tiny_psf1()), Ok(want.clone()));
    assert_eq!(psf::characters(&tiny_psf2()), Ok(want));
}

#[test]
fn a_font_without_a_table_or_cut_short_is_an_error_not_an_empty_font() {
    let mut no_table = tiny_psf1();
    no_table[2] = 0;
    assert_eq!(psf::characters(&no_table), Err("no Unicode table".into()));
    let psf1 = tiny_psf1();
    assert!(psf::characters(&psf1[..psf1.len() - 2]).unwrap_err().contains("ends after 255 of 256"));
    let psf2 = tiny_psf2();
    assert!(psf::characters(&psf2[..psf2.len() - 1]).unwrap_err().contains("ends after 1 of 2"));
    assert!(psf::characters(&psf2[..20]).unwrap_err().contains("cut short"));
    assert!(psf::characters(b"\x1f\x8b").unwrap_err().contains("not a PSF font"));
}
