//! Reading and writing a session's pty master on the kiosk's own thread, never waiting.
//!
//! The kiosk's sign-out key, its timers and the manager's socket share that thread: a write
//! that waited for a program that stopped reading (a long paste into a busy editor) would
//! leave the worker unable to sign out and the manager unable to reset. So the master is
//! non-blocking, and input the pty can't take yet waits here until the program reads.
//! The pty's window size is set here too.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Input held back for a program that isn't reading, at most: a paste of a few megabytes still
/// arrives whole; past this, a runaway paste is cut short rather than the kiosk's memory.
pub const MAX_PENDING_INPUT: usize = 4 * 1024 * 1024;

/// A read this long or longer is taken as part of a stream of output.
const STREAMING: usize = 1024;

/// The reading side of a non-blocking pty master, registered with the runtime.
pub struct PtyOutput {
    fd: AsyncFd<File>,
    buffer: Vec<u8>,
}

impl PtyOutput {
    pub(super) fn new(master: File) -> std::io::Result<Self> {
        // SAFETY: the File owns its fd, which stays open for as long as the AsyncFd holds it.
        let fd = unsafe { AsyncFd::register_with_interest(master, Interest::READABLE) }?;
        Ok(Self { fd, buffer: vec![0; 64 * 1024] })
    }

    /// The next piece of output; `None` once every process holding the other side has gone.
    pub async fn read(&mut self) -> Option<Vec<u8>> {
        let Self { fd, buffer } = self;
        loop {
            let mut ready = fd.readable().await.ok()?;
            match ready.try_io(|fd| fd.get_ref().read(buffer)) {
                Ok(Ok(0)) => return None,
                Ok(Ok(n)) => {
                    // A few bytes (an echo) were all there was (a pty read returns what it
                    // has, up to the buffer; later output is a new readiness event): no read
                    // that would only say EWOULDBLOCK. After more, a stream is likely still
                    // flowing: the next read goes straight on, without a wait in epoll.
                    if n < STREAMING {
                        ready.clear_ready();
                    }
                    return Some(buffer[..n].to_vec());
                }
                Ok(Err(err)) if err.kind() == ErrorKind::Interrupted => continue,
                // EIO: the other side is closed.
                Ok(Err(_)) => return None,
                // Read all there was; try_io forgot the readiness.
                Err(_would_block) => continue,
            }
        }
    }
}

/// The writing side of a non-blocking pty master, and its size.
pub struct PtyInput {
    master: File,
    /// The master registered for writability, only while input waits: registered all the
    /// time, every read the program makes would wake the kiosk for nothing.
    waiting: Option<AsyncFd<File>>,
    /// What the pty could not take yet, oldest first.
    pending: VecDeque<u8>,
}

/// Input that could not be queued, because the program has not read what came before.
#[derive(Debug, thiserror::Error)]
#[error("the session is not reading its input: {dropped} bytes dropped")]
pub struct InputDropped {
    pub dropped: usize,
}

impl PtyInput {
    pub(super) fn new(master: File) -> Self {
        Self { master, waiting: None, pending: VecDeque::new() }
    }

    /// Sends `bytes` to the program without waiting: what the pty can't take now is queued
    /// behind what is already waiting (`flush` sends it), up to `MAX_PENDING_INPUT`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), InputDropped> {
        let mut rest = bytes;
        if self.pending.is_empty() {
            let written = write_now(&self.master, rest);
            rest = &rest[written..];
        }
        let room = MAX_PENDING_INPUT.saturating_sub(self.pending.len());
        let (queued, dropped) = rest.split_at(rest.len().min(room));
        self.pending.extend(queued);
        if dropped.is_empty() { Ok(()) } else { Err(InputDropped { dropped: dropped.len() }) }
    }

    /// Whether input is waiting for the program to read.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Waits until the program has taken what is queued. If the pty fails (the program is
    /// gone), the queue is dropped: nothing would ever read it.
    pub async fn flush(&mut self) {
        while !self.pending.is_empty() {
            if !self.wait_writable().await {
                self.pending.clear();
            }
        }
        self.waiting = None;
    }

    /// Waits until the pty may take more, and gives it what it takes. False when it never will:
    /// no process has the program's side open any more (and the readiness would stay set:
    /// waiting again would spin), or the pty failed.
    async fn wait_writable(&mut self) -> bool {
        if self.waiting.is_none() {
            let Ok(master) = self.master.try_clone() else { return false };
            // SAFETY: the File owns its fd, which stays open for as long as the AsyncFd holds it.
            match unsafe { AsyncFd::register_with_interest(master, Interest::WRITABLE) } {
                Ok(fd) => self.waiting = Some(fd),
                Err(_) => return false,
            }
        }
        let Some(fd) = &self.waiting else { return false };
        let Ok(mut ready) = fd.writable().await else { return false };
        if ready.ready().is_write_closed() {
            return false;
        }
        let (front, _) = self.pending.as_slices();
        match ready.try_io(|fd| fd.get_ref().write(front)) {
            Ok(Ok(n)) => drop(self.pending.drain(..n)),
            Ok(Err(err)) if err.kind() == ErrorKind::Interrupted => {}
            Ok(Err(_)) => return false,
            Err(_would_block) => {}
        }
        true
    }

    /// Tells the pty (and so the program, by SIGWINCH) its new size.
    pub fn resize(&self, cols: u16, rows: u16) -> std::io::Result<()> {
        set_size(self.master.as_fd(), cols, rows)
    }
}

