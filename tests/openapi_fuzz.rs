//! The HTTP API fuzzed from its own OpenAPI document: schemathesis (PyPI) reads
//! `/v1/openapi.json` from a real `shiftkey serve` and runs all its phases (examples, coverage,
//! fuzzing, stateful) with `--checks all` and the check in tests/openapi_fuzz_hooks.py; it
//! must find nothing. Seeded and bounded in a plain `cargo test`; `SCHEMATHESIS_EXAMPLES=N`
//! runs N examples per operation from a random seed (RELIABILITY.md). `scripts/test` installs
//! schemathesis in a venv under `target/`; without it the test is skipped, or fails under
//! `CI=true`.

mod common;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::Backend;
use common::needs::{self, SCHEMATHESIS};

/// Examples per operation in a plain `cargo test`: about 1,000 cases, 10 s on the CI machine.
const EXAMPLES: u32 = 100;
const SEED: u64 = 0x5eed;

/// What schemathesis gets, as `(examples per operation, seed)`: no seed for a longer search.
fn run_size() -> (u32, Option<u64>) {
    match std::env::var("SCHEMATHESIS_EXAMPLES").ok().and_then(|n| n.parse().ok()) {
        Some(examples) => (examples, None),
        None => (EXAMPLES, Some(SEED)),
    }
}

/// tests/openapi_fuzz.toml with the live bearer tokens the run needs, in a 0600 file in `dir`:
/// `/v1/me` gets one to show its user with, `/v1/sign-out` one to end (and end again),
/// `/v1/passes` a kiosk manager's to issue passes with.
fn config_with_tokens(dir: &Path, me: &str, sign_out: &str, manager: &str) -> std::path::PathBuf {
    let template = include_str!("openapi_fuzz.toml");
    let path = dir.join("schemathesis.toml");
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).unwrap();
    write!(
        file,
        "{template}\n[[operations]]\ninclude-path = \"/v1/me\"\nheaders = {{ Authorization = \"Bearer {me}\" }}\n\
         \n[[operations]]\ninclude-path = \"/v1/sign-out\"\nheaders = {{ Authorization = \"Bearer {sign_out}\" }}\n\
         \n[[operations]]\ninclude-path = \"/v1/passes\"\nheaders = {{ Authorization = \"Bearer {manager}\" }}\n"
    )
    .unwrap();
    path
}

/// How many operations the document describes.
fn documented_operations() -> usize {
    let spec: serde_json::Value = serde_json::from_str(include_str!("../assets/openapi.json")).unwrap();
    spec["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum()
}

#[tokio::test]
async fn schemathesis_finds_nothing_where_the_document_and_the_server_differ() {
    if !needs::requires(&[SCHEMATHESIS]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let server_config = dir.path().join("serve.toml");
    // One client sends thousands of requests: the hourly caps would answer most of them 429
    // and leave the rules behind them untested (tests/http_api.rs covers the caps); no
    // cooldown lets resends through.
    std::fs::write(&server_config, "resend_cooldown = \"0s\"\n[limits]\nenabled = false\n").unwrap();
    let backend = Backend::start_with_config(dir, db, Some(server_config));
    let me_token = backend.sign_in("+12065550100").await;
    let sign_out_token = backend.sign_in("+12065550109").await;
    let manager_token = backend.sign_in("+12065550109").await;

    let work = tempfile::tempdir().unwrap();
    let config = config_with_tokens(work.path(), &me_token, &sign_out_token, &manager_token);
    let (examples, seed) = run_size();
    let st = SCHEMATHESIS.python().unwrap().with_file_name("st");
    let mut command = tokio::process::Command::new(st);
    command
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/v1/openapi.json", backend.url), "--checks", "all", "--no-color"])
        .args(["--max-examples", &examples.to_string(), "--generation-database", "none"])
        .env("SCHEMATHESIS_HOOKS", "openapi_fuzz_hooks")
        .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
        .current_dir(work.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(seed) = seed {
        command.args(["--seed", &seed.to_string()]);
    }
    let limit = Duration::from_secs(300).max(Duration::from_secs(u64::from(examples) / 2));
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("schemathesis finishes in {limit:?}"))
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "schemathesis found something ({}):\n{stdout}\n{stderr}", output.status);

    // Every operation but `GET /v1/openapi.json`, which schemathesis leaves out as the one it
    // read the document from.
    let operations = documented_operations() - 1;
    let tested = format!("Selected: {operations}/{operations}\n  Tested: {operations}\n");
    assert!(stdout.contains(&tested), "not every operation was tested:\n{stdout}");
    let cases = stdout.lines().find(|line| line.contains(" generated, ")).map(str::trim);
    let cases = cases.unwrap_or_else(|| panic!("no count of test cases:\n{stdout}"));
    let seed_line = stdout.lines().rev().find(|line| line.starts_with("Seed:")).unwrap_or("Seed: ?");
    eprintln!("schemathesis: {cases} ({examples} examples per operation, {seed_line})");
    // The server is still up and well after all that.
    let health = reqwest::get(format!("{}/healthz", backend.url)).await.expect("serve still answers");
    assert_eq!(health.status(), 200);
}
