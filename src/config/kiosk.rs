//! The kiosk's configuration (`kiosk.toml`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{ConfigError, ConfigFile, HumanDuration};
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    #[serde(default = "default_backend_kind")]
    pub kind: BackendKind,
    #[serde(default = "default_backend_url")]
    pub url: String,
}

/// How the session is isolated from the rest of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    Auto,
    Bwrap,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    #[serde(default = "default_command")]
    pub command: Vec<String>,
    #[serde(default)]
    pub run_as: Option<String>,
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: HumanDuration,
    #[serde(default = "default_idle_warning")]
    pub idle_warning: HumanDuration,
    #[serde(default = "default_max_duration")]
    pub max_duration: HumanDuration,
    #[serde(default = "default_sandbox")]
    pub sandbox: SandboxMode,
    /// `PATH` given to the session (the only variable taken from config, not the kiosk's env).
    #[serde(default = "default_path")]
    pub path: String,
    /// How long processes get between SIGTERM and SIGKILL at sign-out.
    #[serde(default = "default_grace")]
    pub kill_grace: HumanDuration,
    /// How long sign-out waits for the backend to revoke the token.
    #[serde(default = "default_grace")]
    pub revoke_timeout: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    #[serde(default = "default_sign_out_key")]
    pub sign_out: FunctionKey,
    #[serde(default = "default_manager_key")]
    pub manager: FunctionKey,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerConfig {
    #[serde(default = "default_manager_roles")]
    pub roles: Vec<String>,
    /// The manager screens close (and the manager's token is revoked) after this long idle.
    #[serde(default = "default_menu_timeout")]
    pub menu_timeout: HumanDuration,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    pub socket: Option<PathBuf>,
    /// Groups whose members may use the control socket (besides root and the kiosk's user).
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    /// The group owning the socket and its directory (0660 / 0750); default the first
    /// allowed group, else the kiosk's own group.
    #[serde(default)]
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

/// The kiosk's configuration (`kiosk.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    #[serde(default = "default_kiosk_name")]
    pub name: String,
    #[serde(default = "default_region")]
    pub default_region: String,
    #[serde(default = "default_backend")]
    pub backend: BackendConfig,
    #[serde(default = "default_session")]
    pub session: SessionConfig,
    #[serde(default = "default_keys")]
    pub keys: KeysConfig,
    #[serde(default = "default_manager")]
    pub manager: ManagerConfig,
    #[serde(default)]
    pub control: ControlConfig,
    /// Where the audit log (JSON lines) is appended; default in the user's data dir.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
    /// Where the live session's crash-recovery record is kept; default in the runtime dir.
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
}

impl ConfigFile for KioskConfig {
    fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name must not be empty".into());
        }
        phone::parse_region(&self.default_region).map_err(|e| format!("default_region: {e}"))?;
        if self.session.command.is_empty() || self.session.command[0].trim().is_empty() {
            return Err("session.command is missing: give the program to run, e.g. [\"/bin/bash\", \"-l\"]".into());
        }
        if self.session.idle_warning.0 >= self.session.idle_timeout.0 {
            return Err(format!(
                "session.idle_warning ({}) must be shorter than session.idle_timeout ({})",
                self.session.idle_warning, self.session.idle_timeout
            ));
        }
        if self.session.max_duration.0.is_zero() || self.session.idle_timeout.0.is_zero() {
            return Err("session.max_duration and session.idle_timeout must be longer than 0s".into());
        }
        if self.keys.sign_out == self.keys.manager {
            return Err(format!("keys.sign_out and keys.manager are both {}", self.keys.sign_out));
        }
        match reqwest::Url::parse(&self.backend.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
            Ok(url) => Err(format!("backend.url must be http or https, not {}", url.scheme())),
            Err(err) => Err(format!("backend.url {:?} is not a URL: {err}", self.backend.url)),
        }
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

fn default_kiosk_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "shiftkey".into())
}
fn default_region() -> String {
    "US".into()
}
fn default_backend_kind() -> BackendKind {
    BackendKind::Shiftkey
}
fn default_backend_url() -> String {
    "http://127.0.0.1:8787".into()
}
fn default_backend() -> BackendConfig {
    BackendConfig { kind: default_backend_kind(), url: default_backend_url() }
}
fn default_command() -> Vec<String> {
    vec!["/bin/bash".into(), "-l".into()]
}
fn default_idle_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(300))
}
fn default_idle_warning() -> HumanDuration {
    HumanDuration(Duration::from_secs(60))
}
fn default_max_duration() -> HumanDuration {
    HumanDuration(Duration::from_secs(12 * 3600))
}
fn default_sandbox() -> SandboxMode {
    SandboxMode::Auto
}
fn default_path() -> String {
    "/usr/local/bin:/usr/bin:/bin".into()
}
fn default_grace() -> HumanDuration {
    HumanDuration(Duration::from_secs(3))
}
fn default_session() -> SessionConfig {
    toml::from_str("").expect("session defaults")
}
fn default_sign_out_key() -> FunctionKey {
    FunctionKey(12)
}
fn default_manager_key() -> FunctionKey {
    FunctionKey(9)
}
fn default_keys() -> KeysConfig {
    KeysConfig { sign_out: default_sign_out_key(), manager: default_manager_key() }
}
fn default_manager_roles() -> Vec<String> {
    vec!["kiosk-manager".into()]
}
fn default_menu_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(60))
}
fn default_manager() -> ManagerConfig {
    ManagerConfig { roles: default_manager_roles(), menu_timeout: default_menu_timeout() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kiosk(text: &str) -> Result<KioskConfig, String> {
        KioskConfig::from_toml(text, Path::new("kiosk.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_match_the_design() {
        let c = KioskConfig::defaults();
        assert_eq!(c.default_region, "US");
        assert_eq!(c.session.idle_timeout.0, Duration::from_secs(300));
        assert_eq!(c.session.idle_warning.0, Duration::from_secs(60));
        assert_eq!(c.session.max_duration.0, Duration::from_secs(43200));
        assert_eq!(c.keys.sign_out, FunctionKey(12));
        assert_eq!(c.keys.manager, FunctionKey(9));
        assert_eq!(c.manager.roles, vec!["kiosk-manager"]);
    }

    #[test]
    fn the_documented_example_loads() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/kiosk.example.toml")).unwrap();
        let c = kiosk(&text).unwrap();
        assert_eq!(c.name, "store-042-till-3");
        assert_eq!(c.session.command, vec!["/bin/bash", "-l"]);
        assert_eq!(c.session.sandbox, SandboxMode::Auto);
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
    fn bad_region_and_url_are_refused() {
        assert!(kiosk("default_region = \"ZZ\"").unwrap_err().contains("default_region"));
        assert!(kiosk("[backend]\nurl = \"ftp://x\"").unwrap_err().contains("http or https"));
        assert!(kiosk("[keys]\nsign_out = \"Q\"").unwrap_err().contains("F1 to F12"));
    }
}
