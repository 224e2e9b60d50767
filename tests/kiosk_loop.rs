//! The kiosk's real event loop, in-process: ratatui's `TestBackend` as its screen, keys and
//! stop requests sent over channels, a backend whose answers the test gives by hand (delayed,
//! failed, out of order), and the real control socket. Every way a sign-in can be left while
//! the backend is still answering is tried, for a code being sent and a code being checked;
//! each test asserts on the screen and on the backend's live tokens.

#[path = "kiosk_loop/scripted.rs"]
mod scripted;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use scripted::{Call, Scripted, alex, challenge};
use shiftkey::audit::AuditLog;
use shiftkey::config::{ConfigFile, KioskConfig};
use shiftkey::control::protocol::{ControlAnswer, Request};
use shiftkey::control::server::{Authorizer, ControlServer};
use shiftkey::kiosk::app::display::KioskDisplay;
use shiftkey::kiosk::app::{KioskIo, KioskOptions, run_loop};
use shiftkey::kiosk::session_paint::SessionPainter;
use shiftkey::kiosk::state::{State, TerminalInput};
use shiftkey::session::Launcher;
use shiftkey::session::record::StateFile;
use shiftkey::session::sandbox::Sandbox;
use shiftkey::session::teardown::{TeardownContext, TeardownLimits};
use shiftkey::session::user::SessionUser;
use tokio::sync::{mpsc, watch};

const WAIT: Duration = Duration::from_secs(10);

/// The test screen, and what it shows after each frame, for the test to wait on.
struct Shown {
    terminal: Terminal<TestBackend>,
    text: watch::Sender<String>,
}

impl Shown {
    fn publish(&mut self) {
        let buffer = self.terminal.backend().buffer();
        let width = usize::from(buffer.area.width);
        let rows: Vec<String> =
            buffer.content.chunks(width).map(|row| row.iter().map(|cell| cell.symbol()).collect()).collect();
        self.text.send_replace(rows.join("\n"));
    }
}

impl KioskDisplay for Shown {
    fn area(&mut self) -> Rect {
        KioskDisplay::area(&mut self.terminal)
    }

    fn draw(&mut self, state: &State, session: Option<(&vt100::Screen, &mut SessionPainter)>) -> std::io::Result<()> {
        KioskDisplay::draw(&mut self.terminal, state, session)?;
        self.publish();
        Ok(())
    }

    fn draw_session_output(
        &mut self,
        state: &State,
        screen: &vt100::Screen,
        painter: &mut SessionPainter,
    ) -> std::io::Result<bool> {
        KioskDisplay::draw_session_output(&mut self.terminal, state, screen, painter)
    }

    fn resize(&mut self, painter: Option<&mut SessionPainter>, area: Rect) -> std::io::Result<()> {
        KioskDisplay::resize(&mut self.terminal, painter, area)
    }

    fn wipe(&mut self) -> std::io::Result<()> {
        KioskDisplay::wipe(&mut self.terminal)?;
        self.publish();
        Ok(())
    }
}

/// The test's side of a kiosk running in-process.
struct Harness {
    dir: tempfile::TempDir,
    keys: mpsc::UnboundedSender<TerminalInput>,
    stops: mpsc::UnboundedSender<()>,
    screen: watch::Receiver<String>,
    calls: mpsc::UnboundedReceiver<Call>,
    backend: Scripted,
}

fn config(dir: &Path) -> KioskConfig {
    let text = format!(
        "name = \"loop-test\"\naudit_log = \"{0}/audit.jsonl\"\nstate_dir = \"{0}/state\"\n\
         [session]\ncommand = [\"/bin/sh\", \"-c\", \"exec sleep 600\"]\nsandbox = \"none\"\n",
        dir.display()
    );
    KioskConfig::from_toml(&text, Path::new("loop-test.toml")).expect("the test config is valid")
}

