//! Everything the kiosk knows, as plain data: what `update` reads and changes and what the
//! views draw. The events that reach the kiosk and the effects it asks for are here too.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::status::StatusReport;
use super::view::glyphs::Glyphs;
use super::view::theme::Theme;
use crate::auth::{AuthError, Challenge, Channel, Grant, IssuedPass, PassFormat, TokenState, Tokens};
use crate::config::{BrandingConfig, FunctionKey, KioskConfig, LargeDigits};
use crate::control::protocol::{ControlAnswer, Request};
use crate::locale::Language;
use crate::phone::{PhoneError, PhoneNumber};
use crate::pin::{PinEntry, PinHash, PinRule};
use crate::secret::{AccessPass, OtpCode};
use crate::session::SignOutReason;
use crate::session::teardown::TeardownOutcome;

/// Time that passes between "Welcome" and the session, and that "Signed out" stays up.
pub const WELCOME_FOR: Duration = Duration::from_millis(900);
pub const SIGNED_OUT_FOR: Duration = Duration::from_secs(2);
/// How long the kiosk waits before asking an unreachable backend again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);
/// How often the kiosk tries again to write what it couldn't (the audit log, the state dir).
pub const FAULT_RETRY: Duration = Duration::from_secs(2);
/// The status bar warns this long before the maximum duration ends a session.
pub const MAX_DURATION_WARNING: Duration = Duration::from_secs(300);
/// A lock message from the control socket: one line of at most this many characters.
pub const LOCK_MESSAGE_MAX_CHARS: usize = 200;
const SECOND: Duration = Duration::from_secs(1);

/// Which backend request a reply answers: every request gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// Which control-socket request an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlId(pub u64);

/// A key or mouse report from the kiosk's own terminal, or its new size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalInput {
    Key(crossterm::event::KeyEvent),
    Mouse(crossterm::event::MouseEvent),
    Resize { cols: u16, rows: u16 },
}

/// Everything that can happen to the kiosk.
#[derive(Debug)]
pub enum Event {
    Key(crossterm::event::KeyEvent),
    /// Mouse input (a tap is a left press, then a release) on a screen of `area`.
    Mouse {
        mouse: crossterm::event::MouseEvent,
        area: ratatui::layout::Rect,
    },
    /// The clock moved (sent when `State::next_wakeup` asked for it).
    Tick(Instant),
    Reply(Reply),
    SessionStarted,
    /// The session could not start; its grant's token comes back to be revoked.
    SessionFailed {
        error: String,
        tokens: Tokens,
    },
    /// The session command exited by itself.
    SessionExited,
    TeardownDone(TeardownOutcome),
    /// A text message arrived on the demo phone.
    DemoSms {
        to_masked: String,
        body: String,
    },
    /// The kiosk was asked to stop (SIGTERM/SIGHUP/SIGINT, or its terminal hung up).
    Stop,
    /// A store manager's request over the control socket; answered by `Effect::Answer`.
    Control(ControlId, Request),
    /// The audit log's recent lines, newest first, for the manager's "Recent events".
    EventsLoaded(Vec<String>),
    /// What the kiosk can't write changed (a write failed, or worked again).
    Faults(Faults),
    /// The worker's new step-away PIN, hashed (`Effect::SealPin`).
    PinSealed(PinHash),
    /// Whether the PIN typed at the lock is the worker's (`Effect::CheckPin`).
    PinChecked(bool),
}

/// A backend's answer to the request `id`.
#[derive(Debug)]
pub struct Reply {
    pub id: RequestId,
    pub answer: Answer,
}

#[derive(Debug)]
pub enum Answer {
    CodeSent(Result<Challenge, AuthError>),
    Verified(Result<Grant, AuthError>),
    /// Whether the running session's token still holds.
    StillValid(Result<TokenState, AuthError>),
    /// The answer to a temporary access pass (`Effect::SignInWithPass`).
    PassChecked(Result<Grant, AuthError>),
    /// A pass a manager issued for a worker (`Effect::IssuePass`).
    PassIssued(Result<IssuedPass, AuthError>),
}

