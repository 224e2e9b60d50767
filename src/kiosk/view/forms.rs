//! The sign-in forms as lines of text: the phone number, then the code. The manager screens
//! show the same forms (in the kiosk's language, without the language line or the store's
//! texts). Each form says where its field is (`Focus`), for the screen-reader layout's cursor.

use std::time::{Duration, Instant};

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::large_digits::{self, Cell};
use super::{Focus, Look, branding};
use crate::api_types::Channel;
use crate::kiosk::state::{CodeForm, CodeNotice, FormError, PhoneForm, State};
use crate::locale::Language;
use crate::phone::{self, PhoneError};
use crate::tr;

/// Whose form it is: a worker's offers the other languages and the store's texts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FormFor {
    Worker,
    Manager,
}

/// A region's name in `language`, else its code.
fn region_name(language: Language, code: &str) -> String {
    tr!(language, "region-name", code = code.to_ascii_uppercase())
}

/// An error's words: "Error: …" where colour alone can't say it is one (`Theme::says_errors`).
pub(super) fn error_words(state: &State, language: Language, message: String) -> String {
    match state.settings.theme.says_errors() {
        true => tr!(language, "error-label", message = message),
        false => message,
    }
}

/// A store's text line, if it has one for this form.
fn branding_line<'a>(
    lines: &mut Vec<Line<'a>>,
    state: &'a State,
    language: Language,
    which: fn(&crate::config::BrandingConfig) -> Option<&crate::config::LocalizedText>,
    style: Style,
) {
    if let Some(text) = branding::text(state, language, which) {
        lines.push(Line::styled(text, style));
    }
}

/// The field: "Label: value" in the flat layout (the cursor after it), large digits where the
/// look allows and they fit, else `small` (the boxed layout's own line). Returns the focus.
pub(super) fn field<'a>(
    lines: &mut Vec<Line<'a>>,
    look: &Look,
    theme: super::theme::Theme,
    label: impl FnOnce() -> String,
    value: &str,
    large: Option<(Vec<Cell>, &'static str)>,
    small: Line<'a>,
) -> Focus {
    let line = lines.len();
    if look.flat {
        let text = format!("{} {value}", label());
        let column = Line::from(text.as_str()).width() as u16;
        lines.push(Line::styled(text, theme.strong()));
        return Focus { line, column };
    }
    let big = large.and_then(|(cells, mark)| {
        let width = look.large_width?.saturating_sub(3);
        large_digits::rows(&cells, width).map(|rows| (rows, mark))
    });
    match big {
        Some((rows, mark)) => {
            let middle = large_digits::HEIGHT / 2;
            for (index, row) in rows.into_iter().enumerate() {
                let lead = if index == middle { mark } else { "   " };
                lines.push(Line::from(vec![Span::styled(lead, theme.strong()), Span::styled(row, theme.strong())]));
            }
        }
        None => lines.push(small),
    }
    Focus { line, column: 0 }
}

