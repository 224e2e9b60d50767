//! Ready-made kiosk states, built through `update` the way events would build them: for the
//! render benchmarks, the screen snapshots and the state machine's tests. No I/O.
//! `screens` is every screen a worker or a manager can see, for checks that must hold on all.

pub mod screens;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::state::{Answer, Effect, Event, Faults, Reply, RequestId, Settings, State, Target};
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
    settings_for(&KioskConfig { language, ..KioskConfig::default() }, "xterm-256color")
}

/// The same kiosk with `config`, on a terminal of type `term`.
pub fn settings_for(config: &KioskConfig, term: &str) -> Settings {
    let mut settings = Settings::from_config(config, Some(term));
    settings.kiosk_name = "store-042-till-3".into();
    settings
}

pub fn fresh() -> State {
    fresh_with(settings())
}

pub fn fresh_with(settings: Settings) -> State {
    State::new(settings, None, Instant::now())
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
        Effect::SendCode { id, .. }
        | Effect::Resend { id, .. }
        | Effect::Verify { id, .. }
        | Effect::SignInWithPass { id, .. }
        | Effect::IssuePass { id, .. } => Some(*id),
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
    phone_typed_with(settings())
}

pub fn phone_typed_with(settings: Settings) -> State {
    let mut state = fresh_with(settings);
    type_text(&mut state, "2065550100");
    state
}

/// The code screen for +1 206 555 0100.
pub fn code_screen() -> State {
    code_screen_with(settings())
}

pub fn code_screen_with(settings: Settings) -> State {
    let mut state = phone_typed_with(settings);
    let sent = press(&mut state, KeyCode::Enter);
    code_sent(&mut state, &sent, Ok(challenge()));
    state
}

/// The code screen `waited` after the code went out, with `typed` typed, on a kiosk whose
/// backend can call (`Settings::voice`): its ways on.
pub fn code_screen_waited(settings: Settings, typed: &str, waited: Duration) -> State {
    let mut state = code_screen_with(Settings { voice: true, ..settings });
    type_text(&mut state, typed);
    let later = state.now + waited;
    update(&mut state, Event::Tick(later));
    state
}

/// A running session of Alex Rivera's.
pub fn in_session() -> State {
    in_session_with(settings())
}

pub fn in_session_with(settings: Settings) -> State {
    let mut state = code_screen_with(settings);
    let sent = type_text(&mut state, "123456");
    verified(&mut state, &sent, Ok(grant("Alex Rivera", &[])));
    update(&mut state, Event::SessionStarted);
    let later = state.now + Duration::from_secs(1);
    update(&mut state, Event::Tick(later));
    state
}

/// Alex's session with the lock key pressed and `typed` typed as the PIN to choose.
pub fn pin_choosing(typed: &str) -> State {
    pin_choosing_with(settings(), typed)
}

pub fn pin_choosing_with(settings: Settings, typed: &str) -> State {
    let lock = settings.lock_key;
    let mut state = in_session_with(settings);
    press(&mut state, KeyCode::F(lock.0));
    type_text(&mut state, typed);
    state
}

/// Alex's session behind the step-away lock with PIN `pin` (hashed as the kiosk would).
pub fn pin_locked(pin: &str) -> State {
    pin_locked_with(settings(), pin)
}

pub fn pin_locked_with(settings: Settings, pin: &str) -> State {
    let mut state = pin_choosing_with(settings, pin);
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
    manager_menu_with(settings())
}

pub fn manager_menu_with(settings: Settings) -> State {
    let mut state = fresh_with(settings);
    manager_signs_in(&mut state, "2065550109", grant("Jordan Lee", &["kiosk-manager"]));
    state
}

/// The manager key, then `number` and the code, and the backend grants `grant`.
pub fn manager_signs_in(state: &mut State, number: &str, grant: Grant) {
    press(state, KeyCode::F(state.settings.manager_key.0));
    type_text(state, number);
    let sent = press(state, KeyCode::Enter);
    code_sent(state, &sent, Ok(challenge()));
    let sent = type_text(state, "123456");
    verified(state, &sent, Ok(grant));
}

/// Out of service, "Closed for cleaning".
pub fn locked() -> State {
    locked_with(settings())
}

pub fn locked_with(settings: Settings) -> State {
    let message = settings.lock_presets[1].clone();
    State::new(settings, Some(message), Instant::now())
}

/// A fresh kiosk out of service by itself: it can't write its audit log (a full disk), or its
/// state dir (a read-only file system).
pub fn out_of_service(audit_log: bool, state_dir: bool) -> State {
    out_of_service_with(settings(), audit_log, state_dir)
}

pub fn out_of_service_with(settings: Settings, audit_log: bool, state_dir: bool) -> State {
    let mut state = fresh_with(settings);
    let faults = Faults {
        audit_log: audit_log.then(|| "No space left on device (os error 28)".into()),
        state_dir: state_dir.then(|| "/run/shiftkey: Read-only file system (os error 30)".into()),
    };
    update(&mut state, Event::Faults(faults));
    state
}
