//! Pairs: upsert by id, lookups by either side's id, search and counts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use sqlx::{PgPool, Row};

use super::codec::{self, PAIR_COLUMNS};
use crate::shared::{
    self, fold_name, opportunity_key, opportunity_key_of_text, pair_conflict, sql_limit,
};
use crate::{LastSyncTimes, Pair, PairId, PairQuery, PairState, Result};

pub(super) async fn save(pool: &PgPool, pair: &Pair) -> Result<()> {
    write(pool, pair, Guard::None).await.map(|_| ())
}

/// Saves `pair` only over the row as it was at `read_at` (None: only if it
/// is new); false when another writer saved it since.
pub(super) async fn save_over(
    pool: &PgPool,
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

async fn write(pool: &PgPool, pair: &Pair, guard: Guard) -> Result<bool> {
    const INSERT: &str = "INSERT INTO pairs (id, referral_id, opportunity_id, name, name_folded, state, snapshot, \
             referral_version, opportunity_version, last_error, last_pc_to_sf_at, last_sf_to_pc_at, \
             created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8, $9, $10, $11, $12, $13, $14)";
    const UPDATE: &str = "ON CONFLICT (id) DO UPDATE SET referral_id = EXCLUDED.referral_id, \
             opportunity_id = EXCLUDED.opportunity_id, name = EXCLUDED.name, \
             name_folded = EXCLUDED.name_folded, state = EXCLUDED.state, snapshot = EXCLUDED.snapshot, \
             referral_version = EXCLUDED.referral_version, \
             opportunity_version = EXCLUDED.opportunity_version, last_error = EXCLUDED.last_error, \
             last_pc_to_sf_at = EXCLUDED.last_pc_to_sf_at, last_sf_to_pc_at = EXCLUDED.last_sf_to_pc_at, \
             created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at";
    let (sql, read_at) = match guard {
        Guard::None => (format!("{INSERT} {UPDATE}"), None),
        Guard::ReadAt(None) => (format!("{INSERT} ON CONFLICT (id) DO NOTHING"), None),
        Guard::ReadAt(Some(at)) => (
            format!("{INSERT} {UPDATE} WHERE pairs.updated_at = $15"),
            Some(at),
        ),
    };
    let mut query = sqlx::query(&sql)
        .bind(pair.id)
        .bind(&pair.referral_id)
        .bind(&pair.opportunity_id)
        .bind(&pair.name)
        .bind(fold_name(&pair.name))
        .bind(pair.state.as_str())
        .bind(pair.snapshot.as_ref().map(codec::json_text))
        .bind(&pair.referral_version)
        .bind(&pair.opportunity_version)
        .bind(&pair.last_error)
        .bind(pair.last_pc_to_sf_at)
        .bind(pair.last_sf_to_pc_at)
        .bind(pair.created_at)
        .bind(pair.updated_at);
    if read_at.is_some() {
        query = query.bind(read_at);
    }
    match query.execute(pool).await {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(err) => Err(pair_conflict(pair, err.into())),
    }
}

pub(super) async fn by_id(pool: &PgPool, id: PairId) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(codec::pair).transpose()
}

pub(super) async fn by_referral(pool: &PgPool, referral_id: &str) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE referral_id = $1");
    let row = sqlx::query(&sql)
        .bind(referral_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(codec::pair).transpose()
}

pub(super) async fn by_opportunity(pool: &PgPool, opportunity_id: &str) -> Result<Option<Pair>> {
    let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs WHERE opportunity_key = $1");
    let row = sqlx::query(&sql)
        .bind(opportunity_key(opportunity_id))
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(codec::pair).transpose()
}

/// Pairs whose stored snapshot text holds `value` as a JSON string.
pub(super) async fn with_snapshot_string(pool: &PgPool, value: &str) -> Result<Vec<Pair>> {
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM pairs WHERE strpos(snapshot::text, $1) > 0 ORDER BY updated_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(shared::json_string(value))
        .fetch_all(pool)
        .await?;
    rows.iter().map(codec::pair).collect()
}

pub(super) async fn find(pool: &PgPool, query: &PairQuery) -> Result<Vec<Pair>> {
    let text = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM pairs \
         WHERE ($1::text IS NULL OR strpos(name_folded, $2) > 0 OR referral_id = $1 OR opportunity_key = $3) \
           AND ($4::text IS NULL OR state = $4) \
         ORDER BY updated_at DESC, id DESC LIMIT $5 OFFSET $6"
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

pub(super) async fn counts(pool: &PgPool) -> Result<BTreeMap<PairState, u64>> {
    let rows = sqlx::query_as("SELECT state, COUNT(*) AS n FROM pairs GROUP BY state")
        .fetch_all(pool)
        .await?;
    shared::pair_counts(rows)
}

/// The newest write time in each direction.
pub(super) async fn last_sync_times(pool: &PgPool) -> Result<LastSyncTimes> {
    let row = sqlx::query("SELECT MAX(last_pc_to_sf_at), MAX(last_sf_to_pc_at) FROM pairs")
        .fetch_one(pool)
        .await?;
    Ok(LastSyncTimes {
        pc_to_sf: row.try_get(0)?,
        sf_to_pc: row.try_get(1)?,
    })
}
