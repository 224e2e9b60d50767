//! The worker's language. On the sign-in screen the language key (F2) opens the list of the
//! languages this terminal can show; the one picked is the screens', the backend's (the code
//! is texted in it) and the session's, until the teardown ends the session and the default
//! comes back (`Event::TeardownDone`).
//!
//! On a touch screen the Language button is `open_menu` and a tap on a row `choose`
//! (`touch`).

use crossterm::event::{KeyCode, KeyEvent};

use crate::kiosk::state::{Effect, Screen, State};
use crate::locale::Language;

/// Opens the list at the current language, on a sign-in screen not waiting for the backend
/// (the language of a code being sent can't change) and when there is a choice at all.
pub fn open_menu(state: &mut State) -> Vec<Effect> {
    let languages = &state.settings.languages;
    let Screen::Phone(form) = &mut state.screen else { return Vec::new() };
    if form.sending() || languages.len() < 2 {
        return Vec::new();
    }
    form.language_menu = Some(languages.iter().position(|l| *l == state.language).unwrap_or(0));
    Vec::new()
}

/// A key while the list is open: ↑↓ (Tab) move, Enter picks, a row's number picks it, Esc or
/// the language key closes the list unchanged.
pub fn menu_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let languages = &state.settings.languages;
    let close = KeyCode::F(state.settings.language_key.0);
    let Screen::Phone(form) = &mut state.screen else { return Vec::new() };
    let Some(selected) = form.language_menu.as_mut() else { return Vec::new() };
    let count = languages.len();
    let picked = match key.code {
        KeyCode::Up => {
            *selected = selected.checked_sub(1).unwrap_or(count - 1);
            None
        }
        KeyCode::Down | KeyCode::Tab => {
            *selected = (*selected + 1) % count;
            None
        }
        KeyCode::Enter => languages.get(*selected).copied(),
        KeyCode::Char(c) => c.to_digit(10).and_then(|row| languages.get((row as usize).checked_sub(1)?)).copied(),
        KeyCode::Esc => {
            form.language_menu = None;
            None
        }
        code if code == close => {
            form.language_menu = None;
            None
        }
        _ => None,
    };
    if let Some(language) = picked {
        choose(state, language);
    }
    Vec::new()
}

/// The worker picked `language`: the screens speak it from the next frame on.
pub fn choose(state: &mut State, language: Language) {
    state.language = language;
    if let Screen::Phone(form) = &mut state.screen {
        form.language_menu = None;
    }
}

