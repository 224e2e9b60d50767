//! Drawing the kiosk: one function per screen, each reading state and nothing else.
//! `forms` draws the sign-in forms, `keypad` the touch panel beside them, `languages` the
//! language list over the sign-in screen, `lock` the step-away lock, `locked` the out-of-service
//! screen, `session` the running session and its status bar, `manager` the manager screens over
//! whatever is showing; `targets` says where things go (and where a tap lands), `rows` where a
//! list's lines do. Every word comes from the screen's language (`crate::locale`), every colour
//! from the theme (`theme`). Two layouts share the screens' lines: boxed (here) and flat, for
//! screen readers (`flat`).

mod branding;
mod flat;
mod forms;
pub mod glyphs;
mod keypad;
mod languages;
mod large_digits;
mod large_letters;
mod lock;
mod locked;
pub mod manager;
mod pass;
mod rows;
mod session;
pub mod targets;
pub mod theme;
mod ways;
mod wrap;

pub use session::{draw_beside_painted_session, session_area, session_paintable};

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::state::{Screen, SessionStatus, SignOutProblem, State};
use crate::config::LargeDigits;
use crate::locale::Language;
use crate::tr;
use forms::{FormFor, code_lines, error_words, phone_lines};
use session::SessionRows;

/// The smallest terminal the kiosk can be used on.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// The smallest terminal `display.large_digits = "auto"` draws large digits on.
pub const LARGE_DIGITS_MIN: (u16, u16) = (100, 30);

pub fn draw(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    let area = frame.area();
    state.settings.theme.paint_base(frame.buffer_mut(), area);
    if state.settings.screen_reader {
        flat::draw(frame, state, session);
    } else {
        draw_screen(frame, state, session);
        if state.manager.is_some() {
            manager::draw(frame, state);
        }
    }
    fold_glyphs(frame, state);
}

/// What the terminal can't show becomes what it can (`display.glyphs`). The session's rows too,
/// where ratatui draws them: the terminal can't show the session's characters any better.
pub(super) fn fold_glyphs(frame: &mut Frame, state: &State) {
    let area = frame.area();
    state.settings.glyphs.fold(frame.buffer_mut(), area);
}

/// How a screen's lines are laid out.
#[derive(Debug, Clone, Copy)]
pub(super) struct Look {
    /// Little room: no blank lines between parts, no optional text.
    pub compact: bool,
    /// The screen-reader layout: fields as "Label: value" with the cursor after them, and no
    /// clock ticking by the second.
    pub flat: bool,
    /// Large digits may be drawn, this many columns wide.
    pub large_width: Option<u16>,
}

impl Look {
    /// Blank lines between a screen's parts.
    fn spaced(&self) -> bool {
        !self.compact && !self.flat
    }
}

/// Where a screen's focus is: the field being typed into, else the line that matters. The
/// flat layout leaves the terminal's cursor there (screen readers follow the cursor's line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Focus {
    /// Which of the screen's lines.
    pub line: usize,
    /// Columns into it.
    pub column: u16,
}

/// Blanks `area` for a box drawn over others, in the theme's colours.
pub(super) fn clear(frame: &mut Frame, area: Rect, state: &State) {
    frame.render_widget(Clear, area);
    state.settings.theme.paint_base(frame.buffer_mut(), area);
}

