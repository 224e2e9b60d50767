//! Drawing the kiosk: one function per screen, each reading state and nothing else.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::buffer::CellDiffOption;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use tui_term::widget::PseudoTerminal;

use super::state::{CodeForm, CodeNotice, PhoneForm, Screen, SessionView, State};
use crate::phone;

/// The smallest terminal the kiosk can be used on.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
const DEMO_PHONE_WIDTH: u16 = 30;

pub(super) const ACCENT: Color = Color::Cyan;
pub(super) const ERROR: Color = Color::LightRed;

/// The area the session's terminal gets in a frame of `area`: all but the status bar.
pub fn session_area(area: Rect) -> Rect {
    Rect { height: area.height.saturating_sub(1), ..area }
}

pub fn draw(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    draw_screen(frame, state, session);
    if state.manager.is_some() {
        super::manager_view::draw(frame, state);
    }
}

/// Whether the session's rows can be left to `session_paint` this frame: a session is on
/// screen, nothing is drawn over it, and its terminal is the size of its area.
pub fn session_paintable(state: &State, screen: &vt100::Screen, area: Rect) -> bool {
    let Screen::Session(view) = &state.screen else { return false };
    let rows = session_area(area);
    state.manager.is_none()
        && !view.idle_warning_shown(&state.limits, state.now)
        && rows.height > 0
        && screen.size() == (rows.height, rows.width)
}

/// The session screen when `session_paintable`: the status bar, and the session's rows left as
/// they are on the terminal (the painter has written them).
pub fn draw_beside_painted_session(frame: &mut Frame, state: &State, screen: &vt100::Screen) {
    if let Screen::Session(view) = &state.screen {
        draw_session(frame, state, screen, view, SessionRows::Painted);
    }
}

/// Who draws the session's rows.
#[derive(Clone, Copy)]
enum SessionRows {
    /// ratatui, through the terminal widget: when something is drawn over them.
    Widget,
    /// `session_paint`, straight to the terminal; ratatui skips them.
    Painted,
}

fn draw_screen(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    let area = frame.area();
    if let (Screen::Session(view), Some(screen)) = (&state.screen, session) {
        draw_session(frame, state, screen, view, SessionRows::Widget);
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!("Terminal too small\nneed {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}", area.width, area.height);
        frame.render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }), area);
        return;
    }
    let (main, phone_area) = match &state.demo_phone {
        Some(_) if area.width >= 70 && area.height >= 16 => {
            let [main, side] =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(DEMO_PHONE_WIDTH)]).areas(area);
            (main, Some(side))
        }
        _ => (area, None),
    };
    let title = Line::from(vec![" shiftkey ".bold().fg(ACCENT), Span::raw(format!("· {} ", state.kiosk_name))]);
    let block = Block::default().borders(Borders::ALL).border_type(BorderType::Rounded).title(title);
    let inner = block.inner(main);
    frame.render_widget(block, main);
    let compact = inner.height < 16;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(banner) = &state.banner {
        lines.push(Line::from(banner.as_str()).fg(Color::Yellow));
        if !compact {
            lines.push(Line::default());
        }
    }
    match &state.screen {
        Screen::Phone(form) => phone_lines(&mut lines, form, state, compact),
        Screen::Code(form) => code_lines(&mut lines, form, state.now, compact),
        Screen::Welcome { name, .. } | Screen::Session(SessionView { name, .. }) => {
            lines.push(Line::from(format!("Welcome, {name}")).bold().fg(ACCENT));
            lines.push(Line::from("Starting your session…"));
        }
        Screen::SigningOut => lines.push(Line::from("Signing out and erasing your session…").bold()),
        Screen::SignedOut { problem, .. } => {
            lines.push(Line::from("Signed out — your session was erased").bold().fg(Color::Green));
            if let Some(problem) = problem {
                lines.push(Line::from(problem.as_str()).fg(ERROR));
            }
        }
        Screen::Locked => {
            lines.push(Line::from("Out of service").bold().fg(ERROR));
            if !compact {
                lines.push(Line::default());
            }
            lines.push(Line::from(state.locked.clone().unwrap_or_default()).bold());
            if !compact {
                lines.push(Line::default());
            }
            lines.push(
                Line::from(format!("Sign-in is closed. A store manager can open it ({}).", state.manager_key)).dim(),
            );
        }
    }
    let padded = pad(inner, if compact { 1 } else { 3 }, if compact { 0 } else { 1 });
    frame.render_widget(Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }), padded);
    if let (Some(side), Some(messages)) = (phone_area, &state.demo_phone) {
        draw_demo_phone(frame, side, messages);
    }
}

fn pad(area: Rect, horizontal: u16, vertical: u16) -> Rect {
    Rect {
        x: area.x + horizontal.min(area.width / 4),
        y: area.y + vertical.min(area.height / 4),
        width: area.width.saturating_sub(2 * horizontal.min(area.width / 4)),
        height: area.height.saturating_sub(2 * vertical.min(area.height / 4)),
    }
}

