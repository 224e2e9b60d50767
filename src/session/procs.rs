//! Finding the processes that belong to a session, by reading `/proc`.
//!
//! A live process is a member of a session if any of these holds:
//! - it is the session leader, or is in the leader's session or process group;
//! - its environment carries the session's `SHIFTKEY_SESSION_DIR`;
//! - its real uid (`Uid:` in `/proc/PID/status`) is the session's dedicated uid;
//! - it is a child of the kiosk, the session's child subreaper, other than the kiosk's own
//!   helpers (a daemon that double-forked lands there however it hid itself); only that
//!   kiosk applies this rule (`Membership::subreaper`);
//! - its parent is a member (descendants, however they detached).
//!
//! Each process is read through one opened `/proc/PID` directory, so a pid reused meanwhile
//! can't mix two processes into one record. The uid is never taken from file owners: `/proc/PID`
//! is the effective uid's (a setuid program's owner), the files in it root's when the process
//! is non-dumpable. This module never signals anything.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;

/// One process as its `/proc/PID/stat` and `/proc/PID/status` describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// The real uid: whose process this is, whatever it made itself (non-dumpable, setuid).
    pub uid: u32,
    pub zombie: bool,
}

/// The fields of `/proc/PID/stat` after the command name: (state, ppid, pgrp, session).
/// The command name may hold spaces and parentheses, so it ends at the last `)`.
fn parse_stat(text: &str) -> Option<(&str, i32, i32, i32)> {
    let rest = text.get(text.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    Some((state, fields.next()?.parse().ok()?, fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// The real uid from `/proc/PID/status`: the first of the `Uid:` line's real, effective,
/// saved and filesystem uids.
fn parse_real_uid(status: &str) -> Option<u32> {
    status.lines().find_map(|line| line.strip_prefix("Uid:"))?.split_whitespace().next()?.parse().ok()
}

/// One process's `/proc/PID` directory, opened once. Reads through it are about that process
/// only: once it is gone they fail, even if its pid has been given to another.
struct ProcDir {
    pid: i32,
    dir: File,
}

impl ProcDir {
    fn open(pid: i32) -> Option<Self> {
        let dir = File::options()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(format!("/proc/{pid}"))
            .ok()?;
        Some(ProcDir { pid, dir })
    }

    fn read(&self, name: &str) -> Option<Vec<u8>> {
        let fd: OwnedFd = openat(&self.dir, name, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
        let mut bytes = Vec::new();
        File::from(fd).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }

    fn info(&self) -> Option<ProcInfo> {
        let stat = String::from_utf8(self.read("stat")?).ok()?;
        let (state, ppid, pgrp, session) = parse_stat(&stat)?;
        let uid = parse_real_uid(&String::from_utf8_lossy(&self.read("status")?))?;
        Some(ProcInfo { pid: self.pid, ppid, pgrp, session, uid, zombie: state == "Z" || state == "X" })
    }

    /// Whether `marker` (`NAME=value`) is one of the process's environment variables.
    fn has_env(&self, marker: &[u8]) -> bool {
        self.read("environ").is_some_and(|env| env.split(|b| *b == 0).any(|var| var == marker))
    }
}

/// Reads one process's `stat` and `status` (both through one opened `/proc/PID`).
pub fn read_stat(pid: i32) -> Option<ProcInfo> {
    ProcDir::open(pid)?.info()
}

fn all_pids() -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).collect()
}

/// Every process on the system, zombies included.
pub fn all_processes() -> Vec<ProcInfo> {
    all_pids().into_iter().filter_map(read_stat).collect()
}

/// Whether a process with this pid is still alive (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    read_stat(pid).is_some_and(|p| !p.zombie)
}

/// The kiosk as the session's child subreaper: the orphans re-parented to it.
#[derive(Debug, Clone, Copy)]
pub struct Subreaper<'a> {
    /// The kiosk's pid: its children are the session's...
    pub pid: i32,
    /// ...except these, which the kiosk started for itself.
    pub helpers: &'a [i32],
}

/// What identifies a session's processes.
pub struct Membership<'a> {
    pub leader: i32,
    pub dir: &'a Path,
    /// The dedicated uid sessions run as: every process whose real uid it is belongs to the session.
    pub dedicated_uid: Option<u32>,
    /// Set only by the kiosk that started the session while it is the child subreaper: anyone
    /// else's children (a test harness's, a recovering kiosk's) are not the session's.
    pub subreaper: Option<Subreaper<'a>>,
}

impl Membership<'_> {
    /// Whether `p` is a member by itself (not by descent). `dir` is `p`'s opened `/proc/PID`.
    fn admits(&self, p: &ProcInfo, dir: &ProcDir, marker: &[u8]) -> bool {
        p.pid == self.leader
            || p.session == self.leader
            || p.pgrp == self.leader
            || self.dedicated_uid == Some(p.uid)
            || self.subreaper.is_some_and(|s| p.ppid == s.pid && !s.helpers.contains(&p.pid))
            || (!p.zombie && dir.has_env(marker))
    }
}

/// The live processes of a session (never the calling process).
pub fn session_processes(member: &Membership<'_>) -> Vec<ProcInfo> {
    let me = std::process::id() as i32;
    let mut marker = b"SHIFTKEY_SESSION_DIR=".to_vec();
    marker.extend_from_slice(member.dir.as_os_str().as_encoded_bytes());
    let mut all = Vec::new();
    let mut members = HashSet::new();
    for pid in all_pids().into_iter().filter(|pid| *pid != me) {
        let Some(dir) = ProcDir::open(pid) else { continue };
        let Some(info) = dir.info() else { continue };
        if member.admits(&info, &dir, &marker) {
            members.insert(pid);
        }
        all.push(info);
    }
    // Descendants: whatever a member started, however it detached.
    loop {
        let before = members.len();
        let children: Vec<i32> = all.iter().filter(|p| members.contains(&p.ppid)).map(|p| p.pid).collect();
        members.extend(children);
        if members.len() == before {
            break;
        }
    }
    all.into_iter().filter(|p| members.contains(&p.pid) && !p.zombie).collect()
}

