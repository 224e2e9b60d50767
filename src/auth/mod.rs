//! The kiosk's view of an identity backend: one trait, one module per provider.
//!
//! The kiosk only ever talks to [`AuthBackend`]; it never knows which provider is behind it.

pub mod auth0;
pub mod cognito;
pub mod http;
pub mod jwt;
pub mod kratos;
pub mod privacyidea;
pub mod revoke;
pub mod shiftkey;
pub mod supabase;

use std::time::Duration;

pub use crate::api_types::Channel;
use crate::api_types::PASS_LENGTH;
use crate::config::{BackendConfig, BackendKind};
use crate::phone::PhoneNumber;
use crate::secret::{AccessPass, AccessToken, OtpCode, RefreshToken};

/// A code was sent (or, for unknown numbers, seemed to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub code_length: usize,
    pub expires_in: Duration,
    pub resend_after: Duration,
}

/// The person a code belonged to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInUser {
    pub id: String,
    pub display_name: String,
    pub roles: Vec<String>,
}

/// The tokens of one sign-in.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// What the session gets (`SHIFTKEY_TOKEN_FILE`): the token the store's app uses.
    pub access: AccessToken,
    /// Only the kiosk holds it, in memory: revoked at sign-out where the provider needs it.
    pub refresh: Option<RefreshToken>,
}

impl Tokens {
    /// An access token alone (providers without refresh tokens, and crash recovery).
    pub fn access_only(access: AccessToken) -> Self {
        Tokens { access, refresh: None }
    }
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tokens: Tokens,
    pub expires_in: Duration,
    pub user: SignedInUser,
}

/// A temporary access pass a manager issued for a worker: shown once, on the manager's screen.
#[derive(Debug, Clone)]
pub struct IssuedPass {
    pub pass: AccessPass,
    pub expires_in: Duration,
    /// Whom it is for.
    pub user: SignedInUser,
}

/// What a provider's temporary access passes look like, for the kiosk's pass field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassFormat {
    /// Characters in a pass (without the `-` the field shows between groups).
    pub length: usize,
    /// Whether `a` and `A` are different characters: if not, the field types capitals.
    pub case_sensitive: bool,
    /// Whether a pass may hold ASCII punctuation (`{`, `@`, `-`, …) besides letters and digits:
    /// if not, the field ignores it (a `-` typed from the grouping, say).
    pub punctuation: bool,
}

/// The reference backend's passes: [`PASS_LENGTH`] characters, case-insensitive.
impl Default for PassFormat {
    fn default() -> Self {
        PassFormat { length: PASS_LENGTH, case_sensitive: false, punctuation: false }
    }
}

impl PassFormat {
    /// Whether the touch panel's pass keyboard (capitals and digits, typed as capitals) can
    /// type such a pass: not one with lower case or punctuation (privacyIDEA's), which is
    /// typed on a keyboard.
    pub fn on_pass_keys(&self) -> bool {
        !self.case_sensitive && !self.punctuation
    }
}

/// Whether a session's token still holds, as the provider sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Valid,
    /// Revoked or expired: the worker's access was ended.
    Ended,
    /// The provider can't tell (no such endpoint): the kiosk stops asking.
    Unknown,
}

/// What a sign-out did at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOut {
    /// The provider ended the tokens.
    Revoked,
    /// The provider has no sign-out (privacyIDEA): nothing to end there.
    NotOffered,
}

/// What a backend can answer, in terms the kiosk can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the sign-in service refused the number: {0}")]
    InvalidPhone(String),
    #[error("wrong code, {attempts_left} tries left")]
    InvalidCode { attempts_left: u32 },
    #[error("the code has expired")]
    Expired,
    #[error("too many wrong codes")]
    TooManyAttempts,
    /// A wrong code, where the provider doesn't say how many tries are left.
    #[error("the code didn't work")]
    CodeRejected,
    #[error("too many requests; retry in {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// The provider's per-address limit: every kiosk of the store shares one address.
    #[error("too many sign-ins from this address; retry in {} s", retry_after.as_secs())]
    StoreRateLimited { retry_after: Duration },
    #[error("can't reach the sign-in service")]
    Unreachable,
    /// The provider's answer could not be verified (an ID token's signature, issuer, audience
    /// or expiry; a response's signature): nothing in it is believed.
    #[error("the sign-in service's answer could not be verified: {0}")]
    Untrusted(String),
    #[error("the sign-in service answered unexpectedly: {0}")]
    Protocol(String),
    /// A temporary access pass that doesn't work (wrong, expired, used, or none for the number).
    #[error("the pass didn't work")]
    InvalidPass,
    /// The provider has no temporary access passes.
    #[error("this sign-in service has no temporary access passes")]
    PassesNotOffered,
    /// Signed in, but without the role the request needs (issuing passes: a manager's).
    #[error("the sign-in service refused: not a manager")]
    Forbidden,
    /// No one the provider lets sign in has that number.
    #[error("no one who can sign in has that number")]
    NoSuchUser,
}

