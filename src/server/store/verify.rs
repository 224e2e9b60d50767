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
//! `serve` on PostgreSQL sends the verifies that arrive together (`server::batch`) as one
//! statement, `shiftkey_verify_many`: every challenge's lock and then every user's, each in id
//! order (so two batches can't deadlock), then `shiftkey_verify` for each in turn, one
//! transaction; a verify alone is `shiftkey_verify`'s one statement, as before.

use std::sync::LazyLock;

use subtle::ConstantTimeEq;

use super::directory::{USER_COLUMNS, user_with_groups};
use super::sql::{Arg, Lock, placeholder_list};
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
            return self.connection().await?.verify_one_in_function(attempt).await;
        }
        let mut db = self.transaction().await?;
        let verdict = db.verify_steps(attempt).await?;
        db.commit().await?;
        Ok(verdict)
    }

    /// Checks up to `ATTEMPTS_AT_ONCE` codes, in the order given, each as [`Store::verify_code`]
    /// would; their verdicts in that order. On PostgreSQL one statement, one transaction (a
    /// batch: `server::batch`), which fails as a whole; on SQLite a transaction each.
    pub async fn verify_codes(&self, attempts: &[CodeAttempt<'_>]) -> Result<Vec<Verdict>, StoreError> {
        if attempts.is_empty() || attempts.len() > ATTEMPTS_AT_ONCE {
            return Err(StoreError::TooManyAtOnce(attempts.len()));
        }
        if self.is_postgres() {
            return self.connection().await?.verify_in_function(attempts).await;
        }
        let mut verdicts = Vec::with_capacity(attempts.len());
        for attempt in attempts {
            verdicts.push(self.verify_code(attempt).await?);
        }
        Ok(verdicts)
    }
}

/// How many codes one statement checks (`server::batch` gathers no more). Shorter lists are
/// padded with NULL challenges, which `shiftkey_verify_many` passes over.
pub const ATTEMPTS_AT_ONCE: usize = 32;

/// A [`CodeAttempt`] that owns its parts: one waiting for its batch.
pub struct QueuedAttempt {
    pub challenge_id: String,
    pub code_mac: Option<Vec<u8>>,
    pub now: i64,
    pub max_attempts: u32,
    pub failures_cap: u32,
    pub failures_since: i64,
    pub token_hash: Vec<u8>,
    pub token_expires_at: i64,
}

impl QueuedAttempt {
    pub fn of(attempt: &CodeAttempt<'_>) -> Self {
        QueuedAttempt {
            challenge_id: attempt.challenge_id.to_string(),
            code_mac: attempt.code_mac.map(<[u8]>::to_vec),
            now: attempt.now,
            max_attempts: attempt.max_attempts,
            failures_cap: attempt.failures_cap,
            failures_since: attempt.failures_since,
            token_hash: attempt.token_hash.to_vec(),
            token_expires_at: attempt.token_expires_at,
        }
    }

    pub fn attempt(&self) -> CodeAttempt<'_> {
        CodeAttempt {
            challenge_id: &self.challenge_id,
            code_mac: self.code_mac.as_deref(),
            now: self.now,
            max_attempts: self.max_attempts,
            failures_cap: self.failures_cap,
            failures_since: self.failures_since,
            token_hash: &self.token_hash,
            token_expires_at: self.token_expires_at,
        }
    }
}

/// `shiftkey_verify_many`'s row: the attempt's place (1-based), its verdict and number, then
/// the signed-in user's columns (`USER_COLUMNS`), all NULL unless the verdict is `signed_in`
/// (a LEFT JOIN).
type VerdictRow = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
    Option<String>,
);

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What one row of `shiftkey_verify_many` says.
fn verdict_of(row: VerdictRow) -> Result<Verdict, StoreError> {
    let (_, verdict, n, id, username, display_name, enabled, roles, groups) = row;
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

/// One of the attempts' values, for each of `ATTEMPTS_AT_ONCE` places: `pad` (a NULL of its type)
/// past the last attempt.
fn column<'a>(
    attempts: &'a [CodeAttempt<'a>],
    value: impl Fn(&'a CodeAttempt<'a>) -> Arg<'a>,
    pad: Arg<'a>,
) -> impl Iterator<Item = Arg<'a>> {
    (0..ATTEMPTS_AT_ONCE).map(move |k| attempts.get(k).map_or(pad, &value))
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

    /// The attempts through PostgreSQL's `shiftkey_verify_many` (each as `shiftkey_verify`'s
    /// steps): one statement, its own transaction. One alone goes through `shiftkey_verify`.
    async fn verify_in_function(&mut self, attempts: &[CodeAttempt<'_>]) -> Result<Vec<Verdict>, StoreError> {
        if let [attempt] = attempts {
            return Ok(vec![self.verify_one_in_function(attempt).await?]);
        }
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let arrays: Vec<String> = (0..8)
                .map(|k| format!("ARRAY[{}]", placeholder_list(2 + k * ATTEMPTS_AT_ONCE, ATTEMPTS_AT_ONCE)))
                .collect();
            format!(
                "SELECT v.i, v.verdict, v.n, {USER_COLUMNS}
                 FROM shiftkey_verify_many({}, {}, {}, {}, {}, {}, ?1, {}, {}) v
                 LEFT JOIN users ON users.id = v.signed_in ORDER BY v.i",
                arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5], arrays[6], arrays[7]
            )
        });
        let args: Vec<Arg<'_>> = std::iter::once(Arg::from(Lock::UserFailures(0).key()))
            .chain(column(attempts, |a| Arg::from(a.challenge_id), Arg::Text(None)))
            .chain(column(attempts, |a| Arg::Bytes(a.code_mac), Arg::Bytes(None)))
            .chain(column(attempts, |a| Arg::from(a.now), Arg::Int(None)))
            .chain(column(attempts, |a| Arg::from(a.max_attempts), Arg::Int(None)))
            .chain(column(attempts, |a| Arg::from(a.failures_cap), Arg::Int(None)))
            .chain(column(attempts, |a| Arg::from(a.failures_since), Arg::Int(None)))
            .chain(column(attempts, |a| Arg::from(a.token_hash), Arg::Bytes(None)))
            .chain(column(attempts, |a| Arg::from(a.token_expires_at), Arg::Int(None)))
            .collect();
        let rows: Vec<VerdictRow> = self.query_all(&SQL, &args).await?;
        if rows.len() != attempts.len() {
            return Err(StoreError::NoRow);
        }
        rows.into_iter().map(verdict_of).collect()
    }

    /// One attempt through `shiftkey_verify` itself: nine parameters, not 257, and no locks taken
    /// first. A lone attempt locks its challenge and then its user, so it can't close a cycle with
    /// a batch, which holds all its challenges before it waits for any user.
    async fn verify_one_in_function(&mut self, attempt: &CodeAttempt<'_>) -> Result<Verdict, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT CAST(1 AS BIGINT), v.verdict, v.n, {USER_COLUMNS}
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
        verdict_of(self.query_one(&SQL, &args).await?)
    }
}
