//! The sign-in forms as lines of text: the phone number, then the code. The manager screens
//! show the same forms (in the kiosk's language, without the language line).

use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};

use super::{ACCENT, ERROR};
use crate::kiosk::state::{CodeForm, CodeNotice, FormError, PhoneForm, State};
use crate::locale::Language;
use crate::phone::{self, PhoneError};
use crate::tr;

/// Whose phone form it is: a worker's offers the other languages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FormFor {
    Worker,
    Manager,
}

/// A region's name in `language`, else its code.
fn region_name(language: Language, code: &str) -> String {
    tr!(language, "region-name", code = code.to_ascii_uppercase())
}

pub(super) fn phone_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a PhoneForm,
    state: &'a State,
    language: Language,
    who: FormFor,
    compact: bool,
) {
    lines.push(Line::from(tr!(language, "sign-in-title")).bold().fg(ACCENT));
    lines.push(Line::from(tr!(language, "phone-prompt")));
    if !compact {
        lines.push(Line::default());
    }
    let shown = if form.sending() {
        form.pending.as_ref().map(|p| p.masked()).unwrap_or_default()
    } else {
        phone::format_as_typed(&form.input, &state.settings.region)
    };
    let cursor = if form.sending() { "" } else { "▏" };
    lines.push(Line::from(vec![
        Span::raw(" ▸ "),
        Span::styled(format!("{shown}{cursor}"), Style::default().add_modifier(Modifier::BOLD)),
    ]));
    if !compact {
        let region = region_name(language, &state.settings.region);
        lines.push(Line::from(format!("    {}", tr!(language, "phone-region-hint", region = region))).dim());
        lines.push(Line::default());
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(form_error(language, error)).fg(ERROR));
    }
    if form.sending() {
        let status = match form.retry_at {
            Some(at) => tr!(language, "phone-retrying", seconds = secs_left(at, state.now)),
            None => tr!(language, "phone-sending"),
        };
        lines.push(Line::from(status).fg(Color::Yellow));
        lines.push(Line::from(tr!(language, "phone-cancel-hint")).dim());
    } else {
        lines.push(Line::from(tr!(language, "phone-hint")).dim());
        // The language line (on a touch screen, the Language button beside the form: `keypad`).
        if who == FormFor::Worker && state.settings.languages.len() > 1 {
            let key = state.settings.language_key.to_string();
            lines.push(Line::from(tr!(language, "phone-language-hint", key = key)).fg(ACCENT));
        }
    }
}

/// The phone form's error, in `language`.
fn form_error(language: Language, error: &FormError) -> String {
    match error {
        FormError::DigitsOnly => tr!(language, "error-digits-only"),
        FormError::Phone(error) => phone_error(language, error),
        FormError::Refused => tr!(language, "error-number-refused"),
        FormError::RateLimited { seconds } => tr!(language, "error-rate-limited", seconds = *seconds),
        FormError::StoreRateLimited { seconds } => store_busy(language, *seconds),
        FormError::Unreachable => tr!(language, "service-unreachable"),
        FormError::ServiceProblem => tr!(language, "error-service-problem"),
        FormError::SessionFailed(reason) => tr!(language, "error-session-failed", error = reason.as_str()),
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

pub(super) fn code_lines<'a>(
    lines: &mut Vec<Line<'a>>,
    form: &'a CodeForm,
    now: Instant,
    language: Language,
    compact: bool,
) {
    let prompt = tr!(language, "code-prompt", length = form.code_length, phone = form.phone.masked());
    lines.push(Line::from(prompt).bold().fg(ACCENT));
    // The same words for every number: whether a number is registered never shows here.
    if !compact {
        lines.push(Line::from(tr!(language, "code-on-its-way")).dim());
    }
    let mut boxes = vec![Span::raw(" ")];
    for index in 0..form.code_length {
        let digit = form.digits.chars().nth(index);
        let cell = match digit {
            Some(d) => format!("[{d}]"),
            None if index == form.digits.len() && form.verifying.is_none() => "[▁]".to_string(),
            None => "[ ]".to_string(),
        };
        boxes.push(Span::styled(cell, Style::default().add_modifier(Modifier::BOLD)));
        boxes.push(Span::raw(" "));
    }
    lines.push(Line::from(boxes));
    if !compact {
        lines.push(Line::default());
    }
    if let Some(notice) = &form.notice {
        let (text, color) = match notice {
            CodeNotice::WrongCode { attempts_left } => {
                (tr!(language, "code-wrong", attempts_left = *attempts_left), ERROR)
            }
            CodeNotice::Expired => (tr!(language, "code-expired"), ERROR),
            CodeNotice::TooManyAttempts => (tr!(language, "code-too-many"), ERROR),
            CodeNotice::Resent => (tr!(language, "code-resent"), Color::Green),
            CodeNotice::RateLimited { seconds } => (tr!(language, "code-rate-limited", seconds = *seconds), ERROR),
            CodeNotice::StoreRateLimited { seconds } => (store_busy(language, *seconds), ERROR),
            CodeNotice::CodeRejected => (tr!(language, "code-rejected"), ERROR),
            CodeNotice::Untrusted => (tr!(language, "code-untrusted"), ERROR),
            CodeNotice::Unreachable => (tr!(language, "service-unreachable"), ERROR),
        };
        lines.push(Line::from(text).fg(color));
    }
    if form.verifying.is_some() {
        lines.push(Line::from(tr!(language, "code-checking")).fg(Color::Yellow));
    } else if form.resending.is_some() {
        lines.push(Line::from(tr!(language, "code-resending")).fg(Color::Yellow));
    } else if !form.dead(now) {
        let left = clock(form.expires_at.saturating_duration_since(now));
        lines.push(Line::from(tr!(language, "code-expires-in", time = left)));
        if now >= form.resend_at {
            lines.push(Line::from(tr!(language, "code-resend-hint")));
        } else {
            lines.push(Line::from(tr!(language, "code-resend-wait", time = clock(form.resend_at - now))).dim());
        }
    }
    lines.push(Line::from(tr!(language, "code-back-hint")).dim());
}
