//! Ready-made kiosk states, built through `update` the way events would build them: for the
//! render benchmarks, the screen snapshots and the state machine's tests. No I/O.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{Answer, Effect, Event, Faults, Reply, RequestId, Settings, State};
use super::update::update;
use crate::auth::{AuthError, Challenge, Grant, SignedInUser, Tokens};
use crate::config::KioskConfig;
use crate::locale::Language;
use crate::secret::AccessToken;

/// The settings of a kiosk with the default config, named `store-042-till-3`.
pub fn settings() -> Settings {
    settings_in(Language::English)
}

/// The same kiosk, set to speak `language`.
pub fn settings_in(language: Language) -> Settings {
    let config = KioskConfig { language, ..KioskConfig::default() };
    let mut settings = Settings::from_config(&config, Some("xterm-256color"));
    settings.kiosk_name = "store-042-till-3".into();
    settings
}

pub fn fresh() -> State {
    State::new(settings(), None, Instant::now())
}

pub fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn type_text(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| press(state, KeyCode::Char(c))).collect()
}

/// The id of the last backend request among `effects`.
pub fn request_id(effects: &[Effect]) -> Option<RequestId> {
    effects.iter().rev().find_map(|effect| match effect {
        Effect::SendCode { id, .. } | Effect::Resend { id, .. } | Effect::Verify { id, .. } => Some(*id),
        _ => None,
    })
}

/// The backend answers request `id`.
pub fn reply(state: &mut State, id: RequestId, answer: Answer) -> Vec<Effect> {
    update(state, Event::Reply(Reply { id, answer }))
}

/// The backend answers the last request among `effects` with a code sent.
pub fn code_sent(state: &mut State, effects: &[Effect], result: Result<Challenge, AuthError>) -> Vec<Effect> {
    let id = request_id(effects).expect("a request was sent");
    reply(state, id, Answer::CodeSent(result))
}

/// The backend answers the last request among `effects` with a code checked.
pub fn verified(state: &mut State, effects: &[Effect], result: Result<Grant, AuthError>) -> Vec<Effect> {
    let id = request_id(effects).expect("a request was sent");
    reply(state, id, Answer::Verified(result))
}

pub fn challenge() -> Challenge {
    Challenge {
        id: "c".into(),
        code_length: 6,
        expires_in: Duration::from_secs(300),
        resend_after: Duration::from_secs(30),
    }
}

pub fn grant(name: &str, roles: &[&str]) -> Grant {
    Grant {
        tokens: Tokens::access_only(AccessToken::new("t")),
        expires_in: Duration::from_secs(60),
        user: SignedInUser {
            id: name.to_lowercase(),
            display_name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        },
    }
}

/// The phone screen with a number typed.
pub fn phone_typed() -> State {
    let mut state = fresh();
    type_text(&mut state, "2065550100");
    state
}

/// The code screen for +1 206 555 0100.
pub fn code_screen() -> State {
    let mut state = phone_typed();
    let sent = press(&mut state, KeyCode::Enter);
    code_sent(&mut state, &sent, Ok(challenge()));
    state
}

/// A running session of Alex Rivera's.
pub fn in_session() -> State {
    let mut state = code_screen();
    let sent = type_text(&mut state, "123456");
    verified(&mut state, &sent, Ok(grant("Alex Rivera", &[])));
    update(&mut state, Event::SessionStarted);
    let later = state.now + Duration::from_secs(1);
    update(&mut state, Event::Tick(later));
    state
}

/// The manager menu over a fresh kiosk.
pub fn manager_menu() -> State {
    let mut state = fresh();
    press(&mut state, KeyCode::F(9));
    type_text(&mut state, "2065550109");
    let sent = press(&mut state, KeyCode::Enter);
    code_sent(&mut state, &sent, Ok(challenge()));
    let sent = type_text(&mut state, "123456");
    verified(&mut state, &sent, Ok(grant("Jordan Lee", &["kiosk-manager"])));
    state
}

pub fn locked() -> State {
    State::new(settings(), Some("Closed for cleaning".into()), Instant::now())
}

/// A fresh kiosk out of service by itself: it can't write its audit log (a full disk), or its
/// state dir (a read-only file system).
pub fn out_of_service(audit_log: bool, state_dir: bool) -> State {
    let mut state = fresh();
    let faults = Faults {
        audit_log: audit_log.then(|| "No space left on device (os error 28)".into()),
        state_dir: state_dir.then(|| "/run/shiftkey: Read-only file system (os error 30)".into()),
    };
    update(&mut state, Event::Faults(faults));
    state
}
