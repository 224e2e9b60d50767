//! Where the reference backend keeps its data: `db` in the server config, `--db` on the command
//! line. A `postgres://` or `postgresql://` URL is a PostgreSQL database (several replicas may
//! share it); anything else is the path of a SQLite file (the zero-config default).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Database {
    Sqlite(PathBuf),
    /// A libpq-style URL, without a password (`sslmode`, `sslrootcert`, `host=/socket/dir`, ...).
    Postgres(String),
}

/// Why a `db` value can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDatabase {
    #[error("db is empty: give a SQLite file path or a postgres:// URL")]
    Empty,
    #[error(
        "the db URL holds a password; keep it out of the URL (which may show in logs and `ps`): \
         use db_password = {{ file = \"...\" }} or {{ env = \"...\" }} in the server config, or \
         PGPASSWORD or ~/.pgpass"
    )]
    PasswordInUrl,
    #[error("the db URL {url:?} is not a valid URL: {reason}")]
    BadUrl { url: String, reason: String },
}

impl Database {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// The SQLite file, if that is what this is.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Database::Sqlite(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database::Sqlite(PathBuf::from("shiftkey.db"))
    }
}

impl FromStr for Database {
    type Err = InvalidDatabase;

    fn from_str(text: &str) -> Result<Self, InvalidDatabase> {
        if text.is_empty() {
            return Err(InvalidDatabase::Empty);
        }
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Ok(Database::Sqlite(PathBuf::from(text)));
        }
        let url = reqwest::Url::parse(text)
            .map_err(|err| InvalidDatabase::BadUrl { url: text.into(), reason: err.to_string() })?;
        if url.password().is_some() || url.query_pairs().any(|(key, _)| key == "password") {
            return Err(InvalidDatabase::PasswordInUrl);
        }
        Ok(Database::Postgres(text.to_string()))
    }
}

impl TryFrom<String> for Database {
    type Error = InvalidDatabase;

    fn try_from(text: String) -> Result<Self, InvalidDatabase> {
        text.parse()
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_anything_else_a_sqlite_path() {
        for url in ["postgres://shiftkey@db.internal/shiftkey", "postgresql://u@h:5433/d?sslmode=verify-full"] {
            assert_eq!(url.parse::<Database>().unwrap(), Database::Postgres(url.into()));
        }
        assert_eq!(
            "/var/lib/shiftkey/shiftkey.db".parse::<Database>().unwrap().sqlite_path().unwrap().to_str(),
            Some("/var/lib/shiftkey/shiftkey.db")
        );
        assert_eq!("postgres.db".parse::<Database>().unwrap(), Database::Sqlite("postgres.db".into()));
    }

    #[test]
    fn a_password_in_the_url_is_refused_saying_where_it_goes() {
        for url in ["postgres://u:hunter2@h/d", "postgres://u@h/d?password=hunter2"] {
            let err = url.parse::<Database>().unwrap_err().to_string();
            assert!(err.contains("db_password") && err.contains("PGPASSWORD"), "{err}");
            assert!(!err.contains("hunter2"), "the error repeats the password: {err}");
        }
    }
}
