//! The reference backend's messages: the texts' default template and one per language, each
//! checked at load to make a message of at most 140 bytes with the `@host #code` line; and the
//! voice calls' (what a call says: the code digit by digit, twice), found the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ServerConfig;
use crate::secret::OtpCode;

/// The SMS Retriever / origin-bound code limit.
pub const MAX_MESSAGE_BYTES: usize = 140;
/// The default message (from `assets/`): `{code}`, `{minutes}` and `{host}` are filled in,
/// and the origin-bound line `@host #code` is added last.
pub const DEFAULT_SMS_TEMPLATE: &str = include_str!("../../assets/sms-template.txt");
/// The language versions that ship, `assets/sms-template.<tag>.txt`: used when `sms_template`
/// isn't set. Each fits with the longest host and code lifetime (a test checks).
pub const BUILT_IN_SMS_TEMPLATES: [(&str, &str); 8] = [
    ("en", include_str!("../../assets/sms-template.en.txt")),
    ("es", include_str!("../../assets/sms-template.es.txt")),
    ("fr", include_str!("../../assets/sms-template.fr.txt")),
    ("de", include_str!("../../assets/sms-template.de.txt")),
    ("pt-BR", include_str!("../../assets/sms-template.pt-BR.txt")),
    ("pl", include_str!("../../assets/sms-template.pl.txt")),
    ("vi", include_str!("../../assets/sms-template.vi.txt")),
    ("zh-CN", include_str!("../../assets/sms-template.zh-CN.txt")),
];

/// What a call says by default (from `assets/`): `{code}` is read digit by digit.
pub const DEFAULT_VOICE_TEMPLATE: &str = include_str!("../../assets/voice-template.txt");
/// The call's language versions that ship, `assets/voice-template.<tag>.txt`: used when
/// `voice_template` isn't set. Each says the code twice (a test checks).
pub const BUILT_IN_VOICE_TEMPLATES: [(&str, &str); 8] = [
    ("en", include_str!("../../assets/voice-template.en.txt")),
    ("es", include_str!("../../assets/voice-template.es.txt")),
    ("fr", include_str!("../../assets/voice-template.fr.txt")),
    ("de", include_str!("../../assets/voice-template.de.txt")),
    ("pt-BR", include_str!("../../assets/voice-template.pt-BR.txt")),
    ("pl", include_str!("../../assets/voice-template.pl.txt")),
    ("vi", include_str!("../../assets/voice-template.vi.txt")),
    ("zh-CN", include_str!("../../assets/voice-template.zh-CN.txt")),
];

/// Why a message template can't be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{key}: can't read {path}: {source}")]
    Read { key: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{template} has no {{code}}: a call from it wouldn't say the code")]
    NoCode { template: String },
    #[error(
        "{template} makes a {bytes}-byte message with the @{host} #code line; the limit is {MAX_MESSAGE_BYTES} bytes"
    )]
    TooLong { template: String, bytes: usize, host: String },
}

/// The templates a server sends from: the default, and one per language tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplates {
    default: String,
    /// By lower-case tag.
    by_language: BTreeMap<String, String>,
}

impl SmsTemplates {
    /// The template for `locale`: its own, else that of the tag less its last subtag (`pt-BR`,
    /// then `pt`), else the default.
    pub fn for_locale(&self, locale: Option<&str>) -> &str {
        self.language_for(locale).map_or(&self.default, |tag| &self.by_language[tag])
    }

    /// The (lower-case) tag whose template `for_locale` picks; `None` for the default.
    pub fn language_for(&self, locale: Option<&str>) -> Option<&str> {
        let mut tag = locale.unwrap_or_default().to_ascii_lowercase();
        while !tag.is_empty() {
            if let Some((found, _)) = self.by_language.get_key_value(&tag) {
                return Some(found);
            }
            tag.truncate(tag.rfind('-').unwrap_or(0));
        }
        None
    }

    /// The language tags with a template of their own (lower case).
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.by_language.keys().map(String::as_str)
    }
}

/// Whether `tag` looks like a BCP 47 language tag (`es`, `pt-BR`, `zh-Hans-CN`): what a start
/// request's `locale` and a template file's suffix may be.
pub fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let language = subtags.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Builds the message text; the last line is the origin-bound `@host #code`.
pub fn render_message(template: &str, code: &OtpCode, minutes: u64, host: &str) -> String {
    let body = template
        .trim_end()
        .replace("{code}", code.expose())
        .replace("{minutes}", &minutes.to_string())
        .replace("{host}", host);
    format!("{body}\n\n@{host} #{}", code.expose())
}