/// Whose sign-in a form is for: a worker's, or a manager's on the manager screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Worker,
    Manager,
}

/// Why a grant that arrived did not become a session (audited as `grant_discarded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscardReason {
    /// The worker pressed Esc while the code was checked.
    Cancelled,
    /// A newer request took this one's place (a new code asked for while checking).
    Superseded,
    /// The kiosk was locked out of service.
    Locked,
    /// A store manager ended the sign-in (control socket or the manager menu).
    ManagerReset,
    /// The manager screens were opened over the sign-in.
    ManagerMode,
    /// The manager screens closed while a manager's code was checked.
    ManagerClosed,
    /// The kiosk is stopping.
    KioskStopped,
    /// No form was waiting for it (it came after its form was gone).
    FormGone,
}

/// Why a token is revoked; the revoke routine audits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// A grant arrived that no one waits for any more.
    GrantDiscarded(DiscardReason),
    /// The manager screens closed.
    ManagerDone,
    /// The number that signed in to the manager screens holds no manager role.
    NotAManager,
    /// The session could not be started.
    SessionFailed,
}

/// What the event loop must do on the kiosk's behalf.
#[derive(Debug)]
pub enum Effect {
    SendCode {
        id: RequestId,
        phone: PhoneNumber,
        /// The language the text is asked for in (the worker's choice; the default for a manager).
        language: Language,
    },
    Resend {
        id: RequestId,
        challenge_id: String,
        /// A text, or a call that reads the code out.
        channel: Channel,
    },
    Verify {
        id: RequestId,
        challenge_id: String,
        code: OtpCode,
    },
    /// Sign in with a temporary access pass typed with the number.
    SignInWithPass {
        id: RequestId,
        phone: PhoneNumber,
        pass: AccessPass,
    },
    /// A manager issues a one-time pass for the worker with `worker`'s number.
    IssuePass {
        id: RequestId,
        manager: Tokens,
        worker: PhoneNumber,
    },
    /// Ask whether the running session's token still holds.
    Recheck {
        id: RequestId,
    },
    /// End a token that is no longer needed, bounded by `revoke_timeout` and audited.
    Revoke(Tokens, RevokeReason),
    /// Remember the out-of-service state across restarts (`None`: in service).
    PersistLock(Option<String>),
    /// Read the recent audit events for the manager.
    LoadEvents,
    StartSession(Grant),
    /// Pass a key press to the session's terminal.
    ForwardKey(crossterm::event::KeyEvent),
    /// Pass mouse input to the session's terminal, if its program asked for it.
    ForwardMouse(crossterm::event::MouseEvent),
    Teardown(SignOutReason),
    /// Wipe the physical screen and its scrollback.
    ClearScreen,
    Audit {
        event: &'static str,
        detail: serde_json::Value,
    },
    /// Answer a control request.
    Answer(ControlId, ControlAnswer),
    /// Answer a status request, after adding what only I/O can tell (the backend probe and
    /// the audit log's last lines).
    AnswerStatus(ControlId, StatusReport),
    /// Hash a new step-away PIN (slow on purpose: off the loop); answered by `Event::PinSealed`.
    SealPin(PinEntry),
    /// Compare a typed PIN with the hash; answered by `Event::PinChecked`.
    CheckPin {
        hash: PinHash,
        entry: PinEntry,
    },
    /// Try again to write what couldn't be written (the audit log's held records, the state
    /// dir); what comes of it returns as `Event::Faults` if it changed.
    CheckFaults,
}

/// What the kiosk can't write, each with the system's reason. Any of them keeps the kiosk out
/// of service until it can write there again, which it notices by itself (no manager needed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// The audit log: a session the log can't account for is not opened.
    pub audit_log: Option<String>,
    /// The state dir: a session without its record there couldn't be erased after a crash.
    pub state_dir: Option<String>,
}

