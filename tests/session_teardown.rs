//! The promise: when a session ends, nothing of it survives — no process, no file, no token,
//! nothing on screen — whatever ended it, even if it misbehaves or the kiosk crashes.
//! Real processes, real files, a real pty; `/proc` is the judge.

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::hostile::{ALEX, HostileSession, field, hostile_session, uid_of};
use common::{Backend, F12, KioskSetup, processes_of_uid, run_as_line, session_user, sign_in};
use shiftkey::session::procs;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn hostile_daemon_is_gone_after_sign_out() {
    let HostileSession { backend: _backend, uid, setup, mut screen, hostile, .. } =
        hostile_session("sk-t-hostile", "").await;
    hostile.assert_running();

    screen.send(F12);
    let after = screen.wait_for("Enter your mobile number", WAIT).await;
    hostile.assert_gone(uid);
    assert!(!after.contains("HOSTILE-READY"));
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["left_alive"], serde_json::json!([]));
    assert!(end["killed_after_grace"].as_u64().unwrap() >= 2, "leader and daemon ignored SIGTERM: {end}");
    assert!(end["processes_ended"].as_u64().unwrap() >= 3, "{end}");
    assert_eq!(end["sandbox"], "none");
}

#[tokio::test]
async fn idle_timeout_warns_then_signs_out() {
    let HostileSession { backend: _backend, uid, setup, mut screen, hostile, .. } =
        hostile_session("sk-t-idle", "idle_timeout = \"3s\"\nidle_warning = \"2s\"").await;
    screen.wait_for("Are you still there?", WAIT).await;
    screen.wait_for("Enter your mobile number", WAIT).await;
    hostile.assert_gone(uid);
    assert_eq!(setup.audit_events("session_end")[0]["reason"], "idle_timeout");
}

#[tokio::test]
async fn a_key_keeps_an_idle_session_alive() {
    let backend = Backend::start();
    let user = session_user("sk-t-idlekey");
    let setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh"],
        &format!("{}\nidle_timeout = \"3s\"\nidle_warning = \"2s\"", run_as_line(&user)),
    );
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", ALEX, "$").await;
    screen.wait_for("Are you still there?", WAIT).await;
    screen.type_text("q").await;
    let shown = screen.wait_gone("Are you still there?", WAIT).await;
    assert!(!shown.contains("q"), "the cancelling key did not reach the session:\n{shown}");
    assert!(setup.audit_events("session_end").is_empty(), "still signed in");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

#[tokio::test]
async fn max_duration_ends_the_session() {
    let HostileSession { backend: _backend, uid, setup, mut screen, shown, hostile, .. } =
        hostile_session("sk-t-max", "max_duration = \"3s\"").await;
    assert!(shown.contains("1 min left"), "the status bar counts down:\n{shown}");
    screen.wait_for("Enter your mobile number", WAIT).await;
    hostile.assert_gone(uid);
    assert_eq!(setup.audit_events("session_end")[0]["reason"], "max_duration");
}

#[tokio::test]
async fn sigterm_to_the_kiosk_ends_the_session_first() {
    let HostileSession { backend: _backend, uid, setup, mut screen, hostile, .. } =
        hostile_session("sk-t-sigterm", "").await;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(screen.process.pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(screen.wait_exit(WAIT).await, Some(0));
    hostile.assert_gone(uid);
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["reason"], "kiosk_stopped");
    assert_eq!(end["revoke"], "revoked");
}

/// Hangs up the terminal `pid` runs on, as when the terminal emulator or ssh goes away:
/// its reads see the end, its writes fail, and it gets SIGHUP. Needs root (CAP_SYS_TTY_CONFIG).
fn hang_up_terminal_of(pid: i32) {
    let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&tty)
        .unwrap_or_else(|err| panic!("open {}: {err}", tty.display()));
    // SAFETY: a valid fd of a tty; TIOCVHANGUP takes no argument.
    let done = unsafe { libc::ioctl(file.as_raw_fd(), libc::TIOCVHANGUP) };
    assert_eq!(done, 0, "TIOCVHANGUP on {}: {}", tty.display(), std::io::Error::last_os_error());
}

