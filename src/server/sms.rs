//! SMS gateways: where the reference backend's text messages go.
//!
//! Messages are queued and sent by a background task, off the request path, so that sign-in
//! latency says nothing about whether a number is registered.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use tokio::sync::mpsc;
use zeroize::Zeroize;

use crate::phone::mask_e164;
use crate::secret::OtpCode;

/// The template text (from `assets/`): `{code}`, `{minutes}` and `{host}` are filled in.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../assets/sms-template.txt");
/// The SMS Retriever / origin-bound code limit.
pub const MAX_MESSAGE_BYTES: usize = 140;

/// One text message to send. The body holds the code: it is zeroized once sent.
pub struct SmsMessage {
    pub to: String,
    pub body: String,
}

impl Drop for SmsMessage {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

/// Builds the message text; the last line is the origin-bound `@host #code`.
pub fn render_message(template: &str, code: &OtpCode, minutes: u64, host: &str) -> String {
    let body = template
        .trim_end()
        .replace("{code}", code.expose())
        .replace("{minutes}", &minutes.to_string())
        .replace("{host}", host);
    format!("{body}\n\n@{host} #{}", code.expose())
}

/// Where messages are delivered.
pub enum Gateway {
    /// Appends one JSON line per message to a file (the default; what tests read).
    Outbox(PathBuf),
    /// Hands messages to the demo kiosk's on-screen phone.
    Channel(mpsc::UnboundedSender<DeliveredSms>),
}

/// A message as the demo phone shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveredSms {
    pub to_masked: String,
    pub body: String,
}

#[derive(Serialize)]
struct OutboxLine<'a> {
    to: &'a str,
    body: &'a str,
    sent_at: String,
}

impl Gateway {
    fn deliver(&self, message: &SmsMessage) -> Result<(), String> {
        match self {
            Gateway::Outbox(path) => {
                let line = OutboxLine {
                    to: &message.to,
                    body: &message.body,
                    sent_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
                };
                let mut text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
                text.push('\n');
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("can't open outbox {}: {e}", path.display()))?;
                let result = file.write_all(text.as_bytes()).map_err(|e| e.to_string());
                text.zeroize();
                result
            }
            Gateway::Channel(sender) => sender
                .send(DeliveredSms { to_masked: mask_e164(&message.to), body: message.body.clone() })
                .map_err(|_| "the demo phone is gone".to_string()),
        }
    }
}

/// Starts the sending task and returns the queue that feeds it.
pub fn spawn_sender(gateway: Gateway) -> mpsc::UnboundedSender<SmsMessage> {
    let (queue, mut messages) = mpsc::unbounded_channel::<SmsMessage>();
    tokio::spawn(async move {
        while let Some(message) = messages.recv().await {
            match gateway.deliver(&message) {
                Ok(()) => tracing::info!(to = %mask_e164(&message.to), "sms sent"),
                Err(err) => tracing::warn!(to = %mask_e164(&message.to), %err, "sms not sent"),
            }
        }
    });
    queue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ends_with_origin_bound_line_and_fits() {
        let text = render_message(DEFAULT_TEMPLATE, &OtpCode::new("123456"), 5, "shiftkey.local");
        assert!(text.ends_with("\n@shiftkey.local #123456"), "{text}");
        assert!(text.contains("123456"));
        assert!(text.len() <= MAX_MESSAGE_BYTES, "{} bytes: {text}", text.len());
    }
}
