//! The two engines behind one interface, and the only place they differ: a SQLite connection
//! (the zero-config default, in-process) or a PostgreSQL pool (several `serve` replicas on one
//! database). The store's queries are written once against [`Db`], in the SQL both engines
//! understand, with `?N` parameters. For PostgreSQL, `?N` becomes `$N`; for SQLite the row locks
//! replicas need (a trailing ` FOR UPDATE`, a ` FOR UPDATE SKIP LOCKED`) are dropped: its
//! writers already take turns, one connection under one lock, so every row is locked for the
//! whole transaction anyway.

use std::borrow::Cow;
use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::Row as _;
use sqlx::postgres::{PgArguments, PgConnection, PgRow, Postgres};
use sqlx::query::Query;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::StoreError;

/// One query parameter. Each kind keeps its type when NULL: PostgreSQL is told every
/// parameter's type.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(Some(v.into()))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}

impl From<Option<bool>> for Arg<'_> {
    fn from(v: Option<bool>) -> Self {
        Arg::Bool(v)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(v))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref())
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(Some(v))
    }
}

impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Arg::Bytes(Some(v))
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(Some(v)) => ValueRef::Integer(v),
            Arg::Bool(Some(v)) => ValueRef::Integer(v.into()),
            Arg::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Arg::Bytes(Some(v)) => ValueRef::Blob(v),
            Arg::Int(None) | Arg::Bool(None) | Arg::Text(None) | Arg::Bytes(None) => ValueRef::Null,
        }))
    }
}

impl<'a> Arg<'a> {
    fn bind(self, query: Query<'a, Postgres, PgArguments>) -> Query<'a, Postgres, PgArguments> {
        match self {
            Arg::Int(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::Bytes(v) => query.bind(v),
        }
    }
}

/// The parameters of one query: `args![id, now]`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => { &[$($crate::server::store::sql::Arg::from($arg)),*] };
}
pub(crate) use args;

/// A column type both engines read: `i64`, `bool`, `String`, `Vec<u8>` and their `Option`s.
pub trait Column: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> {}
impl<T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>> Column for T {}

/// A row as a tuple of columns, from either engine.
pub trait FromRow: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    fn from_postgres(row: &PgRow) -> Result<Self, sqlx::Error>;
}

