//! The sign-in service: start, resend, verify, sign-in with a pass, a manager's pass, sign-out
//! and "who am I", over the store.
//!
//! This is where the abuse caps live (per number, per client, per server-hour, per challenge
//! sends) and where codes are made; a typed code's rules (expiry, attempts, single use, the
//! user's wrong-code cap) are checked inside the store's transaction (`store::verify`). It
//! knows nothing of HTTP; `api.rs` turns its answers into responses.

use std::sync::Arc;
use std::time::Duration;

use super::batch::Batcher;
use super::clock::Clock;
use super::otp::{self, OtpKey};
use super::pass::{self, IssuedPass, MANAGER_ROLE};
use super::sms::SmsMessage;
use super::sms_queue::{Outbox, SmsSeal};
use super::store::{
    ATTEMPTS_AT_ONCE, CodeAttempt, Db, Opening, QueuedAttempt, QueuedSms, Store, StoreError, TOKENS_AT_ONCE, User,
    Verdict,
};
// What `start` and `resend` answer, the same for every number: the API's body as it is.
use crate::api_types::Challenge as ChallengeInfo;
use crate::api_types::Channel;
use crate::config::{ServerConfig, SmsTemplates, TemplateError, is_language_tag, render_message, render_voice};
use crate::phone::{PhoneError, PhoneNumber};
use crate::secret::{AccessPass, AccessToken, OtpCode};

const HOUR_MS: i64 = 3_600_000;