/// Collects exit statuses of dead processes the kiosk inherited as subreaper, so they don't
/// linger as zombies. Only pids in `pids` are touched: tokio owns the session leader's status.
pub fn reap(pids: &[i32]) {
    let me = std::process::id() as i32;
    for info in all_processes() {
        if info.zombie && info.ppid == me && pids.contains(&info.pid) {
            let _ = nix::sys::wait::waitpid(
                nix::unistd::Pid::from_raw(info.pid),
                Some(nix::sys::wait::WaitPidFlag::WNOHANG),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Child, Command};

    use super::*;

    fn pids(found: &[ProcInfo]) -> Vec<i32> {
        found.iter().map(|p| p.pid).collect()
    }

    fn sleeper() -> Child {
        Command::new("sleep").arg("30").spawn().unwrap()
    }

    fn end(mut child: Child) {
        let _ = child.kill();
        let _ = child.wait();
    }

    #[test]
    fn reads_our_own_stat() {
        let me = read_stat(std::process::id() as i32).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(me.ppid > 0);
        assert!(!me.zombie);
        assert_eq!(me.uid, nix::unistd::getuid().as_raw());
        assert!(alive(me.pid));
    }

    #[test]
    fn the_uid_is_the_real_uid_of_the_status_file() {
        // A setuid program: real 1000, effective, saved and fs 0. The process is 1000's.
        let status = "Name:\tpasswd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t77\nPid:\t77\nPPid:\t1\n\
                      Uid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_real_uid(status), Some(1000));
        assert_eq!(parse_real_uid("Uid:\t0\t1000\t1000\t1000\n"), Some(0));
        assert_eq!(parse_real_uid("Name:\tx\nGid:\t5\t5\t5\t5\n"), None, "no Uid line, no uid");
        assert_eq!(parse_real_uid("Uid:\t\n"), None);
    }

    #[test]
    fn the_command_name_may_hold_spaces_and_parentheses() {
        let stat = "4242 (a) b (c) S 1 4242 4240 34816 4242 4194560 1 0 0 0";
        assert_eq!(parse_stat(stat), Some(("S", 1, 4242, 4240)));
        assert_eq!(parse_stat("4242 (cut"), None);
    }

    #[test]
    fn a_process_dir_reads_nothing_once_its_process_is_gone() {
        let mut child = sleeper();
        let dir = ProcDir::open(child.id() as i32).unwrap();
        assert_eq!(dir.info().map(|p| p.pid), Some(child.id() as i32));
        child.kill().unwrap();
        child.wait().unwrap();
        // Reaped: whatever later gets this pid, the opened directory is not its.
        assert_eq!(dir.info(), None);
        assert_eq!(dir.read("status"), None);
    }

    #[test]
    fn a_process_with_the_marker_and_its_children_are_members() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("/bin/sh")
            .args(["-c", "sleep 30 & echo started; wait"])
            .env("SHIFTKEY_SESSION_DIR", dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // "started" is printed once the sleep is forked.
        let mut line = [0u8; 8];
        child.stdout.take().unwrap().read_exact(&mut line).unwrap();
        let member = Membership { leader: -1, dir: dir.path(), dedicated_uid: None, subreaper: None };
        let found = session_processes(&member);
        let pids = pids(&found);
        assert!(pids.contains(&(child.id() as i32)), "{pids:?}");
        assert!(found.len() >= 2, "the sleep child counts too: {found:?}");
        assert!(!pids.contains(&(std::process::id() as i32)));
        for pid in &pids {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = child.wait();
    }

    #[test]
    fn the_subreapers_children_are_members_but_not_its_helpers() {
        let dir = tempfile::tempdir().unwrap();
        let (orphan, helper) = (sleeper(), sleeper());
        let (orphan_pid, helper_pid) = (orphan.id() as i32, helper.id() as i32);
        let me = std::process::id() as i32;
        let helpers = [helper_pid];
        let as_subreaper = Membership {
            leader: -1,
            dir: dir.path(),
            dedicated_uid: None,
            subreaper: Some(Subreaper { pid: me, helpers: &helpers }),
        };
        let found = pids(&session_processes(&as_subreaper));
        assert!(found.contains(&orphan_pid), "{found:?}");
        assert!(!found.contains(&helper_pid), "a helper of the kiosk is not the session's: {found:?}");
        // Without the rule (a test harness, a recovering kiosk), our children are not members.
        let without = Membership { subreaper: None, ..as_subreaper };
        let found = pids(&session_processes(&without));
        assert!(!found.contains(&orphan_pid) && !found.contains(&helper_pid), "{found:?}");
        end(orphan);
        end(helper);
    }

    #[test]
    fn a_dedicated_uid_counts_by_the_real_uid() {
        let dir = tempfile::tempdir().unwrap();
        let child = sleeper();
        let pid = child.id() as i32;
        let uid = nix::unistd::getuid().as_raw();
        let by_uid = Membership { leader: -1, dir: dir.path(), dedicated_uid: Some(uid), subreaper: None };
        assert!(pids(&session_processes(&by_uid)).contains(&pid), "a process of the dedicated uid");
        let other = Membership { dedicated_uid: Some(uid.wrapping_add(1)), ..by_uid };
        assert!(!pids(&session_processes(&other)).contains(&pid));
        end(child);
    }
}
