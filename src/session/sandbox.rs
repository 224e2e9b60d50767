//! Wrapping the session command in bubblewrap: the system read-only, the session dir as the
//! only writable place, new pid/ipc/uts namespaces, and death with the kiosk.

use std::path::{Path, PathBuf};

use crate::config::SandboxMode;

/// The sandbox a session actually runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    Bwrap(PathBuf),
    None,
}

fn find_bwrap() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|dir| dir.join("bwrap")).find(|p| p.is_file())
}

/// `session.sandbox = "bwrap"` on a machine without it.
#[derive(Debug, thiserror::Error)]
#[error("session.sandbox = \"bwrap\" but bwrap is not installed: install bubblewrap, or set sandbox = \"auto\"")]
pub struct BwrapMissing;

impl Sandbox {
    /// `auto` uses bubblewrap when installed; `bwrap` requires it.
    pub fn resolve(mode: SandboxMode) -> Result<Self, BwrapMissing> {
        match (mode, find_bwrap()) {
            (SandboxMode::None, _) => Ok(Sandbox::None),
            (_, Some(path)) => Ok(Sandbox::Bwrap(path)),
            (SandboxMode::Auto, None) => Ok(Sandbox::None),
            (SandboxMode::Bwrap, None) => Err(BwrapMissing),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Sandbox::Bwrap(_) => "bwrap",
            Sandbox::None => "none",
        }
    }

    /// The program and arguments that run `command` inside this sandbox.
    pub fn wrap(&self, command: &[String], dir: &Path) -> (PathBuf, Vec<String>) {
        match self {
            Sandbox::None => (PathBuf::from(&command[0]), command[1..].to_vec()),
            Sandbox::Bwrap(bwrap) => {
                let dir = dir.display().to_string();
                let mut args: Vec<String> = [
                    "--ro-bind",
                    "/",
                    "/",
                    "--dev",
                    "/dev",
                    "--proc",
                    "/proc",
                    "--tmpfs",
                    "/dev/shm",
                    "--bind",
                    &dir,
                    &dir,
                    "--unshare-pid",
                    "--unshare-ipc",
                    "--unshare-uts",
                    "--die-with-parent",
                    "--new-session",
                    "--chdir",
                    &dir,
                    "--",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                args.extend(command.iter().cloned());
                (bwrap.clone(), args)
            }
        }
    }
}
