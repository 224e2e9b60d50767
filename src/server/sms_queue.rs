//! The SMS queue, in the database: a text is queued in the transaction that makes its code,
//! claimed by the replica queueing it, and handed to that replica's sender in memory once
//! committed — no round trip to the database before it leaves. It is sent exactly once while
//! replicas live, at least once when one dies mid-send: its claim runs out and another replica,
//! looking at the queue now and then, takes the text over. Sending is off the request path, so
//! sign-in latency says nothing about whether a number is registered.
//!
//! A queued text holds a code and a number, so it is sealed (AES-256-GCM under a key derived
//! from the code key, which is not in the database): a dump of the queue reveals neither.
//! Every send is audited with the replica that sent it.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::clock::{Clock, SystemClock};
use super::otp::OtpKey;
use super::sms::{Gateway, MAX_DELIVERY, SmsMessage};
use super::store::{Claim, QueuedSms, Store, StoreError};
use crate::api_types::Channel;
use crate::audit::AuditLog;
use crate::phone::mask_e164;

/// How many texts a sender takes on at once (handed to it, or claimed from the queue).
const AT_ONCE: usize = 32;
/// How long an idle sender waits once handed a text: the request that queued it is answered
/// first (the sending isn't on its thread at that moment, so its timing says nothing about the
/// number). Short, as every text waits it when the server is quiet: 10 ms made one client's
/// sign-ins 3 times slower (81 → 240 a second) and, at 2,000 a second, the p99 1.6 times longer.
/// A sender is idle when its last texts went out longer ago than this. A busy one (texts keep
/// coming) only yields once, so that the request that handed the text, ready on the same
/// thread, is answered first; waiting the whole time for each batch made 16 clients' sign-ins
/// 22 % slower on SQLite.
const GATHER: Duration = Duration::from_millis(2);
/// How often a sender on PostgreSQL looks at the queue for texts no replica holds: those of a
/// replica that died, or handed back. Its own new texts reach it in memory. On SQLite there is
/// no other replica: it looks when the claim of a process before it runs out, else never (idle
/// is idle).
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

/// A replica's way to its sender: the claim a text is queued with, and the hand-off once it is
/// committed.
#[derive(Clone)]
pub struct Outbox {
    replica: Arc<str>,
    claim_for: Duration,
    texts: mpsc::UnboundedSender<QueuedSms>,
}

impl Outbox {
    /// The claim a text queued now is born with: this replica's, for `sms_claim_timeout` from
    /// now by the wall clock (claims are between replicas, never on a test's clock).
    pub fn claim(&self) -> Claim<'_> {
        claim_from_now(&self.replica, self.claim_for)
    }

    /// Hands a committed text to the sender. Were the sender gone (the server stopping), the
    /// text stays in the queue, claimed, and goes out from whichever replica looks once its
    /// claim has run out.
    pub fn hand(&self, text: QueuedSms) {
        let _ = self.texts.send(text);
    }
}

fn claim_from_now(replica: &str, claim_for: Duration) -> Claim<'_> {
    Claim { replica, until: SystemClock.now_ms() + claim_for.as_millis() as i64 }
}

/// Starts the sending task; queue texts with the returned outbox's claim, and hand them to it
/// once committed.
pub fn spawn(sender: Sender) -> Outbox {
    let (texts, handed) = mpsc::unbounded_channel();
    let outbox = Outbox { replica: sender.replica.as_str().into(), claim_for: sender.claim_for, texts };
    tokio::spawn(sender.run(handed));
    outbox
}

