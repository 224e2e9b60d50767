//! `shiftkey check-config` refuses exactly the kiosk configs a kiosk start refuses, with the
//! same reason: each case runs the real binary both ways on the same file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, Backend, KioskTerminal};
use shiftkey::config::BackendKind;

/// What the binary made of a config.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// check-config passed it (and its backend answered); the kiosk showed its sign-in screen.
    Starts,
    /// The message it exited with.
    Refused(String),
}

/// A test's own kiosk config, audit log, state dir and control socket, so a kiosk that
/// starts touches nothing outside the temp dir.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Files { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The top-level lines every config here has; TOML wants them before any table.
    fn own_paths(&self) -> String {
        format!(
            "name = \"check-config-test\"\naudit_log = {:?}\nstate_dir = {:?}\n",
            self.path("audit.jsonl"),
            self.path("state")
        )
    }

    /// A kiosk config with these `[backend]`, `[session]` and `[control]` lines.
    fn kiosk_config(&self, backend: &str, session: &str, control: &str) -> PathBuf {
        self.write(&format!(
            "{}[backend]\n{backend}\n[session]\ncommand = [\"/bin/sh\"]\n{session}\n[control]\nsocket = {:?}\n{control}\n",
            self.own_paths(),
            self.path("control.sock")
        ))
    }

    fn write(&self, text: &str) -> PathBuf {
        let path = self.path("kiosk.toml");
        std::fs::write(&path, text).expect("write the config");
        path
    }
}

/// The `[session]` line a kiosk needs to start here: a root kiosk must be told who sessions
/// run as, and root itself is the account every machine has.
fn run_as_here() -> &'static str {
    if nix::unistd::geteuid().is_root() { "run_as = \"root\"" } else { "" }
}

/// `shiftkey check-config --config FILE`, with `env` on top of the test's environment.
fn check_config(config: &Path, env: &[(&str, &str)]) -> Verdict {
    let output = Command::new(BIN)
        .arg("check-config")
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .output()
        .expect("run check-config");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        assert!(stdout.contains("valid kiosk config"), "checked as a kiosk config: {stdout}");
        Verdict::Starts
    } else {
        Verdict::Refused(stderr.trim().to_string())
    }
}

/// `shiftkey kiosk --config FILE` in a pty: it either shows the sign-in screen or exits with
/// its reason (before it touches the terminal, so the reason is all it wrote).
async fn kiosk_start(config: &Path, log: &Path, env: &[(&str, &str)]) -> Verdict {
    let env: Vec<(&str, &str)> =
        [("SHIFTKEY_LOG", log.to_str().unwrap())].into_iter().chain(env.iter().copied()).collect();
    let mut screen = KioskTerminal::spawn(&["kiosk", "--config", config.to_str().unwrap()], &env, 100, 30);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if screen.contents().contains("Enter your mobile number") {
            return Verdict::Starts;
        }
        if screen.process.child.try_wait().expect("wait for the kiosk").is_some() {
            screen.drain(Duration::from_secs(5)).await;
            return Verdict::Refused(String::from_utf8_lossy(&screen.raw).replace('\r', "").trim().to_string());
        }
        assert!(Instant::now() < deadline, "the kiosk neither started nor exited; its screen:\n{}", screen.contents());
        screen.next_output(Duration::from_millis(100)).await;
    }
}

/// Runs both on `config`, asserts they agree, and returns what they said.
async fn same_verdict(files: &Files, config: &Path) -> Verdict {
    same_verdict_with(files, config, &[]).await
}

/// As [`same_verdict`], both run with `env` added.
async fn same_verdict_with(files: &Files, config: &Path, env: &[(&str, &str)]) -> Verdict {
    let checked = check_config(config, env);
    let started = kiosk_start(config, &files.path("kiosk.log"), env).await;
    assert_eq!(
        checked,
        started,
        "check-config (left) and a kiosk start (right) disagree about:\n{}",
        std::fs::read_to_string(config).unwrap()
    );
    checked
}