pub(super) fn phone_lines<'a>(lines: &mut Vec<Line<'a>>, form: &'a PhoneForm, state: &'a State, compact: bool) {
    lines.push(Line::from("Sign in").bold().fg(ACCENT));
    lines.push(Line::from("Enter your mobile number"));
    if !compact {
        lines.push(Line::default());
    }
    let shown = if form.sending {
        form.pending.as_ref().map(|p| p.masked()).unwrap_or_default()
    } else {
        phone::format_as_typed(&form.input, &state.region)
    };
    let cursor = if form.sending { "" } else { "▏" };
    lines.push(Line::from(vec![
        Span::raw(" ▸ "),
        Span::styled(format!("{shown}{cursor}"), Style::default().add_modifier(Modifier::BOLD)),
    ]));
    if !compact {
        lines.push(
            Line::from(format!("    numbers without +country are read as {}", phone::region_name(&state.region))).dim(),
        );
        lines.push(Line::default());
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(error.as_str()).fg(ERROR));
    }
    if form.sending {
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
    if !compact {
        lines.push(Line::default());
    }
    let mut boxes = vec![Span::raw(" ")];
    for index in 0..form.code_length {
        let digit = form.digits.chars().nth(index);
        let cell = match digit {
            Some(d) => format!("[{d}]"),
            None if index == form.digits.len() && !form.verifying => "[▁]".to_string(),
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
            CodeNotice::Unreachable => ("Can't reach the sign-in service — try again".into(), ERROR),
        };
        lines.push(Line::from(text).fg(color));
    }
    if form.verifying {
        lines.push(Line::from("Checking…").fg(Color::Yellow));
    } else if form.resending {
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

fn draw_demo_phone(frame: &mut Frame, area: Rect, messages: &[super::state::DemoSms]) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .title(" demo phone ".bold().fg(Color::Magenta));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = vec![Line::from("Texts sent by the demo").dim(), Line::default()];
    if messages.is_empty() {
        lines.push(Line::from("No messages yet").dim());
    }
    for message in messages.iter().rev() {
        lines.push(Line::from(format!("To {}", message.to_masked)).bold());
        lines.extend(message.body.lines().map(|l| Line::from(l.to_string())));
        lines.push(Line::default());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), pad(inner, 1, 0));
}

/// Leaves `area` to whoever writes to the terminal besides ratatui: its diff passes over it.
fn skip_cells(frame: &mut Frame, area: Rect) {
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        let start = buffer.index_of(area.left(), y);
        for cell in &mut buffer.content[start..start + usize::from(area.width)] {
            cell.set_diff_option(CellDiffOption::Skip);
        }
    }
}

/// "11h 59m left", "4 min left".
fn time_left(left: Duration) -> String {
    let minutes = left.as_secs().div_ceil(60);
    match minutes {
        0..=59 => format!("{minutes} min left"),
        _ => format!("{}h {:02}m left", minutes / 60, minutes % 60),
    }
}

fn draw_session(frame: &mut Frame, state: &State, screen: &vt100::Screen, view: &SessionView, rows: SessionRows) {
    let area = frame.area();
    let terminal_area = session_area(area);
    match rows {
        // No Clear first: each frame starts blank, and the terminal widget writes every cell.
        SessionRows::Widget => frame.render_widget(PseudoTerminal::new(screen), terminal_area),
        SessionRows::Painted => {
            skip_cells(frame, terminal_area);
            if !screen.hide_cursor() {
                // The real cursor, where the session's is (it waits past the last column
                // after a full row; the terminal's cannot).
                let (row, col) = screen.cursor_position();
                frame.set_cursor_position((col.min(terminal_area.width.saturating_sub(1)), row));
            }
        }
    }

    // The sign-out key always shows, right-aligned; the kiosk name only where there is room.
    let key = format!(" {} sign out ", state.sign_out_key);
    let ending_soon = view.ending_soon(state.now);
    let left_text = time_left(view.ends_at.saturating_duration_since(state.now));
    // Drop detail until it fits: the kiosk name first, then the time left; never the key.
    let room = (area.width as usize).saturating_sub(key.chars().count());
    let left = [
        format!(" {} · {} · {left_text} ", view.name, state.kiosk_name),
        format!(" {} · {left_text} ", view.name),
        format!(" {} ", view.name),
    ]
    .into_iter()
    .find(|text| text.chars().count() <= room)
    .unwrap_or_default();
    let gap = (area.width as usize).saturating_sub(left.chars().count() + key.chars().count());
    let bar = Line::from(vec![
        Span::styled(left, Style::default().bold()),
        Span::raw(" ".repeat(gap)),
        Span::styled(key, Style::default().bold().add_modifier(Modifier::REVERSED)),
    ]);
    let background = if ending_soon { Color::Red } else { Color::Blue };
    let bar_area = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
    frame.render_widget(Paragraph::new(bar).style(Style::default().bg(background).fg(Color::White)), bar_area);

    if view.idle_warning_shown(&state.limits, state.now) {
        let seconds =
            view.idle_deadline(&state.limits).saturating_duration_since(state.now).as_secs_f64().ceil() as u64;
        draw_idle_warning(frame, terminal_area, seconds);
    }
}

fn draw_idle_warning(frame: &mut Frame, area: Rect, seconds: u64) {
    let width = 44.min(area.width);
    let height = 5.min(area.height);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .title(" Are you still there? ".bold())
        .style(Style::default().bg(Color::Yellow).fg(Color::Black));
    let text =
        vec![Line::from(format!("Signing out in {seconds} s")).bold(), Line::from("Press any key to stay signed in")];
    frame.render_widget(Clear, popup);
    frame
        .render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }).block(block), popup);
}