#[tokio::test]
async fn the_terminal_going_away_ends_the_session_and_the_kiosk() {
    // TIOCVHANGUP needs CAP_SYS_TTY_CONFIG.
    if !common::needs::requires(&[common::needs::Need::Root]) {
        return;
    }
    let HostileSession { backend: _backend, uid, setup, mut screen, hostile, .. } =
        hostile_session("sk-t-hangup", "").await;
    hang_up_terminal_of(screen.process.pid);
    // It exits (not spinning on a terminal that is always readable), after the teardown.
    screen.wait_exit(WAIT).await;
    hostile.assert_gone(uid);
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["reason"], "kiosk_stopped");
    assert_eq!(end["revoke"], "revoked");
}

#[tokio::test]
async fn backend_down_at_sign_out_still_wipes_and_records_the_failed_revoke() {
    let HostileSession { mut backend, uid, setup, mut screen, hostile, .. } = hostile_session("sk-t-offline", "").await;
    backend.stop();
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    hostile.assert_gone(uid);
    let end = &setup.audit_events("session_end")[0];
    assert!(end["revoke"].as_str().unwrap().starts_with("failed"), "{end}");
    assert_eq!(end["dir_removed"], true);
}

#[tokio::test]
async fn a_killed_kiosk_erases_its_session_when_it_starts_again() {
    let HostileSession { backend, uid, setup, mut screen, hostile, .. } = hostile_session("sk-t-crash", "").await;
    let token = std::fs::read_to_string(hostile.dir.join(".shiftkey-token")).unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(screen.process.pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    screen.wait_exit(WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(procs::alive(hostile.daemon), "the daemon outlives a killed kiosk (that's why recovery exists)");
    assert!(hostile.dir.exists());

    let mut again = setup.spawn();
    again.wait_for("Enter your mobile number", WAIT).await;
    hostile.assert_gone(uid);
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["reason"], "recovered");
    assert_eq!(end["revoke"], "revoked");
    let status =
        reqwest::Client::new().get(format!("{}/v1/me", backend.url)).bearer_auth(token).send().await.unwrap().status();
    assert_eq!(status, 401, "the crashed session's token was revoked");
}

#[tokio::test]
async fn the_next_worker_sees_nothing_of_the_last() {
    let backend = Backend::start();
    let user = session_user("sk-t-ab");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, &["/bin/sh"], &run_as_line(&user));
    let mut screen = setup.spawn();
    sign_in(&mut screen, &backend, "2065550100", ALEX, "$").await;
    screen.type_text("echo A-SECRET > $HOME/a.txt; export A_VAR=A-SECRET; echo A-HOME=$HOME\r").await;
    let shown = screen.wait_for("A-HOME=", WAIT).await;
    let a_home = PathBuf::from(field(&shown, "A-HOME="));
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;

    sign_in(&mut screen, &backend, "2065550109", "+12065550109", "$").await;
    let shown = screen.contents();
    assert!(!shown.contains("A-SECRET") && !shown.contains("A-HOME"), "A's screen leaked into B's:\n{shown}");
    screen.type_text("echo B-HOME=$HOME; echo VAR=[$A_VAR]; ls -A $HOME; grep -rl A-SECRET /tmp /dev/shm $HOME 2>/dev/null; echo B-DONE\r").await;
    let shown = screen.wait_for("B-DONE", WAIT).await;
    let b_home = PathBuf::from(field(&shown, "B-HOME="));
    assert_ne!(a_home, b_home);
    assert!(!a_home.exists());
    assert!(shown.contains("VAR=[]"), "{shown}");
    assert_eq!(shown.matches("A-SECRET").count(), 1, "only B's own command line names it:\n{shown}");
    assert!(!shown.contains("a.txt"), "{shown}");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
}

fn read_lossy(path: impl AsRef<Path>) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