/// A kiosk on the scripted backend, with its control socket in a temp dir: the loop to run
/// (`tokio::join!` it with the test's script) and the test's handles.
async fn kiosk() -> (impl Future<Output = std::io::Result<()>>, Harness) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path());
    let (backend, calls) = Scripted::new();
    let launcher = Launcher {
        config: config.session.clone(),
        user: SessionUser::resolve(None, true).expect("sessions as the invoking user"),
        sandbox: Sandbox::resolve(config.session.sandbox).expect("no sandbox"),
    };
    let teardown = TeardownContext {
        limits: TeardownLimits { kill_grace: Duration::from_secs(2), revoke_timeout: Duration::from_secs(2) },
        audit: AuditLog::new(dir.path().join("audit.jsonl")),
        state_file: StateFile::new(&config.state_dir()),
    };
    let server = ControlServer::bind(&control_socket(dir.path()), None).await.expect("bind the control socket");
    let control = Some((server, Authorizer::new(&[]).expect("no groups")));
    let options = KioskOptions { config, launcher, teardown, demo_sms: None, banner: None, control };
    let (text, screen) = watch::channel(String::new());
    let display = Shown { terminal: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"), text };
    let (keys, input) = mpsc::unbounded_channel();
    let (stops, stop_requests) = mpsc::unbounded_channel();
    let io = KioskIo { display, input, stops: stop_requests };
    let running = run_loop(backend.clone(), options, io);
    (running, Harness { dir, keys, stops, screen, calls, backend })
}

fn control_socket(dir: &Path) -> PathBuf {
    dir.join("control.sock")
}

impl Harness {
    fn press(&self, code: KeyCode) {
        self.keys.send(TerminalInput::Key(KeyEvent::new(code, KeyModifiers::NONE))).expect("the kiosk reads keys");
    }

    fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(KeyCode::Char(c)));
    }

    /// Waits until the screen shows `text`; returns the screen.
    async fn wait_for(&mut self, text: &str) -> String {
        self.wait_for_within(text, WAIT).await
    }

    /// `wait_for`, for at most `limit` (of the loop's clock, which a test may pause).
    async fn wait_for_within(&mut self, text: &str, limit: Duration) -> String {
        let shown = tokio::time::timeout(limit, self.screen.wait_for(|screen| screen.contains(text)))
            .await
            .map(|shown| shown.map(|screen| screen.clone()));
        match shown {
            Ok(Ok(screen)) => screen,
            _ => panic!("the screen never showed {text:?}:\n{}", *self.screen.borrow()),
        }
    }

    /// The next backend call, which must be of `kind`.
    async fn next_call(&mut self, kind: &str) -> Call {
        let call = tokio::time::timeout(WAIT, self.calls.recv()).await.ok().flatten();
        let call = call.unwrap_or_else(|| panic!("the kiosk made no {kind} call"));
        assert_eq!(call.kind(), kind);
        call
    }

    /// Types Alex's number and Enter: the start call, not yet answered.
    async fn start_in_flight(&mut self) -> Call {
        self.wait_for("Enter your mobile number").await;
        self.type_text("2065550100");
        self.press(KeyCode::Enter);
        let call = self.next_call("start").await;
        self.wait_for("Sending you a code").await;
        call
    }

    /// Alex's code screen, and the sixth digit typed: the verify call, not yet answered.
    async fn verify_in_flight(&mut self) -> Call {
        let Call::Start { e164, locale, answer } = self.start_in_flight().await else { unreachable!() };
        assert_eq!((e164.as_str(), locale.as_deref()), ("+12065550100", Some("en")));
        answer.send(Ok(challenge("ch-1"))).expect("the kiosk waits");
        self.wait_for("Enter the 6-digit code").await;
        self.type_text("123456");
        let call = self.next_call("verify").await;
        self.wait_for("Checking").await;
        call
    }

    async fn control(&self, request: Request) -> ControlAnswer {
        let (answer, _line) = shiftkey::control::client::send(&control_socket(self.dir.path()), &request)
            .await
            .expect("the kiosk answers");
        answer
    }

    /// Stops the kiosk (as SIGTERM does).
    fn stop(&self) {
        let _ = self.stops.send(());
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default();
        text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    fn discarded(&self) -> Vec<String> {
        self.audit()
            .iter()
            .filter(|record| record["event"] == "grant_discarded")
            .map(|record| format!("{} {}", record["why"]["grant_discarded"].as_str().unwrap_or("?"), record["outcome"]))
            .collect()
    }
}

