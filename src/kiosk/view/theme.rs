//! The kiosk's colours and text styles, by what they mean: every view takes its styles from
//! here, so a theme is one place. The default theme is the kiosk's look; high contrast is white
//! and bright white on black, bold for emphasis, no dim text, and nothing said by colour alone
//! (the views add the words and marks: `Theme::says_errors`, `Theme::marks_wrong_code`).
//! Only the 16 colours the Linux console has are used.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::config::{ConsoleColor, DisplayConfig, ThemeName};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    high_contrast: bool,
    accent: Color,
    /// Errors begin with "Error:" where colour can't say it (high contrast, a screen reader).
    error_words: bool,
}

/// White on black: high contrast's text.
const TEXT: Color = Color::Gray;
const BRIGHT: Color = Color::White;
const BLACK: Color = Color::Black;

impl Theme {
    pub fn from_config(display: &DisplayConfig, accent: Option<ConsoleColor>) -> Theme {
        let high_contrast = display.theme == ThemeName::HighContrast;
        Theme {
            high_contrast,
            accent: accent.map_or(Color::Cyan, console_color),
            error_words: high_contrast || display.screen_reader,
        }
    }

    pub fn is_high_contrast(self) -> bool {
        self.high_contrast
    }

    /// Whether an error says "Error:" in words.
    pub fn says_errors(self) -> bool {
        self.error_words
    }

    /// Whether a wrong code marks the code's boxes (beyond the red of its message).
    pub fn marks_wrong_code(self) -> bool {
        self.high_contrast
    }

    /// Under everything: high contrast paints the whole frame white on black, whatever the
    /// terminal's own colours.
    pub fn paint_base(self, buffer: &mut Buffer, area: Rect) {
        if self.high_contrast {
            buffer.set_style(area.intersection(buffer.area), Style::default().fg(TEXT).bg(BLACK));
        }
    }

    /// Picks the default theme's style or high contrast's.
    fn pick(self, default: Style, high_contrast: Style) -> Style {
        if self.high_contrast { high_contrast } else { default }
    }

    fn emphasis() -> Style {
        Style::default().fg(BRIGHT).add_modifier(Modifier::BOLD)
    }

    /// A screen's heading: "Sign in", the code's prompt, "Welcome".
    pub fn title(self) -> Style {
        self.pick(Style::default().fg(self.accent).add_modifier(Modifier::BOLD), Self::emphasis())
    }

    /// Something to notice that isn't a heading (the language key's line).
    pub fn accent(self) -> Style {
        self.pick(Style::default().fg(self.accent), Style::default().fg(BRIGHT))
    }

    /// The border of a box in the accent colour (the language list).
    pub fn accent_border(self) -> Style {
        self.pick(Style::default().fg(self.accent), Style::default().fg(BRIGHT))
    }

    /// Bold text: the number typed, the kiosk's own words.
    pub fn strong(self) -> Style {
        self.pick(Style::default().add_modifier(Modifier::BOLD), Self::emphasis())
    }

    /// An error's message (the views add "Error:" where `says_errors`).
    pub fn error(self) -> Style {
        self.pick(Style::default().fg(Color::LightRed), Self::emphasis())
    }

    /// A state that stops the worker: "Out of service", "Your access was ended".
    pub fn alert(self) -> Style {
        self.pick(Style::default().fg(Color::LightRed).add_modifier(Modifier::BOLD), Self::emphasis())
    }

    /// Something done: "Signed out", "We sent you a new code".
    pub fn success(self) -> Style {
        self.pick(Style::default().fg(Color::Green), Style::default().fg(BRIGHT))
    }

