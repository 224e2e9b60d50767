//! SMS gateways: where the reference backend's text messages (and voice calls: a message whose
//! channel is voice) go, once `sms_queue` has taken one from the queue. Failed deliveries are
//! retried with backoff on server errors and timeouts, then given up (and audited by the queue).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::mpsc;
use zeroize::{Zeroize, Zeroizing};

use crate::api_types::Channel;
use crate::config::{SecretError, ServerConfig, SmsConfig};
use crate::phone::mask_e164;

/// How often a delivery is tried, and the waits between tries.
const BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1500)];
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one text's delivery can take: every try timing out, and the waits between.
pub const MAX_DELIVERY: Duration = Duration::from_secs(REQUEST_TIMEOUT.as_secs() * (BACKOFF.len() as u64 + 1) + 2);

/// One message to send: a text, or what a call says (`channel`). The body holds the code: it
/// is zeroized once sent.
pub struct SmsMessage {
    pub to: String,
    pub body: String,
    pub channel: Channel,
    /// The language tag of the template the body came from (`None`: the default template); a
    /// call is spoken in it.
    pub language: Option<String>,
}

/// A message as the outbox writes it and the webhook receives it. `channel` and `language`
/// came later: a reader of the old lines takes a line without them as a text.
#[derive(Serialize)]
struct SentMessage<'a> {
    to: &'a str,
    body: &'a str,
    channel: Channel,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    sent_at: String,
}

impl SmsMessage {
    /// A text to `to`.
    pub fn text(to: String, body: String) -> Self {
        SmsMessage { to, body, channel: Channel::Sms, language: None }
    }

    /// The JSON of [`SentMessage`], stamped now. Holds the code: zeroize it after use.
    fn to_json(&self) -> Vec<u8> {
        let sent = SentMessage {
            to: &self.to,
            body: &self.body,
            channel: self.channel,
            language: self.language.as_deref(),
            sent_at: now_rfc3339(),
        };
        serde_json::to_vec(&sent).expect("strings serialize")
    }
}

/// Twilio's `<Say language>` for a template's tag: the tags that ship, with the region Twilio's
/// voices need; another tag as it is (Twilio falls back to English for one it doesn't know).
fn say_language(tag: Option<&str>) -> &str {
    match tag.unwrap_or("en") {
        "en" => "en-US",
        "es" => "es-ES",
        "fr" => "fr-FR",
        "de" => "de-DE",
        "pt-br" | "pt" => "pt-BR",
        "pl" => "pl-PL",
        "vi" => "vi-VN",
        "zh-cn" | "zh" => "cmn-CN",
        other => other,
    }
}

/// The TwiML of a call: `body` said once, in `language` (escaped: it is XML).
pub fn twiml(body: &str, language: Option<&str>) -> String {
    let mut said = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '&' => said.push_str("&amp;"),
            '<' => said.push_str("&lt;"),
            '>' => said.push_str("&gt;"),
            '"' => said.push_str("&quot;"),
            '\'' => said.push_str("&apos;"),
            c => said.push(c),
        }
    }
    let language = say_language(language);
    format!("<Response><Say language=\"{language}\">{said}</Say></Response>")
}

impl Drop for SmsMessage {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

/// A message as the demo phone shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveredSms {
    pub to_masked: String,
    pub body: String,
}

/// Where messages are delivered.
pub enum Gateway {
    /// Appends one JSON line per message to a file (the default; what tests read).
    Outbox(PathBuf),
    /// Hands messages to the demo kiosk's on-screen phone.
    Channel(mpsc::UnboundedSender<DeliveredSms>),
    /// Twilio's Messages API, and its Calls API for voice. `url` is the account's
    /// (`…/2010-04-01/Accounts/{Sid}`).
    Twilio { client: reqwest::Client, url: String, account_sid: String, from: String, auth_token: SecretString },
    /// A signed JSON POST to the store's own endpoint.
    Webhook { client: reqwest::Client, url: String, secret: SecretString },
}

/// Why a gateway can't be set up from its config.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("can't set up HTTP: {0}")]
    Http(#[source] reqwest::Error),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("outbox {}: {source}", path.display())]
    Outbox { path: PathBuf, source: std::io::Error },
    #[error("the demo phone is gone")]
    DemoPhoneGone,
    #[error("gateway answered {0}")]
    Refused(reqwest::StatusCode),
    #[error("gateway unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("a Twilio Messaging Service ({0}) can't place calls; set sms.from to a Twilio number")]
    NoCallerId(String),
}

impl DeliveryError {
    /// Whether another try may succeed.
    fn retryable(&self) -> bool {
        match self {
            DeliveryError::Outbox { .. } | DeliveryError::Unreachable(_) => true,
            DeliveryError::Refused(status) => status.is_server_error(),
            DeliveryError::DemoPhoneGone | DeliveryError::NoCallerId(_) => false,
        }
    }
}

/// A message given up on: the last try's error.
#[derive(Debug, thiserror::Error)]
#[error("{last} (after {tries} tries)")]
pub struct GaveUp {
    last: DeliveryError,
    tries: u32,
}

fn http_client() -> Result<reqwest::Client, GatewayError> {
    reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().map_err(GatewayError::Http)
}

/// Lower-case hex, for signatures.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The webhook signature: HMAC-SHA256 over `timestamp.body`, as `v1=<hex>`.
pub fn webhook_signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex(&mac.finalize().into_bytes()))
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

