//! `[branding]`: the store's own words, logo and colour on the sign-in screens (Managed Home
//! Screen's settings, for a terminal). Each text may be given per language; the logo is a text
//! file, read once when the config is loaded (relative paths from the config file's folder).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use unicode_width::UnicodeWidthStr;

use crate::locale::Language;

/// The logo's largest size: it sits above the form, which must still fit a 100x30 terminal.
pub const LOGO_MAX_LINES: usize = 8;
pub const LOGO_MAX_COLUMNS: usize = 60;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrandingConfig {
    /// In the frame's title, in place of "shiftkey".
    pub title: Option<LocalizedText>,
    /// A text file of up to `LOGO_MAX_LINES` lines, drawn above the sign-in form.
    pub logo: Option<PathBuf>,
    /// The colour of titles and highlights (default theme; high contrast keeps to white).
    pub accent: Option<ConsoleColor>,
    /// Under the number's prompt: "Use the mobile number HR has on file".
    pub login_hint: Option<LocalizedText>,
    /// At the foot of the sign-in screen: "No phone with you? Ask your shift manager".
    pub help: Option<LocalizedText>,
    /// One line on the code screen.
    pub privacy: Option<LocalizedText>,
    /// The logo file's lines, read at load (`read_logo`); not a key.
    #[serde(skip)]
    pub logo_lines: Vec<String>,
}

/// A text given once for every language, or per language: `help = "…"`, or `help.es = "…"`
/// with `help.en = "…"`.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalizedText {
    Plain(String),
    /// Language tag → text; the tags are checked by [`BrandingConfig::check`].
    PerLanguage(BTreeMap<String, String>),
}

impl<'de> Deserialize<'de> for LocalizedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = LocalizedText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text, or a table of language tag = text (help.es = \"…\")")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<LocalizedText, E> {
                Ok(LocalizedText::Plain(text.into()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LocalizedText, A::Error> {
                BTreeMap::deserialize(MapAccessDeserializer::new(map)).map(LocalizedText::PerLanguage)
            }
        }
        deserializer.deserialize_any(Text)
    }
}

impl LocalizedText {
    /// The text for a worker who picked `chosen` on a kiosk whose language is `default`: the
    /// chosen language's, else the default's, else the one given for all.
    pub fn for_language(&self, chosen: Language, default: Language) -> Option<&str> {
        match self {
            LocalizedText::Plain(text) => Some(text),
            LocalizedText::PerLanguage(texts) => {
                let find = |language: Language| {
                    texts.iter().find(|(tag, _)| Language::from_tag(tag) == Some(language)).map(|(_, t)| t.as_str())
                };
                find(chosen).or_else(|| find(default))
            }
        }
    }

    /// Each (key suffix, text): `("", text)` or `(".es", text)`.
    fn entries(&self) -> Vec<(String, &str)> {
        match self {
            LocalizedText::Plain(text) => vec![(String::new(), text.as_str())],
            LocalizedText::PerLanguage(texts) => {
                texts.iter().map(|(tag, text)| (format!(".{tag}"), text.as_str())).collect()
            }
        }
    }

    /// The languages it is given in ("all" for a plain text), for `check-config`.
    pub fn languages(&self) -> String {
        match self {
            LocalizedText::Plain(_) => "all languages".into(),
            LocalizedText::PerLanguage(texts) => texts.keys().cloned().collect::<Vec<_>>().join(", "),
        }
    }
}

/// The 16 colours of the Linux console (and of every terminal's basic palette).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleColor {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    White,
    BrightBlack,
    BrightRed,
    BrightGreen,
    BrightYellow,
    BrightBlue,
    BrightMagenta,
    BrightCyan,
    BrightWhite,
}

impl ConsoleColor {
    pub const ALL: [ConsoleColor; 16] = [
        ConsoleColor::Black,
        ConsoleColor::Red,
        ConsoleColor::Green,
        ConsoleColor::Yellow,
        ConsoleColor::Blue,
        ConsoleColor::Magenta,
        ConsoleColor::Cyan,
        ConsoleColor::White,
        ConsoleColor::BrightBlack,
        ConsoleColor::BrightRed,
        ConsoleColor::BrightGreen,
        ConsoleColor::BrightYellow,
        ConsoleColor::BrightBlue,
        ConsoleColor::BrightMagenta,
        ConsoleColor::BrightCyan,
        ConsoleColor::BrightWhite,
    ];