    /// Waiting for the backend: "Sending you a code…".
    pub fn progress(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow), Style::default().fg(BRIGHT))
    }

    /// Help text and key hints: dim, or plain white in high contrast.
    pub fn hint(self) -> Style {
        self.pick(Style::default().add_modifier(Modifier::DIM), Style::default().fg(TEXT))
    }

    /// The demo's banner.
    pub fn demo(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow), Style::default().fg(BRIGHT))
    }

    /// The demo phone's frame title and its code line.
    pub fn demo_phone(self) -> Style {
        self.pick(Style::default().fg(Color::Magenta), Style::default().fg(BRIGHT))
    }

    /// The row a list's selection is on.
    pub fn selected(self) -> Style {
        self.pick(
            Style::default().add_modifier(Modifier::REVERSED),
            Style::default().fg(BRIGHT).add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// A menu row that can't be chosen now (its words say why).
    pub fn unavailable(self) -> Style {
        self.pick(Style::default().add_modifier(Modifier::DIM), Style::default().fg(TEXT))
    }

    /// The session's status bar; red as the maximum duration ends (its time left says so too).
    pub fn status_bar(self, ending_soon: bool) -> Style {
        let background = if ending_soon { Color::Red } else { Color::Blue };
        self.pick(
            Style::default().bg(background).fg(Color::White),
            Style::default().fg(BRIGHT).bg(BLACK).add_modifier(Modifier::REVERSED),
        )
    }

    /// The status bar's sign-out key, set off from the bar: reversed against it.
    pub fn status_key(self) -> Style {
        self.pick(
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            Self::emphasis().remove_modifier(Modifier::REVERSED),
        )
    }

    /// The "Are you still there?" box.
    pub fn idle_warning(self) -> Style {
        self.pick(Style::default().bg(Color::Yellow).fg(Color::Black), Self::emphasis().bg(BLACK))
    }

    /// The manager screens' frame.
    pub fn manager_border(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow), Style::default().fg(BRIGHT))
    }

    /// The "MANAGER" badge on that frame.
    pub fn manager_badge(self) -> Style {
        self.pick(
            Style::default().bg(Color::Yellow).fg(Color::Black).add_modifier(Modifier::BOLD),
            Self::emphasis().bg(BLACK).add_modifier(Modifier::REVERSED),
        )
    }

    /// The manager screens' heading.
    pub fn manager_title(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD), Self::emphasis())
    }
}

/// A console colour as ratatui names it (its `Gray` is the console's white, `White` bright white).
pub fn console_color(color: ConsoleColor) -> Color {
    match color {
        ConsoleColor::Black => Color::Black,
        ConsoleColor::Red => Color::Red,
        ConsoleColor::Green => Color::Green,
        ConsoleColor::Yellow => Color::Yellow,
        ConsoleColor::Blue => Color::Blue,
        ConsoleColor::Magenta => Color::Magenta,
        ConsoleColor::Cyan => Color::Cyan,
        ConsoleColor::White => Color::Gray,
        ConsoleColor::BrightBlack => Color::DarkGray,
        ConsoleColor::BrightRed => Color::LightRed,
        ConsoleColor::BrightGreen => Color::LightGreen,
        ConsoleColor::BrightYellow => Color::LightYellow,
        ConsoleColor::BrightBlue => Color::LightBlue,
        ConsoleColor::BrightMagenta => Color::LightMagenta,
        ConsoleColor::BrightCyan => Color::LightCyan,
        ConsoleColor::BrightWhite => Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accent_is_branding_s_in_the_default_theme_and_white_in_high_contrast() {
        let mut display = DisplayConfig::default();
        let theme = Theme::from_config(&display, Some(ConsoleColor::BrightBlue));
        assert_eq!(theme.title().fg, Some(Color::LightBlue));
        assert_eq!(Theme::from_config(&display, None).title().fg, Some(Color::Cyan));
        assert!(!theme.says_errors());
        display.theme = ThemeName::HighContrast;
        let theme = Theme::from_config(&display, Some(ConsoleColor::BrightBlue));
        assert_eq!(theme.title().fg, Some(Color::White));
        assert!(theme.says_errors() && theme.marks_wrong_code());
        assert!(!theme.hint().add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn a_screen_reader_hears_errors_in_words_whatever_the_theme() {
        let display = DisplayConfig { screen_reader: true, ..DisplayConfig::default() };
        assert!(Theme::from_config(&display, None).says_errors());
    }
}
