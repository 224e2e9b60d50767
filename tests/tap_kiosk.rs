//! Temporary access passes end to end, in a real kiosk in a pty against a real `shiftkey
//! serve`: a store manager issues a one-time pass on the kiosk's own screen for a worker whose
//! text doesn't come, and the worker signs in with it — once.

mod common;

use std::time::Duration;

use common::{Backend, F12, KioskSetup, run_as_line, session_user};

const WAIT: Duration = Duration::from_secs(15);
const ALEX: &str = "+12065550100";
const JORDAN: &str = "+12065550109";
const F9: &[u8] = b"\x1b[20~";

/// The pass on the manager's screen: the line under "One-time pass for …", its letters apart.
fn pass_on(screen: &str) -> String {
    // Inside the manager box (between its ║ borders): the screen underneath shows beside it.
    let inside = |line: &str| line.split('║').nth(1).unwrap_or_default().to_string();
    let mut lines =
        screen.lines().skip_while(|line| !line.contains("One-time pass for Alex Rivera")).skip(1).map(inside);
    let line = lines.find(|line| line.chars().any(|c| c.is_ascii_alphanumeric())).expect("a line with the pass");
    line.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

#[tokio::test]
async fn a_manager_issues_a_pass_on_the_kiosk_and_the_worker_signs_in_with_it_once() {
    let backend = Backend::start();
    let user = session_user("sk-tap-e2e");
    let setup = KioskSetup::new(
        backend.dir.path(),
        &backend.url,
        &["/bin/sh", "-c", "echo PASS-SESSION-READY; exec sh"],
        &run_as_line(&user),
    );
    let mut screen = setup.spawn();
    screen.wait_for("Enter your mobile number", WAIT).await;

    // The manager: F9, their number and code, then "Issue a one-time pass" for Alex's number.
    screen.send(F9);
    screen.wait_for("Store manager sign-in", WAIT).await;
    screen.type_text("2065550109").await;
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
    let code = backend.codes_for(JORDAN, 1).pop().unwrap();
    screen.type_text(&code).await;
    let menu = screen.wait_for("Signed in: Jordan Lee", WAIT).await;
    assert!(menu.contains("5. Issue a one-time pass"), "{menu}");
    screen.send(b"5");
    screen.wait_for("The worker's mobile number", WAIT).await;
    screen.type_text("2065550100").await;
    screen.send(b"\r");
    let shown = screen.wait_for("One-time pass for Alex Rivera", WAIT).await;
    assert!(shown.contains("Works once, for the next 60 minutes"), "{shown}");
    let pass = pass_on(&shown);
    assert_eq!(pass.len(), 11, "two groups of five: {pass:?} in\n{shown}");
    // Done: the pass leaves the screen, and the manager screens close.
    screen.send(b"\r");
    screen.wait_gone("One-time pass for", WAIT).await;
    screen.send(b"\x1b");
    let after = screen.wait_gone("MANAGER", WAIT).await;
    assert!(!after.contains(&pass) && !after.contains(&pass[..5]), "the pass is still on screen:\n{after}");

    // The worker: the number, no code came — "Use a pass from your manager", typed as read out.
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("2065550100").await;
    screen.send(b"\r");
    let code_screen = screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
    assert!(code_screen.contains("[P] Use a pass from your manager"), "{code_screen}");
    screen.send(b"p");
    screen.wait_for("Type the pass your manager gave you", WAIT).await;
    screen.type_text(&pass.to_lowercase()).await;
    screen.send(b"\r");
    screen.wait_for("PASS-SESSION-READY", WAIT).await;
    screen.wait_for("sign out", WAIT).await;
    let sign_ins = setup.audit_events("sign_in");
    assert_eq!(sign_ins.len(), 2, "the manager's and the worker's: {sign_ins:?}");
    assert_eq!((sign_ins[1]["with"].as_str(), sign_ins[1]["user"].as_str()), (Some("pass"), Some("alex")));

    // Signed out, the same pass doesn't work again.
    screen.send(F12);
    screen.wait_for("Enter your mobile number", WAIT).await;
    screen.type_text("2065550100").await;
    screen.send(b"\r");
    screen.wait_for("Enter the 6-digit code we texted to", WAIT).await;
    screen.send(b"P");
    screen.wait_for("Type the pass your manager gave you", WAIT).await;
    screen.type_text(&pass).await;
    screen.send(b"\r");
    screen.wait_for("That pass didn't work", WAIT).await;

    // Audited on both sides with the numbers masked; the pass itself in no log.
    let issued = setup.audit_events("pass_issued");
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(
        (issued[0]["manager_phone"].as_str(), issued[0]["phone"].as_str()),
        (Some("+1 ••• ••• 0109"), Some("+1 ••• ••• 0100"))
    );
    let server_audit = std::fs::read_to_string(backend.db.audit()).unwrap();
    assert!(server_audit.contains("\"event\":\"pass_issued\""), "{server_audit}");
    let kiosk_audit = setup.audit_text();
    let kiosk_log = std::fs::read_to_string(&setup.log).unwrap_or_default();
    for (what, text) in [("kiosk audit", &kiosk_audit), ("kiosk log", &kiosk_log), ("server audit", &server_audit)] {
        assert!(!text.contains(&pass) && !text.contains(&pass.replace('-', "")), "the pass is in the {what}");
        assert!(!text.contains(ALEX) && !text.contains(JORDAN), "a full number is in the {what}");
    }
    screen.send(F12);
}
