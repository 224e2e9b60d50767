//! A disk slow to sync for one process (`slow_sync.c`, loaded with `LD_PRELOAD`): its fsyncs of
//! chosen files wait first, and each is logged with the thread that made it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built library and the log its syncs are written to.
pub struct SlowSync {
    library: PathBuf,
    log: PathBuf,
}

impl SlowSync {
    /// Builds the library into `dir` (needs `cc`: `needs::CC`).
    pub fn build(dir: &Path) -> Self {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/slow_sync.c");
        let library = dir.join("slow_sync.so");
        let output = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&library)
            .arg(&source)
            .arg("-ldl")
            .output()
            .expect("run cc");
        assert!(output.status.success(), "cc slow_sync.c: {}", String::from_utf8_lossy(&output.stderr));
        SlowSync { library, log: dir.join("syncs.log") }
    }

    /// The environment that makes a process's syncs of paths containing `matching` wait
    /// `wait_ms` and be logged.
    pub fn env(&self, matching: &str, wait_ms: u64) -> Vec<(String, String)> {
        vec![
            ("LD_PRELOAD".into(), self.library.display().to_string()),
            ("SLOW_SYNC_MATCH".into(), matching.into()),
            ("SLOW_SYNC_MS".into(), wait_ms.to_string()),
            ("SLOW_SYNC_LOG".into(), self.log.display().to_string()),
        ]
    }

    /// The syncs so far, as (thread name, path).
    pub fn syncs(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().filter_map(|line| line.split_once('\t')).map(|(t, p)| (t.to_string(), p.to_string())).collect()
    }
}
