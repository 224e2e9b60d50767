//! The kiosk's event loop: terminal input, backend replies, the session's output, timers and
//! signals, multiplexed with `tokio::select!`. It carries out the effects `update` asks for,
//! and redraws only when something changed.

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::state::{Effect, Event, Reply, SessionLimits, State};
use super::update::update;
use super::view;
use crate::audit::AuditLog;
use crate::auth::AuthBackend;
use crate::config::KioskConfig;
use crate::server::sms::DeliveredSms;
use crate::session::teardown::{TeardownContext, TeardownOutcome, end_session};
use crate::session::{Launcher, LiveSession, SignOutReason, keys};

/// Output is drawn at most this often: coalescing keeps `cat bigfile` fast.
const FRAME_INTERVAL: Duration = Duration::from_millis(8);
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
}

/// The session currently hosted on screen.
struct Hosted {
    session: LiveSession,
    screen: vt100::Parser,
    output: mpsc::Receiver<Vec<u8>>,
    output_open: bool,
    exit_seen: bool,
}

type Term = ratatui::DefaultTerminal;

struct Kiosk<B: AuthBackend + Clone> {
    backend: B,
    config: KioskConfig,
    launcher: Launcher,
    teardown: TeardownContext,
    audit: AuditLog,
    state: State,
    hosted: Option<Hosted>,
    events: mpsc::UnboundedSender<Event>,
}

/// Something the hosted session did.
enum Activity {
    Output(Vec<u8>),
    Exited,
}

async fn session_activity(hosted: &mut Option<Hosted>) -> Activity {
    let Some(Hosted { session, output, output_open, exit_seen, .. }) = hosted else {
        return std::future::pending().await;
    };
    let read = async {
        if *output_open {
            match output.recv().await {
                Some(bytes) => return Activity::Output(bytes),
                None => *output_open = false,
            }
        }
        std::future::pending().await
    };
    let exit = async {
        if !*exit_seen {
            let _ = session.exited.wait_for(|exited| *exited).await;
            *exit_seen = true;
            return Activity::Exited;
        }
        std::future::pending().await
    };
    // Output first, so a command's last words are drawn before its exit is handled.
    tokio::select! {
        biased;
        activity = read => activity,
        activity = exit => activity,
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
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, backend, options).await;
    let _ = std::io::stdout().write_all(WIPE_SCREEN);
    ratatui::restore();
    result
}

async fn event_loop<B: AuthBackend + Clone>(
    terminal: &mut Term,
    backend: B,
    options: KioskOptions,
) -> std::io::Result<()> {
    let KioskOptions { config, launcher, teardown, mut demo_sms, banner } = options;
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
    let mut kiosk = Kiosk { backend, config, launcher, teardown, audit, state, hosted: None, events: sender };
    kiosk.audit.record("kiosk_start", serde_json::json!({ "kiosk": kiosk.config.name }));

    let mut terminal_events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut redraw_at: Option<tokio::time::Instant> = None;
    kiosk.draw(terminal)?;

    while !kiosk.quit_now() {
        let wakeup = kiosk.state.next_wakeup().map(tokio::time::Instant::from_std);
        let mut dirty = true;
        tokio::select! {
            input = terminal_events.next() => match input {
                Some(Ok(TermEvent::Key(key))) => kiosk.dispatch(Event::Key(key), terminal)?,
                Some(Ok(TermEvent::Paste(text))) => kiosk.paste(&text),
                Some(Ok(TermEvent::Resize(cols, rows))) => {
                    kiosk.resize(cols, rows);
                    terminal.autoresize()?;
                }
                Some(Ok(_)) => dirty = false,
                Some(Err(err)) => return Err(err),
                None => kiosk.dispatch(Event::Stop, terminal)?,
            },
            Some(event) = receiver.recv() => kiosk.dispatch(event, terminal)?,
            activity = session_activity(&mut kiosk.hosted) => match activity {
                Activity::Output(bytes) => {
                    if let Some(hosted) = &mut kiosk.hosted {
                        hosted.screen.process(&bytes);
                    }
                    redraw_at.get_or_insert_with(|| tokio::time::Instant::now() + FRAME_INTERVAL);
                    dirty = false;
                }
                Activity::Exited => kiosk.dispatch(Event::SessionExited, terminal)?,
            },
            sms = next_sms(&mut demo_sms) => kiosk.dispatch(Event::DemoSms { to_masked: sms.to_masked.clone(), body: sms.body.clone() }, terminal)?,
            () = sleep_until(wakeup), if wakeup.is_some() => kiosk.dispatch(Event::Tick(Instant::now()), terminal)?,
            () = sleep_until(redraw_at), if redraw_at.is_some() => redraw_at = None,
            _ = sigterm.recv() => kiosk.dispatch(Event::Stop, terminal)?,
            _ = sighup.recv() => kiosk.dispatch(Event::Stop, terminal)?,
            _ = sigint.recv() => kiosk.dispatch(Event::Stop, terminal)?,
        }
        if dirty {
            redraw_at = None;
            kiosk.draw(terminal)?;
        }
    }
    // However the loop ended, a session still on screen is torn down before exiting.
    if let Some(hosted) = kiosk.hosted.take() {
        kiosk.run_teardown(hosted, SignOutReason::KioskStopped).await;
    }
    kiosk.audit.record("kiosk_stop", serde_json::json!({ "kiosk": kiosk.config.name }));
    Ok(())
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

    fn draw(&mut self, terminal: &mut Term) -> std::io::Result<()> {
        let screen = self.hosted.as_ref().map(|h| h.screen.screen());
        terminal.draw(|frame| view::draw(frame, &self.state, screen))?;
        Ok(())
    }

    fn dispatch(&mut self, event: Event, terminal: &mut Term) -> std::io::Result<()> {
        if !matches!(event, Event::Tick(_)) {
            self.state.now = Instant::now();
        }
        for effect in update(&mut self.state, event) {
            self.execute(effect, terminal)?;
        }
        Ok(())
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
            Effect::SendCode(phone) => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::CodeSent(backend.start(&phone).await) });
            }
            Effect::Resend(challenge_id) => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::CodeSent(backend.resend(&challenge_id).await) });
            }
            Effect::Verify { challenge_id, code } => {
                let backend = self.backend.clone();
                self.spawn_reply(async move { Reply::Verified(backend.verify(&challenge_id, &code).await) });
            }
            Effect::StartSession(grant) => {
                let size = terminal.size()?;
                let area = view::session_area(ratatui::layout::Rect::new(0, 0, size.width, size.height));
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
                    // A session that stopped reading must not crash the kiosk.
                    let _ = hosted.session.input.write(&bytes);
                }
            }
            Effect::Teardown(reason) => {
                let events = self.events.clone();
                match self.hosted.take() {
                    Some(hosted) => {
                        let backend = self.backend.clone();
                        let context = self.teardown.clone();
                        tokio::spawn(async move {
                            let outcome = end_session(hosted.session, &backend, reason, &context).await;
                            let _ = events.send(Event::TeardownDone(outcome));
                        });
                    }
                    None => {
                        let _ = events.send(Event::TeardownDone(TeardownOutcome::nothing(reason)));
                    }
                }
            }
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
            let _ = hosted.session.input.write(text.as_bytes());
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
