//! Access tokens: stored as SHA-256 only, revoked one by one or all of a user's at once.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, User};

impl Store {
    pub fn complete_sign_in(
        &mut self,
        challenge_id: &str,
        user_rowid: i64,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<Option<User>, StoreError> {
        let tx = self.conn.transaction()?;
        let marked =
            tx.prepare_cached("UPDATE challenges SET used = 1 WHERE id = ?1 AND used = 0")?.execute([challenge_id])?;
        if marked == 0 {
            return Ok(None);
        }
        tx.prepare_cached("INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![token_hash, user_rowid, now, expires_at])?;
        tx.commit()?;
        self.user_by_rowid(user_rowid)
    }

    /// The user a live token belongs to.
    pub fn token_user(&self, token_hash: &[u8], now: i64) -> Result<Option<User>, StoreError> {
        let rowid: Option<i64> = self
            .query_row(
                "SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_at IS NULL AND expires_at > ?2",
                params![token_hash, now],
                |r| r.get(0),
            )
            .optional()?;
        let Some(rowid) = rowid else { return Ok(None) };
        Ok(self.user_by_rowid(rowid)?.filter(|u| u.enabled))
    }

    pub fn revoke_token(&self, token_hash: &[u8], now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            params![token_hash, now],
        )?;
        Ok(())
    }

    /// Forgets tokens revoked, or expired at `now`: they are refused just as unknown ones.
    pub fn prune_tokens(&self, now: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM tokens WHERE revoked_at IS NOT NULL OR expires_at <= ?1", [now])?;
        Ok(())
    }

    /// Ends every token of a user (admin "revoke sessions", disabling the user).
    pub fn revoke_user_tokens(&self, user_rowid: i64, now: i64) -> Result<usize, StoreError> {
        Ok(self.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
            params![user_rowid, now],
        )?)
    }
}