#[tokio::test]
async fn no_secret_in_proc_logs_or_audit() {
    let (backend, setup, mut screen, dir) = common::alex_in_a_session("sk-t-secrets").await;
    let user = session_user("sk-t-secrets");
    let dir = PathBuf::from(dir);
    let token = std::fs::read_to_string(dir.join(".shiftkey-token")).unwrap();
    let code = backend.code_for(ALEX);
    assert_eq!(token.len(), 43);
    let kiosk_pid = screen.process.pid;
    let mut checked = 0;
    for process in procs::all_processes() {
        let env = read_lossy(format!("/proc/{}/environ", process.pid));
        if process.pid == kiosk_pid || env.contains(dir.to_str().unwrap()) {
            checked += 1;
            assert!(!env.contains(&token), "token in the environ of {}", process.pid);
            assert!(!read_lossy(format!("/proc/{}/cmdline", process.pid)).contains(&token), "token in argv");
        }
    }
    assert!(checked >= 2, "found the kiosk and the session");
    if let Some((_, uid)) = &user {
        let leader = processes_of_uid(*uid);
        let status = read_lossy(format!("/proc/{}/status", leader[0]));
        assert!(status.contains("NoNewPrivs:\t1"), "{status}");
        let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap().to_string();
        assert_eq!(
            uid_line.split_whitespace().skip(1).collect::<Vec<_>>(),
            vec![uid.to_string(); 4],
            "real, effective, saved and fs uid"
        );
        let limits = read_lossy(format!("/proc/{}/limits", leader[0]));
        assert!(
            limits.lines().any(|l| l.starts_with("Max core file size") && l.split_whitespace().nth(4) == Some("0")),
            "{limits}"
        );
    }
    let kiosk_status = read_lossy(format!("/proc/{kiosk_pid}/status"));
    assert!(!kiosk_status.is_empty());
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(kiosk_pid), nix::sys::signal::Signal::SIGTERM).unwrap();
    screen.wait_exit(WAIT).await;

    let audit = setup.audit_text();
    let log = read_lossy(&setup.log);
    assert!(audit.contains("\"event\":\"sign_in\""), "sign-ins are audited");
    for (name, text) in [("audit log", &audit), ("kiosk log", &log)] {
        assert!(!text.contains(&token), "token in the {name}");
        assert!(!text.contains(&code), "code in the {name}");
        assert!(!text.contains("2065550100"), "full phone number in the {name}");
    }
    assert!(audit.contains("+1 ••• ••• 0100"), "the audit log names the masked number");
}

#[tokio::test]
async fn sandboxed_session_cannot_write_outside_its_home() {
    if !common::needs::requires(&[common::needs::BWRAP]) {
        return;
    }
    let backend = Backend::start();
    let user = session_user("sk-t-bwrap");
    let script = "for f in /tmp/sk-bwrap /var/tmp/sk-bwrap /etc/sk-bwrap \"$HOME/ok\"; do if echo x > \"$f\" 2>/dev/null; then echo \"WROTE $f\"; else echo \"DENIED $f\"; fi; done; echo BWRAP-DONE; exec /bin/sh";
    let setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh", "-c", script],
        &format!("{}\nsandbox = \"bwrap\"", run_as_line(&user)),
    );
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "2065550100", ALEX, "BWRAP-DONE").await;
    for path in ["/tmp/sk-bwrap", "/var/tmp/sk-bwrap", "/etc/sk-bwrap"] {
        assert!(shown.contains(&format!("DENIED {path}")), "{path}:\n{shown}");
        assert!(!Path::new(path).exists());
    }
    assert!(shown.contains("WROTE "), "the home is writable:\n{shown}");
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert_eq!(setup.audit_events("session_end")[0]["sandbox"], "bwrap");
    assert_eq!(setup.audit_events("session_start")[0]["sandbox"], "bwrap");
}

