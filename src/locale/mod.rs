//! The languages the kiosk speaks: each is a Fluent file, `assets/locales/<tag>/kiosk.ftl`,
//! compiled in and parsed the first time the language is used (the default at start, another
//! when a worker picks it), never before.
//!
//! Call sites name their messages with [`tr!`](crate::tr) and a literal id, so the test that
//! every message is used can find them. Nothing here knows about screens or the terminal:
//! which languages a terminal can show is the kiosk's call (`Language::script`).

mod bundle;

use std::fmt;

use serde::{Deserialize, Deserializer};

pub use bundle::{Arg, capture};

/// A language the kiosk has a complete translation for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    #[default]
    English,
    Spanish,
    French,
    German,
    PortugueseBrazil,
    Polish,
    Vietnamese,
    ChineseSimplified,
}

/// What a language's text needs from the terminal's characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Script {
    /// ASCII, once the kiosk's own symbols (— … •) are folded.
    Ascii,
    /// Latin letters that Debian's console fonts Lat15, Uni2 and Uni3 all have (Western
    /// European accents; not Polish's ł ą ę, nor Vietnamese's stacked diacritics).
    ConsoleLatin,
    /// Anything else: a Unicode terminal with the fonts for it.
    Unicode,
}

impl Language {
    /// Every language, in the order the kiosk lists them.
    pub const ALL: [Language; 8] = [
        Language::English,
        Language::Spanish,
        Language::French,
        Language::German,
        Language::PortugueseBrazil,
        Language::Polish,
        Language::Vietnamese,
        Language::ChineseSimplified,
    ];

    /// The BCP 47 tag: the config's `language`, the folder under `assets/locales/`, what the
    /// backend is told (`locale`) and the SMS template's suffix.
    pub const fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
            Language::French => "fr",
            Language::German => "de",
            Language::PortugueseBrazil => "pt-BR",
            Language::Polish => "pl",
            Language::Vietnamese => "vi",
            Language::ChineseSimplified => "zh-CN",
        }
    }

    /// The language's name in itself, as the language list shows it (readable by whoever
    /// needs it, whatever the screen's language).
    pub const fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
            Language::French => "Français",
            Language::German => "Deutsch",
            Language::PortugueseBrazil => "Português (Brasil)",
            Language::Polish => "Polski",
            Language::Vietnamese => "Tiếng Việt",
            Language::ChineseSimplified => "简体中文",
        }
    }

    /// What its text (and its name) needs from the terminal; checked against the .ftl's
    /// characters by a test, so a translation can't outgrow it unnoticed.
    pub const fn script(self) -> Script {
        match self {
            Language::English => Script::Ascii,
            Language::Spanish | Language::French | Language::German | Language::PortugueseBrazil => {
                Script::ConsoleLatin
            }
            Language::Polish | Language::Vietnamese | Language::ChineseSimplified => Script::Unicode,
        }
    }

    /// The Fluent source, compiled in: only the pages of the languages in use are ever read.
    pub(crate) const fn source(self) -> &'static str {
        match self {
            Language::English => include_str!("../../assets/locales/en/kiosk.ftl"),
            Language::Spanish => include_str!("../../assets/locales/es/kiosk.ftl"),
            Language::French => include_str!("../../assets/locales/fr/kiosk.ftl"),
            Language::German => include_str!("../../assets/locales/de/kiosk.ftl"),
            Language::PortugueseBrazil => include_str!("../../assets/locales/pt-BR/kiosk.ftl"),
            Language::Polish => include_str!("../../assets/locales/pl/kiosk.ftl"),
            Language::Vietnamese => include_str!("../../assets/locales/vi/kiosk.ftl"),
            Language::ChineseSimplified => include_str!("../../assets/locales/zh-CN/kiosk.ftl"),
        }
    }

    /// The language a tag names (case-insensitive: `pt-br` is `pt-BR`).
    pub fn from_tag(tag: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|language| language.tag().eq_ignore_ascii_case(tag.trim()))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Language::from_tag(&text).ok_or_else(|| {
            let tags: Vec<&str> = Language::ALL.iter().map(|language| language.tag()).collect();
            serde::de::Error::custom(format!("unknown language {text:?}: use one of {}", tags.join(", ")))
        })
    }
}

/// A message in `language`, by literal id, with named arguments:
/// `tr!(lang, "code-wrong", attempts_left = 3)`.
#[macro_export]
macro_rules! tr {
    ($language:expr, $id:literal $(,)?) => {
        $language.format($id, [])
    };
    ($language:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $language.format($id, [$((stringify!($name), $crate::locale::Arg::from($value))),+])
    };
}

#[cfg(test)]
mod tests;
