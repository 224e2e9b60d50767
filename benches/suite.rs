//! The benchmark suite: `cargo bench --bench suite` (release build) measures what workers and
//! stores feel, beside the tools they know, and prints a table. See BENCHMARKS.md.
//!
//! Environment: BENCH_IDLE_SECS (default 60) for the idle-CPU windows, BENCH_LOAD_SECS
//! (default 5) per concurrency level, TUIGREET (path) to use an installed tuigreet,
//! BENCH_PG_WORKERS (`workers` of PostgreSQL's replicas), BENCH_PG_OPTIONS (more `-c name=value`
//! server options for the PostgreSQL clusters), BENCH_ENGINES (which of `sqlite`, `pg1`, `pg2`
//! the load runs on; default all three), BENCH_CAPS=on (the load's replicas count the caps on
//! sends, set too high to refuse: what counting costs).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::rules::{self, FAILURES_CAP, Http, Person, Rig, Started, Texts};
use common::{Backend, F12, KioskSetup, KioskTerminal};
use serde_json::json;
use tokio::sync::oneshot;

const PROMPT: &str = "Enter your mobile number";

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// CPU time of a process so far: the scheduler's nanosecond count (/proc/PID/task/*/schedstat,
/// summed over its threads). /proc/PID/stat counts in 10 ms clock ticks, charged to whoever
/// runs when the tick lands: too coarse for a process that wakes for a millisecond a minute.
fn cpu_time(pid: i32) -> Duration {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    let nanos: u64 = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .map(|stat| stat.split_whitespace().next().unwrap().parse::<u64>().unwrap())
        .sum();
    Duration::from_nanos(nanos)
}

/// Peak resident memory (VmHWM) in MiB.
fn peak_rss_mib(pid: i32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 =
        status.lines().find(|l| l.starts_with("VmHWM:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// CPU milliseconds per minute of a process left alone for `secs`.
async fn idle_cpu_ms_per_min(pid: i32, secs: u64) -> f64 {
    let before = cpu_time(pid);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let used = cpu_time(pid) - before;
    used.as_secs_f64() * 1000.0 * 60.0 / secs as f64
}

/// tuigreet, installed from crates.io into target/bench-tools if not found.
fn tuigreet() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TUIGREET").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-tools");
    let path = root.join("bin/tuigreet");
    if !path.is_file() {
        eprintln!("installing tuigreet from crates.io into {} (once; a few minutes)…", root.display());
        let status =
            std::process::Command::new("cargo").args(["install", "--quiet", "tuigreet", "--root"]).arg(&root).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("!!! tuigreet could not be installed: its columns stay empty");
            return None;
        }
    }
    Some(path)
}

