//! The out-of-service screen: a manager's lock (their message, and who can open it), or what
//! the kiosk can't write (and that it opens again by itself once it can), or both.

use ratatui::text::Line;

use super::Look;
use super::forms::error_words;
use super::theme::Theme;
use crate::kiosk::state::State;
use crate::locale::Language;
use crate::tr;

pub(super) fn lines(lines: &mut Vec<Line>, state: &State, language: Language, theme: Theme, look: &Look) {
    let gap = |lines: &mut Vec<Line>| {
        if look.spaced() {
            lines.push(Line::default());
        }
    };
    let faults = &state.faults;
    let title = match (&state.locked, &faults.audit_log) {
        (Some(_), _) => tr!(language, "locked-title"),
        (None, Some(_)) => tr!(language, "out-of-service-audit-log"),
        (None, None) => tr!(language, "out-of-service-state-dir"),
    };
    lines.push(Line::from(title).style(theme.alert()));
    gap(lines);
    if let Some(message) = &state.locked {
        lines.push(Line::from(message.clone()).style(theme.strong()));
        gap(lines);
    }
    if let Some(error) = &faults.audit_log {
        let words = error_words(state, language, tr!(language, "audit-log-unwritable", error = error.as_str()));
        lines.push(Line::from(words).style(theme.error()));
    }
    if let Some(error) = &faults.state_dir {
        let words = error_words(state, language, tr!(language, "state-dir-unwritable", error = error.as_str()));
        lines.push(Line::from(words).style(theme.error()));
    }
    if faults.any() {
        lines.push(Line::from(tr!(language, "out-of-service-until-writable")).style(theme.hint()));
    }
    if state.locked.is_some() {
        let key = state.settings.manager_key.to_string();
        lines.push(Line::from(tr!(language, "locked-hint", key = key)).style(theme.hint()));
    }
}
