//! Temporary access passes (TAP): the way in when the text doesn't come. An admin (`shiftkey
//! admin tap create`) or a store manager on the kiosk (`POST /v1/passes`) issues one; the
//! worker types it with their number (`POST /v1/sign-in/pass`).
//!
//! A pass is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 49
//! bits, read aloud in two groups of five. It is stored only as a keyed hash, like codes,
//! bound to its user; a user has at most one, and a new one replaces it.

use std::time::Duration;

use rand::RngExt;

use super::otp::OtpKey;
use super::store::{Db, NewPass, StoreError, User};
use crate::secret::AccessPass;

/// Characters a pass is made of (shared with the kiosk's pass keyboard).
pub use crate::api_types::{PASS_ALPHABET as ALPHABET, PASS_LENGTH, group_pass};

/// The role a directory user needs to issue passes on the kiosk (`POST /v1/passes`).
pub const MANAGER_ROLE: &str = "kiosk-manager";

pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
pub const MIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A lifetime outside 10 min to 24 h.
#[derive(Debug, thiserror::Error)]
#[error("a pass lives 10m to 24h, not {}; e.g. --lifetime 1h", humantime::format_duration(*.0))]
pub struct BadLifetime(pub Duration);

/// Checks a pass's lifetime.
pub fn check_lifetime(lifetime: Duration) -> Result<Duration, BadLifetime> {
    if (MIN_LIFETIME..=MAX_LIFETIME).contains(&lifetime) { Ok(lifetime) } else { Err(BadLifetime(lifetime)) }
}

/// A new random pass, grouped for reading (`ABCDE-FGHJK`).
pub fn new_pass() -> AccessPass {
    let mut rng = rand::rng();
    let raw: String = (0..PASS_LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    AccessPass::new(group_pass(&raw))
}

/// A typed pass as it is hashed: separators and spaces dropped, upper case (passes are
/// case-insensitive). Anything else stays, and simply won't match.
pub fn normalized(typed: &str) -> AccessPass {
    AccessPass::new(
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect::<String>(),
    )
}

/// The keyed hash of a pass, bound to its user (`-1` for a number no one has: the same work).
pub fn pass_mac(key: &OtpKey, user_rowid: i64, pass: &AccessPass) -> Vec<u8> {
    // A NUL can't be in a challenge id, so no pass's MAC is ever a code's.
    key.code_mac(&format!("pass\0{user_rowid}"), normalized(pass.expose()).expose())
}

/// What issuing a pass gave: the pass, shown once, and when it stops working.
pub struct IssuedPass {
    pub pass: AccessPass,
    pub expires_at: i64,
    pub one_time: bool,
}

/// Issues a pass for `user`, replacing any they had; `issued_by` names who (for `tap show`).
pub async fn issue(
    db: &mut Db,
    key: &OtpKey,
    user: &User,
    lifetime: Duration,
    one_time: bool,
    issued_by: &str,
    now: i64,
) -> Result<IssuedPass, StoreError> {
    let pass = new_pass();
    let expires_at = now + lifetime.as_millis() as i64;
    let mac = pass_mac(key, user.rowid, &pass);
    db.put_pass(&NewPass { user_rowid: user.rowid, mac: &mac, created_at: now, expires_at, one_time, issued_by })
        .await?;
    Ok(IssuedPass { pass, expires_at, one_time })
}

/// A time in ms since the epoch as RFC 3339 (seconds), for people and JSON.
pub fn rfc3339(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_ten_unambiguous_characters_in_two_groups() {
        let passes: std::collections::HashSet<String> = (0..200).map(|_| new_pass().expose().to_string()).collect();
        assert_eq!(passes.len(), 200);
        for pass in &passes {
            let (a, b) = pass.split_once('-').unwrap();
            assert_eq!((a.len(), b.len()), (5, 5), "{pass}");
            assert!(a.bytes().chain(b.bytes()).all(|c| ALPHABET.contains(&c)), "{pass}");
        }
        for ambiguous in b"01OIL" {
            assert!(!ALPHABET.contains(ambiguous));
        }
    }

    #[test]
    fn typed_passes_ignore_case_spaces_and_dashes() {
        let key = OtpKey::random();
        let pass = AccessPass::new("ABCDE-FGHJK");
        let mac = pass_mac(&key, 7, &pass);
        for typed in ["abcdefghjk", "ABCDE FGHJK", " abcde-fghjk ", "AbCdEfGhJk"] {
            assert_eq!(pass_mac(&key, 7, &AccessPass::new(typed)), mac, "{typed}");
        }
        assert_ne!(pass_mac(&key, 8, &pass), mac, "bound to its user");
        assert_ne!(pass_mac(&key, 7, &AccessPass::new("ABCDE-FGHJM")), mac);
    }

    #[test]
    fn lifetimes_are_ten_minutes_to_a_day() {
        assert!(check_lifetime(Duration::from_secs(599)).is_err());
        assert!(check_lifetime(MIN_LIFETIME).is_ok());
        assert!(check_lifetime(MAX_LIFETIME).is_ok());
        let err = check_lifetime(Duration::from_secs(2 * 86_400)).unwrap_err().to_string();
        assert!(err.contains("10m to 24h") && err.contains("2days"), "{err}");
    }
}
