//! Pairs: upsert by id, lookups by either side's id, search and counts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use sqlx::SqlitePool;

use super::codec::{self, PAIR_COLUMNS};
use crate::shared::{self, fold_name, opportunity_key, opportunity_key_of_text, sql_limit};
use crate::{LastSyncTimes, Pair, PairId, PairQuery, PairState, Result};

pub(super) async fn save(pool: &SqlitePool, pair: &Pair) -> Result<()> {
    write(pool, pair, Guard::None).await.map(|_| ())
}

/// Saves `pair` only over the row as it was at `read_at` (None: only if it
/// is new); false when another writer saved it since.
pub(super) async fn save_over(
    pool: &SqlitePool,
    pair: &Pair,
    read_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    write(pool, pair, Guard::ReadAt(read_at)).await
}

/// Which stored row a write may replace.
enum Guard {
    /// Any.
    None,
    /// Only the one last updated at this time (None: no row yet).
    ReadAt(Option<DateTime<Utc>>),
}

async fn write(pool: &SqlitePool, pair: &Pair, guard: Guard) -> Result<bool> {
    const INSERT: &str = "INSERT INTO pairs (id, referral_id, opportunity_id, name, name_folded, state, snapshot, \
             referral_version, opportunity_version, last_error, last_pc_to_sf_at, last_sf_to_pc_at, \
             created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    const UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET referral_id = excluded.referral_id, \
             opportunity_id = excluded.opportunity_id, name = excluded.name, \
             name_folded = excluded.name_folded, state = excluded.state, snapshot = excluded.snapshot, \
             referral_version = excluded.referral_version, \
             opportunity_version = excluded.opportunity_version, last_error = excluded.last_error, \
             last_pc_to_sf_at = excluded.last_pc_to_sf_at, last_sf_to_pc_at = excluded.last_sf_to_pc_at, \
             created_at = excluded.created_at, updated_at = excluded.updated_at";
    let (sql, read_at) = match guard {
        Guard::None => (format!("{INSERT} {UPDATE}"), None),
        Guard::ReadAt(None) => (format!("{INSERT} ON CONFLICT (id) DO NOTHING"), None),
        Guard::ReadAt(Some(at)) => (
            format!("{INSERT} {UPDATE} WHERE pairs.updated_at = ?15"),
            Some(at),
        ),
    };
    let mut query = sqlx::query(&sql)
        .bind(pair.id.to_string())
        .bind(&pair.referral_id)
        .bind(&pair.opportunity_id)
        .bind(&pair.name)
        .bind(fold_name(&pair.name))
        .bind(pair.state.as_str())
        .bind(pair.snapshot.as_ref().map(codec::json_text))
        .bind(&pair.referral_version)
        .bind(&pair.opportunity_version)
        .bind(&pair.last_error)
        .bind(pair.last_pc_to_sf_at.map(codec::micros))
        .bind(pair.last_sf_to_pc_at.map(codec::micros))
        .bind(codec::micros(pair.created_at))
        .bind(codec::micros(pair.updated_at));
    if read_at.is_some() {
        query = query.bind(read_at.map(codec::micros));
    }
    match query.execute(pool).await {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(err) => Err(crate::shared::pair_conflict(pair, err.into())),
    }
}

pub(super) async fn by_id(pool: &SqlitePool, id: PairId) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE id = ?1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(codec::pair).transpose()
}

pub(super) async fn by_referral(pool: &SqlitePool, referral_id: &str) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE referral_id = ?1");
    let row = sqlx::query(&sql)
        .bind(referral_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(codec::pair).transpose()
}

pub(super) async fn by_opportunity(
    pool: &SqlitePool,
    opportunity_id: &str,
) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE opportunity_key = ?1");
    let row = sqlx::query(&sql)
        .bind(opportunity_key(opportunity_id))
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(codec::pair).transpose()
}

/// Pairs whose stored snapshot text holds `value` as a JSON string.
pub(super) async fn with_snapshot_string(pool: &SqlitePool, value: &str) -> Result<Vec<Pair>> {
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM pairs WHERE instr(snapshot, ?1) > 0 ORDER BY updated_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(shared::json_string(value))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::pair).collect()
}

pub(super) async fn find(pool: &SqlitePool, query: &PairQuery) -> Result<Vec<Pair>> {
    let text = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM pairs \
         WHERE (?1 IS NULL OR instr(name_folded, ?2) > 0 OR referral_id = ?1 OR opportunity_key = ?3) \
           AND (?4 IS NULL OR state = ?4) \
         ORDER BY updated_at DESC, id DESC LIMIT ?5 OFFSET ?6"
    );
    let rows = sqlx::query(&sql)
        .bind(text)
        .bind(text.map(fold_name))
        .bind(text.and_then(opportunity_key_of_text))
        .bind(query.state.map(PairState::as_str))
        .bind(sql_limit(query.limit))
        .bind(i64::from(query.offset))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::pair).collect()
}

pub(super) async fn counts(pool: &SqlitePool) -> Result<BTreeMap<PairState, u64>> {
    let rows = sqlx::query_as("SELECT state, COUNT(*) AS n FROM pairs GROUP BY state")
        .fetch_all(pool)
        .await?;
    shared::pair_counts(rows)
}

/// The newest write time in each direction.
pub(super) async fn last_sync_times(pool: &SqlitePool) -> Result<LastSyncTimes> {
    let row = sqlx::query("SELECT MAX(last_pc_to_sf_at), MAX(last_sf_to_pc_at) FROM pairs")
        .fetch_one(pool)
        .await?;
    Ok(LastSyncTimes {
        pc_to_sf: codec::opt_time_at(&row, 0)?,
        sf_to_pc: codec::opt_time_at(&row, 1)?,
    })
}