/// tuigreet in a pty, with GREETD_SOCK pointing at a stub that accepts and stays silent.
fn spawn_tuigreet(path: &Path, dir: &Path) -> (KioskTerminal, std::os::unix::net::UnixListener) {
    let socket = dir.join(format!("greetd-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let stub = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let command = KioskTerminal::command(path, &[], &[("GREETD_SOCK", socket.to_str().unwrap())], 100, 30);
    (KioskTerminal::spawn_command(&command), stub)
}

/// Sends `keys` keys to the shell on `screen`, one at a time, and times each until it is
/// drawn; the line is cleared every 50 keys and at the end.
async fn echo_latencies(screen: &mut KioskTerminal, keys: usize) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for i in 0..keys {
        let c = (b'a' + (i % 26) as u8) as char;
        let marker_count = screen.contents().matches(c).count();
        let started = Instant::now();
        screen.send(c.to_string().as_bytes());
        while screen.contents().matches(c).count() <= marker_count {
            assert!(screen.next_output(Duration::from_secs(5)).await, "no echo");
        }
        latencies.push(started.elapsed());
        if i % 50 == 49 {
            screen.send(b"\x15"); // Ctrl-U: clear the line
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    screen.send(b"\x15");
    tokio::time::sleep(Duration::from_millis(20)).await;
    latencies
}

/// Runs `cat FILE` in the shell on `screen`; the time until the shell's next output is drawn.
async fn cat_time(screen: &mut KioskTerminal, file: &Path) -> Duration {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The quotes keep the typed command from matching the marker it prints.
    let command = format!("cat {}; echo CAT''-DONE-{run}\r", file.display());
    screen.send(command.as_bytes());
    screen.time_until(&format!("CAT-DONE-{run}"), Duration::from_secs(120)).await
}

/// A text file of `size` bytes: numbered 80-column lines.
fn text_file(dir: &Path, size: usize) -> PathBuf {
    let path = dir.join("big.txt");
    let mut text = String::with_capacity(size + 100);
    let mut n = 0;
    while text.len() < size {
        text.push_str(&format!("{n:08} the quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJKLMNOPQRS\n"));
        n += 1;
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// tmux (the peer for 4 and 5), attached in a pty the size of the kiosk's, running /bin/sh;
/// its server is killed on drop.
struct Tmux {
    screen: KioskTerminal,
    socket: PathBuf,
}

impl Tmux {
    fn start(dir: &Path) -> Option<Tmux> {
        let tmux = which("tmux").or_else(|| {
            eprintln!("tmux not found: trying apt-get install -y tmux…");
            let installed = std::process::Command::new("apt-get").args(["install", "-y", "-q", "tmux"]).status();
            installed.is_ok_and(|s| s.success()).then(|| which("tmux")).flatten()
        });
        let Some(tmux) = tmux else {
            eprintln!("!!! tmux is missing (apt-get install tmux): its columns stay empty");
            return None;
        };
        let socket = dir.join(format!("tmux-{}.sock", std::process::id()));
        let socket_arg = socket.to_str().unwrap();
        let args = ["-S", socket_arg, "-f", "/dev/null", "new-session", "/bin/sh", ";", "set", "status", "off"];
        let command = KioskTerminal::command(&tmux, &args, &[], 100, 30);
        Some(Tmux { screen: KioskTerminal::spawn_command(&command), socket })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").status();
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

struct Row {
    number: &'static str,
    measure: String,
    ours: String,
    peer: String,
    target: String,
    met: Option<bool>,
}

fn print_table(rows: &[Row]) {
    println!("\n| # | measure | shiftkey | peer | target | met |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "—",
        };
        println!("| {} | {} | {} | {} | {} | {met} |", r.number, r.measure, r.ours, r.peer, r.target);
    }
}

fn bench_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let db = common::seeded_db(dir.path());
    let config = dir.path().join("bench.toml");
    // The only way limits go off: an explicit bench config (the server warns at start).
    std::fs::write(&config, "[limits]\nenabled = false\n").unwrap();
    Backend::start_with_config(dir, db, Some(config))
}

/// What every part of the suite shares.
struct Bench {
    work: tempfile::TempDir,
    tuigreet: Option<PathBuf>,
    backend: Backend,
    setup: KioskSetup,
    idle_secs: u64,
}

/// `cargo bench --bench suite [-- PART...]`: the parts are start, session (2-5), signout and
/// load; none named runs them all. `soak` (1,000 sign-ins and outs, about half an hour; its
/// figures go in RELIABILITY.md) runs only when named.
#[tokio::main]
async fn main() {
    let parts: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if parts.iter().any(|p| p == "soak") {
        let cycles = env_secs("BENCH_SOAK_CYCLES", 1000) as usize;
        // Its own session user: a soak test running meanwhile (`sk-soak`) would end its sessions.
        for line in common::soak::soak(cycles, "sk-soak-bench").await.lines() {
            println!("soak: {line}");
        }
        if parts.len() == 1 {
            return;
        }
    }
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    let work = tempfile::tempdir().unwrap();
    let tuigreet = if wanted("start") || wanted("session") { tuigreet() } else { None };
    let backend = bench_backend();
    let setup =
        KioskSetup::new(work.path(), &backend.url, &["/bin/sh", "-c", "echo READY; exec /bin/sh"], "run_as = \"root\"");
    let bench = Bench { work, tuigreet, backend, setup, idle_secs: env_secs("BENCH_IDLE_SECS", 60) };
    let mut rows = Vec::new();
    if wanted("start") {
        rows.extend(start_up(&bench).await);
    }
    if wanted("session") {
        rows.extend(sign_in_screen_and_session(&bench).await);
    }
    if wanted("signout") {
        rows.extend(sign_out(&bench).await);
    }
    if wanted("load") {
        rows.extend(load_on_each_engine(env_secs("BENCH_LOAD_SECS", 5)).await);
    }
    print_table(&rows);
}

/// 1. Start-up to the first interactive frame, beside tuigreet.
async fn start_up(bench: &Bench) -> Vec<Row> {
    let Bench { work, tuigreet, setup, .. } = bench;
    let mut rows = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let mut screen = setup.spawn();
        screen.time_until(PROMPT, Duration::from_secs(10)).await;
        ours.push(started.elapsed());
        drop(screen);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut peer = Vec::new();
    if let Some(path) = &tuigreet {
        for _ in 0..20 {
            let started = Instant::now();
            let (mut screen, _stub) = spawn_tuigreet(path, work.path());
            screen.time_until("Username", Duration::from_secs(10)).await;
            peer.push(started.elapsed());
        }
    }
    let (ours_start, peer_start) = (median(ours), (!peer.is_empty()).then(|| median(peer)));
    rows.push(Row {
        number: "1",
        measure: "start → first sign-in frame (median of 20)".into(),
        ours: ms(ours_start),
        peer: peer_start.map(ms).unwrap_or("n/a".into()),
        target: "≤ tuigreet".into(),
        met: peer_start.map(|p| ours_start <= p),
    });

    rows
}

/// 2-5. Idle CPU and memory at the sign-in screen and in a session; echo and throughput
/// in the session, beside tuigreet and tmux.
async fn sign_in_screen_and_session(bench: &Bench) -> Vec<Row> {
    let Bench { work, tuigreet, backend, setup, idle_secs } = bench;
    let idle_secs = *idle_secs;
    let mut rows = Vec::new();
    // 2 + 3. Idle CPU and peak memory at the sign-in screen, before and after a number.
    let mut screen = setup.spawn();
    screen.time_until(PROMPT, Duration::from_secs(10)).await;
    let pid = screen.process.pid;
    let cpu_signin = idle_cpu_ms_per_min(pid, idle_secs).await;
    let rss_before = peak_rss_mib(pid);
    screen.type_text("2065550100").await;
    screen.wait_for("(206) 555-0100", Duration::from_secs(5)).await;
    let rss_after = peak_rss_mib(pid);
    let (mut cpu_peer, mut rss_peer) = (None, None);
    if let Some(path) = &tuigreet {
        let (mut greeter, _stub) = spawn_tuigreet(path, work.path());
        greeter.time_until("Username", Duration::from_secs(10)).await;
        cpu_peer = Some(idle_cpu_ms_per_min(greeter.process.pid, idle_secs).await);
        rss_peer = Some(peak_rss_mib(greeter.process.pid));
    }
    // In a session with an idle shell.
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code", Duration::from_secs(5)).await;
    let code = backend.code_for("+12065550100");
    screen.type_text(&code).await;
    screen.wait_for("READY", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu_session = idle_cpu_ms_per_min(pid, idle_secs).await;
    let rss_session = peak_rss_mib(pid);
    rows.push(Row {
        number: "2",
        measure: format!("CPU idle at sign-in ({idle_secs} s)"),
        ours: format!("{cpu_signin:.1} ms/min"),
        peer: cpu_peer.map(|c| format!("{c:.1} ms/min")).unwrap_or("n/a".into()),
        target: "< 30 ms/min".into(),
        met: Some(cpu_signin < 30.0),
    });
    rows.push(Row {
        number: "2",
        measure: format!("CPU idle in a session, idle shell ({idle_secs} s)"),
        ours: format!("{cpu_session:.1} ms/min"),
        peer: "—".into(),
        target: "< 30 ms/min".into(),
        met: Some(cpu_session < 30.0),
    });
    rows.push(Row {
        number: "3",
        measure: "peak RSS at sign-in, before a number".into(),
        ours: format!("{rss_before:.1} MiB"),
        peer: rss_peer.map(|r| format!("{r:.1} MiB")).unwrap_or("n/a".into()),
        target: "≤ tuigreet".into(),
        met: rss_peer.map(|p| rss_before <= p),
    });
    rows.push(Row {
        number: "3",
        measure: "peak RSS after a number / in a session".into(),
        ours: format!("{rss_after:.1} / {rss_session:.1} MiB"),
        peer: "—".into(),
        target: "< 20 MiB".into(),
        met: Some(rss_after < 20.0),
    });

    // 5 + 4. Keypress-to-echo latency and output throughput inside the session, then in tmux.
    let big_file = text_file(work.path(), 64 << 20);
    let mut tmux = Tmux::start(work.path());
    if let Some(tmux) = &mut tmux {
        tmux.screen.wait_for("# ", Duration::from_secs(10)).await;
    }
    // 500 keys each, in turns of 50, so both see the same machine.
    let (mut ours_echo, mut tmux_echo) = (Vec::new(), tmux.as_ref().map(|_| Vec::new()));
    for _ in 0..10 {
        ours_echo.extend(echo_latencies(&mut screen, 50).await);
        if let (Some(tmux), Some(latencies)) = (&mut tmux, &mut tmux_echo) {
            latencies.extend(echo_latencies(&mut tmux.screen, 50).await);
        }
    }
    // Three runs each, taking turns, so both see the same machine; the median counts.
    let (mut ours_cats, mut tmux_cats) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        ours_cats.push(cat_time(&mut screen, &big_file).await);
        if let Some(tmux) = &mut tmux {
            tmux_cats.push(cat_time(&mut tmux.screen, &big_file).await);
        }
    }
    drop(tmux);
    let ours_cat = median(ours_cats);
    let tmux_cat = (!tmux_cats.is_empty()).then(|| median(tmux_cats));
    let ratio = tmux_cat.map(|t| ours_cat.as_secs_f64() / t.as_secs_f64());
    rows.push(Row {
        number: "4",
        measure: "`cat` 64 MiB in a session until the prompt is back (median of 3)".into(),
        ours: format!("{}{}", ms(ours_cat), ratio.map(|r| format!(" ({r:.2} × tmux)")).unwrap_or_default()),
        peer: tmux_cat.map(|t| format!("tmux {}", ms(t))).unwrap_or("n/a".into()),
        target: "≤ 1.0 × tmux".into(),
        met: ratio.map(|r| r <= 1.0),
    });
    let (p50, p99) = (percentile(&mut ours_echo, 0.5), percentile(&mut ours_echo, 0.99));
    let tmux_p = tmux_echo.as_mut().map(|l| (percentile(l, 0.5), percentile(l, 0.99)));
    rows.push(Row {
        number: "5",
        measure: "key → echo in a session (500 keys, in turns of 50)".into(),
        ours: format!("p50 {} p99 {}", ms(p50), ms(p99)),
        peer: tmux_p.map(|(a, b)| format!("tmux p50 {} p99 {}", ms(a), ms(b))).unwrap_or("n/a".into()),
        target: "p99 < 10 ms and ≤ tmux".into(),
        met: Some(p99 < Duration::from_millis(10) && tmux_p.is_none_or(|(_, t99)| p99 <= t99)),
    });
    screen.send(F12);
    screen.wait_for(PROMPT, Duration::from_secs(10)).await;
    drop(screen);

    rows
}

/// 6. Sign-out: key to a clean screen, for a session that exits on SIGTERM (median of 20).
async fn sign_out(bench: &Bench) -> Vec<Row> {
    let Bench { work, backend, .. } = bench;
    let mut rows = Vec::new();
    let quick = KioskSetup::new(
        work.path(),
        &backend.url,
        &["/bin/sh", "-c", "trap 'exit 0' TERM HUP; echo READY; while :; do sleep 1; done"],
        "run_as = \"root\"",
    );
    let mut screen = quick.spawn();
    let mut signouts = Vec::new();
    for _ in 0..20 {
        common::sign_in(&mut screen, backend, "2065550100", "+12065550100", "READY").await;
        let started = Instant::now();
        screen.send(F12);
        screen.time_until("Signed out — your session was erased", Duration::from_secs(10)).await;
        signouts.push(started.elapsed());
        screen.wait_for(PROMPT, Duration::from_secs(10)).await;
    }
    let signout = median(signouts);
    rows.push(Row {
        number: "6",
        measure: "sign-out key → clean screen (median of 20)".into(),
        ours: ms(signout),
        peer: "—".into(),
        target: "< 250 ms".into(),
        met: Some(signout < Duration::from_millis(250)),
    });
    drop(screen);

    rows
}

/// Codes from the outbox, handed to whoever waits for that number.
type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<String>>>>;

/// Tails the outbox file and delivers each code to its waiter.
fn tail_outbox(path: PathBuf, waiters: Waiters) {
    std::thread::spawn(move || {
        let mut offset = 0;
        loop {
            if let Ok(mut file) = std::fs::File::open(&path) {
                file.seek(SeekFrom::Start(offset)).unwrap();
                let mut reader = BufReader::new(file);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    if !line.ends_with('\n') {
                        break;
                    }
                    offset += line.len() as u64;
                    let message: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let code = message["body"].as_str().unwrap().rsplit('#').next().unwrap().to_string();
                    if let Some(waiter) = waiters.lock().unwrap().remove(message["to"].as_str().unwrap()) {
                        let _ = waiter.send(code);
                    }
                    line.clear();
                }
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    });
}

/// Where the load runs: `serve` on SQLite, or `replicas` of it on one PostgreSQL database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Engine {
    Sqlite,
    Postgres { replicas: usize },
}

/// Measure 8 on SQLite (1, 16, 64, 256 clients), then on PostgreSQL with one and with two
/// replicas (64, 256), and the ratio of two replicas to one; each engine's latency at a fixed
/// offered rate.
async fn load_on_each_engine(secs: u64) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut rates = HashMap::new();
    let engines: [(Engine, &[usize]); 3] = [
        (Engine::Sqlite, &[1, 16, 64, 256]),
        (Engine::Postgres { replicas: 1 }, &[64, 256]),
        (Engine::Postgres { replicas: 2 }, &[64, 256]),
    ];
    let chosen = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,pg1,pg2".into());
    let chosen: Vec<&str> = chosen.split(',').map(str::trim).collect();
    for (engine, levels) in engines {
        let name = match engine {
            Engine::Sqlite => "sqlite".to_string(),
            Engine::Postgres { replicas } => format!("pg{replicas}"),
        };
        if !chosen.contains(&name.as_str()) {
            eprintln!("load on {name}: not in BENCH_ENGINES, not measured");
            continue;
        }
        if engine != Engine::Sqlite && !common::needs::requires(&[common::needs::POSTGRES]) {
            continue;
        }
        let on = match engine {
            Engine::Sqlite => "SQLite".to_string(),
            Engine::Postgres { replicas: 1 } => "PostgreSQL, 1 replica".to_string(),
            Engine::Postgres { replicas } => format!("PostgreSQL, {replicas} replicas"),
        };
        for (phase, row) in load(engine, levels, secs).await {
            let measure = match phase {
                Phase::Closed { clients, rate } => {
                    rates.insert((engine, clients), rate);
                    format!("backend on {on}, {clients} concurrent clients")
                }
                Phase::Open { rate } => {
                    format!("backend on {on}, latency at {rate:.0} sign-ins/s offered, ≤ {OPEN_LOOP_CLIENTS} in flight")
                }
                Phase::Rules { rate } => {
                    format!("backend on {on}, the rules of issue 18 at {rate:.0} sign-ins/s offered")
                }
            };
            rows.push(Row { number: "8", measure, ..row });
        }
    }
    for clients in [64, 256] {
        let one = rates.get(&(Engine::Postgres { replicas: 1 }, clients));
        if let (Some(one), Some(two)) = (one, rates.get(&(Engine::Postgres { replicas: 2 }, clients))) {
            rows.push(Row {
                number: "8",
                measure: format!("PostgreSQL, 2 replicas / 1 replica, {clients} clients"),
                ours: format!("{:.2}", two / one),
                peer: "—".into(),
                target: "—".into(),
                met: None,
            });
        }
    }
    rows
}

/// The load generator's directory: 256 users, each with a number of their own; and the rules
/// checkers' four (`checker`).
fn load_directory() -> String {
    let mut directory = String::from("[policy]\nenabled = true\nuse_for_sign_in = true\n");
    for i in 0..256 {
        directory.push_str(&format!(
            "[[user]]\nusername = \"u{i}\"\ndisplay_name = \"User {i}\"\nmobile = \"+1 206 555 {:04}\"\n",
            1000 + i
        ));
    }
    for Person { username, e164 } in (0..4).map(checker) {
        directory.push_str(&format!(
            "[[user]]\nusername = \"{username}\"\ndisplay_name = \"Checker\"\nmobile = \"{e164}\"\n"
        ));
    }
    directory
}

/// What a row of the load measured: sign-ins a second with `clients` busy (closed loop), the
/// latency at a `rate` offered (open loop), or the rules checked at that rate.
enum Phase {
    Closed { clients: usize, rate: f64 },
    Open { rate: f64 },
    Rules { rate: f64 },
}

/// What an engine is held to at 64 clients: sign-ins a second with every client busy (closed
/// loop), and the p99 at that many offered a second (open loop).
struct LoadTarget {
    rate: f64,
    p99: Duration,
}

fn load_target(engine: Engine) -> Option<LoadTarget> {
    match engine {
        Engine::Sqlite => Some(LoadTarget { rate: 2000.0, p99: Duration::from_millis(25) }),
        Engine::Postgres { replicas: 1 } => Some(LoadTarget { rate: 1500.0, p99: Duration::from_millis(50) }),
        Engine::Postgres { .. } => None,
    }
}

/// The clients the open-loop latency is measured with at most (a sign-in in flight each).
const OPEN_LOOP_CLIENTS: usize = 64;

/// Runs complete sign-ins (start, code from the outbox, verify, /me, sign-out) on `engine`:
/// first at each number of concurrent clients for `secs` each, each client starting its next
/// sign-in when its last is done (closed loop: sign-ins a second; the latency there is only
/// clients / rate, so it isn't reported); then at fixed offered rates (open loop: latency) —
/// the engine's target rate (PostgreSQL's with one replica for two), and on PostgreSQL 1,000 a
/// second too. With several replicas each sign-in goes to the next one (a round-robin load
/// balancer). On PostgreSQL, the rules of issue 18 are checked at the target rate last.
async fn load(engine: Engine, levels: &[usize], secs: u64) -> Vec<(Phase, Row)> {
    let dir = tempfile::tempdir().unwrap();
    // Durable, PostgreSQL's defaults: what a deployment runs (README).
    let cluster = matches!(engine, Engine::Postgres { .. }).then(|| common::postgres::Cluster::start(true));
    let db = match &cluster {
        None => common::TestDb::sqlite(&dir.path().join("load.db")),
        Some(cluster) => common::TestDb::in_cluster(cluster, dir.path()),
    };
    let store = shiftkey::server::store::Store::open(&db.location.parse().unwrap(), None).await.unwrap();
    shiftkey::server::directory::load(&store, &load_directory()).await.unwrap();
    drop(store);
    let replicas = match engine {
        Engine::Sqlite => 1,
        Engine::Postgres { replicas } => replicas,
    };
    // `BENCH_PG_WORKERS` sets `workers` for PostgreSQL's replicas (default 1, as `serve`'s).
    let workers = match engine {
        Engine::Sqlite => 1,
        Engine::Postgres { .. } => std::env::var("BENCH_PG_WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(1),
    };
    // The caps on sends are off: the load's 256 numbers from one address would pass them. With
    // `BENCH_CAPS=on` they are on but too high to refuse anything: what counting them costs.
    // The cap on a user's failures stays (the load makes none) for the rules checked at load.
    let caps = if std::env::var("BENCH_CAPS").is_ok_and(|caps| caps == "on") {
        let max = u32::MAX;
        format!(
            "per_phone_per_hour = {max}\nper_client_per_hour = {max}\nper_server_per_hour = {max}\n\
             trust_forwarded_for = true\n"
        )
    } else {
        "enabled = false\n".to_string()
    };
    let config = format!("workers = {workers}\n[limits]\n{caps}failures_per_user_per_hour = {FAILURES_CAP}\n");
    let backends: Vec<Backend> = std::iter::once(dir)
        .chain((1..replicas).map(|_| tempfile::tempdir().unwrap()))
        .map(|dir| common::replica(dir, &db, &config, true))
        .collect();
    let waiters: Waiters = Arc::default();
    for backend in &backends {
        tail_outbox(backend.outbox.clone(), waiters.clone());
    }
    let generator = Generator {
        urls: Arc::new(backends.iter().map(|b| b.url.clone()).collect()),
        client: reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap(),
        waiters,
    };
    let target = load_target(engine);
    let mut rows = Vec::new();
    for &clients in levels {
        let (rate, errors) = generator.closed_loop(clients, Duration::from_secs(secs)).await;
        let (target, met) = match &target {
            Some(target) if clients == OPEN_LOOP_CLIENTS => {
                (format!("≥ {:.0}/s, 0 errors", target.rate), Some(rate >= target.rate && errors == 0))
            }
            _ => ("—".to_string(), None),
        };
        let ours = format!("{rate:.0} sign-ins/s, {errors} errors");
        let row = Row { number: "8", measure: String::new(), ours, peer: "—".into(), target, met };
        rows.push((Phase::Closed { clients, rate }, row));
    }
    // The target's rate (PostgreSQL's with one replica for two), and on PostgreSQL 1,000 a
    // second too: its latency below what it can do, not only queued.
    let target_rate = target.as_ref().map_or(1500.0, |target| target.rate);
    let below = matches!(engine, Engine::Postgres { .. }).then_some(1000.0);
    for offered in std::iter::once(target_rate).chain(below) {
        let run = generator.open_loop(offered, OPEN_LOOP_CLIENTS, Duration::from_secs(secs)).await;
        let (target, met) = match &target {
            Some(target) if offered == target.rate => (
                format!("p99 < {} ms, 0 errors", target.p99.as_millis()),
                Some(run.p99 < target.p99 && run.errors == 0 && run.achieved >= 0.97 * offered),
            ),
            _ => ("—".to_string(), None),
        };
        let ours = format!(
            "p50 {} p99 {}; {:.0} sign-ins/s done, {} errors",
            ms(run.p50),
            ms(run.p99),
            run.achieved,
            run.errors
        );
        rows.push((
            Phase::Open { rate: offered },
            Row { number: "8", measure: String::new(), ours, peer: "—".into(), target, met },
        ));
    }
    if matches!(engine, Engine::Postgres { .. }) {
        let row = rules_at_load(&generator, &db, target_rate, Duration::from_secs(secs)).await;
        rows.push((Phase::Rules { rate: target_rate }, row));
    }
    drop(backends);
    rows
}

/// The checkers' users in the load directory: `r0`… with numbers +1 206 559 0000….
fn checker(i: usize) -> Person {
    Person { username: format!("r{i}"), e164: format!("+1206559{i:04}") }
}

/// The rules of issue 18 checked while the replicas serve `rate` sign-ins a second (open loop,
/// as measured above): from a second into the load, one after another, each with a user of its
/// own, over the loaded replicas and two more on the same database with the caps on (the
/// load's replicas have them off). Each check is `tests/replicas.rs`'s (`common::rules`); a
/// third extra replica, whose per-server cap (1,000 an hour) the load's texts passed long ago,
/// must refuse every start. Met when every check held, all before the load ended, and the load
/// kept its rate without errors.
async fn rules_at_load(generator: &Generator, db: &common::TestDb, rate: f64, length: Duration) -> Row {
    let capped = format!(
        "[limits]\nper_phone_per_hour = 5\nper_client_per_hour = 4\nper_server_per_hour = {}\n\
         trust_forwarded_for = true\nfailures_per_user_per_hour = {FAILURES_CAP}\n",
        u32::MAX
    );
    let full = format!(
        "[limits]\nper_server_per_hour = 1000\nper_client_per_hour = {}\ntrust_forwarded_for = true\n",
        u32::MAX
    );
    let extra: Vec<Backend> = [&capped, &capped, &full]
        .into_iter()
        .map(|config| common::replica(tempfile::tempdir().unwrap(), db, config, true))
        .collect();
    for backend in &extra {
        tail_outbox(backend.outbox.clone(), generator.waiters.clone());
    }
    let capped_urls: Vec<String> = extra[..2].iter().map(|b| b.url.clone()).collect();
    // The checks' requests share the load's connection pool.
    let http = Http(generator.client.clone());
    let everyone =
        Rig { urls: generator.urls.iter().chain(&capped_urls).cloned().collect(), db, texts: generator, http };
    let with_caps = Rig { urls: capped_urls, db, texts: generator, http: everyone.http.clone() };
    let started = Instant::now();
    let checks = async {
        tokio::time::sleep(Duration::from_secs(1).min(length / 5)).await;
        let outcomes = [
            (
                "50 wrong guesses count as 5",
                rules::fifty_parallel_wrong_guesses_count_as_five(&everyone, &checker(0)).await,
            ),
            ("the user's cap on failures", rules::wrong_codes_stop_at_the_users_cap(&everyone, &checker(1)).await),
            (
                "a right code signs in once",
                rules::a_right_code_sent_to_every_replica_at_once_signs_in_once(&everyone, &checker(2), 3).await,
            ),
            (
                "the caps per number and client",
                rules::the_send_caps_hold(&with_caps, ("+12065590100", 5), ("198.51.100.7", 4), 0).await,
            ),
            (
                "a signed-out token is dead",
                rules::a_token_signed_out_on_one_replica_is_dead_on_the_others(&everyone, &checker(3)).await,
            ),
            ("the per-server cap", the_others_sends_fill_the_per_server_cap(&everyone.http, &extra[2].url, db).await),
        ];
        (outcomes, started.elapsed())
    };
    let (run, (outcomes, checked_in)) = tokio::join!(generator.open_loop(rate, OPEN_LOOP_CLIENTS, length), checks);
    let broken: Vec<String> =
        outcomes.iter().filter_map(|(rule, outcome)| outcome.as_ref().err().map(|e| format!("{rule}: {e}"))).collect();
    for broken in &broken {
        eprintln!("rule broken at load: {broken}");
    }
    let in_time = checked_in < length;
    let met = broken.is_empty() && in_time && run.errors == 0 && run.achieved >= 0.97 * rate;
    let ours = format!(
        "{} of {} rules held, checked by {:.1} s of {} s; p99 {}, {:.0} sign-ins/s done, {} errors",
        outcomes.len() - broken.len(),
        outcomes.len(),
        checked_in.as_secs_f64(),
        length.as_secs(),
        ms(run.p99),
        run.achieved,
        run.errors
    );
    let target = "every rule holds, checked while the load runs, 0 errors".to_string();
    Row { number: "8", measure: String::new(), ours, peer: "—".into(), target, met: Some(met) }
}

/// A replica whose per-server cap is passed by the other replicas' texts (as the database
/// counts them) refuses every start, for numbers and addresses of their own, with Retry-After.
async fn the_others_sends_fill_the_per_server_cap(http: &Http, url: &str, db: &common::TestDb) -> Result<(), String> {
    let sent: u64 = db.query("SELECT COUNT(*) FROM sends").trim().parse().unwrap();
    rules::ensure(sent >= 1000, || format!("the load sent only {sent} texts, under the cap of 1000"))?;
    for i in 0..12 {
        let (phone, client) = (format!("+1206558{i:04}"), format!("192.0.2.{}", 1 + i));
        let response = http
            .0
            .post(format!("{url}/v1/sign-in/start"))
            .header("x-forwarded-for", client)
            .json(&json!({ "phone": phone }))
            .send()
            .await
            .map_err(|e| format!("start: {e}"))?;
        let (status, retry) = (response.status().as_u16(), response.headers().contains_key("retry-after"));
        rules::ensure(status == 429 && retry, || {
            format!("start {i} on the full replica: {status}, Retry-After {retry}")
        })?;
    }
    Ok(())
}

/// The load generator: the replicas' addresses, one HTTP client (its connection pool) and the
/// codes the outbox brings.
#[derive(Clone)]
struct Generator {
    urls: Arc<Vec<String>>,
    client: reqwest::Client,
    waiters: Waiters,
}

/// What an open-loop run measured.
struct OpenLoopRun {
    p50: Duration,
    p99: Duration,
    /// Sign-ins completed a second, over the run until the last one ended.
    achieved: f64,
    errors: u64,
}

impl Generator {
    /// The number of user `i` of the load directory.
    fn phone(i: usize) -> String {
        format!("+1206555{:04}", 1000 + i)
    }

    /// `clients` clients, each signing in again as soon as it is done, for `length`: sign-ins a
    /// second and errors.
    async fn closed_loop(&self, clients: usize, length: Duration) -> (f64, u64) {
        let deadline = Instant::now() + length;
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|i| {
                let generator = self.clone();
                tokio::spawn(async move {
                    let phone = Self::phone(i);
                    let (mut done, mut errors) = (0u64, 0u64);
                    while Instant::now() < deadline && done < 100_000 {
                        let url = &generator.urls[(i + (done + errors) as usize) % generator.urls.len()];
                        match generator.sign_in_once(url, &phone).await {
                            Ok(()) => done += 1,
                            Err(_) => errors += 1,
                        }
                    }
                    (done, errors)
                })
            })
            .collect();
        let (mut done, mut errors) = (0, 0);
        for task in tasks {
            let (d, e) = task.await.unwrap();
            done += d;
            errors += e;
        }
        (done as f64 / started.elapsed().as_secs_f64(), errors)
    }

    /// A sign-in due every 1/`rate` s for `length`, whether or not those before it are done,
    /// each by one of `clients` clients (a client is busy until its sign-in ends; when none is
    /// free the sign-in waits for one). Each is timed from when it was due, the wait included:
    /// a server falling behind shows as latency, not as fewer sign-ins asked of it.
    async fn open_loop(&self, rate: f64, clients: usize, length: Duration) -> OpenLoopRun {
        let (free, mut next_free) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..clients {
            free.send(i).unwrap();
        }
        let total = (rate * length.as_secs_f64()) as usize;
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(total);
        for k in 0..total {
            let due = started + Duration::from_secs_f64(k as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let i = next_free.recv().await.unwrap();
            let (generator, free) = (self.clone(), free.clone());
            tasks.push(tokio::spawn(async move {
                let url = &generator.urls[k % generator.urls.len()];
                let ok = generator.sign_in_once(url, &Self::phone(i)).await.is_ok();
                let latency = due.elapsed();
                let _ = free.send(i);
                (ok, latency)
            }));
        }
        let (mut latencies, mut errors) = (Vec::with_capacity(total), 0);
        for task in tasks {
            let (ok, latency) = task.await.unwrap();
            errors += u64::from(!ok);
            latencies.push(latency);
        }
        let achieved = (total as u64 - errors) as f64 / started.elapsed().as_secs_f64();
        OpenLoopRun { p50: percentile(&mut latencies, 0.5), p99: percentile(&mut latencies, 0.99), achieved, errors }
    }
}

/// POSTs JSON with the generator's shared client (its connection pool) and reads JSON back.
async fn post_json(
    client: &reqwest::Client,
    url: String,
    body: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let response = client.post(url).json(&body).send().await.map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

impl Generator {
    /// One complete sign-in; the token must be accepted by /me before it is signed out. The
    /// start comes from an address of the number's own (`X-Forwarded-For`, which only
    /// `BENCH_CAPS=on` replicas trust): a kiosk in a store of its own.
    async fn sign_in_once(&self, url: &str, phone: &str) -> Result<(), String> {
        let from = format!("10.0.{}.{}", &phone[phone.len() - 2..], &phone[phone.len() - 4..phone.len() - 2]);
        let (challenge, code) = self.start_from(url, phone, Some(&from)).await?;
        let verify = json!({ "challenge_id": challenge, "code": code });
        let grant = post_json(&self.client, format!("{url}/v1/sign-in/verify"), verify).await?;
        let token = grant["access_token"].as_str().ok_or_else(|| format!("verify: {grant}"))?;
        let me = self.client.get(format!("{url}/v1/me")).bearer_auth(token).send().await.map_err(|e| e.to_string())?;
        if me.status() != 200 {
            return Err(format!("token not accepted: {}", me.status()));
        }
        let out = self.client.post(format!("{url}/v1/sign-out")).bearer_auth(token).send().await;
        let out = out.map_err(|e| e.to_string())?;
        if out.status() != 204 {
            return Err(format!("sign-out: {}", out.status()));
        }
        Ok(())
    }
}

impl Generator {
    /// Starts a sign-in (from `client`, an `X-Forwarded-For` address, when given): its
    /// challenge, and its code from the outbox tail, handed over by number.
    async fn start_from(&self, url: &str, e164: &str, client: Option<&str>) -> Result<Started, String> {
        let (sender, code) = oneshot::channel();
        self.waiters.lock().unwrap().insert(e164.to_string(), sender);
        let mut start = self.client.post(format!("{url}/v1/sign-in/start")).json(&json!({ "phone": e164 }));
        if let Some(client) = client {
            start = start.header("x-forwarded-for", client);
        }
        let start = start.send().await.map_err(|e| e.to_string())?;
        if start.status() != 202 {
            return Err(format!("start: {}", start.status()));
        }
        let start: serde_json::Value = start.json().await.map_err(|e| e.to_string())?;
        let code =
            tokio::time::timeout(Duration::from_secs(5), code).await.map_err(|_| "no sms")?.map_err(|_| "no sms")?;
        Ok((start["challenge_id"].clone(), code))
    }
}

/// The rules' checks start sign-ins each from an address of its own (`X-Forwarded-For`, which
/// the extra replicas trust): the load's one address passed the per-client cap long ago.
impl Texts for Generator {
    async fn start(&self, url: &str, e164: &str) -> Result<Started, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        self.start_from(url, e164, Some(&format!("198.18.{}.{}", n / 250, 1 + n % 250))).await
    }
}