pub(super) fn phone_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a PhoneForm,
    state: &'a State,
    language: Language,
    who: FormFor,
    look: &Look,
) -> Focus {
    let theme = state.settings.theme;
    let worker = who == FormFor::Worker;
    lines.push(Line::from(tr!(language, "sign-in-title")).style(theme.title()));
    lines.push(Line::from(tr!(language, "phone-prompt")));
    if worker && !look.compact {
        branding_line(lines, state, language, |b| b.login_hint.as_ref(), theme.strong());
    }
    if look.spaced() {
        lines.push(Line::default());
    }
    let shown = if form.sending() {
        form.pending.as_ref().map(|p| p.masked()).unwrap_or_default()
    } else {
        phone::format_as_typed(&form.input, &state.settings.region)
    };
    let caret = if form.sending() { "" } else { "▏" };
    let small = Line::from(vec![Span::raw(" ▸ "), Span::styled(format!("{shown}{caret}"), theme.strong())]);
    let mut cells: Vec<Cell> = shown.chars().map(Cell::Char).collect();
    if !form.sending() {
        cells.push(Cell::Caret);
    }
    let large = worker.then_some((cells, " ▸ "));
    let focus = field(lines, look, theme, || tr!(language, "field-phone"), &shown, large, small);
    if !look.compact {
        let region = region_name(language, &state.settings.region);
        let indent = if look.flat { "" } else { "    " };
        lines.push(
            Line::from(format!("{indent}{}", tr!(language, "phone-region-hint", region = region))).style(theme.hint()),
        );
        if look.spaced() {
            lines.push(Line::default());
        }
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(error_words(state, language, form_error(language, error))).style(theme.error()));
    }
    if form.sending() {
        let status = match form.retry_at {
            Some(at) => tr!(language, "phone-retrying", seconds = secs_left(at, state.now)),
            None => tr!(language, "phone-sending"),
        };
        lines.push(Line::from(status).style(theme.progress()));
        lines.push(Line::from(tr!(language, "phone-cancel-hint")).style(theme.hint()));
    } else {
        lines.push(Line::from(tr!(language, "phone-hint")).style(theme.hint()));
        // The language line (on a touch screen, the Language button beside the form: `keypad`).
        if worker && state.settings.languages.len() > 1 {
            let key = state.settings.language_key.to_string();
            lines.push(Line::from(tr!(language, "phone-language-hint", key = key)).style(theme.accent()));
        }
    }
    if worker && !look.compact {
        branding_line(lines, state, language, |b| b.help.as_ref(), theme.hint());
    }
    focus
}

/// The phone form's error, in `language`.
pub(super) fn form_error(language: Language, error: &FormError) -> String {
    match error {
        FormError::DigitsOnly => tr!(language, "error-digits-only"),
        FormError::Phone(error) => phone_error(language, error),
        FormError::Refused => tr!(language, "error-number-refused"),
        FormError::RateLimited { seconds } => tr!(language, "error-rate-limited", seconds = *seconds),
        FormError::StoreRateLimited { seconds } => store_busy(language, *seconds),
        FormError::Unreachable => tr!(language, "service-unreachable"),
        FormError::ServiceProblem => tr!(language, "error-service-problem"),
        FormError::SessionFailed(reason) => tr!(language, "error-session-failed", error = reason.as_str()),
        FormError::NoSuchWorker => tr!(language, "manager-pass-no-user"),
        FormError::PassRefused => tr!(language, "manager-pass-refused"),
    }
}

fn phone_error(language: Language, error: &PhoneError) -> String {
    match error {
        PhoneError::Empty => tr!(language, "error-phone-empty"),
        PhoneError::TooLong => tr!(language, "error-phone-too-long"),
        PhoneError::NotANumber => tr!(language, "error-phone-not-a-number"),
        PhoneError::Invalid(region) => tr!(language, "error-phone-invalid", region = region_name(language, region)),
        PhoneError::UnknownRegion(code) => tr!(language, "error-phone-unknown-region", code = code.as_str()),
        PhoneError::NotMobile(kind) => tr!(language, "error-phone-not-mobile", kind = *kind),
    }
}

/// The per-address limit's message: it's the store's kiosks together, not this worker.
fn store_busy(language: Language, seconds: u64) -> String {
    tr!(language, "store-busy", minutes = seconds.div_ceil(60).max(1))
}

fn secs_left(at: Instant, now: Instant) -> u64 {
    at.saturating_duration_since(now).as_secs_f64().ceil() as u64
}

