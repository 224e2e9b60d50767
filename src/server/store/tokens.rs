//! Access tokens: stored as SHA-256 only, revoked one by one or all of a user's at once.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::directory::{USER_COLUMNS, UserWithGroupsRow, user_with_groups};
use super::sql::{Arg, args, first_then_padded, placeholder_list};
use super::{Db, StoreError, User};

/// How many tokens one statement that names tokens by hash takes (`server::batch` gathers no
/// more). Shorter lists are padded with their last hash (naming a token twice changes
/// nothing), so the statement has one shape, prepared once.
pub const TOKENS_AT_ONCE: usize = 32;

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

    /// [`Db::token_user`] for up to `TOKENS_AT_ONCE` tokens in one statement: each hash's user,
    /// in the order given.
    pub async fn token_users(&mut self, hashes: &[Vec<u8>], now: i64) -> Result<Vec<Option<User>>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT tokens.hash, {USER_COLUMNS} FROM tokens JOIN users ON users.id = tokens.user_id
                 WHERE tokens.hash IN ({}) AND tokens.revoked_at IS NULL AND tokens.expires_at > ?1
                   AND users.enabled = TRUE",
                placeholder_list(2, TOKENS_AT_ONCE)
            )
        });
        let args = first_then_padded(Arg::from(now), hashes.iter().map(Arg::from), TOKENS_AT_ONCE)?;
        type Row = (Vec<u8>, i64, String, String, bool, String, Option<String>);
        let rows: Vec<Row> = self.query_all(&SQL, &args).await?;
        let users: HashMap<Vec<u8>, User> = rows
            .into_iter()
            .map(|(hash, id, username, display_name, enabled, roles, groups)| {
                let row: UserWithGroupsRow = (id, username, display_name, enabled, roles, groups);
                (hash, user_with_groups(row))
            })
            .collect();
        // A hash named twice gets its user twice.
        Ok(hashes.iter().map(|hash| users.get(hash).cloned()).collect())
    }

    /// [`Db::revoke_token`] for up to `TOKENS_AT_ONCE` tokens in one statement.
    pub async fn revoke_tokens(&mut self, hashes: &[Vec<u8>], now: i64) -> Result<(), StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE tokens SET revoked_at = ?1 WHERE hash IN ({}) AND revoked_at IS NULL",
                placeholder_list(2, TOKENS_AT_ONCE)
            )
        });
        let args = first_then_padded(Arg::from(now), hashes.iter().map(Arg::from), TOKENS_AT_ONCE)?;
        self.execute(&SQL, &args).await?;
        Ok(())
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
