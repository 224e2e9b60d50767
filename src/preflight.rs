//! What a kiosk start checks before it touches anything: the backend its config names, who
//! sessions run as, the sandbox, the control socket's groups.
//!
//! `shiftkey kiosk` and `shiftkey check-config` both come through [`prepare`], so check-config
//! refuses exactly what a start would. It must never have side effects (bind, spawn, write):
//! check-config runs it beside a live kiosk.

use nix::unistd::{Gid, Group};

use crate::auth::{self, Backend};
use crate::config::KioskConfig;
use crate::control::server::{Authorizer, UnknownGroup};
use crate::session::Launcher;
use crate::session::sandbox::{BwrapMissing, Sandbox};
use crate::session::user::{RunAsError, SessionUser};

/// A kiosk ready to start: everything checked, nothing bound, spawned or written yet.
pub struct KioskStart {
    pub config: KioskConfig,
    pub backend: Backend,
    pub launcher: Launcher,
    /// None only in the demo, which goes on without a control socket when it can't have one.
    pub control: Option<ControlAccess>,
}

/// Who may use the control socket, and the group that owns it; binding it comes later.
pub struct ControlAccess {
    pub authorizer: Authorizer,
    pub group: Option<Gid>,
}

/// Why a kiosk won't start with this config on this machine; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error(transparent)]
    Backend(#[from] auth::BuildError),
    #[error(transparent)]
    RunAs(#[from] RunAsError),
    #[error(transparent)]
    Sandbox(#[from] BwrapMissing),
    #[error(transparent)]
    ControlGroups(#[from] UnknownGroup),
    #[error("control.socket_group: no group named {0:?} (create it with groupadd {0})")]
    SocketGroup(String),
}

/// Checks a loaded (so already validated) config against this machine. `demo` runs sessions
/// as the invoking user and tolerates a control socket it can't have.
pub fn prepare(config: KioskConfig, demo: bool) -> Result<KioskStart, PreflightError> {
    let launcher = Launcher {
        user: SessionUser::resolve(config.session.run_as.as_deref(), demo)?,
        sandbox: Sandbox::resolve(config.session.sandbox)?,
        config: config.session.clone(),
    };
    let backend = auth::from_config(&config.backend)?;
    let control = match control_access(&config) {
        Ok(access) => Some(access),
        Err(err) if demo => {
            tracing::warn!(%err, "demo runs without a control socket");
            None
        }
        Err(err) => return Err(err),
    };
    Ok(KioskStart { config, backend, launcher, control })
}

fn control_access(config: &KioskConfig) -> Result<ControlAccess, PreflightError> {
    let authorizer = Authorizer::new(&config.control.allowed_groups)?;
    let group = match config.control.socket_group.as_ref().or(config.control.allowed_groups.first()) {
        Some(name) => {
            Some(Group::from_name(name).ok().flatten().ok_or_else(|| PreflightError::SocketGroup(name.clone()))?.gid)
        }
        None => None,
    };
    Ok(ControlAccess { authorizer, group })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendKind, SandboxMode};

    /// A config that passes on any machine, as any user.
    fn config() -> KioskConfig {
        let mut config = KioskConfig::default();
        config.session.run_as = Some("root".into());
        config.session.sandbox = SandboxMode::None;
        config
    }

    #[test]
    fn a_passing_config_comes_back_with_what_the_start_needs() {
        let start = prepare(config(), false).unwrap();
        assert_eq!(start.config, config());
        assert_eq!(start.launcher.sandbox, Sandbox::None);
        assert!(start.control.is_some_and(|access| access.group.is_none()));
    }

    #[test]
    fn a_backend_that_refuses_its_keys_stops_the_start() {
        let mut config = config();
        config.backend.kind = BackendKind::Auth0;
        config.backend.client_id = Some("kiosk".into());
        // Auth0's default flow needs the connection to send codes on.
        let err = prepare(config, false).err().expect("refused");
        assert!(matches!(err, PreflightError::Backend(auth::BuildError::Invalid(_))), "{err}");
        assert!(err.to_string().contains("backend.connection"), "{err}");
    }

    #[test]
    fn only_the_demo_goes_on_without_its_control_groups() {
        let mut config = config();
        config.control.allowed_groups = vec!["sk-t-no-such-group".into()];
        let err = prepare(config.clone(), false).err().expect("refused");
        assert!(matches!(err, PreflightError::ControlGroups(_)), "{err}");
        assert!(prepare(config, true).unwrap().control.is_none());
    }
}
