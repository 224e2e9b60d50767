//! Finding the processes that belong to a session, by reading `/proc`.

use std::fs;

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
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
    Some(ProcInfo {
        pid,
        ppid,
        pgrp,
        session,
        zombie: state == "Z" || state == "X",
    })
}

/// Every live (not zombie) process on the system.
pub fn all_processes() -> Vec<ProcInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_stat)
        .filter(|p| !p.zombie)
        .collect()
}

/// Live processes in the session or process group led by `leader`.
pub fn session_processes(leader: i32) -> Vec<ProcInfo> {
    all_processes()
        .into_iter()
        .filter(|p| p.session == leader || p.pgrp == leader)
        .collect()
}

/// Whether a process with this pid is still alive (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    read_stat(pid).is_some_and(|p| !p.zombie)
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
        assert!(alive(me.pid));
    }
}
