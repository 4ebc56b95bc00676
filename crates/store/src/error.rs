//! The store's one error type. Messages never carry connection URLs or
//! passwords: callers log them and the service maps them to status codes
//! ([`StoreError::Unavailable`] becomes 503 at the webhook endpoint).

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken, e.g. a referral id owned by another pair.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store URL is malformed or names an unsupported backend.
    #[error("bad store url: {0}")]
    BadUrl(String),
    /// The database cannot be reached right now (connection, I/O, pool
    /// exhausted, server shutting down, lock timeout); retrying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database rejected the operation.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A stored row could not be decoded into its record.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The schema migrations could not be applied.
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// True when the failure is transient unavailability (answer 503, retry later).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// A decoding failure of column `column`.
    #[track_caller]
    pub(crate) fn corrupt(column: &str, why: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("column {column}: {why}"))
    }
}

/// SQLSTATE classes and codes (PostgreSQL) that mean "try again later":
/// connection exceptions (08), insufficient resources (53), operator
/// intervention such as admin/crash shutdown and "cannot connect now" (57P).
/// See <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
const PG_UNAVAILABLE_PREFIXES: [&str; 3] = ["08", "53", "57P"];

/// SQLite primary result codes for a database held by another connection
/// past the busy timeout: SQLITE_BUSY (5) and SQLITE_LOCKED (6), possibly
/// extended (low byte is the primary code).
/// See <https://www.sqlite.org/rescode.html>.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_PRIMARY_CODE_MASK: i64 = 0xff;
/// SQLITE_READONLY (8): a write on a connection that opened the file read-only.
const SQLITE_READONLY: i64 = 8;
/// SQLSTATE undefined_table: the schema is gone (database re-created empty).
const PG_UNDEFINED_TABLE: &str = "42P01";

impl StoreError {
    /// True when SQLite refused a write because its connection is read-only.
    pub(crate) fn is_sqlite_readonly(&self) -> bool {
        self.database_error().is_some_and(|db| {
            db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                && db
                    .code()
                    .and_then(|c| c.parse::<i64>().ok())
                    .is_some_and(|c| c & SQLITE_PRIMARY_CODE_MASK == SQLITE_READONLY)
        })
    }

    /// True when PostgreSQL says a table does not exist.
    pub(crate) fn is_undefined_table(&self) -> bool {
        self.database_error().is_some_and(|db| {
            db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some_and(|pg| pg.code() == PG_UNDEFINED_TABLE)
        })
    }

    fn database_error(&self) -> Option<&dyn sqlx::error::DatabaseError> {
        match self {
            Self::Unavailable(sqlx::Error::Database(db))
            | Self::Database(sqlx::Error::Database(db)) => Some(db.as_ref()),
            _ => None,
        }
    }
}

/// True for database errors that mean "try again later".
fn is_transient(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return is_transient_sqlstate(pg.code());
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .is_some_and(is_transient_sqlite_code);
    }
    false
}

fn is_transient_sqlstate(code: &str) -> bool {
    PG_UNAVAILABLE_PREFIXES.iter().any(|p| code.starts_with(p))
}

fn is_transient_sqlite_code(code: i64) -> bool {
    let primary = code & SQLITE_PRIMARY_CODE_MASK;
    primary == SQLITE_BUSY || primary == SQLITE_LOCKED
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match err {
            E::Io(_)
            | E::Tls(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::WorkerCrashed
            | E::Protocol(_) => Self::Unavailable(err),
            E::Database(ref db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_owned())
            }
            E::Database(ref db) if is_transient(db.as_ref()) => Self::Unavailable(err),
            E::ColumnDecode { .. }
            | E::Decode(_)
            | E::ColumnNotFound(_)
            | E::TypeNotFound { .. } => Self::Corrupt(err.to_string()),
            E::Migrate(m) => Self::Migration(*m),
            other => Self::Database(other),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(err)
    }
}

/// Shows a URL with its password (and query, which may hold one) replaced,
/// so it can appear in errors and logs.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // set_password only fails for URLs that cannot have credentials.
                let _ = parsed.set_password(Some("REDACTED"));
            }
            if parsed.query().is_some() {
                parsed.set_query(Some("REDACTED"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password_and_query() {
        let shown = redact_url("postgres://app:s3cret@db.example:5432/cosell?password=other");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("other"), "{shown}");
        assert!(shown.contains("db.example"), "{shown}");
    }

    #[test]
    fn redact_never_echoes_unparseable_input() {
        assert_eq!(redact_url("post gres://a:pw@x"), "<unparseable url>");
    }

    #[test]
    fn transient_codes() {
        assert!(is_transient_sqlstate("57P01"));
        assert!(is_transient_sqlstate("08006"));
        assert!(!is_transient_sqlstate("23505"));
        assert!(is_transient_sqlite_code(5));
        assert!(is_transient_sqlite_code(517)); // SQLITE_BUSY_SNAPSHOT
        assert!(!is_transient_sqlite_code(19)); // SQLITE_CONSTRAINT
    }
}