impl Faults {
    pub fn any(&self) -> bool {
        self.audit_log.is_some() || self.state_dir.is_some()
    }
}

/// Why the phone form shows an error: the view says it in the screen's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A key that has no place in a phone number.
    DigitsOnly,
    /// The number typed isn't one.
    Phone(PhoneError),
    /// The backend refused the number.
    Refused,
    RateLimited {
        seconds: u64,
    },
    /// The provider's per-address limit, shared by every kiosk of the store.
    StoreRateLimited {
        seconds: u64,
    },
    Unreachable,
    /// Any other answer from the backend (its detail is in the audit log).
    ServiceProblem,
    /// The session could not start: the system's reason (in English; it is for a manager).
    SessionFailed(String),
    /// Issuing a pass: no one the backend lets sign in has the number.
    NoSuchWorker,
    /// Issuing a pass: the backend refused (its reason is in the audit log).
    PassRefused,
}

/// The phone-number form.
#[derive(Debug, Default)]
pub struct PhoneForm {
    pub input: Zeroizing<String>,
    pub error: Option<FormError>,
    /// The language list is open (the worker's sign-in screen only), at this row of
    /// `Settings::languages`.
    pub language_menu: Option<usize>,
    /// The "send a code" request in flight.
    pub request: Option<RequestId>,
    /// The backend was unreachable: ask again at this time.
    pub retry_at: Option<Instant>,
    /// The number being sent, kept for a retry.
    pub pending: Option<PhoneNumber>,
}

impl PhoneForm {
    /// A request is in flight or waiting to be retried: the number can't be edited.
    pub fn sending(&self) -> bool {
        self.request.is_some() || self.retry_at.is_some()
    }
}

/// Why the code screen is showing a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeNotice {
    WrongCode {
        attempts_left: u32,
    },
    Expired,
    TooManyAttempts,
    Resent,
    /// A call is on its way to read the new code out.
    Calling,
    RateLimited {
        seconds: u64,
    },
    /// The provider's per-address limit, shared by every kiosk of the store.
    StoreRateLimited {
        seconds: u64,
    },
    /// A wrong code, where the provider doesn't say how many tries are left.
    CodeRejected,
    /// The provider's answer failed verification: nothing in it was believed.
    Untrusted,
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
    /// When the code went out: "Still waiting?" comes `ways::STILL_WAITING_AFTER` later.
    pub sent_at: Instant,
    /// A digit was typed since the code went out (the code came: no "Still waiting?").
    pub typed: bool,
    pub notice: Option<CodeNotice>,
    /// The code being checked.
    pub verifying: Option<RequestId>,
    /// A new code being asked for, and how it is to come.
    pub resending: Option<RequestId>,
    pub resend_channel: Channel,
    /// How the code now on its way came: the prompt says "texted" or "read out".
    pub sent_by: Channel,
    /// The worker chose "Use a pass from your manager": the pass is typed here instead.
    pub pass: Option<PassField>,
}

impl CodeForm {
    /// Whether this form's code check, new code or pass is request `id`.
    pub fn waits_for(&self, id: RequestId) -> bool {
        self.verifying == Some(id)
            || self.resending == Some(id)
            || self.pass.as_ref().is_some_and(|pass| pass.checking == Some(id))
    }

    /// The code can no longer be used: only a new code helps.
    pub fn dead(&self, now: Instant) -> bool {
        matches!(self.notice, Some(CodeNotice::Expired | CodeNotice::TooManyAttempts)) || now >= self.expires_at
    }
}

/// The temporary access pass field on the code screen: the characters typed (no separator; upper
/// case unless the backend's passes are case-sensitive), and the pass being checked.
#[derive(Default)]
pub struct PassField {
    pub typed: Zeroizing<String>,
    pub checking: Option<RequestId>,
    pub notice: Option<PassNotice>,
}

/// How many characters were typed, never which (a pass is a secret).
impl std::fmt::Debug for PassField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassField")
            .field("typed", &format_args!("[{} characters]", self.typed.len()))
            .field("checking", &self.checking)
            .field("notice", &self.notice)
            .finish()
    }
}

