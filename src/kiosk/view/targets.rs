//! Where things are on the kiosk's screen: the main screen's areas, the touch panel beside a
//! sign-in form, and every tap target. The drawing places things with these same functions,
//! and `kiosk::update` asks `hit` which target a tap landed on — so they can't disagree.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Block;

use super::keypad::{self, Panel};
use super::{MIN_HEIGHT, MIN_WIDTH, languages, manager, pad, pass, ways};
use crate::kiosk::state::{CodeForm, PhoneForm, Screen, SessionStatus, State, Target};

const DEMO_PHONE_WIDTH: u16 = 30;

/// The main screen's areas.
pub(super) struct ScreenAreas {
    /// The kiosk's frame.
    pub main: Rect,
    /// The demo phone beside it, where there is room.
    pub phone: Option<Rect>,
    /// Inside the frame.
    pub inner: Rect,
}

pub(super) fn screen_areas(state: &State, area: Rect) -> ScreenAreas {
    let (main, phone) = match &state.demo_phone {
        Some(_) if area.width >= 70 && area.height >= 16 => {
            let [main, side] =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(DEMO_PHONE_WIDTH)]).areas(area);
            (main, Some(side))
        }
        _ => (area, None),
    };
    ScreenAreas { main, phone, inner: Block::bordered().inner(main) }
}

/// The touch panel beside the main screen's form (`inner`), on a screen where digits are typed
/// that has room for it: the code screen's buttons, or the number screen's "+" and the worker's
/// language button where there is a choice. The step-away PIN's screens have the keypad alone;
/// the pass field has the pass keyboard.
pub(super) fn screen_panel(state: &State, inner: Rect) -> Option<Panel> {
    // The screen-reader layout draws no boxes, so no keypad either: nothing to tap.
    if state.settings.screen_reader {
        return None;
    }
    let buttons: &[Target] = match &state.screen {
        Screen::Phone(_) if state.settings.languages.len() > 1 => &[Target::Plus, Target::Languages],
        Screen::Phone(_) => &[Target::Plus],
        // Typing a pass: the pass keyboard, no buttons (R is a letter of it; the row under the
        // text leads back); none for a pass it can't type.
        Screen::Code(CodeForm { pass: Some(_), .. }) if state.settings.pass_format.on_pass_keys() => {
            return keypad::place_pass(inner);
        }
        Screen::Code(CodeForm { pass: Some(_), .. }) => return None,
        Screen::Code(_) => &[Target::NewCode, Target::ChangeNumber],
        Screen::Session(SessionStatus { pin: Some(_), .. }) => &[],
        _ => return None,
    };
    keypad::place(inner, buttons)
}

/// Where the main screen's text goes inside the frame (`inner`): beside the touch panel, if
/// there is one, and padded. `compact`: a short screen (less padding, fewer lines).
pub(super) struct TextArea {
    pub panel: Option<Panel>,
    pub padded: Rect,
    pub compact: bool,
}

pub(super) fn text_area(state: &State, inner: Rect) -> TextArea {
    let compact = inner.height < 16;
    let panel = screen_panel(state, inner);
    let beside = panel.as_ref().map_or(inner, |panel| panel.form);
    let padded = pad(beside, if compact { 1 } else { 3 }, if compact { 0 } else { 1 });
    TextArea { panel, padded, compact }
}

/// The row at the bottom of a code screen's text that offers a pass (or leads back to the
/// code from one), and what it is a target for.
pub(super) fn code_option_row(state: &State, padded: Rect) -> Option<(Target, Rect)> {
    let Screen::Code(form) = &state.screen else { return None };
    if state.settings.screen_reader || padded.height < 2 {
        return None;
    }
    let target = pass::row_target(state, form)?;
    Some((target, Rect { y: padded.bottom() - 1, height: 1, ..padded }))
}

/// What is left of a code screen's text above its last row (the pass's): the ways on go at
/// its bottom (`ways::place`), the form's text above them.
pub(super) fn above_option_row(option_row: Option<&(Target, Rect)>, padded: Rect) -> Rect {
    match option_row {
        Some(_) => Rect { height: padded.height - 1, ..padded },
        None => padded,
    }
}

/// Every tap target on the screen `state` draws in `area`, and where it is. What is drawn over
/// the rest (the manager screens, the language list) has the only targets.
pub fn targets(state: &State, area: Rect) -> Vec<(Target, Rect)> {
    // The screen-reader layout is flat: nothing is where the boxed layout's targets are.
    if state.settings.screen_reader {
        return Vec::new();
    }
    if state.manager.is_some() {
        return manager::targets(state, area);
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Vec::new();
    }
    let areas = screen_areas(state, area);
    match &state.screen {
        Screen::Phone(PhoneForm { language_menu: Some(selected), .. }) => {
            languages::targets(areas.main, state, *selected)
        }
        Screen::Code(form) => {
            let text = text_area(state, areas.inner);
            let option_row = code_option_row(state, text.padded);
            let mut targets = text.panel.map(|panel| panel.targets).unwrap_or_default();
            targets.extend(ways::targets(form, state, above_option_row(option_row.as_ref(), text.padded)));
            targets.extend(option_row);
            targets
        }
        _ => screen_panel(state, areas.inner).map(|panel| panel.targets).unwrap_or_default(),
    }
}

/// The target at (`column`, `row`) of the screen `state` draws in `area`, if any.
pub fn hit(state: &State, area: Rect, column: u16, row: u16) -> Option<Target> {
    let at = Position::new(column, row);
    targets(state, area).into_iter().find(|(_, place)| place.contains(at)).map(|(target, _)| target)
}