/// Rows `lines` take when wrapped to `width` (`wrap`): one for each line that fits (all of
/// them, on a wide terminal), and only the others put through the word wrapper.
pub(super) fn flat_height(lines: &[Line], width: u16) -> u16 {
    let rows: usize = lines
        .iter()
        .map(|line| match line.width() <= usize::from(width) {
            true => 1,
            false => wrap::wrap(vec![line.clone()], width).len(),
        })
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// `lines` as a paragraph `width` columns wide, each wrapped line keeping its indent (`wrap`,
/// which passes a line that fits as it is: the word wrapper costs more than drawing lines as
/// they are, the large digits' rows most: BENCHMARKS.md, 7).
fn paragraph(lines: Vec<Line<'_>>, width: u16) -> Paragraph<'_> {
    Paragraph::new(wrap::wrap(lines, width))
}

/// Draws `lines` wrapped in `area`, and the terminal's cursor at `focus` (if it is in sight).
pub(super) fn render_flat(frame: &mut Frame, area: Rect, lines: Vec<Line>, focus: Option<Focus>) {
    if let Some(focus) = focus.filter(|focus| focus.line < lines.len() && area.width > 0) {
        let row = flat_height(&lines[..focus.line], area.width) + focus.column / area.width;
        if row < area.height {
            frame.set_cursor_position((area.x + focus.column % area.width, area.y + row));
        }
    }
    frame.render_widget(paragraph(lines, area.width), area);
}

/// The language a screen speaks: "Signed out" speaks to the worker who just left, in their
/// language, to the last.
fn screen_language(state: &State) -> Language {
    match &state.screen {
        Screen::SignedOut { language, .. } => *language,
        _ => state.language,
    }
}

/// Whether the terminal is too small to use: it says so, and nothing else is drawn.
fn too_small(frame: &mut Frame, language: Language) -> bool {
    let area = frame.area();
    if area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT {
        return false;
    }
    let (need, have) = (format!("{MIN_WIDTH}x{MIN_HEIGHT}"), format!("{}x{}", area.width, area.height));
    let text = vec![
        Line::from(tr!(language, "too-small")),
        Line::from(tr!(language, "too-small-size", need = need, have = have)),
    ];
    frame.render_widget(Paragraph::new(text).alignment(Alignment::Center).wrap(Wrap { trim: true }), area);
    true
}

/// Large digits' width, `width`, if they are on for a frame of `area` (`display.large_digits`;
/// never for a screen reader, which reads characters, not pictures of them).
fn large_digits_width(state: &State, area: Rect, width: u16) -> Option<u16> {
    let on = match state.settings.large_digits {
        LargeDigits::Off => false,
        LargeDigits::On => true,
        LargeDigits::Auto => area.width >= LARGE_DIGITS_MIN.0 && area.height >= LARGE_DIGITS_MIN.1,
    };
    (on && !state.settings.screen_reader).then_some(width)
}

/// The screen's lines under the title, and its focus. `side_phone`: the demo phone is drawn
/// beside them (else its last code is a line here).
fn screen_lines<'a>(state: &'a State, language: Language, look: &Look, side_phone: bool) -> (Vec<Line<'a>>, Focus) {
    let theme = state.settings.theme;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(banner) = &state.banner {
        let text = tr!(language, "demo-banner", user = banner.user.as_str(), sandbox = banner.sandbox.as_str());
        lines.push(Line::from(text).style(theme.demo()));
        if look.spaced() {
            lines.push(Line::default());
        }
    }
    // No room for the demo phone beside the form: its last text's code line goes under the
    // banner instead, so the code can still be read.
    if let (false, Screen::Code(_)) = (side_phone, &state.screen) {
        lines.extend(demo_code_line(state, language));
    }
    let mut focus = Focus { line: lines.len(), column: 0 };
    match &state.screen {
        Screen::Phone(form) => focus = phone_lines(&mut lines, form, state, language, FormFor::Worker, look),
        Screen::Code(form) => focus = code_lines(&mut lines, form, state, language, FormFor::Worker, look),
        // The step-away lock covers the session: its output is not shown.
        Screen::Session(status @ SessionStatus { pin: Some(pin), .. }) => {
            focus = lock::lines(&mut lines, pin, status, state, look)
        }
        Screen::Welcome { name, .. } | Screen::Session(SessionStatus { name, .. }) => {
            lines.push(Line::from(tr!(language, "welcome", name = name.as_str())).style(theme.title()));
            lines.push(Line::from(tr!(language, "welcome-starting")));
        }
        Screen::SigningOut => lines.push(Line::from(tr!(language, "signing-out")).style(theme.strong())),
        Screen::SignedOut { problem, access_ended, .. } => {
            if *access_ended {
                lines.push(Line::from(tr!(language, "access-ended")).style(theme.alert()));
            }
            lines.push(Line::from(tr!(language, "signed-out")).style(theme.success().patch(theme.strong())));
            if let Some(problem) = problem {
                let words = error_words(state, language, sign_out_problem(language, problem));
                lines.push(Line::from(words).style(theme.error()));
            }
        }
        Screen::Locked => locked::lines(&mut lines, state, language, theme, look),
    }
    (lines, focus)
}

/// The demo phone's last text's code line, where the phone isn't drawn.
fn demo_code_line(state: &State, language: Language) -> Option<Line<'_>> {
    let last = state.demo_phone.as_ref()?.last()?;
    let code_line = last.body.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default();
    let text = format!("{}: {code_line}", tr!(language, "demo-phone-title"));
    Some(Line::from(text).style(state.settings.theme.demo_phone()))
}

