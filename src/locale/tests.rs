//! Every translation is complete, parses cleanly and takes the same arguments as English;
//! every message is used. (What each needs of the terminal: `kiosk::view::glyphs`' tests.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use fluent_bundle::{FluentBundle, FluentResource};
use fluent_syntax::ast;

use super::Language;

/// Each message of a language's file, with the variables it uses.
fn messages(language: Language) -> BTreeMap<String, BTreeSet<String>> {
    let resource = FluentResource::try_new(language.source().to_string())
        .unwrap_or_else(|(_, errors)| panic!("{} doesn't parse: {errors:?}", language.tag()));
    let mut messages = BTreeMap::new();
    for entry in resource.entries() {
        match entry {
            ast::Entry::Message(message) => {
                let mut variables = BTreeSet::new();
                if let Some(pattern) = &message.value {
                    pattern_variables(pattern, &mut variables);
                }
                assert!(
                    message.attributes.is_empty(),
                    "{}: {} has attributes: unused",
                    language.tag(),
                    message.id.name
                );
                let id = message.id.name.to_string();
                assert!(messages.insert(id.clone(), variables).is_none(), "{}: {id} twice", language.tag());
            }
            ast::Entry::Term(term) => panic!("{}: term -{}: the kiosk uses none", language.tag(), term.id.name),
            ast::Entry::Junk { content } => panic!("{}: junk {content:?}", language.tag()),
            ast::Entry::Comment(_) | ast::Entry::GroupComment(_) | ast::Entry::ResourceComment(_) => {}
        }
    }
    messages
}

fn pattern_variables(pattern: &ast::Pattern<&str>, variables: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, variables);
        }
    }
}

fn expression_variables(expression: &ast::Expression<&str>, variables: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, variables);
            for variant in variants {
                pattern_variables(&variant.value, variables);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, variables),
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, variables: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            variables.insert(id.name.to_string());
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, variables),
        _ => {}
    }
}

#[test]
fn every_file_parses_and_loads_without_errors() {
    for language in Language::ALL {
        let resource = FluentResource::try_new(language.source().to_string());
        assert!(resource.is_ok(), "{}: {:?}", language.tag(), resource.err().map(|(_, errors)| errors));
        let mut bundle = FluentBundle::new(vec![language.tag().parse().unwrap()]);
        assert!(bundle.add_resource(resource.unwrap()).is_ok(), "{}", language.tag());
    }
}

#[test]
fn every_language_has_every_message_with_the_same_arguments_and_no_other() {
    let english = messages(Language::English);
    assert!(english.len() > 50, "English has its messages");
    let mut problems = Vec::new();
    for language in Language::ALL {
        let tag = language.tag();
        let translated = messages(language);
        for (id, variables) in &english {
            match translated.get(id) {
                None => problems.push(format!("{tag} lacks {id}")),
                Some(theirs) if theirs != variables => {
                    problems.push(format!("{tag}: {id} takes {theirs:?}, English {variables:?}"))
                }
                Some(_) => {}
            }
        }
        let extra = translated.keys().filter(|id| !english.contains_key(*id));
        problems.extend(extra.map(|id| format!("{tag} has {id}, which English hasn't (unused)")));
    }
    assert!(problems.is_empty(), "translations out of step:\n{}", problems.join("\n"));
}

/// Every .rs file under `dir`, but this module's (its tests name messages without using them).
fn sources(dir: &Path, text: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.ends_with("locale") {
            sources(&path, text);
        } else if path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("tests.rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_message_is_used_by_the_code() {
    let mut code = String::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut code);
    let unused: Vec<String> =
        messages(Language::English).into_keys().filter(|id| !code.contains(&format!("\"{id}\""))).collect();
    assert!(unused.is_empty(), "messages no code uses: {unused:?}");
}

#[test]
fn plurals_follow_each_language_s_rules() {
    let wrong = |language: Language, n: u32| crate::tr!(language, "code-wrong", attempts_left = n);
    assert_eq!(wrong(Language::English, 1), "That code isn't right — 1 try left");
    assert_eq!(wrong(Language::English, 3), "That code isn't right — 3 tries left");
    assert_eq!(wrong(Language::Polish, 1), "Błędny kod — została 1 próba");
    assert_eq!(wrong(Language::Polish, 3), "Błędny kod — zostały 3 próby");
    assert_eq!(wrong(Language::Polish, 5), "Błędny kod — zostało 5 prób");
    assert_eq!(wrong(Language::Spanish, 1), "Código incorrecto — te queda 1 intento");
    assert_eq!(wrong(Language::Spanish, 4), "Código incorrecto — te quedan 4 intentos");
    assert_eq!(wrong(Language::ChineseSimplified, 4), "验证码不正确，还可尝试 4 次");
}

#[test]
fn arguments_are_not_wrapped_in_isolation_marks() {
    let text = crate::tr!(Language::German, "welcome", name = "Alex Rivera");
    assert_eq!(text, "Willkommen, Alex Rivera");
}

#[test]
fn tags_parse_case_insensitively_and_others_are_refused() {
    assert_eq!(Language::from_tag("pt-br"), Some(Language::PortugueseBrazil));
    assert_eq!(Language::from_tag("zh-CN"), Some(Language::ChineseSimplified));
    assert_eq!(Language::from_tag("it"), None);
    let err = toml::from_str::<BTreeMap<String, Language>>("language = \"it\"").unwrap_err().to_string();
    assert!(err.contains("unknown language \"it\": use one of en, es, fr, de, pt-BR, pl, vi, zh-CN"), "{err}");
}

#[test]
fn every_language_names_the_regions_the_kiosk_names_in_english() {
    // phone::region_name's table, and the regions of the kiosk's languages.
    let codes = [
        "US", "CA", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "PT",
        "IN", "AU", "NZ", "JP", "MX", "BR", "ZA", "SG", "VN", "CN",
    ];
    for language in Language::ALL {
        for code in codes {
            let name = crate::tr!(language, "region-name", code = code);
            assert_ne!(name, code, "{} has no name for {code}", language.tag());
            if language == Language::English {
                assert_eq!(name, crate::phone::region_name(code), "the screens and the server's messages agree");
            }
        }
        assert_eq!(crate::tr!(language, "region-name", code = "KE"), "KE", "an unnamed region shows its code");
    }
}
