//! Finding the processes that belong to a session, by reading `/proc`.
//!
//! A process belongs to a session if it is in the session's process group or session, if it
//! carries the session's `SHIFTKEY_SESSION_DIR` in its environment, if it runs as the session's
//! dedicated uid, or if it descends from any of those (daemons that double-forked and were
//! re-parented to the kiosk, its subreaper, included).

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub uid: u32,
    pub zombie: bool,
}

/// Parses `/proc/PID/stat` (the command name may hold spaces and parentheses).
pub fn read_stat(pid: i32) -> Option<ProcInfo> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    let uid = fs::metadata(format!("/proc/{pid}")).ok()?.uid();
    Some(ProcInfo { pid, ppid, pgrp, session, uid, zombie: state == "Z" || state == "X" })
}

/// Every process on the system, zombies included.
pub fn all_processes() -> Vec<ProcInfo> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).filter_map(read_stat).collect()
}

/// Whether a process with this pid is still alive (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    read_stat(pid).is_some_and(|p| !p.zombie)
}

fn has_marker(pid: i32, marker: &[u8]) -> bool {
    fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker))
}

/// What identifies a session's processes.
pub struct Membership<'a> {
    pub leader: i32,
    pub dir: &'a Path,
    /// The dedicated uid sessions run as: every process of it belongs to the session.
    pub dedicated_uid: Option<u32>,
}

/// The live processes of a session (never the calling process).
pub fn session_processes(member: &Membership<'_>) -> Vec<ProcInfo> {
    let me = std::process::id() as i32;
    let mut marker = b"SHIFTKEY_SESSION_DIR=".to_vec();
    marker.extend_from_slice(member.dir.as_os_str().as_encoded_bytes());
    let all: Vec<ProcInfo> = all_processes().into_iter().filter(|p| p.pid != me).collect();
    let mut members: HashSet<i32> = all
        .iter()
        .filter(|p| {
            p.pid == member.leader
                || p.session == member.leader
                || p.pgrp == member.leader
                || member.dedicated_uid == Some(p.uid)
                || (!p.zombie && has_marker(p.pid, &marker))
        })
        .map(|p| p.pid)
        .collect();
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
    use super::*;

    #[test]
    fn reads_our_own_stat() {
        let me = read_stat(std::process::id() as i32).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(me.ppid > 0);
        assert!(!me.zombie);
        assert_eq!(me.uid, nix::unistd::geteuid().as_raw());
        assert!(alive(me.pid));
    }

    #[test]
    fn a_process_with_the_marker_and_its_children_are_members() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "sleep 30 & wait"])
            .env("SHIFTKEY_SESSION_DIR", dir.path())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let found = session_processes(&Membership { leader: -1, dir: dir.path(), dedicated_uid: None });
        let pids: Vec<i32> = found.iter().map(|p| p.pid).collect();
        assert!(pids.contains(&(child.id() as i32)), "{pids:?}");
        assert!(found.len() >= 2, "the sleep child counts too: {found:?}");
        assert!(!pids.contains(&(std::process::id() as i32)));
        for pid in &pids {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = child.wait();
    }
}
