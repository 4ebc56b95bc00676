//! Audit history: append-only, read newest first (ties keep insertion order).

use sqlx::PgPool;

use super::codec::{self, AUDIT_COLUMNS};
use crate::shared::sql_limit;
use crate::{AuditEntry, PairId, Result};

/// Appends entries in one transaction; an entry whose id is already stored
/// is skipped, so a replayed job does not duplicate history.
pub(super) async fn append(pool: &PgPool, entries: &[AuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit (id, pair_id, at, level, kind, message, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::json) ON CONFLICT (id) DO NOTHING",
        )
        .bind(entry.id)
        .bind(entry.pair_id)
        .bind(entry.at)
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
    pool: &PgPool,
    pair_id: PairId,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE pair_id = $1 ORDER BY at DESC, seq DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(pair_id)
        .bind(sql_limit(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::audit).collect()
}

pub(super) async fn recent(pool: &PgPool, limit: u32) -> Result<Vec<AuditEntry>> {
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY at DESC, seq DESC LIMIT $1");
    let rows = sqlx::query(&sql)
        .bind(sql_limit(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::audit).collect()
}