fn clock(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The code notice's words, and whether it is an error (all but "sent you a new code").
fn notice_words(language: Language, notice: &CodeNotice) -> (String, bool) {
    match notice {
        CodeNotice::WrongCode { attempts_left } => (tr!(language, "code-wrong", attempts_left = *attempts_left), true),
        CodeNotice::Expired => (tr!(language, "code-expired"), true),
        CodeNotice::TooManyAttempts => (tr!(language, "code-too-many"), true),
        CodeNotice::Resent => (tr!(language, "code-resent"), false),
        CodeNotice::Calling => (tr!(language, "code-calling"), false),
        CodeNotice::RateLimited { seconds } => (tr!(language, "code-rate-limited", seconds = *seconds), true),
        CodeNotice::StoreRateLimited { seconds } => (store_busy(language, *seconds), true),
        CodeNotice::CodeRejected => (tr!(language, "code-rejected"), true),
        CodeNotice::Untrusted => (tr!(language, "code-untrusted"), true),
        CodeNotice::Unreachable => (tr!(language, "service-unreachable"), true),
    }
}

pub(super) fn code_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a CodeForm,
    state: &'a State,
    language: Language,
    who: FormFor,
    look: &Look,
) -> Focus {
    if let Some(pass) = &form.pass {
        return super::pass::lines(lines, form, pass, state, language, look);
    }
    let (theme, now) = (state.settings.theme, state.now);
    let (length, phone) = (form.code_length, form.phone.masked());
    let prompt = match form.sent_by {
        Channel::Sms => tr!(language, "code-prompt", length = length, phone = phone),
        Channel::Voice => tr!(language, "code-prompt-called", length = length, phone = phone),
    };
    lines.push(Line::from(prompt).style(theme.title()));
    // The same words for every number: whether a number is registered never shows here.
    if !look.compact {
        lines.push(Line::from(tr!(language, "code-on-its-way")).style(theme.hint()));
    }
    // A wrong code marks the boxes too where colour can't be relied on to say it.
    let wrong = matches!(form.notice, Some(CodeNotice::WrongCode { .. } | CodeNotice::CodeRejected));
    let marked = wrong && theme.marks_wrong_code();
    let caret_at = (form.verifying.is_none()).then_some(form.digits.len());
    let mut boxes = vec![Span::styled(if marked { "× " } else { " " }, theme.strong())];
    let mut cells = Vec::new();
    for index in 0..form.code_length {
        let digit = form.digits.chars().nth(index);
        let (cell, large) = match digit {
            Some(d) => (format!("[{d}]"), Cell::Char(d)),
            None if caret_at == Some(index) => ("[▁]".to_string(), Cell::Caret),
            None => ("[ ]".to_string(), Cell::Slot),
        };
        boxes.push(Span::styled(cell, theme.strong()));
        boxes.push(Span::raw(" "));
        cells.push(large);
    }
    let label = || tr!(language, "field-code");
    if marked {
        cells.splice(0..0, [Cell::Char('×'), Cell::Char(' ')]);
    }
    let large = (who == FormFor::Worker).then_some((cells, "   "));
    let focus = field(lines, look, theme, label, &form.digits, large, Line::from(boxes));
    if look.spaced() {
        lines.push(Line::default());
    }
    if let Some(notice) = &form.notice {
        let (text, error) = notice_words(language, notice);
        let line = match error {
            true => Line::from(error_words(state, language, text)).style(theme.error()),
            false => Line::from(text).style(theme.success()),
        };
        lines.push(line);
    }
    if form.verifying.is_some() {
        lines.push(Line::from(tr!(language, "code-checking")).style(theme.progress()));
    } else if form.resending.is_some() {
        lines.push(Line::from(tr!(language, "code-resending")).style(theme.progress()));
    } else if !form.dead(now) {
        let left = form.expires_at.saturating_duration_since(now);
        // A screen reader hears the time left once a minute, not a clock ticking each second.
        lines.push(Line::from(match look.flat {
            true => tr!(language, "code-expires-in-minutes", minutes = left.as_secs().div_ceil(60)),
            false => tr!(language, "code-expires-in", time = clock(left)),
        }));
        if now >= form.resend_at {
            // The worker's screen lists the ways on under the form instead (`ways`).
            if who == FormFor::Manager {
                lines.push(Line::from(tr!(language, "code-resend-hint")));
            }
        } else if !look.flat {
            lines.push(
                Line::from(tr!(language, "code-resend-wait", time = clock(form.resend_at - now))).style(theme.hint()),
            );
        }
    }
    lines.push(Line::from(tr!(language, "code-back-hint")).style(theme.hint()));
    // The boxed layout offers a pass on a row of its own, a tap target (`pass::draw_row`).
    if look.flat {
        lines.extend(super::pass::offer_line(state, form, language));
    }
    if who == FormFor::Worker && !look.compact {
        branding_line(lines, state, language, |b| b.privacy.as_ref(), theme.hint());
    }
    focus
}
