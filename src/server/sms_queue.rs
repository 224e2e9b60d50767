//! The SMS queue, in the database: a text is queued in the transaction that makes its code, and
//! sent by whichever replica claims it — exactly once while replicas live, at least once when
//! one dies mid-send (its claim runs out and another replica takes the text over). Sending is
//! off the request path, so sign-in latency says nothing about whether a number is registered.
//!
//! A queued text holds a code and a number, so it is sealed (AES-256-GCM under a key derived
//! from the code key, which is not in the database): a dump of the queue reveals neither.
//! Every send is audited with the replica that sent it.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use rand::Rng;
use tokio::sync::Notify;
use zeroize::Zeroizing;

use super::clock::{Clock, SystemClock};
use super::otp::OtpKey;
use super::sms::{Gateway, MAX_DELIVERY, SmsMessage};
use super::store::{QueuedSms, Store};
use crate::api_types::Channel;
use crate::audit::AuditLog;
use crate::phone::mask_e164;

/// How many texts a replica claims at once.
const CLAIM_AT_ONCE: u32 = 32;
/// How long a woken sender waits before it claims: the request that queued the text is answered
/// first (the sending isn't on its thread at that moment, so its timing says nothing about the
/// number). Short, as every text waits it when the server is quiet: 10 ms made one client's
/// sign-ins 3 times slower (81 → 240 a second) and, at 2,000 a second, the p99 1.6 times longer;
/// under load the sender is seldom idle, and texts queued meanwhile join its next claim anyway.
const GATHER: Duration = Duration::from_millis(2);
/// How often an idle sender on PostgreSQL looks for texts no replica holds: those of a replica
/// that died. New texts of its own wake it at once. On SQLite there is no other replica: it
/// sleeps until woken, or until the claim of a process before it runs out (idle is idle).
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Seals texts for the queue and opens them again.
pub struct SmsSeal(LessSafeKey);

impl SmsSeal {
    pub fn new(key: &OtpKey) -> Self {
        let derived = key.derive("sms-queue");
        let key = UnboundKey::new(&AES_256_GCM, derived.as_ref()).expect("a 32-byte key fits AES-256");
        SmsSeal(LessSafeKey::new(key))
    }

    /// The text as the queue stores it: a random nonce, then whether to send it and how, the
    /// number and the body, encrypted. A decoy (`send` false: the text an unknown number would
    /// have got) is queued like a real one, so a start costs the same work whoever asks, and is
    /// dropped by the sender. A call also keeps the language it is spoken in.
    pub fn seal(&self, message: &SmsMessage, send: bool) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let head = match (send, message.channel) {
            (false, _) => DECOY.to_string(),
            (true, Channel::Sms) => TEXT.to_string(),
            (true, Channel::Voice) => format!("{CALL}{}\n", message.language.as_deref().unwrap_or_default()),
        };
        let mut text = Zeroizing::new(format!("{head}{}\n{}", message.to, message.body).into_bytes());
        let mut sealed = nonce.to_vec();
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut *text)
            .expect("AES-GCM seals any length we make");
        sealed.extend_from_slice(&text);
        sealed
    }

    /// The text back (`None` for a decoy); `Err` if it was sealed under another key (a replica
    /// with another `key_file`) or changed.
    pub fn open(&self, sealed: &[u8]) -> Result<Option<SmsMessage>, Unopenable> {
        let (nonce, text) = sealed.split_at_checked(NONCE_LEN).ok_or(Unopenable)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unopenable)?;
        let mut text = Zeroizing::new(text.to_vec());
        let plain = self.0.open_in_place(nonce, Aad::empty(), &mut text).map_err(|_| Unopenable)?;
        let plain = std::str::from_utf8(plain).map_err(|_| Unopenable)?;
        let mut chars = plain.chars();
        let flag = chars.next().ok_or(Unopenable)?;
        let rest = chars.as_str();
        let (channel, language, rest) = match flag {
            DECOY => return Ok(None),
            TEXT => (Channel::Sms, None, rest),
            CALL => {
                let (language, rest) = rest.split_once('\n').ok_or(Unopenable)?;
                (Channel::Voice, Some(language).filter(|l| !l.is_empty()).map(String::from), rest)
            }
            _ => return Err(Unopenable),
        };
        let (to, body) = rest.split_once('\n').ok_or(Unopenable)?;
        Ok(Some(SmsMessage { to: to.into(), body: body.into(), channel, language }))
    }
}

