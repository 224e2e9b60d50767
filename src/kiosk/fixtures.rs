//! Ready-made kiosk states, built through `update` the way events would build them: for the
//! render benchmarks, the screen snapshots and the state machine's tests. No I/O.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::state::{Answer, Effect, Event, Reply, RequestId, Settings, State, Target};
use super::update::update;
use super::view::targets;
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

/// The screen taps land on: 80x24.
pub const SCREEN: Rect = Rect { x: 0, y: 0, width: 80, height: 24 };

/// A left press (`release`: a release) at (`column`, `row`) of an 80x24 screen, as foot sends
/// a touch.
pub fn touch(state: &mut State, column: u16, row: u16, release: bool) -> Vec<Effect> {
    let kind = if release { MouseEventKind::Up(MouseButton::Left) } else { MouseEventKind::Down(MouseButton::Left) };
    let mouse = MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE };
    update(state, Event::Mouse { mouse, area: SCREEN })
}

/// A tap in the middle of `target` on an 80x24 screen: a press and a release there.
pub fn tap(state: &mut State, target: Target) -> Vec<Effect> {
    let (_, place) = targets::targets(state, SCREEN)
        .into_iter()
        .find(|(on_screen, _)| *on_screen == target)
        .unwrap_or_else(|| panic!("{target:?} isn't on the screen"));
    let (column, row) = (place.x + place.width / 2, place.y + place.height / 2);
    let mut effects = touch(state, column, row, false);
    effects.extend(touch(state, column, row, true));
    effects
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

/// Alex's session with the lock key pressed and `typed` typed as the PIN to choose.
pub fn pin_choosing(typed: &str) -> State {
    let mut state = in_session();
    press(&mut state, KeyCode::F(11));
    type_text(&mut state, typed);
    state
}

/// Alex's session behind the step-away lock with PIN `pin` (hashed as the kiosk would).
pub fn pin_locked(pin: &str) -> State {
    let mut state = pin_choosing(pin);
    press(&mut state, KeyCode::Enter);
    type_text(&mut state, pin);
    let effects = press(&mut state, KeyCode::Enter);
    let sealed = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::SealPin(entry) => Some(crate::pin::seal(entry)),
            _ => None,
        })
        .expect("the confirmed PIN is sealed");
    update(&mut state, Event::PinSealed(sealed));
    state
}

/// Types `pin` at the lock and carries out the comparison it asks for, as the kiosk would.
pub fn try_pin(state: &mut State, pin: &str) -> Vec<Effect> {
    type_text(state, pin);
    let effects = press(state, KeyCode::Enter);
    let right = effects.iter().find_map(|effect| match effect {
        Effect::CheckPin { hash, entry } => Some(hash.matches(entry)),
        _ => None,
    });
    match right {
        Some(right) => update(state, Event::PinChecked(right)),
        None => effects,
    }
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
