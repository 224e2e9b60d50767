//! The kiosk's event loop: terminal input, backend replies, the session's output, timers and
//! signals, multiplexed with `tokio::select!`. It carries out the effects `update` asks for,
//! and redraws only when something changed.

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::Event as TermEvent;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::input::TerminalInput;
use super::pacer::{FramePacer, Pace};
use super::session_paint::SessionPainter;
use super::state::{Effect, Event, Reply, Screen, SessionLimits, State};
use super::update::update;
use super::{frame, status, view};
use crate::audit::AuditLog;
use crate::auth::AuthBackend;
use crate::config::KioskConfig;
use crate::control::protocol::{Request, Response};
use crate::control::server::{Authorizer, ControlRequest, ControlServer};
use crate::server::sms::DeliveredSms;
use crate::session::pty::PtyOutput;
use crate::session::teardown::{TeardownContext, TeardownOutcome, end_session};
use crate::session::{Launcher, LiveSession, SignOutReason, keys};

/// CSI 2 J + CSI 3 J: wipe the screen and the scrollback; home the cursor; and turn off the
/// modes a program may have left on (mouse reporting, bracketed paste).
const WIPE_SCREEN: &[u8] = b"\x1b[2J\x1b[3J\x1b[H\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l";

/// What the kiosk needs besides its backend.
pub struct KioskOptions {
    pub config: KioskConfig,
    pub launcher: Launcher,
    pub teardown: TeardownContext,
    /// In `--demo`: texts for the on-screen phone.
    pub demo_sms: Option<mpsc::UnboundedReceiver<DeliveredSms>>,
    pub banner: Option<String>,
    /// The manager control socket, bound, and who may use it.
    pub control: Option<(ControlServer, Authorizer)>,
}

/// The session currently hosted on screen.
struct Hosted {
    session: LiveSession,
    screen: vt100::Parser,
    painter: SessionPainter,
    output: PtyOutput,
    output_open: bool,
    exit_seen: bool,
}

/// Frames are written whole: the painter's rows and ratatui's bar reach the terminal in one
/// write at the frame's flush, never a half-drawn frame (stdout alone flushes at each newline).
type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::BufWriter<std::io::Stdout>>>;

