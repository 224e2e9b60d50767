//! The kiosk's configuration (`kiosk.toml`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::{BrandingConfig, ConfigError, ConfigFile, HumanDuration, InvalidBranding, SecretSource};
use crate::locale::Language;
use crate::phone;

/// Which identity provider the kiosk signs people in against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Shiftkey,
    Auth0,
    Supabase,
    Cognito,
    Kratos,
    Privacyidea,
}

impl BackendKind {
    pub const ALL: [BackendKind; 6] = [
        BackendKind::Shiftkey,
        BackendKind::Auth0,
        BackendKind::Supabase,
        BackendKind::Cognito,
        BackendKind::Kratos,
        BackendKind::Privacyidea,
    ];

    /// The name config gives it (`kind = "auth0"`).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Shiftkey => "shiftkey",
            BackendKind::Auth0 => "auth0",
            BackendKind::Supabase => "supabase",
            BackendKind::Cognito => "cognito",
            BackendKind::Kratos => "kratos",
            BackendKind::Privacyidea => "privacyidea",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Auth0's two SMS flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth0Flow {
    /// `/otp/challenge` → `auth_session`: the same answer for every number (enumeration-safe).
    OtpChallenge,
    /// `/passwordless/start` on an `sms` connection (the classic flow).
    Passwordless,
}

/// The lengths `backend.pass_length` may have (`InvalidBackend::PassLength` says them): a pass
/// one can read out, that fits the field.
pub const PASS_LENGTHS: std::ops::RangeInclusive<usize> = 6..=32;

/// The identity provider the kiosk signs people in against. Every kind takes `url`, `timeout`
/// and `ca_file`; the other keys belong to some kinds only (`BackendConfig::check`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    pub kind: BackendKind,
    pub url: String,
    /// Each request to the provider.
    pub timeout: HumanDuration,
    /// An extra CA (PEM) to trust, for an on-premises provider.
    pub ca_file: Option<PathBuf>,
    /// The code's length where the provider doesn't say (4-10); unset, the provider's usual
    /// length (6; Cognito's 8).
    pub code_length: Option<usize>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretSource>,
    pub flow: Auth0Flow,
    pub connection: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
    /// The claim (Auth0, Supabase's `app_metadata`, Kratos's `metadata_public`) holding roles.
    pub roles_claim: Option<String>,
    /// Supabase's anon key (sent as `apikey`).
    pub api_key: Option<SecretSource>,
    pub user_pool_id: Option<String>,
    pub realm: Option<String>,
    /// privacyIDEA: the user-store attribute holding roles.
    pub roles_attribute: Option<String>,
    /// privacyIDEA: a service account's token, to trigger challenges without `otppin=none`.
    pub service_token: Option<SecretSource>,
    /// privacyIDEA: the server's public key (PEM): every response's signature is checked.
    pub public_key: Option<PathBuf>,
    /// privacyIDEA: the length of its registration codes (the temporary access passes), as its
    /// `registration.length` enrollment policy sets it; unset, privacyIDEA's default (24).
    pub pass_length: Option<usize>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            kind: BackendKind::Shiftkey,
            url: "http://127.0.0.1:8787".into(),
            timeout: HumanDuration(std::time::Duration::from_secs(10)),
            ca_file: None,
            code_length: None,
            client_id: None,
            client_secret: None,
            flow: Auth0Flow::OtpChallenge,
            connection: None,
            audience: None,
            scope: None,
            roles_claim: None,
            api_key: None,
            user_pool_id: None,
            realm: None,
            roles_attribute: None,
            service_token: None,
            public_key: None,
            pass_length: None,
        }
    }
}

