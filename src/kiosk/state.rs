//! Everything the kiosk screen shows, as plain data. Views draw this; `update` changes it.

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::auth::{AuthError, Challenge, Grant};
use crate::config::FunctionKey;
use crate::phone::PhoneNumber;
use crate::session::SignOutReason;
use crate::session::teardown::TeardownOutcome;

/// Time that passes between "Welcome" and the session, and that "Signed out" stays up.
pub const WELCOME_FOR: Duration = Duration::from_millis(900);
pub const SIGNED_OUT_FOR: Duration = Duration::from_secs(2);
/// How long the kiosk waits before asking an unreachable backend again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Everything that can happen to the kiosk.
#[derive(Debug)]
pub enum Event {
    Key(crossterm::event::KeyEvent),
    /// The clock moved (sent each second while something on screen counts down).
    Tick(Instant),
    Reply(Reply),
    SessionStarted,
    SessionFailed(String),
    /// The session command exited by itself.
    SessionExited,
    TeardownDone(TeardownOutcome),
    /// A text message arrived on the demo phone.
    DemoSms {
        to_masked: String,
        body: String,
    },
    /// The kiosk was asked to stop (SIGTERM/SIGHUP).
    Stop,
    /// A manager (control socket) ends the session.
    ManagerReset,
    /// Out of service, with the message to show.
    Lock(String),
    Unlock,
    /// The audit log's recent lines, newest first, for the manager's "Recent events".
    EventsLoaded(Vec<String>),
}

/// Whose sign-in a backend call is for: a worker's, or a manager's on the manager screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Worker,
    Manager,
}

/// Answers from the backend.
#[derive(Debug)]
pub enum Reply {
    CodeSent(Purpose, Result<Challenge, AuthError>),
    Verified(Purpose, Result<Grant, AuthError>),
}

/// What the event loop must do on the kiosk's behalf.
#[derive(Debug)]
pub enum Effect {
    SendCode(PhoneNumber, Purpose),
    Resend(String, Purpose),
    Verify {
        challenge_id: String,
        code: crate::secret::OtpCode,
        purpose: Purpose,
    },
    /// End a token that is no longer needed (a manager's, or a refused one).
    RevokeToken(crate::secret::AccessToken),
    /// Remember the out-of-service state across restarts (`None`: in service).
    PersistLock(Option<String>),
    /// Read the recent audit events for the manager.
    LoadEvents,
    StartSession(Grant),
    /// Pass a key press to the session's terminal.
    ForwardKey(crossterm::event::KeyEvent),
    Teardown(SignOutReason),
    /// Wipe the physical screen and its scrollback.
    ClearScreen,
    Audit {
        event: &'static str,
        detail: serde_json::Value,
    },
    Quit,
}

/// The phone-number form.
#[derive(Debug, Default)]
pub struct PhoneForm {
    pub input: Zeroizing<String>,
    pub error: Option<String>,
    /// A request is in flight (or waiting to be retried).
    pub sending: bool,
    /// The backend was unreachable: ask again at this time.
    pub retry_at: Option<Instant>,
    /// The number being sent, kept for a retry.
    pub pending: Option<PhoneNumber>,
}

/// Why the code screen is showing a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeNotice {
    WrongCode { attempts_left: u32 },
    Expired,
    TooManyAttempts,
    Resent,
    RateLimited { seconds: u64 },
    Unreachable,
}

/// The code form.
#[derive(Debug)]
pub struct CodeForm {
    pub phone: PhoneNumber,
    pub challenge_id: String,
    pub code_length: usize,
    pub digits: Zeroizing<String>,
    pub expires_at: Instant,
    pub resend_at: Instant,
    pub notice: Option<CodeNotice>,
    pub verifying: bool,
    pub resending: bool,
}

impl CodeForm {
    /// The code can no longer be used: only a new code helps.
    pub fn dead(&self, now: Instant) -> bool {
        matches!(self.notice, Some(CodeNotice::Expired | CodeNotice::TooManyAttempts)) || now >= self.expires_at
    }
}

#[derive(Debug)]
pub enum Screen {
    Phone(PhoneForm),
    Code(CodeForm),
    Welcome {
        name: String,
        since: Instant,
        session_ready: bool,
    },
    Session(SessionView),
    SigningOut,
    SignedOut {
        until: Instant,
        problem: Option<String>,
    },
    /// Out of service: no sign-in until a manager unlocks.
    Locked,
}

/// A running session as the kiosk frame shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub name: String,
    pub since: Instant,
    /// The last key the worker pressed: idle time counts from here.
    pub last_input: Instant,
    pub ends_at: Instant,
    /// The worker's number, masked (for the manager and `shiftkey status`).
    pub phone_masked: String,
}

/// When sessions end by themselves.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle_timeout: Duration,
    pub idle_warning: Duration,
    pub max_duration: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle_timeout: Duration::from_secs(300),
            idle_warning: Duration::from_secs(60),
            max_duration: Duration::from_secs(12 * 3600),
        }
    }
}