/// What a call says: `template` with the code read digit by digit ("4, 8, 1, 5, 9, 2": the
/// pauses keep a text-to-speech voice from reading it as one number).
pub fn render_voice(template: &str, code: &OtpCode) -> String {
    let digits: Vec<String> = code.expose().chars().map(String::from).collect();
    template.trim_end().replace("{code}", &digits.join(", "))
}

fn read(key: &'static str, path: &Path) -> Result<String, TemplateError> {
    std::fs::read_to_string(path).map_err(|source| TemplateError::Read { key, path: path.to_path_buf(), source })
}

/// A template (the default, then each language's as `(tag, text, name)`): a configured file
/// and the ones beside it, or those that ship.
type Found = (String, Vec<(String, String, String)>);

fn find(
    key: &'static str,
    path: Option<&Path>,
    default: &str,
    built_in: &[(&str, &str)],
    asset: &str,
) -> Result<Found, TemplateError> {
    Ok(match path {
        Some(path) => (read(key, path)?, beside(key, path)?),
        None => (
            default.to_string(),
            built_in
                .iter()
                .map(|(tag, text)| (tag.to_string(), text.to_string(), format!("assets/{asset}.{tag}.txt")))
                .collect(),
        ),
    })
}

/// The language versions beside a configured template: `<stem>.<tag>.<ext>` in its folder.
fn beside(key: &'static str, path: &Path) -> Result<Vec<(String, String, String)>, TemplateError> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let suffix = path.extension().and_then(|e| e.to_str()).map(|e| format!(".{e}")).unwrap_or_default();
    let entries =
        std::fs::read_dir(folder).map_err(|source| TemplateError::Read { key, path: folder.into(), source })?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(tag) = name
            .to_str()
            .and_then(|name| name.strip_prefix(stem)?.strip_prefix('.')?.strip_suffix(suffix.as_str()))
            .filter(|tag| is_language_tag(tag))
        else {
            continue;
        };
        let file = entry.path();
        found.push((tag.to_string(), read(key, &file)?, file.display().to_string()));
    }
    Ok(found)
}

/// The templates found, each passed by `check`, by lower-case tag.
fn checked(
    (default, languages): Found,
    key: &str,
    check: impl Fn(&str, &str) -> Result<(), TemplateError>,
) -> Result<SmsTemplates, TemplateError> {
    check(&default, key)?;
    let mut by_language = BTreeMap::new();
    for (tag, template, name) in languages {
        check(&template, &name)?;
        by_language.insert(tag.to_ascii_lowercase(), template);
    }
    Ok(SmsTemplates { default, by_language })
}

impl ServerConfig {
    /// The message templates: `sms_template` and the language versions beside it, or the
    /// ones that ship. Each is refused if a message from it could exceed 140 bytes.
    pub fn templates(&self) -> Result<SmsTemplates, TemplateError> {
        let key = "sms_template";
        let found =
            find(key, self.sms_template.as_deref(), DEFAULT_SMS_TEMPLATE, &BUILT_IN_SMS_TEMPLATES, "sms-template")?;
        checked(found, key, |template, name| self.check_template(template, name))
    }

    /// What calls say: `voice_template` and the language versions beside it, or the ones that
    /// ship. Each is refused if it has no `{code}`.
    pub fn voice_templates(&self) -> Result<SmsTemplates, TemplateError> {
        let key = "voice_template";
        let path = self.voice_template.as_deref();
        let found = find(key, path, DEFAULT_VOICE_TEMPLATE, &BUILT_IN_VOICE_TEMPLATES, "voice-template")?;
        checked(found, key, |template, name| match template.contains("{code}") {
            true => Ok(()),
            false => Err(TemplateError::NoCode { template: name.into() }),
        })
    }

