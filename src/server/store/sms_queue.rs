//! The SMS queue's table: texts in (claimed by the replica that queued them), claimed again by
//! any replica once a claim has run out, deleted once sent. What is stored is sealed by
//! `server::sms_queue`; here it is only bytes.

use std::sync::LazyLock;

use super::sql::{Arg, args, first_then_padded, placeholder_list};
use super::{Db, StoreError};

/// A queued text: its id, its sealed bytes, and until when the replica holding it may send it.
pub struct QueuedSms {
    pub id: i64,
    pub sealed: Vec<u8>,
    pub claimed_until: i64,
}

/// A replica's hold on texts: until `until` no other replica takes them.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub replica: &'a str,
    pub until: i64,
}

/// How many ids one statement that names texts by id takes. Shorter lists are padded with their
/// last id (naming a text twice changes nothing), so the statement has one shape, prepared once.
const IDS_AT_ONCE: usize = 32;

/// `sql`, limited to the texts replica `?1` holds among the ids `?2` … (`IDS_AT_ONCE` of them).
fn held_among_ids(sql: &str) -> String {
    format!("{sql} WHERE claimed_by = ?1 AND id IN ({})", placeholder_list(2, IDS_AT_ONCE))
}

impl Db {
    /// Queues a sealed text, held by `claim` (the replica queueing it sends it, unless it dies
    /// first: then another takes it once the claim has run out). Returns its id. Run it in the
    /// transaction that makes the code it carries: the text is in the queue exactly when the
    /// challenge is.
    pub async fn enqueue_sms(&mut self, sealed: &[u8], now: i64, claim: Claim<'_>) -> Result<i64, StoreError> {
        let (id,) = self
            .query_one(
                "INSERT INTO sms_queue (sealed, queued_at, claimed_by, claimed_until) VALUES (?1, ?2, ?3, ?4)
                 RETURNING id",
                args![sealed, now, claim.replica, claim.until],
            )
            .await?;
        Ok(id)
    }

    /// Claims up to `limit` texts no replica holds (handed back, or whose claim has run out)
    /// for `claim`; oldest first. On PostgreSQL `SKIP LOCKED` lets replicas claim at once
    /// without waiting for each other or taking the same text: a row another claim has locked
    /// is passed over, and the `claimed_until` test is made again on the row as it is after
    /// that claim's commit.
    pub async fn claim_sms(&mut self, claim: Claim<'_>, now: i64, limit: u32) -> Result<Vec<QueuedSms>, StoreError> {
        let rows: Vec<(i64, Vec<u8>)> = self
            .query_all(
                "UPDATE sms_queue SET claimed_by = ?1, claimed_until = ?2
                 WHERE claimed_until <= ?3 AND id IN (
                     SELECT id FROM sms_queue WHERE claimed_until <= ?3 ORDER BY id LIMIT ?4 FOR UPDATE SKIP LOCKED)
                 RETURNING id, sealed",
                args![claim.replica, claim.until, now, limit],
            )
            .await?;
        let mut claimed: Vec<QueuedSms> =
            rows.into_iter().map(|(id, sealed)| QueuedSms { id, sealed, claimed_until: claim.until }).collect();
        claimed.sort_by_key(|text| text.id);
        Ok(claimed)
    }

    /// Forgets texts `replica` holds (sent, or given up on). A text whose claim ran out and
    /// was taken over is another replica's now, and stays.
    pub async fn forget_sms(&mut self, replica: &str, ids: &[i64]) -> Result<(), StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| held_among_ids("DELETE FROM sms_queue"));
        self.execute_on_ids(&SQL, replica, ids).await
    }

    /// Hands back texts `replica` holds and hasn't tried, for any replica to take at once.
    pub async fn release_sms(&mut self, replica: &str, ids: &[i64]) -> Result<(), StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| held_among_ids("UPDATE sms_queue SET claimed_until = 0"));
        self.execute_on_ids(&SQL, replica, ids).await
    }

    async fn execute_on_ids(&mut self, sql: &str, replica: &str, ids: &[i64]) -> Result<(), StoreError> {
        for chunk in ids.chunks(IDS_AT_ONCE) {
            let args = first_then_padded(Arg::from(replica), chunk.iter().map(|&id| Arg::from(id)), IDS_AT_ONCE)?;
            self.execute(sql, &args).await?;
        }
        Ok(())
    }

    /// When the first claim on a queued text runs out (`None`: the queue is empty).
    pub async fn first_claim_end(&mut self) -> Result<Option<i64>, StoreError> {
        let (end,): (Option<i64>,) = self.query_one("SELECT MIN(claimed_until) FROM sms_queue", &[]).await?;
        Ok(end)
    }
}