/// The status bar warns this long before the maximum duration ends a session.
pub const MAX_DURATION_WARNING: Duration = Duration::from_secs(300);
const SECOND: Duration = Duration::from_secs(1);

impl SessionView {
    /// When the idle warning appears.
    pub fn idle_warning_at(&self, limits: &SessionLimits) -> Instant {
        self.last_input + limits.idle_timeout - limits.idle_warning
    }

    pub fn idle_deadline(&self, limits: &SessionLimits) -> Instant {
        self.last_input + limits.idle_timeout
    }

    /// Whether the "are you still there?" overlay is up.
    pub fn idle_warning_shown(&self, limits: &SessionLimits, now: Instant) -> bool {
        now >= self.idle_warning_at(limits)
    }

    /// Whether the end of the maximum duration is near enough to warn about.
    pub fn ending_soon(&self, now: Instant) -> bool {
        self.ends_at.saturating_duration_since(now) <= MAX_DURATION_WARNING
    }
}

/// A text on the demo phone.
#[derive(Debug, Clone)]
pub struct DemoSms {
    pub to_masked: String,
    pub body: Zeroizing<String>,
}

/// The whole kiosk state.
#[derive(Debug)]
pub struct State {
    pub screen: Screen,
    pub now: Instant,
    pub kiosk_name: String,
    pub region: String,
    pub sign_out_key: FunctionKey,
    /// Some in `--demo`: the on-screen phone and its messages.
    pub demo_phone: Option<Vec<DemoSms>>,
    /// A line shown under the title in the demo ("sessions run as root").
    pub banner: Option<String>,
    /// Set once the kiosk should exit (after any teardown).
    pub quitting: bool,
    pub limits: SessionLimits,
    /// Out of service, with the message shown: no sign-in until unlocked.
    pub locked: Option<String>,
    /// The manager screens, over whatever else is showing.
    pub manager: Option<super::manager::ManagerMode>,
    pub manager_key: FunctionKey,
    pub manager_roles: Vec<String>,
    pub manager_idle: Duration,
    /// When a key was last pressed on this kiosk (for `status`).
    pub last_key_at: Instant,
    /// The masked number of the sign-in in progress, kept for the session's view.
    pub pending_phone_masked: String,
}

impl State {
    pub fn new(kiosk_name: String, region: String, sign_out_key: FunctionKey, now: Instant) -> Self {
        State {
            screen: Screen::Phone(PhoneForm::default()),
            now,
            kiosk_name,
            region,
            sign_out_key,
            demo_phone: None,
            banner: None,
            quitting: false,
            limits: SessionLimits::default(),
            locked: None,
            manager: None,
            manager_key: FunctionKey(9),
            manager_roles: vec!["kiosk-manager".into()],
            manager_idle: super::manager::MANAGER_IDLE,
            last_key_at: now,
            pending_phone_masked: String::new(),
        }
    }

    /// What `shiftkey status` calls this state.
    pub fn label(&self) -> &'static str {
        match &self.screen {
            Screen::Locked => "locked",
            Screen::Welcome { .. } | Screen::Session(_) | Screen::SigningOut => "in-session",
            Screen::Phone(form) if form.input.is_empty() && !form.sending => "idle",
            Screen::SignedOut { .. } => "idle",
            Screen::Phone(_) | Screen::Code(_) => "signing-in",
        }
    }

    /// When the clock next matters: the loop sends a `Tick` then, and not before. `None` when
    /// nothing on screen changes with time (idle means idle).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let screen = self.screen_wakeup();
        match &self.manager {
            // The manager screens close by themselves; their code screen counts down.
            Some(manager) => Some(screen.map_or(manager.wakeup(self.now, self.manager_idle), |at| {
                at.min(manager.wakeup(self.now, self.manager_idle))
            })),
            None => screen,
        }
    }

    fn screen_wakeup(&self) -> Option<Instant> {
        let now = self.now;
        match &self.screen {
            Screen::Phone(form) => form.retry_at.map(|at| at.min(now + SECOND)),
            Screen::Code(_) | Screen::Welcome { .. } | Screen::SignedOut { .. } => Some(now + SECOND),
            Screen::SigningOut | Screen::Locked => None,
            Screen::Session(view) => {
                if view.idle_warning_shown(&self.limits, now) || view.ending_soon(now) {
                    return Some(now + SECOND);
                }
                // The status bar shows minutes left (rounded up): wake when that number changes.
                let left_ms = view.ends_at.saturating_duration_since(now).as_millis() as u64;
                let to_next_minute = match left_ms % 60_000 {
                    0 => 60_000,
                    rest => rest,
                };
                let to_next_minute = Duration::from_millis(to_next_minute);
                Some(view.idle_warning_at(&self.limits).min(now + to_next_minute.max(SECOND)))
            }
        }
    }

    pub fn in_session(&self) -> bool {
        matches!(self.screen, Screen::Session(_) | Screen::Welcome { .. })
    }
}
