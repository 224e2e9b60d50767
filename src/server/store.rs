//! The reference backend's SQLite store: directory (policy, users, phones), challenges, tokens.
//!
//! Every function here is synchronous and short; callers hold the one connection's lock.
//! No code and no token is ever written here in the clear: only MACs and hashes.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no user named {0:?}; `shiftkey admin --db DB user list` shows who exists")]
    NoSuchUser(String),
    #[error("a user named {0:?} already exists; pick another username")]
    UserExists(String),
    #[error(
        "that number is already assigned to another user; remove it there first (numbers are unique in the directory)"
    )]
    PhoneTaken,
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
}

/// The SMS authentication method policy (one row).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    pub use_for_sign_in: bool,
    pub target_all: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    #[serde(skip)]
    pub rowid: i64,
    pub username: String,
    pub display_name: String,
    pub enabled: bool,
    pub roles: Vec<String>,
}

/// A sign-in challenge as stored.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub user_rowid: Option<i64>,
    pub code_mac: Vec<u8>,
    pub expires_at: i64,
    pub attempts: u32,
    pub sends: u32,
    pub last_sent_at: i64,
    pub used: bool,
}

pub const PHONE_KIND_MOBILE: &str = "mobile";

const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE policy (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        enabled INTEGER NOT NULL,
        use_for_sign_in INTEGER NOT NULL,
        target_all INTEGER NOT NULL
    );
    INSERT INTO policy VALUES (1, 0, 0, 1);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        roles TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE phones (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        e164 TEXT NOT NULL UNIQUE,
        PRIMARY KEY (user_id, kind)
    );
    CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users(id),
        code_mac BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        sends INTEGER NOT NULL DEFAULT 1,
        last_sent_at INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE tokens (
        hash BLOB PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE INDEX tokens_by_user ON tokens(user_id);
"#];

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::init(conn)
    }

    /// A database that lives only in memory (the demo backend).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!("BEGIN; {migration}; PRAGMA user_version = {}; COMMIT;", index + 1))?;
        }
        Ok(Store { conn })
    }

    pub fn policy(&self) -> Result<Policy, StoreError> {
        Ok(self.conn.query_row("SELECT enabled, use_for_sign_in, target_all FROM policy WHERE id = 1", [], |r| {
            Ok(Policy { enabled: r.get(0)?, use_for_sign_in: r.get(1)?, target_all: r.get(2)? })
        })?)
    }

    pub fn set_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE policy SET enabled = ?1, use_for_sign_in = ?2, target_all = ?3 WHERE id = 1",
            params![policy.enabled, policy.use_for_sign_in, policy.target_all],
        )?;
        Ok(())
    }

    pub fn add_user(&self, username: &str, display_name: &str, roles: &[String]) -> Result<User, StoreError> {
        let roles_json = serde_json::to_string(roles).expect("a list of strings serializes");
        let inserted = self.conn.execute(
            "INSERT INTO users (username, display_name, roles) VALUES (?1, ?2, ?3)
             ON CONFLICT(username) DO NOTHING",
            params![username, display_name, roles_json],
        )?;
        if inserted == 0 {
            return Err(StoreError::UserExists(username.into()));
        }
        self.user(username)
    }

    fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
        let roles: String = r.get(4)?;
        Ok(User {
            rowid: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            enabled: r.get(3)?,
            roles: serde_json::from_str(&roles).unwrap_or_default(),
        })
    }

    pub fn user(&self, username: &str) -> Result<User, StoreError> {
        self.conn
            .query_row(
                "SELECT id, username, display_name, enabled, roles FROM users WHERE username = ?1",
                [username],
                Self::user_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchUser(username.into()))
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT id, username, display_name, enabled, roles FROM users ORDER BY username")?;
        let rows = stmt.query_map([], Self::user_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn user_by_rowid(&self, rowid: i64) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, username, display_name, enabled, roles FROM users WHERE id = ?1",
                [rowid],
                Self::user_from_row,
            )
            .optional()?)
    }

    /// Assigns a number of the given kind to a user, replacing their previous one of that kind.
    pub fn set_phone(&self, username: &str, kind: &str, e164: &str) -> Result<(), StoreError> {
        let user = self.user(username)?;
        let owner: Option<i64> =
            self.conn.query_row("SELECT user_id FROM phones WHERE e164 = ?1", [e164], |r| r.get(0)).optional()?;
        if owner.is_some_and(|owner| owner != user.rowid) {
            return Err(StoreError::PhoneTaken);
        }
        self.conn.execute(
            "INSERT INTO phones (user_id, kind, e164) VALUES (?1, ?2, ?3)
             ON CONFLICT(user_id, kind) DO UPDATE SET e164 = excluded.e164",
            params![user.rowid, kind, e164],
        )?;
        Ok(())
    }

    /// The user's numbers as (kind, E.164).
    pub fn phones(&self, username: &str) -> Result<Vec<(String, String)>, StoreError> {
        let user = self.user(username)?;
        let mut stmt = self.conn.prepare("SELECT kind, e164 FROM phones WHERE user_id = ?1 ORDER BY kind")?;
        let rows = stmt.query_map([user.rowid], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The user who may sign in by SMS with this number, if any: the number is their Mobile
    /// phone, they are enabled, and the policy allows SMS sign-in for them.
    pub fn sms_sign_in_user(&self, e164: &str) -> Result<Option<User>, StoreError> {
        let policy = self.policy()?;
        if !(policy.enabled && policy.use_for_sign_in && policy.target_all) {
            return Ok(None);
        }
        let rowid: Option<i64> = self
            .conn
            .query_row(
                "SELECT user_id FROM phones WHERE e164 = ?1 AND kind = ?2",
                params![e164, PHONE_KIND_MOBILE],
                |r| r.get(0),
            )
            .optional()?;
        let Some(rowid) = rowid else { return Ok(None) };
        Ok(self.user_by_rowid(rowid)?.filter(|u| u.enabled))
    }

    /// The Mobile number of a user, by row id.
    pub fn mobile_of(&self, user_rowid: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT e164 FROM phones WHERE user_id = ?1 AND kind = ?2",
                params![user_rowid, PHONE_KIND_MOBILE],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn insert_challenge(&self, c: &Challenge, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO challenges (id, user_id, code_mac, created_at, expires_at, attempts, sends, last_sent_at, used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![c.id, c.user_rowid, c.code_mac, now, c.expires_at, c.attempts, c.sends, c.last_sent_at, c.used],
        )?;
        Ok(())
    }

    pub fn challenge(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, user_id, code_mac, expires_at, attempts, sends, last_sent_at, used
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
                    })
                },
            )
            .optional()?)
    }

    /// Replaces a challenge's code (a resend): the old code dies, attempts stay.
    pub fn replace_code(&self, id: &str, code_mac: &[u8], expires_at: i64, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE challenges SET code_mac = ?2, expires_at = ?3, sends = sends + 1, last_sent_at = ?4 WHERE id = ?1",
            params![id, code_mac, expires_at, now],
        )?;
        Ok(())
    }

    /// Counts one wrong attempt and returns the new total.
    pub fn count_attempt(&self, id: &str) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "UPDATE challenges SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts",
            [id],
            |r| r.get(0),
        )?)
    }

    /// Marks a challenge used and stores a new token for its user, in one transaction.
    pub fn complete_sign_in(
        &mut self,
        challenge_id: &str,
        user_rowid: i64,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<Option<User>, StoreError> {
        let tx = self.conn.transaction()?;
        let marked = tx.execute("UPDATE challenges SET used = 1 WHERE id = ?1 AND used = 0", [challenge_id])?;
        if marked == 0 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user_rowid, now, expires_at],
        )?;
        tx.commit()?;
        self.user_by_rowid(user_rowid)
    }

    /// The user a live token belongs to.
    pub fn token_user(&self, token_hash: &[u8], now: i64) -> Result<Option<User>, StoreError> {
        let rowid: Option<i64> = self
            .conn
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
        self.conn.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            params![token_hash, now],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_belongs_to_one_user() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        store.add_user("b", "B", &[]).unwrap();
        store.set_phone("a", PHONE_KIND_MOBILE, "+12065550100").unwrap();
        assert!(matches!(store.set_phone("b", PHONE_KIND_MOBILE, "+12065550100"), Err(StoreError::PhoneTaken)));
        store.set_phone("a", PHONE_KIND_MOBILE, "+12065550100").unwrap();
    }

    #[test]
    fn sign_in_needs_policy_and_enabled_user() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        store.set_phone("a", PHONE_KIND_MOBILE, "+12065550100").unwrap();
        assert!(store.sms_sign_in_user("+12065550100").unwrap().is_none(), "policy starts disabled");
        store.set_policy(&Policy { enabled: true, use_for_sign_in: true, target_all: true }).unwrap();
        assert_eq!(store.sms_sign_in_user("+12065550100").unwrap().unwrap().username, "a");
        assert!(store.sms_sign_in_user("+12065550199").unwrap().is_none());
    }

    #[test]
    fn duplicate_username_is_refused() {
        let store = Store::in_memory().unwrap();
        store.add_user("a", "A", &[]).unwrap();
        assert!(matches!(store.add_user("a", "A2", &[]), Err(StoreError::UserExists(_))));
    }
}
