//! "Use a pass from your manager" on the code screen: the worker types the temporary access
//! pass a manager or an admin issued instead of the texted code, into a field of its own
//! (as long as the backend's passes, `Settings::pass_format`; letters in upper case whatever was
//! typed unless its passes are case-sensitive; punctuation only where they may hold it; the
//! grouping is the view's). Offered only where
//! the backend takes passes (`Settings::passes`).

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::json;
use zeroize::Zeroize;

use crate::auth::{AuthError, Grant, PassFormat};
use crate::kiosk::state::{CodeForm, Effect, PassField, PassNotice, Requests};
use crate::secret::AccessPass;

/// Opens the pass field (not while a code is checked or a new one asked for).
pub fn open(form: &mut CodeForm) {
    if form.verifying.is_none() && form.resending.is_none() {
        form.digits.zeroize();
        form.pass = Some(PassField::default());
    }
}

/// A key in the pass field: Esc goes back to the code (a pass being checked is then no one's),
/// Enter with the whole pass checks it (as typed, without the view's grouping).
pub fn key(form: &mut CodeForm, key: KeyEvent, format: PassFormat, requests: &mut Requests) -> Vec<Effect> {
    let Some(field) = &mut form.pass else { return Vec::new() };
    if key.code == KeyCode::Esc {
        field.typed.zeroize();
        form.pass = None;
        return Vec::new();
    }
    if field.checking.is_some() {
        return Vec::new();
    }
    match key.code {
        KeyCode::Char(c) if c.is_ascii_alphanumeric() || (format.punctuation && c.is_ascii_punctuation()) => {
            if field.typed.len() < format.length {
                field.typed.push(if format.case_sensitive { c } else { c.to_ascii_uppercase() });
            }
            field.notice = None;
            Vec::new()
        }
        KeyCode::Backspace => {
            field.typed.pop();
            field.notice = None;
            Vec::new()
        }
        KeyCode::Enter if field.typed.len() == format.length => {
            let id = requests.start();
            field.checking = Some(id);
            let pass = AccessPass::new(field.typed.as_str());
            vec![Effect::SignInWithPass { id, phone: form.phone.clone(), pass }]
        }
        _ => Vec::new(),
    }
}

