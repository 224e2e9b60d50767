//! The worker's step-away PIN: typed into a buffer that zeroizes itself, kept only as a salted
//! Argon2id hash (OWASP's parameters: 19 MiB, 2 passes), never shown, logged or written down.
//!
//! Hashing is slow on purpose, so the kiosk does it off its loop (`kiosk::app::effects`).

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use zeroize::Zeroizing;

/// Shortest and longest PIN a worker may choose.
pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 6;

/// Digits as they are typed: only digits, at most `MAX_DIGITS`, zeroized when dropped or cleared.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PinEntry(Zeroizing<String>);

impl PinEntry {
    /// Adds a digit; false (nothing added) for anything else or when full.
    pub fn push(&mut self, c: char) -> bool {
        if !c.is_ascii_digit() || self.0.len() >= MAX_DIGITS {
            return false;
        }
        self.0.push(c);
        true
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn clear(&mut self) {
        // `Zeroizing` wipes on drop; a replaced buffer is dropped here.
        self.0 = Zeroizing::default();
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes the digits, leaving the entry empty.
    pub fn take(&mut self) -> PinEntry {
        std::mem::take(self)
    }

    fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PinEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PinEntry([{} digits redacted])", self.0.len())
    }
}

/// Why a chosen PIN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRule {
    TooShort,
    /// Guessed first by anyone: one digit repeated, a short group repeated (1212, 123123), or
    /// a run up or down (1234, 9876, 7890).
    Trivial,
}

/// Whether `entry` may be chosen as a PIN.
pub fn check_choice(entry: &PinEntry) -> Result<(), PinRule> {
    let digits: Vec<u8> = entry.digits().bytes().map(|b| b - b'0').collect();
    if digits.len() < MIN_DIGITS {
        return Err(PinRule::TooShort);
    }
    let repeats_group = (1..=digits.len() / 2)
        .filter(|group| digits.len().is_multiple_of(*group))
        .any(|group| digits.iter().enumerate().all(|(i, d)| *d == digits[i % group]));
    let run = |step: u8| digits.windows(2).all(|pair| pair[1] == (pair[0] + step) % 10);
    if repeats_group || run(1) || run(9) { Err(PinRule::Trivial) } else { Ok(()) }
}

/// A PIN as the kiosk keeps it: a PHC string (algorithm, parameters, salt, hash), zeroized on drop.
#[derive(Clone)]
pub struct PinHash(Zeroizing<String>);

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash([redacted])")
    }
}

/// Hashes `entry` with a fresh random salt.
pub fn seal(entry: &PinEntry) -> PinHash {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let salt = SaltString::encode_b64(&random).expect("16 bytes are a valid salt");
    let hash = Argon2::default()
        .hash_password(entry.digits().as_bytes(), &salt)
        .expect("Argon2 with its default parameters and a generated salt cannot fail");
    PinHash(Zeroizing::new(hash.to_string()))
}

impl PinHash {
    /// Whether `entry` is the PIN this hash was made from (in constant time, inside Argon2).
    pub fn matches(&self, entry: &PinEntry) -> bool {
        PasswordHash::new(&self.0)
            .is_ok_and(|hash| Argon2::default().verify_password(entry.digits().as_bytes(), &hash).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(digits: &str) -> PinEntry {
        let mut entry = PinEntry::default();
        for c in digits.chars() {
            assert!(entry.push(c), "{c} in {digits}");
        }
        entry
    }

    #[test]
    fn only_digits_and_at_most_six() {
        let mut pin = entry("123456");
        assert!(!pin.push('7'));
        pin.pop();
        assert!(!pin.push('a'));
        assert_eq!(pin.len(), 5);
    }

    #[test]
    fn trivial_and_short_pins_are_refused() {
        for trivial in ["0000", "1111", "1212", "123123", "121212", "1234", "4321", "7890", "0987", "123456", "987654"]
        {
            assert_eq!(check_choice(&entry(trivial)), Err(PinRule::Trivial), "{trivial}");
        }
        assert_eq!(check_choice(&entry("135")), Err(PinRule::TooShort));
        for fine in ["1357", "8642", "2580", "19731", "402817", "1123"] {
            assert_eq!(check_choice(&entry(fine)), Ok(()), "{fine}");
        }
    }

    #[test]
    fn the_hash_matches_its_pin_only_and_never_shows_it() {
        let hash = seal(&entry("1357"));
        assert!(hash.matches(&entry("1357")));
        assert!(!hash.matches(&entry("1358")));
        assert!(!hash.matches(&entry("13570")));
        assert!(!hash.0.contains("1357"), "the PIN is not in its hash");
        assert!(hash.0.starts_with("$argon2id$"), "{}", *hash.0);
        assert_eq!(format!("{hash:?} {:?}", entry("1357")), "PinHash([redacted]) PinEntry([4 digits redacted])");
        // A fresh salt each time: the same PIN never gives the same hash.
        assert_ne!(*seal(&entry("1357")).0, *hash.0);
    }
}
