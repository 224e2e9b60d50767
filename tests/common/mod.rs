//! Shared helpers for the integration tests: a real `shiftkey serve` on port 0 with a temp
//! database, the admin CLI, the SMS outbox, and a pty driver that reads the screen via vt100.
#![allow(dead_code)]

pub mod engine;
pub mod faulty;
pub mod hostile;
pub mod idp;
pub mod needs;
pub mod postgres;
pub mod rules;
pub mod scim;
pub mod screen_text;
pub mod slow_sync;
pub mod soak;
pub mod timing;
pub mod tmpfs;

pub use engine::{AdminDb, Engine, TestDb};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shiftkey::session::pty::{BlockingPtyInput, PtyCommand, PtyProcess};
use tokio::sync::mpsc;

pub const BIN: &str = env!("CARGO_BIN_EXE_shiftkey");

/// Runs `shiftkey admin --db DB ARGS...` and returns (success, stdout, stderr).
pub fn admin<D: AdminDb + ?Sized>(db: &D, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN).arg("admin").args(db.admin_args()).args(args).output().expect("run shiftkey admin");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A `shiftkey serve` process on a free port, killed when dropped.
pub struct Backend {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
    pub outbox: PathBuf,
    pub url: String,
    config: Option<PathBuf>,
    /// Whether serve writes texts to `outbox` (else to the gateway its config names).
    use_outbox: bool,
    /// More environment for the serve process (`slow_sync`'s, say).
    env: Vec<(String, String)>,
    child: Child,
}

/// The directory every backend test starts with: the policy on and two users (SQLite).
pub fn seeded_db(dir: &Path) -> PathBuf {
    seeded(Engine::Sqlite, dir).path().into()
}

/// The directory every backend test starts with, on `engine`.
pub fn seeded(engine: Engine, dir: &Path) -> TestDb {
    let db = TestDb::new(engine, dir);
    seed(&db);
    db
}

/// Puts the directory every backend test starts with into `db`.
pub fn seed(db: &TestDb) {
    for args in [
        &["policy", "set", "--enabled", "true", "--use-for-sign-in", "true", "--target", "all"][..],
        &["user", "add", "alex", "--display-name", "Alex Rivera"],
        &["phone", "set", "alex", "+1 206 555 0100"],
        &["user", "add", "jordan", "--display-name", "Jordan Lee", "--role", "kiosk-manager"],
        &["phone", "set", "jordan", "+1 206 555 0109"],
    ] {
        let (ok, _, err) = admin(db, args);
        assert!(ok, "admin {args:?} failed: {err}");
    }
}

impl Backend {
    pub fn start() -> Self {
        Self::start_on(Engine::Sqlite)
    }

