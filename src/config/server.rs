//! The reference backend's configuration (`serve --config`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::database::Database;
use super::sms_template::TemplateError;
use super::{ConfigFile, HumanDuration};

/// Codes may never live longer than this, whatever the config says.
pub const MAX_CODE_LIFETIME: Duration = Duration::from_secs(600);
/// The longest `sms_host`: the templates shipped fit 140 bytes with it.
pub const MAX_SMS_HOST_BYTES: usize = 40;

/// A secret taken from a file or an environment variable — never from argv.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    pub file: Option<PathBuf>,
    pub env: Option<String>,
}

/// Why a gateway secret can't be read; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{key}: can't read {path}: {source}")]
    Read { key: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{key}: environment variable {var} is not set")]
    NotSet { key: &'static str, var: String },
    #[error("{key}: give exactly one of file = \"PATH\" or env = \"VARIABLE\"")]
    NotOnePlace { key: &'static str },
    #[error("{key} is empty")]
    Empty { key: &'static str },
}

impl SecretSource {
    /// Reads the secret; `key` names it in errors ("sms.auth_token").
    pub fn read(&self, key: &'static str) -> Result<secrecy::SecretString, SecretError> {
        let value = match (&self.file, &self.env) {
            (Some(path), None) => {
                let text = std::fs::read_to_string(path);
                let text = text.map_err(|source| SecretError::Read { key, path: path.clone(), source })?;
                // The whole file is the secret: wiped, not only dropped, once trimmed.
                zeroize::Zeroizing::new(text).trim().to_string()
            }
            (None, Some(var)) => std::env::var(var).map_err(|_| SecretError::NotSet { key, var: var.clone() })?,
            _ => return Err(SecretError::NotOnePlace { key }),
        };
        if value.is_empty() {
            return Err(SecretError::Empty { key });
        }
        Ok(value.into())
    }
}

/// Which SMS gateway the reference backend sends codes through.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum SmsConfig {
    /// Appends JSON lines to a file (the default; what tests and the demo read).
    Outbox { path: Option<PathBuf> },
    /// Twilio's Messages API: form POST with basic auth.
    Twilio {
        account_sid: String,
        /// Sender number (E.164) or messaging service SID (`MG…`).
        from: String,
        auth_token: SecretSource,
        #[serde(default = "twilio_api_url")]
        base_url: String,
    },
    /// A JSON POST signed with HMAC-SHA256 over `timestamp.body`.
    Webhook { url: String, secret: SecretSource },
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig::Outbox { path: None }
    }
}

/// Twilio's `base_url` default: a field of an enum variant can't take it from an `impl Default`.
fn twilio_api_url() -> String {
    "https://api.twilio.com".into()
}

/// Caps on code sends per rolling hour, answered with 429 and `Retry-After`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Off only in a benchmark config, and said so at start.
    pub enabled: bool,
    pub per_phone_per_hour: u32,
    pub per_client_per_hour: u32,
    pub per_server_per_hour: u32,
    pub failures_per_user_per_hour: u32,
    pub sends_per_challenge: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_forwarded_for: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            enabled: true,
            per_phone_per_hour: 10,
            per_client_per_hour: 50,
            per_server_per_hour: 1000,
            failures_per_user_per_hour: 20,
            sends_per_challenge: 5,
            trust_forwarded_for: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// A SQLite file, or a `postgres://` URL (README: "Several replicas on PostgreSQL").
    pub db: Database,
    /// PostgreSQL's password, from a file or an environment variable (else libpq's PGPASSWORD
    /// or ~/.pgpass, or none).
    pub db_password: Option<SecretSource>,
    /// The HMAC key for codes; kept outside the database. Default: the db path + ".key"
    /// (SQLite); with PostgreSQL every replica names the same key, so it must be given.
    pub key_file: Option<PathBuf>,
    pub code_lifetime: HumanDuration,
    /// Wrong codes that kill a challenge.
    pub max_attempts: u32,
    pub resend_cooldown: HumanDuration,
    pub token_lifetime: HumanDuration,
    /// The host named in the origin-bound last line of the SMS (`@host #123456`).
    pub sms_host: String,
    /// A message template file; default `assets/sms-template.txt`. Its language versions are
    /// the files beside it named `<stem>.<lang>.<ext>` (`sms-template.es.txt`).
    pub sms_template: Option<PathBuf>,
    /// What a voice call says (`{code}`, read digit by digit); default
    /// `assets/voice-template.txt`, language versions beside it as for `sms_template`.
    pub voice_template: Option<PathBuf>,
    pub sms: SmsConfig,
    pub limits: RateLimits,
    /// Where admin commands and delivery failures are audited; default the db path + ".audit.jsonl".
    pub audit_log: Option<PathBuf>,
    /// Threads serving requests. Every request waits for the one SQLite writer, so one thread
    /// is fastest: more only contend for it (BENCHMARKS.md, measure 8).
    pub workers: usize,
    /// How often what no rule needs any more is deleted: used and long-expired challenges,
    /// revoked and expired tokens, old cap events. Keeps the database's size bounded.
    pub prune_interval: HumanDuration,
    /// This replica's name in the SMS queue's claims and audit records; default host:pid.
    pub replica: Option<String>,
    /// How long a replica holds the texts it took from the queue before another may send them
    /// (it died mid-send): longer than the slowest delivery, retries included (32 s).
    pub sms_claim_timeout: HumanDuration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            db: Database::default(),
            db_password: None,
            key_file: None,
            code_lifetime: HumanDuration::from_secs(5 * 60),
            max_attempts: 5,
            resend_cooldown: HumanDuration::from_secs(30),
            token_lifetime: HumanDuration::from_secs(12 * 3600),
            sms_host: "shiftkey.local".into(),
            sms_template: None,
            voice_template: None,
            sms: SmsConfig::default(),
            limits: RateLimits::default(),
            audit_log: None,
            workers: 1,
            prune_interval: HumanDuration::from_secs(600),
            replica: None,
            sms_claim_timeout: HumanDuration::from_secs(60),
        }
    }
}

