//! Phone numbers: parse what a person typed into E.164, and mask it for screens and logs.
//!
//! The parser (`phonenumber`) has panicked on crafted input before (RUSTSEC-2023-0082,
//! RUSTSEC-2024-0369), so input is length-checked first and every parse runs under
//! `catch_unwind`. A full number must never reach a log line: use [`PhoneNumber::masked`].

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use phonenumber::country::Id as RegionId;
use phonenumber::{Mode, Type};
use zeroize::Zeroize;

/// Longer input is refused before it reaches the parser.
pub const MAX_INPUT_CHARS: usize = 32;

/// A valid phone number in E.164 form. Zeroized on drop; Debug and Display print it masked.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    region: Option<String>,
}

/// Why a typed number was refused. Each message is meant to be shown to a person as is, in
/// English; the kiosk says them in the worker's language from the variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Type a phone number")]
    Empty,
    #[error("That is too long to be a phone number (at most {MAX_INPUT_CHARS} characters)")]
    TooLong,
    #[error("That isn't a phone number: use digits, spaces, dashes or a leading +")]
    NotANumber,
    /// Not valid in the region (its code: "US") the number claims, or was read in.
    #[error("That isn't a valid mobile number for {}", region_name(.0))]
    Invalid(String),
    #[error("Unknown region code {0:?}: use a two-letter code such as US or GB")]
    UnknownRegion(String),
    /// The kind of line ("toll-free", "premium-rate", "shared-cost", "fixed-line", …).
    #[error("That number is a {0} number, which can't receive sign-in codes")]
    NotMobile(&'static str),
}

/// The numbering-plan kind of a number, as far as sign-in cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Mobile,
    FixedLineOrMobile,
    FixedLine,
    TollFree,
    PremiumRate,
    SharedCost,
    Other,
}

impl LineKind {
    fn describe(self) -> &'static str {
        match self {
            LineKind::Mobile => "mobile",
            LineKind::FixedLineOrMobile => "fixed-line or mobile",
            LineKind::FixedLine => "fixed-line",
            LineKind::TollFree => "toll-free",
            LineKind::PremiumRate => "premium-rate",
            LineKind::SharedCost => "shared-cost",
            LineKind::Other => "special-service",
        }
    }

    /// Whether an SMS code may be sent to this kind of line.
    pub fn can_receive_codes(self) -> bool {
        matches!(self, LineKind::Mobile | LineKind::FixedLineOrMobile)
    }
}

/// Whether `input` has the form the HTTP API takes a number in: `+`, a digit, then digits that
/// spaces, dashes, dots or parentheses may group; at most [`MAX_INPUT_CHARS`] characters and
/// nothing around it. `StartRequest.phone` in `assets/openapi.json` says the same as a pattern
/// (tests/properties.rs holds them to each other).
pub fn has_api_form(input: &str) -> bool {
    let mut chars = input.chars();
    input.chars().count() <= MAX_INPUT_CHARS
        && chars.next() == Some('+')
        && chars.next().is_some_and(|c| c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_digit() || " ().-".contains(c))
}

/// Parses a region code such as "US" (case-insensitive).
pub fn parse_region(code: &str) -> Result<RegionId, PhoneError> {
    RegionId::from_str(&code.trim().to_ascii_uppercase()).map_err(|_| PhoneError::UnknownRegion(code.to_string()))
}

/// The English name of a region, for messages ("United States"); the code if unknown. (The
/// kiosk's screens name regions from their translations: `region-name`.)
pub fn region_name(code: &str) -> String {
    let name = match code {
        "US" => "United States",
        "CA" => "Canada",
        "GB" => "the United Kingdom",
        "IE" => "Ireland",
        "DE" => "Germany",
        "FR" => "France",
        "ES" => "Spain",
        "IT" => "Italy",
        "NL" => "the Netherlands",
        "BE" => "Belgium",
        "CH" => "Switzerland",
        "AT" => "Austria",
        "SE" => "Sweden",
        "NO" => "Norway",
        "DK" => "Denmark",
        "FI" => "Finland",
        "PL" => "Poland",
        "PT" => "Portugal",
        "IN" => "India",
        "AU" => "Australia",
        "NZ" => "New Zealand",
        "JP" => "Japan",
        "MX" => "Mexico",
        "BR" => "Brazil",
        "ZA" => "South Africa",
        "SG" => "Singapore",
        "VN" => "Vietnam",
        "CN" => "China",
        _ => return code.to_string(),
    };
    name.to_string()
}