/// An identity backend that signs people in by SMS code.
pub trait AuthBackend: Send + Sync + 'static {
    fn start(&self, phone: &PhoneNumber) -> impl Future<Output = Result<Challenge, AuthError>> + Send;
    /// `start`, with the text asked for in `locale` (a BCP 47 tag: "es", "pt-BR") where the
    /// provider can send it in a language; one that can't just starts.
    fn start_in(&self, phone: &PhoneNumber, locale: &str) -> impl Future<Output = Result<Challenge, AuthError>> + Send {
        let _ = locale;
        self.start(phone)
    }
    fn resend(&self, challenge_id: &str) -> impl Future<Output = Result<Challenge, AuthError>> + Send;
    /// `resend`, the code texted or read out in a call (`channel`). The kiosk asks for a call
    /// only where `offers_voice`; a provider without calls refuses one.
    fn resend_by(
        &self,
        challenge_id: &str,
        channel: Channel,
    ) -> impl Future<Output = Result<Challenge, AuthError>> + Send {
        async move {
            match channel {
                Channel::Sms => self.resend(challenge_id).await,
                Channel::Voice => Err(AuthError::Protocol("this sign-in service can't call with a code".into())),
            }
        }
    }
    /// Whether `resend_by` can place a call that reads the code out.
    fn offers_voice(&self) -> bool {
        false
    }
    fn verify(&self, challenge_id: &str, code: &OtpCode) -> impl Future<Output = Result<Grant, AuthError>> + Send;
    /// Ends the sign-in's tokens at the provider.
    fn sign_out(&self, tokens: &Tokens) -> impl Future<Output = Result<SignedOut, AuthError>> + Send;
    /// Whether the backend answers at all (for `shiftkey status`).
    fn healthy(&self) -> impl Future<Output = bool> + Send;
    /// Whether the session's token still holds (asked every `session.recheck` in a session).
    /// A provider that can't tell says `Unknown`, and `check()` notes it.
    fn still_valid(&self, tokens: &Tokens) -> impl Future<Output = Result<TokenState, AuthError>> + Send {
        let _ = tokens;
        async { Ok(TokenState::Unknown) }
    }
    /// Whether the provider signs in with temporary access passes (`sign_in_with_pass`): the
    /// code screen offers a pass only then.
    fn takes_passes(&self) -> bool {
        false
    }
    /// Whether a kiosk manager can issue a pass (`issue_pass`): the manager menu offers it only
    /// then. A provider whose passes an admin issues elsewhere takes them but doesn't issue them.
    fn issues_passes(&self) -> bool {
        self.takes_passes()
    }
    /// What the provider's passes look like (the pass field's length and case).
    fn pass_format(&self) -> PassFormat {
        PassFormat::default()
    }
    /// Signs in with a temporary access pass issued for the user of `phone`.
    fn sign_in_with_pass(
        &self,
        phone: &PhoneNumber,
        pass: &AccessPass,
    ) -> impl Future<Output = Result<Grant, AuthError>> + Send {
        let _ = (phone, pass);
        async { Err(AuthError::PassesNotOffered) }
    }
    /// A manager (signed in with `manager`) issues a one-time pass for the worker of `worker`.
    fn issue_pass(
        &self,
        manager: &Tokens,
        worker: &PhoneNumber,
    ) -> impl Future<Output = Result<IssuedPass, AuthError>> + Send {
        let _ = (manager, worker);
        async { Err(AuthError::PassesNotOffered) }
    }
    /// Whether `still_valid` can ever say more than `Unknown`.
    fn rechecks_tokens(&self) -> bool {
        false
    }
    /// What `check-config` reports: each thing found wrong with the provider's set-up (its
    /// discovery or settings endpoint, its signing keys, …), with what to change. Empty: all good.
    fn check(&self) -> impl Future<Output = Vec<Problem>> + Send;
}

/// Something wrong with a provider's set-up, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
    /// `Note`: worth saying, but the kiosk works (e.g. no roles, so no managers).
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The kiosk can't sign anyone in like this: `check-config` fails.
    Error,
    Note,
}

impl Problem {
    pub fn error(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem { what: what.into(), fix: fix.into(), severity: Severity::Error }
    }

    pub fn note(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem { what: what.into(), fix: fix.into(), severity: Severity::Note }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} — {}", self.what, self.fix)
    }
}

