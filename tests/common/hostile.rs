//! A hostile session and the checks that nothing of it survives: shared by the session and
//! manager tests.

use std::path::PathBuf;

use shiftkey::session::procs;

use super::processes_of_uid;

/// A session that ignores SIGTERM and SIGHUP, double-forks a `setsid` daemon, and leaves files
/// in HOME, /tmp and /dev/shm. It prints where everything is.
pub const HOSTILE: &[&str] = &[
    "/bin/sh",
    "-c",
    r#"trap '' TERM HUP
u=$(id -u)
( setsid sh -c 'trap "" TERM HUP; echo $$ > /tmp/sk-hostile-$(id -u).pid; while :; do sleep 1; done' & )
echo home > "$HOME/home-file"; echo tmp > "/tmp/sk-hostile-$u"; echo shm > "/dev/shm/sk-hostile-$u"
sleep 0.3
echo "DAEMON=$(cat /tmp/sk-hostile-$u.pid) LEADER=$$ DIR=$HOME"
echo HOSTILE-READY
while :; do sleep 1; done"#,
];

pub fn field(screen: &str, key: &str) -> String {
    let start = screen.find(key).unwrap_or_else(|| panic!("{key} not on screen:\n{screen}")) + key.len();
    screen[start..].split_whitespace().next().unwrap().to_string()
}

pub struct Hostile {
    pub daemon: i32,
    pub leader: i32,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

impl Hostile {
    pub fn from_screen(screen: &str, uid: Option<u32>) -> Self {
        let dir = PathBuf::from(field(screen, "DIR="));
        let mut files = vec![dir.join("home-file")];
        if let Some(uid) = uid {
            files.push(PathBuf::from(format!("/tmp/sk-hostile-{uid}")));
            files.push(PathBuf::from(format!("/tmp/sk-hostile-{uid}.pid")));
            files.push(PathBuf::from(format!("/dev/shm/sk-hostile-{uid}")));
        }
        Hostile {
            daemon: field(screen, "DAEMON=").parse().unwrap(),
            leader: field(screen, "LEADER=").parse().unwrap(),
            dir,
            files,
        }
    }

    pub fn assert_running(&self) {
        assert!(procs::alive(self.daemon), "the daemon {} should be running", self.daemon);
        assert!(procs::alive(self.leader));
        for file in &self.files {
            assert!(file.exists(), "{} should exist during the session", file.display());
        }
    }

    pub fn assert_gone(&self, uid: Option<u32>) {
        assert!(!procs::alive(self.daemon), "the setsid daemon {} survived", self.daemon);
        assert!(!procs::alive(self.leader), "the session leader {} survived", self.leader);
        // No uid: no dedicated user, already counted as partly skipped by `session_user`.
        if let Some(uid) = uid {
            assert_eq!(processes_of_uid(uid), Vec::<i32>::new(), "processes of the session uid survived");
        }
        assert!(!self.dir.exists(), "the session dir survived");
        for file in &self.files {
            assert!(!file.exists(), "{} survived", file.display());
        }
    }
}
