//! Temporary access passes on screen: the worker's field on the code screen ("Use a pass from
//! your manager") and the row under a code screen's text that offers it, or leads back to the
//! code; the manager's "Issue a one-time pass" (the worker's number, then the pass, once).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::forms::{error_words, field, form_error};
use super::{Focus, Look};
use crate::api_types::{PASS_GROUP, group_pass};
use crate::kiosk::state::{CodeForm, CodeOption, PassField, PassNotice, PhoneForm, State, Target};
use crate::locale::Language;
use crate::phone;
use crate::secret::AccessPass;
use crate::tr;

/// The pass field's lines (in place of the code's).
pub(super) fn lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a CodeForm,
    pass: &'a PassField,
    state: &'a State,
    language: Language,
    look: &Look,
) -> Focus {
    let theme = state.settings.theme;
    let format = state.settings.pass_format;
    lines.push(Line::from(tr!(language, "pass-prompt", phone = form.phone.masked())).style(theme.title()));
    if !look.compact {
        let hint = if format.case_sensitive {
            tr!(language, "pass-hint-exact", length = format.length)
        } else {
            tr!(language, "pass-hint", length = format.length)
        };
        lines.push(Line::from(hint).style(theme.hint()));
    }
    if look.spaced() {
        lines.push(Line::default());
    }
    let shown = shown(&pass.typed, format.length, pass.checking.is_none());
    let small = Line::from(vec![Span::raw(" ▸ "), Span::styled(shown.clone(), theme.strong())]);
    let typed = group_pass(&pass.typed);
    let focus = field(lines, look, theme, || tr!(language, "field-pass"), &typed, None, small);
    if look.spaced() {
        lines.push(Line::default());
    }
    if let Some(notice) = &pass.notice {
        let text = match notice {
            PassNotice::Rejected => tr!(language, "pass-rejected"),
            PassNotice::RateLimited { seconds } => tr!(language, "code-rate-limited", seconds = *seconds),
            PassNotice::Unreachable => tr!(language, "service-unreachable"),
        };
        lines.push(Line::from(error_words(state, language, text)).style(theme.error()));
    }
    if pass.checking.is_some() {
        lines.push(Line::from(tr!(language, "pass-checking")).style(theme.progress()));
    }
    if look.flat {
        lines.push(Line::from(tr!(language, "pass-back-hint")).style(theme.hint()));
    }
    focus
}

/// The pass as typed, in its groups, the places still to type (of `length`) shown as `·` (the
/// caret on the next one while typing).
fn shown(typed: &str, length: usize, caret: bool) -> String {
    let mut out = String::new();
    for index in 0..length {
        if index > 0 && index % PASS_GROUP == 0 {
            out.push('-');
        }
        out.push(match typed.chars().nth(index) {
            Some(c) => c,
            None if caret && index == typed.len() => '▁',
            None => '·',
        });
    }
    out
}

/// The flat layout's line offering a pass, under the code (the boxed layout draws `row`).
pub(super) fn offer_line<'a>(state: &'a State, form: &CodeForm, language: Language) -> Option<Line<'a>> {
    CodeOption::UsePass
        .offered(&state.settings, form)
        .then(|| Line::from(tr!(language, "pass-offer-hint")).style(state.settings.theme.hint()))
}

/// What the row under a code screen's text is a target for: the pass on offer, or back to the code.
pub(super) fn row_target(state: &State, form: &CodeForm) -> Option<Target> {
    if form.pass.is_some() {
        Some(Target::BackToCode)
    } else {
        CodeOption::UsePass.offered(&state.settings, form).then_some(Target::CodeOption(CodeOption::UsePass))
    }
}

/// What the row says: its key, then what it does.
pub(super) fn row_label(target: Target, language: Language) -> String {
    match target {
        Target::BackToCode => format!("[Esc] {}", tr!(language, "pass-back")),
        _ => format!("[P] {}", tr!(language, "pass-use")),
    }
}