/// The region to read a number in: none when it carries its own `+country`.
///
/// With a hint, phonenumber 0.3.10 strips the hint region's national prefix after the country
/// code too: "+49 1512 3456789" read with US becomes +49 512… (US national prefix "1").
fn region_hint(region: RegionId, input: &str) -> Option<RegionId> {
    (!input.starts_with('+')).then_some(region)
}

/// Runs the parser without letting a panic inside it escape.
fn parse_guarded(region: Option<RegionId>, input: &str) -> Option<phonenumber::PhoneNumber> {
    catch_unwind(AssertUnwindSafe(|| phonenumber::parse(region, input).ok())).unwrap_or(None)
}

fn check_input(input: &str) -> Result<&str, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if trimmed.chars().count() > MAX_INPUT_CHARS {
        return Err(PhoneError::TooLong);
    }
    Ok(trimmed)
}

impl PhoneNumber {
    /// Parses what a person typed. Numbers without `+country` are read in `region`.
    pub fn parse(input: &str, region: &str) -> Result<Self, PhoneError> {
        let region_id = parse_region(region)?;
        let input = check_input(input)?;
        let parsed = parse_guarded(region_hint(region_id, input), input).ok_or(PhoneError::NotANumber)?;
        let valid = catch_unwind(AssertUnwindSafe(|| parsed.is_valid())).unwrap_or(false);
        let number_region = parsed.country().id().map(|id| id.as_ref().to_string());
        if !valid {
            // Name the region the number claims to be in, else the one it was read in.
            let shown = if input.starts_with('+') {
                number_region.clone().unwrap_or_else(|| region.to_ascii_uppercase())
            } else {
                region.to_ascii_uppercase()
            };
            return Err(PhoneError::Invalid(shown));
        }
        let e164 = parsed.format().mode(Mode::E164).to_string();
        Ok(PhoneNumber { e164, region: number_region })
    }

    /// Parses a number that must carry its country code (`+1 206 555 0100`).
    pub fn parse_international(input: &str) -> Result<Self, PhoneError> {
        let trimmed = check_input(input)?;
        if !trimmed.starts_with('+') {
            return Err(PhoneError::NotANumber);
        }
        Self::parse(trimmed, "US")
    }

    /// Parses a number as the HTTP API takes it ([`has_api_form`]): a program's input, so
    /// nothing is trimmed or guessed. What people type goes through [`PhoneNumber::parse`].
    pub fn parse_sent(input: &str) -> Result<Self, PhoneError> {
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input.chars().count() > MAX_INPUT_CHARS {
            return Err(PhoneError::TooLong);
        }
        if !has_api_form(input) {
            return Err(PhoneError::NotANumber);
        }
        Self::parse_international(input)
    }

    /// Refuses numbers that cannot receive an SMS code (premium-rate, fixed-line only, ...).
    pub fn require_mobile(self) -> Result<Self, PhoneError> {
        let kind = self.line_kind();
        if kind.can_receive_codes() { Ok(self) } else { Err(PhoneError::NotMobile(kind.describe())) }
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }

    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The numbering-plan type of this number.
    pub fn line_kind(&self) -> LineKind {
        let Some(parsed) = parse_guarded(None, &self.e164) else {
            return LineKind::Other;
        };
        let kind = catch_unwind(AssertUnwindSafe(|| parsed.number_type(&phonenumber::metadata::DATABASE)));
        match kind {
            Ok(Type::Mobile) => LineKind::Mobile,
            Ok(Type::FixedLineOrMobile) => LineKind::FixedLineOrMobile,
            Ok(Type::FixedLine) => LineKind::FixedLine,
            Ok(Type::TollFree) => LineKind::TollFree,
            Ok(Type::PremiumRate) => LineKind::PremiumRate,
            Ok(Type::SharedCost) => LineKind::SharedCost,
            _ => LineKind::Other,
        }
    }

    /// `+1 ••• ••• 0100`: the country code and last four digits only.
    /// The number's last four digits: what a worker checks it by ("the phone ending in 0100").
    pub fn last_digits(&self) -> &str {
        let e164 = self.e164();
        &e164[e164.len().saturating_sub(4)..]
    }