impl Gateway {
    /// The gateway a server config names (secrets are read here, once).
    pub fn from_config(config: &ServerConfig) -> Result<Self, GatewayError> {
        Ok(match &config.sms {
            SmsConfig::Outbox { .. } => Gateway::Outbox(config.outbox_path().expect("an outbox config has a path")),
            SmsConfig::Twilio { account_sid, from, auth_token, base_url } => Gateway::Twilio {
                client: http_client()?,
                url: format!("{}/2010-04-01/Accounts/{account_sid}", base_url.trim_end_matches('/')),
                account_sid: account_sid.clone(),
                from: from.clone(),
                auth_token: auth_token.read("sms.auth_token").map_err(GatewayError::Secret)?,
            },
            SmsConfig::Webhook { url, secret } => {
                let client = http_client()?;
                Gateway::Webhook {
                    client,
                    url: url.clone(),
                    secret: secret.read("sms.secret").map_err(GatewayError::Secret)?,
                }
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Gateway::Outbox(_) => "outbox",
            Gateway::Channel(_) => "demo",
            Gateway::Twilio { .. } => "twilio",
            Gateway::Webhook { .. } => "webhook",
        }
    }

    async fn deliver_once(&self, message: &SmsMessage) -> Result<(), DeliveryError> {
        match self {
            Gateway::Outbox(path) => {
                let mut text = Zeroizing::new(message.to_json());
                text.push(b'\n');
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut file| file.write_all(&text))
                    .map_err(|source| DeliveryError::Outbox { path: path.clone(), source })
            }
            Gateway::Channel(sender) => sender
                .send(DeliveredSms { to_masked: mask_e164(&message.to), body: message.body.clone() })
                .map_err(|_| DeliveryError::DemoPhoneGone),
            Gateway::Twilio { client, url, account_sid, from, auth_token } => {
                let request = match message.channel {
                    Channel::Sms => {
                        let sender = if from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
                        let form =
                            [("To", message.to.as_str()), (sender, from.as_str()), ("Body", message.body.as_str())];
                        client.post(format!("{url}/Messages.json")).form(&form)
                    }
                    // A call needs a caller id: a Messaging Service has none.
                    Channel::Voice if from.starts_with("MG") => return Err(DeliveryError::NoCallerId(from.clone())),
                    Channel::Voice => {
                        let said = Zeroizing::new(twiml(&message.body, message.language.as_deref()));
                        let form = [("To", message.to.as_str()), ("From", from.as_str()), ("Twiml", said.as_str())];
                        client.post(format!("{url}/Calls.json")).form(&form)
                    }
                };
                let request = request.basic_auth(account_sid, Some(auth_token.expose_secret()));
                check_response(request.send().await).await
            }
            Gateway::Webhook { client, url, secret } => {
                let body = Zeroizing::new(message.to_json());
                let timestamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let signature = webhook_signature(secret.expose_secret().as_bytes(), timestamp, &body);
                let request = client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("X-Shiftkey-Timestamp", timestamp.to_string())
                    .header("X-Shiftkey-Signature", signature)
                    .body(body.to_vec());
                check_response(request.send().await).await
            }
        }
    }

    /// Delivers with retries; returns the last error after the last try.
    pub async fn deliver(&self, message: &SmsMessage) -> Result<u32, GaveUp> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.deliver_once(message).await {
                Ok(()) => return Ok(tries),
                Err(err) if err.retryable() && (tries as usize) <= BACKOFF.len() => {
                    let (to, channel) = (mask_e164(&message.to), message.channel.name());
                    tracing::warn!(%to, channel, tries, error = %err, "sms delivery failed; retrying");
                    tokio::time::sleep(BACKOFF[tries as usize - 1]).await;
                }
                Err(last) => return Err(GaveUp { last, tries }),
            }
        }
    }
}

async fn check_response(result: reqwest::Result<reqwest::Response>) -> Result<(), DeliveryError> {
    match result {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(DeliveryError::Refused(response.status())),
        // Timeouts and refused connections may pass; try again.
        Err(err) => Err(DeliveryError::Unreachable(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twiml_says_the_body_escaped_in_the_templates_language() {
        assert_eq!(
            twiml("Code: 1, 2. <again> & \"x\"", Some("pt-br")),
            "<Response><Say language=\"pt-BR\">Code: 1, 2. &lt;again&gt; &amp; &quot;x&quot;</Say></Response>"
        );
        assert!(twiml("x", None).contains("language=\"en-US\""), "the default template is English");
    }

    #[test]
    fn an_outbox_line_carries_the_channel_and_the_language_as_fields_of_their_own() {
        let mut call = SmsMessage::text("+12065550100".into(), "1, 2".into());
        call.channel = Channel::Voice;
        call.language = Some("es".into());
        let line: serde_json::Value = serde_json::from_slice(&call.to_json()).unwrap();
        assert_eq!((line["channel"].as_str(), line["language"].as_str()), (Some("voice"), Some("es")));
        let text: serde_json::Value =
            serde_json::from_slice(&SmsMessage::text("+1".into(), "b".into()).to_json()).unwrap();
        assert_eq!(text["channel"], "sms");
        assert!(text.get("language").is_none());
    }

    #[test]
    fn webhook_signature_is_hmac_sha256_over_timestamp_and_body() {
        // Known answer: HMAC-SHA256("key", "1.{}") computed independently (Python hmac).
        let signature = webhook_signature(b"key", 1, b"{}");
        assert_eq!(signature, "v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224");
        assert_ne!(signature, webhook_signature(b"key", 2, b"{}"));
        assert_ne!(signature, webhook_signature(b"other", 1, b"{}"));
    }
}
