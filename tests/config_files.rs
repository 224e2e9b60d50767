//! The example configs in `assets/` show every key with its default, except the keys whose
//! comment says "differs from the default". A default changed in code without its example fails
//! here, and so does a marker on a value that is the default after all.

use std::path::Path;

use shiftkey::config::{ConfigFile, KioskConfig, ServerConfig, SmsConfig};

const MARKER: &str = "differs from the default";

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name)).expect("example config")
}

/// The dotted names of the keys marked as differing ("session.run_as"), read off the file's
/// lines: a key line is `key = value  # comment`, below its `[table]` header.
fn marked_keys(text: &str) -> Vec<Vec<String>> {
    let mut table: Vec<String> = Vec::new();
    let mut marked = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.starts_with('#')) {
        if let Some(header) = line.strip_prefix('[') {
            let name = header.split(']').next().expect("a table header");
            table = name.split('.').map(|part| part.trim().to_string()).collect();
        } else if line.contains(MARKER) {
            let key = line.split('=').next().expect("a key line").trim().to_string();
            marked.push(table.iter().cloned().chain([key]).collect());
        }
    }
    marked
}

/// The file's TOML with `key` taken out.
fn without(mut table: toml::Table, key: &[String]) -> toml::Table {
    let (last, tables) = key.split_last().expect("a key");
    let mut inner = &mut table;
    for name in tables {
        inner = inner.get_mut(name).and_then(toml::Value::as_table_mut).expect("the key's table");
    }
    assert!(inner.remove(last).is_some(), "marked key {} is not in the file", key.join("."));
    table
}

fn parse<C: ConfigFile>(table: &toml::Table, what: &str) -> C {
    C::from_toml(&table.to_string(), Path::new(what)).unwrap_or_else(|err| panic!("{err}"))
}

/// Checks one example: it loads; without its marked keys it is exactly `C::default()`; and
/// each marked key does change something. Returns the marked keys.
fn check_example<C: ConfigFile + Default + PartialEq + std::fmt::Debug>(name: &str) -> Vec<String> {
    let text = example(name);
    let as_written = C::from_toml(&text, Path::new(name)).unwrap_or_else(|err| panic!("{err}"));
    let table: toml::Table = text.parse().expect("TOML");
    let marked = marked_keys(&text);
    let unmarked = marked.iter().fold(table.clone(), |table, key| without(table, key));
    assert_eq!(
        parse::<C>(&unmarked, name),
        C::default(),
        "{name}, but for the keys marked \"{MARKER}\", must be the defaults: update the file or mark the key"
    );
    for key in &marked {
        assert_ne!(
            parse::<C>(&without(table.clone(), key), name),
            as_written,
            "{name}: {} is marked \"{MARKER}\" but is the default",
            key.join(".")
        );
    }
    marked.iter().map(|key| key.join(".")).collect()
}

#[test]
fn the_kiosk_example_is_the_defaults_but_for_its_marked_keys() {
    let marked = check_example::<KioskConfig>("kiosk.example.toml");
    // The host name and the run_as account can't be defaults, so the example sets them.
    assert_eq!(marked, ["name", "session.run_as"]);
}

#[test]
fn the_server_example_is_the_defaults() {
    assert_eq!(check_example::<ServerConfig>("server.example.toml"), Vec::<String>::new());
}

#[test]
fn the_server_examples_commented_out_gateways_load() {
    let text = example("server.example.toml");
    // Each `# [sms]` block: the commented-out lines after it, up to a blank line.
    let mut blocks: Vec<String> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "# [sms]" {
            let body = lines.by_ref().take_while(|l| !l.trim().is_empty()).map(|l| l.trim_start_matches("# "));
            blocks.push(std::iter::once("[sms]").chain(body).collect::<Vec<_>>().join("\n"));
        }
    }
    let mut kinds: Vec<&str> = Vec::new();
    for block in &blocks {
        let config =
            ServerConfig::from_toml(block, Path::new("server.example.toml")).unwrap_or_else(|err| panic!("{err}"));
        kinds.push(match config.sms {
            SmsConfig::Outbox { .. } => "outbox",
            SmsConfig::Twilio { .. } => "twilio",
            SmsConfig::Webhook { .. } => "webhook",
        });
    }
    assert_eq!(kinds, ["twilio", "webhook"]);
}