/// Why the backend named in config can't be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Shiftkey(#[from] shiftkey::InvalidUrl),
    #[error(transparent)]
    Client(#[from] http::ClientError),
    #[error(transparent)]
    Secret(#[from] crate::config::SecretError),
    /// A key's value can't be used (the message names the key).
    #[error("{0}")]
    Invalid(String),
}

/// The provider named in config: the kiosk holds one of these and never asks which.
#[derive(Clone)]
pub enum Backend {
    Shiftkey(shiftkey::ShiftkeyBackend),
    Auth0(auth0::Auth0Backend),
    Supabase(supabase::SupabaseBackend),
    Cognito(cognito::CognitoBackend),
    Kratos(kratos::KratosBackend),
    Privacyidea(privacyidea::PrivacyideaBackend),
}

/// Calls `$call` on whichever provider is inside.
macro_rules! each_backend {
    ($self:ident, $backend:ident => $call:expr) => {
        match $self {
            Backend::Shiftkey($backend) => $call,
            Backend::Auth0($backend) => $call,
            Backend::Supabase($backend) => $call,
            Backend::Cognito($backend) => $call,
            Backend::Kratos($backend) => $call,
            Backend::Privacyidea($backend) => $call,
        }
    };
}

impl AuthBackend for Backend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        each_backend!(self, backend => backend.start(phone).await)
    }

    async fn start_in(&self, phone: &PhoneNumber, locale: &str) -> Result<Challenge, AuthError> {
        each_backend!(self, backend => backend.start_in(phone, locale).await)
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        each_backend!(self, backend => backend.resend(challenge_id).await)
    }

    async fn resend_by(&self, challenge_id: &str, channel: Channel) -> Result<Challenge, AuthError> {
        each_backend!(self, backend => backend.resend_by(challenge_id, channel).await)
    }

    fn offers_voice(&self) -> bool {
        each_backend!(self, backend => backend.offers_voice())
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        each_backend!(self, backend => backend.verify(challenge_id, code).await)
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        each_backend!(self, backend => backend.sign_out(tokens).await)
    }

    async fn healthy(&self) -> bool {
        each_backend!(self, backend => backend.healthy().await)
    }

    async fn still_valid(&self, tokens: &Tokens) -> Result<TokenState, AuthError> {
        each_backend!(self, backend => backend.still_valid(tokens).await)
    }

    async fn check(&self) -> Vec<Problem> {
        let mut problems = each_backend!(self, backend => backend.check().await);
        if let Some(why) = self.why_no_passes() {
            problems.push(Problem::note(
                format!("no temporary access passes: {why}"),
                "the code screen doesn't offer \"Use a pass from your manager\" and manager mode has no \"Issue a \
                 one-time pass\"; a worker whose text doesn't come asks for a new code",
            ));
        }
        if !self.rechecks_tokens() {
            problems.push(Problem::note(
                "this provider can't say whether a session's token still holds",
                "a worker removed there stays signed in until the session ends by itself (idle timeout, \
                 session.max_duration); session.recheck doesn't apply",
            ));
        }
        if !self.offers_voice() {
            problems.push(Problem::note(
                "this provider can't call a worker with the code",
                "the code screen offers only a new text (\"Call me with the code\" needs backend.kind = \"shiftkey\", \
                 or Auth0 with flow = \"otp-challenge\")",
            ));
        }
        problems
    }

    fn rechecks_tokens(&self) -> bool {
        each_backend!(self, backend => backend.rechecks_tokens())
    }

    fn takes_passes(&self) -> bool {
        each_backend!(self, backend => backend.takes_passes())
    }

    fn issues_passes(&self) -> bool {
        each_backend!(self, backend => backend.issues_passes())
    }

    fn pass_format(&self) -> PassFormat {
        each_backend!(self, backend => backend.pass_format())
    }

    async fn sign_in_with_pass(&self, phone: &PhoneNumber, pass: &AccessPass) -> Result<Grant, AuthError> {
        each_backend!(self, backend => backend.sign_in_with_pass(phone, pass).await)
    }

    async fn issue_pass(&self, manager: &Tokens, worker: &PhoneNumber) -> Result<IssuedPass, AuthError> {
        each_backend!(self, backend => backend.issue_pass(manager, worker).await)
    }
}

impl Backend {
    /// Why this provider offers no temporary access passes (`check-config` says it), or `None`.
    fn why_no_passes(&self) -> Option<&'static str> {
        match self {
            Backend::Shiftkey(_) => None,
            Backend::Auth0(_) => Some("Auth0's passwordless SMS connection only sends codes"),
            Backend::Supabase(_) => Some("Supabase Auth's phone sign-in only sends codes"),
            Backend::Cognito(_) => Some("the Cognito user pool's SMS sign-in only sends codes"),
            Backend::Kratos(_) => Some("Ory Kratos's code method only sends codes"),
            // Registration tokens, issued in privacyIDEA (its `check` says so).
            Backend::Privacyidea(_) => None,
        }
    }
}

/// Builds the backend named in config: the one way a kiosk start and `check-config` get one.
pub fn from_config(config: &BackendConfig) -> Result<Backend, BuildError> {
    Ok(match config.kind {
        BackendKind::Shiftkey => Backend::Shiftkey(shiftkey::ShiftkeyBackend::with_config(config)?),
        BackendKind::Auth0 => Backend::Auth0(auth0::Auth0Backend::new(config)?),
        BackendKind::Supabase => Backend::Supabase(supabase::SupabaseBackend::new(config)?),
        BackendKind::Cognito => Backend::Cognito(cognito::CognitoBackend::new(config)?),
        BackendKind::Kratos => Backend::Kratos(kratos::KratosBackend::new(config)?),
        BackendKind::Privacyidea => Backend::Privacyidea(privacyidea::PrivacyideaBackend::new(config)?),
    })
}