/// Draws the row at `area` (highlighted while pressed).
pub(super) fn draw_row(frame: &mut Frame, state: &State, target: Target, area: Rect, language: Language) {
    let theme = state.settings.theme;
    let style = if state.pressed == Some(target) { theme.selected() } else { theme.strong() };
    frame.render_widget(Paragraph::new(Line::styled(row_label(target, language), style)), area);
}

/// The manager's form for the worker's number.
pub(super) fn issue_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a PhoneForm,
    state: &'a State,
    language: Language,
    look: &Look,
) -> Focus {
    let theme = state.settings.theme;
    lines.push(Line::from(tr!(language, "manager-pass-title")).style(theme.manager_title()));
    lines.push(Line::from(tr!(language, "manager-pass-prompt")));
    if look.spaced() {
        lines.push(Line::default());
    }
    let shown = match &form.pending {
        Some(pending) if form.sending() => pending.masked(),
        _ => phone::format_as_typed(&form.input, &state.settings.region),
    };
    let caret = if form.sending() { "" } else { "▏" };
    let small = Line::from(vec![Span::raw(" ▸ "), Span::styled(format!("{shown}{caret}"), theme.strong())]);
    let focus = field(lines, look, theme, || tr!(language, "field-phone"), &shown, None, small);
    if let Some(error) = &form.error {
        lines.push(Line::from(error_words(state, language, form_error(language, error))).style(theme.error()));
    }
    if form.sending() {
        lines.push(Line::from(tr!(language, "manager-pass-issuing")).style(theme.progress()));
    }
    focus
}

/// The pass a manager issued, this once: in large letters where there is room, and spaced out
/// to be read aloud, with how long it lasts.
pub(super) fn shown_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    pass: &AccessPass,
    name: &str,
    minutes: u64,
    state: &'a State,
    language: Language,
    look: &Look,
) -> Focus {
    let theme = state.settings.theme;
    lines.push(Line::from(tr!(language, "manager-pass-for", name = name)).style(theme.manager_title()));
    if look.spaced() {
        lines.push(Line::default());
    }
    let focus = Focus { line: lines.len(), column: 0 };
    // Each character apart, the groups further apart: easy to read out and to copy.
    let spaced: Vec<String> =
        pass.expose().split('-').map(|group| group.chars().map(String::from).collect::<Vec<_>>().join(" ")).collect();
    let indent = if look.flat { "" } else { "   " };
    let style = theme.title().patch(theme.strong());
    // Large too, where there is room: the worker may copy it from the screen.
    let width = look.large_width.filter(|_| !look.flat).map(|width| width.saturating_sub(indent.len() as u16));
    for row in width.and_then(|width| super::large_letters::rows(pass.expose(), width)).unwrap_or_default() {
        lines.push(Line::from(format!("{indent}{row}")).style(style));
    }
    lines.push(Line::from(format!("{indent}{}", spaced.join("   -   "))).style(style));
    if look.spaced() {
        lines.push(Line::default());
    }
    lines.push(Line::from(tr!(language, "manager-pass-valid", minutes = minutes)));
    lines.push(Line::from(tr!(language, "manager-pass-done-hint")).style(theme.hint()));
    focus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_grouped_in_fives() {
        assert_eq!(group_pass("ABCDEFGHJK"), "ABCDE-FGHJK");
        assert_eq!(group_pass("ABCDEF"), "ABCDE-F");
        assert_eq!(group_pass(""), "");
    }

    #[test]
    fn the_field_shows_groups_and_what_is_left() {
        assert_eq!(shown("", 10, true), "▁····-·····");
        assert_eq!(shown("ABCDEF", 10, true), "ABCDE-F▁···");
        assert_eq!(shown("ABCDEFGHJK", 10, false), "ABCDE-FGHJK");
        // privacyIDEA's registration codes: 24 characters, case kept, still in fives.
        assert_eq!(shown("aBcDeFg", 24, true), "aBcDe-Fg▁··-·····-·····-····");
    }
}
