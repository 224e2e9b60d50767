//! SCIM filters and PATCH paths over real HTTP: whatever a client sends, a real `shiftkey
//! serve` answers with a result or a 400 and a SCIM error body — never a 500 — and a refused
//! PATCH changes nothing. (The parsers' own properties are unit tests in `server::scim::filter`
//! and `server::scim::patch`.) `PROPTEST_CASES` raises the number of cases (RELIABILITY.md).

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use common::scim::{Answer, ScimServer};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Value, json};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Filters made of the grammar's words, right and wrong, and any text at all.
fn filter() -> impl Strategy<Value = String> {
    let words = "((userName|externalId|id|displayName|title|emails|emails\\[type eq \"work\"\\]\\.value|members\\.value\
                 |eq|ne|co|sw|pr|gt|and|or|not|\\(|\\)|\\[|\\]|true|null|1e9|\"[^\"]{0,6}\"|\\\\\"|[a-z]{1,5}) ?){0,12}";
    prop_oneof![3 => words, 1 => any::<String>()]
}

/// PATCH paths: attribute, value filter and sub-attribute, each right or wrong; the grammar's
/// words in any order; any text at all.
fn path() -> impl Strategy<Value = String> {
    let formed = "(urn:ietf:params:scim:schemas:core:2\\.0:User:)?(userName|displayName|name|emails|phoneNumbers|roles\
                  |active|id|meta|nickName|shoeSize)(\\[(type|value|primary) (eq|pr|co) (\"work\"|\"x\"|true)\\])?\
                  (\\.(givenName|value|type|display|nope))?";
    let words =
        "((userName|name|givenName|emails|value|type|\\.|\\[|\\]| eq | pr| and | or |\"[^\"]{0,6}\"|[a-z]{1,5})){0,8}";
    prop_oneof![3 => formed, 1 => words, 1 => any::<String>()]
}

fn value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        Value::Null,
        json!("x"),
        json!(true),
        json!(7),
        json!({ "givenName": "G", "value": "v@x", "type": "work" }),
        json!([{ "value": "v@x", "type": "work" }]),
        json!({ "nope": 1 }),
        json!([1, "two"]),
    ])
}

/// The suite's seed and `PROPTEST_CASES`; a runner outside `proptest!` has no source file to
/// keep failures beside.
fn runner_config(default_cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config { failure_persistence: None, ..common::proptest_config(default_cases) }
}

/// A 400 with a SCIM error body whose `scimType` is one of `kinds`.
fn refused(answer: &Answer, kinds: &[&str]) -> Result<(), TestCaseError> {
    let body = &answer.body;
    let well_formed = body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error"
        && body["status"] == "400"
        && body["scimType"].as_str().is_some_and(|kind| kinds.contains(&kind))
        && body["detail"].as_str().is_some_and(|detail| !detail.is_empty());
    prop_assert!(well_formed, "not a SCIM error of {:?}: {}", kinds, body);
    Ok(())
}

/// The statuses a run got, counted; both a success and a refusal must be among them, or the
/// cases never reached one side.
struct Statuses(Mutex<BTreeMap<u16, usize>>);

impl Statuses {
    fn new() -> Self {
        Statuses(Mutex::new(BTreeMap::new()))
    }

    fn count(&self, answer: &Answer) {
        *self.0.lock().unwrap().entry(answer.status.as_u16()).or_default() += 1;
    }

    fn assert_both_sides_reached(&self, what: &str) {
        let seen = self.0.lock().unwrap();
        eprintln!("{what}: statuses {seen:?}");
        assert!(seen.keys().any(|s| (200..300).contains(s)) && seen.contains_key(&400), "{what}: only {seen:?}");
    }
}

#[test]
fn any_filter_is_a_list_or_an_invalid_filter_never_a_500() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = ScimServer::start();
    let mut runner = TestRunner::new(runner_config(256));
    let statuses = Statuses::new();
    let cases = (prop::sample::select(vec!["Users", "Groups"]), filter());
    let outcome = runner.run(&cases, |(resource, filter)| {
        let query: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        let answer = runtime.block_on(server.call("GET", &format!("/{resource}?filter={query}"), None));
        statuses.count(&answer);
        match answer.status.as_u16() {
            200 => prop_assert!(answer.body["Resources"].is_array(), "{}", answer.body),
            400 => refused(&answer, &["invalidFilter"])?,
            status => prop_assert!(false, "{filter:?}: {status} {}", answer.body),
        }
        Ok(())
    });
    outcome.unwrap_or_else(|failure| panic!("{failure}"));
    statuses.assert_both_sides_reached("filters");
}

#[test]
fn any_patch_is_applied_or_refused_changing_nothing_never_a_500() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = ScimServer::start();
    let alex = format!("/Users/{}", runtime.block_on(server.id_of("alex")));
    let mut runner = TestRunner::new(runner_config(128));
    let ops = prop_oneof![4 => prop::sample::select(vec!["add", "Replace", "remove"]), 1 => prop::sample::select(vec!["move", ""])];
    let statuses = Statuses::new();
    let cases = (ops, prop::option::of(path()), prop::option::of(value()));
    let outcome = runner.run(&cases, |(op, path, value)| {
        let mut operation = json!({ "op": op });
        if let Some(path) = &path {
            operation["path"] = json!(path);
        }
        if let Some(value) = &value {
            operation["value"] = value.clone();
        }
        let body = json!({ "schemas": [PATCH], "Operations": [operation] }).to_string();
        let before = runtime.block_on(server.call("GET", &alex, None));
        let answer = runtime.block_on(server.call("PATCH", &alex, Some(&body)));
        statuses.count(&answer);
        match answer.status.as_u16() {
            200 | 204 => {}
            400 => {
                let kinds = ["invalidPath", "invalidValue", "invalidSyntax", "invalidFilter", "noTarget", "mutability"];
                refused(&answer, &kinds)?;
                let after = runtime.block_on(server.call("GET", &alex, None));
                prop_assert_eq!(&after.body, &before.body, "a refused {} changed alex", body);
            }
            // A userName or phone number another user holds.
            409 => prop_assert_eq!(&answer.body["scimType"], "uniqueness"),
            status => prop_assert!(false, "{body}: {status} {}", answer.body),
        }
        Ok(())
    });
    outcome.unwrap_or_else(|failure| panic!("{failure}"));
    statuses.assert_both_sides_reached("PATCH");
}