/// The boxed layout: the screen in a frame titled with the store's name and the kiosk's.
fn draw_screen(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    let area = frame.area();
    if let (Screen::Session(status @ SessionStatus { pin: None, .. }), Some(screen)) = (&state.screen, session) {
        session::draw_session(frame, state, screen, status, SessionRows::Widget);
        return;
    }
    let language = screen_language(state);
    if too_small(frame, language) {
        return;
    }
    let theme = state.settings.theme;
    let targets::ScreenAreas { main, phone: phone_area, inner } = targets::screen_areas(state, area);
    let title = Line::from(vec![
        Span::styled(format!(" {} ", branding::title(state, language)), theme.title()),
        Span::raw(format!("· {} ", state.settings.kiosk_name)),
    ]);
    let block = Block::default().borders(Borders::ALL).border_type(BorderType::Rounded).title(title);
    frame.render_widget(block, main);
    // The touch panel beside the form, where there is room: the text keeps the rest.
    let targets::TextArea { panel, padded: text_padded, compact } = targets::text_area(state, inner);
    // A code screen's last row offers a pass (or leads back from one); its ways on go above
    // that row, at the bottom of the rest; the form's text above them.
    let option_row = targets::code_option_row(state, text_padded);
    let padded = targets::above_option_row(option_row.as_ref(), text_padded);
    let ways = match &state.screen {
        Screen::Code(form) => ways::place(form, state, language, padded),
        _ => Vec::new(),
    };
    let padded = ways::above(&ways, padded);
    // Large digits and the logo are for the sign-in forms, where they fit with them.
    let form = matches!(state.screen, Screen::Phone(_) | Screen::Code(_));
    let large_width = large_digits_width(state, area, padded.width).filter(|_| form);
    let look = Look { compact, flat: false, large_width };
    let (mut lines, _) = screen_lines(state, language, &look, phone_area.is_some());
    let mut rows = flat_height(&lines, padded.width);
    if large_width.is_some() && rows > padded.height {
        // Large digits don't fit with the rest: the text's size, then.
        lines = screen_lines(state, language, &Look { large_width: None, ..look }, phone_area.is_some()).0;
        rows = flat_height(&lines, padded.width);
    }
    let logo = if form && !compact { branding::logo_lines(state, padded.width) } else { Vec::new() };
    let logo_rows = logo.len() as u16 + 1;
    let mut content_area = padded;
    if !logo.is_empty() && rows + logo_rows <= padded.height {
        frame.render_widget(Paragraph::new(logo), Rect { height: logo_rows, ..padded });
        content_area = Rect { y: padded.y + logo_rows, height: padded.height - logo_rows, ..padded };
    }
    frame.render_widget(paragraph(lines, padded.width), content_area);
    ways::draw(frame, ways);
    if let Some(panel) = &panel {
        keypad::draw(frame, panel, state.pressed, language);
    }
    if let Some((target, row)) = option_row {
        pass::draw_row(frame, state, target, row, language);
    }
    if let (Some(side), Some(messages)) = (phone_area, &state.demo_phone) {
        draw_demo_phone(frame, side, messages, language, state);
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

fn draw_demo_phone(
    frame: &mut Frame,
    area: Rect,
    messages: &[super::state::DemoSms],
    language: Language,
    state: &State,
) {
    let theme = state.settings.theme;
    let title = format!(" {} ", tr!(language, "demo-phone-title"));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .title(Span::styled(title, theme.demo_phone()).bold());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = vec![Line::from(tr!(language, "demo-phone-intro")).style(theme.hint()), Line::default()];
    if messages.is_empty() {
        lines.push(Line::from(tr!(language, "demo-phone-empty")).style(theme.hint()));
    }
    for message in messages.iter().rev() {
        let to = tr!(language, "demo-phone-to", phone = message.to_masked.as_str());
        lines.push(Line::from(to).style(theme.strong()));
        lines.extend(message.body.lines().map(|l| Line::from(l.to_string())));
        lines.push(Line::default());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), pad(inner, 1, 0));
}