macro_rules! tuple_from_row {
    ($($column:ident $index:tt),+) => {
        impl<$($column: Column),+> FromRow for ($($column,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get($index)?,)+))
            }
            fn from_postgres(row: &PgRow) -> Result<Self, sqlx::Error> {
                Ok(($(row.try_get($index)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// What a transaction may lock beyond rows: PostgreSQL advisory locks, released at commit or
/// rollback. SQLite needs none (one writer at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The schema while migrations run: two replicas starting at once take turns.
    Migrations,
    /// The send caps (per number, per client, per server): counted and recorded in one turn.
    SendCaps,
    /// One user's wrong-code count across their challenges.
    UserFailures(i64),
    /// The wrong-pass caps (per number, per client): counted and recorded in one turn.
    PassCaps,
}

impl Lock {
    /// The advisory lock's key: a constant per kind, the user id in the low 48 bits (a
    /// statement that takes `UserFailures` itself computes the same key from `UserFailures(0)`).
    pub(super) fn key(self) -> i64 {
        const BASE: i64 = 0x736b << 48; // "sk"
        match self {
            Lock::Migrations => BASE | 1,
            Lock::SendCaps => BASE | 2,
            Lock::PassCaps => BASE | 3,
            Lock::UserFailures(user) => (BASE + (1 << 48)) | (user & 0xffff_ffff_ffff),
        }
    }
}

/// A connection of either engine, maybe in a transaction (which rolls back unless committed).
pub struct Db {
    conn: Conn,
}

enum Conn {
    Sqlite {
        conn: OwnedMutexGuard<rusqlite::Connection>,
        in_transaction: bool,
    },
    Postgres(sqlx::pool::PoolConnection<Postgres>),
    PostgresTransaction(sqlx::Transaction<'static, Postgres>),
    /// What a committed PostgreSQL transaction leaves: `commit` consumes the `Db`.
    Committed,
}

/// The engine of a store: what [`Db`]s are made from.
#[derive(Clone)]
pub(super) enum Engine {
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    Postgres(sqlx::PgPool),
}

impl Engine {
    pub(super) async fn connection(&self) -> Result<Db, StoreError> {
        Ok(Db {
            conn: match self {
                Engine::Sqlite(conn) => {
                    Conn::Sqlite { conn: Arc::clone(conn).lock_owned().await, in_transaction: false }
                }
                Engine::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
            },
        })
    }

    pub(super) async fn transaction(&self) -> Result<Db, StoreError> {
        Ok(Db {
            conn: match self {
                Engine::Sqlite(conn) => {
                    let conn = Arc::clone(conn).lock_owned().await;
                    conn.execute_batch("BEGIN")?;
                    Conn::Sqlite { conn, in_transaction: true }
                }
                Engine::Postgres(pool) => Conn::PostgresTransaction(pool.begin().await?),
            },
        })
    }
}

/// `?from, ?from+1, …`: `count` placeholders, for a list of values a statement takes padded to
/// one length (so it has one shape, prepared once).
pub(super) fn placeholder_list(from: usize, count: usize) -> String {
    (from..from + count).map(|n| format!("?{n}")).collect::<Vec<_>>().join(", ")
}

/// `first`, then `list` padded to `count` values with its last: the arguments of a statement
/// that names rows by a `placeholder_list` (naming a row twice changes nothing). `list` holds
/// 1 to `count` values.
pub(super) fn first_then_padded<'a>(
    first: Arg<'a>,
    list: impl IntoIterator<Item = Arg<'a>>,
    count: usize,
) -> Result<Vec<Arg<'a>>, StoreError> {
    let mut args: Vec<Arg<'a>> = std::iter::once(first).chain(list).collect();
    let given = args.len() - 1;
    if given == 0 || given > count {
        return Err(StoreError::TooManyAtOnce(given));
    }
    args.resize(count + 1, args[given]);
    Ok(args)
}

/// `?N` → `$N`: PostgreSQL's parameters. The store's SQL holds no `?` in a string literal.
fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// The SQL as SQLite runs it: without the row locks only PostgreSQL needs.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    let sql = sql.strip_suffix(" FOR UPDATE").unwrap_or(sql);
    if sql.contains(" FOR UPDATE SKIP LOCKED") {
        Cow::Owned(sql.replace(" FOR UPDATE SKIP LOCKED", ""))
    } else {
        Cow::Borrowed(sql)
    }
}

fn postgres_query<'a>(sql: &str, args: &[Arg<'a>]) -> Query<'a, Postgres, PgArguments> {
    // The store's SQL is its own text (table and column names, numbers it formatted in);
    // every value from outside is a parameter.
    let query = sqlx::query(sqlx::AssertSqlSafe(postgres_sql(sql)));
    args.iter().fold(query, |query, arg| arg.bind(query))
}

impl Db {
    fn postgres(&mut self) -> Option<&mut PgConnection> {
        match &mut self.conn {
            Conn::Sqlite { .. } | Conn::Committed => None,
            Conn::Postgres(conn) => Some(conn),
            Conn::PostgresTransaction(tx) => Some(tx),
        }
    }

    /// Whether this is PostgreSQL: where one statement can do what SQLite needs several for
    /// (data-modifying `WITH`), and each statement saved is a round trip.
    pub(super) fn is_postgres(&self) -> bool {
        matches!(self.conn, Conn::Postgres(_) | Conn::PostgresTransaction(_))
    }