    pub fn masked(&self) -> String {
        mask_e164(&self.e164)
    }
}

/// Why a well-formed number is still not valid, where the numbering plan makes it plain:
/// North American area codes and exchanges can't start with 0 or 1.
pub fn invalid_reason(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix('1').filter(|n| n.len() == 10 && input.trim_start().starts_with('+'))?;
    let (area, exchange, line) = (&national[..3], &national[3..6], &national[6..]);
    let spaced = format!("{area} {exchange} {line}");
    match (area.as_bytes()[0], exchange.as_bytes()[0]) {
        (b'0' | b'1', _) => Some(format!("a US area code can't start with {} ({spaced})", &area[..1])),
        (_, b'0' | b'1') => Some(format!("a US exchange can't start with {} ({spaced})", &exchange[..1])),
        _ => None,
    }
}

/// Masks an E.164 string, keeping the country code and the last four digits.
///
/// ```
/// assert_eq!(shiftkey::phone::mask_e164("+12065550100"), "+1 ••• ••• 0100");
/// assert_eq!(shiftkey::phone::mask_e164("+4915123456789"), "+49 ••• ••• 6789");
/// ```
pub fn mask_e164(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let cc_len = country_code_len(&digits);
    if digits.len() < cc_len + 5 {
        return "+••• ••• ••••".to_string();
    }
    let cc: String = digits[..cc_len].iter().collect();
    let last: String = digits[digits.len() - 4..].iter().collect();
    format!("+{cc} ••• ••• {last}")
}

/// Country codes are prefix-free: find how many leading digits form one.
fn country_code_len(digits: &[char]) -> usize {
    for len in 1..=3 {
        if digits.len() < len {
            break;
        }
        let code: String = digits[..len].iter().collect();
        if let Ok(value) = code.parse::<u16>()
            && catch_unwind(|| phonenumber::metadata::DATABASE.by_code(&value).is_some()).unwrap_or(false)
        {
            return len;
        }
    }
    1
}

