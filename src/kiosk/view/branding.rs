//! The store's branding as the screens show it: its title in place of "shiftkey", its logo
//! above the form, its texts in the screen's language (`config::BrandingConfig`).

use ratatui::text::Line;

use crate::config::{BrandingConfig, LocalizedText};
use crate::kiosk::state::State;
use crate::locale::Language;

/// The frame's title: the store's, else the product's.
pub(super) fn title(state: &State, language: Language) -> &str {
    text(state, language, |branding| branding.title.as_ref()).unwrap_or("shiftkey")
}

/// A branding text in `language`: the worker's pick, else the kiosk's language, else the one
/// given for all.
pub(super) fn text(
    state: &State,
    language: Language,
    which: fn(&BrandingConfig) -> Option<&LocalizedText>,
) -> Option<&str> {
    which(&state.settings.branding)?.for_language(language, state.settings.language)
}

/// The logo's lines, in the theme's accent, if there is a logo and it fits `width` columns.
pub(super) fn logo_lines(state: &State, width: u16) -> Vec<Line<'_>> {
    let logo = &state.settings.branding.logo_lines;
    let style = state.settings.theme.accent();
    let lines: Vec<Line> = logo.iter().map(|line| Line::styled(line.as_str(), style)).collect();
    if lines.iter().all(|line| line.width() <= usize::from(width)) { lines } else { Vec::new() }
}
