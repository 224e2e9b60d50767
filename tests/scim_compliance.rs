//! `scim2-tester` (PyPI: RFC 7643/7644 compliance checks) against a real `shiftkey serve`: no
//! check may fail. It reads `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`, then
//! creates, reads, lists, replaces, patches (add, replace, remove on every published
//! attribute) and deletes Users and Groups. `scripts/test` installs it in a venv under
//! `target/`; without it the test is skipped, or fails under `CI=true`.

mod common;

use std::process::Stdio;

use common::needs::{self, SCIM2_TESTER};
use common::scim::ScimServer;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn scim2_tester_finds_nothing_that_breaks_the_rfcs() {
    if !needs::requires(&[SCIM2_TESTER]) {
        return;
    }
    let server = ScimServer::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scim_compliance.py");
    let mut child = tokio::process::Command::new(SCIM2_TESTER.python().unwrap())
        .arg(script)
        .arg(&server.base)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the scim2-tester driver");
    // The token goes on stdin: never argv, never the environment.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(server.token.as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("scim2-tester finishes in 5 minutes")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the driver failed: {stderr}");
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let failures: Vec<&Value> =
        results.iter().filter(|r| r["status"] == "ERROR" || r["status"] == "CRITICAL").collect();
    assert!(
        failures.is_empty(),
        "scim2-tester failures:\n{}",
        failures.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n")
    );
    let passed = |title: &str, resource: &str| {
        results.iter().any(|r| r["title"] == title && r["resource_type"] == resource && r["status"] == "SUCCESS")
    };
    // What ServiceProviderConfig claims was exercised, on both resource types.
    for resource in ["User", "Group"] {
        for title in [
            "object_creation",
            "object_query",
            "object_query_without_id",
            "object_query_with_attributes",
            "object_replacement",
            "object_deletion",
            "check_add_attribute",
            "check_replace_attribute",
            "check_remove_attribute",
        ] {
            assert!(passed(title, resource), "{title} on {resource} didn't pass: {results:#?}");
        }
    }
    let successes = results.iter().filter(|r| r["status"] == "SUCCESS").count();
    eprintln!("scim2-tester: {successes} checks passed, {} results in all", results.len());
}
