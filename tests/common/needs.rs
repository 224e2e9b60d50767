//! What a test needs from the machine (root, a program on `PATH`) and what happens when the
//! machine lacks it: under `CI=true` the test fails loudly, since CI runs as root with what
//! `scripts/test` installs; anywhere else the test (or the part that needs it) is skipped and
//! counted — a line on the real stderr, past the harness's capture, and one in the skip file
//! that `scripts/test` sums up after the run. Never a notice on a test that then passes.

use std::io::Write;
use std::path::PathBuf;

/// One thing a test needs.
pub enum Need {
    /// Running as root: creating users and groups, dropping privileges, hanging up a terminal.
    Root,
    /// A program on `PATH`, and the apt package that brings it.
    Tool { program: &'static str, package: &'static str },
    /// A Python module from PyPI in its venv under the target dir, where `scripts/test`
    /// installs it (`venv` is the venv's directory name there).
    PyPi { module: &'static str, package: &'static str, venv: &'static str },
    /// PostgreSQL's server programs (`initdb`, `pg_ctl`), and under root the `postgres` user
    /// to run them as.
    Postgres,
    /// Files `scripts/test` fetches (a package's data, not installed) into the target dir and
    /// names in the environment variable `var`.
    Fetched { var: &'static str, what: &'static str },
}

/// The target dir of this build (`CARGO_TARGET_TMPDIR` is its `tmp`).
pub fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(PathBuf::from).unwrap_or(tmp)
}

impl Need {
    /// The directory a fetched need is in, if it is there.
    pub fn dir(&self) -> Option<PathBuf> {
        match self {
            Need::Fetched { var, .. } => std::env::var_os(var).map(PathBuf::from).filter(|dir| dir.is_dir()),
            _ => None,
        }
    }

    /// The venv's Python for a PyPI need.
    pub fn python(&self) -> Option<PathBuf> {
        match self {
            Need::PyPi { venv, .. } => Some(target_dir().join(venv).join("bin").join("python")),
            _ => None,
        }
    }
}

impl Need {
    fn met(&self) -> bool {
        match self {
            Need::Root => nix::unistd::geteuid().is_root(),
            Need::Tool { program, .. } => on_path(program),
            Need::Postgres => {
                super::postgres::bin_dir().is_some()
                    && (!nix::unistd::geteuid().is_root()
                        || nix::unistd::User::from_name("postgres").ok().flatten().is_some())
            }
            Need::PyPi { module, .. } => self.python().is_some_and(|python| {
                std::process::Command::new(python)
                    .args(["-c", &format!("import {module}")])
                    .output()
                    .is_ok_and(|o| o.status.success())
            }),
            Need::Fetched { .. } => self.dir().is_some(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Need::Root => "root".to_string(),
            Need::Tool { program, package } => format!("{program} (apt-get install {package})"),
            Need::Postgres => "PostgreSQL (apt-get install postgresql)".to_string(),
            Need::PyPi { package, venv, .. } => {
                format!("{package} from PyPI (scripts/test installs it into target/{venv})")
            }
            Need::Fetched { var, what } => format!("{what} (scripts/test fetches them and sets {var})"),
        }
    }
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .any(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
    })
}

pub const BWRAP: Need = Need::Tool { program: "bwrap", package: "bubblewrap" };
pub const USERADD: Need = Need::Tool { program: "useradd", package: "passwd" };
/// libfaketime, which moves a program's wall clock (and leaves its monotonic one alone).
pub const FAKETIME: Need = Need::Tool { program: "faketime", package: "faketime" };
/// A C compiler, for `slow_sync.c` (and the bundled C the build needs anyway).
pub const CC: Need = Need::Tool { program: "cc", package: "gcc" };
pub const POSTGRES: Need = Need::Postgres;
/// The SCIM compliance checker; its venv and version are in `scripts/test`.
pub const SCIM2_TESTER: Need =
    Need::PyPi { module: "scim2_tester", package: "scim2-tester", venv: "venv-scim2-tester" };

/// schemathesis, the OpenAPI fuzzer (its `st` is beside the venv's Python); its venv and
/// version are in `scripts/test`.
pub const SCHEMATHESIS: Need =
    Need::PyPi { module: "schemathesis", package: "schemathesis", venv: "venv-schemathesis" };

/// Debian's console fonts (console-setup-linux's `consolefonts` directory).
pub const CONSOLE_FONTS: Need =
    Need::Fetched { var: "SHIFTKEY_CONSOLE_FONTS", what: "Debian's console fonts from console-setup-linux" };

/// Whether the whole test can run. When a need is unmet: panics under CI, otherwise records
/// the test as skipped and returns false — the test returns at once.
pub fn requires(needs: &[Need]) -> bool {
    check(needs, "skipped", "")
}

/// Whether the part of a test described by `what` can run; the rest of the test goes on
/// either way. When a need is unmet: panics under CI, otherwise records the test as partly
/// skipped and returns false.
pub fn requires_for(needs: &[Need], what: &str) -> bool {
    check(needs, "partly skipped", what)
}

/// True when every need is met; else the panic under CI, or the skip recorded and false.
fn check(needs: &[Need], kind: &str, what: &str) -> bool {
    let missing: Vec<String> = needs.iter().filter(|n| !n.met()).map(Need::describe).collect();
    if missing.is_empty() {
        return true;
    }
    let test = test_name();
    let what = if what.is_empty() { String::new() } else { format!(" ({what})") };
    let reason = format!("needs {}{what}", missing.join(" and "));
    if in_ci() {
        panic!(
            "!!! {test} {reason}: under CI=true that is a failure, not a skip \
             (CI runs as root; scripts/test installs the tools)"
        );
    }
    let line = format!("{kind}: {test} {reason}\n");
    // Straight to fd 2: the harness captures eprintln! of passing tests.
    let _ = std::io::stderr().write_all(format!("!!! {line}").as_bytes());
    record(&line);
    false
}

/// `CI=true` (or any value but empty, `0` and `false`, as CI services set it).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// `binary::test`: the test file is the crate this module is compiled into, and the harness
/// names each test's thread after the test.
fn test_name() -> String {
    let binary = module_path!().split("::").next().unwrap_or("?");
    let thread = std::thread::current();
    format!("{binary}::{}", thread.name().unwrap_or("(unnamed thread)"))
}

/// The skip file: `$SHIFTKEY_TEST_SKIPS` (scripts/test sets it and empties it before a run),
/// else `test-skips.txt` in cargo's temp dir for integration tests.
fn skip_file() -> PathBuf {
    std::env::var_os("SHIFTKEY_TEST_SKIPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-skips.txt"))
}

/// Appends one line; O_APPEND with a single write keeps parallel tests' lines whole.
fn record(line: &str) {
    let path = skip_file();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(err) = written {
        let _ = std::io::stderr()
            .write_all(format!("!!! could not record the skip in {}: {err}\n", path.display()).as_bytes());
    }
}
