//! `shiftkey admin`: every command's happy path and its errors, as an operator runs them.

mod common;

use std::path::Path;

use common::admin;
use serde_json::Value;

fn ok(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = admin(db, args);
    assert!(ok, "admin {args:?} failed: {err}");
    out
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    serde_json::from_str(&ok(db, &full)).unwrap_or_else(|e| panic!("admin {args:?} printed no JSON: {e}"))
}

/// Runs a command that must fail; returns its stderr.
fn fails(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = admin(db, args);
    assert!(!ok, "admin {args:?} succeeded: {out}");
    assert!(!err.trim().is_empty(), "a failure says why");
    err
}

fn seeded() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    (dir, db)
}

#[test]
fn setup_commands_from_the_readme_work() {
    let (_dir, db) = seeded();
    assert!(ok(&db, &["policy", "show"]).contains("enabled:         yes"));
    let out = ok(&db, &["user", "show", "alex"]);
    assert!(out.contains("phone (mobile): +12065550100"), "{out}");
    assert!(out.contains("SMS sign-in:    ✓ enabled"), "{out}");
    let users = json(&db, &["user", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_eq!(users[1]["roles"][0], "kiosk-manager");
}

#[test]
fn policy_targets_groups_and_user_show_explains_each_reason_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    ok(&db, &["user", "add", "sam", "--display-name", "Sam Okafor"]);
    // A fresh directory: every reason at once, in the article's order.
    let show = json(&db, &["user", "show", "sam"]);
    ok(&db, &["user", "disable", "sam"]);
    ok(&db, &["group", "add", "tills"]);
    ok(&db, &["policy", "set", "--target-group", "tills"]);
    let show_all = json(&db, &["user", "show", "sam"]);
    assert_eq!(show["sms_sign_in"]["enabled"], false);
    let reasons: Vec<&str> =
        show_all["sms_sign_in"]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        vec![
            "the SMS sign-in policy is disabled",
            "\"use for sign-in\" is off in the SMS policy",
            "the user is not targeted by the SMS policy",
            "the user has no mobile number",
            "the user is disabled",
        ]
    );
    let text = ok(&db, &["user", "show", "sam"]);
    assert!(text.contains("✗ not enabled"), "{text}");
    assert!(text.contains("fix: shiftkey admin --db DB policy set --enabled true"), "{text}");

    // Clear them one by one; each step removes exactly the first reason.
    let steps: [&[&str]; 5] = [
        &["policy", "set", "--enabled", "true"],
        &["policy", "set", "--use-for-sign-in", "true"],
        &["user", "add-to-group", "sam", "tills"],
        &["phone", "set", "sam", "+1 206 555 0102"],
        &["user", "enable", "sam"],
    ];
    for (cleared, step) in steps.iter().enumerate() {
        ok(&db, step);
        let left = json(&db, &["user", "show", "sam"])["sms_sign_in"]["reasons"].as_array().unwrap().len();
        assert_eq!(left, 4 - cleared, "after {step:?}");
    }
    assert!(ok(&db, &["user", "show", "sam"]).contains("✓ enabled"));
    let policy = json(&db, &["policy", "show"]);
    assert_eq!(policy["target"], "groups");
    assert_eq!(policy["target_groups"][0], "tills");
    let groups = json(&db, &["group", "list"]);
    assert_eq!(groups[0]["members"], 1);
    // Leaving the group untargets the user again.
    ok(&db, &["user", "remove-from-group", "sam", "tills"]);
    assert_eq!(
        json(&db, &["user", "show", "sam"])["sms_sign_in"]["reasons"][0],
        "the user is not targeted by the SMS policy"
    );
    ok(&db, &["policy", "set", "--target", "all"]);
    assert_eq!(json(&db, &["user", "show", "sam"])["sms_sign_in"]["enabled"], true);
}

#[test]
fn phone_types_set_and_remove() {
    let (_dir, db) = seeded();
    ok(&db, &["phone", "set", "alex", "+1 206 555 0103", "--type", "alternate-mobile"]);
    ok(&db, &["phone", "set", "alex", "+44 7911 123456", "--type", "other"]);
    let phones = json(&db, &["user", "show", "alex"])["phones"].clone();
    assert_eq!(phones.as_array().unwrap().len(), 3, "{phones}");
    ok(&db, &["phone", "remove", "alex"]);
    let show = json(&db, &["user", "show", "alex"]);
    assert_eq!(show["sms_sign_in"]["reasons"][0], "the user has no mobile number", "only the Mobile phone signs in");
    let err = fails(&db, &["phone", "remove", "alex"]);
    assert!(err.contains("has no mobile phone to remove"), "{err}");
    ok(&db, &["phone", "remove", "alex", "--type", "other"]);
    let err = fails(&db, &["phone", "set", "alex", "+1 206 555 0104", "--type", "office"]);
    assert!(err.contains("mobile, alternate-mobile or other"), "{err}");
}

#[test]
fn malformed_number_shows_the_expected_format() {
    let (_dir, db) = seeded();
    for number in ["206-555", "2065550100", "hello", "+1 206"] {
        let err = fails(&db, &["phone", "set", "alex", number]);
        assert!(err.contains("\"+1 206 555 0100\""), "{number}: {err}");
    }
}

#[test]
fn entra_article_example_number_is_refused_as_not_valid() {
    let (_dir, db) = seeded();
    let err = fails(&db, &["phone", "set", "alex", "+1 4251234567"]);
    assert!(err.contains("not a valid number: a US exchange can't start with 1"), "{err}");
    assert!(err.contains("\"+1 206 555 0100\""), "{err}");
}

