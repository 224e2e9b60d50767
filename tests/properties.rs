//! Property tests of the parsers that take input from people and the network: phone numbers,
//! the control protocol, config files. Arbitrary input gives an answer — a value or a clear
//! error — never a panic, and never a change where the input was refused. `PROPTEST_CASES`
//! raises the number of cases for a longer run (RELIABILITY.md).

use std::path::Path;

use proptest::prelude::*;
use shiftkey::config::{ConfigFile, KioskConfig, ServerConfig};
use shiftkey::control::protocol::{ControlAnswer, Request, parse_request};
use shiftkey::kiosk::fixtures;
use shiftkey::kiosk::state::{ControlId, Effect, Event, Screen};
use shiftkey::kiosk::update::update;
use shiftkey::phone::{MAX_INPUT_CHARS, PhoneNumber, format_as_typed};

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

/// A fixed seed in a plain `cargo test` (the suite must not flake); `PROPTEST_CASES` for a
/// longer, random search.
fn config() -> ProptestConfig {
    match std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()) {
        Some(cases) => ProptestConfig { cases, ..ProptestConfig::default() },
        None => ProptestConfig { rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed), ..ProptestConfig::default() },
    }
}

proptest! {
    #![proptest_config(config())]

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