/// Answers a verify call with Alex's grant: the backend now holds a live token.
async fn grant_alex(harness: &Harness, call: Call) {
    let Call::Verify { challenge_id, code, answer } = call else { panic!("not a verify call") };
    assert_eq!((challenge_id.as_str(), code.as_str()), ("ch-1", "123456"));
    answer.send(Ok(alex())).expect("the backend's verify waits for the answer");
    // The grant is minted as the answer is taken.
    let granted = tokio::time::timeout(WAIT, async {
        while harness.backend.granted() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(granted.is_ok(), "the backend never granted");
}

/// Answers a start call with a challenge.
fn send_code(call: Call) {
    let Call::Start { answer, .. } = call else { panic!("not a start call") };
    answer.send(Ok(challenge("ch-late"))).expect("the backend's start waits for the answer");
}

/// Runs `script` beside the kiosk; the kiosk must end by itself once the script stopped it.
async fn run<S: Future<Output = ()>>(kiosk: impl Future<Output = std::io::Result<()>>, script: S) {
    run_within(kiosk, script, WAIT * 3).await
}

/// `run`, all of it within `limit`.
async fn run_within<S: Future<Output = ()>>(
    kiosk: impl Future<Output = std::io::Result<()>>,
    script: S,
    limit: Duration,
) {
    let finished = tokio::time::timeout(limit, async { tokio::join!(kiosk, script) }).await;
    let (result, ()) = finished.expect("the kiosk stopped");
    result.expect("the loop ended without an error");
}

// ---- A verify in flight: the grant that comes must be revoked, and change no screen. ----

#[tokio::test]
async fn esc_while_the_code_is_checked_leaves_no_live_token() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        h.press(KeyCode::Esc);
        h.wait_for("Enter your mobile number").await;
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        assert!(!h.screen.borrow().contains("Welcome"), "{}", *h.screen.borrow());
        assert_eq!(h.discarded(), ["cancelled \"revoked\""]);
        h.stop();
    })
    .await;
    assert_eq!(h.backend.live_tokens(), 0);
}

#[tokio::test]
async fn the_manager_key_while_the_code_is_checked_leaves_no_live_token() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        h.press(KeyCode::F(9));
        h.wait_for("Store manager sign-in").await;
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        let screen = h.wait_for("Store manager sign-in").await;
        assert!(!screen.contains("Welcome"), "{screen}");
        assert_eq!(h.discarded(), ["manager_mode \"revoked\""]);
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn a_lock_over_the_control_socket_while_the_code_is_checked_leaves_no_live_token() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        let answer = h.control(Request::Lock { message: Some("Closed for cleaning".into()) }).await;
        assert!(matches!(answer, ControlAnswer::Lock(ref a) if !a.session), "{answer:?}");
        h.wait_for("Out of service").await;
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        let screen = h.wait_for("Closed for cleaning").await;
        assert!(!screen.contains("Welcome"), "{screen}");
        assert_eq!(h.discarded(), ["locked \"revoked\""]);
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn a_reset_over_the_control_socket_while_the_code_is_checked_leaves_no_live_token() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        let answer = h.control(Request::Reset { reason: Some("walked away".into()) }).await;
        let ControlAnswer::Reset(reset) = answer else { panic!("{answer:?}") };
        assert!(!reset.session);
        assert_eq!(reset.message.as_deref(), Some("no session to reset; the sign-in in progress was cancelled"));
        h.wait_for("Enter your mobile number").await;
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        assert!(!h.screen.borrow().contains("Welcome"));
        assert_eq!(h.discarded(), ["manager_reset \"revoked\""]);
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn stopping_while_the_code_is_checked_waits_for_the_answer_and_leaves_no_live_token() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        h.stop();
        // The kiosk is still running: it waits for the answer rather than drop a grant.
        h.wait_for("Enter your mobile number").await;
        grant_alex(&h, verify).await;
    })
    .await;
    assert_eq!(h.backend.live_tokens(), 0, "the kiosk revoked the grant before it exited");
    assert_eq!(h.discarded(), ["kiosk_stopped \"revoked\""]);
    assert!(h.audit().iter().any(|record| record["event"] == "kiosk_stop"));
}