/// Formats a partly typed number for display while it is typed.
///
/// A number that already parses as possible is shown in its national (or international) form;
/// otherwise the characters typed so far are shown as they are.
pub fn format_as_typed(input: &str, region: &str) -> String {
    let Ok(trimmed) = check_input(input) else {
        return input.to_string();
    };
    let Ok(region_id) = parse_region(region) else {
        return input.to_string();
    };
    let digit_count = trimmed.chars().filter(char::is_ascii_digit).count();
    if digit_count < 7 {
        return input.to_string();
    }
    let Some(parsed) = parse_guarded(region_hint(region_id, trimmed), trimmed) else {
        return input.to_string();
    };
    let mode = if trimmed.starts_with('+') { Mode::International } else { Mode::National };
    catch_unwind(AssertUnwindSafe(|| {
        let valid = parsed.is_valid();
        valid.then(|| parsed.format().mode(mode).to_string())
    }))
    .ok()
    .flatten()
    .unwrap_or_else(|| input.to_string())
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Drop for PhoneNumber {
    fn drop(&mut self) {
        self.e164.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_takes_a_number_as_sent_and_says_what_is_wrong_with_its_form() {
        for sent in ["+12065550100", "+1 (206) 555-0100", "+1.206.555.0100"] {
            assert_eq!(PhoneNumber::parse_sent(sent).unwrap().e164(), "+12065550100", "{sent:?}");
        }
        assert_eq!(PhoneNumber::parse_sent(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse_sent(&format!("+1{}", "0".repeat(31))), Err(PhoneError::TooLong));
        for sent in [" +12065550100", "+12065550100\n", "12065550100", "+1/206/555/0100", "+ 12065550100"] {
            assert_eq!(PhoneNumber::parse_sent(sent), Err(PhoneError::NotANumber), "{sent:?}");
        }
        assert!(matches!(PhoneNumber::parse_sent("+1 4251234567"), Err(PhoneError::Invalid(_))));
    }

    #[test]
    fn us_national_and_international_forms_agree() {
        for input in ["206 555 0100", "(206) 555-0100", "+1 206 555 0100", "+12065550100"] {
            let n = PhoneNumber::parse(input, "US").unwrap();
            assert_eq!(n.e164(), "+12065550100", "{input}");
        }
    }

    #[test]
    fn gb_de_in_forms_parse() {
        let gb = PhoneNumber::parse("07911 123456", "GB").unwrap();
        assert_eq!(gb.e164(), "+447911123456");
        assert_eq!(PhoneNumber::parse("+44 7911 123456", "US").unwrap().e164(), "+447911123456");
        let de = PhoneNumber::parse("01512 3456789", "DE").unwrap();
        assert_eq!(de.e164(), "+4915123456789");
        assert_eq!(de.line_kind(), LineKind::Mobile);
        assert_eq!(PhoneNumber::parse("+49 1512 3456789", "US").unwrap().e164(), "+4915123456789");
        let india = PhoneNumber::parse("98765 43210", "IN").unwrap();
        assert_eq!(india.e164(), "+919876543210");
        assert_eq!(PhoneNumber::parse("+91 98765 43210", "US").unwrap().e164(), "+919876543210");
    }

    #[test]
    fn entra_article_example_is_refused_as_not_valid_in_the_us() {
        let err = PhoneNumber::parse("+1 4251234567", "US").unwrap_err();
        assert_eq!(err, PhoneError::Invalid("US".into()));
        assert_eq!(err.to_string(), "That isn't a valid mobile number for United States");
    }

    #[test]
    fn entra_example_is_explained() {
        assert_eq!(invalid_reason("+1 4251234567").unwrap(), "a US exchange can't start with 1 (425 123 4567)");
        assert_eq!(invalid_reason("+1 125 555 0100").unwrap(), "a US area code can't start with 1 (125 555 0100)");
        assert_eq!(invalid_reason("+1 206 555 0100"), None);
        assert_eq!(invalid_reason("+44 7911 123456"), None);
    }

    #[test]
    fn rustsec_inputs_give_errors_not_panics() {
        for input in [".;phone-context=", "+dwPAA;phone-context=AA"] {
            assert!(PhoneNumber::parse(input, "US").is_err(), "{input}");
            assert!(PhoneNumber::parse(input, "GB").is_err(), "{input}");
            let _ = format_as_typed(input, "US");
        }
    }

    #[test]
    fn long_input_is_refused_before_parsing() {
        let long = "1".repeat(500);
        assert_eq!(PhoneNumber::parse(&long, "US").unwrap_err(), PhoneError::TooLong);
        assert_eq!(PhoneNumber::parse(&"2".repeat(33), "US").unwrap_err(), PhoneError::TooLong);
    }

    #[test]
    fn garbage_and_empty_are_specific_errors() {
        assert_eq!(PhoneNumber::parse("abc", "US").unwrap_err(), PhoneError::NotANumber);
        assert_eq!(PhoneNumber::parse("  ", "US").unwrap_err(), PhoneError::Empty);
        assert!(matches!(PhoneNumber::parse("206 555 0100", "XX"), Err(PhoneError::UnknownRegion(_))));
    }

    #[test]
    fn masking_keeps_country_code_and_last_four() {
        let n = PhoneNumber::parse("206 555 0100", "US").unwrap();
        assert_eq!(n.masked(), "+1 ••• ••• 0100");
        assert_eq!(format!("{n:?}"), "PhoneNumber(+1 ••• ••• 0100)");
        assert!(!format!("{n} {n:?}").contains("2065550100"));
        assert_eq!(mask_e164("+447911123456"), "+44 ••• ••• 3456");
        assert_eq!(mask_e164("+919876543210"), "+91 ••• ••• 3210");
    }

    #[test]
    fn us_numbers_report_fixed_line_or_mobile_and_can_receive_codes() {
        let n = PhoneNumber::parse("+1 206 555 0100", "US").unwrap();
        assert_eq!(n.line_kind(), LineKind::FixedLineOrMobile);
        assert!(n.require_mobile().is_ok());
    }

    #[test]
    fn toll_free_is_refused_for_codes() {
        let n = PhoneNumber::parse("+1 800 555 0199", "US").unwrap();
        assert_eq!(n.line_kind(), LineKind::TollFree);
        assert!(matches!(n.require_mobile(), Err(PhoneError::NotMobile("toll-free"))));
    }

    #[test]
    fn typing_is_formatted_once_the_number_is_complete() {
        assert_eq!(format_as_typed("206", "US"), "206");
        assert_eq!(format_as_typed("2065550100", "US"), "(206) 555-0100");
        assert_eq!(format_as_typed("+12065550100", "US"), "+1 206-555-0100");
    }
}