    /// The message `template` makes with any code, this config's lifetime and host, fits.
    fn check_template(&self, template: &str, name: &str) -> Result<(), TemplateError> {
        let minutes = self.code_lifetime.0.as_secs().div_ceil(60);
        let longest = render_message(template, &OtpCode::new("000000"), minutes, &self.sms_host);
        if longest.len() > MAX_MESSAGE_BYTES {
            return Err(TemplateError::TooLong {
                template: name.into(),
                bytes: longest.len(),
                host: self.sms_host.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{HumanDuration, MAX_CODE_LIFETIME, MAX_SMS_HOST_BYTES};
    use crate::locale::Language;

    #[test]
    fn every_template_that_ships_fits_with_the_longest_host_and_lifetime() {
        let config = ServerConfig {
            sms_host: "h".repeat(MAX_SMS_HOST_BYTES),
            code_lifetime: HumanDuration(MAX_CODE_LIFETIME),
            ..ServerConfig::default()
        };
        let templates = config.templates().expect("the shipped templates fit");
        for (tag, template) in BUILT_IN_SMS_TEMPLATES {
            assert!(template.contains("{code}") && template.contains("{minutes}"), "{tag}");
            assert_eq!(templates.for_locale(Some(tag)), template);
        }
        assert_eq!(templates.for_locale(Some("en")).trim(), DEFAULT_SMS_TEMPLATE.trim(), "English is the default");
    }

    #[test]
    fn every_kiosk_language_has_a_template() {
        for language in Language::ALL {
            assert!(BUILT_IN_SMS_TEMPLATES.iter().any(|(tag, _)| *tag == language.tag()), "{}", language.tag());
        }
    }

    #[test]
    fn a_locale_falls_back_to_its_language_then_the_default() {
        let templates = ServerConfig::default().templates().unwrap();
        let portuguese = include_str!("../../assets/sms-template.pt-BR.txt");
        assert_eq!(templates.for_locale(Some("pt-BR")), portuguese);
        assert_eq!(templates.for_locale(Some("PT-br")), portuguese, "tags are case-insensitive");
        assert_eq!(templates.for_locale(Some("es-MX")), include_str!("../../assets/sms-template.es.txt"));
        assert_eq!(templates.for_locale(Some("pt")), DEFAULT_SMS_TEMPLATE, "pt has no template of its own");
        assert_eq!(templates.for_locale(Some("it")), DEFAULT_SMS_TEMPLATE);
        assert_eq!(templates.for_locale(None), DEFAULT_SMS_TEMPLATE);
    }

    #[test]
    fn a_configured_template_takes_the_language_versions_beside_it_each_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sms.txt");
        std::fs::write(&path, "Code {code}").unwrap();
        std::fs::write(dir.path().join("sms.es.txt"), "Código {code}").unwrap();
        std::fs::write(dir.path().join("sms.pt-BR.txt"), "Código {code} ({minutes} min)").unwrap();
        std::fs::write(dir.path().join("sms.not a tag.txt"), "ignored").unwrap();
        std::fs::write(dir.path().join("other.fr.txt"), "ignored").unwrap();
        let config = ServerConfig { sms_template: Some(path.clone()), ..ServerConfig::default() };
        let templates = config.templates().unwrap();
        assert_eq!(templates.languages().collect::<Vec<_>>(), ["es", "pt-br"]);
        assert_eq!(templates.for_locale(Some("es")), "Código {code}");
        assert_eq!(templates.for_locale(Some("fr")), "Code {code}", "no French beside it: the configured default");

        std::fs::write(dir.path().join("sms.de.txt"), "x".repeat(120) + " {code}").unwrap();
        let err = config.templates().unwrap_err().to_string();
        assert!(err.contains("sms.de.txt makes a 152-byte message"), "{err}");
    }

    #[test]
    fn every_call_that_ships_says_the_code_twice_digit_by_digit_in_every_kiosk_language() {
        let templates = ServerConfig::default().voice_templates().unwrap();
        for language in Language::ALL {
            let template = templates.for_locale(Some(language.tag()));
            assert_eq!(template.matches("{code}").count(), 2, "{}", language.tag());
            assert_eq!(
                templates.language_for(Some(language.tag())),
                Some(language.tag().to_ascii_lowercase().as_str())
            );
        }
        let said = render_voice(templates.for_locale(Some("es")), &OtpCode::new("480159"));
        assert_eq!(said.matches("4, 8, 0, 1, 5, 9").count(), 2, "{said}");
        assert!(said.starts_with("Tu código"), "{said}");
        assert_eq!(templates.for_locale(Some("it")), DEFAULT_VOICE_TEMPLATE);
        assert_eq!(templates.language_for(Some("it")), None);
    }

    #[test]
    fn a_configured_call_without_the_code_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.txt");
        std::fs::write(&path, "Code {code}, again {code}").unwrap();
        std::fs::write(dir.path().join("call.es.txt"), "Hola").unwrap();
        let config = ServerConfig { voice_template: Some(path), ..ServerConfig::default() };
        let err = config.voice_templates().unwrap_err().to_string();
        assert!(err.contains("call.es.txt has no {code}"), "{err}");
    }

    #[test]
    fn language_tags_are_checked() {
        for good in ["es", "pt-BR", "zh-Hans-CN", "fil"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "e", "english", "pt_BR", "../x", "es-", "es-toolongsubtag", "zh-中文"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