#[tokio::test]
async fn a_new_code_asked_for_while_one_is_checked_wins_and_the_older_grant_is_revoked() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let Call::Start { answer, .. } = h.start_in_flight().await else { unreachable!() };
        // A code that may be resent at once.
        answer.send(Ok(shiftkey::auth::Challenge { resend_after: Duration::ZERO, ..challenge("ch-1") })).unwrap();
        h.wait_for("[R] Text me a new code").await;
        h.type_text("123456");
        let verify = h.next_call("verify").await;
        h.press(KeyCode::Char('r'));
        let Call::Resend { challenge_id, answer: resent, .. } = h.next_call("resend").await else { unreachable!() };
        assert_eq!(challenge_id, "ch-1");
        h.wait_for("Sending a new code").await;
        // The older answer comes first: its grant is no one's.
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        assert_eq!(h.discarded(), ["superseded \"revoked\""]);
        resent.send(Ok(challenge("ch-2"))).unwrap();
        h.wait_for("We sent you a new code").await;
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn a_grant_that_arrives_after_its_form_is_gone_is_revoked_and_changes_nothing() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let verify = h.verify_in_flight().await;
        h.press(KeyCode::Esc);
        h.wait_for("Enter your mobile number").await;
        // Someone else starts typing; the late answer must not disturb them.
        h.type_text("2065550102");
        h.wait_for("(206) 555-0102").await;
        grant_alex(&h, verify).await;
        h.backend.wait_live(0, WAIT).await;
        let screen = h.wait_for("(206) 555-0102").await;
        assert!(!screen.contains("Welcome") && !screen.contains("Enter the 6-digit code"), "{screen}");
        h.stop();
    })
    .await;
}

// ---- A code being sent: its late answer must change no screen. ----

#[tokio::test]
async fn esc_while_the_code_is_sent_then_the_late_challenge_changes_nothing() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let start = h.start_in_flight().await;
        h.press(KeyCode::Esc);
        h.wait_for("Enter: text me a code").await;
        h.type_text("206");
        send_code(start);
        // The reply is handled before the next key; the key's frame shows what the reply did.
        h.type_text("5");
        let screen = h.wait_for("▸ 2065▏").await;
        assert!(!screen.contains("Enter the 6-digit code"), "{screen}");
        assert_eq!(h.backend.live_tokens(), 0);
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn the_manager_key_while_the_code_is_sent_then_the_late_challenge_changes_nothing() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let start = h.start_in_flight().await;
        h.press(KeyCode::F(9));
        h.wait_for("Store manager sign-in").await;
        send_code(start);
        h.type_text("2");
        let screen = h.wait_for("▸ 2").await;
        assert!(!screen.contains("Enter the 6-digit code"), "{screen}");
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn a_lock_while_the_code_is_sent_then_the_late_challenge_changes_nothing() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let start = h.start_in_flight().await;
        let answer = h.control(Request::Lock { message: None }).await;
        assert!(matches!(answer, ControlAnswer::Lock(_)), "{answer:?}");
        h.wait_for("Out of service").await;
        send_code(start);
        // A status round trip: the reply was handled before it is answered.
        let status = h.control(Request::Status).await;
        assert!(matches!(status, ControlAnswer::Status(ref s) if s.state == "locked"), "{status:?}");
        let screen = h.wait_for("Out of service").await;
        assert!(!screen.contains("Enter the 6-digit code"), "{screen}");
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn a_reset_while_the_code_is_sent_then_the_late_challenge_changes_nothing() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let start = h.start_in_flight().await;
        let answer = h.control(Request::Reset { reason: None }).await;
        assert!(matches!(answer, ControlAnswer::Reset(ref r) if !r.session), "{answer:?}");
        h.wait_for("Enter: text me a code").await;
        send_code(start);
        let status = h.control(Request::Status).await;
        assert!(matches!(status, ControlAnswer::Status(ref s) if s.state == "idle"), "{status:?}");
        let screen = h.wait_for("Enter: text me a code").await;
        assert!(!screen.contains("Enter the 6-digit code"), "{screen}");
        h.stop();
    })
    .await;
}

#[tokio::test]
async fn stopping_while_the_code_is_sent_waits_for_the_answer_then_exits() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let start = h.start_in_flight().await;
        h.stop();
        h.wait_for("Enter: text me a code").await;
        send_code(start);
    })
    .await;
    assert_eq!(h.backend.live_tokens(), 0);
}