impl Sender {
    /// Sends what it is handed as it comes, and what the queue holds that no replica does when
    /// a look is due; ends when every outbox is gone.
    async fn run(self, mut handed: mpsc::UnboundedReceiver<QueuedSms>) {
        // At once: the queue may hold texts an earlier process left.
        let mut look_at = Some(Instant::now());
        let mut batch = Vec::with_capacity(AT_ONCE);
        let mut unfinished = Unfinished::default();
        let mut last_sent: Option<Instant> = None;
        loop {
            // Texts handed back, or an update that failed (the texts it named are still this
            // replica's until their claim runs out): a look at the queue, now.
            if std::mem::take(&mut unfinished.look_soon) {
                look_at = Some(Instant::now());
            }
            if look_at.is_some_and(|at| at <= Instant::now()) {
                // Texts handed back are in the queue once their update is done.
                unfinished.wait().await;
                unfinished.look_soon = false;
                match self.claim().await {
                    // There may be more: look again at once.
                    Ok(claimed) if !claimed.is_empty() => {
                        self.send(claimed, &mut unfinished).await;
                        self.finish_if(&mut unfinished, handed.is_empty()).await;
                        continue;
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, "can't claim texts from the queue; retrying"),
                }
                look_at = self.next_look().await.map(|after| Instant::now() + after);
            }
            let waiting = !handed.is_empty();
            let look = async {
                match look_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let first = tokio::select! {
                text = handed.recv() => text,
                () = look => continue,
                () = unfinished.finished() => continue,
            };
            let Some(first) = first else { return };
            let quiet = last_sent.is_none_or(|at| at.elapsed() >= GATHER);
            if !waiting && quiet {
                tokio::time::sleep(GATHER).await;
            } else {
                tokio::task::yield_now().await;
            }
            batch.push(first);
            while batch.len() < AT_ONCE {
                match handed.try_recv() {
                    Ok(text) => batch.push(text),
                    Err(_) => break,
                }
            }
            self.send(std::mem::take(&mut batch), &mut unfinished).await;
            last_sent = Some(Instant::now());
            self.finish_if(&mut unfinished, handed.is_empty()).await;
        }
    }

    /// How long until the next look at the queue: `POLL_EVERY` on PostgreSQL; on SQLite until
    /// a claim left there runs out, or never.
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

    async fn claim(&self) -> Result<Vec<QueuedSms>, StoreError> {
        let claim = claim_from_now(&self.replica, self.claim_for);
        let mut db = self.store.connection().await?;
        db.claim_sms(claim, SystemClock.now_ms(), AT_ONCE as u32).await
    }

    /// Sends texts one after another; one that could no longer be sent well within its claim
    /// (so that no other replica takes it meanwhile) is handed back.
    async fn send(&self, texts: Vec<QueuedSms>, unfinished: &mut Unfinished) {
        let margin = MAX_DELIVERY.min(self.claim_for / 2).as_millis() as i64;
        for text in texts {
            if SystemClock.now_ms() + margin > text.claimed_until {
                unfinished.handed_back.push(text.id);
                continue;
            }
            self.send_one(&text.sealed).await;
            unfinished.done.push(text.id);
        }
    }

    /// Takes the sent texts off the queue and hands back the others, once `AT_ONCE` are sent or
    /// no more are waiting (`idle`): one statement for many, a commit fewer a text. A replica
    /// dying before that has them sent again by another (at least once, never lost). It runs
    /// while the next texts go out (its commit is off their way), after the one before it.
    async fn finish_if(&self, unfinished: &mut Unfinished, idle: bool) {
        if unfinished.done.len() + unfinished.handed_back.len() < AT_ONCE && !idle {
            return;
        }
        unfinished.wait().await;
        let (done, handed_back) = (std::mem::take(&mut unfinished.done), std::mem::take(&mut unfinished.handed_back));
        let (store, replica) = (self.store.clone(), self.replica.clone());
        unfinished.finishing = Some(tokio::spawn(async move {
            if let Err(err) = finish(&store, &replica, &done, &handed_back).await {
                tracing::warn!(%err, "can't update the queue after sending; its texts may be sent again");
                return true;
            }
            !handed_back.is_empty()
        }));
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
}

/// Texts sent or handed back whose queue rows are still to update, the update under way, and
/// whether the queue needs a look once it is done (texts handed back, or the update failed).
#[derive(Default)]
struct Unfinished {
    done: Vec<i64>,
    handed_back: Vec<i64>,
    finishing: Option<JoinHandle<bool>>,
    look_soon: bool,
}

impl Unfinished {
    /// Ends when the update under way does (never, with none under way).
    async fn finished(&mut self) {
        let Some(task) = self.finishing.as_mut() else { return std::future::pending().await };
        self.look_soon |= task.await.unwrap_or(true);
        self.finishing = None;
    }

    /// Waits for the update under way, if any.
    async fn wait(&mut self) {
        if self.finishing.is_some() {
            self.finished().await;
        }
    }
}

/// Hands back what wasn't tried, then forgets what was.
async fn finish(store: &Store, replica: &str, done: &[i64], handed_back: &[i64]) -> Result<(), StoreError> {
    let mut db = store.connection().await?;
    db.release_sms(replica, handed_back).await?;
    db.forget_sms(replica, done).await
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