/// Every kind config can name. `required_keys`'s match has no catch-all, so a new kind fails to
/// compile here until it is tested.
const KINDS: [BackendKind; 6] = BackendKind::ALL;

/// The `[backend]` keys each kind requires, with values that pass validation.
fn required_keys(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Shiftkey | BackendKind::Kratos => "",
        BackendKind::Auth0 => "client_id = \"kiosk-client\"\nconnection = \"Username-Password-Authentication\"",
        BackendKind::Supabase => "api_key = { env = \"SHIFTKEY_TEST_SUPABASE_KEY\" }",
        BackendKind::Cognito => "client_id = \"kioskclient\"\nuser_pool_id = \"eu-west-1_test\"",
        BackendKind::Privacyidea => "realm = \"kiosk\"",
    }
}

/// Both agree on everything a start checks. A start never asks the provider anything; then
/// check-config probes it — here a shiftkey backend, so for any other kind not the provider the
/// config names: check-config refuses it, saying what it found, where the start goes on.
#[tokio::test]
async fn every_backend_kind_gets_the_same_verdict_from_check_config_and_a_kiosk_start() {
    let backend = Backend::start();
    for kind in KINDS {
        let files = Files::new();
        let backend_lines = format!("kind = \"{kind}\"\nurl = \"{}\"\n{}", backend.url, required_keys(kind));
        let config = files.kiosk_config(&backend_lines, run_as_here(), "");
        let env = [("SHIFTKEY_TEST_SUPABASE_KEY", "anon-key-for-tests")];
        match kind {
            BackendKind::Shiftkey => {
                assert_eq!(same_verdict_with(&files, &config, &env).await, Verdict::Starts, "kind = {kind}")
            }
            _ => {
                let started = kiosk_start(&config, &files.path("kiosk.log"), &env).await;
                assert_eq!(started, Verdict::Starts, "kind = {kind}: a start doesn't probe the provider");
                let Verdict::Refused(reason) = check_config(&config, &env) else {
                    panic!("kind = {kind}: check-config took a shiftkey backend for {kind}")
                };
                assert!(reason.starts_with("shiftkey: ") && reason.len() > 20, "kind = {kind}: {reason}");
            }
        }
    }
}

/// A provider's own keys are checked the same way by both: a missing required key, a key of
/// another kind, a pass length out of range.
#[tokio::test]
async fn a_providers_missing_or_foreign_key_is_refused_by_both_alike() {
    let backend = Backend::start();
    for (lines, expected) in [
        ("kind = \"auth0\"\nconnection = \"db\"", "backend.client_id is required for kind = \"auth0\""),
        ("kind = \"kratos\"\nrealm = \"kiosk\"", "backend.realm is not a key of kind = \"kratos\""),
        ("kind = \"shiftkey\"\npass_length = 24", "backend.pass_length is not a key of kind = \"shiftkey\""),
        ("kind = \"privacyidea\"\nrealm = \"kiosk\"\npass_length = 40", "backend.pass_length must be 6 to 32, not 40"),
    ] {
        let files = Files::new();
        let config = files.kiosk_config(&format!("{lines}\nurl = \"{}\"", backend.url), run_as_here(), "");
        let Verdict::Refused(reason) = same_verdict(&files, &config).await else { panic!("{lines} was accepted") };
        assert!(reason.contains(expected), "{lines}: {reason}");
    }
}

#[tokio::test]
async fn a_root_kiosk_without_run_as_is_refused_by_both() {
    let backend = Backend::start();
    let files = Files::new();
    let config = files.kiosk_config(&format!("url = \"{}\"", backend.url), "", "");
    let verdict = same_verdict(&files, &config).await;
    if nix::unistd::geteuid().is_root() {
        let Verdict::Refused(reason) = verdict else { panic!("a root kiosk without session.run_as started") };
        assert!(reason.contains("set session.run_as"), "{reason}");
    } else {
        // Not root: the rule doesn't apply, and both say so alike.
        assert_eq!(verdict, Verdict::Starts);
    }
}

