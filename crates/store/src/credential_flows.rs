//! Sealed credentials, written once for both backends: every statement's
//! SQL (built with [`crate::statement`]), how a row becomes a
//! [`StoredCredential`], and the reads and writes that need no hold. How a
//! rotation is held (SQLite: a compare-and-set on the version read;
//! PostgreSQL: also an advisory lock) is each backend's.

use chrono::Utc;

use crate::statement::{fetch_as, required, Binder, Db, DbRow, Dialect, Param, Statement};
use crate::{CredentialWrite, Result, StoreError, StoredCredential};

/// Columns a credential is read from.
const COLUMNS: &str = "name, version, sealed, signed_in_at, obtained_at, expires_at, \
                       last_refresh_at, last_error, last_error_at, mfa";

/// A `credentials` row.
pub(crate) fn decode(row: &impl DbRow) -> Result<StoredCredential> {
    Ok(StoredCredential {
        name: required("name", row.text("name")?)?,
        version: row.int("version")?,
        sealed: required("sealed", row.bytes("sealed")?)?,
        signed_in_at: required("signed_in_at", row.time("signed_in_at")?)?,
        obtained_at: required("obtained_at", row.time("obtained_at")?)?,
        expires_at: row.time("expires_at")?,
        last_refresh_at: row.time("last_refresh_at")?,
        last_error: row.text("last_error")?,
        last_error_at: row.time("last_error_at")?,
        mfa: row.bool("mfa")?,
    })
}

/// The values of a write: the sealed secret, when it was issued, when it
/// expires, the MFA claim and now, in that order.
fn bind_write(b: &mut Binder, write: &CredentialWrite) -> [String; 5] {
    [
        b.bind(Param::Bytes(write.sealed.clone())),
        b.bind(Param::Time(Some(write.obtained_at))),
        b.bind(Param::Time(write.expires_at)),
        b.bind(Param::Bool(write.mfa)),
        b.bind(Param::Time(Some(Utc::now()))),
    ]
}

/// Inserts the first secret of a chain begun now (`signed_in_at` is when it
/// was issued), resolving a stored `name` with `on_conflict`.
fn insert_first(
    dialect: Dialect,
    name: &str,
    write: &CredentialWrite,
    on_conflict: &str,
) -> Statement {
    let mut b = Binder::new(dialect);
    let name = b.text(Some(name));
    let [sealed, obtained, expires, mfa, now] = bind_write(&mut b, write);
    let sql = format!(
        "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, expires_at, \
             mfa, updated_at) \
         VALUES ({name}, 1, {sealed}, {obtained}, {obtained}, {expires}, {mfa}, {now}) \
         ON CONFLICT (name) {on_conflict}"
    );
    b.statement(sql)
}

/// Stores the credential after an operator signed in: a new chain, its
/// health cleared.
pub(crate) fn replace(dialect: Dialect, name: &str, write: &CredentialWrite) -> Statement {
    insert_first(
        dialect,
        name,
        write,
        "DO UPDATE SET version = credentials.version + 1, sealed = excluded.sealed, \
         signed_in_at = excluded.signed_in_at, obtained_at = excluded.obtained_at, \
         expires_at = excluded.expires_at, mfa = excluded.mfa, last_refresh_at = NULL, \
         last_error = NULL, last_error_at = NULL, updated_at = excluded.updated_at",
    )
}

/// Stores a rotated secret over the version held (None: only if no
/// credential of `name` is stored); returns the row written, none when
/// another writer changed it.
pub(crate) fn rotate(
    dialect: Dialect,
    name: &str,
    held: Option<i64>,
    write: &CredentialWrite,
) -> Statement {
    let mut b = Binder::new(dialect);
    let name = b.text(Some(name));
    let version = b.bind(Param::Int(held.unwrap_or(1)));
    let [sealed, obtained, expires, mfa, now] = bind_write(&mut b, write);
    let sql = match held {
        Some(_) => format!(
            "UPDATE credentials SET version = version + 1, sealed = {sealed}, \
                 obtained_at = {obtained}, expires_at = {expires}, mfa = {mfa}, \
                 last_refresh_at = {now}, last_error = NULL, last_error_at = NULL, \
                 updated_at = {now} \
             WHERE name = {name} AND version = {version} RETURNING {COLUMNS}"
        ),
        None => format!(
            "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, \
                 expires_at, mfa, last_refresh_at, updated_at) \
             VALUES ({name}, {version}, {sealed}, {obtained}, {obtained}, {expires}, {mfa}, \
                 {now}, {now}) \
             ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
        ),
    };
    b.statement(sql)
}

/// The row a rotation wrote, or why it wrote none.
pub(crate) fn rotated(name: &str, written: Option<StoredCredential>) -> Result<StoredCredential> {
    written
        .ok_or_else(|| StoreError::Conflict(format!("credential {name} changed while it was held")))
}

/// The statement reading the credential named `name`.
pub(crate) fn read(dialect: Dialect, name: &str) -> Statement {
    let mut b = Binder::new(dialect);
    let sql = format!(
        "SELECT {COLUMNS} FROM credentials WHERE name = {}",
        b.text(Some(name))
    );
    b.statement(sql)
}

/// The credential named `name`.
pub(crate) async fn by_name<D: Db>(db: &D, name: &str) -> Result<Option<StoredCredential>> {
    Ok(fetch_as(db, read(D::DIALECT, name), decode).await?.pop())
}

/// Every stored credential, by name.
pub(crate) async fn all<D: Db>(db: &D) -> Result<Vec<StoredCredential>> {
    let sql = format!("SELECT {COLUMNS} FROM credentials ORDER BY name");
    fetch_as(db, Binder::new(D::DIALECT).statement(sql), decode).await
}

/// Stores the first secret of `name`; false when one is already stored.
pub(crate) async fn seed<D: Db>(db: &D, name: &str, write: &CredentialWrite) -> Result<bool> {
    let statement = insert_first(D::DIALECT, name, write, "DO NOTHING");
    Ok(db.execute(statement).await? == 1)
}

/// Records a failed refresh.
pub(crate) async fn record_error<D: Db>(db: &D, name: &str, error: &str) -> Result<()> {
    let mut b = Binder::new(D::DIALECT);
    let (name, error) = (b.text(Some(name)), b.text(Some(error)));
    let now = b.bind(Param::Time(Some(Utc::now())));
    let sql = format!(
        "UPDATE credentials SET last_error = {error}, last_error_at = {now}, updated_at = {now} \
         WHERE name = {name}"
    );
    db.execute(b.statement(sql)).await.map(|_| ())
}