/// Every answer the service can give other than success.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}; send it as + country code and number, e.g. \"+12065550100\"")]
    InvalidPhone(#[source] PhoneError),
    #[error("locale {0:?} is not a language tag; send one such as \"es\" or \"pt-BR\"")]
    InvalidLocale(String),
    #[error("wrong code")]
    InvalidCode { attempts_left: u32 },
    #[error("the code has expired or was already used; ask for a new one")]
    Expired,
    #[error("too many wrong codes; ask for a new code")]
    TooManyAttempts,
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("no valid token")]
    Unauthorized,
    /// Wrong, expired, used or revoked pass, or a number without one: one answer for all.
    #[error("that pass doesn't work: check it with your manager, or ask for a new one")]
    InvalidPass,
    #[error("only a kiosk manager (role \"{MANAGER_ROLE}\") can issue passes")]
    NotManager,
    #[error("no one the SMS sign-in policy lets in has that number; check it, or see `shiftkey admin user show`")]
    NoSuchWorker,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A successful verify: the token issued, and whose it is. (Not an OS session: that is the
/// kiosk's `session` module.)
pub struct IssuedToken {
    pub token: AccessToken,
    pub expires_in: u64,
    pub user: User,
}

pub struct SignInService {
    store: Store,
    key: OtpKey,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    templates: SmsTemplates,
    /// What a call says, per language.
    voice_templates: SmsTemplates,
    seal: SmsSeal,
    /// This replica's SMS sender: the claim its texts are queued with, and the hand-off.
    outbox: Outbox,
    /// Code checks, token checks (`/v1/me`) and sign-outs, gathered into shared statements on
    /// PostgreSQL (`server::batch`); `None` on SQLite, where a statement is no round trip.
    batches: Option<Batches>,
}

/// Code checks, token checks and sign-outs that arrive together, each kind in one statement.
struct Batches {
    verifies: Batcher<QueuedAttempt, Verdict>,
    users: Batcher<Vec<u8>, Option<User>>,
    sign_outs: Batcher<Vec<u8>, ()>,
}

/// Statements of each kind in flight at once: while one runs, the next gathers what arrives.
const LANES: usize = 2;

impl Batches {
    fn new(store: &Store, clock: &Arc<dyn Clock>) -> Self {
        let store_verifies = store.clone();
        let verifies = Batcher::new(LANES, ATTEMPTS_AT_ONCE, move |queued: Vec<QueuedAttempt>| {
            let store = store_verifies.clone();
            async move {
                let attempts: Vec<CodeAttempt<'_>> = queued.iter().map(QueuedAttempt::attempt).collect();
                store.verify_codes(&attempts).await
            }
        });
        let (store_users, clock_users) = (store.clone(), Arc::clone(clock));
        let users = Batcher::new(LANES, TOKENS_AT_ONCE, move |hashes: Vec<Vec<u8>>| {
            let (store, now) = (store_users.clone(), clock_users.now_ms());
            async move { store.connection().await?.token_users(&hashes, now).await }
        });
        let (store, clock) = (store.clone(), Arc::clone(clock));
        let sign_outs = Batcher::new(LANES, TOKENS_AT_ONCE, move |hashes: Vec<Vec<u8>>| {
            let (store, now) = (store.clone(), clock.now_ms());
            async move {
                store.connection().await?.revoke_tokens(&hashes, now).await?;
                Ok(vec![(); hashes.len()])
            }
        });
        Batches { verifies, users, sign_outs }
    }
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Seconds until an event at `oldest_at` leaves the hour window (at least 1).
fn retry_after(oldest_at: Option<i64>, now: i64) -> u64 {
    let leaves_at = oldest_at.unwrap_or(now) + HOUR_MS;
    ((leaves_at - now).max(1000) as u64).div_ceil(1000)
}

impl SignInService {
    pub fn new(
        store: Store,
        key: OtpKey,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
        outbox: Outbox,
    ) -> Result<Self, TemplateError> {
        let templates = config.templates()?;
        let voice_templates = config.voice_templates()?;
        let seal = SmsSeal::new(&key);
        let batches = store.is_postgres().then(|| Batches::new(&store, &clock));
        Ok(SignInService { store, key, clock, config, templates, voice_templates, seal, outbox, batches })
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    /// The audit log admin commands and SCIM changes go to.
    pub(super) fn audit_log(&self) -> crate::audit::AuditLog {
        crate::audit::AuditLog::new(self.config.audit_path())
    }

    pub fn trusts_forwarded_for(&self) -> bool {
        self.config.limits.trust_forwarded_for
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn info(&self, challenge_id: String) -> ChallengeInfo {
        ChallengeInfo {
            challenge_id,
            code_length: otp::CODE_LENGTH,
            expires_in: self.config.code_lifetime.0.as_secs(),
            resend_after: self.config.resend_cooldown.0.as_secs(),
        }
    }

    /// Checks the hourly send caps for one more send. In a transaction: on PostgreSQL it takes
    /// the caps' lock, so replicas count and record sends one at a time (a count and the insert
    /// after it can't interleave with another replica's) until commit; the caller records the
    /// send in the same transaction.
    async fn check_send_caps(&self, db: &mut Db, phone_key: &[u8], client: &str, now: i64) -> Result<(), SignInError> {
        let limits = &self.config.limits;
        if limits.enabled {
            db.lock_send_caps().await?;
            let [per_phone, per_client, per_server] = db.sends_since(phone_key, client, now - HOUR_MS).await?;
            for (window, cap) in [
                (per_phone, limits.per_phone_per_hour),
                (per_client, limits.per_client_per_hour),
                (per_server, limits.per_server_per_hour),
            ] {
                if window.count >= cap {
                    return Err(SignInError::RateLimited { retry_after: retry_after(window.oldest_at, now) });
                }
            }
        }
        Ok(())
    }

    /// Issues a code for a number, texted from the default template.
    pub async fn start(&self, phone: &str, client: &str) -> Result<ChallengeInfo, SignInError> {
        self.start_in(phone, None, client).await
    }

    /// Issues a code for a number, texted from the template for `locale`; the challenge keeps
    /// the language for its resends. Unknown, disabled and untargeted numbers get an identical
    /// answer after the same work, and a challenge whose code nobody knows; no SMS goes to them.
    pub async fn start_in(
        &self,
        phone: &str,
        locale: Option<&str>,
        client: &str,
    ) -> Result<ChallengeInfo, SignInError> {
        let phone = PhoneNumber::parse_sent(phone).map_err(SignInError::InvalidPhone)?;
        if let Some(locale) = locale.filter(|locale| !is_language_tag(locale)) {
            return Err(SignInError::InvalidLocale(locale.chars().take(40).collect()));
        }
        let now = self.now();
        let challenge_id = otp::new_challenge_id();
        let code = otp::new_code();
        let code_mac = self.key.code_mac(&challenge_id, code.expose());
        let phone_key = self.key.phone_key(phone.e164());
        // One transaction: the send counted against the caps, the challenge stored and its text
        // queued, or none of them (a replica killed midway leaves no half-done challenge and
        // no text for a code that doesn't exist). With the caps off there is nothing to count,
        // and on PostgreSQL finding the number's user, the challenge, its send and its text are
        // one statement (`open_challenge`), atomic without a transaction's two round trips.
        let mut db = self.store.transaction_if(self.config.limits.enabled).await?;
        self.check_send_caps(&mut db, &phone_key, client, now).await?;
        // The text is built and sealed for every number, as itself and as a decoy (equal work);
        // the store queues the decoy for a number no one may sign in with.
        let message = self.message(&phone, &code, locale, Channel::Sms);
        let (text, decoy) = (self.seal.seal(&message, true), self.seal.seal(&message, false));
        let claim = self.outbox.claim();
        let opening = Opening {
            id: &challenge_id,
            e164: phone.e164(),
            code_mac: &code_mac,
            expires_at: now + millis(self.config.code_lifetime.0),
            phone_key: &phone_key,
            locale,
            client,
            text: &text,
            decoy: &decoy,
            claim,
            now,
        };
        let opened = db.open_challenge(&opening).await?;
        db.commit().await?;
        let sealed = if opened.user_id.is_some() { text } else { decoy };
        self.outbox.hand(QueuedSms { id: opened.text_id, sealed, claimed_until: claim.until });
        tracing::info!(phone = %phone.masked(), "sign-in started");
        Ok(self.info(challenge_id))
    }

    /// Sends a new code for a challenge; the old code stops working, attempts are kept.
    pub async fn resend(&self, challenge_id: &str, client: &str) -> Result<ChallengeInfo, SignInError> {
        self.resend_by(challenge_id, Channel::Sms, client).await
    }

    /// `resend`, the code texted or read out in a call (`channel`). A call counts against the
    /// same caps and cooldown as a text: it is one more send.
    pub async fn resend_by(
        &self,
        challenge_id: &str,
        channel: Channel,
        client: &str,
    ) -> Result<ChallengeInfo, SignInError> {
        let now = self.now();
        // The challenge's row is locked until commit: two resends of it on two replicas can't
        // both pass the cooldown and the per-challenge send count.
        let mut db = self.store.transaction().await?;
        let challenge = db.challenge_for_update(challenge_id).await?.ok_or(SignInError::Expired)?;
        if challenge.used {
            return Err(SignInError::Expired);
        }
        if challenge.attempts >= self.config.max_attempts {
            return Err(SignInError::TooManyAttempts);
        }
        let ready_at = challenge.last_sent_at + millis(self.config.resend_cooldown.0);
        if now < ready_at {
            return Err(SignInError::RateLimited { retry_after: ((ready_at - now) as u64).div_ceil(1000) });
        }
        if challenge.sends >= self.config.limits.sends_per_challenge {
            // This challenge has had its share: only a new sign-in (with its own caps) helps.
            let left = (challenge.expires_at - now).max(1000) as u64;
            return Err(SignInError::RateLimited { retry_after: left.div_ceil(1000) });
        }
        let phone = match challenge.user_rowid {
            Some(rowid) => db.mobile_of(rowid).await?.and_then(|p| PhoneNumber::parse_international(&p).ok()),
            None => None,
        };
        // Unknown numbers count too (their challenge keeps the number's key), so caps can't tell them apart.
        self.check_send_caps(&mut db, &challenge.phone_key, client, now).await?;
        db.record_send(&challenge.phone_key, client, now).await?;
        let code = otp::new_code();
        let mac = self.key.code_mac(challenge_id, code.expose());
        db.replace_code(challenge_id, &mac, now + millis(self.config.code_lifetime.0), now).await?;
        let locale = challenge.locale.as_deref();
        let sealed = match &phone {
            Some(phone) => self.seal.seal(&self.message(phone, &code, locale, channel), true),
            // An unknown number's challenge: a decoy, as its start queued.
            None => self.seal.seal(&SmsMessage::text(String::new(), String::new()), false),
        };
        let claim = self.outbox.claim();
        let id = db.enqueue_sms(&sealed, now, claim).await?;
        db.commit().await?;
        self.outbox.hand(QueuedSms { id, sealed, claimed_until: claim.until });
        tracing::info!(channel = channel.name(), "code sent again");
        Ok(self.info(challenge_id.to_string()))
    }

    /// The message for `phone`: a text from the SMS template for `locale`, or what a call says,
    /// from its voice template (the code digit by digit, spoken in that template's language).
    fn message(&self, phone: &PhoneNumber, code: &OtpCode, locale: Option<&str>, channel: Channel) -> SmsMessage {
        let to = phone.e164().to_string();
        match channel {
            Channel::Sms => {
                let minutes = self.config.code_lifetime.0.as_secs().div_ceil(60);
                let template = self.templates.for_locale(locale);
                SmsMessage::text(to, render_message(template, code, minutes, &self.config.sms_host))
            }
            Channel::Voice => SmsMessage {
                to,
                body: render_voice(self.voice_templates.for_locale(locale), code),
                channel,
                language: self.voice_templates.language_for(locale).map(String::from),
            },
        }
    }

    /// Checks a code. Wrong codes count against the challenge and the user; the last allowed
    /// wrong code kills the challenge. A right code works once. The rules are checked in the
    /// store's one transaction (`store::verify`, where their order is explained; on PostgreSQL
    /// shared with the verifies that arrive together); here their verdict becomes an answer.
    pub async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<IssuedToken, SignInError> {
        let now = self.now();
        let code_mac = otp::is_well_formed(code).then(|| self.key.code_mac(challenge_id, code.expose()));
        // Made before the check (a random draw and a hash), so the check is one step.
        let (token, hash, expires_at) = self.new_token(now);
        let attempt = CodeAttempt {
            challenge_id,
            code_mac: code_mac.as_deref(),
            now,
            max_attempts: self.config.max_attempts,
            failures_cap: self.config.limits.failures_per_user_per_hour,
            failures_since: now - HOUR_MS,
            token_hash: &hash,
            token_expires_at: expires_at,
        };
        let verdict = match &self.batches {
            Some(batches) => batches.verifies.ask(QueuedAttempt::of(&attempt)).await?,
            None => self.store.verify_code(&attempt).await?,
        };
        match verdict {
            Verdict::SignedIn(user) => {
                tracing::info!(user = %user.username, "signed in");
                Ok(IssuedToken { token, expires_in: self.config.token_lifetime.0.as_secs(), user })
            }
            Verdict::Wrong { attempts } => {
                let attempts_left = self.config.max_attempts.saturating_sub(attempts);
                tracing::info!(attempts_left, "wrong code");
                if attempts_left == 0 {
                    Err(SignInError::TooManyAttempts)
                } else {
                    Err(SignInError::InvalidCode { attempts_left })
                }
            }
            Verdict::Expired => Err(SignInError::Expired),
            Verdict::TooManyAttempts => Err(SignInError::TooManyAttempts),
            Verdict::RateLimited { oldest_at } => {
                Err(SignInError::RateLimited { retry_after: retry_after(oldest_at, now) })
            }
        }
    }

    /// Signs in with a temporary access pass. Unknown, disabled and untargeted numbers, numbers
    /// without a pass, and wrong, expired or used passes all get the same answer after the same
    /// work (a pass row read, a MAC, a failure recorded); wrong passes count per number and
    /// per client against the hourly caps, so a pass can't be guessed (49 bits, 20 an hour).
    pub async fn sign_in_with_pass(
        &self,
        phone: &str,
        typed: &AccessPass,
        client: &str,
    ) -> Result<IssuedToken, SignInError> {
        let phone = PhoneNumber::parse_sent(phone).map_err(SignInError::InvalidPhone)?;
        let now = self.now();
        let phone_key = self.key.phone_key(phone.e164());
        let mut db = self.store.transaction().await?;
        let user = db.sms_sign_in_user(phone.e164()).await?;
        let rowid = user.as_ref().map_or(-1, |user| user.rowid);
        let stored = db.pass_of(rowid).await?;
        db.lock_pass_caps().await?;
        let [per_phone, per_client] = db.pass_failures_since(&phone_key, client, now - HOUR_MS).await?;
        let limits = &self.config.limits;
        let mut caps = vec![(per_phone, limits.failures_per_user_per_hour)];
        if limits.enabled {
            caps.push((per_client, limits.per_client_per_hour));
        }
        if let Some((window, _)) = caps.into_iter().find(|(window, cap)| window.count >= *cap) {
            return Err(SignInError::RateLimited { retry_after: retry_after(window.oldest_at, now) });
        }
        let mac = pass::pass_mac(&self.key, rowid, typed);
        // Compared in constant time, against nothing real when there is no pass (the same work).
        let stored_mac = stored.as_ref().map_or(&[0u8; 32][..], |stored| &stored.mac[..]);
        let matches = bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], stored_mac));
        let live = stored.is_some_and(|stored| stored.is_live(now));
        if matches && live && user.is_some() && db.use_pass(rowid, &mac, now).await? {
            let (token, hash, expires_at) = self.new_token(now);
            let user = db.insert_token(rowid, &hash, now, expires_at).await?.ok_or(SignInError::InvalidPass)?;
            db.commit().await?;
            tracing::info!(user = %user.username, "signed in with a pass");
            return Ok(IssuedToken { token, expires_in: self.config.token_lifetime.0.as_secs(), user });
        }
        db.record_pass_failure(&phone_key, client, now).await?;
        db.commit().await?;
        tracing::info!(phone = %phone.masked(), "wrong pass");
        Err(SignInError::InvalidPass)
    }

    /// A store manager issues a one-time pass (default lifetime) for the worker with `phone`:
    /// the manager's token must be live and carry the manager role; the worker must be someone
    /// the policy lets sign in. Audited with both masked numbers.
    pub async fn issue_pass(&self, manager: &AccessToken, phone: &str) -> Result<(User, IssuedPass), SignInError> {
        let manager = self.me(manager).await?;
        if !manager.roles.iter().any(|role| role == MANAGER_ROLE) {
            return Err(SignInError::NotManager);
        }
        let phone = PhoneNumber::parse_sent(phone).map_err(SignInError::InvalidPhone)?;
        let now = self.now();
        let mut db = self.store.transaction().await?;
        let worker = db.sms_sign_in_user(phone.e164()).await?.ok_or(SignInError::NoSuchWorker)?;
        let manager_phone = db.mobile_of(manager.rowid).await?.and_then(|p| PhoneNumber::parse_international(&p).ok());
        let issued_by = format!("manager {}", manager.username);
        let issued = pass::issue(&mut db, &self.key, &worker, pass::DEFAULT_LIFETIME, true, &issued_by, now).await?;
        db.commit().await?;
        self.audit_log().record(
            "pass_issued",
            serde_json::json!({
                "by": manager.username,
                "by_phone": manager_phone.map(|p| p.masked()),
                "for": worker.username,
                "phone": phone.masked(),
                "expires_at": pass::rfc3339(issued.expires_at),
            }),
        );
        Ok((worker, issued))
    }

    /// A new token, its hash, and when it expires.
    fn new_token(&self, now: i64) -> (AccessToken, Vec<u8>, i64) {
        let token = otp::new_token();
        let hash = otp::token_hash(token.expose());
        (token, hash, now + millis(self.config.token_lifetime.0))
    }

    pub async fn me(&self, token: &AccessToken) -> Result<User, SignInError> {
        let hash = otp::token_hash(token.expose());
        let user = match &self.batches {
            Some(batches) => batches.users.ask(hash).await?,
            None => self.store.connection().await?.token_user(&hash, self.now()).await?,
        };
        user.ok_or(SignInError::Unauthorized)
    }

    /// Revokes a token; unknown or already revoked tokens are fine (sign-out is idempotent).
    pub async fn sign_out(&self, token: &AccessToken) -> Result<(), SignInError> {
        let hash = otp::token_hash(token.expose());
        match &self.batches {
            Some(batches) => batches.sign_outs.ask(hash).await?,
            None => self.store.connection().await?.revoke_token(&hash, self.now()).await?,
        }
        Ok(())
    }

    /// Drops what no rule needs any more: cap events and expired challenges past the caps'
    /// hour (with an hour to spare), used challenges, and tokens revoked or expired (a token
    /// that isn't there is refused just as one revoked). One transaction.
    pub async fn prune(&self) -> Result<(), SignInError> {
        let now = self.now();
        let mut db = self.store.transaction().await?;
        db.prune(now - 2 * HOUR_MS).await?;
        db.prune_tokens(now).await?;
        db.prune_passes(now - 2 * HOUR_MS).await?;
        db.commit().await?;
        Ok(())
    }
}
