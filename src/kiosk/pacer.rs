//! When to draw the session's output. The first output after a key press (its echo), or
//! after a silence, is drawn at once; output that keeps coming (`cat bigfile`) is drawn when it pauses, and at most a frame
//! after it arrived, so drawing never throttles it. (Like foot's delayed rendering: wait for
//! quiet, but never past a frame.)

use std::time::{Duration, Instant};

/// The longest output waits to be drawn while it keeps coming.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(8);
/// Output followed by this much silence is drawn without waiting for the frame.
pub const QUIET: Duration = Duration::from_millis(1);
/// Output after this much silence starts a new burst, and is drawn at once.
pub const SILENCE: Duration = Duration::from_micros(500);

#[derive(Debug)]
pub struct FramePacer {
    last_output: Instant,
    /// When the oldest output not yet on screen arrived.
    pending_since: Option<Instant>,
    /// A key went to the session since the last output: what comes back is its echo.
    key_sent: bool,
}

/// What to do with output that just arrived.
#[derive(Debug, PartialEq, Eq)]
pub enum Pace {
    DrawNow,
    DrawAt(Instant),
}

impl FramePacer {
    pub fn new(now: Instant) -> Self {
        FramePacer { last_output: now, pending_since: None, key_sent: false }
    }

    /// A key press was passed to the session.
    pub fn key_sent(&mut self) {
        self.key_sent = true;
    }

    /// Output arrived at `now`.
    pub fn output(&mut self, now: Instant) -> Pace {
        let silent = now.duration_since(std::mem::replace(&mut self.last_output, now)) >= SILENCE;
        let echo = std::mem::take(&mut self.key_sent);
        if self.pending_since.is_none() && (silent || echo) {
            return Pace::DrawNow;
        }
        let since = *self.pending_since.get_or_insert(now);
        Pace::DrawAt((now + QUIET).min(since + FRAME_INTERVAL))
    }

    /// The screen was drawn (for whatever reason): nothing is pending any more.
    pub fn drawn(&mut self) {
        self.pending_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn output_after_a_silence_is_drawn_at_once() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(start);
        assert_eq!(pacer.output(start + 20 * MS), Pace::DrawNow);
        pacer.drawn();
        // A quick typist: the next echo 2 ms later is still drawn at once.
        assert_eq!(pacer.output(start + 22 * MS), Pace::DrawNow);
    }

    #[test]
    fn output_right_after_output_waits_for_quiet() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(start);
        assert_eq!(pacer.output(start + 20 * MS), Pace::DrawNow);
        pacer.drawn();
        let next = start + 20 * MS + MS / 10;
        assert_eq!(pacer.output(next), Pace::DrawAt(next + QUIET));
    }

    #[test]
    fn an_echo_is_drawn_at_once_however_soon_it_comes() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(start);
        assert_eq!(pacer.output(start + 20 * MS), Pace::DrawNow);
        pacer.drawn();
        pacer.key_sent();
        assert_eq!(pacer.output(start + 20 * MS + MS / 10), Pace::DrawNow);
        pacer.drawn();
        // The key's echo came; the next output is not an echo any more.
        let next = start + 20 * MS + MS / 5;
        assert_eq!(pacer.output(next), Pace::DrawAt(next + QUIET));
    }

    #[test]
    fn a_key_during_a_stream_does_not_break_the_frame() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(start);
        let first = start + 20 * MS;
        assert_eq!(pacer.output(first), Pace::DrawNow);
        pacer.drawn();
        assert_eq!(pacer.output(first + MS / 10), Pace::DrawAt(first + MS / 10 + QUIET));
        pacer.key_sent();
        assert_eq!(pacer.output(first + MS / 5), Pace::DrawAt(first + MS / 5 + QUIET));
    }

    #[test]
    fn a_stream_is_drawn_once_per_frame_however_long_it_runs() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(start);
        let first = start + MS;
        assert_eq!(pacer.output(first), Pace::DrawNow);
        pacer.drawn();
        // Output every 0.25 ms keeps pushing the quiet deadline, but never past the frame.
        let mut at = first;
        for _ in 0..80 {
            at += MS / 4;
            match pacer.output(at) {
                Pace::DrawAt(deadline) => assert!(deadline <= first + MS / 4 + FRAME_INTERVAL, "{deadline:?}"),
                Pace::DrawNow => panic!("a stream is not drawn on every chunk"),
            }
        }
        pacer.drawn();
        // Still streaming: the next chunk waits again.
        at += MS / 4;
        assert_eq!(pacer.output(at), Pace::DrawAt(at + QUIET));
    }
}
