//! Audit history: append-only, read newest first (ties keep insertion order).

use sqlx::SqlitePool;

use super::codec::{self, AUDIT_COLUMNS};
use crate::shared::sql_limit;
use crate::{AuditEntry, PairId, Result};

/// Appends entries in one transaction; an entry whose id is already stored
/// is skipped, so a replayed job does not duplicate history.
pub(super) async fn append(pool: &SqlitePool, entries: &[AuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit (id, pair_id, at, level, kind, message, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(entry.id.to_string())
        .bind(entry.pair_id.map(|id| id.to_string()))
        .bind(codec::micros(entry.at))
        .bind(entry.level.as_str())
        .bind(&entry.kind)
        .bind(&entry.message)
        .bind(codec::json_text(&entry.detail))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn for_pair(
    pool: &SqlitePool,
    pair_id: PairId,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE pair_id = ?1 ORDER BY at DESC, seq DESC LIMIT ?2"
    );
    let rows = sqlx::query(&sql)
        .bind(pair_id.to_string())
        .bind(sql_limit(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::audit).collect()
}

pub(super) async fn recent(pool: &SqlitePool, limit: u32) -> Result<Vec<AuditEntry>> {
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY at DESC, seq DESC LIMIT ?1");
    let rows = sqlx::query(&sql)
        .bind(sql_limit(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::audit).collect()
}