/// Why the pass field shows a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassNotice {
    /// Wrong, expired, used, or no pass for this number (the backend says no more).
    Rejected,
    RateLimited {
        seconds: u64,
    },
    Unreachable,
}

/// The ways on from a code screen besides typing the code, each a key and a tap target: what a
/// list of them ("Still waiting?") shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOption {
    /// "Use a pass from your manager" (`P`), where the backend takes passes.
    UsePass,
}

impl CodeOption {
    /// The key that chooses it.
    pub fn key(self) -> crossterm::event::KeyCode {
        match self {
            CodeOption::UsePass => crossterm::event::KeyCode::Char('p'),
        }
    }

    /// Whether the code screen `form` offers it under `settings`.
    pub fn offered(self, settings: &Settings, form: &CodeForm) -> bool {
        match self {
            CodeOption::UsePass => settings.passes && form.pass.is_none(),
        }
    }
}

/// Which of the kiosk's screens is showing (the manager screens are over it, in `manager`).
#[derive(Debug)]
pub enum Screen {
    Phone(PhoneForm),
    Code(CodeForm),
    Welcome {
        name: String,
        since: Instant,
        session_ready: bool,
    },
    Session(SessionStatus),
    SigningOut,
    SignedOut {
        until: Instant,
        problem: Option<SignOutProblem>,
        /// The organisation ended the worker's access (the token was revoked).
        access_ended: bool,
        /// The language of the worker who signed out: the kiosk's is the default again, but
        /// this screen still speaks to them.
        language: Language,
    },
    /// Out of service: no sign-in until a manager unlocks.
    Locked,
}

/// What a sign-out left behind (a manager is told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOutProblem {
    pub left_alive: usize,
    pub dir_removed: bool,
}

/// What the kiosk knows of the running session: what its status bar shows, and its timers.
#[derive(Debug, Clone)]
pub struct SessionStatus {
    pub name: String,
    pub since: Instant,
    /// The last key the worker pressed: idle time counts from here.
    pub last_input: Instant,
    pub ends_at: Instant,
    /// The worker's number, masked (for the manager and `shiftkey status`).
    pub phone_masked: String,
    /// When to ask the backend again whether the token holds (`None`: it can't tell).
    pub recheck_at: Option<Instant>,
    /// That question, in flight.
    pub rechecking: Option<RequestId>,
    /// The step-away lock (`keys.lock`): choosing a PIN, or the session covered until it is typed.
    pub pin: Option<PinLock>,
}

/// The worker's step-away lock over their running session. The session keeps running (and its
/// idle and maximum-duration clocks with it); its output is not shown.
#[derive(Debug, Clone)]
pub enum PinLock {
    /// Choosing a PIN: typed once (`first`), then again to confirm.
    Choosing { first: Option<PinEntry>, entry: PinEntry, problem: Option<PinProblem> },
    /// Covered until the PIN is typed. `hash` is `None` until it is made; `checking` while a
    /// typed PIN is compared (or waits for the hash to compare with).
    Locked { hash: Option<PinHash>, entry: PinEntry, attempts_left: u32, checking: bool, problem: Option<PinProblem> },
}

/// What the lock screen says about the last PIN typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProblem {
    Rule(PinRule),
    /// The confirmation differed from the first entry.
    Mismatch,
    Wrong {
        attempts_left: u32,
    },
}

/// When sessions end by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_timeout: Duration,
    pub idle_warning: Duration,
    pub max_duration: Duration,
    /// How often the token is re-checked with the backend.
    pub recheck: Duration,
}

impl SessionStatus {
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

/// The demo's line under the title: who sessions run as, and where codes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoBanner {
    pub user: String,
    pub sandbox: String,
}

/// A text on the demo phone.
#[derive(Debug, Clone)]
pub struct DemoSms {
    pub to_masked: String,
    pub body: Zeroizing<String>,
}

