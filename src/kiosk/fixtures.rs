//! Ready-made kiosk states, built through `update` the way events would build them: for the
//! render benchmarks and the screen snapshots. No I/O.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{Event, Purpose, Reply, State};
use super::update::update;
use crate::auth::{Challenge, Grant, SignedInUser};
use crate::config::FunctionKey;
use crate::secret::AccessToken;

pub fn fresh() -> State {
    State::new("store-042-till-3".into(), "US".into(), FunctionKey(12), Instant::now())
}

pub fn press(state: &mut State, code: KeyCode) {
    update(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub fn type_text(state: &mut State, text: &str) {
    text.chars().for_each(|c| press(state, KeyCode::Char(c)));
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
        token: AccessToken::new("t"),
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
    press(&mut state, KeyCode::Enter);
    update(&mut state, Event::Reply(Reply::CodeSent(Purpose::Worker, Ok(challenge()))));
    state
}

/// A running session of Alex Rivera's.
pub fn in_session() -> State {
    let mut state = code_screen();
    type_text(&mut state, "123456");
    update(&mut state, Event::Reply(Reply::Verified(Purpose::Worker, Ok(grant("Alex Rivera", &[])))));
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
    press(&mut state, KeyCode::Enter);
    update(&mut state, Event::Reply(Reply::CodeSent(Purpose::Manager, Ok(challenge()))));
    type_text(&mut state, "123456");
    update(&mut state, Event::Reply(Reply::Verified(Purpose::Manager, Ok(grant("Jordan Lee", &["kiosk-manager"])))));
    state
}

pub fn locked() -> State {
    let mut state = fresh();
    update(&mut state, Event::Lock("Closed for cleaning".into()));
    state
}
