//! The kiosk's event loop: terminal input, backend replies, the session's output, control
//! requests, timers and stop signals, multiplexed with `tokio::select!`. Every event goes
//! through `update`; the loop carries out the effects it returns (`effects`) and redraws
//! only when something changed.
//!
//! The loop is generic over where it draws (`display::KioskDisplay`) and where its input
//! comes from (`InputSource`): `run` wires the real terminal and signals; tests run the same
//! loop on ratatui's `TestBackend` with keys and stops sent over channels.

mod control;
pub mod display;
mod effects;

use std::io::Write;
use std::time::Instant;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use self::control::ControlReplies;
use self::display::{KioskDisplay, WIPE_SCREEN};
use super::input::TerminalReader;
use super::pacer::{FramePacer, Pace};
use super::session_paint::SessionPainter;
use super::state::{Event, Faults, Settings, State, TerminalInput};
use super::update::touch::mouse_reporting;
use super::update::update;
use super::{status, view};
use crate::audit::AuditLog;
use crate::auth::AuthBackend;
use crate::config::KioskConfig;
use crate::control::server::{Authorizer, ControlRequest, ControlServer};
use crate::server::sms::DeliveredSms;
use crate::session::pty::PtyOutput;
use crate::session::teardown::{TeardownContext, end_session};
use crate::session::{Launcher, LiveSession, SignOutReason};

/// What the kiosk needs besides its backend.
pub struct KioskOptions {
    pub config: KioskConfig,
    pub launcher: Launcher,
    pub teardown: TeardownContext,
    /// In `--demo`: texts for the on-screen phone.
    pub demo_sms: Option<mpsc::UnboundedReceiver<DeliveredSms>>,
    pub banner: Option<crate::kiosk::state::DemoBanner>,
    /// The manager control socket, bound, and who may use it.
    pub control: Option<(ControlServer, Authorizer)>,
}

/// Where the kiosk's input comes from: its terminal, or a test.
pub trait InputSource {
    /// The next key or resize; `None` once the terminal is gone (hung up).
    fn next(&mut self) -> impl Future<Output = std::io::Result<Option<TerminalInput>>>;

    /// The next key or resize if it is already here (read, parsed), without waiting.
    fn ready(&mut self) -> Option<TerminalInput>;
}

impl InputSource for TerminalReader {
    fn next(&mut self) -> impl Future<Output = std::io::Result<Option<TerminalInput>>> {
        TerminalReader::next(self)
    }

    fn ready(&mut self) -> Option<TerminalInput> {
        TerminalReader::ready(self)
    }
}

impl InputSource for mpsc::UnboundedReceiver<TerminalInput> {
    async fn next(&mut self) -> std::io::Result<Option<TerminalInput>> {
        Ok(self.recv().await)
    }

    fn ready(&mut self) -> Option<TerminalInput> {
        self.try_recv().ok()
    }
}

/// Keys (and mouse reports) already read that go through in one turn of the loop: a paste is passed on at
/// the speed of `update`, not of a whole turn per key, so a key pressed during it (F12) is
/// reached soon (RELIABILITY.md, "Floods"). Bounded, so timers and output still get turns.
const KEYS_PER_TURN: usize = 1024;

/// The loop's outside world: a display, an input, and the requests to stop.
pub struct KioskIo<D, I> {
    pub display: D,
    pub input: I,
    /// Each message asks the kiosk to stop (the real kiosk sends one per SIGTERM/SIGHUP/SIGINT).
    pub stops: mpsc::UnboundedReceiver<()>,
}

/// The session currently hosted on screen.
struct Hosted {
    session: LiveSession,
    /// The session's terminal as an emulator sees it.
    emulator: vt100::Parser,
    painter: SessionPainter,
    output: PtyOutput,
    output_open: bool,
    exit_seen: bool,
}

/// Frames are written whole: the painter's rows and ratatui's bar reach the terminal in one
/// write at the frame's flush, never a half-drawn frame (stdout alone flushes at each newline).
type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::BufWriter<std::io::Stdout>>>;

/// The loop's own state besides `State`: what carrying out effects needs.
struct Kiosk<B: AuthBackend + Clone, D> {
    backend: B,
    config: KioskConfig,
    launcher: Launcher,
    teardown: TeardownContext,
    audit: AuditLog,
    state: State,
    display: D,
    hosted: Option<Hosted>,
    events: mpsc::UnboundedSender<Event>,
    control: ControlReplies,
    /// The teardown under way, to be awaited if the loop ends before it does: dropping the
    /// runtime would cancel it half done.
    teardown_task: Option<tokio::task::JoinHandle<()>>,
    /// Revokes under way: the loop ends only once they are done (each is bounded).
    revokes: JoinSet<()>,
    /// False once the terminal hung up: the kiosk stops (tearing down any session) and draws
    /// nothing more, since every write would fail.
    terminal_open: bool,
    /// The mouse events the terminal was last set to report.
    mouse: vt100::MouseProtocolMode,
    /// What the kiosk last found it can't write, as `update` was told.
    faults: Faults,
}