/// The manager screens, over whatever else is showing.
#[derive(Debug)]
pub struct ManagerMode {
    pub stage: ManagerStage,
    pub last_key: Instant,
    /// The signed-in manager's token: revoked when the screens close.
    pub tokens: Option<Tokens>,
    pub name: String,
    /// The number the manager signed in with, masked (for the audit log).
    pub phone_masked: String,
}

#[derive(Debug)]
pub enum ManagerStage {
    Phone(PhoneForm),
    Code(CodeForm),
    /// "This number isn't a store manager".
    Refused,
    Menu {
        selected: usize,
    },
    /// Choosing the out-of-service message: a preset, or (last row) one typed here.
    LockMessage {
        selected: usize,
        custom: String,
    },
    Events {
        lines: Vec<String>,
        scroll: usize,
    },
    /// "Issue a one-time pass": the worker's number.
    PassFor(PhoneForm),
    /// The pass issued, shown this once.
    PassShown {
        pass: AccessPass,
        name: String,
        minutes: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    EndSession,
    Lock,
    Unlock,
    Events,
    IssuePass,
    Back,
}

/// Every item the manager menu can have, in order.
pub const MENU: [MenuItem; 6] =
    [MenuItem::EndSession, MenuItem::Lock, MenuItem::Unlock, MenuItem::Events, MenuItem::IssuePass, MenuItem::Back];

/// The manager menu under `settings`: "Issue a one-time pass" only where the backend issues passes.
pub fn menu(settings: &Settings) -> Vec<MenuItem> {
    MENU.into_iter().filter(|item| *item != MenuItem::IssuePass || settings.issues_passes).collect()
}

/// A place on the screen that a tap activates (where each one is: `view::targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A key of the on-screen keypad.
    Key(KeypadKey),
    /// "New code" on a code screen: the R key.
    NewCode,
    /// "Change number" on a code screen: Esc.
    ChangeNumber,
    /// A row of the code screen's ways on (a new text, a call, a manager): its key.
    Way(WayOn),
    /// "Language" on the worker's sign-in screen: the language key.
    Languages,
    /// "+ Country code" on a number screen: the `+` key, for a number from another country
    /// (the keypad has digits only).
    Plus,
    /// A row of the language list: `Settings::languages[row]`.
    Language(usize),
    /// A row of the manager's menu: `menu(settings)[row]`.
    MenuItem(usize),
    /// A row of the manager's lock messages: a preset, or (last) one's own.
    LockMessage(usize),
    /// A way on from the code screen (its key).
    CodeOption(CodeOption),
    /// "Back to the code" under the pass field: Esc.
    BackToCode,
}

/// One way on from the code screen when the code is slow (`kiosk::ways`: which are offered,
/// and each one's key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayOn {
    /// "Text me a new code" (R).
    NewCode,
    /// "Call me with the code" (C): the new code read out in a call.
    CallMe,
    /// "Ask a store manager" (the manager key): the manager screens, where they can help.
    AskManager,
}

/// What a key of the on-screen keypad types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeypadKey {
    Digit(char),
    /// A letter of the pass keyboard (upper case), typed as its key.
    Letter(char),
    Backspace,
    Enter,
}

impl ManagerMode {
    /// When the clock next matters for these screens.
    pub fn wakeup(&self, now: Instant, idle: Duration) -> Instant {
        let closes = self.last_key + idle;
        match &self.stage {
            ManagerStage::Code(_) => closes.min(now + SECOND),
            ManagerStage::Phone(form) if form.retry_at.is_some() => closes.min(now + SECOND),
            _ => closes,
        }
    }
}

