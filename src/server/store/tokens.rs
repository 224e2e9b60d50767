//! Access tokens: stored as SHA-256 only, revoked one by one or all of a user's at once.

use super::sql::args;
use super::{Db, StoreError, User};

impl Db {
    /// Marks the challenge used and stores the new token's hash; `None` when the challenge was
    /// used already: the `used = FALSE` condition makes single use hold whatever ran before.
    /// SQLite's verify step, in its transaction (PostgreSQL does the same in `shiftkey_verify`).
    pub(super) async fn complete_sign_in(
        &mut self,
        challenge_id: &str,
        user_rowid: i64,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<Option<User>, StoreError> {
        let marked = self
            .execute("UPDATE challenges SET used = TRUE WHERE id = ?1 AND used = FALSE", args![challenge_id])
            .await?;
        if marked == 0 {
            return Ok(None);
        }
        self.insert_token(user_rowid, token_hash, now, expires_at).await
    }

    /// Stores a new token's hash for a user; the user it is for, `None` if they are gone.
    pub async fn insert_token(
        &mut self,
        user_rowid: i64,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<Option<User>, StoreError> {
        self.execute(
            "INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            args![token_hash, user_rowid, now, expires_at],
        )
        .await?;
        self.user_by_rowid(user_rowid).await
    }

    /// The enabled user a live token belongs to.
    pub async fn token_user(&mut self, token_hash: &[u8], now: i64) -> Result<Option<User>, StoreError> {
        self.user_where(
            "id = (SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_at IS NULL AND expires_at > ?2)
               AND enabled = TRUE",
            args![token_hash, now],
        )
        .await
    }

    pub async fn revoke_token(&mut self, token_hash: &[u8], now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            args![token_hash, now],
        )
        .await?;
        Ok(())
    }

    /// Forgets tokens revoked, or expired at `now`: they are refused just as unknown ones.
    pub async fn prune_tokens(&mut self, now: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM tokens WHERE revoked_at IS NOT NULL OR expires_at <= ?1", args![now]).await?;
        Ok(())
    }

    /// Ends every token of a user (admin "revoke sessions", disabling the user).
    pub async fn revoke_user_tokens(&mut self, user_rowid: i64, now: i64) -> Result<usize, StoreError> {
        Ok(self
            .execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
                args![user_rowid, now],
            )
            .await? as usize)
    }
}