/// What a turn of the event loop leaves to draw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redraw {
    Nothing,
    /// Only the session wrote: its rows changed, nothing else did.
    SessionOutput,
    All,
}

/// Something the hosted session did.
enum Activity {
    Output(Vec<u8>),
    Exited,
    /// It read the input that was waiting for it.
    InputTaken,
}

async fn session_activity(hosted: &mut Option<Hosted>) -> Activity {
    let Some(Hosted { session: LiveSession { input, exited, .. }, output, output_open, exit_seen, .. }) = hosted else {
        return std::future::pending().await;
    };
    let read = async {
        if *output_open {
            match output.read().await {
                Some(bytes) => return Activity::Output(bytes),
                None => *output_open = false,
            }
        }
        std::future::pending().await
    };
    let exit = async {
        if !*exit_seen {
            let _ = exited.wait_for(|exited| *exited).await;
            *exit_seen = true;
            return Activity::Exited;
        }
        std::future::pending().await
    };
    let input_taken = async {
        if input.has_pending() {
            input.flush().await;
            return Activity::InputTaken;
        }
        std::future::pending().await
    };
    // Output first, so a command's last words are drawn before its exit is handled.
    tokio::select! {
        biased;
        activity = read => activity,
        activity = exit => activity,
        activity = input_taken => activity,
    }
}

