//! `shiftkey admin`: the commands an operator sets the backend up with.

mod common;

use common::admin;

#[test]
fn setup_commands_from_the_readme_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let (ok, out, _) = admin(&db, &["policy", "show"]);
    assert!(ok);
    assert!(out.contains("enabled:         yes"), "{out}");
    let (ok, out, _) = admin(&db, &["user", "show", "alex"]);
    assert!(ok);
    assert!(out.contains("phone (mobile): +12065550100"), "{out}");
    let (ok, out, _) = admin(&db, &["--json", "user", "list"]);
    assert!(ok);
    let users: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert_eq!(users[1]["roles"][0], "kiosk-manager");
}

#[test]
fn malformed_number_shows_the_expected_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    for number in ["206-555", "2065550100", "hello"] {
        let (ok, _, err) = admin(&db, &["phone", "set", "alex", number]);
        assert!(!ok, "{number} was accepted");
        assert!(err.contains("\"+1 206 555 0100\""), "{number}: {err}");
    }
}

#[test]
fn entra_article_example_number_is_refused_as_not_valid() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let (ok, _, err) = admin(&db, &["phone", "set", "alex", "+1 4251234567"]);
    assert!(!ok);
    assert!(err.contains("isn't a valid mobile number for United States"), "{err}");
}

#[test]
fn a_number_cannot_belong_to_two_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let (ok, _, err) = admin(&db, &["phone", "set", "jordan", "+1 206 555 0100"]);
    assert!(!ok);
    assert!(err.contains("already assigned to another user"), "{err}");
    assert!(!err.contains("alex") && !err.contains("Alex"), "names nobody: {err}");
}

#[test]
fn errors_say_what_to_do_next() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let (ok, _, err) = admin(&db, &["phone", "set", "nobody", "+1 206 555 0101"]);
    assert!(!ok);
    assert!(err.contains("user list"), "{err}");
    let (ok, _, err) = admin(&db, &["user", "add", "alex", "--display-name", "Again"]);
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    let (ok, _, err) = admin(&db, &["policy", "set"]);
    assert!(!ok);
    assert!(err.contains("nothing to change"), "{err}");
}
