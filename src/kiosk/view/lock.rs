//! The step-away lock's screens: choosing a PIN, and the lock over the session ("Locked by
//! Alex R. — enter your PIN"). The session's output is never shown behind them.

use std::time::Duration;

use ratatui::text::Line;

use super::forms::error_words;
use super::{Focus, Look};
use crate::kiosk::state::{PinLock, PinProblem, SessionStatus, State};
use crate::locale::Language;
use crate::pin::{MAX_DIGITS, PinEntry, PinRule};
use crate::tr;

/// "Alex R." for "Alex Rivera": enough for the worker to know it is theirs, little for others.
pub fn short_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or_default();
    match words.last().and_then(|last| last.chars().next()) {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_string(),
    }
}

/// The typed digits as stars, and where the next one goes.
fn field(entry: &PinEntry) -> String {
    let next = if entry.len() < MAX_DIGITS { "_" } else { "" };
    format!("{}{next}", "*".repeat(entry.len()))
}

fn problem_text(language: Language, problem: PinProblem) -> String {
    match problem {
        PinProblem::Rule(PinRule::TooShort) => tr!(language, "pin-too-short"),
        PinProblem::Rule(PinRule::Trivial) => tr!(language, "pin-trivial"),
        PinProblem::Mismatch => tr!(language, "pin-mismatch"),
        PinProblem::Wrong { attempts_left } => tr!(language, "pin-wrong", attempts = attempts_left),
    }
}

/// "4 min", "45 s".
fn duration_text(language: Language, left: Duration) -> String {
    match left.as_secs() {
        seconds @ 0..=59 => tr!(language, "pin-seconds", seconds = seconds.max(1)),
        seconds => tr!(language, "pin-minutes", minutes = seconds.div_ceil(60)),
    }
}

/// The lock's lines; the focus is on the PIN being typed.
pub(super) fn lines<'a>(
    lines: &mut Vec<Line<'a>>,
    lock: &PinLock,
    status: &SessionStatus,
    state: &State,
    look: &Look,
) -> Focus {
    let language = state.language;
    let theme = state.settings.theme;
    let gap = |lines: &mut Vec<Line<'a>>| {
        if look.spaced() {
            lines.push(Line::default());
        }
    };
    let problem_line =
        |problem| Line::from(error_words(state, language, problem_text(language, problem))).style(theme.error());
    let field_line = |lines: &mut Vec<Line<'a>>, entry: &PinEntry| {
        let text = tr!(language, "pin-field", digits = field(entry));
        // The cursor on the "_" where the next digit goes.
        let column = Line::from(text.as_str()).width().saturating_sub(1) as u16;
        let focus = Focus { line: lines.len(), column };
        lines.push(Line::from(text).style(theme.strong()));
        focus
    };
    let sign_out = state.settings.sign_out_key.to_string();
    match lock {
        PinLock::Choosing { first, entry, problem } => {
            lines.push(Line::from(tr!(language, "pin-choose-title")).style(theme.title()));
            gap(lines);
            let ask =
                if first.is_some() { tr!(language, "pin-choose-again") } else { tr!(language, "pin-choose-intro") };
            lines.push(Line::from(ask));
            gap(lines);
            let focus = field_line(lines, entry);
            if let Some(problem) = problem {
                lines.push(problem_line(*problem));
            }
            gap(lines);
            lines.push(Line::from(tr!(language, "pin-choose-keys", key = sign_out)).style(theme.hint()));
            focus
        }
        PinLock::Locked { entry, checking, problem, .. } => {
            let name = short_name(&status.name);
            lines.push(Line::from(tr!(language, "pin-locked-title", name = name)).style(theme.title()));
            gap(lines);
            let focus = field_line(lines, entry);
            if *checking {
                lines.push(Line::from(tr!(language, "pin-checking")));
            } else if let Some(problem) = problem {
                lines.push(problem_line(*problem));
            }
            gap(lines);
            let deadline = status.idle_deadline(&state.settings.limits).min(status.ends_at);
            let left = duration_text(language, deadline.saturating_duration_since(state.now));
            lines.push(Line::from(tr!(language, "pin-signs-out-in", time = left)));
            lines.push(Line::from(tr!(language, "pin-locked-keys", key = sign_out)).style(theme.hint()));
            focus
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_to_first_name_and_initial() {
        assert_eq!(short_name("Alex Rivera"), "Alex R.");
        assert_eq!(short_name("Maria da Silva Santos"), "Maria S.");
        assert_eq!(short_name("Cher"), "Cher");
        assert_eq!(short_name("  "), "");
    }
}