/// A `[backend]` key that doesn't fit the kind.
#[derive(Debug, thiserror::Error)]
pub enum InvalidBackend {
    #[error("backend.{key} is required for kind = \"{kind}\"")]
    Missing { kind: BackendKind, key: &'static str },
    #[error("backend.{key} is not a key of kind = \"{kind}\" (its keys: {keys})")]
    NotForKind { kind: BackendKind, key: &'static str, keys: String },
    #[error("backend.code_length must be 4 to 10, not {0}")]
    CodeLength(usize),
    #[error("backend.pass_length must be 6 to 32, not {0}")]
    PassLength(usize),
    #[error("backend.timeout must be between 1s and 60s, not {0}")]
    Timeout(HumanDuration),
}

impl BackendConfig {
    /// The keys each kind takes besides `url`, `timeout`, `ca_file` and `code_length`, and the
    /// ones it requires.
    fn keys(kind: BackendKind) -> (&'static [&'static str], &'static [&'static str]) {
        match kind {
            BackendKind::Shiftkey => (&[], &[]),
            BackendKind::Auth0 => {
                (&["client_id", "flow", "connection", "audience", "scope", "roles_claim"], &["client_id"])
            }
            BackendKind::Supabase => (&["api_key", "roles_claim"], &["api_key"]),
            BackendKind::Cognito => (&["client_id", "client_secret", "user_pool_id"], &["client_id", "user_pool_id"]),
            BackendKind::Kratos => (&["roles_claim"], &[]),
            BackendKind::Privacyidea => {
                (&["realm", "roles_attribute", "service_token", "public_key", "pass_length"], &["realm"])
            }
        }
    }

    /// The optional keys that are set, by name.
    fn set_keys(&self) -> Vec<&'static str> {
        let defaults = BackendConfig::default();
        [
            ("client_id", self.client_id.is_some()),
            ("client_secret", self.client_secret.is_some()),
            ("flow", self.flow != defaults.flow),
            ("connection", self.connection.is_some()),
            ("audience", self.audience.is_some()),
            ("scope", self.scope.is_some()),
            ("roles_claim", self.roles_claim.is_some()),
            ("api_key", self.api_key.is_some()),
            ("user_pool_id", self.user_pool_id.is_some()),
            ("realm", self.realm.is_some()),
            ("roles_attribute", self.roles_attribute.is_some()),
            ("service_token", self.service_token.is_some()),
            ("public_key", self.public_key.is_some()),
            ("pass_length", self.pass_length.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }

    /// The code length config gives, else the provider's own.
    pub fn code_length_or(&self, provider_default: usize) -> usize {
        self.code_length.unwrap_or(provider_default)
    }

    /// Each key fits the kind, the kind's required keys are there, the numbers are in range.
    pub fn check(&self) -> Result<(), InvalidBackend> {
        if let Some(length) = self.code_length.filter(|length| !(4..=10).contains(length)) {
            return Err(InvalidBackend::CodeLength(length));
        }
        if let Some(length) = self.pass_length.filter(|length| !PASS_LENGTHS.contains(length)) {
            return Err(InvalidBackend::PassLength(length));
        }
        if !(1..=60).contains(&self.timeout.0.as_secs()) {
            return Err(InvalidBackend::Timeout(self.timeout));
        }
        let (allowed, required) = Self::keys(self.kind);
        if let Some(key) = self.set_keys().into_iter().find(|key| !allowed.contains(key)) {
            let keys = ["url", "timeout", "ca_file", "code_length"].iter().chain(allowed).copied().collect::<Vec<_>>();
            return Err(InvalidBackend::NotForKind { kind: self.kind, key, keys: keys.join(", ") });
        }
        let set = self.set_keys();
        if let Some(key) = required.iter().find(|key| !set.contains(key)) {
            return Err(InvalidBackend::Missing { kind: self.kind, key });
        }
        Ok(())
    }
}

/// How the session is isolated from the rest of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    Auto,
    Bwrap,
    None,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    pub command: Vec<String>,
    pub run_as: Option<String>,
    /// Sign-out after this long without a key press (Managed Home Screen's default: 300 s) ...
    pub idle_timeout: HumanDuration,
    /// ... with an "Are you still there?" countdown for the last `idle_warning` of it.
    pub idle_warning: HumanDuration,
    pub max_duration: HumanDuration,
    pub sandbox: SandboxMode,
    /// `PATH` given to the session (the only variable taken from config, not the kiosk's env).
    pub path: String,
    /// How long processes get between SIGTERM and SIGKILL at sign-out.
    pub kill_grace: HumanDuration,
    /// How long sign-out waits for the backend to revoke the token.
    pub revoke_timeout: HumanDuration,
    /// How often a running session asks the backend whether its token still holds (a worker
    /// removed by their organisation is signed out within this).
    pub recheck: HumanDuration,
    /// Wrong PINs at the step-away lock before the worker is signed out.
    pub pin_attempts: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            command: vec!["/bin/bash".into(), "-l".into()],
            run_as: None,
            idle_timeout: HumanDuration::from_secs(5 * 60),
            idle_warning: HumanDuration::from_secs(60),
            max_duration: HumanDuration::from_secs(12 * 3600),
            sandbox: SandboxMode::Auto,
            path: "/usr/local/bin:/usr/bin:/bin".into(),
            kill_grace: HumanDuration::from_secs(3),
            revoke_timeout: HumanDuration::from_secs(3),
            recheck: HumanDuration::from_secs(60),
            pin_attempts: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeysConfig {
    pub sign_out: FunctionKey,
    pub manager: FunctionKey,
    /// Opens the language list on the sign-in screen.
    pub language: FunctionKey,
    /// In a session: lock it behind a PIN the worker chooses, to step away.
    pub lock: FunctionKey,
}

impl Default for KeysConfig {
    fn default() -> Self {
        Self { sign_out: FunctionKey(12), manager: FunctionKey(9), language: FunctionKey(2), lock: FunctionKey(11) }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagerConfig {
    pub roles: Vec<String>,
    /// The manager screens close (and the manager's token is revoked) after this long idle.
    pub menu_timeout: HumanDuration,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self { roles: vec!["kiosk-manager".into()], menu_timeout: HumanDuration::from_secs(60) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlConfig {
    /// Default: [`default_control_socket`].
    pub socket: Option<PathBuf>,
    /// Groups whose members may use the control socket (besides root and the kiosk's user).
    pub allowed_groups: Vec<String>,
    /// The group owning the socket and its directory (0660 / 0750); default the first
    /// allowed group, else the kiosk's own group.
    pub socket_group: Option<String>,
}

/// A function key named in config ("F12").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionKey(pub u8);

impl<'de> Deserialize<'de> for FunctionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim()
            .strip_prefix(['F', 'f'])
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=12).contains(n))
            .map(FunctionKey)
            .ok_or_else(|| serde::de::Error::custom(format!("bad key {text:?}: use a function key F1 to F12")))
    }
}

impl fmt::Display for FunctionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F{}", self.0)
    }
}