/// Back to the kiosk's language; returns the one that was in use.
pub fn reset(state: &mut State) -> Language {
    std::mem::replace(&mut state.language, state.settings.language)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use super::*;
    use crate::config::{ConfigFile, GlyphSet, KioskConfig};
    use crate::kiosk::fixtures::{self, challenge, code_sent, grant, press, type_text, verified};
    use crate::kiosk::state::{Event, Settings};
    use crate::kiosk::update::update;
    use crate::session::SignOutReason;
    use crate::session::teardown::TeardownOutcome;

    fn menu(state: &State) -> Option<usize> {
        match &state.screen {
            Screen::Phone(form) => form.language_menu,
            other => panic!("expected the sign-in screen, got {other:?}"),
        }
    }

    /// The language each "send a code" among `effects` asks for.
    fn asked_in(effects: &[Effect]) -> Vec<Language> {
        effects
            .iter()
            .filter_map(|e| if let Effect::SendCode { language, .. } = e { Some(*language) } else { None })
            .collect()
    }

    #[test]
    fn the_language_key_opens_the_list_at_the_language_in_use_and_a_pick_switches() {
        let mut state = fixtures::fresh();
        assert_eq!(state.settings.languages, Language::ALL, "a Unicode terminal offers every language");
        press(&mut state, KeyCode::F(2));
        assert_eq!(menu(&state), Some(0));
        press(&mut state, KeyCode::Down);
        assert!(press(&mut state, KeyCode::Enter).is_empty());
        assert_eq!((state.language, menu(&state)), (Language::Spanish, None));
        // And back, by the row's number this time.
        press(&mut state, KeyCode::F(2));
        assert_eq!(menu(&state), Some(1), "the list opens at the language in use");
        press(&mut state, KeyCode::Char('1'));
        assert_eq!((state.language, menu(&state)), (Language::English, None));
    }

    #[test]
    fn keys_in_the_list_are_the_list_s_and_esc_leaves_it_unchanged() {
        let mut state = fixtures::fresh();
        type_text(&mut state, "206");
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::Up);
        assert_eq!(menu(&state), Some(Language::ALL.len() - 1), "up from the top wraps to the bottom");
        type_text(&mut state, "0");
        press(&mut state, KeyCode::Backspace);
        assert_eq!(menu(&state), Some(Language::ALL.len() - 1), "keys that pick nothing change nothing");
        press(&mut state, KeyCode::Esc);
        assert_eq!((state.language, menu(&state)), (Language::English, None));
        let Screen::Phone(form) = &state.screen else { unreachable!() };
        assert_eq!(form.input.as_str(), "206", "the number typed stays, untouched by the list's keys");
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::F(2));
        assert_eq!(menu(&state), None, "the language key closes the list too");
    }

    #[test]
    fn the_code_is_asked_for_in_the_picked_language_and_the_audit_says_which() {
        let mut state = fixtures::fresh();
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::Char('5'));
        assert_eq!(state.language, Language::PortugueseBrazil);
        type_text(&mut state, "2065550100");
        let effects = press(&mut state, KeyCode::Enter);
        assert_eq!(asked_in(&effects), [Language::PortugueseBrazil]);
        let audited = effects
            .iter()
            .any(|e| matches!(e, Effect::Audit { event: "sign_in_start", detail } if detail["language"] == "pt-BR"));
        assert!(audited, "{effects:?}");
        // While the code is being sent the language can't change: it is on its way.
        press(&mut state, KeyCode::F(2));
        assert_eq!(menu(&state), None);
        // A spent code's new sign-in is asked for in it too.
        code_sent(&mut state, &effects, Ok(challenge()));
        let later = state.now + Duration::from_secs(301);
        update(&mut state, Event::Tick(later));
        assert_eq!(asked_in(&press(&mut state, KeyCode::Enter)), [Language::PortugueseBrazil]);
    }

    #[test]
    fn the_choice_lasts_the_session_and_the_default_comes_back_when_the_teardown_ends() {
        let mut state = fixtures::fresh();
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::Char('4'));
        type_text(&mut state, "2065550100");
        let sent = press(&mut state, KeyCode::Enter);
        code_sent(&mut state, &sent, Ok(challenge()));
        let sent = type_text(&mut state, "123456");
        verified(&mut state, &sent, Ok(grant("Alex Rivera", &[])));
        update(&mut state, Event::SessionStarted);
        let later = state.now + Duration::from_secs(1);
        update(&mut state, Event::Tick(later));
        assert!(matches!(state.screen, Screen::Session(_)));
        assert_eq!(state.language, Language::German);
        press(&mut state, KeyCode::F(12));
        assert_eq!(state.language, Language::German, "signing out still speaks German");
        update(&mut state, Event::TeardownDone(TeardownOutcome::nothing(SignOutReason::SignOutKey)));
        assert_eq!(state.language, Language::English, "the next worker gets the kiosk's language");
        assert!(matches!(state.screen, Screen::SignedOut { language: Language::German, .. }), "{:?}", state.screen);
        press(&mut state, KeyCode::Char('1'));
        assert_eq!(menu(&state), None);
        assert_eq!(state.language, Language::English);
    }

    #[test]
    fn a_lock_ends_the_pick_of_a_worker_signing_in() {
        let mut state = fixtures::fresh();
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::Char('8'));
        assert_eq!(state.language, Language::ChineseSimplified);
        crate::kiosk::update::commands::lock(&mut state, "x".into(), "control");
        assert!(matches!(state.screen, Screen::Locked));
        assert_eq!(state.language, Language::English);
    }

    #[test]
    fn the_manager_screens_text_in_the_kiosk_s_language_whatever_the_worker_picked() {
        let mut state = fixtures::fresh();
        press(&mut state, KeyCode::F(2));
        press(&mut state, KeyCode::Char('2'));
        press(&mut state, KeyCode::F(9));
        press(&mut state, KeyCode::F(2));
        assert!(state.manager.is_some(), "no language list on the manager's form");
        type_text(&mut state, "2065550109");
        assert_eq!(asked_in(&press(&mut state, KeyCode::Enter)), [Language::English]);
    }

    fn settings(language: &str, glyphs: GlyphSet) -> Settings {
        let config = KioskConfig::from_toml(&format!("language = \"{language}\""), std::path::Path::new("k.toml"))
            .expect("a valid config");
        let config = KioskConfig { display: crate::config::DisplayConfig { glyphs, ..Default::default() }, ..config };
        Settings::from_config(&config, None)
    }

    #[test]
    fn a_terminal_offers_the_languages_its_characters_can_show_and_always_the_default() {
        use Language::*;
        assert_eq!(settings("en", GlyphSet::Unicode).languages, Language::ALL);
        let console = [English, Spanish, French, German, PortugueseBrazil];
        assert_eq!(settings("en", GlyphSet::Console).languages, console, "no Polish, Vietnamese or Chinese");
        assert_eq!(settings("en", GlyphSet::Ascii).languages, [English]);
        assert_eq!(
            settings("pl", GlyphSet::Console).languages,
            [English, Spanish, French, German, PortugueseBrazil, Polish]
        );
        assert_eq!(settings("es", GlyphSet::Ascii).languages, [English, Spanish]);
    }

    #[test]
    fn with_one_language_on_offer_the_key_does_nothing() {
        let mut state = State::new(settings("en", GlyphSet::Ascii), None, std::time::Instant::now());
        press(&mut state, KeyCode::F(2));
        assert_eq!(menu(&state), None);
    }

    #[test]
    fn the_kiosk_s_language_names_the_lock_presets_and_the_default_lock_message() {
        let settings = settings("de", GlyphSet::Unicode);
        assert_eq!(settings.lock_presets[1], "Wegen Reinigung geschlossen");
        let mut state = State::new(settings, None, std::time::Instant::now());
        assert_eq!(state.language, Language::German);
        let request = crate::control::protocol::Request::Lock { message: None };
        update(&mut state, Event::Control(crate::kiosk::state::ControlId(1), request));
        assert_eq!(state.locked.as_deref(), Some("Außer Betrieb"));
    }
}