/// What [`ServerConfig::validate`] refuses; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidServerConfig {
    #[error("code_lifetime {} is out of range: use 30s to 10m (default {})", .0, ServerConfig::default().code_lifetime)]
    CodeLifetime(HumanDuration),
    #[error("max_attempts = {} is out of range: use 1 to 10 (default {})", .0, ServerConfig::default().max_attempts)]
    MaxAttempts(u32),
    #[error("token_lifetime {} is too short: use at least 1m (default {})", .0, ServerConfig::default().token_lifetime)]
    TokenLifetime(HumanDuration),
    #[error("sms_host {0:?} must be a host name without spaces, at most 40 bytes")]
    SmsHost(String),
    #[error("workers = {} is out of range: use 1 to 64 (default {})", .0, ServerConfig::default().workers)]
    Workers(usize),
    #[error("prune_interval {} is out of range: use 1s to 1d (default {})", .0, ServerConfig::default().prune_interval)]
    PruneInterval(HumanDuration),
    #[error("limits.{key} must be at least 1")]
    ZeroLimit { key: &'static str },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("sms.account_sid {0:?} should start with AC")]
    AccountSid(String),
    #[error("sms.from is empty: give the sender number or messaging service SID")]
    EmptyFrom,
    #[error("{key} {url:?} is not an http(s) URL")]
    NotHttpUrl { key: &'static str, url: String },
    #[error(
        "{key} must be given with a PostgreSQL db: there is no database file to put it beside \
         (every replica names the same {what})"
    )]
    NeedsPath { key: &'static str, what: &'static str },
    #[error("db_password is for a PostgreSQL db; a SQLite file has none")]
    PasswordWithoutPostgres,
    #[error("sms_claim_timeout {0} is too short: use at least 1s (default 60s)")]
    ClaimTimeout(HumanDuration),
    #[error("replica {0:?} must be a name of 1 to 64 characters without spaces")]
    Replica(String),
}

impl ConfigFile for ServerConfig {
    type Invalid = InvalidServerConfig;

