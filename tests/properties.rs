//! Property tests of the parsers that take input from people and the network: phone numbers,
//! the control protocol, config files. Arbitrary input gives an answer — a value or a clear
//! error — never a panic, and never a change where the input was refused. `PROPTEST_CASES`
//! raises the number of cases for a longer run (RELIABILITY.md).

mod common;

use std::path::Path;

use proptest::prelude::*;
use shiftkey::config::{ConfigFile, KioskConfig, ServerConfig, is_language_tag};
use shiftkey::control::protocol::{ControlAnswer, Request, parse_request};
use shiftkey::kiosk::fixtures;
use shiftkey::kiosk::state::{ControlId, Effect, Event, Screen};
use shiftkey::kiosk::update::update;
use shiftkey::phone::{MAX_INPUT_CHARS, PhoneNumber, format_as_typed, has_api_form};
use shiftkey::secret::OtpCode;
use shiftkey::server::otp;

/// Regions on every continent, big and small numbering plans.
const REGIONS: [&str; 24] = [
    "US", "CA", "GB", "DE", "FR", "ES", "IT", "PL", "PT", "BR", "MX", "AR", "IN", "CN", "JP", "VN", "AU", "NZ", "ZA",
    "NG", "EG", "SE", "CH", "SG",
];

/// What people type into a number field, and worse.
fn typed() -> impl Strategy<Value = String> {
    let alphabet = prop_oneof![
        8 => prop::char::range('0', '9'),
        2 => prop::sample::select(vec!['+', ' ', '-', '(', ')', '.', '/', '#', '*']),
        1 => any::<char>(),
    ];
    prop::collection::vec(alphabet, 0..=MAX_INPUT_CHARS + 8).prop_map(|chars| chars.into_iter().collect())
}

/// A string field of the HTTP API's request bodies as `assets/openapi.json` states it: its
/// pattern (JSON Schema's: `$` is the end of the text, as in `regex`), lengths and example.
struct Documented {
    name: String,
    pattern: regex::Regex,
    min: usize,
    max: usize,
    example: String,
}

impl Documented {
    /// `schema.property` (following one `$ref`); panics when the document states no pattern.
    fn of(schema: &str, property: &str) -> Documented {
        let spec: serde_json::Value = serde_json::from_str(include_str!("../assets/openapi.json")).unwrap();
        let schemas = &spec["components"]["schemas"];
        let mut rules = &schemas[schema]["properties"][property];
        if let Some(target) = rules["$ref"].as_str() {
            rules = &schemas[target.trim_start_matches("#/components/schemas/")];
        }
        let name = format!("{schema}.{property}");
        let text = |key: &str| rules[key].as_str().unwrap_or_else(|| panic!("{name} states no {key}")).to_string();
        let length = |key: &str| rules[key].as_u64().map(|n| n as usize);
        Documented {
            pattern: regex::Regex::new(&text("pattern")).unwrap(),
            min: length("minLength").unwrap_or(0),
            max: length("maxLength").unwrap_or(usize::MAX),
            example: text("example"),
            name,
        }
    }

    fn allows(&self, text: &str) -> bool {
        (self.min..=self.max).contains(&text.chars().count()) && self.pattern.is_match(text)
    }

    /// Strings the pattern allows, and near misses: cut, doubled, or with a stray character.
    fn near(&self) -> impl Strategy<Value = String> + use<> {
        let source = self.pattern.as_str().trim_start_matches('^').trim_end_matches('$');
        let allowed = proptest::string::string_regex(source).unwrap();
        let stray = prop_oneof![
            4 => prop::char::range(' ', '~'),
            1 => prop::sample::select(vec!['\n', '\t', '\u{a0}', '\u{ff10}']),
            1 => any::<char>(),
        ];
        (allowed, any::<prop::sample::Index>(), prop::option::of(stray), 0..3usize).prop_map(
            |(text, at, stray, cut)| {
                let mut chars: Vec<char> = text.chars().collect();
                let at = at.index(chars.len() + 1);
                match (stray, cut) {
                    (Some(stray), _) => chars.insert(at, stray),
                    (None, 1) => chars.truncate(at),
                    (None, 2) => chars.extend_from_within(..),
                    _ => {}
                }
                chars.into_iter().collect()
            },
        )
    }

    /// The example with every ASCII character put in, and put instead, at every place.
    fn example_with_each_ascii_character(&self) -> Vec<String> {
        let chars: Vec<char> = self.example.chars().collect();
        let mut variants = Vec::new();
        for c in (0u8..128).map(char::from) {
            for at in 0..=chars.len() {
                let mut inserted = chars.clone();
                inserted.insert(at, c);
                variants.push(inserted.into_iter().collect());
                if at < chars.len() {
                    let mut replaced = chars.clone();
                    replaced[at] = c;
                    variants.push(replaced.into_iter().collect());
                }
            }
        }
        variants
    }
}

/// A field as the document states it, and the server's own test of its form.
type Field = (Documented, fn(&str) -> bool);

/// The sign-in fields whose form the document states.
static SIGN_IN_FIELDS: std::sync::LazyLock<[Field; 3]> = std::sync::LazyLock::new(|| {
    [
        (Documented::of("StartRequest", "phone"), has_api_form),
        (Documented::of("StartRequest", "locale"), is_language_tag),
        (Documented::of("VerifyRequest", "code"), |code| otp::is_well_formed(&OtpCode::new(code))),
    ]
});

