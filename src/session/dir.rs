//! The session's private directory: `HOME` and `TMPDIR`, on tmpfs where there is one.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::Rng;

use crate::secret::AccessToken;

/// A fresh directory created for one session.
#[derive(Debug, Clone)]
pub struct SessionDir {
    pub path: PathBuf,
    pub on_tmpfs: bool,
}

/// Where session directories go, best first: the runtime dir, `/run/shiftkey`, `/dev/shm`.
fn candidate_bases() -> Vec<PathBuf> {
    let mut bases = Vec::new();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        bases.push(PathBuf::from(runtime).join("shiftkey/sessions"));
    }
    bases.push(PathBuf::from("/run/shiftkey/sessions"));
    bases.push(PathBuf::from("/dev/shm/shiftkey-sessions"));
    bases.push(std::env::temp_dir().join("shiftkey-sessions"));
    bases
}

fn is_tmpfs(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC)
}

fn make_private_dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

impl SessionDir {
    /// Creates a new 0700 directory for a session; prefers a base on tmpfs.
    pub fn create() -> std::io::Result<Self> {
        let bases = candidate_bases();
        let usable: Vec<&PathBuf> = bases
            .iter()
            .filter(|b| make_private_dir(b).is_ok())
            .collect();
        let base = usable
            .iter()
            .find(|b| is_tmpfs(b))
            .or(usable.first())
            .ok_or_else(|| std::io::Error::other("no place to create a session directory"))?;
        let mut name = [0u8; 12];
        rand::rng().fill_bytes(&mut name);
        let path = base.join(format!(
            "s-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)
        ));
        DirBuilder::new().mode(0o700).create(&path)?;
        Ok(SessionDir {
            on_tmpfs: is_tmpfs(&path),
            path,
        })
    }

    /// Writes the token to a 0600 file in the directory and returns its path.
    pub fn write_token(&self, token: &AccessToken) -> std::io::Result<PathBuf> {
        let path = self.path.join(".shiftkey-token");
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(token.expose().as_bytes())?;
        Ok(path)
    }
}