/// What the kiosk is set up to do: from config, fixed for its life.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kiosk_name: String,
    /// Which identity provider signs people in (`backend.kind`), for `status`.
    pub backend_kind: &'static str,
    /// The characters the terminal can show.
    pub glyphs: Glyphs,
    /// The colours and text styles (`display.theme`, `branding.accent`).
    pub theme: Theme,
    /// The flat layout for console screen readers (`display.screen_reader`).
    pub screen_reader: bool,
    /// When the number and the code are drawn in large digits.
    pub large_digits: LargeDigits,
    /// The store's title, logo and texts (`[branding]`, the logo read at load).
    pub branding: BrandingConfig,
    pub region: String,
    pub sign_out_key: FunctionKey,
    pub manager_key: FunctionKey,
    /// Opens the language list on the sign-in screen.
    pub language_key: FunctionKey,
    /// Locks a running session behind a PIN the worker chooses.
    pub lock_key: FunctionKey,
    /// The backend can call a worker with the code (`AuthBackend::offers_voice`): the code
    /// screen offers "Call me". Set by the event loop, which holds the backend.
    pub voice: bool,
    /// Wrong PINs at the lock before the worker is signed out.
    pub pin_attempts: u32,
    /// The kiosk's language (`language`): every screen's until a worker picks another, and
    /// always the manager screens'.
    pub language: Language,
    /// The languages a worker can pick: the default, and those this terminal's characters can
    /// show (`display.glyphs`).
    pub languages: Vec<Language>,
    /// The out-of-service messages a manager picks from, in the kiosk's language: the
    /// message is kept as text (it survives restarts and goes to `status`).
    pub lock_presets: [String; 3],
    pub manager_roles: Vec<String>,
    /// The manager screens close after this long without a key.
    pub manager_idle: Duration,
    pub limits: SessionLimits,
    /// The backend takes temporary access passes (`AuthBackend::takes_passes`): the code
    /// screen offers one.
    pub passes: bool,
    /// A manager can issue one on the kiosk (`AuthBackend::issues_passes`): the manager menu
    /// offers it.
    pub issues_passes: bool,
    /// What the backend's passes look like (`AuthBackend::pass_format`): the pass field's.
    pub pass_format: PassFormat,
}

impl Settings {
    /// The settings `config` gives a kiosk on a terminal of type `term` (`$TERM`).
    pub fn from_config(config: &KioskConfig, term: Option<&str>) -> Self {
        let glyphs = Glyphs::resolve(config.display.glyphs, term);
        let language = config.language;
        // The default is always offered (it is config's call); the others if they can be drawn.
        let languages =
            Language::ALL.into_iter().filter(|other| *other == language || glyphs.shows(other.script())).collect();
        Settings {
            glyphs,
            theme: Theme::from_config(&config.display, config.branding.accent),
            screen_reader: config.display.screen_reader,
            large_digits: config.display.large_digits,
            branding: config.branding.clone(),
            language,
            languages,
            language_key: config.keys.language,
            lock_key: config.keys.lock,
            voice: false,
            pin_attempts: config.session.pin_attempts,
            // Parses the default language's messages: the first frame needs them anyway.
            lock_presets: [
                crate::tr!(language, "lock-preset-out-of-service"),
                crate::tr!(language, "lock-preset-cleaning"),
                crate::tr!(language, "lock-preset-back-soon"),
            ],
            kiosk_name: config.name.clone(),
            backend_kind: config.backend.kind.name(),
            region: config.default_region.clone(),
            sign_out_key: config.keys.sign_out,
            manager_key: config.keys.manager,
            manager_roles: config.manager.roles.clone(),
            manager_idle: config.manager.menu_timeout.0,
            limits: SessionLimits {
                idle_timeout: config.session.idle_timeout.0,
                idle_warning: config.session.idle_warning.0,
                max_duration: config.session.max_duration.0,
                recheck: config.session.recheck.0,
            },
            // The backend says, once it is built (`app::run_loop`).
            passes: false,
            issues_passes: false,
            pass_format: PassFormat::default(),
        }
    }
}

/// The backend requests not answered yet. A reply no form waits for is discarded (a grant in
/// it revoked, with the reason it was abandoned), and the kiosk doesn't quit before every one
/// is answered.
#[derive(Debug, Default)]
pub struct Requests {
    /// Each request in flight; `Some(reason)` once no form waits for it any more.
    in_flight: BTreeMap<RequestId, Option<DiscardReason>>,
    last: u64,
}

