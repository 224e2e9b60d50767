//! The reference backend's SQLite store: the schema and its migrations. The queries live by
//! subject: `directory` (policy, groups, users, phones), `challenges` (codes, attempts, rate
//! events) and `tokens`.
//!
//! Every function here is synchronous and short; callers hold the one connection's lock.
//! No code and no token is ever written here in the clear: only MACs and hashes.

mod challenges;
mod checkpoint;
mod directory;
mod scim;
mod tokens;

pub use directory::{MAX_GROUP_NAME_CHARS, NotEnabled, PhoneKind, SignInCheck, UnknownPhoneKind, valid_group_name};
pub use scim::{GroupRecord, NewPhone, ScimGroupRow, ScimPhone, ScimUserRow, UserRecord, UserTerm};

use std::path::Path;

use rusqlite::{Connection, Params, Row};
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
    #[error("no group named {0:?}; `shiftkey admin --db DB group list` shows the groups")]
    NoSuchGroup(String),
    #[error("a group named {0:?} already exists")]
    GroupExists(String),
    #[error("a SCIM token named {0:?} already exists; pick another --name, or revoke it first")]
    TokenExists(String),
    #[error("no SCIM token named {0:?}; `shiftkey admin --db DB scim token list` shows them")]
    NoSuchToken(String),
    #[error("no user with id {0:?}")]
    NoSuchMember(String),
    #[error("{username:?} has no {kind} phone to remove")]
    NoSuchPhone { username: String, kind: PhoneKind },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("can't start the WAL checkpoint thread: {0}")]
    Checkpointer(#[source] std::io::Error),
}

/// The SMS authentication method policy (one row).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    pub use_for_sign_in: bool,
    pub target_all: bool,
    /// The targeted groups when `target_all` is false.
    pub target_groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    #[serde(skip)]
    pub rowid: i64,
    pub username: String,
    pub display_name: String,
    pub enabled: bool,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
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
    /// The keyed hash of the number the challenge was started for (for the per-number cap).
    pub phone_key: Vec<u8>,
    /// The language its texts are sent in (the start request's `locale`): resends keep it.
    pub locale: Option<String>,
}

const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE user_groups (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, group_id)
    );
    CREATE TABLE policy_groups (
        group_id INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE
    );
    -- Wrong codes per user, across challenges (the hourly cap).
    CREATE TABLE failures (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        at INTEGER NOT NULL
    );
    CREATE INDEX failures_by_user ON failures(user_id, at);
    -- Code sends, for the caps per number, per client address and per server-hour. The number
    -- is kept as a keyed hash: the caps need equality, not the number.
    CREATE TABLE sends (
        at INTEGER NOT NULL,
        phone_key BLOB NOT NULL,
        client TEXT NOT NULL
    );
    CREATE INDEX sends_by_at ON sends(at);
    CREATE INDEX sends_by_phone ON sends(phone_key, at);
    CREATE INDEX sends_by_client ON sends(client, at);
    ALTER TABLE challenges ADD COLUMN phone_key BLOB NOT NULL DEFAULT x'';
"#,
    // SCIM provisioning: stable random ids, what the IdP sent that the directory keeps as is,
    // and the tokens a provisioning service presents (hashed).
    r#"
    ALTER TABLE users ADD COLUMN scim_id TEXT;
    ALTER TABLE users ADD COLUMN external_id TEXT;
    ALTER TABLE users ADD COLUMN work_email TEXT;
    ALTER TABLE users ADD COLUMN scim_doc TEXT;
    ALTER TABLE users ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET scim_id = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX users_by_scim_id ON users(scim_id);
    CREATE INDEX users_by_username_nocase ON users(username COLLATE NOCASE);
    CREATE INDEX users_by_external_id ON users(external_id);
    CREATE INDEX users_by_work_email ON users(work_email COLLATE NOCASE);
    ALTER TABLE groups ADD COLUMN scim_id TEXT;
    ALTER TABLE groups ADD COLUMN external_id TEXT;
    ALTER TABLE groups ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE groups ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    UPDATE groups SET scim_id = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX groups_by_scim_id ON groups(scim_id);
    CREATE INDEX groups_by_name_nocase ON groups(name COLLATE NOCASE);
    CREATE INDEX user_groups_by_group ON user_groups(group_id);
    ALTER TABLE phones ADD COLUMN scim_type TEXT;
    ALTER TABLE phones ADD COLUMN as_sent TEXT;
    ALTER TABLE phones ADD COLUMN is_primary INTEGER;
    ALTER TABLE phones ADD COLUMN display TEXT;
    CREATE TABLE scim_tokens (
        name TEXT PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );
"#,
    r#"
    -- The language a challenge's texts are sent in; resends keep it.
    ALTER TABLE challenges ADD COLUMN locale TEXT;
"#,
];

pub struct Store {
    conn: Connection,
}

/// The wall clock in milliseconds, for the created and modified times the directory keeps.
fn now_ms() -> i64 {
    use crate::server::clock::{Clock, SystemClock};
    SystemClock.now_ms()
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // In WAL mode NORMAL syncs at checkpoints, not every commit: a crash loses no integrity,
        // at worst the last sign-ins before a power cut.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    /// A database that lives only in memory (the demo backend).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!("BEGIN; {migration}; PRAGMA user_version = {}; COMMIT;", index + 1))?;
        }
        Ok(Store { conn })
    }

    /// Runs `work` as one transaction: one commit, so one WAL write, instead of one per
    /// statement. An error rolls it all back.
    pub fn atomically<T, E: From<StoreError>>(&self, work: impl FnOnce(&Store) -> Result<T, E>) -> Result<T, E> {
        let transaction = self.conn.unchecked_transaction().map_err(StoreError::from)?;
        let result = work(self)?;
        transaction.commit().map_err(StoreError::from)?;
        Ok(result)
    }

    // Every statement goes through the prepared-statement cache: parsing the same SQL again on
    // each request was a sixth of the server's time under load (BENCHMARKS.md, measure 8).
    fn execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(params)
    }

    fn query_row<T, P, F>(&self, sql: &str, params: P, row: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.conn.prepare_cached(sql)?.query_row(params, row)
    }
}
