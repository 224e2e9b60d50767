//! The terminal's input (keys, resizes), read on the runtime's own thread.
//!
//! The kiosk reads its terminal itself and parses the keys (`key_parser`): one wake-up per
//! key, everything there is read at once (a paste can't stall half-read), and a terminal that
//! hung up ends the input instead of being read forever.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{ErrorKind, IsTerminal, Read};
use std::os::unix::fs::OpenOptionsExt;

use tokio::io::Interest;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::key_parser::KeyParser;
use super::state::TerminalInput;

/// Read at most this much before the event loop gets a turn: a flood of input must not starve
/// the timers and the session's output.
const READ_PER_TURN: usize = 64 * 1024;

pub struct TerminalReader {
    /// The terminal, opened anew: its own non-blocking file, so the shell that started the
    /// kiosk keeps a blocking one.
    tty: AsyncFd<File>,
    read: ReadSoFar,
    window_changes: Signal,
}

/// What has been read from the terminal and not yet handed out.
struct ReadSoFar {
    buffer: Vec<u8>,
    parser: KeyParser,
    events: VecDeque<TerminalInput>,
    hung_up: bool,
}

/// The terminal the kiosk runs on: stdin when it is one, else the controlling terminal.
fn open_terminal() -> std::io::Result<File> {
    let path = if std::io::stdin().is_terminal() { "/proc/self/fd/0" } else { "/dev/tty" };
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(|err| std::io::Error::new(err.kind(), format!("can't open the terminal ({path}) for input: {err}")))
}

impl TerminalReader {
    pub fn new() -> std::io::Result<Self> {
        // SAFETY: the File owns its fd, which stays open for as long as the AsyncFd holds it.
        let tty = unsafe { AsyncFd::register_with_interest(open_terminal()?, Interest::READABLE) }?;
        Ok(Self {
            tty,
            read: ReadSoFar {
                buffer: vec![0; 16 * 1024],
                parser: KeyParser::default(),
                events: VecDeque::new(),
                hung_up: false,
            },
            window_changes: signal(SignalKind::window_change())?,
        })
    }

    /// The next event if it was read already; never reads.
    pub fn ready(&mut self) -> Option<TerminalInput> {
        self.read.events.pop_front()
    }

    /// The next event; `None` once the terminal is gone (hung up).
    pub async fn next(&mut self) -> std::io::Result<Option<TerminalInput>> {
        loop {
            if let Some(event) = self.read.events.pop_front() {
                return Ok(Some(event));
            }
            if self.read.hung_up {
                return Ok(None);
            }
            tokio::select! {
                ready = self.tty.readable() => self.read.take(ready?)?,
                _ = self.window_changes.recv() => {
                    let (cols, rows) = crossterm::terminal::size()?;
                    self.read.events.push_back(TerminalInput::Resize { cols, rows });
                }
            }
        }
    }
}

impl ReadSoFar {
    /// Reads what the terminal has (up to `READ_PER_TURN`) into events.
    fn take(&mut self, mut ready: AsyncFdReadyGuard<'_, File>) -> std::io::Result<()> {
        let Self { buffer, parser, events, hung_up } = self;
        let mut taken = 0;
        while taken < READ_PER_TURN {
            match ready.try_io(|tty| tty.get_ref().read(buffer)) {
                Ok(Ok(0)) => *hung_up = true,
                Ok(Ok(n)) => {
                    parser.feed(&buffer[..n], events);
                    taken += n;
                    if n == buffer.len() {
                        continue;
                    }
                    // A short read took all there was (a tty read returns what it has, up to
                    // the buffer); input after it is a new readiness event. No read that
                    // would only say EWOULDBLOCK: a syscall less per key.
                    ready.clear_ready();
                    parser.input_drained(events);
                }
                Ok(Err(err)) if err.kind() == ErrorKind::Interrupted => continue,
                // EIO: the terminal hung up.
                Ok(Err(err)) if err.raw_os_error() == Some(libc::EIO) => *hung_up = true,
                Ok(Err(err)) => return Err(err),
                // All read: try_io forgot the readiness.
                Err(_would_block) => parser.input_drained(events),
            }
            break;
        }
        Ok(())
    }
}