/// Which characters the kiosk draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GlyphSet {
    /// `console` when `TERM` is `linux`, `ascii` when it is `dumb`, `vt100` or unset, else `unicode`.
    Auto,
    Unicode,
    /// Only characters Debian's console fonts (Lat15, Uni2, Uni3) have.
    Console,
    /// `+ - |` boxes and plain words.
    Ascii,
}

impl GlyphSet {
    /// Every value `display.glyphs` takes (the tests go through them all).
    pub const ALL: [GlyphSet; 4] = [GlyphSet::Auto, GlyphSet::Unicode, GlyphSet::Console, GlyphSet::Ascii];
}

/// The kiosk's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeName {
    Default,
    /// White and bright white on black, bold for emphasis, no dim text, and nothing said by
    /// colour alone.
    HighContrast,
}

impl ThemeName {
    /// Every value `display.theme` takes (the tests go through them all).
    pub const ALL: [ThemeName; 2] = [ThemeName::Default, ThemeName::HighContrast];
}

/// When the number and the code are drawn in large block digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LargeDigits {
    /// On a terminal of at least 100x30.
    Auto,
    /// Wherever they fit.
    On,
    Off,
}

/// How the kiosk looks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisplayConfig {
    pub glyphs: GlyphSet,
    pub theme: ThemeName,
    /// A flat layout for console screen readers (speakup, brltty): no box drawing, one field
    /// a line, the terminal's cursor on the field being typed into.
    pub screen_reader: bool,
    pub large_digits: LargeDigits,
}

impl DisplayConfig {
    /// One line for `check-config`.
    pub fn summary(&self) -> String {
        let theme = match self.theme {
            ThemeName::Default => "default",
            ThemeName::HighContrast => "high-contrast",
        };
        let digits = match self.large_digits {
            LargeDigits::Auto => "auto (at 100x30 and up)",
            LargeDigits::On => "on",
            LargeDigits::Off => "off",
        };
        let reader = if self.screen_reader { "on" } else { "off" };
        let glyphs = match self.glyphs {
            GlyphSet::Auto => "auto (by TERM)",
            GlyphSet::Unicode => "unicode",
            GlyphSet::Console => "console",
            GlyphSet::Ascii => "ascii",
        };
        format!("theme {theme}, screen-reader layout {reader}, large digits {digits}, glyphs {glyphs}")
    }
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self {
            glyphs: GlyphSet::Auto,
            theme: ThemeName::Default,
            screen_reader: false,
            large_digits: LargeDigits::Auto,
        }
    }
}