/// The document's rules for a sign-in field are the server's: what it calls well-formed isn't
/// refused for its form, and what it refuses the server refuses.
#[test]
fn the_documents_patterns_are_the_servers_rules_for_every_ascii_character() {
    for (field, server_allows) in SIGN_IN_FIELDS.iter() {
        assert!(field.allows(&field.example) && server_allows(&field.example), "{}: the example", field.name);
        for text in field.example_with_each_ascii_character() {
            assert_eq!(field.allows(&text), server_allows(&text), "{} {text:?}", field.name);
        }
    }
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    /// The same for strings near what the document allows, and any string at all.
    #[test]
    fn the_documents_patterns_are_the_servers_rules(
        (field, text) in (0..3usize).prop_flat_map(|i| {
            let near = SIGN_IN_FIELDS[i].0.near();
            (Just(i), prop_oneof![3 => near, 1 => any::<String>()])
        }),
    ) {
        let (documented, server_allows) = &SIGN_IN_FIELDS[field];
        prop_assert_eq!(documented.allows(&text), server_allows(&text), "{} {:?}", documented.name, text);
    }

    #[test]
    fn any_typed_number_in_any_region_parses_or_says_why(input in typed(), region in prop::sample::select(REGIONS.to_vec())) {
        let shown = format_as_typed(&input, region);
        prop_assert!(shown.chars().count() <= 2 * input.chars().count() + 8, "{input:?} shown as {shown:?}");
        match PhoneNumber::parse(&input, region) {
            Ok(number) => {
                prop_assert!(number.e164().starts_with('+'));
                let again = PhoneNumber::parse(number.e164(), region).expect("an E.164 number parses again");
                prop_assert_eq!(again.e164(), number.e164());
                let masked = number.masked();
                let digits: String = masked.chars().filter(char::is_ascii_digit).collect();
                prop_assert!(digits.len() < number.e164().len() - 1, "{:?} masked as {:?} shows every digit", number.e164(), masked);
            }
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    /// Any line on the control socket is a request or a JSON error; a request reads back the same.
    #[test]
    fn any_control_line_is_a_request_or_a_json_error(line in prop_oneof![
        any::<String>(),
        "\\{\"command\": *\"(status|reset|lock|unlock|reboot)\"(, *\"(reason|message|force)\": *(\"[^\"]{0,20}\"|[0-9]+|null|true))?\\}",
    ]) {
        match parse_request(&line) {
            Ok(request) => {
                let written = serde_json::to_string(&request).unwrap();
                prop_assert_eq!(parse_request(&written).unwrap(), request);
            }
            Err(refused) => {
                let answer = ControlAnswer::from(refused);
                let json: serde_json::Value = serde_json::from_str(&answer.to_json()).unwrap();
                prop_assert_eq!(&json["ok"], false);
                prop_assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
            }
        }
    }

    /// A lock message the kiosk refuses changes nothing: no lock, no screen change, no effect
    /// but the refusal.
    #[test]
    fn a_refused_lock_message_changes_nothing(message in any::<String>()) {
        let mut state = fixtures::phone_typed();
        let before = format!("{:?}", state.screen);
        let effects = update(&mut state, Event::Control(ControlId(1), Request::Lock { message: Some(message.clone()) }));
        if let [Effect::Answer(_, ControlAnswer::Error(_))] = &effects[..] {
            prop_assert!(state.locked.is_none());
            prop_assert_eq!(format!("{:?}", state.screen), before);
        } else {
            prop_assert!(matches!(state.screen, Screen::Locked), "{message:?} accepted but not locked");
            let shown = state.locked.clone().unwrap();
            prop_assert!(!shown.chars().any(char::is_control) && shown.chars().count() <= 200);
        }
    }

    /// Any text as a config file: a config or an error that says where, never a panic.
    #[test]
    fn any_text_as_a_config_file_is_a_config_or_an_error(text in prop_oneof![
        any::<String>(),
        "([a-z_]{1,12} = (\"[a-z0-9 ]{0,8}\"|[0-9]{1,12}|true|\\[\\]|\\{\\})\n|\\[[a-z_.]{1,16}\\]\n){0,8}",
    ]) {
        let kiosk = KioskConfig::from_toml(&text, Path::new("k.toml")).err().map(|e| e.to_string());
        let server = ServerConfig::from_toml(&text, Path::new("s.toml")).err().map(|e| e.to_string());
        for message in kiosk.into_iter().chain(server) {
            prop_assert!(message.contains(".toml"), "the error names the file: {message}");
        }
    }

    /// A known key with a value of the wrong kind: the error names the key.
    #[test]
    fn a_known_key_with_a_wrong_value_is_named(
        (table, key) in prop::sample::select(vec![
            ("", "name"), ("", "default_region"), ("session", "idle_timeout"), ("session", "command"),
            ("session", "sandbox"), ("session", "recheck"), ("keys", "sign_out"), ("manager", "roles"),
            ("backend", "kind"), ("backend", "timeout"), ("backend", "code_length"), ("display", "glyphs"),
        ]),
        value in prop::sample::select(vec!["true", "-7", "\"not-a-thing\"", "[1, 2]", "{ x = 1 }", "\"\""]),
    ) {
        let text = if table.is_empty() { format!("{key} = {value}\n") } else { format!("[{table}]\n{key} = {value}\n") };
        if let Err(err) = KioskConfig::from_toml(&text, Path::new("k.toml")) {
            let message = err.to_string();
            prop_assert!(message.contains(key), "{text:?} refused without naming {key}: {message}");
        }
    }
}

/// Every challenge id the server hands out has the form the document gives it.
#[test]
fn issued_challenge_ids_have_the_documented_form() {
    let ids = Documented::of("ResendRequest", "challenge_id");
    for _ in 0..1000 {
        let id = otp::new_challenge_id();
        assert!(ids.allows(&id), "{id:?}");
    }
}