    /// The SQLite connection, for what only SQLite has (checkpoints, query plans).
    pub(super) fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite { conn, .. } => Some(conn),
            _ => None,
        }
    }

    pub(super) fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.conn {
            Conn::Sqlite { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// Makes the transaction's changes permanent; a `Db` dropped before this rolls them back.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        match &mut self.conn {
            Conn::Sqlite { conn, in_transaction } => {
                if *in_transaction {
                    conn.execute_batch("COMMIT")?;
                    *in_transaction = false;
                }
            }
            Conn::Postgres(_) | Conn::Committed => {}
            Conn::PostgresTransaction(_) => {
                if let Conn::PostgresTransaction(tx) = std::mem::replace(&mut self.conn, Conn::Committed) {
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        match self.postgres() {
            None => {
                let conn = self.sqlite().expect("not PostgreSQL, so SQLite");
                Ok(conn.prepare_cached(&sqlite_sql(sql))?.execute(rusqlite::params_from_iter(args))? as u64)
            }
            Some(conn) => Ok(postgres_query(sql, args).execute(conn).await?.rows_affected()),
        }
    }

    /// The first row, if any.
    pub(super) async fn query_opt<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>, StoreError> {
        match self.postgres() {
            None => {
                let conn = self.sqlite().expect("not PostgreSQL, so SQLite");
                let mut statement = conn.prepare_cached(&sqlite_sql(sql))?;
                let mut rows = statement.query(rusqlite::params_from_iter(args))?;
                Ok(rows.next()?.map(T::from_sqlite).transpose()?)
            }
            Some(conn) => {
                let row = postgres_query(sql, args).fetch_optional(conn).await?;
                Ok(row.as_ref().map(T::from_postgres).transpose()?)
            }
        }
    }

    /// The one row a query always returns (an aggregate, `RETURNING`).
    pub(super) async fn query_one<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<T, StoreError> {
        self.query_opt(sql, args).await?.ok_or(StoreError::NoRow)
    }

    /// Every row.
    pub(super) async fn query_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, StoreError> {
        match self.postgres() {
            None => {
                let conn = self.sqlite().expect("not PostgreSQL, so SQLite");
                let mut statement = conn.prepare_cached(&sqlite_sql(sql))?;
                let rows = statement.query_map(rusqlite::params_from_iter(args), T::from_sqlite)?;
                Ok(rows.collect::<Result<_, _>>()?)
            }
            Some(conn) => {
                let rows = postgres_query(sql, args).fetch_all(conn).await?;
                Ok(rows.iter().map(T::from_postgres).collect::<Result<_, _>>()?)
            }
        }
    }

    /// Runs several statements (a migration step).
    pub(super) async fn execute_script(&mut self, sql: &'static str) -> Result<(), StoreError> {
        match self.postgres() {
            None => self.sqlite().expect("not PostgreSQL, so SQLite").execute_batch(sql)?,
            Some(conn) => {
                sqlx::raw_sql(sql).execute(conn).await?;
            }
        }
        Ok(())
    }

    /// Takes an advisory lock until the transaction ends (PostgreSQL; SQLite needs none).
    pub(super) async fn lock(&mut self, lock: Lock) -> Result<(), StoreError> {
        if let Some(conn) = self.postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock.key()).execute(conn).await?;
        }
        Ok(())
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // PostgreSQL transactions roll back by themselves when dropped; SQLite's need saying.
        if let Conn::Sqlite { conn, in_transaction: true } = &mut self.conn {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_padded_with_its_last_value_after_the_first_argument() {
        let ints = |args: Vec<Arg<'_>>| -> Vec<i64> {
            args.into_iter().map(|a| if let Arg::Int(Some(v)) = a { v } else { panic!("{a:?}") }).collect()
        };
        let padded = first_then_padded(Arg::from(9i64), [1i64, 2].map(Arg::from), 4).unwrap();
        assert_eq!(ints(padded), [9, 1, 2, 2, 2]);
        let full = first_then_padded(Arg::from(9i64), [1i64, 2, 3].map(Arg::from), 3).unwrap();
        assert_eq!(ints(full), [9, 1, 2, 3]);
        for given in [0i64, 5] {
            let list = (0..given).map(Arg::from);
            assert!(
                matches!(first_then_padded(Arg::from(9i64), list, 4), Err(StoreError::TooManyAtOnce(n)) if n == given as usize)
            );
        }
    }

    #[test]
    fn parameters_become_dollars_for_postgres() {
        assert_eq!(postgres_sql("UPDATE t SET a = ?2 WHERE id = ?1"), "UPDATE t SET a = $2 WHERE id = $1");
        assert_eq!(postgres_sql("SELECT ?10, ?"), "SELECT $10, ?");
    }

    #[test]
    fn sqlite_drops_the_row_lock() {
        assert_eq!(sqlite_sql("SELECT a FROM t WHERE id = ?1 FOR UPDATE"), "SELECT a FROM t WHERE id = ?1");
        assert_eq!(sqlite_sql("SELECT a FROM t"), "SELECT a FROM t");
        assert_eq!(
            sqlite_sql("UPDATE t SET b = 1 WHERE a IN (SELECT a FROM t LIMIT 2 FOR UPDATE SKIP LOCKED) RETURNING a"),
            "UPDATE t SET b = 1 WHERE a IN (SELECT a FROM t LIMIT 2) RETURNING a"
        );
    }

    #[test]
    fn lock_keys_differ_by_kind_and_user() {
        let keys = [Lock::Migrations, Lock::SendCaps, Lock::PassCaps, Lock::UserFailures(1), Lock::UserFailures(2)]
            .map(Lock::key);
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
    }
}