    /// A backend on `engine` with the seeded directory.
    pub fn start_on(engine: Engine) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = seeded(engine, dir.path());
        Self::start_with_db(dir, db)
    }

    pub fn start_with_db(dir: tempfile::TempDir, db: impl Into<TestDb>) -> Self {
        Self::start_with_config(dir, db, None)
    }

    /// Starts `serve`, with `--config` when given (command-line options still win). On
    /// PostgreSQL the config gets the paths PostgreSQL needs named (`TestDb::config_lines`).
    pub fn start_with_config(dir: tempfile::TempDir, db: impl Into<TestDb>, config: Option<PathBuf>) -> Self {
        Self::start_with(dir, db, config, true)
    }

    fn start_with(dir: tempfile::TempDir, db: impl Into<TestDb>, config: Option<PathBuf>, outbox: bool) -> Self {
        let db = db.into();
        let config = match db.engine {
            Engine::Sqlite => config,
            Engine::Postgres => {
                let given =
                    config.map(|path| std::fs::read_to_string(path).expect("the test's config")).unwrap_or_default();
                let path = dir.path().join("serve-postgres.toml");
                std::fs::write(&path, db.config_lines() + &given).expect("write the server config");
                Some(path)
            }
        };
        Self::spawn_backend(dir, db, config, outbox)
    }

    fn spawn_backend(dir: tempfile::TempDir, db: TestDb, config: Option<PathBuf>, use_outbox: bool) -> Self {
        Self::spawn_backend_with_env(dir, db, config, use_outbox, Vec::new())
    }

    fn spawn_backend_with_env(
        dir: tempfile::TempDir,
        db: TestDb,
        config: Option<PathBuf>,
        use_outbox: bool,
        env: Vec<(String, String)>,
    ) -> Self {
        let outbox = dir.path().join("outbox.jsonl");
        let (child, url) = Self::spawn(dir.path(), &db, &outbox, use_outbox, config.as_deref(), &env);
        Backend { dir, db, outbox, url, config, use_outbox, env, child }
    }

    /// A backend with the seeded directory (SQLite) whose serve process has `env` besides.
    pub fn start_with_env(env: Vec<(String, String)>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = seeded(Engine::Sqlite, dir.path());
        Self::spawn_backend_with_env(dir, db, None, true, env)
    }

    /// `shiftkey serve` on a free port; the child and its URL once it listens.
    fn spawn(
        dir: &Path,
        db: &TestDb,
        outbox: &Path,
        use_outbox: bool,
        config: Option<&Path>,
        env: &[(String, String)],
    ) -> (Child, String) {
        let mut command = Command::new(BIN);
        command.arg("serve").envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("serve.log")).expect("log file");
        command.args(["--listen", "127.0.0.1:0", "--db"]).arg(&db.location);
        if use_outbox {
            command.arg("--sms-outbox").arg(outbox);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(log).spawn().expect("start shiftkey serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .unwrap_or_else(|| panic!("serve printed no address; its log: {}", read_log(dir)))
            .expect("readable stdout");
        let url = first.rsplit(' ').next().expect("address at the end").to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line: {first}");
        let second = lines.next().expect("serve prints the outbox").expect("readable stdout");
        assert!(!use_outbox || second.contains(&outbox.display().to_string()), "outbox line: {second}");
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (child, url)
    }

    /// Starts the server again on the same database, key and outbox (after `stop` or a kill),
    /// on a new port.
    pub fn restart(&mut self) {
        self.stop();
        let (child, url) =
            Self::spawn(self.dir.path(), &self.db, &self.outbox, self.use_outbox, self.config.as_deref(), &self.env);
        (self.child, self.url) = (child, url);
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The last code texted to `e164` (waits for the SMS queue, up to 5 s).
    pub fn code_for(&self, e164: &str) -> String {
        self.codes_for(e164, 1).pop().expect("one code")
    }

    /// Waits until at least `count` codes were texted to `e164`; returns them all, oldest first.
    pub fn codes_for(&self, e164: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let codes = outbox_codes(&self.outbox, e164);
            if codes.len() >= count {
                return codes;
            }
            assert!(Instant::now() < deadline, "no SMS with a code for {e164} in {}", self.outbox.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Signs `e164` in through the `/v1` API (start, the texted code, verify); returns the
    /// access token.
    pub async fn sign_in(&self, e164: &str) -> String {
        let before = outbox_codes(&self.outbox, e164).len();
        let (status, body) = post_json(&self.url, "/v1/sign-in/start", serde_json::json!({ "phone": e164 })).await;
        assert_eq!(status, 202, "{body}");
        let code = self.codes_for(e164, before + 1).pop().expect("the new code");
        let verify = serde_json::json!({ "challenge_id": body["challenge_id"], "code": code });
        let (status, grant) = post_json(&self.url, "/v1/sign-in/verify", verify).await;
        assert_eq!(status, 200, "{grant}");
        grant["access_token"].as_str().expect("a token in the grant").to_string()
    }

    /// Stops the server with SIGKILL, and reaps it (the temp dir stays until the Backend is dropped).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn sms_count(&self) -> usize {
        std::fs::read_to_string(&self.outbox).map(|t| t.lines().count()).unwrap_or(0)
    }
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
}

/// `n` replicas of `serve` on one fresh PostgreSQL database with the seeded directory: each its
/// own process, port, outbox and log; the code key and the audit log shared, as README's
/// replica setup has them. `config` is server TOML for all of them.
pub fn replicas(n: usize, config: &str) -> Vec<Backend> {
    let first = tempfile::tempdir().expect("temp dir");
    let db = seeded(Engine::Postgres, first.path());
    let mut dirs = vec![first];
    dirs.extend((1..n).map(|_| tempfile::tempdir().expect("temp dir")));
    dirs.into_iter().map(|dir| replica(dir, &db, config, true)).collect()
}

/// One more replica on `db` in `dir`, with `config`; with the outbox gateway, or the config's own.
pub fn replica(dir: tempfile::TempDir, db: &TestDb, config: &str, outbox: bool) -> Backend {
    let path = dir.path().join("replica.toml");
    std::fs::write(&path, config).expect("write the replica's config");
    Backend::start_with(dir, db.clone(), Some(path), outbox)
}

/// The codes texted to `e164` by any of `backends`, oldest first within each.
pub fn codes_sent_by(backends: &[Backend], e164: &str) -> Vec<String> {
    backends.iter().flat_map(|b| outbox_codes(&b.outbox, e164)).collect()
}

/// The codes in an outbox file for one number, oldest first (from the `@host #code` line of
/// its texts; calls are left out).
pub fn outbox_codes(outbox: &Path, e164: &str) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(outbox) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["to"] == e164 && m["channel"] != "voice")
        .filter_map(|m| m["body"].as_str()?.rsplit('#').next().map(str::to_string))
        .collect()
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real `shiftkey` binary in a pseudo-terminal, with its screen parsed by vt100.
pub struct KioskTerminal {
    pub process: PtyProcess,
    input: BlockingPtyInput,
    output: mpsc::Receiver<Vec<u8>>,
    parser: vt100::Parser,
    /// Everything the program wrote, for checks on the raw stream.
    pub raw: Vec<u8>,
}

impl KioskTerminal {
    /// Starts `shiftkey ARGS` in a cols x rows pty with the given environment.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Self {
        Self::spawn_command(&Self::command(Path::new(BIN), args, env, cols, rows))
    }

    /// The command for `program ARGS` in a pty, with TERM, PATH and `env`.
    pub fn command(program: &Path, args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> PtyCommand {
        let mut full_env: Vec<(std::ffi::OsString, std::ffi::OsString)> = vec![
            ("TERM".into(), "xterm-256color".into()),
            ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
        ];
        // A non-root kiosk keeps session dirs in the runtime dir: shared bases (/dev/shm, /tmp)
        // may already belong to another uid that ran the tests.
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
            full_env.push(("XDG_RUNTIME_DIR".into(), runtime));
        }
        full_env.extend(env.iter().map(|(k, v)| (k.into(), v.into())));
        PtyCommand {
            program: program.into(),
            args: args.iter().map(Into::into).collect(),
            env: full_env,
            cwd: None,
            cols,
            rows,
            locked_down: false,
            user: None,
        }
    }

    /// Starts a prepared command in a pty.
    pub fn spawn_command(command: &PtyCommand) -> Self {
        let (cols, rows) = (command.cols, command.rows);
        let process = PtyProcess::spawn(command).expect("spawn in a pty");
        let output = process.output_forwarded().expect("pty output");
        let input = process.blocking_input().expect("pty input");
        KioskTerminal { process, input, output, parser: vt100::Parser::new(rows, cols, 0), raw: Vec::new() }
    }

    /// Feeds one piece of the program's output to the screen and the raw record.
    fn take_in(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
        self.raw.extend_from_slice(bytes);
    }

    fn pump(&mut self) -> bool {
        let mut got = false;
        while let Ok(bytes) = self.output.try_recv() {
            self.take_in(&bytes);
            got = true;
        }
        got
    }

    /// Waits (up to `timeout`) for the program's next output and takes it in; false on timeout
    /// or when the pty closed. For timing: no polling interval between output and the check.
    pub async fn next_output(&mut self, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.output.recv()).await {
            Ok(Some(bytes)) => {
                self.take_in(&bytes);
                self.pump();
                true
            }
            _ => false,
        }
    }

    /// Takes in everything the program wrote until its side of the pty closed (after it exited,
    /// its last bytes may still be on their way through the reader thread).
    pub async fn drain(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.next_output(deadline.saturating_duration_since(Instant::now())).await {}
    }

    pub fn contents(&mut self) -> String {
        self.parsed().contents()
    }

    /// The screen as a terminal shows it: cells with their colours, the cursor.
    pub fn parsed(&mut self) -> &vt100::Screen {
        self.pump();
        self.parser.screen()
    }

    /// Waits until `text` is on screen; panics with the screen if it doesn't appear in time.
    pub async fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let contents = self.contents();
            if contents.contains(text) {
                return contents;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; the screen shows:\n{contents}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `text` is on screen, checking on every piece of output (`wait_for`'s 20 ms
    /// poll is too coarse for timing); returns how long it took.
    pub async fn time_until(&mut self, text: &str, timeout: Duration) -> Duration {
        self.time_until_any(&[text], timeout).await
    }

    /// As `time_until`, for whichever of `texts` shows first.
    pub async fn time_until_any(&mut self, texts: &[&str], timeout: Duration) -> Duration {
        let started = Instant::now();
        while !texts.iter().any(|text| self.contents().contains(text)) {
            let left = timeout.saturating_sub(started.elapsed());
            assert!(self.next_output(left).await, "none of {texts:?} on screen:\n{}", self.contents());
        }
        started.elapsed()
    }

    /// Waits until `text` is no longer on screen.
    pub async fn wait_gone(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let contents = self.contents();
            if !contents.contains(text) {
                return contents;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?} to go; the screen shows:\n{contents}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.input.write(bytes).expect("write to the pty");
    }

    /// Types text one key at a time, as a person would.
    pub async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(c.to_string().as_bytes());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for the process to exit and returns its exit code.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let status = tokio::time::timeout(timeout, self.process.child.wait()).await.expect("shiftkey exits in time");
        status.expect("wait for shiftkey").code()
    }
}

