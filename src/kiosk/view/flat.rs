//! The screen-reader layout (`display.screen_reader`): the screens' lines top-down with no box
//! drawing, one field a line, and the terminal's cursor left on the field being typed into (or
//! the line that matters) — console screen readers (speakup, brltty) read the cursor's line.
//! Nothing ticks by the second (the boxed layout's clocks say minutes here), so the screen
//! changes only when something happened, and then by whole sentences.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::session::{self, SessionRows};
use super::{
    Focus, Look, branding, clear, demo_code_line, flat_height, languages, manager, render_flat, screen_language,
    screen_lines, too_small, ways,
};
use crate::kiosk::state::{ManagerStage, Screen, SessionStatus, State};
use crate::locale::Language;
use crate::tr;

pub(super) fn draw(frame: &mut Frame, state: &State, session: Option<&vt100::Screen>) {
    let area = frame.area();
    // A session behind the step-away lock is not shown (nor read out): the lock's lines are.
    if let (Screen::Session(status @ SessionStatus { pin: None, .. }), Some(screen), None) =
        (&state.screen, session, &state.manager)
    {
        session::draw_session(frame, state, screen, status, SessionRows::Widget);
        return;
    }
    let language = screen_language(state);
    if too_small(frame, language) {
        return;
    }
    // Whatever was under the manager screens (a session) is not read out with them.
    clear(frame, area, state);
    let spacious = Look { compact: false, flat: true, large_width: None };
    let (mut lines, mut focus) = screen(state, area, language, &spacious);
    if flat_height(&lines, area.width) > area.height {
        // Too little room: the optional lines go (hints, the store's texts), as in the boxed layout.
        (lines, focus) = screen(state, area, language, &Look { compact: true, ..spacious });
    }
    render_flat(frame, area, lines, Some(focus));
}

/// The screen's heading and lines, and its focus.
fn screen<'a>(state: &'a State, area: Rect, language: Language, look: &Look) -> (Vec<Line<'a>>, Focus) {
    let theme = state.settings.theme;
    let kiosk = &state.settings.kiosk_name;
    let (heading, (body, focus)) = match (&state.manager, &state.screen) {
        (Some(manager), _) => {
            let language = state.settings.language;
            let badge = tr!(language, "manager-badge");
            let (mut lines, focus) = manager::lines(manager, state, language, area.height.saturating_sub(2), look);
            // The demo phone isn't drawn here: a manager's code is read from this line.
            let demo = matches!(manager.stage, ManagerStage::Code(_)).then(|| demo_code_line(state, language));
            let focus = match demo.flatten() {
                Some(line) => {
                    lines.insert(0, line);
                    Focus { line: focus.line + 1, ..focus }
                }
                None => focus,
            };
            let key = state.settings.manager_key.to_string();
            lines.push(Line::from(tr!(language, "manager-close", key = key)).style(theme.hint()));
            (Line::from(format!("{badge} · {kiosk}")).style(theme.manager_title()), (lines, focus))
        }
        (None, Screen::Phone(form)) if form.language_menu.is_some() => {
            let list = languages::lines(state, form.language_menu.unwrap_or_default());
            (Line::from(tr!(language, "language-title")).style(theme.title()), list)
        }
        _ => {
            let title = branding::title(state, language);
            let (mut lines, focus) = screen_lines(state, language, look, false);
            // The code screen's ways on, after the form (the boxed layout puts them at its bottom).
            if let Screen::Code(form) = &state.screen {
                lines.extend(ways::lines(form, state, language).into_iter().map(|(line, _)| line));
            }
            (Line::from(format!("{title} · {kiosk}")).style(theme.title()), (lines, focus))
        }
    };
    let lines: Vec<Line> = std::iter::once(heading).chain(body).collect();
    (lines, Focus { line: focus.line + 1, ..focus })
}
