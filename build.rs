//! Release builds of the `shiftkey` binary link the functions a kiosk runs from exec to its
//! first frame next to each other (`startup.order`, written by `scripts/startup-order`).
//!
//! Why: the kernel maps a binary's code 64 KiB around each page fault, so start-up code spread
//! over the whole binary made most of it resident: the kiosk's peak memory at the sign-in
//! screen was 6.7 MiB, 4.2 of it this binary's pages (BENCHMARKS.md, measure 3). A stale list
//! costs memory, never correctness: the linker places the names it finds and skips the rest.
//!
//! Only with rustc's default linker here, LLD (`--symbol-ordering-file` is LLD's); set
//! SHIFTKEY_NO_STARTUP_ORDER=1 to leave the layout to the linker.

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=startup.order");
    println!("cargo:rerun-if-env-changed=SHIFTKEY_NO_STARTUP_ORDER");
    let wanted = env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu")
        && env::var("PROFILE").is_ok_and(|p| p == "release")
        // A linker of the user's choosing may not be LLD.
        && env::var_os("RUSTC_LINKER").is_none()
        && env::var_os("SHIFTKEY_NO_STARTUP_ORDER").is_none();
    let order = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("startup.order");
    if wanted && order.is_file() {
        println!("cargo:rustc-link-arg-bin=shiftkey=-Wl,--symbol-ordering-file={}", order.display());
        println!("cargo:rustc-link-arg-bin=shiftkey=-Wl,--no-warn-symbol-ordering");
    }
}
