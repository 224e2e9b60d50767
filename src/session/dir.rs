//! The session's private directory: `HOME` and `TMPDIR`, on tmpfs where there is one.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::Rng;

use crate::secret::AccessToken;

/// The token file's name inside the session dir.
pub const TOKEN_FILE_NAME: &str = ".shiftkey-token";

/// A fresh directory created for one session.
#[derive(Debug, Clone)]
pub struct SessionDir {
    pub path: PathBuf,
    pub on_tmpfs: bool,
    owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
}

/// Where session directories go, best first: the runtime dir, `/run/shiftkey`, `/dev/shm`.
fn candidate_bases() -> Vec<PathBuf> {
    let mut bases = Vec::new();
    // Root's runtime dir is /run itself (a per-user XDG dir is 0700: a session user couldn't enter).
    let root = nix::unistd::geteuid().is_root();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty() && !root) {
        bases.push(PathBuf::from(runtime).join("shiftkey/sessions"));
    }
    bases.push(PathBuf::from("/run/shiftkey/sessions"));
    bases.push(PathBuf::from("/dev/shm/shiftkey-sessions"));
    bases.push(std::env::temp_dir().join("shiftkey-sessions"));
    bases
}

fn is_tmpfs(path: &Path) -> bool {
    nix::sys::statfs::statfs(path).is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC)
}

/// The base holding session dirs: others may pass through (to reach their own session dir,
/// which is 0700) but not list it.
fn make_base_dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o711).create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o711))
}

impl SessionDir {
    /// Creates a new 0700 directory for a session, owned by `owner` when given; prefers a
    /// base on tmpfs.
    pub fn create(owner: Option<(nix::unistd::Uid, nix::unistd::Gid)>) -> std::io::Result<Self> {
        let bases = candidate_bases();
        let usable: Vec<&PathBuf> = bases.iter().filter(|b| make_base_dir(b).is_ok()).collect();
        let base = usable
            .iter()
            .find(|b| is_tmpfs(b))
            .or(usable.first())
            .ok_or_else(|| std::io::Error::other("no place to create a session directory"))?;
        let mut name = [0u8; 12];
        rand::rng().fill_bytes(&mut name);
        let path = base.join(format!("s-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)));
        DirBuilder::new().mode(0o700).create(&path)?;
        let dir = SessionDir { on_tmpfs: is_tmpfs(&path), path, owner };
        dir.give_to_owner(&dir.path)?;
        Ok(dir)
    }

    fn give_to_owner(&self, path: &Path) -> std::io::Result<()> {
        if let Some((uid, gid)) = self.owner {
            nix::unistd::chown(path, Some(uid), Some(gid))?;
        }
        Ok(())
    }

    /// Writes the token to a 0600 file in the directory and returns its path.
    pub fn write_token(&self, token: &AccessToken) -> std::io::Result<PathBuf> {
        let path = self.path.join(TOKEN_FILE_NAME);
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        file.write_all(token.expose().as_bytes())?;
        self.give_to_owner(&path)?;
        Ok(path)
    }
}