/// The kiosk's configuration (`kiosk.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KioskConfig {
    /// Shown in the title and status bar; default the host name.
    pub name: String,
    /// Numbers typed without `+country` are read in this region.
    pub default_region: String,
    /// The kiosk's language; a worker may pick another for their sign-in and session.
    pub language: Language,
    pub backend: BackendConfig,
    pub session: SessionConfig,
    pub keys: KeysConfig,
    pub manager: ManagerConfig,
    pub control: ControlConfig,
    pub display: DisplayConfig,
    pub branding: BrandingConfig,
    /// Where the audit log (JSON lines) is appended; default in the user's data dir.
    pub audit_log: Option<PathBuf>,
    /// Where the live session's crash-recovery record is kept; default in the runtime dir.
    pub state_dir: Option<PathBuf>,
}

impl Default for KioskConfig {
    fn default() -> Self {
        Self {
            name: host_name(),
            default_region: "US".into(),
            language: Language::English,
            backend: BackendConfig::default(),
            session: SessionConfig::default(),
            keys: KeysConfig::default(),
            manager: ManagerConfig::default(),
            control: ControlConfig::default(),
            display: DisplayConfig::default(),
            branding: BrandingConfig::default(),
            audit_log: None,
            state_dir: None,
        }
    }
}

/// What [`KioskConfig::validate`] refuses; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidKioskConfig {
    #[error("name must not be empty")]
    EmptyName,
    #[error("default_region: {0}")]
    Region(phone::PhoneError),
    #[error("session.command is missing: give the program to run, e.g. [\"/bin/bash\", \"-l\"]")]
    NoCommand,
    #[error("session.idle_warning ({warning}) must be shorter than session.idle_timeout ({timeout})")]
    IdleWarningTooLong { warning: HumanDuration, timeout: HumanDuration },
    #[error("{key} must be longer than 0s")]
    ZeroDuration { key: &'static str },
    #[error("session.pin_attempts = {0} is out of range: use 1 to 10 (default 3)")]
    PinAttempts(u32),
    #[error("keys.{0} and keys.{1} are both {2}")]
    SameKeys(&'static str, &'static str, FunctionKey),
    #[error("backend.url must be http or https, not {0}")]
    UrlScheme(String),
    #[error("backend.url {url:?} is not a URL: {reason}")]
    NotAUrl { url: String, reason: UrlError },
    #[error(transparent)]
    Backend(#[from] InvalidBackend),
    #[error(transparent)]
    Branding(#[from] InvalidBranding),
}

/// Why a URL didn't parse (`url::ParseError`, named through reqwest, which re-exports `Url`).
pub type UrlError = <reqwest::Url as std::str::FromStr>::Err;

impl ConfigFile for KioskConfig {
    type Invalid = InvalidKioskConfig;

    fn validate(&self) -> Result<(), InvalidKioskConfig> {
        use InvalidKioskConfig as Invalid;
        if self.name.trim().is_empty() {
            return Err(Invalid::EmptyName);
        }
        phone::parse_region(&self.default_region).map_err(Invalid::Region)?;
        let session = &self.session;
        if session.command.first().is_none_or(|program| program.trim().is_empty()) {
            return Err(Invalid::NoCommand);
        }
        if session.idle_warning.0 >= session.idle_timeout.0 {
            return Err(Invalid::IdleWarningTooLong { warning: session.idle_warning, timeout: session.idle_timeout });
        }
        for (key, value) in [
            ("session.max_duration", session.max_duration),
            ("session.idle_timeout", session.idle_timeout),
            ("session.recheck", session.recheck),
        ] {
            if value.0.is_zero() {
                return Err(Invalid::ZeroDuration { key });
            }
        }
        if !(1..=10).contains(&session.pin_attempts) {
            return Err(Invalid::PinAttempts(session.pin_attempts));
        }
        let keys = [
            ("sign_out", self.keys.sign_out),
            ("manager", self.keys.manager),
            ("language", self.keys.language),
            ("lock", self.keys.lock),
        ];
        for (index, (name, key)) in keys.iter().enumerate() {
            if let Some((other, _)) = keys[index + 1..].iter().find(|(_, other)| other == key) {
                return Err(Invalid::SameKeys(name, other, *key));
            }
        }
        self.backend.check()?;
        self.branding.check(self.language)?;
        match reqwest::Url::parse(&self.backend.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
            Ok(url) => Err(Invalid::UrlScheme(url.scheme().into())),
            Err(reason) => Err(Invalid::NotAUrl { url: self.backend.url.clone(), reason }),
        }
    }

    fn read_files(&mut self, dir: &Path) -> Result<(), InvalidKioskConfig> {
        Ok(self.branding.read_logo(dir)?)
    }
}

impl KioskConfig {
    /// The control socket: configured, else `control.sock` in the runtime dir.
    pub fn control_socket(&self) -> PathBuf {
        if let Some(path) = &self.control.socket {
            return path.clone();
        }
        default_control_socket()
    }

    /// The state dir: configured, else `/run/shiftkey` for root, else `$XDG_RUNTIME_DIR/shiftkey`,
    /// else the user's data dir.
    pub fn state_dir(&self) -> PathBuf {
        if let Some(dir) = &self.state_dir {
            return dir.clone();
        }
        if nix::unistd::geteuid().is_root() {
            return PathBuf::from("/run/shiftkey");
        }
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
            return PathBuf::from(runtime).join("shiftkey");
        }
        directories::ProjectDirs::from("", "", "shiftkey")
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| std::env::temp_dir().join("shiftkey"))
    }

    /// Finds the config file: `--config`, else `SHIFTKEY_CONFIG`, else the user config dir,
    /// else `/etc/shiftkey/kiosk.toml`.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
        if let Some(path) = explicit {
            return Ok(path.to_path_buf());
        }
        if let Some(path) = std::env::var_os("SHIFTKEY_CONFIG") {
            return Ok(PathBuf::from(path));
        }
        let mut candidates = Vec::new();
        if let Some(dirs) = directories::ProjectDirs::from("", "", "shiftkey") {
            candidates.push(dirs.config_dir().join("kiosk.toml"));
        }
        candidates.push(PathBuf::from("/etc/shiftkey/kiosk.toml"));
        candidates.iter().find(|p| p.exists()).cloned().ok_or_else(|| ConfigError::NotFound {
            looked_at: candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        })
    }
}