impl Drop for KioskTerminal {
    fn drop(&mut self) {
        let _ = self.process.child.start_kill();
    }
}

pub const F12: &[u8] = b"\x1b[24~";

/// A kiosk config in a test's temp dir, with its own audit log and state dir.
pub struct KioskSetup {
    pub config: PathBuf,
    pub audit: PathBuf,
    pub log: PathBuf,
    pub control: PathBuf,
}

impl KioskSetup {
    /// `session` holds extra `[session]` lines (run_as, sandbox, timeouts).
    pub fn new(dir: &Path, url: &str, command: &[&str], session: &str) -> Self {
        Self::new_with(dir, url, command, session, "")
    }

    /// As `new`, with extra top-level tables (`[manager]`, more `[control]` keys: `control`
    /// lines go under `[control]`).
    pub fn new_with(dir: &Path, url: &str, command: &[&str], session: &str, control_lines: &str) -> Self {
        Self::with_backend(dir, &format!("url = \"{url}\""), command, session, control_lines)
    }

    /// As `new_with`, with the whole `[backend]` table given (`kind`, `url`, the provider's keys).
    pub fn with_backend(dir: &Path, backend_lines: &str, command: &[&str], session: &str, control_lines: &str) -> Self {
        let config = dir.join("kiosk.toml");
        let audit = dir.join("audit.jsonl");
        let state = dir.join("state");
        // Each kiosk its own socket: a previous one in this dir may still be going away.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let control = dir.join(format!("control-{}.sock", NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        let command = command.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
        std::fs::write(
            &config,
            format!(
                "name = \"test-till\"\naudit_log = {audit:?}\nstate_dir = {state:?}\n[backend]\n{backend_lines}\n\
                 [control]\nsocket = {control:?}\n{control_lines}\n\
                 [session]\ncommand = [{command}]\nkill_grace = \"1s\"\nrevoke_timeout = \"1s\"\n{session}\n"
            ),
        )
        .unwrap();
        KioskSetup { config, audit, log: dir.join("kiosk.log"), control }
    }

