//! Pairs, written once for both backends: every statement's SQL (built with
//! [`crate::statement`]), how a row becomes a [`Pair`], and the rules around
//! them: the version guard of a save, the 15/18-character opportunity
//! lookup, what search text matches ([`Search`], shared with cloud links),
//! and which id a conflict names. Each backend supplies only how it runs a
//! statement and reads a cell ([`Db`], [`DbRow`]).

use std::collections::BTreeMap;

use crate::shared::{
    fold_name, json_string, opportunity_key, opportunity_key_of_text, pair_counts, sql_limit,
};
use crate::statement::{
    fetch_as, parsed, required, upsert, Binder, Db, DbRow, Dialect, Guard, Param, Statement,
};
use chrono::{DateTime, Utc};

use crate::flows::{JobDb, JobTx};
use crate::{AuditEntry, LastSyncTimes, Pair, PairId, PairQuery, PairState, Result, StoreError};

/// The table.
const TABLE: &str = "pairs";

/// Columns a pair is read from.
const COLUMNS: &str = "id, referral_id, opportunity_id, name, state, snapshot, referral_version, \
     opportunity_version, last_error, last_pc_to_sf_at, last_sf_to_pc_at, created_at, updated_at";

/// Newest first, ties by id: the order of every list of pairs and links.
const NEWEST_FIRST: &str = "ORDER BY updated_at DESC, id DESC";

/// A `pairs` row.
fn decode(row: &impl DbRow) -> Result<Pair> {
    Ok(Pair {
        id: required("id", row.id("id")?)?,
        referral_id: row.text("referral_id")?,
        opportunity_id: row.text("opportunity_id")?,
        name: required("name", row.text("name")?)?,
        state: parsed(row, "state", PairState::parse)?,
        snapshot: row.json("snapshot")?,
        referral_version: row.text("referral_version")?,
        opportunity_version: row.text("opportunity_version")?,
        last_error: row.text("last_error")?,
        last_pc_to_sf_at: row.time("last_pc_to_sf_at")?,
        last_sf_to_pc_at: row.time("last_sf_to_pc_at")?,
        created_at: required("created_at", row.time("created_at")?)?,
        updated_at: required("updated_at", row.time("updated_at")?)?,
    })
}

/// Runs a query of pairs.
async fn pairs<D: Db>(db: &D, statement: Statement) -> Result<Vec<Pair>> {
    fetch_as(db, statement, decode).await
}

/// The stored columns of `pair` with their values (`id` first).
fn stored(pair: &Pair) -> [(&'static str, Param); 14] {
    let text = |value: &Option<String>| Param::Text(value.clone());
    [
        ("id", Param::Id(Some(pair.id))),
        ("referral_id", text(&pair.referral_id)),
        ("opportunity_id", text(&pair.opportunity_id)),
        ("name", Param::Text(Some(pair.name.clone()))),
        ("name_folded", Param::Text(Some(fold_name(&pair.name)))),
        ("state", Param::Text(Some(pair.state.as_str().to_owned()))),
        (
            "snapshot",
            Param::Json(pair.snapshot.as_ref().map(|s| s.to_string())),
        ),
        ("referral_version", text(&pair.referral_version)),
        ("opportunity_version", text(&pair.opportunity_version)),
        ("last_error", text(&pair.last_error)),
        ("last_pc_to_sf_at", Param::Time(pair.last_pc_to_sf_at)),
        ("last_sf_to_pc_at", Param::Time(pair.last_sf_to_pc_at)),
        ("created_at", Param::Time(Some(pair.created_at))),
        ("updated_at", Param::Time(Some(pair.updated_at))),
    ]
}

/// Saves `pair` over the row `guard` allows; false when it refused.
pub(crate) async fn save<D: Db>(db: &D, pair: &Pair, guard: Guard) -> Result<bool> {
    match db
        .execute(upsert(D::DIALECT, TABLE, stored(pair), guard))
        .await
    {
        Ok(changed) => Ok(changed == 1),
        Err(err) => Err(conflict(pair, err)),
    }
}

/// Saves `pair` over the row last updated at `read_at` (None: only if none
/// is stored) and appends `entries` in one transaction: both or neither.
/// False when the guard refused; nothing is written then.
pub(crate) async fn save_with_audit<D: Db + JobDb>(
    db: &D,
    pair: &Pair,
    read_at: Option<DateTime<Utc>>,
    entries: &[AuditEntry],
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let saved = tx
        .execute(upsert(
            D::DIALECT,
            TABLE,
            stored(pair),
            Guard::ReadAt(read_at),
        ))
        .await;
    let changed = match saved {
        Ok(changed) => changed,
        Err(err) => {
            tx.rollback().await?;
            return Err(conflict(pair, err));
        }
    };
    if changed != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    for entry in entries {
        tx.execute(crate::audit::insert::<D>(entry)).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Explains a unique violation while saving `pair` by naming the id that is
/// already linked to another pair; other errors pass through.
fn conflict(pair: &Pair, err: StoreError) -> StoreError {
    let StoreError::Conflict(detail) = err else {
        return err;
    };
    let which = if detail.contains("referral") {
        pair.referral_id
            .as_deref()
            .map(|id| format!("referral {id}"))
    } else if detail.contains("opportunity") {
        pair.opportunity_id
            .as_deref()
            .map(|id| format!("opportunity {id}"))
    } else {
        None
    };
    StoreError::Conflict(match which {
        Some(what) => format!("{what} is already linked to another pair"),
        None => detail,
    })
}

/// The pair with this id.
pub(crate) async fn by_id<D: Db>(db: &D, id: PairId) -> Result<Option<Pair>> {
    by_column(db, "id", Param::Id(Some(id))).await
}

/// The pair linked to this Partner Center referral id.
pub(crate) async fn by_referral<D: Db>(db: &D, referral_id: &str) -> Result<Option<Pair>> {
    by_column(db, "referral_id", Param::Text(Some(referral_id.to_owned()))).await
}

/// The pair linked to this opportunity id, 15 or 18 characters.
pub(crate) async fn by_opportunity<D: Db>(db: &D, opportunity_id: &str) -> Result<Option<Pair>> {
    let key = Param::Text(Some(opportunity_key(opportunity_id)));
    by_column(db, "opportunity_key", key).await
}

/// The pair whose uniquely indexed `column` holds `value`.
async fn by_column<D: Db>(db: &D, column: &str, value: Param) -> Result<Option<Pair>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE {column} = {}",
        binder.bind(value)
    );
    Ok(pairs(db, binder.statement(sql)).await?.pop())
}

/// Pairs whose stored snapshot text holds `value` as a JSON string.
pub(crate) async fn with_snapshot_string<D: Db>(db: &D, value: &str) -> Result<Vec<Pair>> {
    let mut binder = Binder::new(D::DIALECT);
    let Dialect {
        position,
        json_text,
        ..
    } = D::DIALECT;
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE {position}(snapshot{json_text}, {}) > 0 {NEWEST_FIRST}",
        binder.text(Some(json_string(value)))
    );
    pairs(db, binder.statement(sql)).await
}