/// The first character of a sealed text: send it as a text (what every text queued before
/// calls were added starts with), as a call, or not at all.
const TEXT: char = 'S';
const CALL: char = 'V';
const DECOY: char = 'D';

/// A queued text that can't be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a queued text can't be opened: sealed under another key_file, or changed")]
pub struct Unopenable;

/// Who sends, and how: the parts of a sender.
pub struct Sender {
    pub store: Store,
    pub gateway: Gateway,
    pub audit: AuditLog,
    pub seal: SmsSeal,
    /// This replica's name, in the claims and the audit records.
    pub replica: String,
    /// How long a claim lasts: longer than a text's slowest delivery, retries included.
    pub claim_for: Duration,
}

/// Starts the sending task; notify the returned handle after committing a queued text.
pub fn spawn(sender: Sender) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    tokio::spawn(sender.run(Arc::clone(&wake)));
    wake
}

impl Sender {
    async fn run(self, wake: Arc<Notify>) {
        loop {
            match self.claim().await {
                Ok((claimed, until)) if !claimed.is_empty() => {
                    self.send(claimed, until).await;
                    // There may be more: claim again at once.
                    continue;
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "can't claim texts from the queue; retrying"),
            }
            // Woken by a new text, or looking again for ones that nobody holds.
            let woken = match self.next_look().await {
                Some(after) => tokio::time::timeout(after, wake.notified()).await.is_ok(),
                None => {
                    wake.notified().await;
                    true
                }
            };
            if woken {
                tokio::time::sleep(GATHER).await;
            }
        }
    }

    /// When to look at the queue again unless woken first: every `POLL_EVERY` on PostgreSQL;
    /// on SQLite when a claim left by an earlier process runs out, or never.
    async fn next_look(&self) -> Option<Duration> {
        if self.store.is_postgres() {
            return Some(POLL_EVERY);
        }
        let end = match self.store.connection().await {
            Ok(mut db) => db.first_claim_end().await,
            Err(err) => Err(err),
        };
        match end {
            Ok(None) => None,
            Ok(Some(end)) => Some(Duration::from_millis((end - SystemClock.now_ms()).max(0) as u64 + 1)),
            Err(_) => Some(POLL_EVERY),
        }
    }

    async fn claim(&self) -> Result<(Vec<QueuedSms>, i64), super::store::StoreError> {
        let now = SystemClock.now_ms();
        let until = now + self.claim_for.as_millis() as i64;
        let mut db = self.store.connection().await?;
        Ok((db.claim_sms(&self.replica, now, until, CLAIM_AT_ONCE).await?, until))
    }

    /// Sends what was claimed, one text after another; a text that could no longer be sent
    /// well within the claim (so that no other replica takes it meanwhile) is handed back.
    /// Sent texts leave the queue together at the end: a replica dying before that has them
    /// sent again by another (at least once, never lost).
    async fn send(&self, claimed: Vec<QueuedSms>, until: i64) {
        let margin = MAX_DELIVERY.min(self.claim_for / 2).as_millis() as i64;
        let mut handed_back = Vec::new();
        for (index, (id, sealed)) in claimed.into_iter().enumerate() {
            let out_of_time = SystemClock.now_ms() + margin > until;
            if index > 0 && out_of_time {
                handed_back.push(id);
                continue;
            }
            self.send_one(&sealed).await;
        }
        if let Err(err) = self.finish(until, &handed_back).await {
            tracing::warn!(%err, "can't update the queue after sending; its texts may be sent again");
        }
    }