    /// Starts the kiosk with this config in a 100x30 pty, logging to `self.log`.
    pub fn spawn(&self) -> KioskTerminal {
        self.spawn_with_env(&[])
    }

    /// As `spawn`, with more environment.
    pub fn spawn_with_env(&self, env: &[(&str, &str)]) -> KioskTerminal {
        let mut full = vec![("SHIFTKEY_LOG", self.log.to_str().unwrap())];
        full.extend_from_slice(env);
        KioskTerminal::spawn(&["kiosk", "--config", self.config.to_str().unwrap()], &full, 100, 30)
    }

    /// Keeps the audit log at `path` instead (before the kiosk starts).
    pub fn set_audit_log(&mut self, path: PathBuf) {
        self.set_key("audit_log", &format!("{path:?}"));
        self.audit = path;
    }

    /// Keeps the crash-recovery record (and the lock) in `dir` instead.
    pub fn set_state_dir(&mut self, dir: &Path) {
        self.set_key("state_dir", &format!("{dir:?}"));
    }

    /// Rewrites the config's top-level `key = ...` line.
    fn set_key(&self, key: &str, value: &str) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let prefix = format!("{key} = ");
        assert!(text.lines().any(|l| l.starts_with(&prefix)), "no {key} in the config");
        let lines: Vec<String> = text
            .lines()
            .map(|l| if l.starts_with(&prefix) { format!("{prefix}{value}") } else { l.to_string() })
            .collect();
        std::fs::write(&self.config, lines.join("\n") + "\n").unwrap();
    }

    pub fn audit_text(&self) -> String {
        std::fs::read_to_string(&self.audit).unwrap_or_default()
    }

    /// The audit records with this event name.
    pub fn audit_events(&self, event: &str) -> Vec<serde_json::Value> {
        self.audit_text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event"] == event)
            .collect()
    }
}