#[tokio::test]
async fn a_run_as_account_that_does_not_exist_is_refused_by_both_when_root() {
    if !common::needs::requires(&[common::needs::Need::Root]) {
        return;
    }
    let backend = Backend::start();
    let files = Files::new();
    let config = files.kiosk_config(&format!("url = \"{}\"", backend.url), "run_as = \"sk-t-nobody-here\"", "");
    let verdict = same_verdict(&files, &config).await;
    let Verdict::Refused(reason) = verdict else { panic!("started with a run_as user that doesn't exist") };
    assert!(reason.contains("session.run_as user \"sk-t-nobody-here\" does not exist"), "{reason}");
}

#[tokio::test]
async fn control_groups_that_do_not_exist_are_refused_by_both() {
    let files = Files::new();
    // Refused before the backend is asked anything: no backend needed.
    let url = "url = \"http://127.0.0.1:9\"";
    let config = files.kiosk_config(url, run_as_here(), "allowed_groups = [\"sk-t-no-such-group\"]");
    let Verdict::Refused(reason) = same_verdict(&files, &config).await else { panic!("started") };
    assert!(reason.contains("control.allowed_groups: no group named \"sk-t-no-such-group\""), "{reason}");

    let config = files.kiosk_config(url, run_as_here(), "socket_group = \"sk-t-no-such-group\"");
    let Verdict::Refused(reason) = same_verdict(&files, &config).await else { panic!("started") };
    assert!(reason.contains("control.socket_group: no group named \"sk-t-no-such-group\""), "{reason}");
}

#[tokio::test]
async fn a_required_sandbox_is_looked_for_alike() {
    let backend = Backend::start();
    let files = Files::new();
    let session = format!("{}\nsandbox = \"bwrap\"", run_as_here());
    let config = files.kiosk_config(&format!("url = \"{}\"", backend.url), &session, "");
    // The kiosk looks for bwrap on its PATH: one without it, and one with a stand-in (nothing
    // runs it before a session starts), make the case the same on every machine.
    let without = files.path("no-bwrap");
    let with = files.path("bwrap-here");
    for dir in [&without, &with] {
        std::fs::create_dir(dir).unwrap();
    }
    std::fs::write(with.join("bwrap"), "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::set_permissions(with.join("bwrap"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let Verdict::Refused(reason) = same_verdict_with(&files, &config, &[("PATH", without.to_str().unwrap())]).await
    else {
        panic!("started with session.sandbox = \"bwrap\" and no bwrap")
    };
    assert!(reason.contains("session.sandbox = \"bwrap\" but bwrap is not installed"), "{reason}");
    assert_eq!(same_verdict_with(&files, &config, &[("PATH", with.to_str().unwrap())]).await, Verdict::Starts);
}

#[tokio::test]
async fn a_kiosk_config_without_session_or_backend_tables_is_checked_as_a_kiosk_config() {
    // Dotted keys, no `[session]`, `[backend]` or default_region: check-config used to take
    // such a file for a server config and refuse `name`, while the kiosk started with it.
    let backend = Backend::start();
    let files = Files::new();
    let run_as = if nix::unistd::geteuid().is_root() { "session.run_as = \"root\"\n" } else { "" };
    let config = files.write(&format!(
        "{}backend.url = \"{}\"\nsession.command = [\"/bin/sh\"]\n{run_as}control.socket = {:?}\n",
        files.own_paths(),
        backend.url,
        files.path("control.sock")
    ));
    assert_eq!(same_verdict(&files, &config).await, Verdict::Starts);
}

#[tokio::test]
async fn an_invalid_kiosk_config_is_refused_by_both_with_the_key_named() {
    let files = Files::new();
    let config =
        files.kiosk_config("url = \"http://127.0.0.1:9\"", &format!("{}\nidle_timeout = \"30s\"", run_as_here()), "");
    let Verdict::Refused(reason) = same_verdict(&files, &config).await else { panic!("started") };
    assert!(reason.contains("session.idle_warning (1m) must be shorter than session.idle_timeout (30s)"), "{reason}");
}