impl Requests {
    /// A new request id, noted as in flight.
    pub fn start(&mut self) -> RequestId {
        self.last += 1;
        let id = RequestId(self.last);
        self.in_flight.insert(id, None);
        id
    }

    /// The request is answered: why it was abandoned, if it was (`None`: still awaited, or unknown).
    pub fn finish(&mut self, id: RequestId) -> Option<DiscardReason> {
        self.in_flight.remove(&id).flatten()
    }

    /// Notes `reason` for every request in flight that no one waits for and has no reason yet.
    pub fn abandon_unless(&mut self, awaited: impl Fn(RequestId) -> bool, reason: DiscardReason) {
        for (id, abandoned) in &mut self.in_flight {
            if abandoned.is_none() && !awaited(*id) {
                *abandoned = Some(reason);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    pub fn abandoned(&self, id: RequestId) -> Option<DiscardReason> {
        self.in_flight.get(&id).copied().flatten()
    }
}

/// The whole kiosk state.
#[derive(Debug)]
pub struct State {
    pub screen: Screen,
    pub now: Instant,
    pub settings: Settings,
    /// Some in `--demo`: the on-screen phone and its messages.
    pub demo_phone: Option<Vec<DemoSms>>,
    /// A line shown under the title in the demo ("sessions run as root").
    pub banner: Option<DemoBanner>,
    /// The language the screens speak: the default, or the one the worker signing in (or
    /// signed in) picked, until the teardown ends their session.
    pub language: Language,
    /// Set once the kiosk should exit (after any teardown and any request in flight).
    pub quitting: bool,
    /// Out of service, with the message shown: no sign-in until unlocked.
    pub locked: Option<String>,
    /// Out of service by itself: what the kiosk can't write.
    pub faults: Faults,
    /// While there are faults: when to check them again.
    pub faults_check_at: Option<Instant>,
    pub manager: Option<ManagerMode>,
    /// When a key was last pressed (or the screen touched) on this kiosk (for `status`).
    pub last_key_at: Instant,
    /// The target under a finger: pressed, not yet released (drawn highlighted).
    pub pressed: Option<Target>,
    /// The masked number of the sign-in in progress, kept for the session's status.
    pub pending_phone_masked: String,
    /// The state's label for `status`, and since when it holds.
    pub label_since: (&'static str, Instant),
    pub requests: Requests,
    /// Control requests (reset, lock) answered when the teardown under way is done.
    pub waiting_for_teardown: Vec<(ControlId, Request)>,
}

impl State {
    /// The kiosk as it starts: the sign-in screen, or out of service if it was locked.
    pub fn new(settings: Settings, locked: Option<String>, now: Instant) -> Self {
        let screen = if locked.is_some() { Screen::Locked } else { Screen::Phone(PhoneForm::default()) };
        let language = settings.language;
        let mut state = State {
            language,
            screen,
            now,
            settings,
            demo_phone: None,
            banner: None,
            quitting: false,
            locked,
            faults: Faults::default(),
            faults_check_at: None,
            manager: None,
            last_key_at: now,
            pressed: None,
            pending_phone_masked: String::new(),
            label_since: ("idle", now),
            requests: Requests::default(),
            waiting_for_teardown: Vec::new(),
        };
        state.label_since = (state.label(), now);
        state
    }

    /// Notes `reason` for every request in flight that no form waits for any more.
    pub fn abandon_orphans(&mut self, reason: DiscardReason) {
        let awaited: Vec<RequestId> =
            self.requests.in_flight.keys().copied().filter(|id| self.waits_for(*id)).collect();
        self.requests.abandon_unless(|id| awaited.contains(&id), reason);
    }

    /// Whether a form on screen (the worker's or the manager's) waits for this request.
    pub fn waits_for(&self, id: RequestId) -> bool {
        let worker = match &self.screen {
            Screen::Session(session) => session.rechecking == Some(id),
            Screen::Phone(form) => form.request == Some(id),
            Screen::Code(form) => form.waits_for(id),
            _ => false,
        };
        worker || self.manager_waits_for(id)
    }

    /// Whether the manager screens' form waits for this request.
    pub fn manager_waits_for(&self, id: RequestId) -> bool {
        match self.manager.as_ref().map(|m| &m.stage) {
            Some(ManagerStage::Phone(form)) => form.request == Some(id),
            Some(ManagerStage::Code(form)) => form.waits_for(id),
            Some(ManagerStage::PassFor(form)) => form.request == Some(id),
            _ => false,
        }
    }

    /// What `shiftkey status` calls this state.
    pub fn label(&self) -> &'static str {
        match &self.screen {
            Screen::Locked if self.locked.is_some() => "locked",
            Screen::Locked => "out-of-service",
            Screen::Welcome { .. } | Screen::Session(_) | Screen::SigningOut => "in-session",
            Screen::Phone(form) if form.input.is_empty() && !form.sending() => "idle",
            Screen::SignedOut { .. } => "idle",
            Screen::Phone(_) | Screen::Code(_) => "signing-in",
        }
    }

    /// When the clock next matters: the loop sends a `Tick` then, and not before. `None` when
    /// nothing on screen changes with time (idle means idle).
    pub fn next_wakeup(&self) -> Option<Instant> {
        let screen = match (self.screen_wakeup(), self.faults_check_at) {
            (Some(screen), Some(check)) => Some(screen.min(check)),
            (screen, check) => screen.or(check),
        };
        match &self.manager {
            // The manager screens close by themselves; their code screen counts down.
            Some(manager) => {
                let closes = manager.wakeup(self.now, self.settings.manager_idle);
                Some(screen.map_or(closes, |at| at.min(closes)))
            }
            None => screen,
        }
    }

    fn screen_wakeup(&self) -> Option<Instant> {
        let now = self.now;
        match &self.screen {
            Screen::Phone(form) => form.retry_at.map(|at| at.min(now + SECOND)),
            Screen::Code(_) | Screen::Welcome { .. } | Screen::SignedOut { .. } => Some(now + SECOND),
            Screen::SigningOut | Screen::Locked => None,
            Screen::Session(session) => {
                let limits = &self.settings.limits;
                if session.idle_warning_shown(limits, now) || session.ending_soon(now) {
                    return Some(now + SECOND);
                }
                // The status bar shows minutes left (rounded up): wake when that number changes.
                let left_ms = session.ends_at.saturating_duration_since(now).as_millis() as u64;
                let to_next_minute = match left_ms % 60_000 {
                    0 => 60_000,
                    rest => rest,
                };
                let to_next_minute = Duration::from_millis(to_next_minute);
                let next = session.idle_warning_at(limits).min(now + to_next_minute.max(SECOND));
                Some(session.recheck_at.map_or(next, |at| next.min(at)))
            }
        }
    }

    /// Whose session is running, for the manager's menu ("Alex Rivera, +1 ••• ••• 0100").
    pub fn session_owner(&self) -> Option<String> {
        match &self.screen {
            Screen::Session(view) => Some(format!("{}, {}", view.name, view.phone_masked)),
            Screen::Welcome { name, .. } => Some(name.clone()),
            _ => None,
        }
    }

    pub fn in_session(&self) -> bool {
        matches!(self.screen, Screen::Session(_) | Screen::Welcome { .. })
    }

    /// A sign-in form of the worker's is waiting for the backend.
    pub fn signing_in(&self) -> bool {
        match &self.screen {
            Screen::Phone(form) => form.sending(),
            Screen::Code(form) => form.verifying.is_some() || form.resending.is_some(),
            _ => false,
        }
    }

    /// Nothing left to wait for: no session, no teardown, no backend request in flight.
    pub fn may_exit(&self) -> bool {
        self.quitting && self.requests.is_empty() && !self.in_session() && !matches!(self.screen, Screen::SigningOut)
    }
}