/// A dedicated session account for one test (created if missing; needs root and useradd).
/// Each test uses its own: the teardown ends every process of a dedicated uid, so sharing one
/// would let parallel tests end each other's sessions. None (the test partly skipped, or
/// failed under CI) when it can't be made: sessions then run as the tests' own user.
pub fn session_user(name: &str) -> Option<(String, u32)> {
    let what = "no dedicated session user: the run_as drop and the sweep of its files go unchecked";
    // One need at a time: as non-root, useradd is usually off PATH too, and root is the news.
    if !needs::requires_for(&[needs::Need::Root], what) || !needs::requires_for(&[needs::USERADD], what) {
        return None;
    }
    if nix::unistd::User::from_name(name).ok().flatten().is_none() {
        let status = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
            .status()
            .expect("useradd is needed to create the session test user");
        // 9: created meanwhile by a parallel test.
        assert!(status.success() || status.code() == Some(9), "useradd {name} failed: {status}");
    }
    let user = nix::unistd::User::from_name(name).unwrap().expect("the user exists now");
    Some((name.to_string(), user.uid.as_raw()))
}

/// The `[session]` line that runs sessions as `user`; without one, as the tests' own user
/// (a root kiosk must be told that explicitly).
pub fn run_as_line(user: &Option<(String, u32)>) -> String {
    match user {
        Some((name, _)) => format!("run_as = {name:?}"),
        None if nix::unistd::geteuid().is_root() => "run_as = \"root\"".to_string(),
        None => String::new(),
    }
}

/// Pids of live processes owned by `uid`.
pub fn processes_of_uid(uid: u32) -> Vec<i32> {
    shiftkey::session::procs::all_processes().into_iter().filter(|p| p.uid == uid && !p.zombie).map(|p| p.pid).collect()
}