#[tokio::test]
async fn a_failed_verify_after_esc_changes_nothing_either() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        let Call::Verify { answer, .. } = h.verify_in_flight().await else { unreachable!() };
        h.press(KeyCode::Esc);
        h.wait_for("Enter your mobile number").await;
        answer.send(Err(shiftkey::auth::AuthError::InvalidCode { attempts_left: 2 })).unwrap();
        h.type_text("2");
        let screen = h.wait_for("▸ 2").await;
        assert!(!screen.contains("isn't right"), "{screen}");
        assert!(h.discarded().is_empty());
        h.stop();
    })
    .await;
}

// ---- Languages: the worker's pick lasts their sign-in and session, then the default is back. ----

#[tokio::test]
async fn a_worker_switches_language_and_back_signs_in_in_it_and_the_next_one_gets_the_default() {
    let (kiosk, mut h) = kiosk().await;
    run(kiosk, async {
        h.wait_for("F2: Language").await;
        h.press(KeyCode::F(2));
        h.wait_for("Español").await;
        h.press(KeyCode::Char('2'));
        h.wait_for("Escribe tu número de teléfono móvil").await;
        // And back.
        h.press(KeyCode::F(2));
        h.wait_for("Idioma").await;
        h.press(KeyCode::Up);
        h.press(KeyCode::Enter);
        h.wait_for("Enter your mobile number").await;
        h.press(KeyCode::F(2));
        h.press(KeyCode::Char('2'));
        h.wait_for("Escribe tu número").await;
        h.type_text("2065550100");
        h.press(KeyCode::Enter);
        let Call::Start { locale, answer, .. } = h.next_call("start").await else { unreachable!() };
        assert_eq!(locale.as_deref(), Some("es"), "the backend is asked for the text in Spanish");
        answer.send(Ok(challenge("ch-1"))).expect("the kiosk waits");
        h.wait_for("Escribe el código de 6 dígitos").await;
        h.type_text("123456");
        let verify = h.next_call("verify").await;
        grant_alex(&h, verify).await;
        h.wait_for("F12 salir").await;
        h.press(KeyCode::F(12));
        h.wait_for("Sesión cerrada").await;
        h.backend.wait_live(0, WAIT).await;
        // The "signed out" screen goes by itself; the next worker reads the kiosk's language.
        let screen = h.wait_for("Enter your mobile number").await;
        assert!(screen.contains("F2: Language"), "{screen}");
        let started = h.audit().into_iter().find(|record| record["event"] == "sign_in_start");
        assert_eq!(started.map(|record| record["language"].clone()), Some("es".into()));
        h.stop();
    })
    .await;
}

// ---- The ways on when the code is slow: time from the loop's own clock, paused and run ahead. ----

#[tokio::test]
async fn still_waiting_comes_30_s_after_the_code_on_the_loop_s_clock_and_call_me_asks_for_a_call() {
    let (kiosk, mut h) = kiosk().await;
    let limit = Duration::from_secs(120);
    run_within(
        kiosk,
        async {
            let Call::Start { answer, .. } = h.start_in_flight().await else { unreachable!() };
            answer.send(Ok(challenge("ch-1"))).unwrap();
            let screen = h.wait_for("Enter the 6-digit code").await;
            assert!(!screen.contains("Call me") && !screen.contains("Still waiting"), "{screen}");
            // From here the clock moves only from timer to timer: the loop's 1 s ticks run 30 s
            // ahead at once, with nothing typed. Nothing sleeps for real.
            tokio::time::pause();
            let sent = tokio::time::Instant::now();
            let screen = h.wait_for_within("Still waiting for the code?", limit).await;
            let waited = sent.elapsed();
            assert!(waited >= Duration::from_secs(29) && waited <= Duration::from_secs(31), "after {waited:?}");
            for text in
                ["ending in 0100", "[R] Text me a new code", "[C] Call me with the code", "[F9] Ask a store manager"]
            {
                assert!(screen.contains(text), "{text:?} not in\n{screen}");
            }
            h.press(KeyCode::Char('c'));
            let Call::Resend { challenge_id, channel, answer } = h.next_call("resend").await else { unreachable!() };
            assert_eq!((challenge_id.as_str(), channel), ("ch-1", shiftkey::auth::Channel::Voice));
            answer.send(Ok(challenge("ch-2"))).unwrap();
            let screen = h.wait_for("calling you").await;
            assert!(!screen.contains("Still waiting"), "a new code, a new wait: {screen}");
            h.stop();
        },
        limit,
    )
    .await;
}
