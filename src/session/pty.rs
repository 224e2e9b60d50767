//! A program running in a new pseudo-terminal, as the leader of its own session.
//!
//! Used to host the worker's session, and by the end-to-end tests to drive the kiosk itself.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::pty::openpty;
use tokio::sync::mpsc;

use super::pty_io::winsize;
pub use super::pty_io::{InputDropped, MAX_PENDING_INPUT, PtyInput, PtyOutput, set_size};

/// What to start in the pty.
#[derive(Debug, Clone)]
pub struct PtyCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The whole environment: nothing else is inherited.
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<PathBuf>,
    pub cols: u16,
    pub rows: u16,
    /// Restrictions applied in the child before exec (umask 077, no new privileges, no core).
    pub locked_down: bool,
    /// Switch to this uid and gid (no supplementary groups) before exec; needs root.
    pub user: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
}

/// A running program and the master side of its pty.
pub struct PtyProcess {
    pub child: tokio::process::Child,
    pub pid: i32,
    master: File,
}

fn close_on_exec(fd: &OwnedFd) -> std::io::Result<()> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    Ok(())
}

impl PtyProcess {
    /// Starts `command` in a new pty, in its own session with the pty as controlling terminal.
    pub fn spawn(command: &PtyCommand) -> std::io::Result<Self> {
        let pty = openpty(&winsize(command.cols, command.rows), None)?;
        close_on_exec(&pty.master)?;
        close_on_exec(&pty.slave)?;
        let mut cmd = tokio::process::Command::new(&command.program);
        cmd.args(&command.args)
            .env_clear()
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave))
            .kill_on_drop(false);
        if let Some(cwd) = &command.cwd {
            cmd.current_dir(cwd);
        }
        let locked_down = command.locked_down;
        let user = command.user;
        // SAFETY: only async-signal-safe calls (setsid, ioctl, umask, setgroups, setgid, setuid,
        // prctl, setrlimit) run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                nix::unistd::setsid()?;
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some((uid, gid)) = user {
                    nix::unistd::setgroups(&[gid])?;
                    nix::unistd::setgid(gid)?;
                    nix::unistd::setuid(uid)?;
                    // Checked after the drop: the ids took, and root can't be regained.
                    if nix::unistd::getuid() != uid
                        || nix::unistd::geteuid() != uid
                        || nix::unistd::getegid() != gid
                        || nix::unistd::setuid(nix::unistd::Uid::from_raw(0)).is_ok()
                    {
                        return Err(std::io::Error::other("privilege drop did not take"));
                    }
                }
                if locked_down {
                    libc::umask(0o077);
                    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                    if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        let pid = child.id().map(|p| p as i32).unwrap_or(-1);
        Ok(PtyProcess { child, pid, master: File::from(pty.master) })
    }

    /// The program's output and input, both served on the runtime's own thread: no reader
    /// thread handing each piece over, so an echo reaches the screen one wake-up sooner. The
    /// master turns non-blocking (for every handle: they share one open file), so neither a
    /// read nor a write can stall the caller. Whoever holds the output must keep reading, or
    /// the program blocks on a full pty.
    pub fn attach(&self) -> std::io::Result<(PtyOutput, PtyInput)> {
        let flags = OFlag::from_bits_retain(fcntl(&self.master, FcntlArg::F_GETFL)?);
        fcntl(&self.master, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        Ok((PtyOutput::new(self.master.try_clone()?)?, PtyInput::new(self.master.try_clone()?)))
    }

    /// Starts a thread that forwards everything the program writes, until the pty closes: for
    /// a driver that may not read for a while (the tests), as the program never waits on it.
    pub fn output_forwarded(&self) -> std::io::Result<mpsc::Receiver<Vec<u8>>> {
        let mut reader = self.master.try_clone()?;
        let (sender, receiver) = mpsc::channel(64);
        std::thread::Builder::new().name("pty-reader".into()).spawn(move || {
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        if sender.blocking_send(buffer[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                    // EIO: every process holding the other side has gone.
                    Err(_) => break,
                }
            }
        })?;
        Ok(receiver)
    }

    /// A handle that writes input to the program and waits while the pty is full: for a
    /// driver whose writes are small and whose program reads (the tests). Not with `attach`.
    pub fn blocking_input(&self) -> std::io::Result<BlockingPtyInput> {
        Ok(BlockingPtyInput(self.master.try_clone()?))
    }
}

/// The writing side of a pty master, in blocking mode, and its size.
pub struct BlockingPtyInput(File);

impl BlockingPtyInput {
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes)
    }

    /// Tells the pty (and so the program, by SIGWINCH) its new size.
    pub fn resize(&self, cols: u16, rows: u16) -> std::io::Result<()> {
        set_size(self.0.as_fd(), cols, rows)
    }
}