    fn validate(&self) -> Result<(), InvalidServerConfig> {
        use InvalidServerConfig as Invalid;
        if self.code_lifetime.0 > MAX_CODE_LIFETIME || self.code_lifetime.0 < Duration::from_secs(30) {
            return Err(Invalid::CodeLifetime(self.code_lifetime));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(Invalid::MaxAttempts(self.max_attempts));
        }
        if self.token_lifetime.0 < Duration::from_secs(60) {
            return Err(Invalid::TokenLifetime(self.token_lifetime));
        }
        if self.sms_host.is_empty()
            || self.sms_host.contains(char::is_whitespace)
            || self.sms_host.len() > MAX_SMS_HOST_BYTES
        {
            return Err(Invalid::SmsHost(self.sms_host.clone()));
        }
        if !(1..=64).contains(&self.workers) {
            return Err(Invalid::Workers(self.workers));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&self.prune_interval.0) {
            return Err(Invalid::PruneInterval(self.prune_interval));
        }
        let limits = &self.limits;
        for (key, value) in [
            ("sends_per_challenge", limits.sends_per_challenge),
            ("failures_per_user_per_hour", limits.failures_per_user_per_hour),
        ] {
            if value == 0 {
                return Err(Invalid::ZeroLimit { key });
            }
        }
        self.templates()?;
        self.voice_templates()?;
        if self.sms_claim_timeout.0 < Duration::from_secs(1) {
            return Err(Invalid::ClaimTimeout(self.sms_claim_timeout));
        }
        if let Some(name) = &self.replica
            && (name.is_empty() || name.chars().count() > 64 || name.contains(char::is_whitespace))
        {
            return Err(Invalid::Replica(name.clone()));
        }
        if self.db.is_postgres() {
            if self.key_file.is_none() {
                return Err(Invalid::NeedsPath {
                    key: "key_file",
                    what: "key file, or codes sent by one fail on another",
                });
            }
            if self.audit_log.is_none() {
                return Err(Invalid::NeedsPath { key: "audit_log", what: "audit log (or one each)" });
            }
        } else if self.db_password.is_some() {
            return Err(Invalid::PasswordWithoutPostgres);
        }
        match &self.sms {
            SmsConfig::Twilio { account_sid, from, base_url, .. } => {
                if !account_sid.starts_with("AC") {
                    return Err(Invalid::AccountSid(account_sid.clone()));
                }
                if from.is_empty() {
                    return Err(Invalid::EmptyFrom);
                }
                check_url("sms.base_url", base_url)
            }
            SmsConfig::Webhook { url, .. } => check_url("sms.url", url),
            SmsConfig::Outbox { .. } => Ok(()),
        }
    }
}

fn check_url(key: &'static str, url: &str) -> Result<(), InvalidServerConfig> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err(InvalidServerConfig::NotHttpUrl { key, url: url.into() }),
    }
}

