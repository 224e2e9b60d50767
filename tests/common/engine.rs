//! The two engines `serve` runs on, for the tests that run against both: a SQLite file in the
//! test's dir, or a fresh database in the test binary's PostgreSQL cluster (`postgres.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{needs, postgres};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Whether the engine can be tested here. PostgreSQL not installed: the test is skipped and
    /// counted (a failure under CI, where `scripts/test` installs it).
    pub fn available(self) -> bool {
        match self {
            Engine::Sqlite => true,
            Engine::Postgres => needs::requires(&[needs::POSTGRES]),
        }
    }
}

/// One test's database, and the files `serve` keeps beside it (the code key, the audit log),
/// where the tests look for them: `DB.key` and `DB.audit.jsonl` beside a SQLite file
/// (`serve`'s defaults), `shiftkey.db.key` and `shiftkey.db.audit.jsonl` in the test's dir for
/// PostgreSQL (named in its config, as PostgreSQL needs).
#[derive(Debug, Clone)]
pub struct TestDb {
    pub engine: Engine,
    /// What `--db` and `db =` take: the file's path or the database's URL.
    pub location: String,
    beside: PathBuf,
}

impl TestDb {
    /// A new empty database of `engine` for a test whose files live in `dir`.
    pub fn new(engine: Engine, dir: &Path) -> Self {
        match engine {
            Engine::Sqlite => Self::sqlite(&dir.join("shiftkey.db")),
            Engine::Postgres => {
                TestDb { engine, location: postgres::shared().new_database(), beside: dir.join("shiftkey.db") }
            }
        }
    }

    /// A new empty database in `cluster` (a test's private one) for a test whose files live in `dir`.
    pub fn in_cluster(cluster: &postgres::Cluster, dir: &Path) -> Self {
        TestDb { engine: Engine::Postgres, location: cluster.new_database(), beside: dir.join("shiftkey.db") }
    }

    pub fn sqlite(path: &Path) -> Self {
        TestDb { engine: Engine::Sqlite, location: path.display().to_string(), beside: path.into() }
    }

    /// The SQLite file (a test that only runs on SQLite).
    pub fn path(&self) -> &Path {
        assert_eq!(self.engine, Engine::Sqlite, "only a SQLite database has a file");
        &self.beside
    }

    fn suffixed(&self, suffix: &str) -> PathBuf {
        let mut name = self.beside.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// The audit log `serve` and `admin` write for this database.
    pub fn audit(&self) -> PathBuf {
        self.suffixed(".audit.jsonl")
    }

    /// The code key `serve` uses with this database.
    pub fn key(&self) -> PathBuf {
        self.suffixed(".key")
    }

    /// The top-level server config lines for this database (before any table).
    pub fn config_lines(&self) -> String {
        let mut lines = format!("db = {:?}\n", self.location);
        if self.engine == Engine::Postgres {
            lines.push_str(&format!("key_file = {:?}\naudit_log = {:?}\n", self.key(), self.audit()));
        }
        lines
    }

    /// Everything the database holds, as bytes (a file dump for SQLite, `pg_dump` for PostgreSQL).
    pub fn dump(&self) -> Vec<u8> {
        match self.engine {
            Engine::Sqlite => {
                let mut raw = std::fs::read(&self.beside).unwrap();
                raw.extend(std::fs::read(self.suffixed("-wal")).unwrap_or_default());
                raw
            }
            Engine::Postgres => postgres::shared().dump(&self.location),
        }
    }

    /// Runs SQL on the database (a test's look inside); rows as text lines, `|` between columns.
    pub fn query(&self, sql: &str) -> String {
        match self.engine {
            Engine::Sqlite => {
                let conn = rusqlite::Connection::open(&self.beside).unwrap();
                let mut statement = conn.prepare(sql).unwrap();
                let columns = statement.column_count();
                let rows = statement
                    .query_map([], |row| {
                        (0..columns)
                            .map(|i| {
                                Ok(match row.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => String::new(),
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(v) => String::from_utf8_lossy(v).into_owned(),
                                    rusqlite::types::ValueRef::Blob(v) => format!("{v:?}"),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()
                            .map(|cells| cells.join("|"))
                    })
                    .unwrap();
                rows.map(Result::unwrap).map(|row| row + "\n").collect()
            }
            Engine::Postgres => postgres::psql_at(&self.location, sql),
        }
    }
}

impl From<PathBuf> for TestDb {
    fn from(path: PathBuf) -> Self {
        TestDb::sqlite(&path)
    }
}

/// What `shiftkey admin` is told about a database: `--db`, and `--audit-log` and `--key-file`
/// for PostgreSQL.
pub trait AdminDb {
    fn admin_args(&self) -> Vec<OsString>;
}

impl AdminDb for Path {
    fn admin_args(&self) -> Vec<OsString> {
        vec!["--db".into(), self.into()]
    }
}

impl AdminDb for PathBuf {
    fn admin_args(&self) -> Vec<OsString> {
        self.as_path().admin_args()
    }
}

impl AdminDb for TestDb {
    fn admin_args(&self) -> Vec<OsString> {
        let mut args = vec!["--db".into(), self.location.clone().into()];
        if self.engine == Engine::Postgres {
            args.extend(["--audit-log".into(), self.audit().into(), "--key-file".into(), self.key().into()]);
        }
        args
    }
}

/// An async test run once per engine, as `NAME::sqlite` and `NAME::postgres` (the second
/// skipped and counted where PostgreSQL isn't installed):
///
/// ```ignore
/// on_both_engines! {
///     async fn a_code_works_only_once(engine: Engine) { let backend = Backend::start_on(engine); ... }
/// }
/// ```
#[macro_export]
macro_rules! on_both_engines {
    ($($(#[$meta:meta])* async fn $name:ident($engine:ident: Engine) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($engine: $crate::common::Engine) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::common::Engine::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if $crate::common::Engine::Postgres.available() {
                    run($crate::common::Engine::Postgres).await
                }
            }
        }
    )*};
}
