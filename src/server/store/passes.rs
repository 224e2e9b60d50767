//! Temporary access passes (stored as keyed hashes, at most one per user) and the wrong
//! passes behind their caps.

use super::challenges::WindowCount;
use super::sql::{Lock, args};
use super::{Db, StoreError};

/// A pass to store (its keyed hash, never the pass).
pub struct NewPass<'a> {
    pub user_rowid: i64,
    pub mac: &'a [u8],
    pub created_at: i64,
    pub expires_at: i64,
    pub one_time: bool,
    pub issued_by: &'a str,
}

/// A user's pass as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPass {
    pub mac: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
    pub one_time: bool,
    pub uses: u32,
    pub issued_by: String,
}

impl StoredPass {
    /// Whether the pass still lets its user in at `now`: not expired, and not a used one-time pass.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at && !(self.one_time && self.uses > 0)
    }
}

type PassRow = (Vec<u8>, i64, i64, bool, i64, String);

impl Db {
    /// Stores a user's pass, replacing the one they had (a user has at most one).
    pub async fn put_pass(&mut self, pass: &NewPass<'_>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO passes (user_id, pass_mac, created_at, expires_at, one_time, uses, issued_by)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)
             ON CONFLICT(user_id) DO UPDATE SET pass_mac = excluded.pass_mac, created_at = excluded.created_at,
                 expires_at = excluded.expires_at, one_time = excluded.one_time, uses = 0,
                 issued_by = excluded.issued_by",
            args![pass.user_rowid, pass.mac, pass.created_at, pass.expires_at, pass.one_time, pass.issued_by],
        )
        .await?;
        Ok(())
    }

    /// A user's pass, live or not (`-1`, no one's, runs the same statement).
    pub async fn pass_of(&mut self, user_rowid: i64) -> Result<Option<StoredPass>, StoreError> {
        let row: Option<PassRow> = self
            .query_opt(
                "SELECT pass_mac, created_at, expires_at, one_time, uses, issued_by FROM passes WHERE user_id = ?1",
                args![user_rowid],
            )
            .await?;
        Ok(row.map(|(mac, created_at, expires_at, one_time, uses, issued_by)| StoredPass {
            mac,
            created_at,
            expires_at,
            one_time,
            uses: u32::try_from(uses).unwrap_or(u32::MAX),
            issued_by,
        }))
    }

    /// Counts one use of the pass whose hash is `mac`, if it is still live at `now`; false when
    /// it isn't any more (a one-time pass used meanwhile, on another replica: the condition and
    /// the row it updates make single use hold whatever runs beside it).
    pub async fn use_pass(&mut self, user_rowid: i64, mac: &[u8], now: i64) -> Result<bool, StoreError> {
        let updated = self
            .execute(
                "UPDATE passes SET uses = uses + 1
                 WHERE user_id = ?1 AND pass_mac = ?2 AND expires_at > ?3 AND (one_time = FALSE OR uses = 0)",
                args![user_rowid, mac, now],
            )
            .await?;
        Ok(updated == 1)
    }

    /// Removes a user's pass; whether they had one.
    pub async fn delete_pass(&mut self, user_rowid: i64) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM passes WHERE user_id = ?1", args![user_rowid]).await? > 0)
    }

    /// Takes the turn to count and record wrong passes (PostgreSQL: replicas take turns, so no
    /// two both see room for the last try; held until the transaction ends).
    pub async fn lock_pass_caps(&mut self) -> Result<(), StoreError> {
        self.lock(Lock::PassCaps).await
    }

    /// Records a wrong pass typed for a number (known or not: the caps can't tell them apart).
    pub async fn record_pass_failure(&mut self, phone_key: &[u8], client: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO pass_failures (at, phone_key, client) VALUES (?1, ?2, ?3)",
            args![now, phone_key, client],
        )
        .await?;
        Ok(())
    }

    /// Wrong passes since `since`: for this number, and from this client.
    pub async fn pass_failures_since(
        &mut self,
        phone_key: &[u8],
        client: &str,
        since: i64,
    ) -> Result<[WindowCount; 2], StoreError> {
        let (phone, phone_oldest, from_client, client_oldest): (i64, Option<i64>, i64, Option<i64>) = self
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE phone_key = ?2), MIN(at) FILTER (WHERE phone_key = ?2),
                        COUNT(*) FILTER (WHERE client = ?3), MIN(at) FILTER (WHERE client = ?3)
                 FROM pass_failures WHERE at > ?1 AND (phone_key = ?2 OR client = ?3)",
                args![since, phone_key, client],
            )
            .await?;
        Ok([WindowCount::new(phone, phone_oldest), WindowCount::new(from_client, client_oldest)])
    }

    /// Forgets wrong passes older than `before`, and passes expired before it.
    pub async fn prune_passes(&mut self, before: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM pass_failures WHERE at < ?1", args![before]).await?;
        self.execute("DELETE FROM passes WHERE expires_at < ?1", args![before]).await?;
        Ok(())
    }
}
