//! Drawing the kiosk: one function per screen, each reading state and nothing else.
//! `forms` draws the sign-in forms, `languages` the language list over the sign-in screen,
//! `session` the running session and its status bar, `manager` the manager screens over
//! whatever is showing, `locked` the out-of-service screen. Every word comes from the screen's
//! language (`crate::locale`).

mod forms;
pub mod glyphs;
mod languages;
mod locked;
pub mod manager;
mod session;

pub use session::{draw_beside_painted_session, session_area, session_paintable};

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::state::{Screen, SessionStatus, SignOutProblem, State};
use crate::locale::Language;
use crate::tr;
use forms::{FormFor, code_lines, phone_lines};
use session::SessionRows;

/// The smallest terminal the kiosk can be used on.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
const DEMO_PHONE_WIDTH: u16 = 30;

pub(super) const ACCENT: Color = Color::Cyan;
pub(super) const ERROR: Color = Color::LightRed;

pub fn draw(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    draw_screen(frame, state, session);
    if state.manager.is_some() {
        manager::draw(frame, state);
    }
    fold_glyphs(frame, state);
}

/// What the terminal can't show becomes what it can (`display.glyphs`). The session's rows too,
/// where ratatui draws them: the terminal can't show the session's characters any better.
pub(super) fn fold_glyphs(frame: &mut Frame, state: &State) {
    let area = frame.area();
    state.settings.glyphs.fold(frame.buffer_mut(), area);
}

fn draw_screen(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    let area = frame.area();
    if let (Screen::Session(status), Some(screen)) = (&state.screen, session) {
        session::draw_session(frame, state, screen, status, SessionRows::Widget);
        return;
    }
    // "Signed out" speaks to the worker who just left, in their language, to the last.
    let language = match &state.screen {
        Screen::SignedOut { language, .. } => *language,
        _ => state.language,
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let (need, have) = (format!("{MIN_WIDTH}x{MIN_HEIGHT}"), format!("{}x{}", area.width, area.height));
        let text = vec![
            Line::from(tr!(language, "too-small")),
            Line::from(tr!(language, "too-small-size", need = need, have = have)),
        ];
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
    let title =
        Line::from(vec![" shiftkey ".bold().fg(ACCENT), Span::raw(format!("· {} ", state.settings.kiosk_name))]);
    let block = Block::default().borders(Borders::ALL).border_type(BorderType::Rounded).title(title);
    let inner = block.inner(main);
    frame.render_widget(block, main);
    let compact = inner.height < 16;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(banner) = &state.banner {
        let text = tr!(language, "demo-banner", user = banner.user.as_str(), sandbox = banner.sandbox.as_str());
        lines.push(Line::from(text).fg(Color::Yellow));
        if !compact {
            lines.push(Line::default());
        }
    }
    // No room for the demo phone beside the form: its last text's code line goes under the
    // banner instead, so the code can still be read.
    if let (None, Some(last), Screen::Code(_)) =
        (phone_area, state.demo_phone.as_ref().and_then(|messages| messages.last()), &state.screen)
    {
        let code_line = last.body.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default();
        lines.push(Line::from(format!("{}: {code_line}", tr!(language, "demo-phone-title"))).fg(Color::Magenta));
    }
    match &state.screen {
        Screen::Phone(form) => phone_lines(&mut lines, form, state, language, FormFor::Worker, compact),
        Screen::Code(form) => code_lines(&mut lines, form, state.now, language, compact),
        Screen::Welcome { name, .. } | Screen::Session(SessionStatus { name, .. }) => {
            lines.push(Line::from(tr!(language, "welcome", name = name.as_str())).bold().fg(ACCENT));
            lines.push(Line::from(tr!(language, "welcome-starting")));
        }
        Screen::SigningOut => lines.push(Line::from(tr!(language, "signing-out")).bold()),
        Screen::SignedOut { problem, access_ended, .. } => {
            if *access_ended {
                lines.push(Line::from(tr!(language, "access-ended")).bold().fg(ERROR));
            }
            lines.push(Line::from(tr!(language, "signed-out")).bold().fg(Color::Green));
            if let Some(problem) = problem {
                lines.push(Line::from(sign_out_problem(language, problem)).fg(ERROR));
            }
        }
        Screen::Locked => locked::lines(&mut lines, state, language, compact),
    }
    let padded = pad(inner, if compact { 1 } else { 3 }, if compact { 0 } else { 1 });
    frame.render_widget(Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false }), padded);
    if let (Some(side), Some(messages)) = (phone_area, &state.demo_phone) {
        draw_demo_phone(frame, side, messages, language);
    }
    if let Screen::Phone(form) = &state.screen
        && let Some(selected) = form.language_menu
    {
        languages::draw(frame, main, state, selected);
    }
}

fn sign_out_problem(language: Language, problem: &SignOutProblem) -> String {
    let dir_removed = if problem.dir_removed { "yes" } else { "no" };
    tr!(language, "sign-out-problem", processes = problem.left_alive, dir_removed = dir_removed)
}

pub(super) fn pad(area: Rect, horizontal: u16, vertical: u16) -> Rect {
    Rect {
        x: area.x + horizontal.min(area.width / 4),
        y: area.y + vertical.min(area.height / 4),
        width: area.width.saturating_sub(2 * horizontal.min(area.width / 4)),
        height: area.height.saturating_sub(2 * vertical.min(area.height / 4)),
    }
}

fn draw_demo_phone(frame: &mut Frame, area: Rect, messages: &[super::state::DemoSms], language: Language) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .title(format!(" {} ", tr!(language, "demo-phone-title")).bold().fg(Color::Magenta));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = vec![Line::from(tr!(language, "demo-phone-intro")).dim(), Line::default()];
    if messages.is_empty() {
        lines.push(Line::from(tr!(language, "demo-phone-empty")).dim());
    }
    for message in messages.iter().rev() {
        lines.push(Line::from(tr!(language, "demo-phone-to", phone = message.to_masked.as_str())).bold());
        lines.extend(message.body.lines().map(|l| Line::from(l.to_string())));
        lines.push(Line::default());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), pad(inner, 1, 0));
}
