//! Challenges (codes as MACs, attempts, sends) and the events behind the abuse caps.

use std::sync::LazyLock;

use super::sql::{Arg, Lock, args};
use super::{Challenge, Db, StoreError};

/// How many events happened in a window, and when the oldest of them leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u32,
    pub oldest_at: Option<i64>,
}

impl WindowCount {
    pub(super) fn new(count: i64, oldest_at: Option<i64>) -> Self {
        WindowCount { count: u32::try_from(count).unwrap_or(u32::MAX), oldest_at }
    }
}

/// A challenge's row, its values `?1`..`?11` as [`challenge_args`] gives them.
const INSERT_CHALLENGE: &str = "INSERT INTO challenges
     (id, user_id, code_mac, created_at, expires_at, attempts, sends, last_sent_at, used, phone_key, locale)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

fn challenge_args(c: &Challenge, now: i64) -> [Arg<'_>; 11] {
    [
        Arg::from(c.id.as_str()),
        Arg::from(c.user_rowid),
        Arg::from(c.code_mac.as_slice()),
        Arg::from(now),
        Arg::from(c.expires_at),
        Arg::from(c.attempts),
        Arg::from(c.sends),
        Arg::from(c.last_sent_at),
        Arg::from(c.used),
        Arg::from(c.phone_key.as_slice()),
        Arg::from(c.locale.as_deref()),
    ]
}

type ChallengeRow = (String, Option<i64>, Vec<u8>, i64, i64, i64, i64, bool, Vec<u8>, Option<String>);

fn challenge_of(row: ChallengeRow) -> Challenge {
    let (id, user_rowid, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale) = row;
    Challenge {
        id,
        user_rowid,
        code_mac,
        expires_at,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        sends: u32::try_from(sends).unwrap_or(u32::MAX),
        last_sent_at,
        used,
        phone_key,
        locale,
    }
}

impl Db {
    /// Stores a new challenge with its first send counted against the caps and its text queued
    /// (`sealed`). Run it in a transaction, except on PostgreSQL without caps to count
    /// ([`super::Store::transaction_if`]): there it is one statement (a round trip instead of
    /// three, on every start); on SQLite, where a statement is no round trip, the three inserts.
    pub async fn open_challenge(
        &mut self,
        c: &Challenge,
        client: &str,
        sealed: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        if !self.is_postgres() {
            self.record_send(&c.phone_key, client, now).await?;
            self.execute(INSERT_CHALLENGE, &challenge_args(c, now)).await?;
            return self.enqueue_sms(sealed, now).await;
        }
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH send AS (INSERT INTO sends (at, phone_key, client) VALUES (?4, ?10, ?12)),
                      text AS (INSERT INTO sms_queue (sealed, queued_at) VALUES (?13, ?4))
                 {INSERT_CHALLENGE}"
            )
        });
        let mut all = challenge_args(c, now).to_vec();
        all.extend([Arg::from(client), Arg::from(sealed)]);
        self.execute(&SQL, &all).await?;
        Ok(())
    }

    pub async fn challenge(&mut self, id: &str) -> Result<Option<Challenge>, StoreError> {
        self.challenge_where(
            "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale
             FROM challenges WHERE id = ?1",
            id,
        )
        .await
    }

    /// A challenge, locked until the transaction ends: on PostgreSQL a second replica's resend
    /// of the same challenge waits here until this one has counted its send (and a verify, in
    /// `shiftkey_verify`, until it has counted its attempt).
    pub async fn challenge_for_update(&mut self, id: &str) -> Result<Option<Challenge>, StoreError> {
        self.challenge_where(
            "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale
             FROM challenges WHERE id = ?1 FOR UPDATE",
            id,
        )
        .await
    }

    async fn challenge_where(&mut self, sql: &str, id: &str) -> Result<Option<Challenge>, StoreError> {
        Ok(self.query_opt::<ChallengeRow>(sql, args![id]).await?.map(challenge_of))
    }

    /// Replaces a challenge's code (a resend): the old code dies, attempts stay.
    pub async fn replace_code(
        &mut self,
        id: &str,
        code_mac: &[u8],
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE challenges SET code_mac = ?2, expires_at = ?3, sends = sends + 1, last_sent_at = ?4 WHERE id = ?1",
            args![id, code_mac, expires_at, now],
        )
        .await?;
        Ok(())
    }

    /// Counts one wrong attempt and returns the new total.
    pub async fn count_attempt(&mut self, id: &str) -> Result<u32, StoreError> {
        let (attempts,): (i64,) = self
            .query_one("UPDATE challenges SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts", args![id])
            .await?;
        Ok(u32::try_from(attempts).unwrap_or(u32::MAX))
    }

    /// Records a wrong code against a user (the hourly cap across challenges).
    pub async fn record_failure(&mut self, user_rowid: i64, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO failures (user_id, at) VALUES (?1, ?2)", args![user_rowid, now]).await?;
        Ok(())
    }

    /// Wrong codes by a user since `since`.
    pub async fn failures_since(&mut self, user_rowid: i64, since: i64) -> Result<WindowCount, StoreError> {
        let (count, oldest_at): (i64, Option<i64>) = self
            .query_one(
                "SELECT COUNT(*), MIN(at) FROM failures WHERE user_id = ?1 AND at > ?2",
                args![user_rowid, since],
            )
            .await?;
        Ok(WindowCount::new(count, oldest_at))
    }

    /// Takes the turn to count and record code sends (PostgreSQL: replicas starting sign-ins at
    /// once take turns, so no two both see room for the last send; held until the transaction
    /// ends).
    pub async fn lock_send_caps(&mut self) -> Result<(), StoreError> {
        self.lock(Lock::SendCaps).await
    }

    /// Records a code send (real or, for unknown numbers, pretended: caps must not tell them apart).
    pub async fn record_send(&mut self, phone_key: &[u8], client: &str, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO sends (at, phone_key, client) VALUES (?1, ?2, ?3)", args![now, phone_key, client])
            .await?;
        Ok(())
    }

    /// Sends since `since`: to this number, from this client, and in all (one pass over the
    /// window: the server-wide count reads all of it anyway).
    pub async fn sends_since(
        &mut self,
        phone_key: &[u8],
        client: &str,
        since: i64,
    ) -> Result<[WindowCount; 3], StoreError> {
        type Counts = (i64, Option<i64>, i64, Option<i64>, i64, Option<i64>);
        let (phone, phone_oldest, from_client, client_oldest, all, oldest): Counts = self
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE phone_key = ?2), MIN(at) FILTER (WHERE phone_key = ?2),
                        COUNT(*) FILTER (WHERE client = ?3), MIN(at) FILTER (WHERE client = ?3),
                        COUNT(*), MIN(at)
                 FROM sends WHERE at > ?1",
                args![since, phone_key, client],
            )
            .await?;
        Ok([
            WindowCount::new(phone, phone_oldest),
            WindowCount::new(from_client, client_oldest),
            WindowCount::new(all, oldest),
        ])
    }

    /// Forgets what no cap or challenge needs any more: events and expired challenges older
    /// than `before`, and used challenges (a used code is refused just as a missing one).
    pub async fn prune(&mut self, before: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM sends WHERE at < ?1", args![before]).await?;
        self.execute("DELETE FROM failures WHERE at < ?1", args![before]).await?;
        self.execute("DELETE FROM challenges WHERE expires_at < ?1 OR used = ?2", args![before, true]).await?;
        Ok(())
    }
}
