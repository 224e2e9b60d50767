//! A throwaway PostgreSQL cluster for the tests: `initdb` into a temp dir (as the `postgres`
//! user when the tests run as root: PostgreSQL refuses to run as root), `pg_ctl` on a private
//! port and a socket in that dir, stopped and removed when the test binary exits. One cluster
//! per test binary, shared by its tests, each test with a fresh database of its own; a test
//! that stops the server (faults) starts a private cluster instead.
//!
//! `scripts/test` installs PostgreSQL from Debian (`apt-get install postgresql`); without it
//! the PostgreSQL half of each test is skipped and counted (`needs.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian puts the server's programs: `/usr/lib/postgresql/<version>/bin`, newest first;
/// else wherever `PATH` has `initdb`.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

/// A running PostgreSQL server of the tests' own.
pub struct Cluster {
    bin: PathBuf,
    /// The data directory, the socket and the log are in here.
    pub dir: PathBuf,
    pub port: u16,
    /// Who runs the server: `postgres` under root, else the tests' own user (None).
    runner: Option<&'static str>,
    /// PostgreSQL's own defaults: a commit is on disk when it is answered.
    durable: bool,
}

static SHARED: OnceLock<Cluster> = OnceLock::new();

/// The test binary's shared cluster, started on first use (callers check `needs::POSTGRES`
/// first), stopped and removed when the binary exits.
pub fn shared() -> &'static Cluster {
    extern "C" fn stop_shared() {
        if let Some(cluster) = SHARED.get() {
            cluster.remove();
        }
    }
    SHARED.get_or_init(|| {
        reap_orphans();
        let cluster = Cluster::start(false);
        // SAFETY: registers a plain function to run at exit; it stops the server and removes its dir.
        unsafe { libc::atexit(stop_shared) };
        cluster
    })
}

/// Stops and removes the clusters of test binaries that were killed before they could.
fn reap_orphans() {
    let Ok(entries) = std::fs::read_dir("/tmp") else { return };
    for entry in entries.flatten() {
        let dir = entry.path();
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("shiftkey-pg-") {
            continue;
        }
        let owner = std::fs::read_to_string(dir.join("owner")).ok().and_then(|pid| pid.trim().parse::<i32>().ok());
        let Some(owner) = owner else { continue };
        if nix::sys::signal::kill(nix::unistd::Pid::from_raw(owner), None).is_ok() {
            continue;
        }
        if let Some(bin) = bin_dir() {
            let runner = nix::unistd::geteuid().is_root().then_some("postgres");
            let orphan = Cluster { bin, dir, port: 0, runner, durable: false };
            drop(orphan);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    /// Makes and starts a new cluster, stopped and removed when dropped. `durable` keeps
    /// PostgreSQL's defaults (fsync, synchronous commit: a commit answered is on disk); else
    /// no fsync and commits answered before their WAL is written out, which a server crash
    /// may lose — fast, for tests that don't stop the server.
    pub fn start(durable: bool) -> Self {
        let bin = bin_dir().expect("PostgreSQL is installed (checked with needs::POSTGRES first)");
        let root = nix::unistd::geteuid().is_root();
        let dir = tempfile::Builder::new().prefix("shiftkey-pg-").tempdir_in("/tmp").expect("a temp dir").keep();
        let runner = root.then_some("postgres");
        if root {
            let user = nix::unistd::User::from_name("postgres").unwrap().expect("Debian's postgres user");
            nix::unistd::chown(&dir, Some(user.uid), Some(user.gid)).expect("give the cluster dir to postgres");
        }
        // Whose it is: a cluster whose test binary died without removing it is reaped later.
        std::fs::write(dir.join("owner"), std::process::id().to_string()).expect("write the owner file");
        let cluster = Cluster { bin, dir, port: free_port(), runner, durable };
        // Trust on the socket (the tests' own superuser); a password over TCP (postgres_tls.rs).
        cluster.run(
            "initdb",
            &["-D", &cluster.data(), "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust"],
            &["--auth-host=scram-sha-256"],
        );
        cluster.pg_ctl_start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// One of PostgreSQL's programs, to run as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = match self.runner {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        command.current_dir(&self.dir);
        command
    }

    /// Runs one of PostgreSQL's programs as the cluster's owner; panics with its output on failure.
    fn run(&self, program: &str, args: &[&str], more: &[&str]) {
        let output = self.command(program).args(args).args(more).output().expect("run a PostgreSQL program");
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the server and waits until it accepts connections.
    pub fn pg_ctl_start(&self) {
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c max_connections=300",
            self.port,
            self.dir.display(),
        );
        if !self.durable {
            options.push_str(" -c fsync=off -c full_page_writes=off -c synchronous_commit=off");
        }
        // More server options for a look inside (BENCHMARKS.md: `pg_stat_statements`).
        if let Ok(extra) = std::env::var("BENCH_PG_OPTIONS") {
            options.push(' ');
            options.push_str(&extra);
        }
        let log = self.dir.join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "-t", "60", "start"], &[]);
    }

    /// Stops the server at once (as a crash would: no shutdown checkpoint), and waits for it.
    pub fn pg_ctl_stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"], &[]);
    }

    /// Stops the server and removes its directory.
    pub fn remove(&self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// A new, empty database; its URL (the superuser over the cluster's socket).
    pub fn new_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of a database over the socket, as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@localhost/{database}?host={}&port={}", self.dir.display(), self.port)
    }

    /// Runs SQL as the superuser in `database`; returns what it printed (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        psql_with(&self.bin, &self.url(database), sql)
    }

    /// `pg_dump` of a database, as text.
    pub fn dump(&self, url: &str) -> Vec<u8> {
        let output = Command::new(self.bin.join("pg_dump")).arg("--dbname").arg(url).output().expect("run pg_dump");
        assert!(output.status.success(), "pg_dump: {}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Runs SQL in the database at `url` (one a cluster of this module made, whichever);
/// returns what it printed (unaligned, tuples only).
pub fn psql_at(url: &str, sql: &str) -> String {
    psql_with(&bin_dir().expect("PostgreSQL's programs"), url, sql)
}

fn psql_with(bin: &Path, url: &str, sql: &str) -> String {
    let output = Command::new(bin.join("psql"))
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .expect("run psql");
    assert!(output.status.success(), "psql {sql:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The database name in a URL this module made.
pub fn database_of(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}
