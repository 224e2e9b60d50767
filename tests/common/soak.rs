//! The soak: a worker signs in and out again and again through the real kiosk in a pty, against
//! a real `serve`, each session leaving a hostile daemon behind; then what the kiosk and the
//! server hold is compared with what they held after the first cycle. `tests/soak.rs` runs 100
//! cycles, `cargo bench --bench suite -- soak` 1,000 (RELIABILITY.md has the figures).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shiftkey::session::procs;

use super::{Backend, F12, KioskSetup, KioskTerminal, processes_of_uid, seeded_db, sign_in};

const WAIT: Duration = Duration::from_secs(15);
const SIGN_IN: &str = "Enter your mobile number";

/// Each session: a `setsid` daemon and a double-forked child (re-parented to the kiosk), both
/// meant to outlive it; a file in its home and one in `/tmp`; then it waits to be ended.
const HOSTILE_SESSION: &str = r#"setsid sh -c 'sleep 1000' &
( sleep 1000 & )
echo soak > "$HOME/work"; echo soak > "/tmp/sk-soak-$(id -u)-$$"
echo "DIR=$HOME SOAK-READY"
exec sleep 1000"#;

/// What a process holds, from `/proc`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    pub fds: usize,
    pub threads: usize,
    pub rss_kib: u64,
}

impl Held {
    pub fn of(pid: i32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name}"));
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        Held {
            fds: std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count(),
            threads: field("Threads:") as usize,
            rss_kib: field("VmRSS:"),
        }
    }
}

/// The database's size (its pages, and its WAL file apart) and its rows that grow with sign-ins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DbSize {
    /// The database's own size (pages × page size), wherever its pages are: the file or the WAL.
    pub bytes: u64,
    /// The WAL file: it is copied back and starts over past its mark, whatever the cycles.
    pub wal_bytes: u64,
    pub challenges: i64,
    pub tokens: i64,
    pub sends: i64,
}

/// The WAL file's bound: `serve` copies the WAL back past 1,000 pages and it starts over
/// (server/store/checkpoint.rs); a soak's few pages a cycle add little past the mark. A page is
/// 4 KiB in the WAL with a 24-byte frame header; the WAL's own header is 32 bytes.
const WAL_AT_MOST: u64 = 1_100 * (4096 + 24) + 32;

impl DbSize {
    pub fn of(db: &Path) -> Self {
        let size = |path: PathBuf| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        let connection = rusqlite::Connection::open(db).unwrap();
        let rows =
            |table: &str| connection.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        let pragma = |name: &str| -> u64 {
            let value: i64 = connection.pragma_query_value(None, name, |r| r.get(0)).unwrap();
            value.unsigned_abs()
        };
        DbSize {
            bytes: pragma("page_count") * pragma("page_size"),
            wal_bytes: size(wal),
            challenges: rows("challenges"),
            tokens: rows("tokens"),
            sends: rows("sends"),
        }
    }
}

/// What a soak found.
#[derive(Debug)]
pub struct Soak {
    pub cycles: usize,
    pub took: Duration,
    pub cycle_median: Duration,
    pub cycle_max: Duration,
    /// The kiosk after the first cycle and after the last, at the sign-in screen.
    pub kiosk_first: Held,
    pub kiosk_last: Held,
    pub kiosk_max_rss_kib: u64,
    pub server_first: Held,
    pub server_last: Held,
    pub db_first: DbSize,
    pub db_last: DbSize,
    pub session_ends: usize,
}

impl Soak {
    /// The figures, one line each, for RELIABILITY.md.
    pub fn lines(&self) -> Vec<String> {
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        vec![
            format!(
                "{} cycles in {:.0} s (a cycle: median {:.2} s, longest {:.2} s)",
                self.cycles,
                self.took.as_secs_f64(),
                self.cycle_median.as_secs_f64(),
                self.cycle_max.as_secs_f64()
            ),
            format!(
                "kiosk after the first / last cycle: {} / {} fds, {} / {} threads, RSS {} / {} ({:+.1} %), highest {}",
                self.kiosk_first.fds,
                self.kiosk_last.fds,
                self.kiosk_first.threads,
                self.kiosk_last.threads,
                mib(self.kiosk_first.rss_kib),
                mib(self.kiosk_last.rss_kib),
                growth(self.kiosk_first.rss_kib, self.kiosk_last.rss_kib),
                mib(self.kiosk_max_rss_kib),
            ),
            format!(
                "server RSS {} / {} ({:+.1} %)",
                mib(self.server_first.rss_kib),
                mib(self.server_last.rss_kib),
                growth(self.server_first.rss_kib, self.server_last.rss_kib)
            ),
            format!(
                "database {} / {} KiB (WAL file {} / {} KiB); rows challenges {} / {}, tokens {} / {}, send events {} / {} (kept 2 h for the caps)",
                self.db_first.bytes / 1024,
                self.db_last.bytes / 1024,
                self.db_first.wal_bytes / 1024,
                self.db_last.wal_bytes / 1024,
                self.db_first.challenges,
                self.db_last.challenges,
                self.db_first.tokens,
                self.db_last.tokens,
                self.db_first.sends,
                self.db_last.sends,
            ),
            format!("{} clean session_end records, no zombie, no file left", self.session_ends),
        ]
    }
}

fn growth(first: u64, last: u64) -> f64 {
    (last as f64 / first as f64 - 1.0) * 100.0
}