/// Signs in at the kiosk on `screen` with the number typed as `typed`; waits for `ready` on screen.
pub async fn sign_in(screen: &mut KioskTerminal, backend: &Backend, typed: &str, e164: &str, ready: &str) -> String {
    let wait = Duration::from_secs(10);
    screen.wait_for("Enter your mobile number", wait).await;
    screen.type_text(typed).await;
    let before = outbox_codes(&backend.outbox, e164).len();
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to", wait).await;
    let code = backend.codes_for(e164, before + 1).pop().unwrap();
    screen.type_text(&code).await;
    screen.wait_for(ready, wait).await;
    // The session's output and the status bar are one frame, but a terminal may show a frame
    // half-written (a pty passes writes on in pieces): wait for the bar too.
    screen.wait_for("sign out", wait).await
}

/// A kiosk whose sessions (a shell that shows its `HOME`) run as `account`, with Alex
/// (+1 206 555 0100) signed in; and the session's private directory.
pub async fn alex_in_a_session(account: &str) -> (Backend, KioskSetup, KioskTerminal, String) {
    let backend = Backend::start();
    let user = session_user(account);
    let setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh", "-c", "echo DIR=$HOME; exec sh"],
        &run_as_line(&user),
    );
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "2065550100", "+12065550100", "DIR=").await;
    let dir = hostile::field(&shown, "DIR=");
    (backend, setup, screen, dir)
}

impl KioskTerminal {
    /// Resizes the pty the kiosk runs in (it gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.pump();
        self.parser.screen_mut().set_size(rows, cols);
        self.input.resize(cols, rows).expect("resize the pty");
    }
}

/// The same server as `shiftkey serve`, in-process so a test can move its clock.
pub struct InProcess {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub db: TestDb,
    pub outbox: PathBuf,
    pub clock: shiftkey::server::clock::ManualClock,
}

/// A directory with the policy on: alex (+12065550100) and sam (+12065550102).
pub const TWO_USERS: &str = "[policy]\nenabled = true\nuse_for_sign_in = true\n\
    [[user]]\nusername = \"alex\"\ndisplay_name = \"Alex\"\nmobile = \"+1 206 555 0100\"\n\
    [[user]]\nusername = \"sam\"\ndisplay_name = \"Sam\"\nmobile = \"+1 206 555 0102\"\n";

impl InProcess {
    /// Starts a server with `config` (server TOML; listen, db and outbox are set here).
    pub async fn start(config: &str, directory: &str) -> Self {
        Self::start_on(Engine::Sqlite, config, directory).await
    }

    /// As `start`, on `engine`.
    pub async fn start_on(engine: Engine, config: &str, directory: &str) -> Self {
        Self::start_with_sms_on(engine, config, directory, None).await
    }

    /// As `start`, with an `[sms]` table of the test's own instead of the outbox.
    pub async fn start_with_sms(config: &str, directory: &str, sms: Option<&str>) -> Self {
        Self::start_with_sms_on(Engine::Sqlite, config, directory, sms).await
    }

    /// As `start_with_sms`, on `engine`.
    pub async fn start_with_sms_on(engine: Engine, config: &str, directory: &str, sms: Option<&str>) -> Self {
        use shiftkey::config::ConfigFile;
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::new(engine, dir.path());
        let outbox = dir.path().join("outbox.jsonl");
        let sms = sms.map(str::to_string).unwrap_or_else(|| format!("[sms]\nkind = \"outbox\"\npath = {outbox:?}\n"));
        let text = format!("listen = \"127.0.0.1:0\"\n{}{config}\n{sms}", db.config_lines());
        let config = shiftkey::config::ServerConfig::from_toml(&text, Path::new("test.toml")).expect("test config");
        let store = shiftkey::server::store::Store::open(&config.db, None).await.unwrap();
        shiftkey::server::directory::load(&store, directory).await.unwrap();
        drop(store);
        let clock = shiftkey::server::clock::ManualClock::new();
        let gateway = shiftkey::server::sms::Gateway::from_config(&config).unwrap();
        let server = shiftkey::server::Server::bind(config, std::sync::Arc::new(clock.clone()), gateway).await.unwrap();
        let url = format!("http://{}", server.local_addr());
        tokio::spawn(server.run(std::future::pending()));
        InProcess { dir, url, db, outbox, clock }
    }