/// The backend's answer to the pass: the grant, or a notice under the field.
pub fn checked(form: &mut CodeForm, result: Result<Grant, AuthError>) -> (Option<Grant>, Vec<Effect>) {
    let masked = form.phone.masked();
    let Some(field) = &mut form.pass else { return (None, Vec::new()) };
    field.checking = None;
    field.typed.zeroize();
    match result {
        Ok(grant) => {
            let detail = json!({ "phone": masked, "user": grant.user.id, "with": "pass" });
            (Some(grant), vec![Effect::Audit { event: "sign_in", detail }])
        }
        Err(err) => {
            field.notice = Some(match &err {
                AuthError::RateLimited { retry_after } | AuthError::StoreRateLimited { retry_after } => {
                    PassNotice::RateLimited { seconds: retry_after.as_secs().max(1) }
                }
                AuthError::Unreachable => PassNotice::Unreachable,
                _ => PassNotice::Rejected,
            });
            let detail = json!({ "phone": masked, "with": "pass", "error": err.to_string() });
            (None, vec![Effect::Audit { event: "sign_in_failed", detail }])
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use crate::auth::{AuthError, PassFormat};
    use crate::kiosk::fixtures::{self, SCREEN, grant, press, reply, request_id, tap, type_text};
    use crate::kiosk::state::{
        Answer, CodeOption, DiscardReason, Effect, PassNotice, RevokeReason, Screen, Settings, State, Target,
    };
    use crate::kiosk::view::targets;

    fn with_passes() -> State {
        fixtures::code_screen_with(Settings { passes: true, ..fixtures::settings() })
    }

    fn field(state: &State) -> &crate::kiosk::state::PassField {
        match &state.screen {
            Screen::Code(form) => form.pass.as_ref().expect("the pass field is open"),
            other => panic!("not the code screen: {other:?}"),
        }
    }

    fn pass_sent(effects: &[Effect]) -> Option<(String, String)> {
        effects.iter().find_map(|effect| match effect {
            Effect::SignInWithPass { phone, pass, .. } => Some((phone.e164().to_string(), pass.expose().to_string())),
            _ => None,
        })
    }

    #[test]
    fn the_typed_pass_is_not_in_debug_output() {
        let mut state = with_passes();
        press(&mut state, KeyCode::Char('p'));
        type_text(&mut state, "7KQ4MXRT");
        let shown = format!("{state:?}");
        assert!(shown.contains("[8 characters]") && !shown.contains("7KQ4M"), "{shown}");
    }

    #[test]
    fn without_passes_p_is_just_a_key_and_there_is_no_target() {
        let mut state = fixtures::code_screen();
        assert!(press(&mut state, KeyCode::Char('p')).is_empty());
        let Screen::Code(form) = &state.screen else { panic!() };
        assert!(form.pass.is_none());
        let shown = targets::targets(&state, SCREEN);
        assert!(!shown.iter().any(|(target, _)| matches!(target, Target::CodeOption(_))), "{shown:?}");
    }

    #[test]
    fn a_typed_pass_is_upper_case_and_checked_with_the_number() {
        let mut state = with_passes();
        press(&mut state, KeyCode::Char('P'));
        assert!(type_text(&mut state, "7kq4m-xrt2").is_empty());
        assert!(press(&mut state, KeyCode::Enter).is_empty(), "nine characters aren't a pass");
        assert_eq!(field(&state).typed.as_str(), "7KQ4MXRT2");
        type_text(&mut state, "pq");
        assert_eq!(field(&state).typed.as_str(), "7KQ4MXRT2P", "at most ten");
        let sent = press(&mut state, KeyCode::Enter);
        assert_eq!(pass_sent(&sent), Some(("+12065550100".into(), "7KQ4MXRT2P".into())), "as typed, ungrouped");
        assert!(type_text(&mut state, "AB").is_empty() && field(&state).typed.len() == 10, "no typing while checked");

        let effects = reply(&mut state, request_id(&sent).unwrap(), Answer::PassChecked(Ok(grant("Alex Rivera", &[]))));
        assert!(matches!(&state.screen, Screen::Welcome { name, .. } if name == "Alex Rivera"));
        assert!(effects.iter().any(|e| matches!(e, Effect::StartSession(_))));
        let audit = effects.iter().find_map(|e| match e {
            Effect::Audit { event: "sign_in", detail } => Some(detail.clone()),
            _ => None,
        });
        let audit = audit.expect("the sign-in is audited");
        assert_eq!((audit["with"].as_str(), audit["phone"].as_str()), (Some("pass"), Some("+1 ••• ••• 0100")));
        assert!(!audit.to_string().contains("7KQ4M"), "the pass isn't audited: {audit}");
    }

    #[test]
    fn a_case_sensitive_format_keeps_case_and_takes_its_length() {
        let format = PassFormat { length: 24, case_sensitive: true, punctuation: true };
        let mut state =
            fixtures::code_screen_with(Settings { passes: true, pass_format: format, ..fixtures::settings() });
        press(&mut state, KeyCode::Char('p'));
        type_text(&mut state, "aB3{E-fG7h J~kLm");
        assert!(press(&mut state, KeyCode::Enter).is_empty(), "15 characters aren't a 24-character pass");
        assert_eq!(field(&state).typed.as_str(), "aB3{E-fG7hJ~kLm", "case and punctuation kept, no space");
        type_text(&mut state, "N9pQrStUvWxYz");
        assert_eq!(field(&state).typed.as_str(), "aB3{E-fG7hJ~kLmN9pQrStUv", "at most 24");
        let sent = press(&mut state, KeyCode::Enter);
        assert_eq!(pass_sent(&sent), Some(("+12065550100".into(), "aB3{E-fG7hJ~kLmN9pQrStUv".into())));
    }

    #[test]
    fn a_refused_pass_says_so_and_clears_the_field() {
        let mut state = with_passes();
        press(&mut state, KeyCode::Char('p'));
        type_text(&mut state, "7KQ4MXRT2P");
        let sent = press(&mut state, KeyCode::Enter);
        let effects = reply(&mut state, request_id(&sent).unwrap(), Answer::PassChecked(Err(AuthError::InvalidPass)));
        assert_eq!(field(&state).notice, Some(PassNotice::Rejected));
        assert!(field(&state).typed.is_empty());
        assert!(effects.iter().any(|e| matches!(e, Effect::Audit { event: "sign_in_failed", .. })));
        type_text(&mut state, "A");
        assert_eq!(field(&state).notice, None, "typing again clears the notice");
        press(&mut state, KeyCode::Backspace);
        type_text(&mut state, "7KQ4MXRT2P");
        let sent = press(&mut state, KeyCode::Enter);
        let limited = AuthError::RateLimited { retry_after: Duration::from_secs(600) };
        reply(&mut state, request_id(&sent).unwrap(), Answer::PassChecked(Err(limited)));
        assert_eq!(field(&state).notice, Some(PassNotice::RateLimited { seconds: 600 }));
    }

    #[test]
    fn esc_goes_back_to_the_code_and_a_grant_that_comes_later_is_revoked() {
        let mut state = with_passes();
        press(&mut state, KeyCode::Char('p'));
        type_text(&mut state, "7KQ4MXRT2P");
        let sent = press(&mut state, KeyCode::Enter);
        press(&mut state, KeyCode::Esc);
        let Screen::Code(form) = &state.screen else { panic!("still the code screen") };
        assert!(form.pass.is_none());
        let effects = reply(&mut state, request_id(&sent).unwrap(), Answer::PassChecked(Ok(grant("Alex Rivera", &[]))));
        assert!(matches!(state.screen, Screen::Code(_)), "no session from a pass given up");
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Revoke(_, RevokeReason::GrantDiscarded(DiscardReason::Cancelled)))),
            "{effects:?}"
        );
    }

    #[test]
    fn the_offer_and_the_way_back_are_tap_targets() {
        let mut state = with_passes();
        assert!(CodeOption::UsePass.offered(
            &state.settings,
            match &state.screen {
                Screen::Code(form) => form,
                _ => unreachable!(),
            }
        ));
        tap(&mut state, Target::CodeOption(CodeOption::UsePass));
        assert!(field(&state).typed.is_empty());
        // The keypad's digits type into the pass; its buttons (R would be a letter) are gone.
        tap(&mut state, Target::Key(crate::kiosk::state::KeypadKey::Digit('7')));
        assert_eq!(field(&state).typed.as_str(), "7");
        let shown = targets::targets(&state, SCREEN);
        assert!(!shown.iter().any(|(target, _)| *target == Target::NewCode), "{shown:?}");
        tap(&mut state, Target::BackToCode);
        let Screen::Code(form) = &state.screen else { panic!() };
        assert!(form.pass.is_none());
    }

    #[test]
    fn the_pass_keyboard_types_a_pass_by_touch_alone() {
        use crate::kiosk::state::KeypadKey::{Backspace, Digit, Enter, Letter};
        let key = |c: char| Target::Key(if c.is_ascii_digit() { Digit(c) } else { Letter(c) });
        let mut state = with_passes();
        tap(&mut state, Target::CodeOption(CodeOption::UsePass));
        for c in "7KQ4MXRT2A".chars() {
            assert!(tap(&mut state, key(c)).is_empty(), "{c}");
        }
        assert_eq!(field(&state).typed.as_str(), "7KQ4MXRT2A");
        tap(&mut state, Target::Key(Backspace));
        tap(&mut state, key('P'));
        assert_eq!(field(&state).typed.as_str(), "7KQ4MXRT2P");
        let sent = tap(&mut state, Target::Key(Enter));
        assert_eq!(pass_sent(&sent), Some(("+12065550100".into(), "7KQ4MXRT2P".into())));
        // R and P are letters here, not a new code or another pass field.
        assert!(tap(&mut state, Target::Key(Backspace)).is_empty() && field(&state).typed.len() == 10);
        tap(&mut state, Target::BackToCode);
        let shown = targets::targets(&state, SCREEN);
        assert!(!shown.iter().any(|(target, _)| matches!(target, Target::Key(Letter(_)))), "no letters for a code");
    }

    #[test]
    fn no_pass_keyboard_for_a_pass_with_lower_case_or_punctuation() {
        let mut state = with_passes();
        state.settings.pass_format = crate::auth::PassFormat { length: 24, case_sensitive: true, punctuation: true };
        tap(&mut state, Target::CodeOption(CodeOption::UsePass));
        assert!(field(&state).typed.is_empty(), "the field is open");
        let shown = targets::targets(&state, SCREEN);
        assert!(!shown.iter().any(|(target, _)| matches!(target, Target::Key(_))), "{shown:?}");
        assert!(shown.iter().any(|(target, _)| *target == Target::BackToCode), "the way back stays");
    }
}