/// Pairs matching `query`, most recently updated first.
pub(crate) async fn find<D: Db>(db: &D, query: &PairQuery) -> Result<Vec<Pair>> {
    let mut binder = Binder::new(D::DIALECT);
    let search = Search::bind(&mut binder, query);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE {} {}",
        search.filter(&["referral_id"]),
        search.page()
    );
    pairs(db, binder.statement(sql)).await
}

/// Pairs per state, every state present.
pub(crate) async fn counts<D: Db>(db: &D) -> Result<BTreeMap<PairState, u64>> {
    let sql = format!("SELECT state, COUNT(*) AS n FROM {TABLE} GROUP BY state");
    state_counts(db, Binder::new(D::DIALECT).statement(sql)).await
}

/// The newest write time in each direction.
pub(crate) async fn last_sync_times<D: Db>(db: &D) -> Result<LastSyncTimes> {
    let sql = format!(
        "SELECT MAX(last_pc_to_sf_at) AS pc_to_sf, MAX(last_sf_to_pc_at) AS sf_to_pc FROM {TABLE}"
    );
    let rows = db.fetch(Binder::new(D::DIALECT).statement(sql)).await?;
    let row = required("MAX", rows.first())?;
    Ok(LastSyncTimes {
        pc_to_sf: row.time("pc_to_sf")?,
        sf_to_pc: row.time("sf_to_pc")?,
    })
}

/// Per-state counts from a `SELECT state, COUNT(*) AS n ... GROUP BY state`
/// of pairs or links, every state present (0 when none).
pub(crate) async fn state_counts<D: Db>(
    db: &D,
    statement: Statement,
) -> Result<BTreeMap<PairState, u64>> {
    let rows = fetch_as(db, statement, |row| {
        Ok((required("state", row.text("state")?)?, row.int("n")?))
    })
    .await?;
    pair_counts(rows)
}

/// A [`PairQuery`] bound into a statement: what filters and pages rows of
/// pairs or links (tables with `name_folded`, `opportunity_key`, `state`,
/// `updated_at` and `id`).
pub(crate) struct Search {
    /// Its `position` function.
    position: &'static str,
    text: String,
    folded: String,
    key: String,
    state: String,
    limit: String,
    offset: String,
}

impl Search {
    /// Binds the values of `query`: its trimmed text (none when blank) as
    /// given, case-folded and as the opportunity key it may name; its state;
    /// its page.
    pub(crate) fn bind(binder: &mut Binder, query: &PairQuery) -> Self {
        let text = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        Self {
            position: binder.dialect().position,
            text: binder.text(text),
            folded: binder.text(text.map(fold_name)),
            key: binder.text(text.and_then(opportunity_key_of_text)),
            state: binder.text(query.state.map(PairState::as_str)),
            limit: binder.bind(Param::Int(sql_limit(query.limit))),
            offset: binder.bind(Param::Int(i64::from(query.offset))),
        }
    }

    /// The condition a row meets: without text, any; with text, its folded
    /// name contains it, one of `ids` (columns) equals it, or its opportunity
    /// key is the one the text names; and its state is the one asked for, if
    /// any.
    pub(crate) fn filter(&self, ids: &[&str]) -> String {
        let Self {
            position,
            text,
            folded,
            key,
            state,
            ..
        } = self;
        let ids: String = ids
            .iter()
            .map(|column| format!(" OR {column} = {text}"))
            .collect();
        format!(
            "(CAST({text} AS TEXT) IS NULL OR {position}(name_folded, {folded}) > 0{ids} \
               OR opportunity_key = {key}) \
             AND (CAST({state} AS TEXT) IS NULL OR state = {state})"
        )
    }

    /// Newest first, the page asked for.
    pub(crate) fn page(&self) -> String {
        format!("{NEWEST_FIRST} LIMIT {} OFFSET {}", self.limit, self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_names_the_id_already_taken() {
        let mut pair = Pair::new("Deal");
        pair.referral_id = Some("R1".into());
        let sqlite = StoreError::Conflict("UNIQUE constraint failed: pairs.referral_id".into());
        let postgres = StoreError::Conflict(
            "duplicate key value violates unique constraint \"pairs_referral_id_key\"".into(),
        );
        for err in [sqlite, postgres] {
            let StoreError::Conflict(message) = conflict(&pair, err) else {
                panic!("still a conflict");
            };
            assert_eq!(message, "referral R1 is already linked to another pair");
        }
    }
}