impl ServerConfig {
    pub fn key_file(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| suffixed(self.beside(), ".key"))
    }

    pub fn audit_path(&self) -> PathBuf {
        self.audit_log.clone().unwrap_or_else(|| suffixed(self.beside(), ".audit.jsonl"))
    }

    /// The outbox file, when the outbox gateway is used: configured, else next to the database.
    pub fn outbox_path(&self) -> Option<PathBuf> {
        match &self.sms {
            SmsConfig::Outbox { path } => {
                Some(path.clone().unwrap_or_else(|| self.beside().with_extension("outbox.jsonl")))
            }
            _ => None,
        }
    }

    /// What default paths are named after: the SQLite file; with PostgreSQL, `shiftkey.db` in
    /// the working directory (only the outbox falls back to it: `validate` wants the key file
    /// and the audit log named).
    fn beside(&self) -> &Path {
        self.db.sqlite_path().unwrap_or(Path::new("shiftkey.db"))
    }
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::super::sms_template::{DEFAULT_SMS_TEMPLATE, MAX_MESSAGE_BYTES, render_message};
    use super::*;
    use crate::secret::OtpCode;

    fn server(text: &str) -> Result<ServerConfig, String> {
        ServerConfig::from_toml(text, Path::new("s.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn code_lifetime_is_capped_at_ten_minutes() {
        assert!(server("code_lifetime = \"11m\"").unwrap_err().contains("30s to 10m"));
        assert_eq!(server("code_lifetime = \"10m\"").unwrap().code_lifetime.0, MAX_CODE_LIFETIME);
    }

    #[test]
    fn workers_default_to_one_and_stay_in_range() {
        assert_eq!(ServerConfig::default().workers, 1);
        assert!(server("workers = 0").unwrap_err().contains("workers = 0 is out of range: use 1 to 64 (default 1)"));
        assert_eq!(server("workers = 4").unwrap().workers, 4);
    }

    #[test]
    fn the_prune_interval_is_a_second_to_a_day() {
        assert_eq!(ServerConfig::default().prune_interval.0, Duration::from_secs(600));
        let err = server("prune_interval = \"0s\"").unwrap_err();
        assert!(err.contains("prune_interval 0s is out of range: use 1s to 1d (default 10m)"), "{err}");
        assert!(server("prune_interval = \"2d\"").is_err());
        assert_eq!(server("prune_interval = \"1s\"").unwrap().prune_interval.0, Duration::from_secs(1));
    }

    #[test]
    fn defaults_hold_the_security_requirements() {
        let c = ServerConfig::default();
        c.validate().expect("the defaults are valid");
        assert_eq!(c.code_lifetime.0, Duration::from_secs(300));
        assert_eq!(c.max_attempts, 5);
        assert_eq!(c.resend_cooldown.0, Duration::from_secs(30));
        assert_eq!(c.token_lifetime.0, Duration::from_secs(43200));
        assert_eq!(c.limits.sends_per_challenge, 5);
        assert_eq!(c.limits.failures_per_user_per_hour, 20);
        assert!(c.limits.enabled);
    }

    #[test]
    fn a_template_that_can_exceed_140_bytes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "x".repeat(110) + " {code}").unwrap();
        let err = server(&format!("sms_template = {path:?}")).unwrap_err();
        assert!(err.contains("limit is 140 bytes"), "{err}");
        std::fs::write(&path, "Code {code} for {host}").unwrap();
        assert!(server(&format!("sms_template = {path:?}")).is_ok());
    }

    #[test]
    fn message_ends_with_origin_bound_line_and_fits() {
        let text = render_message(DEFAULT_SMS_TEMPLATE, &OtpCode::new("123456"), 5, "shiftkey.local");
        assert!(text.ends_with("\n@shiftkey.local #123456"), "{text}");
        assert!(text.len() <= MAX_MESSAGE_BYTES, "{} bytes: {text}", text.len());
    }

    #[test]
    fn gateway_settings_are_checked() {
        let twilio =
            "[sms]\nkind = \"twilio\"\naccount_sid = \"XX1\"\nfrom = \"+12065550100\"\nauth_token = { env = \"T\" }\n";
        assert!(server(twilio).unwrap_err().contains("should start with AC"));
        assert!(
            server("[sms]\nkind = \"webhook\"\nurl = \"nope\"\nsecret = { env = \"S\" }\n")
                .unwrap_err()
                .contains("not an http(s) URL")
        );
        assert!(server("[sms]\nkind = \"carrier-pigeon\"\n").unwrap_err().contains("unknown variant"));
    }

    #[test]
    fn a_postgres_db_needs_its_key_file_and_audit_log_named() {
        let url = "db = \"postgres://shiftkey@db.internal/shiftkey\"\n";
        assert!(server(url).unwrap_err().contains("key_file must be given with a PostgreSQL db"));
        let with_key = format!("{url}key_file = \"/etc/shiftkey/server.key\"\n");
        assert!(server(&with_key).unwrap_err().contains("audit_log must be given"));
        let config = server(&format!("{with_key}audit_log = \"/var/log/shiftkey.jsonl\"\n")).unwrap();
        assert!(config.db.is_postgres());
        assert!(
            server("db_password = { env = \"PGPASS\" }").unwrap_err().contains("db_password is for a PostgreSQL db")
        );
        assert!(server("db = \"postgres://u:pw@h/d\"").unwrap_err().contains("keep it out of the URL"));
    }

    #[test]
    fn the_sms_claim_and_the_replica_name_are_checked() {
        assert!(server("sms_claim_timeout = \"0s\"").unwrap_err().contains("at least 1s"));
        assert!(server("replica = \"two words\"").unwrap_err().contains("without spaces"));
        assert_eq!(server("replica = \"backend-1\"").unwrap().replica.as_deref(), Some("backend-1"));
    }

    #[test]
    fn secrets_come_from_exactly_one_place() {
        let both = SecretSource { file: Some("/x".into()), env: Some("Y".into()) };
        assert!(both.read("token").unwrap_err().to_string().contains("exactly one"));
        let missing = SecretSource { file: None, env: Some("SHIFTKEY_TEST_SURELY_UNSET".into()) };
        let err = missing.read("token").unwrap_err();
        assert_eq!(err.to_string(), "token: environment variable SHIFTKEY_TEST_SURELY_UNSET is not set");
    }
}