struct Kiosk<B: AuthBackend + Clone> {
    backend: B,
    config: KioskConfig,
    launcher: Launcher,
    teardown: TeardownContext,
    audit: AuditLog,
    state: State,
    hosted: Option<Hosted>,
    events: mpsc::UnboundedSender<Event>,
    /// Control requests waiting for the teardown under way (reset, lock).
    waiting_for_teardown: Vec<tokio::sync::oneshot::Sender<Response>>,
    /// The teardown under way, to be awaited if the loop ends before it does: dropping the
    /// runtime would cancel it half done.
    teardown_task: Option<tokio::task::JoinHandle<()>>,
    /// The state label and since when it holds (for `status`).
    label_since: (&'static str, Instant),
    /// False once the terminal hung up: the kiosk stops (tearing down any session) and draws
    /// nothing more, since every write would fail.
    terminal_open: bool,
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

/// Input for the session; what the session hasn't read yet waits in its queue.
fn send_input(hosted: &mut Hosted, bytes: &[u8]) {
    if let Err(err) = hosted.session.input.write(bytes) {
        tracing::warn!("{err}");
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

/// Runs the kiosk until it is stopped. The terminal is restored on every way out.
pub async fn run<B: AuthBackend + Clone>(backend: B, options: KioskOptions) -> std::io::Result<()> {
    let mut terminal = init_terminal()?;
    let result = event_loop(&mut terminal, backend, options).await;
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
        ratatui::restore();
        previous_hook(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    let viewport = ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, cols, rows));
    let writer = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    ratatui::Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(writer),
        ratatui::TerminalOptions { viewport },
    )
}

async fn event_loop<B: AuthBackend + Clone>(
    terminal: &mut Term,
    backend: B,
    options: KioskOptions,
) -> std::io::Result<()> {
    let KioskOptions { config, launcher, teardown, mut demo_sms, banner, control } = options;
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let audit = teardown.audit.clone();
    let mut state =
        State::new(config.name.clone(), config.default_region.clone(), config.keys.sign_out, Instant::now());
    state.banner = banner;
    state.limits = SessionLimits {
        idle_timeout: config.session.idle_timeout.0,
        idle_warning: config.session.idle_warning.0,
        max_duration: config.session.max_duration.0,
    };
    if demo_sms.is_some() {
        state.demo_phone = Some(Vec::new());
    }
    state.manager_key = config.keys.manager;
    state.manager_roles = config.manager.roles.clone();
    state.manager_idle = config.manager.menu_timeout.0;
    // Out of service survives a restart.
    if let Some(message) = status::load_lock(&config.state_dir()) {
        state.locked = Some(message);
        state.screen = Screen::Locked;
    }
    let (control_sender, mut control_requests) = mpsc::channel::<ControlRequest>(8);
    if let Some((server, authorizer)) = control {
        tokio::spawn(server.serve(authorizer, control_sender, audit.clone()));
    }
    let label_since = (state.label(), state.now);
    let mut kiosk = Kiosk {
        backend,
        config,
        launcher,
        teardown,
        audit,
        state,
        hosted: None,
        events: sender,
        waiting_for_teardown: Vec::new(),
        teardown_task: None,
        label_since,
        terminal_open: true,
    };
    kiosk.audit.record("kiosk_start", serde_json::json!({ "kiosk": kiosk.config.name }));

    let mut terminal_events = TerminalInput::new()?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut redraw_at: Option<tokio::time::Instant> = None;
    let mut pacer = FramePacer::new(Instant::now());
    kiosk.draw(terminal, Redraw::All)?;

    let looped: std::io::Result<()> = async {
        while !kiosk.quit_now() {
            let wakeup = kiosk.state.next_wakeup().map(tokio::time::Instant::from_std);
            let mut redraw = Redraw::All;
            tokio::select! {
                input = terminal_events.next(), if kiosk.terminal_open => match input {
                    Ok(Some(TermEvent::Key(key))) => {
                        // A key passed through to the session changes nothing on screen until it
                        // echoes; the echo is then drawn at once.
                        if !kiosk.dispatch_for_redraw(Event::Key(key), terminal)? {
                            redraw = Redraw::Nothing;
                            pacer.key_sent();
                        }
                    }
                    Ok(Some(TermEvent::Paste(text))) => kiosk.paste(&text),
                    Ok(Some(TermEvent::Resize(cols, rows))) => {
                        kiosk.resize(cols, rows);
                        let painter = kiosk.hosted.as_mut().map(|hosted| &mut hosted.painter);
                        frame::resize(terminal, painter, ratatui::layout::Rect::new(0, 0, cols, rows))?;
                    }
                    Ok(Some(_)) => redraw = Redraw::Nothing,
                    Ok(None) => {
                        kiosk.terminal_open = false;
                        kiosk.dispatch(Event::Stop, terminal)?;
                    }
                    Err(err) => return Err(err),
                },
                Some(event) = receiver.recv() => kiosk.dispatch(event, terminal)?,
                Some(request) = control_requests.recv() => kiosk.control(request, terminal)?,
                activity = session_activity(&mut kiosk.hosted) => match activity {
                    Activity::Output(bytes) => {
                        if let Some(hosted) = &mut kiosk.hosted {
                            hosted.painter.take_output(&mut hosted.screen, &bytes);
                        }
                        redraw = match pacer.output(Instant::now()) {
                            Pace::DrawNow => Redraw::SessionOutput,
                            Pace::DrawAt(at) => {
                                redraw_at = Some(tokio::time::Instant::from_std(at));
                                Redraw::Nothing
                            }
                        };
                    }
                    Activity::Exited => kiosk.dispatch(Event::SessionExited, terminal)?,
                    Activity::InputTaken => redraw = Redraw::Nothing,
                },
                sms = next_sms(&mut demo_sms) => kiosk.dispatch(Event::DemoSms { to_masked: sms.to_masked.clone(), body: sms.body.clone() }, terminal)?,
                () = sleep_until(wakeup), if wakeup.is_some() => kiosk.dispatch(Event::Tick(Instant::now()), terminal)?,
                () = sleep_until(redraw_at), if redraw_at.is_some() => redraw = Redraw::SessionOutput,
                _ = sigterm.recv() => kiosk.dispatch(Event::Stop, terminal)?,
                _ = sighup.recv() => kiosk.dispatch(Event::Stop, terminal)?,
                _ = sigint.recv() => kiosk.dispatch(Event::Stop, terminal)?,
            }
            if redraw != Redraw::Nothing {
                redraw_at = None;
                kiosk.draw(terminal, redraw)?;
                pacer.drawn();
            }
        }
        Ok(())
    }
    .await;
    // However the loop ended (an error too), a teardown under way finishes and a session
    // still on screen is torn down.
    if let Some(task) = kiosk.teardown_task.take() {
        let _ = task.await;
    }
    if let Some(hosted) = kiosk.hosted.take() {
        kiosk.run_teardown(hosted, SignOutReason::KioskStopped).await;
    }
    kiosk.audit.record("kiosk_stop", serde_json::json!({ "kiosk": kiosk.config.name }));
    looped
}

/// One audit record as a line for the manager's "Recent events".
fn describe_event(record: &serde_json::Value) -> String {
    let time = record["time"].as_str().unwrap_or("").get(11..19).unwrap_or("");
    let event = record["event"].as_str().unwrap_or("?");
    let mut details: Vec<String> = record
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !matches!(key.as_str(), "time" | "event"))
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            format!("{key}={}", value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()))
        })
        .collect();
    details.truncate(6);
    format!("{time} {event} {}", details.join(" "))
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl<B: AuthBackend + Clone> Kiosk<B> {
    fn quit_now(&self) -> bool {
        self.state.quitting && self.hosted.is_none() && !matches!(self.state.screen, super::state::Screen::SigningOut)
    }

    fn draw(&mut self, terminal: &mut Term, redraw: Redraw) -> std::io::Result<()> {
        if !self.terminal_open {
            return Ok(());
        }
        if let (Redraw::SessionOutput, Some(hosted)) = (redraw, &mut self.hosted)
            && frame::draw_session_output(terminal, &self.state, hosted.screen.screen(), &mut hosted.painter)?
        {
            return Ok(());
        }
        let session = self.hosted.as_mut().map(|h| (h.screen.screen(), &mut h.painter));
        frame::draw(terminal, &self.state, session)
    }

    fn dispatch(&mut self, event: Event, terminal: &mut Term) -> std::io::Result<()> {
        self.dispatch_for_redraw(event, terminal).map(drop)
    }

    /// As `dispatch`, and says whether the screen may have changed: not when all that happened
    /// is a key going through to the session (its echo is drawn when it comes back).
    fn dispatch_for_redraw(&mut self, event: Event, terminal: &mut Term) -> std::io::Result<bool> {
        if !matches!(event, Event::Tick(_)) {
            self.state.now = Instant::now();
        }
        if let Event::TeardownDone(outcome) = &event {
            self.teardown_task = None;
            let answer = Response::ok(serde_json::json!({ "session": true, "outcome": outcome }));
            for reply in self.waiting_for_teardown.drain(..) {
                let _ = reply.send(answer.clone());
            }
        }
        let effects = update(&mut self.state, event);
        let passed_through = !effects.is_empty() && effects.iter().all(|e| matches!(e, Effect::ForwardKey(_)));
        for effect in effects {
            self.execute(effect, terminal)?;
        }
        let label = self.state.label();
        if label != self.label_since.0 {
            self.label_since = (label, self.state.now);
        }
        Ok(!passed_through)
    }

    /// Answers a manager's request from the control socket.
    fn control(&mut self, request: ControlRequest, terminal: &mut Term) -> std::io::Result<()> {
        let ControlRequest { request, reply } = request;
        self.state.now = Instant::now();
        let teardown_under_way = || matches!(self.state.screen, Screen::SigningOut);
        match request {
            Request::Status => {
                let mut snapshot = status::snapshot(&self.state, self.label_since.1, self.audit.tail(5));
                let backend = self.backend.clone();
                tokio::spawn(async move {
                    let healthy =
                        tokio::time::timeout(Duration::from_secs(2), backend.healthy()).await.unwrap_or(false);
                    snapshot["backend_reachable"] = serde_json::json!(healthy);
                    let _ = reply.send(Response::ok(snapshot));
                });
            }
            Request::Reset { reason } => {
                if !self.state.in_session() && !teardown_under_way() {
                    let _ = reply
                        .send(Response::ok(serde_json::json!({ "session": false, "message": "no session to reset" })));
                    return Ok(());
                }
                self.audit.record("control_reset", serde_json::json!({ "reason": reason }));
                self.waiting_for_teardown.push(reply);
                self.dispatch(Event::ManagerReset, terminal)?;
            }
            Request::Lock { message } => {
                let message = message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
                let message = message.unwrap_or_else(|| "Out of service".into());
                if message.chars().count() > 200 || message.chars().any(char::is_control) {
                    let _ = reply
                        .send(Response::error("bad_message", "the message must be one line of at most 200 characters"));
                    return Ok(());
                }
                let ends_session = self.state.in_session() || teardown_under_way();
                self.dispatch(Event::Lock(message.clone()), terminal)?;
                if ends_session {
                    self.waiting_for_teardown.push(reply);
                } else {
                    let _ = reply.send(Response::ok(
                        serde_json::json!({ "session": false, "locked": true, "message": message }),
                    ));
                }
            }
            Request::Unlock => {
                let was_locked = self.state.locked.is_some();
                self.dispatch(Event::Unlock, terminal)?;
                let _ = reply.send(Response::ok(serde_json::json!({ "locked": false, "was_locked": was_locked })));
            }
        }
        self.draw(terminal, Redraw::All)
    }

    fn spawn_reply<F>(&self, work: F)
    where
        F: Future<Output = Reply> + Send + 'static,
    {
        let events = self.events.clone();
        tokio::spawn(async move {
            let _ = events.send(Event::Reply(work.await));
        });
    }

    fn execute(&mut self, effect: Effect, terminal: &mut Term) -> std::io::Result<()> {
        match effect {
            Effect::SendCode(phone, purpose) => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::CodeSent(purpose, backend.start(&phone).await) });
            }
            Effect::Resend(challenge_id, purpose) => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::CodeSent(purpose, backend.resend(&challenge_id).await) });
            }
            Effect::Verify { challenge_id, code, purpose } => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::Verified(purpose, backend.verify(&challenge_id, &code).await) });
            }
            Effect::RevokeToken(token) => {
                let backend = self.backend.clone();
                let audit = self.audit.clone();
                let timeout = self.teardown.limits.revoke_timeout;
                tokio::spawn(async move {
                    let outcome = match tokio::time::timeout(timeout, backend.sign_out(&token)).await {
                        Ok(Ok(())) => "revoked".to_string(),
                        Ok(Err(err)) => format!("failed: {err}"),
                        Err(_) => "failed: no answer".to_string(),
                    };
                    audit.record("token_revoked", serde_json::json!({ "outcome": outcome }));
                });
            }
            Effect::PersistLock(message) => {
                if let Err(err) = status::save_lock(&self.config.state_dir(), message.as_deref()) {
                    tracing::error!(%err, "can't save the out-of-service state");
                }
            }
            Effect::LoadEvents => {
                let lines = self.audit.tail(200).iter().rev().map(describe_event).collect();
                let _ = self.events.send(Event::EventsLoaded(lines));
            }
            Effect::StartSession(grant) if self.state.locked.is_some() => {
                // Locked while the code was checked: no session; its token is not needed.
                let backend = self.backend.clone();
                tokio::spawn(async move { backend.sign_out(&grant.token).await });
            }
            Effect::StartSession(grant) => {
                let area = view::session_area(terminal.get_frame().area());
                match self.launcher.start(&grant, area.width, area.height) {
                    Ok((session, output)) => {
                        let record = &session.record;
                        if let Err(err) = self.teardown.state_file.save(record) {
                            tracing::error!(%err, "can't write the session state file; crash recovery won't find this session");
                        }
                        self.audit.record(
                            "session_start",
                            serde_json::json!({
                                "user": record.user_id,
                                "uid": record.uid,
                                "dir_on_tmpfs": record.dir_on_tmpfs,
                                "sandbox": record.sandbox,
                            }),
                        );
                        self.hosted = Some(Hosted {
                            session,
                            screen: vt100::Parser::new(area.height.max(1), area.width.max(1), 0),
                            painter: SessionPainter::default(),
                            output,
                            output_open: true,
                            exit_seen: false,
                        });
                        let _ = self.events.send(Event::SessionStarted);
                    }
                    Err(err) => {
                        // No session means no use for the token: revoke it now.
                        let backend = self.backend.clone();
                        let token = grant.token.clone();
                        tokio::spawn(async move { backend.sign_out(&token).await });
                        let _ = self.events.send(Event::SessionFailed(err.to_string()));
                    }
                }
            }
            Effect::ForwardKey(key) => {
                if let Some(hosted) = &mut self.hosted {
                    let bytes = keys::key_bytes(&key, hosted.screen.screen().application_cursor());
                    send_input(hosted, &bytes);
                }
            }
            Effect::Teardown(reason) => {
                let events = self.events.clone();
                match self.hosted.take() {
                    Some(hosted) => {
                        let backend = self.backend.clone();
                        let context = self.teardown.clone();
                        self.teardown_task = Some(tokio::spawn(async move {
                            let outcome = end_session(hosted.session, &backend, reason, &context).await;
                            let _ = events.send(Event::TeardownDone(outcome));
                        }));
                    }
                    None => {
                        let _ = events.send(Event::TeardownDone(TeardownOutcome::nothing(reason)));
                    }
                }
            }
            Effect::ClearScreen if !self.terminal_open => {}
            Effect::ClearScreen => {
                // Draw a blank frame first so ratatui's idea of the screen matches the wiped one
                // (`Terminal::clear` would query the cursor, which the input stream races with).
                terminal.draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))?;
                let mut stdout = std::io::stdout();
                stdout.write_all(WIPE_SCREEN)?;
                stdout.flush()?;
            }
            Effect::Audit { event, detail } => self.audit.record(event, detail),
            Effect::Quit => self.state.quitting = true,
        }
        Ok(())
    }

    async fn run_teardown(&self, hosted: Hosted, reason: SignOutReason) -> TeardownOutcome {
        end_session(hosted.session, &self.backend, reason, &self.teardown).await
    }

    fn paste(&mut self, text: &str) {
        if let (Some(hosted), super::state::Screen::Session(_)) = (&mut self.hosted, &self.state.screen) {
            send_input(hosted, text.as_bytes());
        }
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        if let Some(hosted) = &mut self.hosted {
            let area = view::session_area(ratatui::layout::Rect::new(0, 0, cols, rows));
            hosted.screen.screen_mut().set_size(area.height.max(1), area.width.max(1));
            let _ = hosted.session.input.resize(area.width, area.height);
            // The kernel signals only the pty's foreground group; a sandboxed session runs in a
            // session of its own (bwrap --new-session), so tell every process directly.
            hosted.session.notify_resize();
        }
    }
}
