//! One-time codes and tokens: generation from a CSPRNG, keyed hashing, constant-time checks.
//!
//! Codes are stored only as HMAC-SHA256(server key, challenge id, code); the key lives in a
//! file outside the database, so a database dump reveals no code. Tokens are stored as SHA-256.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::{Rng, RngExt};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::secret::{AccessToken, OtpCode};

pub const CODE_LENGTH: usize = 6;
const KEY_LEN: usize = 32;

/// The server's secret key for hashing codes. Zeroized on drop; never printed.
pub struct OtpKey(Zeroizing<[u8; KEY_LEN]>);

impl OtpKey {
    /// A fresh random key that lives only in memory (the demo backend).
    pub fn random() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(key.as_mut());
        OtpKey(key)
    }

    /// Reads the key file, or creates it (mode 0600) with a new random key on first start.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                let key = Self::random();
                file.write_all(key.0.as_ref())?;
                file.sync_all()?;
                Ok(key)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut key = Zeroizing::new([0u8; KEY_LEN]);
                let mut file = std::fs::File::open(path)?;
                file.read_exact(key.as_mut()).map_err(|_| {
                    std::io::Error::other(format!(
                        "key file {} is damaged (expected {KEY_LEN} bytes); restore it or delete it \
                         to start over (codes already sent stop working)",
                        path.display()
                    ))
                })?;
                Ok(OtpKey(key))
            }
            Err(err) => Err(err),
        }
    }

    /// The keyed hash of a code, bound to the challenge it was issued for.
    pub fn code_mac(&self, challenge_id: &str, code: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_ref()).expect("HMAC takes keys of any length");
        mac.update(challenge_id.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A stable keyed identifier for a number, for the per-number caps (the number itself
    /// is not needed to count).
    pub fn phone_key(&self, e164: &str) -> Vec<u8> {
        self.code_mac("phone\0", e164)
    }

    /// A key of its own for `purpose` (the SMS queue's seal), made from this one: whoever has
    /// the key file has it, and the database never does.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_ref()).expect("HMAC takes keys of any length");
        // A NUL can't be in a challenge id, so no derived key is ever a code's MAC.
        mac.update(b"derive\0");
        mac.update(purpose.as_bytes());
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        key
    }
}

/// A uniformly random 6-digit code.
pub fn new_code() -> OtpCode {
    let value: u32 = rand::rng().random_range(0..1_000_000);
    OtpCode::new(format!("{value:06}"))
}

/// Whether typed text even looks like a code (it still counts as an attempt if not).
pub fn is_well_formed(code: &OtpCode) -> bool {
    let text = code.expose();
    text.len() == CODE_LENGTH && text.bytes().all(|b| b.is_ascii_digit())
}

/// A random identifier for a challenge (128 bits, URL-safe).
pub fn new_challenge_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new 256-bit bearer token.
pub fn new_token() -> AccessToken {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(bytes.as_mut());
    AccessToken::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_code().expose().to_string()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 190, "200 draws from a million gave only {} distinct", codes.len());
    }

    #[test]
    fn mac_is_bound_to_the_challenge() {
        let key = OtpKey::random();
        let mac = key.code_mac("challenge-a", "123456");
        assert_eq!(key.code_mac("challenge-a", "123456"), mac);
        assert_ne!(key.code_mac("challenge-b", "123456"), mac);
        assert_ne!(key.code_mac("challenge-a", "123457"), mac);
        assert_ne!(OtpKey::random().code_mac("challenge-a", "123456"), mac, "and to the key");
    }

    #[test]
    fn key_file_is_created_0600_and_reloaded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.key");
        let first = OtpKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let second = OtpKey::load_or_create(&path).unwrap();
        assert_eq!(first.code_mac("c", "1"), second.code_mac("c", "1"));
    }

    #[test]
    fn tokens_are_256_bits_and_hashed() {
        let token = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(token.expose()).unwrap().len(), 32);
        assert_eq!(token_hash(token.expose()).len(), 32);
        assert_ne!(token_hash(token.expose()), token.expose().as_bytes());
    }
}