async fn next_sms(receiver: &mut Option<mpsc::UnboundedReceiver<DeliveredSms>>) -> DeliveredSms {
    match receiver {
        Some(r) => match r.recv().await {
            Some(sms) => sms,
            None => {
                *receiver = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

async fn next_control(receiver: &mut Option<mpsc::Receiver<ControlRequest>>) -> ControlRequest {
    match receiver {
        Some(r) => match r.recv().await {
            Some(request) => request,
            None => {
                *receiver = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

/// The loop's clock: tokio's, which is the system's monotonic clock — except in a test that
/// pauses it and lets it run ahead (`tests/kiosk_loop.rs`: "Still waiting?" after 30 s without
/// waiting 30 s). `update` gets it only as `state.now`.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs the kiosk on the real terminal until it is stopped. The terminal is restored on
/// every way out.
pub async fn run<B: AuthBackend + Clone>(backend: B, options: KioskOptions) -> std::io::Result<()> {
    // The input first: it listens for window changes, and the display reads the size after
    // it, so a resize while the kiosk starts is either in that size or a resize event to come
    // (the other way round, one between the two was lost and the frame stayed the old size).
    let input = TerminalReader::new()?;
    let display = init_terminal()?;
    let (stop_sender, stops) = mpsc::unbounded_channel();
    let mut signals =
        [signal(SignalKind::terminate())?, signal(SignalKind::hangup())?, signal(SignalKind::interrupt())?];
    tokio::spawn(async move {
        loop {
            let [term, hup, int] = &mut signals;
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
                _ = int.recv() => {}
            }
            if stop_sender.send(()).is_err() {
                return;
            }
        }
    });
    let result = run_loop(backend, options, KioskIo { display, input, stops }).await;
    let _ = std::io::stdout().write_all(WIPE_SCREEN);
    ratatui::restore();
    result
}

/// Raw mode, the alternate screen, and a terminal of the current size that is resized only
/// when a resize event says so: ratatui's default asks the size before every frame, and
/// crossterm opens /dev/tty to answer, a cost on every echo. A panic restores the terminal.
fn init_terminal() -> std::io::Result<Term> {
    let (cols, rows) = crossterm::terminal::size()?;
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = std::io::stdout().write_all(display::MOUSE_OFF);
        ratatui::restore();
        previous_hook(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    // The Linux console has no alternate screen: wipe what was there (boot messages, a
    // previous login) before the first frame.
    std::io::stdout().write_all(WIPE_SCREEN)?;
    std::io::stdout().flush()?;
    let viewport = ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, cols, rows));
    let writer = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    ratatui::Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(writer),
        ratatui::TerminalOptions { viewport },
    )
}

/// The event loop, on any display and input: until the kiosk is stopped and nothing it
/// started (a teardown, a backend request, a revoke) is still under way.
pub async fn run_loop<B, D, I>(backend: B, options: KioskOptions, io: KioskIo<D, I>) -> std::io::Result<()>
where
    B: AuthBackend + Clone,
    D: KioskDisplay,
    I: InputSource,
{
    let KioskOptions { config, launcher, teardown, mut demo_sms, banner, control } = options;
    let KioskIo { display, mut input, mut stops } = io;
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let audit = teardown.audit.clone();
    // Out of service survives a restart.
    let locked = status::load_lock(&config.state_dir());
    let term = std::env::var("TERM").ok();
    let mut settings = Settings::from_config(&config, term.as_deref());
    settings.voice = backend.offers_voice();
    settings.passes = backend.takes_passes();
    settings.issues_passes = backend.issues_passes();
    settings.pass_format = backend.pass_format();
    let mut state = State::new(settings, locked, now());
    state.banner = banner;
    if demo_sms.is_some() {
        state.demo_phone = Some(Vec::new());
    }
    let mut control_requests = control.map(|(server, authorizer)| {
        let (control_sender, control_requests) = mpsc::channel::<ControlRequest>(8);
        tokio::spawn(server.serve(authorizer, control_sender, audit.clone()));
        control_requests
    });
    let mut kiosk = Kiosk {
        backend,
        config,
        launcher,
        teardown,
        audit,
        state,
        display,
        hosted: None,
        events: sender,
        control: ControlReplies::default(),
        teardown_task: None,
        revokes: JoinSet::new(),
        terminal_open: true,
        mouse: vt100::MouseProtocolMode::None,
        faults: Faults::default(),
    };
    let mut audit_health = kiosk.audit.health();
    kiosk.audit.record("kiosk_start", serde_json::json!({ "kiosk": kiosk.config.name }));
    // Out of service from the start if what a session needs can't be written.
    kiosk.faults.audit_log = audit_health.borrow_and_update().clone();
    kiosk.faults.state_dir = kiosk.teardown.state_file.check_writable().err().map(|err| err.to_string());
    if kiosk.faults.any() {
        kiosk.dispatch(Event::Faults(kiosk.faults.clone()))?;
    }

    let mut redraw_at: Option<tokio::time::Instant> = None;
    let mut pacer = FramePacer::new(now());
    kiosk.draw(Redraw::All)?;

    let looped: std::io::Result<()> = async {
        while !kiosk.may_exit() {
            let wakeup = kiosk.state.next_wakeup().map(tokio::time::Instant::from_std);
            let mut redraw = Redraw::All;
            tokio::select! {
                read = input.next(), if kiosk.terminal_open => {
                    // Keys passed through to the session change nothing on screen until they
                    // echo; the echo is then drawn at once. Any other input is drawn after the
                    // keys read with it, in one frame.
                    redraw = Redraw::Nothing;
                    let mut read = read?;
                    for _ in 0..KEYS_PER_TURN {
                        match read {
                            Some(TerminalInput::Key(key)) => {
                                if kiosk.dispatch_for_redraw(Event::Key(key))? {
                                    redraw = Redraw::All;
                                } else {
                                    pacer.key_sent();
                                }
                            }
                            // Mouse input passed through to the session is drawn when it answers.
                            Some(TerminalInput::Mouse(mouse)) => {
                                let area = kiosk.display.area();
                                if kiosk.dispatch_for_redraw(Event::Mouse { mouse, area })? {
                                    redraw = Redraw::All;
                                } else {
                                    pacer.key_sent();
                                }
                            }
                            Some(TerminalInput::Resize { cols, rows }) => {
                                kiosk.resize(cols, rows)?;
                                redraw = Redraw::All;
                            }
                            None => {
                                kiosk.terminal_open = false;
                                kiosk.dispatch(Event::Stop)?;
                                redraw = Redraw::All;
                                break;
                            }
                        }
                        match input.ready() {
                            Some(next) => read = Some(next),
                            None => break,
                        }
                    }
                },
                Some(event) = receiver.recv() => kiosk.dispatch(event)?,
                request = next_control(&mut control_requests) => {
                    let event = kiosk.control.take(request);
                    kiosk.dispatch(event)?;
                }
                activity = session_activity(&mut kiosk.hosted) => match activity {
                    Activity::Output(bytes) => {
                        if let Some(hosted) = &mut kiosk.hosted {
                            hosted.painter.take_output(&mut hosted.emulator, &bytes);
                        }
                        redraw = match pacer.output(now()) {
                            Pace::DrawNow => Redraw::SessionOutput,
                            Pace::DrawAt(at) => {
                                redraw_at = Some(tokio::time::Instant::from_std(at));
                                Redraw::Nothing
                            }
                        };
                    }
                    Activity::Exited => kiosk.dispatch(Event::SessionExited)?,
                    Activity::InputTaken => redraw = Redraw::Nothing,
                },
                Ok(()) = audit_health.changed() => {
                    kiosk.faults.audit_log = audit_health.borrow_and_update().clone();
                    kiosk.dispatch(Event::Faults(kiosk.faults.clone()))?;
                }
                sms = next_sms(&mut demo_sms) => kiosk.dispatch(Event::DemoSms { to_masked: sms.to_masked.clone(), body: sms.body.clone() })?,
                () = sleep_until(wakeup), if wakeup.is_some() => kiosk.dispatch(Event::Tick(now()))?,
                () = sleep_until(redraw_at), if redraw_at.is_some() => redraw = Redraw::SessionOutput,
                Some(()) = stops.recv() => kiosk.dispatch(Event::Stop)?,
            }
            if redraw != Redraw::Nothing {
                redraw_at = None;
                kiosk.draw(redraw)?;
                pacer.drawn();
            }
        }
        Ok(())
    }
    .await;
    // However the loop ended (an error too), a teardown under way finishes, a session still
    // on screen is torn down, and revokes under way end.
    if let Some(task) = kiosk.teardown_task.take() {
        let _ = task.await;
    }
    if let Some(hosted) = kiosk.hosted.take() {
        end_session(hosted.session, &kiosk.backend, SignOutReason::KioskStopped, &kiosk.teardown).await;
    }
    while kiosk.revokes.join_next().await.is_some() {}
    kiosk.audit.record("kiosk_stop", serde_json::json!({ "kiosk": kiosk.config.name }));
    looped
}

impl<B: AuthBackend + Clone, D: KioskDisplay> Kiosk<B, D> {
    fn may_exit(&self) -> bool {
        self.state.may_exit() && self.hosted.is_none()
    }

    fn draw(&mut self, redraw: Redraw) -> std::io::Result<()> {
        if !self.terminal_open {
            return Ok(());
        }
        self.draw_frame(redraw)?;
        self.set_mouse_reporting()
    }

    fn draw_frame(&mut self, redraw: Redraw) -> std::io::Result<()> {
        if let (Redraw::SessionOutput, Some(hosted)) = (redraw, &mut self.hosted)
            && self.display.draw_session_output(&self.state, hosted.emulator.screen(), &mut hosted.painter)?
        {
            return Ok(());
        }
        let session = self.hosted.as_mut().map(|h| (h.emulator.screen(), &mut h.painter));
        self.display.draw(&self.state, session)
    }

    /// The terminal reports the mouse as `update` says it should for what is on screen now.
    fn set_mouse_reporting(&mut self) -> std::io::Result<()> {
        let session = self
            .hosted
            .as_ref()
            .map_or(vt100::MouseProtocolMode::None, |hosted| hosted.emulator.screen().mouse_protocol_mode());
        let wanted = mouse_reporting(&self.state, session);
        if wanted != self.mouse {
            self.display.set_mouse_reporting(self.mouse, wanted)?;
            self.mouse = wanted;
        }
        Ok(())
    }

    fn dispatch(&mut self, event: Event) -> std::io::Result<()> {
        self.dispatch_for_redraw(event).map(drop)
    }

    /// As `dispatch`, and says whether the screen may have changed: not when all that happened
    /// is a key going through to the session (its echo is drawn when it comes back).
    fn dispatch_for_redraw(&mut self, event: Event) -> std::io::Result<bool> {
        if !matches!(event, Event::Tick(_)) {
            self.state.now = now();
        }
        let effects = update(&mut self.state, event);
        let passed_through = !effects.is_empty()
            && effects
                .iter()
                .all(|e| matches!(e, super::state::Effect::ForwardKey(_) | super::state::Effect::ForwardMouse(_)));
        for effect in effects {
            self.execute(effect)?;
        }
        Ok(!passed_through)
    }

    fn resize(&mut self, cols: u16, rows: u16) -> std::io::Result<()> {
        let area = ratatui::layout::Rect::new(0, 0, cols, rows);
        if let Some(hosted) = &mut self.hosted {
            let session_area = view::session_area(area);
            hosted.emulator.screen_mut().set_size(session_area.height.max(1), session_area.width.max(1));
            let _ = hosted.session.input.resize(session_area.width, session_area.height);
            // The kernel signals only the pty's foreground group; a sandboxed session runs in a
            // session of its own (bwrap --new-session), so tell every process directly.
            hosted.session.notify_resize();
        }
        let painter = self.hosted.as_mut().map(|hosted| &mut hosted.painter);
        self.display.resize(painter, area)
    }
}