/// Writes what the non-blocking `file` takes now; how many bytes that was. A closed pty takes
/// nothing, and nothing more is tried: the session's exit is noticed elsewhere.
fn write_now(mut file: &File, bytes: &[u8]) -> usize {
    let mut written = 0;
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    written
}

nix::ioctl_write_ptr_bad!(set_window_size, libc::TIOCSWINSZ, libc::winsize);

/// A pty's size as the kernel takes it (never 0 by 0).
pub(super) fn winsize(cols: u16, rows: u16) -> nix::pty::Winsize {
    nix::pty::Winsize { ws_row: rows.max(1), ws_col: cols.max(1), ws_xpixel: 0, ws_ypixel: 0 }
}

/// Tells the pty behind `master` (and so its program, by SIGWINCH) its new size.
pub fn set_size(master: std::os::fd::BorrowedFd, cols: u16, rows: u16) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the fd is a pty master, borrowed for the call; the struct is a valid winsize.
    unsafe { set_window_size(master.as_raw_fd(), &winsize(cols, rows)) }?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pty whose program side is `slave`, never read unless the test reads it.
    fn pty() -> (PtyInput, File) {
        let pty = nix::pty::openpty(None, None).unwrap();
        let master = File::from(pty.master);
        let flags =
            nix::fcntl::OFlag::from_bits_retain(nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_GETFL).unwrap());
        nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_SETFL(flags | nix::fcntl::OFlag::O_NONBLOCK)).unwrap();
        // Raw, so the line discipline passes every byte on as it is.
        let slave = File::from(pty.slave);
        let mut modes = nix::sys::termios::tcgetattr(&slave).unwrap();
        nix::sys::termios::cfmakeraw(&mut modes);
        nix::sys::termios::tcsetattr(&slave, nix::sys::termios::SetArg::TCSANOW, &modes).unwrap();
        (PtyInput::new(master), slave)
    }

    #[tokio::test]
    async fn input_for_a_program_that_does_not_read_waits_without_blocking_and_arrives_in_order() {
        let (mut input, mut slave) = pty();
        let sent: Vec<u8> = (0..512 * 1024).map(|i| (i % 251) as u8).collect();
        // Far more than a pty holds: the write returns at once with the rest queued.
        input.write(&sent[..256 * 1024]).unwrap();
        assert!(input.has_pending(), "a pty holds less than 256 KiB");
        input.write(&sent[256 * 1024..]).unwrap();

        let reader = std::thread::spawn(move || {
            let mut got = vec![0; sent.len()];
            slave.read_exact(&mut got).unwrap();
            got == sent
        });
        tokio::time::timeout(std::time::Duration::from_secs(10), input.flush()).await.expect("flushed as it is read");
        assert!(!input.has_pending());
        assert!(reader.join().unwrap(), "every byte arrived, in order");
    }

    #[tokio::test]
    async fn past_the_limit_input_is_dropped_and_said_so() {
        let (mut input, _slave) = pty();
        input.write(&vec![b'x'; MAX_PENDING_INPUT]).unwrap();
        let err = input.write(&vec![b'y'; 1024 * 1024]).unwrap_err();
        // The pty took some of the first write, so that much of the second still fits.
        assert!(err.dropped > 0 && err.dropped < 1024 * 1024, "{err}");
        assert!(err.to_string().contains("not reading its input"), "{err}");
        assert_eq!(input.write(b"z").unwrap_err().dropped, 1, "still full");
    }

    #[tokio::test]
    async fn a_closed_pty_drops_what_waits_instead_of_waiting_forever() {
        let (mut input, slave) = pty();
        input.write(&vec![b'x'; 256 * 1024]).unwrap();
        assert!(input.has_pending());
        drop(slave);
        tokio::time::timeout(std::time::Duration::from_secs(5), input.flush()).await.expect("flush ends");
        assert!(!input.has_pending());
    }
}
