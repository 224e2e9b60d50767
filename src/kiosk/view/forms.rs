//! The sign-in forms as lines of text: the phone number, then the code. The manager screens
//! show the same forms.

use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};

use super::{ACCENT, ERROR};
use crate::kiosk::state::{CodeForm, CodeNotice, PhoneForm, State};
use crate::kiosk::update::signin::store_busy;
use crate::phone;

pub(super) fn phone_lines<'a>(lines: &mut Vec<Line<'a>>, form: &'a PhoneForm, state: &'a State, compact: bool) {
    lines.push(Line::from("Sign in").bold().fg(ACCENT));
    lines.push(Line::from("Enter your mobile number"));
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
        lines.push(
            Line::from(format!(
                "    numbers without +country are read as {}",
                phone::region_name(&state.settings.region)
            ))
            .dim(),
        );
        lines.push(Line::default());
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(error.as_str()).fg(ERROR));
    }
    if form.sending() {
        let status = match form.retry_at {
            Some(at) => format!("Trying again in {} s…", secs_left(at, state.now)),
            None => "Sending you a code…".into(),
        };
        lines.push(Line::from(status).fg(Color::Yellow));
        lines.push(Line::from("Esc cancel").dim());
    } else {
        lines.push(Line::from("Enter: text me a code   Esc: clear").dim());
    }
}

fn secs_left(at: Instant, now: Instant) -> u64 {
    at.saturating_duration_since(now).as_secs_f64().ceil() as u64
}

fn clock(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub(super) fn code_lines<'a>(lines: &mut Vec<Line<'a>>, form: &'a CodeForm, now: Instant, compact: bool) {
    lines.push(
        Line::from(format!("Enter the {}-digit code we texted to {}", form.code_length, form.phone.masked()))
            .bold()
            .fg(ACCENT),
    );
    // The same words for every number: whether a number is registered never shows here.
    if !compact {
        lines.push(Line::from("If this number is registered, a code is on its way").dim());
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
            CodeNotice::WrongCode { attempts_left: 1 } => ("That code isn't right — 1 try left".to_string(), ERROR),
            CodeNotice::WrongCode { attempts_left } => {
                (format!("That code isn't right — {attempts_left} tries left"), ERROR)
            }
            CodeNotice::Expired => ("That code has expired. Press Enter for a new code".into(), ERROR),
            CodeNotice::TooManyAttempts => ("Too many wrong tries. Press Enter for a new code".into(), ERROR),
            CodeNotice::Resent => ("We sent you a new code".into(), Color::Green),
            CodeNotice::RateLimited { seconds } => (format!("Too many requests — wait {seconds} s"), ERROR),
            CodeNotice::StoreRateLimited { seconds } => (store_busy(std::time::Duration::from_secs(*seconds)), ERROR),
            CodeNotice::CodeRejected => ("That code didn't work — try again".into(), ERROR),
            CodeNotice::Untrusted => {
                ("The sign-in service's answer couldn't be checked — tell a manager".into(), ERROR)
            }
            CodeNotice::Unreachable => ("Can't reach the sign-in service — try again".into(), ERROR),
        };
        lines.push(Line::from(text).fg(color));
    }
    if form.verifying.is_some() {
        lines.push(Line::from("Checking…").fg(Color::Yellow));
    } else if form.resending.is_some() {
        lines.push(Line::from("Sending a new code…").fg(Color::Yellow));
    } else if !form.dead(now) {
        lines.push(Line::from(format!("Code expires in {}", clock(form.expires_at.saturating_duration_since(now)))));
        if now >= form.resend_at {
            lines.push(Line::from("Didn't get it? Press R to send a new code"));
        } else {
            lines.push(Line::from(format!("New code possible in {}", clock(form.resend_at - now))).dim());
        }
    }
    lines.push(Line::from("Esc: change number").dim());
}