    async fn send_one(&self, sealed: &[u8]) {
        let gateway = self.gateway.name();
        let replica = self.replica.as_str();
        let message = match self.seal.open(sealed) {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(err) => {
                tracing::error!(gateway, %err, "queued text dropped");
                self.audit.record(
                    "sms_failed",
                    serde_json::json!({ "gateway": gateway, "replica": replica, "error": err.to_string() }),
                );
                return;
            }
        };
        let (to, channel) = (mask_e164(&message.to), message.channel.name());
        match self.gateway.deliver(&message).await {
            Ok(tries) => {
                tracing::info!(%to, tries, gateway, channel, "sms sent");
                self.audit.record(
                    "sms_sent",
                    serde_json::json!({ "to": to, "gateway": gateway, "channel": channel, "replica": replica, "tries": tries }),
                );
            }
            Err(error) => {
                tracing::error!(%to, %error, gateway, channel, "sms not sent; giving up");
                let error = error.to_string();
                self.audit.record(
                    "sms_failed",
                    serde_json::json!({ "to": to, "gateway": gateway, "channel": channel, "replica": replica, "error": error }),
                );
            }
        }
    }

    /// Hands back what wasn't tried, then forgets the rest of the claim.
    async fn finish(&self, until: i64, handed_back: &[i64]) -> Result<(), super::store::StoreError> {
        let mut db = self.store.connection().await?;
        for id in handed_back {
            db.release_sms(*id, &self.replica).await?;
        }
        db.finish_claim(&self.replica, until).await
    }
}

/// This process's name among replicas, when the config gives none: host and process id.
pub fn default_replica_name() -> String {
    let host = nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> SmsMessage {
        SmsMessage::text("+12065550100".into(), "Your code is 123456.\n@shiftkey.local #123456".into())
    }

    #[test]
    fn a_sealed_call_opens_as_a_call_in_its_language() {
        let seal = SmsSeal::new(&OtpKey::random());
        let mut call = message();
        call.channel = Channel::Voice;
        call.language = Some("pt-br".into());
        let opened = seal.open(&seal.seal(&call, true)).unwrap().unwrap();
        assert_eq!((opened.channel, opened.language.as_deref()), (Channel::Voice, Some("pt-br")));
        assert_eq!((opened.to.as_str(), opened.body.as_str()), (call.to.as_str(), call.body.as_str()));
        let mut default = message();
        default.channel = Channel::Voice;
        let opened = seal.open(&seal.seal(&default, true)).unwrap().unwrap();
        assert_eq!((opened.channel, opened.language.as_deref()), (Channel::Voice, None));
        assert_eq!(seal.open(&seal.seal(&message(), true)).unwrap().unwrap().channel, Channel::Sms);
    }

    #[test]
    fn a_sealed_text_shows_neither_number_nor_code_and_opens_again() {
        let key = OtpKey::random();
        let sealed = SmsSeal::new(&key).seal(&message(), true);
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("2065550100") && !text.contains("123456"), "{text}");
        let opened = SmsSeal::new(&key).open(&sealed).unwrap().unwrap();
        assert_eq!((opened.to.as_str(), opened.body.as_str()), (message().to.as_str(), message().body.as_str()));
        assert_ne!(SmsSeal::new(&key).seal(&message(), true), sealed, "a new nonce every time");
    }

    #[test]
    fn a_decoy_is_as_long_as_a_text_and_opens_to_nothing() {
        let seal = SmsSeal::new(&OtpKey::random());
        let decoy = seal.seal(&message(), false);
        assert_eq!(decoy.len(), seal.seal(&message(), true).len());
        assert!(matches!(seal.open(&decoy), Ok(None)));
    }

    #[test]
    fn another_key_or_a_changed_byte_opens_nothing() {
        let key = OtpKey::random();
        let mut sealed = SmsSeal::new(&key).seal(&message(), true);
        assert!(matches!(SmsSeal::new(&OtpKey::random()).open(&sealed), Err(Unopenable)));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(SmsSeal::new(&key).open(&sealed), Err(Unopenable)));
        assert!(matches!(SmsSeal::new(&key).open(&[1, 2, 3]), Err(Unopenable)));
    }
}