/// `/run/shiftkey/control.sock` as root, `$XDG_RUNTIME_DIR/shiftkey/control.sock` otherwise.
pub fn default_control_socket() -> PathBuf {
    let runtime = if nix::unistd::geteuid().is_root() {
        PathBuf::from("/run/shiftkey")
    } else {
        std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|v| !v.is_empty())
            .map(|dir| PathBuf::from(dir).join("shiftkey"))
            .unwrap_or_else(|| std::env::temp_dir().join(format!("shiftkey-{}", nix::unistd::geteuid())))
    };
    runtime.join("control.sock")
}

/// The host name, else "shiftkey".
fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "shiftkey".into())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn kiosk(text: &str) -> Result<KioskConfig, String> {
        KioskConfig::from_toml(text, Path::new("kiosk.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_match_the_design() {
        let c = KioskConfig::default();
        assert_eq!(c.default_region, "US");
        assert_eq!(c.session.idle_timeout.0, Duration::from_secs(300));
        assert_eq!(c.session.idle_warning.0, Duration::from_secs(60));
        assert_eq!(c.session.max_duration.0, Duration::from_secs(43200));
        assert_eq!(c.keys.sign_out, FunctionKey(12));
        assert_eq!(c.keys.manager, FunctionKey(9));
        assert_eq!(c.keys.language, FunctionKey(2));
        assert_eq!(c.language, Language::English);
        assert_eq!(c.manager.roles, vec!["kiosk-manager"]);
        assert_eq!(c.manager.menu_timeout.0, Duration::from_secs(60));
        c.validate().expect("the defaults are valid");
    }

    #[test]
    fn a_key_left_out_takes_its_default_even_inside_a_table() {
        let c = kiosk("[session]\nrun_as = \"kiosk-session\"\n").unwrap();
        let mut expected = KioskConfig::default();
        expected.session.run_as = Some("kiosk-session".into());
        assert_eq!(c, expected);
        assert_eq!(kiosk("").unwrap(), KioskConfig::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = kiosk("[session]\ncommandd = [\"/bin/sh\"]\n").unwrap_err();
        assert!(err.contains("unknown field `commandd`"), "{err}");
        assert!(err.contains("kiosk.toml"), "{err}");
    }

    #[test]
    fn bad_duration_says_how_to_write_one() {
        let err = kiosk("[session]\nidle_timeout = \"five minutes\"\n").unwrap_err();
        assert!(err.contains("bad duration \"five minutes\""), "{err}");
        assert!(err.contains("\"5m\""), "{err}");
    }

    #[test]
    fn missing_command_is_refused() {
        let err = kiosk("[session]\ncommand = []\n").unwrap_err();
        assert!(err.contains("session.command is missing"), "{err}");
    }

    #[test]
    fn durations_must_fit_together() {
        let err = kiosk("[session]\nidle_timeout = \"30s\"\n").unwrap_err();
        assert!(err.contains("session.idle_warning (1m) must be shorter than session.idle_timeout (30s)"), "{err}");
        let err = kiosk("[session]\nmax_duration = \"0s\"\n").unwrap_err();
        assert!(err.contains("session.max_duration must be longer than 0s"), "{err}");
        let err = kiosk("[keys]\nmanager = \"F12\"\n").unwrap_err();
        assert!(err.contains("keys.sign_out and keys.manager are both F12"), "{err}");
        let err = kiosk("[keys]\nlock = \"F2\"\n").unwrap_err();
        assert!(err.contains("keys.language and keys.lock are both F2"), "{err}");
        let err = kiosk("[session]\npin_attempts = 0\n").unwrap_err();
        assert!(err.contains("session.pin_attempts = 0 is out of range: use 1 to 10"), "{err}");
        let err = kiosk("[keys]\nlanguage = \"F9\"\n").unwrap_err();
        assert!(err.contains("keys.manager and keys.language are both F9"), "{err}");
    }

    #[test]
    fn bad_region_and_url_are_refused() {
        assert!(kiosk("default_region = \"ZZ\"").unwrap_err().contains("default_region"));
        assert!(kiosk("[backend]\nurl = \"ftp://x\"").unwrap_err().contains("http or https, not ftp"));
        assert!(kiosk("[backend]\nurl = \"nope\"").unwrap_err().contains("backend.url \"nope\" is not a URL"));
        assert!(kiosk("[keys]\nsign_out = \"Q\"").unwrap_err().contains("F1 to F12"));
        assert!(kiosk("language = \"xx\"").unwrap_err().contains("unknown language \"xx\""));
        assert_eq!(kiosk("language = \"pt-BR\"").unwrap().language, Language::PortugueseBrazil);
    }

    #[test]
    fn display_keys_take_their_names_and_refuse_others() {
        let c = kiosk("[display]\ntheme = \"high-contrast\"\nscreen_reader = true\nlarge_digits = \"on\"").unwrap();
        assert_eq!(c.display.theme, ThemeName::HighContrast);
        assert!(c.display.screen_reader);
        assert_eq!(c.display.large_digits, LargeDigits::On);
        let defaults = KioskConfig::default().display;
        assert_eq!((defaults.theme, defaults.screen_reader), (ThemeName::Default, false));
        assert_eq!(defaults.large_digits, LargeDigits::Auto);
        let err = kiosk("[display]\ntheme = \"dark\"").unwrap_err();
        assert!(err.contains("theme = \"dark\"") && err.contains("high-contrast"), "{err}");
        let err = kiosk("[display]\nlarge_digits = \"big\"").unwrap_err();
        assert!(err.contains("large_digits") && err.contains("auto"), "{err}");
    }

    #[test]
    fn branding_errors_name_the_key_and_the_logo_is_read_beside_the_config() {
        let err = kiosk("[branding]\naccent = \"pink\"").unwrap_err();
        assert!(err.contains("branding.accent: unknown colour \"pink\""), "{err}");
        let err = kiosk("language = \"es\"\n[branding]\nhelp.en = \"Ask\"").unwrap_err();
        assert!(err.contains("branding.help has no text for the kiosk's language \"es\""), "{err}");
        let err = kiosk("[branding]\ntitle.klingon = \"Qapla\"").unwrap_err();
        assert!(err.contains("branding.title.klingon: unknown language tag"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("logo.txt"), "CONTOSO\n").unwrap();
        let config = dir.path().join("kiosk.toml");
        std::fs::write(&config, "[branding]\nlogo = \"logo.txt\"\n").unwrap();
        assert_eq!(KioskConfig::load(&config).unwrap().branding.logo_lines, ["CONTOSO"]);
        std::fs::write(dir.path().join("logo.txt"), "x\n".repeat(12)).unwrap();
        let err = KioskConfig::load(&config).unwrap_err().to_string();
        assert!(err.contains("branding.logo:") && err.contains("12 lines; at most 8"), "{err}");
    }
}