#[tokio::test]
async fn a_session_that_stops_reading_its_input_can_still_be_signed_out_of() {
    let backend = Backend::start();
    let user = session_user("sk-t-deaf");
    let setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh", "-c", "stty raw -echo; echo DEAF-READY $$ PID; exec sleep 600"],
        &format!("{}\nsandbox = \"none\"", run_as_line(&user)),
    );
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "2065550100", ALEX, " PID").await;
    let sleeper: i32 = field(&shown, "DEAF-READY").parse().unwrap();
    assert!(procs::alive(sleeper));
    // A paste far larger than the session's pty holds, into a program that never reads: a
    // kiosk that waited for room would stop reading its own terminal, and this write with it.
    let mut terminal = screen.process.blocking_input().unwrap();
    let paste = std::thread::spawn(move || terminal.write(&vec![b'x'; 256 * 1024]));
    let deadline = tokio::time::Instant::now() + WAIT;
    while !paste.is_finished() {
        assert!(tokio::time::Instant::now() < deadline, "the kiosk stopped reading its terminal");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    paste.join().unwrap().unwrap();

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    assert_eq!(setup.audit_events("session_end")[0]["reason"], "sign_out_key");
    assert!(!procs::alive(sleeper), "the session's program is gone");
}

/// Signs in to a session of `HIDDEN_DAEMON` run as `session_uid` (`run_as`: its config line),
/// checks from `/proc` that the daemon hides as claimed, signs out and waits for it to be gone.
async fn hidden_daemon_is_gone_after_sign_out(run_as: &str, session_uid: u32) {
    use common::hostile::{HIDDEN_DAEMON, Held, RawProc};
    let backend = Backend::start();
    let session = format!("{run_as}\nsandbox = \"none\"");
    let setup = KioskSetup::new(backend.dir.path(), &backend.url, HIDDEN_DAEMON, &session);
    let mut screen = setup.spawn();
    // The daemon prints HIDDEN-READY only once PR_SET_DUMPABLE took (it dies otherwise).
    let shown = sign_in(&mut screen, &backend, "2065550100", ALEX, "HIDDEN-READY").await;
    let daemon: i32 = field(&shown, "DAEMON=").parse().unwrap();
    let leader = RawProc::read(field(&shown, "LEADER=").parse().unwrap());
    let held = Held::new(daemon);

    // It hides as claimed: the session's uid, no environment, its own session, re-parented to
    // the kiosk, and non-dumpable (root owns its /proc files; telling only for another uid).
    let hidden = RawProc::read(daemon);
    assert_eq!(hidden.real_uid, session_uid, "{hidden:?}");
    assert_eq!(hidden.stat_owner, 0, "non-dumpable: /proc/{daemon}/stat is root's: {hidden:?}");
    assert_eq!(hidden.environ, b"", "env -i: {hidden:?}");
    assert_ne!(hidden.session, leader.session, "setsid: {hidden:?}");
    assert_ne!(hidden.pgrp, leader.pgrp, "{hidden:?}");
    assert_eq!(hidden.ppid, screen.process.pid, "double-forked, re-parented to the kiosk: {hidden:?}");
    assert!(!held.gone());

    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !held.gone() {
        if tokio::time::Instant::now() >= deadline {
            // Alive, so the pid is still its own: don't leave it running past the test.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(daemon), nix::sys::signal::Signal::SIGKILL);
            panic!("the hidden daemon {daemon} survived sign-out");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end = &setup.audit_events("session_end")[0];
    assert_eq!(end["left_alive"], serde_json::json!([]), "{end}");
}

#[tokio::test]
async fn a_hidden_daemon_of_a_dedicated_user_is_gone_after_sign_out() {
    let user = session_user("sk-t-hidden");
    let uid = uid_of(&user).unwrap_or_else(|| nix::unistd::geteuid().as_raw());
    hidden_daemon_is_gone_after_sign_out(&run_as_line(&user), uid).await;
    if let Some(uid) = uid_of(&user) {
        assert_eq!(processes_of_uid(uid), Vec::<i32>::new(), "processes of the session uid survived");
    }
}

/// No uid gives this one away: only being re-parented to the kiosk does.
#[tokio::test]
async fn a_hidden_daemon_of_a_session_without_a_dedicated_user_is_gone_after_sign_out() {
    let me = nix::unistd::geteuid();
    // A root kiosk must be told to run sessions as root; any other runs them as itself.
    let run_as = if me.is_root() { "run_as = \"root\"" } else { "" };
    hidden_daemon_is_gone_after_sign_out(run_as, me.as_raw()).await;
}
