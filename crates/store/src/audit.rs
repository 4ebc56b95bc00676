//! Audit history, written once for both backends: append-only, read newest
//! first (ties keep insertion order). Each backend supplies only how it
//! runs a statement and reads a cell ([`Db`], [`DbRow`]), and its write
//! transaction ([`JobDb::begin`]).

use crate::flows::{JobDb, JobTx};
use crate::shared::sql_limit;
use crate::statement::{fetch_as, parsed, required, Binder, Db, DbRow, Param, Statement};
use crate::{AuditEntry, AuditLevel, PairId, Result};

/// Columns an entry is read from.
const COLUMNS: &str = "id, pair_id, at, level, kind, message, detail";

/// Newest first; `seq` keeps the insertion order of entries made at one time.
const NEWEST_FIRST: &str = "ORDER BY at DESC, seq DESC";

/// An `audit` row.
fn decode(row: &impl DbRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: required("id", row.id("id")?)?,
        pair_id: row.id("pair_id")?,
        at: required("at", row.time("at")?)?,
        level: parsed(row, "level", AuditLevel::parse)?,
        kind: required("kind", row.text("kind")?)?,
        message: required("message", row.text("message")?)?,
        detail: required("detail", row.json("detail")?)?,
    })
}

/// The statement storing `entry` unless an entry with its id is stored.
pub(crate) fn insert<D: Db>(entry: &AuditEntry) -> Statement {
    let mut b = Binder::new(D::DIALECT);
    let values = [
        b.bind(Param::Id(Some(entry.id))),
        b.bind(Param::Id(entry.pair_id)),
        b.bind(Param::Time(Some(entry.at))),
        b.text(Some(entry.level.as_str())),
        b.text(Some(entry.kind.as_str())),
        b.text(Some(entry.message.as_str())),
        b.bind(Param::Json(Some(entry.detail.to_string()))),
    ];
    let sql = format!(
        "INSERT INTO audit ({COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        values.join(", ")
    );
    b.statement(sql)
}

/// Appends entries in one transaction; an entry whose id is already stored
/// is skipped, so a replayed job does not duplicate history.
pub(crate) async fn append<D: Db + JobDb>(db: &D, entries: &[AuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    for entry in entries {
        tx.execute(insert::<D>(entry)).await?;
    }
    tx.commit().await
}

/// The newest `limit` entries of a pair (0: all).
pub(crate) async fn for_pair<D: Db>(
    db: &D,
    pair_id: PairId,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let mut b = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit WHERE pair_id = {} {NEWEST_FIRST} LIMIT {}",
        b.bind(Param::Id(Some(pair_id))),
        b.bind(Param::Int(sql_limit(limit)))
    );
    fetch_as(db, b.statement(sql), decode).await
}

/// The newest `limit` entries (0: all).
pub(crate) async fn recent<D: Db>(db: &D, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut b = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM audit {NEWEST_FIRST} LIMIT {}",
        b.bind(Param::Int(sql_limit(limit)))
    );
    fetch_as(db, b.statement(sql), decode).await
}
