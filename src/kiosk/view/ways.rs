//! The code screen's ways on (`kiosk::ways`): under the form, "Still waiting?" and what to
//! check (the last digits of the number the code went to) once the worker has waited, then one
//! row per way — "R  Text me a new code", "C  Call me with the code", "F12  Ask a store
//! manager". In the boxed layout the block sits at the bottom of the form's text and each way's
//! row is its tap target (`place`, asked by `targets` and by the drawing alike); the
//! screen-reader layout takes the same lines after the form's.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::rows;
use crate::kiosk::state::{CodeForm, Settings, State, Target};
use crate::kiosk::ways::{self, WayOn};
use crate::locale::Language;
use crate::tr;

/// What a way's key is called on screen: R, C, F12.
fn key_name(way: WayOn, settings: &Settings) -> String {
    match way.key(settings) {
        crossterm::event::KeyCode::Char(c) => c.to_ascii_uppercase().to_string(),
        crossterm::event::KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    }
}

/// What a way says, in `language`.
fn words(way: WayOn, language: Language) -> String {
    match way {
        WayOn::NewCode => tr!(language, "way-new-code"),
        WayOn::CallMe => tr!(language, "way-call-me"),
        WayOn::AskManager => tr!(language, "way-ask-manager"),
    }
}

/// The block's lines, each with the way it takes (`None`: words only). Empty when no way is
/// offered.
pub(super) fn lines(form: &CodeForm, state: &State, language: Language) -> Vec<(Line<'static>, Option<WayOn>)> {
    let theme = state.settings.theme;
    let offered = ways::offered(form, &state.settings, state.now);
    let mut lines = Vec::new();
    if ways::still_waiting(form, state.now) {
        lines.push((Line::from(tr!(language, "still-waiting")).style(theme.strong()), None));
        let check = tr!(language, "still-waiting-check", digits = form.phone.last_digits());
        lines.push((Line::from(check).style(theme.hint()), None));
    }
    for way in offered {
        let lit = state.pressed == Some(Target::Way(way));
        let style = if lit { theme.selected() } else { Style::default() };
        // The key in a span of its own: a wrapped row's words start under the words.
        let key = format!("[{}] ", key_name(way, &state.settings));
        lines.push((
            Line::from(vec![Span::styled(key, theme.accent()), Span::styled(words(way, language), style)]),
            Some(way),
        ));
    }
    lines
}

/// Each line of the block where it goes in `area` (the form's text area): together at its
/// bottom, in at most half of it, a way's row with a blank row under it where there is room (a
/// taller target). Where they don't all fit, what to check goes, then "Still waiting?": the
/// ways are what the worker can act on.
pub(super) fn place(
    form: &CodeForm,
    state: &State,
    language: Language,
    area: Rect,
) -> Vec<(Line<'static>, Option<WayOn>, Rect)> {
    let mut lines = lines(form, state, language);
    let room = area.height / 2 + area.height % 2;
    let roomy = area.height >= 16;
    let height = |lines: &[(Line<'static>, Option<WayOn>)]| -> u16 {
        let tall = Rect { height: u16::MAX - area.y, ..area };
        rows::stack(tall, lines.iter().map(|(line, way)| (line, u16::from(roomy && way.is_some()))))
            .iter()
            .map(|rect| rect.height)
            .sum()
    };
    while height(&lines) > room
        && let Some(last_words) = lines.iter().rposition(|(_, way)| way.is_none())
    {
        lines.remove(last_words);
    }
    let height = height(&lines).min(room);
    let bottom = Rect { y: area.bottom() - height, height, ..area };
    let places = rows::stack(bottom, lines.iter().map(|(line, way)| (line, u16::from(roomy && way.is_some()))));
    lines.into_iter().zip(places).map(|((line, way), place)| (line, way, place)).collect()
}

/// The area above the block: what is left for the form's text.
pub(super) fn above(placed: &[(Line<'static>, Option<WayOn>, Rect)], area: Rect) -> Rect {
    let top = placed.first().map_or(area.bottom(), |(_, _, place)| place.y);
    Rect { height: top - area.y, ..area }
}

/// The ways' tap targets: each way's row.
pub(super) fn targets(form: &CodeForm, state: &State, area: Rect) -> Vec<(Target, Rect)> {
    place(form, state, state.language, area)
        .into_iter()
        .filter_map(|(_, way, place)| Some((Target::Way(way?), place)))
        .filter(|(_, place)| place.height > 0)
        .collect()
}

/// Draws the block (`place`'s).
pub(super) fn draw(frame: &mut Frame, placed: Vec<(Line<'static>, Option<WayOn>, Rect)>) {
    rows::draw(frame, placed.into_iter().map(|(line, _, place)| (line, place)));
}
