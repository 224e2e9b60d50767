//! Who a session runs as: the kiosk's own user, or `session.run_as` when the kiosk is root.

use nix::unistd::{Gid, Uid, User};

/// The account a session's processes run under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionUser {
    /// The user running the kiosk (a non-root kiosk, the demo, or `run_as = "root"`).
    Invoker,
    /// A dedicated account: every process and file of it belongs to the session.
    Dedicated { name: String, uid: u32, gid: u32 },
}

/// Why sessions can't run as the configured account; each message names `session.run_as`.
#[derive(Debug, thiserror::Error)]
pub enum RunAsError {
    #[error(
        "the kiosk runs as root, so sessions need an account of their own: set session.run_as \
         to a dedicated user (e.g. \"kiosk-session\"), or to \"root\" to allow root sessions explicitly"
    )]
    RootNeedsRunAs,
    #[error("session.run_as {0:?} has uid 0; use run_as = \"root\" to mean root")]
    Uid0(String),
    #[error("session.run_as user {0:?} does not exist; create it with: useradd --system --shell /usr/sbin/nologin {0}")]
    NoSuchUser(String),
    #[error("can't look up session.run_as user {name:?}: {source}")]
    Lookup { name: String, source: nix::Error },
}

impl SessionUser {
    /// Decides from config. A root kiosk needs `run_as`; `--demo` always runs as the invoker.
    pub fn resolve(run_as: Option<&str>, demo: bool) -> Result<Self, RunAsError> {
        if demo || !Uid::effective().is_root() {
            return Ok(SessionUser::Invoker);
        }
        match run_as {
            None => Err(RunAsError::RootNeedsRunAs),
            Some("root") => Ok(SessionUser::Invoker),
            Some(name) => match User::from_name(name) {
                Ok(Some(user)) if user.uid.is_root() => Err(RunAsError::Uid0(name.into())),
                Ok(Some(user)) => {
                    Ok(SessionUser::Dedicated { name: name.into(), uid: user.uid.as_raw(), gid: user.gid.as_raw() })
                }
                Ok(None) => Err(RunAsError::NoSuchUser(name.into())),
                Err(source) => Err(RunAsError::Lookup { name: name.into(), source }),
            },
        }
    }

    /// The uid and gid to switch to, if any.
    pub fn ids(&self) -> Option<(Uid, Gid)> {
        match self {
            SessionUser::Invoker => None,
            SessionUser::Dedicated { uid, gid, .. } => Some((Uid::from_raw(*uid), Gid::from_raw(*gid))),
        }
    }

    /// The uid the session's processes will have.
    pub fn uid(&self) -> u32 {
        self.ids().map(|(uid, _)| uid.as_raw()).unwrap_or_else(|| Uid::effective().as_raw())
    }

    pub fn describe(&self) -> String {
        match self {
            SessionUser::Invoker => User::from_uid(Uid::effective())
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| format!("uid {}", Uid::effective())),
            SessionUser::Dedicated { name, .. } => name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_kiosk_needs_an_existing_non_root_run_as() {
        if !Uid::effective().is_root() {
            assert_eq!(SessionUser::resolve(None, false).unwrap(), SessionUser::Invoker, "not root: the invoker");
            return;
        }
        assert!(matches!(SessionUser::resolve(None, false), Err(RunAsError::RootNeedsRunAs)));
        assert_eq!(SessionUser::resolve(None, true).unwrap(), SessionUser::Invoker, "the demo runs as the invoker");
        assert_eq!(SessionUser::resolve(Some("root"), false).unwrap(), SessionUser::Invoker);
        let err = SessionUser::resolve(Some("no-such-user-shiftkey"), false).unwrap_err();
        assert!(matches!(&err, RunAsError::NoSuchUser(name) if name == "no-such-user-shiftkey"), "{err}");
        assert!(err.to_string().contains("useradd --system"), "{err}");
    }
}
