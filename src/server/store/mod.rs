//! The reference backend's store: SQLite (the default) or PostgreSQL (several replicas). The
//! queries are written once, against [`Db`] (`sql.rs`: the one place the engines differ), and
//! live by subject: `directory` (policy, groups, users, phones), `challenges` (codes, attempts,
//! rate events), `tokens`, `passes` (temporary access passes), `scim` and `sms_queue`; `migrations` is the schema, one list for
//! both engines.
//!
//! A caller takes a [`Db`] — a connection, or a transaction that rolls back unless committed —
//! runs the queries it needs on it, and lets it go: no request holds one across anything slow.
//! No code and no token is ever written here in the clear: only MACs and hashes.

mod challenges;
mod checkpoint;
mod directory;
mod migrations;
mod passes;
mod scim;
mod sms_queue;
pub(crate) mod sql;
mod tokens;
mod verify;

pub use challenges::{Opened, Opening};
pub use directory::{MAX_GROUP_NAME_CHARS, NotEnabled, PhoneKind, SignInCheck, UnknownPhoneKind, valid_group_name};
pub use passes::{NewPass, StoredPass};
pub use scim::{GroupRecord, NewPhone, ScimGroupRow, ScimPhone, ScimUserRow, UserRecord, UserTerm};
pub use sms_queue::{Claim, QueuedSms};
pub use sql::Db;
pub use tokens::TOKENS_AT_ONCE;
pub use verify::{ATTEMPTS_AT_ONCE, CodeAttempt, QueuedAttempt, Verdict};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::config::Database;
use sql::Engine;

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
    #[error("database error: {0}")]
    Postgres(#[source] sqlx::Error),
    /// The database can't be reached now (restarting, unreachable, out of connections, or a
    /// transaction it asked to retry): the request may be tried again shortly.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("{0}")]
    BadUrl(#[source] sqlx::Error),
    #[error("a query that always returns a row returned none")]
    NoRow,
    #[error("the database's shiftkey_verify answered {0:?}, which this serve doesn't know")]
    UnknownVerdict(String),
    #[error("can't start the WAL checkpoint thread: {0}")]
    Checkpointer(#[source] std::io::Error),
    /// A statement several requests shared (`server::batch`) failed: each of them gets this.
    #[error("{message}")]
    Shared { message: String, unavailable: bool },
    #[error("the server is shutting down")]
    BatcherGone,
    #[error("{0} tokens or codes in one statement: it takes 1 to 32")]
    TooManyAtOnce(usize),
}

impl StoreError {
    /// Whether the database is away for now (503 and `Retry-After`, not 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Shared { unavailable: true, .. })
    }
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

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if retryable(&err) { StoreError::Unavailable(err) } else { StoreError::Postgres(err) }
    }
}

/// Whether PostgreSQL failed in a way that passes: no connection (restart, network, pool
/// exhausted), the server shutting down or starting, or a transaction it asks to retry.
fn retryable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exception; 57P0x: shutdown, crash recovery, starting up;
            // 53300: too many connections; 40001/40P01: serialization failure, deadlock.
            code.starts_with("08") || code.starts_with("57P") || matches!(&*code, "53300" | "40001" | "40P01")
        }),
        _ => false,
    }
}

/// The connections one `serve` keeps to PostgreSQL at most.
const POSTGRES_CONNECTIONS: u32 = 16;
/// How long a request waits for a PostgreSQL connection before it is answered 503.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// The store: cheap to clone (every clone is the same database).
#[derive(Clone)]
pub struct Store {
    engine: Engine,
}

/// The wall clock in milliseconds, for the created and modified times the directory keeps.
fn now_ms() -> i64 {
    use crate::server::clock::{Clock, SystemClock};
    SystemClock.now_ms()
}

/// A new SCIM id: 128 random bits in lower-case hex.
fn new_scim_id() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Opens the database `db` names and brings its schema up to date: a SQLite file (created
    /// if needed), or a PostgreSQL database (`password` if given, else libpq's PGPASSWORD or
    /// ~/.pgpass; TLS as the URL's `sslmode` says).
    pub async fn open(db: &Database, password: Option<&SecretString>) -> Result<Self, StoreError> {
        match db {
            Database::Sqlite(path) => Self::open_sqlite(path),
            Database::Postgres(url) => {
                let mut options: sqlx::postgres::PgConnectOptions = url.parse().map_err(StoreError::BadUrl)?;
                if let Some(password) = password {
                    options = options.password(password.expose_secret());
                }
                let options = options.application_name("shiftkey serve");
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                    // No ping before each use (a round trip per request): a connection that
                    // died fails its query, which is answered 503, and the pool drops it.
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                let store = Store { engine: Engine::Postgres(pool) };
                migrations::run_postgres(store.transaction().await?).await?;
                Ok(store)
            }
        }
    }

    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to date.
    pub fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
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
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        migrations::run_sqlite(&conn)?;
        Ok(Store { engine: Engine::Sqlite(Arc::new(tokio::sync::Mutex::new(conn))) })
    }

    /// A connection: each statement commits by itself.
    pub async fn connection(&self) -> Result<Db, StoreError> {
        self.engine.connection().await
    }

    /// A transaction: [`Db::commit`] makes it permanent; dropped before that, it rolls back.
    /// SQLite's is one commit, so one WAL write, instead of one per statement.
    pub async fn transaction(&self) -> Result<Db, StoreError> {
        self.engine.transaction().await
    }

    /// A transaction where it costs nothing (SQLite: one commit instead of one per statement),
    /// and on PostgreSQL only if `needed`: where the writes a caller makes are one statement
    /// there (atomic by itself), a BEGIN and a COMMIT would only be two more round trips.
    pub async fn transaction_if(&self, needed: bool) -> Result<Db, StoreError> {
        if needed || !self.is_postgres() { self.transaction().await } else { self.connection().await }
    }

    /// Whether this store is PostgreSQL (several replicas may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }
}