    /// Its name in config: the ANSI names, `bright-` for the upper eight.
    pub const fn name(self) -> &'static str {
        match self {
            ConsoleColor::Black => "black",
            ConsoleColor::Red => "red",
            ConsoleColor::Green => "green",
            ConsoleColor::Yellow => "yellow",
            ConsoleColor::Blue => "blue",
            ConsoleColor::Magenta => "magenta",
            ConsoleColor::Cyan => "cyan",
            ConsoleColor::White => "white",
            ConsoleColor::BrightBlack => "bright-black",
            ConsoleColor::BrightRed => "bright-red",
            ConsoleColor::BrightGreen => "bright-green",
            ConsoleColor::BrightYellow => "bright-yellow",
            ConsoleColor::BrightBlue => "bright-blue",
            ConsoleColor::BrightMagenta => "bright-magenta",
            ConsoleColor::BrightCyan => "bright-cyan",
            ConsoleColor::BrightWhite => "bright-white",
        }
    }
}

impl fmt::Display for ConsoleColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ConsoleColor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        ConsoleColor::ALL.into_iter().find(|color| color.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = ConsoleColor::ALL.iter().map(|color| color.name()).collect();
            serde::de::Error::custom(format!(
                "branding.accent: unknown colour {text:?}: use one of the console's 16, {}",
                names.join(", ")
            ))
        })
    }
}

/// A `[branding]` value that can't be used; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidBranding {
    #[error("branding.{key}: unknown language tag {tag:?}: use one of {}", tags())]
    UnknownLanguage { key: String, tag: String },
    #[error("branding.{key} has no text for the kiosk's language {language:?}: add {key}.{language}")]
    NoDefaultText { key: &'static str, language: &'static str },
    #[error("branding.{key} must be one line of plain text (no line breaks, tabs or control characters)")]
    NotOneLine { key: String },
    #[error("branding.logo: can't read {path}: {source}")]
    LogoUnreadable { path: PathBuf, source: std::io::Error },
    #[error("branding.logo: {path} is empty")]
    LogoEmpty { path: PathBuf },
    #[error("branding.logo: {path} has {lines} lines; at most {LOGO_MAX_LINES} fit above the form")]
    LogoTooLong { path: PathBuf, lines: usize },
    #[error("branding.logo: line {line} of {path} is {columns} columns wide; at most {LOGO_MAX_COLUMNS} fit")]
    LogoTooWide { path: PathBuf, line: usize, columns: usize },
    #[error("branding.logo: line {line} of {path} has a tab or control character: use plain text")]
    LogoControl { path: PathBuf, line: usize },
}

fn tags() -> String {
    Language::ALL.iter().map(|language| language.tag()).collect::<Vec<_>>().join(", ")
}

/// Plain text on one line: a control character would reach the terminal as one.
fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