/// A backend that prunes every second, with caps far above what one number's soak sends.
fn soak_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_db(dir.path());
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        "prune_interval = \"1s\"\n[limits]\nper_phone_per_hour = 1000000\nper_client_per_hour = 1000000\n\
         per_server_per_hour = 1000000\n",
    )
    .unwrap();
    Backend::start_with_config(dir, db, Some(config))
}

/// One cycle: sign in (the session starts its daemons), F12, back at the sign-in screen.
/// Returns the session's directory.
async fn cycle(screen: &mut KioskTerminal, backend: &Backend) -> PathBuf {
    let shown = sign_in(screen, backend, "2065550100", "+12065550100", "SOAK-READY").await;
    let dir = PathBuf::from(super::hostile::field(&shown, "DIR="));
    screen.send(F12);
    screen.wait_for("Signed out — your session was erased", WAIT).await;
    // A key takes "Signed out" away at once (Backspace: nothing, if it is already gone).
    screen.send(b"\x7f");
    screen.wait_for(SIGN_IN, WAIT).await;
    dir
}

/// Waits until the server's pruning has left no challenge and no token (all used or revoked).
async fn pruned(db: &Path) -> DbSize {
    let deadline = Instant::now() + WAIT;
    loop {
        let size = DbSize::of(db);
        if size.challenges == 0 && size.tokens == 0 {
            return size;
        }
        assert!(Instant::now() < deadline, "never pruned: {size:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kiosk, settled at the sign-in screen: what it holds once the last sign-out's work is done
/// (the revoke's connection back in the pool, the pty reader gone).
async fn settled(pid: i32) -> Held {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Held::of(pid)
}

/// Runs `cycles` sign-ins and sign-outs of Alex with sessions as the dedicated user `account`
/// (root only), checks what must hold, and returns the figures.
pub async fn soak(cycles: usize, account: &str) -> Soak {
    let (name, uid) = super::session_user(account).expect("the soak runs as root");
    let backend = soak_backend();
    let session = format!("run_as = {name:?}\nsandbox = \"none\"");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh", "-c", HOSTILE_SESSION], &session);
    let mut screen = setup.spawn();
    let (kiosk, server) = (screen.process.pid, backend.pid());

    let started = Instant::now();
    let mut dirs = vec![cycle(&mut screen, &backend).await];
    let kiosk_first = settled(kiosk).await;
    let server_first = Held::of(server);
    let db_first = pruned(backend.db.path()).await;
    let mut times = Vec::new();
    let mut kiosk_max_rss_kib = kiosk_first.rss_kib;
    for _ in 1..cycles {
        let began = Instant::now();
        dirs.push(cycle(&mut screen, &backend).await);
        times.push(began.elapsed());
        kiosk_max_rss_kib = kiosk_max_rss_kib.max(Held::of(kiosk).rss_kib);
    }
    let took = started.elapsed();
    let kiosk_last = settled(kiosk).await;
    let server_last = Held::of(server);
    let db_last = pruned(backend.db.path()).await;

    // Nothing of any session is left: processes, zombies, files.
    assert_eq!(processes_of_uid(uid), Vec::<i32>::new(), "processes of the session user survived");
    let zombies: Vec<i32> =
        procs::all_processes().iter().filter(|p| p.ppid == kiosk && p.zombie).map(|p| p.pid).collect();
    assert_eq!(zombies, Vec::<i32>::new(), "zombies under the kiosk");
    let left: Vec<&PathBuf> = dirs.iter().filter(|dir| dir.exists()).collect();
    assert!(left.is_empty(), "session dirs left: {left:?}");
    let in_tmp: Vec<PathBuf> = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| std::os::unix::fs::MetadataExt::uid(&path.symlink_metadata().unwrap()) == uid)
        .collect();
    assert_eq!(in_tmp, Vec::<PathBuf>::new(), "files of the session user in /tmp");
    // Every session ended cleanly, and was audited.
    let ends = setup.audit_events("session_end");
    assert_eq!(ends.len(), cycles);
    for end in &ends {
        assert_eq!(end["reason"], "sign_out_key", "{end}");
        assert_eq!(end["revoke"], "revoked", "{end}");
        assert_eq!(end["left_alive"], serde_json::json!([]), "{end}");
        assert_eq!(end["files_left"], serde_json::json!([]), "{end}");
        assert_eq!(end["dir_removed"], true, "{end}");
    }

    times.sort();
    let soak = Soak {
        cycles,
        took,
        cycle_median: times.get(times.len() / 2).copied().unwrap_or_default(),
        cycle_max: times.last().copied().unwrap_or_default(),
        kiosk_first,
        kiosk_last,
        kiosk_max_rss_kib,
        server_first,
        server_last,
        db_first,
        db_last,
        session_ends: ends.len(),
    };
    // What the kiosk holds doesn't grow with the cycles.
    assert_eq!(kiosk_last.fds, kiosk_first.fds, "{soak:#?}");
    assert_eq!(kiosk_last.threads, kiosk_first.threads, "{soak:#?}");
    assert!(growth(kiosk_first.rss_kib, kiosk_last.rss_kib) < 10.0, "{soak:#?}");
    // Nor does the server, nor its database past the events the caps keep for two hours.
    assert!(growth(server_first.rss_kib, server_last.rss_kib) < 50.0, "{soak:#?}");
    assert_eq!(db_last.sends, db_first.sends + cycles as i64 - 1, "{soak:#?}");
    assert!(db_last.bytes < db_first.bytes + 256 * 1024 + cycles as u64 * 1024, "{soak:#?}");
    assert!(db_last.wal_bytes <= WAL_AT_MOST, "{soak:#?}");
    soak
}