    /// Waits until `count` codes were texted to `e164`; returns them, oldest first.
    pub async fn codes_for(&self, e164: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let codes = outbox_codes(&self.outbox, e164);
            if codes.len() >= count {
                return codes;
            }
            assert!(Instant::now() < deadline, "no SMS with a code for {e164}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A property test's run, as `shiftkey::proptest_config` does it for the unit tests:
/// `default_cases` cases from a fixed seed in a plain `cargo test` (the suite must not flake),
/// or `PROPTEST_CASES` cases from a random seed for a longer search.
pub fn proptest_config(default_cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    match std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()) {
        Some(cases) => Config { cases, ..Config::default() },
        None => Config { cases: default_cases, rng_seed: RngSeed::Fixed(0x5eed), ..Config::default() },
    }
}

/// POSTs JSON and returns the status and the JSON answer (Null when none).
pub async fn post_json(url: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new().post(format!("{url}{path}")).json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// A group for tests (created if missing; needs root). Returns its gid.
pub fn test_group(name: &str) -> u32 {
    if nix::unistd::Group::from_name(name).ok().flatten().is_none() {
        let status = Command::new("groupadd").args(["--system", name]).status().expect("groupadd");
        assert!(status.success() || status.code() == Some(9), "groupadd {name}: {status}");
    }
    nix::unistd::Group::from_name(name).unwrap().expect("the group exists now").gid.as_raw()
}

/// A user for tests that is a member of `groups` (created if missing; needs root).
pub fn test_user_in(name: &str, groups: &[&str]) -> u32 {
    session_user(name).expect("root");
    let status = Command::new("usermod").args(["-a", "-G", &groups.join(","), name]).status().expect("usermod");
    assert!(status.success(), "usermod {name}: {status}");
    nix::unistd::User::from_name(name).unwrap().unwrap().uid.as_raw()
}

/// Runs `shiftkey ARGS` (a control command), optionally as another uid/gid; returns
/// (exit code, stdout, stderr).
pub fn run_cli(args: &[&str], as_user: Option<(u32, u32)>) -> (i32, String, String) {
    use std::os::unix::process::CommandExt;
    let mut command = match as_user {
        None => Command::new(BIN),
        Some((uid, gid)) => {
            let mut command = Command::new(bin_for_other_users());
            // The test's cwd (the clone) may be closed to that user too.
            command.uid(uid).gid(gid).current_dir("/");
            command
        }
    };
    command.args(args);
    let output = command.output().expect("run shiftkey");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `shiftkey status --json` against a kiosk, parsed.
pub fn status_json(control: &Path) -> serde_json::Value {
    let (code, out, err) = run_cli(&["status", "--json", "--control", control.to_str().unwrap()], None);
    assert_eq!(code, 0, "status failed: {err}");
    serde_json::from_str(&out).expect("status prints JSON")
}

/// A copy of the binary that any uid can run, made once per test binary: `BIN` sits in the
/// clone's target dir, which another user may not reach (a clone in root's 0700 home).
/// Removed when the test binary exits.
pub fn bin_for_other_users() -> &'static Path {
    use std::os::unix::fs::PermissionsExt;
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    extern "C" fn remove_copy() {
        if let Some(bin) = COPY.get().and_then(|bin| bin.parent()) {
            let _ = std::fs::remove_dir_all(bin);
        }
    }
    COPY.get_or_init(|| {
        // /tmp itself, not $TMPDIR, which may be private as well.
        let dir = tempfile::Builder::new().prefix("shiftkey-bin-").tempdir_in("/tmp").expect("a dir in /tmp").keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod the binary's dir");
        let bin = dir.join("shiftkey");
        std::fs::copy(BIN, &bin).expect("copy the binary where other users reach it");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod the binary");
        // SAFETY: registers a plain function to run at exit; it only removes the directory.
        unsafe { libc::atexit(remove_copy) };
        bin
    })
}