#[test]
fn numbers_that_cannot_receive_codes_are_refused() {
    let (_dir, db) = seeded();
    let err = fails(&db, &["phone", "set", "alex", "+1 800 555 0199"]);
    assert!(err.contains("toll-free"), "{err}");
    let err = fails(&db, &["phone", "set", "alex", "+1 900 555 0199"]);
    assert!(err.contains("premium-rate") || err.contains("not a valid number"), "{err}");
}

#[test]
fn a_number_cannot_belong_to_two_users() {
    let (_dir, db) = seeded();
    for kind in ["mobile", "other"] {
        let err = fails(&db, &["phone", "set", "jordan", "+1 206 555 0100", "--type", kind]);
        assert!(err.contains("already assigned to another user"), "{err}");
        assert!(!err.contains("alex") && !err.contains("Alex"), "names nobody: {err}");
    }
}

#[test]
fn errors_say_what_to_do_next() {
    let (_dir, db) = seeded();
    assert!(fails(&db, &["phone", "set", "nobody", "+1 206 555 0101"]).contains("user list"));
    assert!(fails(&db, &["user", "add", "alex", "--display-name", "Again"]).contains("already exists"));
    assert!(fails(&db, &["user", "add", "two words", "--display-name", "X"]).contains("without spaces"));
    assert!(fails(&db, &["user", "add", "x", "--display-name", " "]).contains("must not be empty"));
    assert!(fails(&db, &["policy", "set"]).contains("nothing to change"));
    assert!(fails(&db, &["policy", "set", "--target-group", "ghosts"]).contains("group add ghosts"));
    assert!(fails(&db, &["user", "add-to-group", "alex", "ghosts"]).contains("group list"));
    assert!(fails(&db, &["group", "add", " padded "]).contains("not padded with spaces"));
    assert!(fails(&db, &["policy", "set", "--target-group", "Night Shift"]).contains("`group add 'Night Shift'`"));
    ok(&db, &["group", "add", "tills"]);
    assert!(fails(&db, &["group", "add", "tills"]).contains("already exists"));
    assert!(fails(&db, &["user", "enable", "nobody"]).contains("user list"));
    assert!(fails(&db, &["sessions", "revoke", "nobody"]).contains("user list"));
    assert!(
        fails(&db, &["policy", "set", "--target", "all", "--target-group", "tills"]).contains("cannot be used with")
    );
}

#[test]
fn every_command_is_audited_without_full_numbers() {
    let (dir, db) = seeded();
    fails(&db, &["phone", "set", "jordan", "+1 206 555 0100"]);
    ok(&db, &["sessions", "revoke", "alex"]);
    let audit = std::fs::read_to_string(dir.path().join("shiftkey.db.audit.jsonl")).unwrap();
    let records: Vec<Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 7, "five set-up commands, one refused, one revoke");
    assert!(records.iter().all(|r| r["event"] == "admin" && r["actor"].is_string()));
    assert_eq!(records[5]["ok"], false);
    assert_eq!(records[6]["command"], "sessions revoke");
    assert!(!audit.contains("2065550100") && !audit.contains("206 555 0100"), "{audit}");
}

#[test]
fn group_names_are_display_names_everywhere_a_group_is_named() {
    let (_dir, db) = seeded();
    ok(&db, &["group", "add", "Contoso SMS Users"]);
    ok(&db, &["policy", "set", "--target-group", "Contoso SMS Users"]);
    ok(&db, &["user", "add-to-group", "alex", "Contoso SMS Users"]);
    let show = json(&db, &["user", "show", "alex"]);
    assert_eq!(show["user"]["groups"][0], "Contoso SMS Users");
    assert_eq!(show["sms_sign_in"]["enabled"], true);
    assert_eq!(json(&db, &["policy", "show"])["target_groups"][0], "Contoso SMS Users");
    assert!(fails(&db, &["group", "add", "contoso sms users"]).contains("already exists"), "unique whatever the case");
    let text = ok(&db, &["user", "show", "jordan"]);
    assert!(text.contains("not targeted"), "{text}");
    ok(&db, &["user", "remove-from-group", "alex", "Contoso SMS Users"]);
}

#[test]
fn deleting_a_user_ends_them_and_frees_their_number() {
    let (_dir, db) = seeded();
    assert!(ok(&db, &["user", "delete", "alex"]).contains("ended their sessions"));
    assert!(fails(&db, &["user", "show", "alex"]).contains("user list"));
    ok(&db, &["phone", "set", "jordan", "+1 206 555 0100", "--type", "other"]);
    assert!(fails(&db, &["user", "delete", "alex"]).contains("user list"));
}

#[test]
fn scim_tokens_are_shown_once_listed_by_name_and_revoked() {
    let (dir, db) = seeded();
    let created = json(&db, &["scim", "token", "create", "--name", "entra"]);
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 40, "256 random bits");
    let text = ok(&db, &["scim", "token", "create"]);
    assert!(text.contains("shown only this once") && text.contains("\"scim\""), "{text}");
    assert!(fails(&db, &["scim", "token", "create", "--name", "entra"]).contains("already exists"));
    let list = ok(&db, &["scim", "token", "list"]);
    assert!(list.contains("entra") && list.contains("scim") && !list.contains(&token), "{list}");
    assert_eq!(json(&db, &["scim", "token", "list"]).as_array().unwrap().len(), 2);
    ok(&db, &["scim", "token", "revoke", "entra"]);
    assert!(fails(&db, &["scim", "token", "revoke", "entra"]).contains("scim token list"));
    let audit = std::fs::read_to_string(dir.path().join("shiftkey.db.audit.jsonl")).unwrap();
    assert!(audit.contains("scim token create") && !audit.contains(&token), "the token is never audited");
}