impl BrandingConfig {
    /// The texts, by key.
    pub fn texts(&self) -> [(&'static str, Option<&LocalizedText>); 4] {
        [
            ("title", self.title.as_ref()),
            ("login_hint", self.login_hint.as_ref()),
            ("help", self.help.as_ref()),
            ("privacy", self.privacy.as_ref()),
        ]
    }

    /// One line for `check-config`: what is set, and in which languages.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (key, text) in self.texts() {
            parts.push(match text {
                Some(text) => format!("{key} ({})", text.languages()),
                None => format!("no {key}"),
            });
        }
        parts.insert(
            1,
            match &self.logo {
                Some(path) => format!("logo {} ({} lines)", path.display(), self.logo_lines.len()),
                None => "no logo".into(),
            },
        );
        parts.insert(
            2,
            match self.accent {
                Some(color) => format!("accent {color}"),
                None => "default accent".into(),
            },
        );
        parts.join(", ")
    }

    /// Every text's language tags are the kiosk's, each is one line, and a text given per
    /// language has one in the kiosk's `language` (the fallback for every worker).
    pub fn check(&self, language: Language) -> Result<(), InvalidBranding> {
        for (key, text) in self.texts() {
            let Some(text) = text else { continue };
            for (suffix, value) in text.entries() {
                if let Some(tag) = suffix.strip_prefix('.')
                    && Language::from_tag(tag).is_none()
                {
                    return Err(InvalidBranding::UnknownLanguage { key: format!("{key}{suffix}"), tag: tag.into() });
                }
                if !one_line(value) {
                    return Err(InvalidBranding::NotOneLine { key: format!("{key}{suffix}") });
                }
            }
            if text.for_language(language, language).is_none() {
                return Err(InvalidBranding::NoDefaultText { key, language: language.tag() });
            }
        }
        Ok(())
    }

    /// Reads the logo file into `logo_lines` (a relative path is taken from `dir`, the config
    /// file's folder), refusing one that wouldn't fit above the form.
    pub fn read_logo(&mut self, dir: &Path) -> Result<(), InvalidBranding> {
        let Some(logo) = &self.logo else { return Ok(()) };
        let path = dir.join(logo);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| InvalidBranding::LogoUnreadable { path: path.clone(), source })?;
        let lines: Vec<&str> = text.trim_end().lines().map(str::trim_end).collect();
        if lines.iter().all(|line| line.is_empty()) {
            return Err(InvalidBranding::LogoEmpty { path });
        }
        if lines.len() > LOGO_MAX_LINES {
            return Err(InvalidBranding::LogoTooLong { path, lines: lines.len() });
        }
        for (index, line) in lines.iter().enumerate() {
            if !one_line(line) {
                return Err(InvalidBranding::LogoControl { path, line: index + 1 });
            }
            let columns = line.width();
            if columns > LOGO_MAX_COLUMNS {
                return Err(InvalidBranding::LogoTooWide { path, line: index + 1, columns });
            }
        }
        self.logo_lines = lines.into_iter().map(str::to_string).collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branding(text: &str) -> BrandingConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_worker_s_language_wins_then_the_kiosk_s() {
        let b = branding("help.es = \"Pregunte\"\nhelp.en = \"Ask\"\ntitle = \"Contoso\"");
        let help = b.help.as_ref().unwrap();
        assert_eq!(help.for_language(Language::Spanish, Language::English), Some("Pregunte"));
        assert_eq!(help.for_language(Language::German, Language::English), Some("Ask"));
        assert_eq!(help.for_language(Language::German, Language::Spanish), Some("Pregunte"));
        assert_eq!(help.for_language(Language::German, Language::French), None);
        let title = b.title.as_ref().unwrap();
        assert_eq!(title.for_language(Language::ChineseSimplified, Language::English), Some("Contoso"));
        assert_eq!(help.languages(), "en, es");
        b.check(Language::English).unwrap();
    }

    #[test]
    fn bad_texts_are_named_by_key() {
        let err = branding("login_hint.xx = \"?\"\nlogin_hint.en = \"Use\"").check(Language::English).unwrap_err();
        assert!(err.to_string().starts_with("branding.login_hint.xx: unknown language tag \"xx\""), "{err}");
        let err = branding("privacy = \"a\\nb\"").check(Language::English).unwrap_err();
        assert!(err.to_string().starts_with("branding.privacy must be one line"), "{err}");
        let err = branding("help.es = \"Pregunte\"").check(Language::English).unwrap_err();
        assert_eq!(err.to_string(), "branding.help has no text for the kiosk's language \"en\": add help.en");
        let err = toml::from_str::<BrandingConfig>("help = 5").unwrap_err().to_string();
        assert!(err.contains("expected a text, or a table of language tag = text"), "{err}");
        let err = toml::from_str::<BrandingConfig>("accent = \"pink\"").unwrap_err().to_string();
        assert!(err.contains("branding.accent: unknown colour \"pink\""), "{err}");
        assert!(err.contains("bright-white"), "{err}");
    }

    #[test]
    fn colours_are_the_console_s_sixteen() {
        assert_eq!(branding("accent = \"bright-blue\"").accent, Some(ConsoleColor::BrightBlue));
        assert_eq!(branding("accent = \"Bright_Red\"").accent, Some(ConsoleColor::BrightRed));
        assert_eq!(ConsoleColor::ALL.len(), 16);
    }

    #[test]
    fn the_logo_is_read_relative_to_the_config_and_held_to_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("logo.txt"), text).unwrap();
        let mut b = branding("logo = \"logo.txt\"");
        write(" _ _\n|_|_|\n\n");
        b.read_logo(dir.path()).unwrap();
        assert_eq!(b.logo_lines, [" _ _", "|_|_|"]);
        write(&"x\n".repeat(9));
        let err = b.read_logo(dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("branding.logo:") && err.contains("9 lines; at most 8"), "{err}");
        write(&"x".repeat(61));
        assert!(b.read_logo(dir.path()).unwrap_err().to_string().contains("line 1 of"), "too wide");
        write("ok\n\x1b[2Jgotcha");
        assert!(b.read_logo(dir.path()).unwrap_err().to_string().contains("line 2 of"), "an escape");
        write("\n\n");
        assert!(b.read_logo(dir.path()).unwrap_err().to_string().contains("is empty"));
        std::fs::remove_file(dir.path().join("logo.txt")).unwrap();
        assert!(b.read_logo(dir.path()).unwrap_err().to_string().starts_with("branding.logo: can't read"));
    }
}
