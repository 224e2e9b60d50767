//! The soak, as CI runs it: 100 sign-ins and sign-outs through the real kiosk, each session
//! leaving hostile daemons and files behind (`tests/common/soak.rs` says what is checked).
//! `SOAK_CYCLES=N` runs N; `cargo bench --bench suite -- soak` runs 1,000.

mod common;

use common::needs::{self, Need};

#[tokio::test]
async fn a_hundred_sign_ins_and_outs_with_hostile_daemons_leave_nothing_behind_and_grow_nothing() {
    // Sessions as a dedicated user: all its processes and files are the session's, checkable.
    if !needs::requires(&[Need::Root]) {
        return;
    }
    let cycles = std::env::var("SOAK_CYCLES").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    let soak = common::soak::soak(cycles, "sk-soak").await;
    for line in soak.lines() {
        println!("{line}");
    }
}
