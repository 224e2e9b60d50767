//! The terminal's input events (keys, pastes, resizes), read on the runtime's own thread.
//!
//! crossterm's `EventStream` waits for input on a helper thread that then wakes the kiosk: a
//! thread hand-over on every key. Here the kiosk waits on the terminal's fd itself and asks
//! crossterm only for what is already there (`poll` with a zero timeout, then `read`), so a key
//! reaches the session one wake-up sooner.

use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use crossterm::event::Event;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct TerminalInput {
    /// The terminal crossterm reads from (stdin when it is one, else /dev/tty), for readiness.
    tty: AsyncFd<OwnedFd>,
    /// crossterm turns SIGWINCH into a resize event, but nothing wakes us for it but this.
    window_changes: Signal,
}

impl TerminalInput {
    pub fn new() -> std::io::Result<Self> {
        let stdin = std::io::stdin();
        let fd = if stdin.is_terminal() {
            stdin.as_fd().try_clone_to_owned()?
        } else {
            std::fs::File::open("/dev/tty")?.into()
        };
        // SAFETY: the OwnedFd is ours and stays open for as long as the AsyncFd holds it.
        let tty = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }?;
        Ok(Self { tty, window_changes: signal(SignalKind::window_change())? })
    }

    /// The next event; `None` once the terminal is gone (hung up).
    pub async fn next(&mut self) -> std::io::Result<Option<Event>> {
        loop {
            if crossterm::event::poll(Duration::ZERO)? {
                return crossterm::event::read().map(Some);
            }
            // crossterm has read all there was. Wait for more, forgetting the readiness seen
            // so far (it was for bytes crossterm has consumed); bytes that arrive after this
            // are a new readiness, so none is missed.
            tokio::select! {
                ready = self.tty.readable() => {
                    let mut ready = ready?;
                    // A hung-up terminal stays readable with nothing to read: waiting again
                    // would spin.
                    if ready.ready().is_read_closed() {
                        return Ok(None);
                    }
                    ready.clear_ready();
                }
                _ = self.window_changes.recv() => {}
            }
        }
    }
}
