//! The SMS queue's table: texts in, claimed by a replica for a while, deleted once sent. What
//! is stored is sealed by `server::sms_queue`; here it is only bytes.

use super::sql::args;
use super::{Db, StoreError};

/// A queued text: its id and its sealed bytes.
pub type QueuedSms = (i64, Vec<u8>);

impl Db {
    /// Queues a sealed text. Run it in the transaction that makes the code it carries: the text
    /// is in the queue exactly when the challenge is.
    pub async fn enqueue_sms(&mut self, sealed: &[u8], now: i64) -> Result<(), StoreError> {
        self.execute("INSERT INTO sms_queue (sealed, queued_at) VALUES (?1, ?2)", args![sealed, now]).await?;
        Ok(())
    }

    /// Claims up to `limit` texts no replica holds (never claimed, or whose claim has run out)
    /// for `replica` until `until`; oldest first. On PostgreSQL `SKIP LOCKED` lets replicas
    /// claim at once without waiting for each other or taking the same text: a row another
    /// claim has locked is passed over, and the `claimed_until` test is made again on the row
    /// as it is after that claim's commit.
    pub async fn claim_sms(
        &mut self,
        replica: &str,
        now: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<QueuedSms>, StoreError> {
        let mut claimed: Vec<QueuedSms> = self
            .query_all(
                "UPDATE sms_queue SET claimed_by = ?1, claimed_until = ?2
                 WHERE claimed_until <= ?3 AND id IN (
                     SELECT id FROM sms_queue WHERE claimed_until <= ?3 ORDER BY id LIMIT ?4 FOR UPDATE SKIP LOCKED)
                 RETURNING id, sealed",
                args![replica, until, now, limit],
            )
            .await?;
        claimed.sort_by_key(|(id, _)| *id);
        Ok(claimed)
    }

    /// Forgets the texts of one claim (sent, or given up on), in one statement: those handed
    /// back no longer carry it, and a claim that ran out and was taken over carries another.
    pub async fn finish_claim(&mut self, replica: &str, until: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM sms_queue WHERE claimed_by = ?1 AND claimed_until = ?2", args![replica, until])
            .await?;
        Ok(())
    }

    /// When the first claim on a queued text runs out (`None`: the queue is empty).
    pub async fn first_claim_end(&mut self) -> Result<Option<i64>, StoreError> {
        let (end,): (Option<i64>,) = self.query_one("SELECT MIN(claimed_until) FROM sms_queue", &[]).await?;
        Ok(end)
    }

    /// Hands back a claimed text not tried yet, for any replica to take at once.
    pub async fn release_sms(&mut self, id: i64, replica: &str) -> Result<(), StoreError> {
        self.execute("UPDATE sms_queue SET claimed_until = 0 WHERE id = ?1 AND claimed_by = ?2", args![id, replica])
            .await?;
        Ok(())
    }
}
