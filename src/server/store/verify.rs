//! Checking a typed code against its challenge: the rules of a code (single use, expiry,
//! attempts), the user's hourly wrong-code cap, and what each outcome writes — in one
//! transaction, in this order: lock the challenge's row (parallel verifies of one challenge, on
//! any replica, take turns from here to the end, so each reads the attempts the one before it
//! counted: 50 at once count as 5); lock the user's wrong-code count (the same across their
//! challenges, taken second so verifies can't deadlock); check; then either mark the challenge
//! used and store the token, or count the wrong attempt and the failure.
//!
//! SQLite runs these steps below, a statement at a time in its transaction. PostgreSQL runs the
//! same steps in the schema's `shiftkey_verify` function (migrations.rs): one round trip
//! instead of five (BEGIN, the row, the count, the write, COMMIT) on every verify. The two are
//! one specification written twice, and the store and API suites run against both engines.

use std::sync::LazyLock;

use subtle::ConstantTimeEq;

use super::directory::{USER_COLUMNS, user_with_groups};
use super::sql::{Arg, Lock};
use super::{Db, Store, StoreError, User};

/// One typed code, and the rules to check it by.
pub struct CodeAttempt<'a> {
    pub challenge_id: &'a str,
    /// The typed code's MAC; `None` when it isn't even shaped like a code (it matches nothing,
    /// and still counts as an attempt).
    pub code_mac: Option<&'a [u8]>,
    pub now: i64,
    pub max_attempts: u32,
    /// The user's wrong codes since `failures_since` that stop any more checks.
    pub failures_cap: u32,
    pub failures_since: i64,
    /// The hash of the token a right code gets, and when that token expires.
    pub token_hash: &'a [u8],
    pub token_expires_at: i64,
}

/// What checking a code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Right: the challenge is used up and the token stored, for this user.
    SignedIn(User),
    /// Wrong (or a challenge nobody knows the code of): `attempts` counted on it so far.
    Wrong { attempts: u32 },
    /// No such challenge, used, or past its expiry; nothing written.
    Expired,
    /// The challenge has had all its attempts; nothing written.
    TooManyAttempts,
    /// The user's wrong codes reached the cap; the oldest in the window was at `oldest_at`.
    RateLimited { oldest_at: Option<i64> },
}

impl Store {
    /// Checks a typed code and writes what its verdict says, as one transaction.
    pub async fn verify_code(&self, attempt: &CodeAttempt<'_>) -> Result<Verdict, StoreError> {
        if self.is_postgres() {
            return self.connection().await?.verify_in_function(attempt).await;
        }
        let mut db = self.transaction().await?;
        let verdict = db.verify_steps(attempt).await?;
        db.commit().await?;
        Ok(verdict)
    }
}

/// `shiftkey_verify`'s verdict and number, then the signed-in user's columns (`USER_COLUMNS`),
/// all NULL unless the verdict is `signed_in` (a LEFT JOIN).
type VerdictRow =
    (String, Option<i64>, Option<i64>, Option<String>, Option<String>, Option<bool>, Option<String>, Option<String>);

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Db {
    /// The steps, one statement at a time (SQLite, whose writers take turns on one connection:
    /// the row and the count are held by the transaction).
    async fn verify_steps(&mut self, attempt: &CodeAttempt<'_>) -> Result<Verdict, StoreError> {
        let id = attempt.challenge_id;
        let Some(challenge) = self.challenge_for_update(id).await? else {
            return Ok(Verdict::Expired);
        };
        if challenge.used {
            return Ok(Verdict::Expired);
        }
        if challenge.attempts >= attempt.max_attempts {
            return Ok(Verdict::TooManyAttempts);
        }
        if attempt.now >= challenge.expires_at {
            return Ok(Verdict::Expired);
        }
        if let Some(user_rowid) = challenge.user_rowid {
            let failures = self.failures_since(user_rowid, attempt.failures_since).await?;
            if failures.count >= attempt.failures_cap {
                return Ok(Verdict::RateLimited { oldest_at: failures.oldest_at });
            }
        }
        let right = attempt.code_mac.is_some_and(|mac| bool::from(mac.ct_eq(&challenge.code_mac)));
        match (right, challenge.user_rowid) {
            (true, Some(user_rowid)) => {
                let user = self
                    .complete_sign_in(id, user_rowid, attempt.token_hash, attempt.now, attempt.token_expires_at)
                    .await?;
                Ok(user.map_or(Verdict::Expired, Verdict::SignedIn))
            }
            (_, user_rowid) => {
                let attempts = self.count_attempt(id).await?;
                if let Some(user_rowid) = user_rowid {
                    self.record_failure(user_rowid, attempt.now).await?;
                }
                Ok(Verdict::Wrong { attempts })
            }
        }
    }

    /// The steps in PostgreSQL's `shiftkey_verify`: one statement, its own transaction.
    async fn verify_in_function(&mut self, attempt: &CodeAttempt<'_>) -> Result<Verdict, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT v.verdict, v.n, {USER_COLUMNS}
                 FROM shiftkey_verify(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) v LEFT JOIN users ON users.id = v.signed_in"
            )
        });
        let args = [
            Arg::from(attempt.challenge_id),
            Arg::Bytes(attempt.code_mac),
            Arg::from(attempt.now),
            Arg::from(attempt.max_attempts),
            Arg::from(attempt.failures_cap),
            Arg::from(attempt.failures_since),
            Arg::from(Lock::UserFailures(0).key()),
            Arg::from(attempt.token_hash),
            Arg::from(attempt.token_expires_at),
        ];
        let (verdict, n, id, username, display_name, enabled, roles, groups): VerdictRow =
            self.query_one(&SQL, &args).await?;
        Ok(match verdict.as_str() {
            "signed_in" => match (id, username, display_name, enabled, roles) {
                (Some(id), Some(username), Some(display_name), Some(enabled), Some(roles)) => {
                    Verdict::SignedIn(user_with_groups((id, username, display_name, enabled, roles, groups)))
                }
                // The token's user is its foreign key: there is one.
                _ => return Err(StoreError::NoRow),
            },
            "wrong" => Verdict::Wrong { attempts: count(n.unwrap_or(0)) },
            "too_many_attempts" => Verdict::TooManyAttempts,
            "rate_limited" => Verdict::RateLimited { oldest_at: n },
            "expired" => Verdict::Expired,
            _ => return Err(StoreError::UnknownVerdict(verdict)),
        })
    }
}
