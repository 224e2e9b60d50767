//! Challenges (codes as MACs, attempts, sends) and the events behind the abuse caps.

use rusqlite::{OptionalExtension, params};

use super::{Challenge, Store, StoreError};

/// How many events happened in a window, and when the oldest of them leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub count: u32,
    pub oldest_at: Option<i64>,
}

impl Store {
    pub fn insert_challenge(&self, c: &Challenge, now: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO challenges
                 (id, user_id, code_mac, created_at, expires_at, attempts, sends, last_sent_at, used, phone_key, locale)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                c.id,
                c.user_rowid,
                c.code_mac,
                now,
                c.expires_at,
                c.attempts,
                c.sends,
                c.last_sent_at,
                c.used,
                c.phone_key,
                c.locale
            ],
        )?;
        Ok(())
    }

    pub fn challenge(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        Ok(self
            .query_row(
                "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used, phone_key, locale
                 FROM challenges WHERE id = ?1",
                [id],
                |r| {
                    Ok(Challenge {
                        id: r.get(0)?,
                        user_rowid: r.get(1)?,
                        code_mac: r.get(2)?,
                        expires_at: r.get(3)?,
                        attempts: r.get(4)?,
                        sends: r.get(5)?,
                        last_sent_at: r.get(6)?,
                        used: r.get(7)?,
                        phone_key: r.get(8)?,
                        locale: r.get(9)?,
                    })
                },
            )
            .optional()?)
    }

    /// Replaces a challenge's code (a resend): the old code dies, attempts stay.
    pub fn replace_code(&self, id: &str, code_mac: &[u8], expires_at: i64, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE challenges SET code_mac = ?2, expires_at = ?3, sends = sends + 1, last_sent_at = ?4 WHERE id = ?1",
            params![id, code_mac, expires_at, now],
        )?;
        Ok(())
    }

    /// Counts one wrong attempt and returns the new total.
    pub fn count_attempt(&self, id: &str) -> Result<u32, StoreError> {
        Ok(self.query_row(
            "UPDATE challenges SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Records a wrong code against a user (the hourly cap across challenges).
    pub fn record_failure(&self, user_rowid: i64, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO failures (user_id, at) VALUES (?1, ?2)", params![user_rowid, now])?;
        Ok(())
    }

    /// Wrong codes by a user since `since`.
    pub fn failures_since(&self, user_rowid: i64, since: i64) -> Result<WindowCount, StoreError> {
        Ok(self.query_row(
            "SELECT COUNT(*), MIN(at) FROM failures WHERE user_id = ?1 AND at > ?2",
            params![user_rowid, since],
            |r| Ok(WindowCount { count: r.get(0)?, oldest_at: r.get(1)? }),
        )?)
    }

    /// Records a code send (real or, for unknown numbers, pretended: caps must not tell them apart).
    pub fn record_send(&self, phone_key: &[u8], client: &str, now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO sends (at, phone_key, client) VALUES (?1, ?2, ?3)", params![now, phone_key, client])?;
        Ok(())
    }

    /// Sends since `since`: to this number, from this client, and in all.
    pub fn sends_since(&self, phone_key: &[u8], client: &str, since: i64) -> Result<[WindowCount; 3], StoreError> {
        let count = |condition: &str, value: &dyn rusqlite::ToSql| -> Result<WindowCount, StoreError> {
            Ok(self.query_row(
                &format!("SELECT COUNT(*), MIN(at) FROM sends WHERE at > ?1 AND {condition}"),
                params![since, value],
                |r| Ok(WindowCount { count: r.get(0)?, oldest_at: r.get(1)? }),
            )?)
        };
        Ok([count("phone_key = ?2", &phone_key)?, count("client = ?2", &client)?, count("?2 = ?2", &0)?])
    }

    /// Forgets what no cap or challenge needs any more: events and expired challenges older
    /// than `before`, and used challenges (a used code is refused just as a missing one).
    pub fn prune(&self, before: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM sends WHERE at < ?1", [before])?;
        self.execute("DELETE FROM failures WHERE at < ?1", [before])?;
        self.execute("DELETE FROM challenges WHERE expires_at < ?1 OR used = 1", [before])?;
        Ok(())
    }
}
