//! A small tmpfs of the test's own, for faults a real disk shows: full, or read-only.
//! Mounting needs root; `needs::requires(&[Need::Root])` first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temp dir; unmounted (lazily, so a file still open can't stop it) when
/// dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

fn mount(args: &[&str], target: &Path) {
    let output = Command::new("mount").args(args).arg(target).output().expect("run mount");
    assert!(output.status.success(), "mount {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

impl Tmpfs {
    /// A tmpfs of `size` (`"64k"`), open to root only.
    pub fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("a mount point");
        mount(&["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"], dir.path());
        Tmpfs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Read-only from now on (files open for writing fail their next write).
    pub fn read_only(&self) {
        mount(&["-o", "remount,ro"], self.path());
    }

    pub fn writable(&self) {
        mount(&["-o", "remount,rw"], self.path());
    }

    /// Fills the file system to the last byte with a file of its own; returns that file.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("create the filler");
        let block = [0u8; 4096];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(err) => panic!("filling {}: {err}", filler.display()),
            }
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}
