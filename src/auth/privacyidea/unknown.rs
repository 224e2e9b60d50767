//! Numbers privacyIDEA doesn't know (ERR904) look like known ones on the kiosk: their codes are
//! always wrong, and they run into the recommended set-up's limits at the same points a known
//! number does (privacyIDEA keeps no count for a user it doesn't have, so the kiosk does).

use std::time::Instant;

use super::limits;
use crate::auth::AuthError;

/// What happened to an unknown number, so it meets the limits a known one would.
#[derive(Default)]
pub(super) struct Unknown {
    sends: Vec<Instant>,
    fails: u32,
    last_fail: Option<Instant>,
    pub(super) seen: Option<Instant>,
}

impl Unknown {
    fn forget_old(&mut self, now: Instant) {
        self.sends.retain(|sent| now.duration_since(*sent) < limits::SEND_WINDOW);
        if self.last_fail.is_some_and(|at| now.duration_since(at) >= limits::FAIL_CLEAR) {
            self.fails = 0;
            self.last_fail = None;
        }
        self.seen = Some(now);
    }

    /// A start: refused as a locked token or a reached send cap is, else counted.
    pub(super) fn start(&mut self, now: Instant) -> Result<(), AuthError> {
        self.forget_old(now);
        if self.fails >= limits::FAILS {
            return Err(AuthError::RateLimited { retry_after: limits::FAIL_CLEAR });
        }
        if self.sends.len() >= limits::SENDS {
            return Err(AuthError::RateLimited { retry_after: limits::SEND_WINDOW });
        }
        self.sends.push(now);
        Ok(())
    }

    /// A code: always wrong, as privacyIDEA would say it.
    pub(super) fn verify(&mut self, now: Instant, expired: bool) -> AuthError {
        self.forget_old(now);
        if self.sends.len() >= limits::SENDS {
            return AuthError::RateLimited { retry_after: limits::SEND_WINDOW };
        }
        if self.fails >= limits::FAILS {
            return AuthError::TooManyAttempts;
        }
        self.fails += 1;
        self.last_fail = Some(now);
        if expired { AuthError::Expired } else { AuthError::CodeRejected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_number_meets_the_limits_a_known_one_does() {
        let t0 = Instant::now();
        let mut unknown = Unknown::default();
        for _ in 0..5 {
            assert_eq!(unknown.verify(t0, false), AuthError::CodeRejected);
        }
        assert_eq!(unknown.verify(t0, false), AuthError::TooManyAttempts, "locked after 5 wrong codes");
        assert_eq!(unknown.start(t0), Err(AuthError::RateLimited { retry_after: limits::FAIL_CLEAR }));
        let later = t0 + limits::FAIL_CLEAR;
        assert_eq!(unknown.start(later), Ok(()), "unlocked again");
        assert_eq!(unknown.verify(later, true), AuthError::Expired);

        let mut unknown = Unknown::default();
        for _ in 0..limits::SENDS {
            assert_eq!(unknown.start(t0), Ok(()));
        }
        let capped = AuthError::RateLimited { retry_after: limits::SEND_WINDOW };
        assert_eq!(unknown.start(t0), Err(capped.clone()));
        assert_eq!(unknown.verify(t0, false), capped, "privacyIDEA denies every request once capped");
        assert_eq!(unknown.start(t0 + limits::SEND_WINDOW), Ok(()));
    }
}
