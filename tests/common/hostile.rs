//! A hostile session and the checks that nothing of it survives: shared by the session and
//! manager tests.

use std::path::PathBuf;

use shiftkey::session::procs;

use super::{Backend, KioskSetup, KioskTerminal, processes_of_uid, run_as_line, session_user, sign_in};

/// Alex's number, as the outbox names it.
pub const ALEX: &str = "+12065550100";

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

pub fn uid_of(user: &Option<(String, u32)>) -> Option<u32> {
    user.as_ref().map(|(_, uid)| *uid)
}

/// Alex signed in to a hostile session on a kiosk with `extra` `[session]` lines, whose
/// sessions run as `account`. Bind `backend` (`_backend` at least): dropping it stops it.
pub struct HostileSession {
    pub backend: Backend,
    pub uid: Option<u32>,
    pub setup: KioskSetup,
    pub screen: KioskTerminal,
    /// The screen once the session was ready.
    pub shown: String,
    pub hostile: Hostile,
}

pub async fn hostile_session(account: &str, extra: &str) -> HostileSession {
    hostile_session_with(account, extra, |_| {}).await
}

/// As `hostile_session`, with the kiosk's setup changed by `prepare` before the kiosk starts.
pub async fn hostile_session_with(account: &str, extra: &str, prepare: impl FnOnce(&mut KioskSetup)) -> HostileSession {
    let backend = Backend::start();
    let user = session_user(account);
    let session = format!("{}\nsandbox = \"none\"\n{extra}", run_as_line(&user));
    let mut setup = KioskSetup::new(backend.dir.path(), &backend.url, HOSTILE, &session);
    prepare(&mut setup);
    let mut screen = setup.spawn();
    let shown = sign_in(&mut screen, &backend, "2065550100", ALEX, "HOSTILE-READY").await;
    let uid = uid_of(&user);
    let hostile = Hostile::from_screen(&shown, uid);
    HostileSession { backend, uid, setup, screen, shown, hostile }
}

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

/// A session whose daemon hides every way it can: it double-forks (re-parented to the kiosk),
/// calls setsid, runs with an empty environment, ignores SIGTERM and SIGHUP and makes itself
/// non-dumpable, so root owns the files in its `/proc/PID`. Only its uid and its parent give it away.
/// Perl because perl-base is on every Debian; `syscall.ph` (package perl) or a table names prctl.
pub const HIDDEN_DAEMON: &[&str] = &[
    "/bin/sh",
    "-c",
    r#"trap '' TERM HUP
echo "LEADER=$$"
env -i /usr/bin/perl -e '
use POSIX ();
exit 0 if fork;
POSIX::setsid() or die "setsid: $!";
exit 0 if fork;
chdir "/";
my $prctl = eval { require "syscall.ph"; &SYS_prctl() }
    // {x86_64 => 157, aarch64 => 167}->{(POSIX::uname())[4]} // die "no prctl syscall number";
syscall($prctl, 4, 0, 0, 0, 0) == 0 or die "PR_SET_DUMPABLE: $!";
$SIG{TERM} = $SIG{HUP} = "IGNORE";
$| = 1;
print "DAEMON=$$ HIDDEN-READY\n";
open STDIN, "<", "/dev/null"; open STDOUT, ">", "/dev/null"; open STDERR, ">", "/dev/null";
sleep 1 while 1;
'
while :; do sleep 1; done"#,
];

/// A process as `/proc` shows it, read here rather than by the code under test.
#[derive(Debug)]
pub struct RawProc {
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// The first field of `Uid:` in `/proc/PID/status`.
    pub real_uid: u32,
    /// Who owns `/proc/PID/stat`: root for a non-dumpable process. (`/proc/PID` itself stays
    /// the effective uid's: the kernel's `task_dump_owner` exempts that directory.)
    pub stat_owner: u32,
    pub environ: Vec<u8>,
}

impl RawProc {
    pub fn read(pid: i32) -> Self {
        use std::os::unix::fs::MetadataExt;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().collect();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
        RawProc {
            ppid: fields[1].parse().unwrap(),
            pgrp: fields[2].parse().unwrap(),
            session: fields[3].parse().unwrap(),
            real_uid: uid_line.split_whitespace().nth(1).unwrap().parse().unwrap(),
            stat_owner: std::fs::metadata(format!("/proc/{pid}/stat")).unwrap().uid(),
            environ: std::fs::read(format!("/proc/{pid}/environ")).unwrap(),
        }
    }
}

/// A process held by its opened `/proc/PID`: it can be told gone even if its pid is reused.
pub struct Held(std::fs::File);

impl Held {
    pub fn new(pid: i32) -> Self {
        Held(std::fs::File::open(format!("/proc/{pid}")).unwrap())
    }

    /// Gone: its directory reads nothing any more, or it is a zombie.
    pub fn gone(&self) -> bool {
        use nix::fcntl::{OFlag, openat};
        let Ok(fd) = openat(&self.0, "stat", OFlag::O_RDONLY | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty()) else {
            return true;
        };
        let mut stat = String::new();
        if std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut stat).is_err() {
            return true;
        }
        stat.rfind(')').and_then(|end| stat.get(end + 2..end + 3)).is_none_or(|state| state == "Z" || state == "X")
    }
}
