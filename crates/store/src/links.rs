//! Cloud links, written once for both backends: every statement's SQL
//! (built with [`crate::statement`]), how a row becomes a [`CloudLink`], and
//! the rules around them: the version guard of a save, the 15/18-character
//! opportunity lookup, what search text matches, and which id a conflict
//! names. Each backend supplies only how it runs a statement and reads a
//! cell ([`Db`], [`DbRow`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::pairs::{state_counts, Search};
use crate::shared::{fold_name, opportunity_key};
use crate::statement::{
    fetch_as, parsed, required, upsert, Binder, Db, DbRow, Guard, Param, Statement,
};
use crate::{Cloud, CloudLink, PairQuery, PairState, Result, StoreError};

/// The table.
const TABLE: &str = "cloud_links";

/// Columns a link is read from.
const COLUMNS: &str = "id, cloud, opportunity_id, remote_id, invitation_id, client_token, name, \
     state, review_status, snapshot, remote_version, last_error, last_synced_at, created_at, \
     updated_at";

/// The unique indexes' columns and how a conflict message names the id.
const UNIQUE_IDS: [(&str, &str); 3] = [
    ("opportunity_key", "opportunity"),
    ("remote_id", "remote opportunity"),
    ("invitation_id", "invitation"),
];

/// A `cloud_links` row.
fn decode(row: &impl DbRow) -> Result<CloudLink> {
    Ok(CloudLink {
        id: required("id", row.id("id")?)?,
        cloud: parsed(row, "cloud", Cloud::parse)?,
        opportunity_id: row.text("opportunity_id")?,
        remote_id: row.text("remote_id")?,
        invitation_id: row.text("invitation_id")?,
        client_token: row.text("client_token")?,
        name: required("name", row.text("name")?)?,
        state: parsed(row, "state", PairState::parse)?,
        review_status: row.text("review_status")?,
        snapshot: row.json("snapshot")?,
        remote_version: row.text("remote_version")?,
        last_error: row.text("last_error")?,
        last_synced_at: row.time("last_synced_at")?,
        created_at: required("created_at", row.time("created_at")?)?,
        updated_at: required("updated_at", row.time("updated_at")?)?,
    })
}

/// Runs a query of links.
async fn links<D: Db>(db: &D, statement: Statement) -> Result<Vec<CloudLink>> {
    fetch_as(db, statement, decode).await
}

/// The stored columns of `link` with their values (`id` first).
fn stored(link: &CloudLink) -> [(&'static str, Param); 16] {
    let text = |value: &Option<String>| Param::Text(value.clone());
    [
        ("id", Param::Id(Some(link.id))),
        ("cloud", Param::Text(Some(link.cloud.as_str().to_owned()))),
        ("opportunity_id", text(&link.opportunity_id)),
        ("remote_id", text(&link.remote_id)),
        ("invitation_id", text(&link.invitation_id)),
        ("client_token", text(&link.client_token)),
        ("name", Param::Text(Some(link.name.clone()))),
        ("name_folded", Param::Text(Some(fold_name(&link.name)))),
        ("state", Param::Text(Some(link.state.as_str().to_owned()))),
        ("review_status", text(&link.review_status)),
        (
            "snapshot",
            Param::Json(link.snapshot.as_ref().map(|s| s.to_string())),
        ),
        ("remote_version", text(&link.remote_version)),
        ("last_error", text(&link.last_error)),
        ("last_synced_at", Param::Time(link.last_synced_at)),
        ("created_at", Param::Time(Some(link.created_at))),
        ("updated_at", Param::Time(Some(link.updated_at))),
    ]
}

/// Saves `link` only over the row as it was at `read_at` (None: only if it
/// is new); false when another writer saved it since. Its `updated_at` is
/// stored as given: the caller stamps it.
pub(crate) async fn save_over<D: Db>(
    db: &D,
    link: &CloudLink,
    read_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let statement = upsert(D::DIALECT, TABLE, stored(link), Guard::ReadAt(read_at));
    match db.execute(statement).await {
        Ok(changed) => Ok(changed == 1),
        Err(err) => Err(conflict(link, err)),
    }
}

/// Explains a unique violation while saving `link` by naming the id that is
/// already linked to another link of its cloud; other errors pass through.
fn conflict(link: &CloudLink, err: StoreError) -> StoreError {
    let StoreError::Conflict(detail) = err else {
        return err;
    };
    let ids = [&link.opportunity_id, &link.remote_id, &link.invitation_id];
    let taken = UNIQUE_IDS
        .iter()
        .zip(ids)
        .find(|((column, _), _)| detail.contains(column))
        .and_then(|((_, what), id)| Some(format!("{what} {}", id.as_deref()?)));
    StoreError::Conflict(match taken {
        Some(taken) => format!(
            "{taken} is already linked to another {} link",
            link.cloud.as_str()
        ),
        None => detail,
    })
}

/// The link with this id.
pub(crate) async fn by_id<D: Db>(db: &D, id: Uuid) -> Result<Option<CloudLink>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE id = {}",
        binder.bind(Param::Id(Some(id)))
    );
    Ok(links(db, binder.statement(sql)).await?.pop())
}

/// An id naming at most one link of a cloud.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LinkKey<'a> {
    /// A Salesforce opportunity id, 15 or 18 characters.
    Opportunity(&'a str),
    /// The cloud's opportunity id.
    Remote(&'a str),
    /// The engagement invitation id.
    Invitation(&'a str),
}

impl LinkKey<'_> {
    /// The uniquely indexed column and the value it holds for this key.
    fn column_value(self) -> (&'static str, String) {
        match self {
            Self::Opportunity(id) => ("opportunity_key", opportunity_key(id)),
            Self::Remote(id) => ("remote_id", id.to_owned()),
            Self::Invitation(id) => ("invitation_id", id.to_owned()),
        }
    }
}

/// The link of `cloud` that `key` names.
pub(crate) async fn by_key<D: Db>(
    db: &D,
    cloud: Cloud,
    key: LinkKey<'_>,
) -> Result<Option<CloudLink>> {
    let (column, value) = key.column_value();
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE cloud = {} AND {column} = {}",
        binder.text(Some(cloud.as_str())),
        binder.text(Some(value))
    );
    Ok(links(db, binder.statement(sql)).await?.pop())
}

/// Links of `cloud` matching `query`, most recently updated first.
pub(crate) async fn find<D: Db>(db: &D, cloud: Cloud, query: &PairQuery) -> Result<Vec<CloudLink>> {
    let mut b = Binder::new(D::DIALECT);
    let cloud = b.text(Some(cloud.as_str()));
    let search = Search::bind(&mut b, query);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE cloud = {cloud} AND {} {}",
        search.filter(&["remote_id", "invitation_id"]),
        search.page()
    );
    links(db, b.statement(sql)).await
}

/// Links of `cloud` per state, every state present.
pub(crate) async fn counts<D: Db>(db: &D, cloud: Cloud) -> Result<BTreeMap<PairState, u64>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT state, COUNT(*) AS n FROM {TABLE} WHERE cloud = {} GROUP BY state",
        binder.text(Some(cloud.as_str()))
    );
    state_counts(db, binder.statement(sql)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_names_the_id_already_taken() {
        let mut link = CloudLink::new(Cloud::Aws, "Deal");
        link.remote_id = Some("O123".into());
        let sqlite = StoreError::Conflict(
            "UNIQUE constraint failed: cloud_links.cloud, cloud_links.remote_id".into(),
        );
        let postgres = StoreError::Conflict(
            "duplicate key value violates unique constraint \"cloud_links_remote_id\"".into(),
        );
        for err in [sqlite, postgres] {
            let StoreError::Conflict(message) = conflict(&link, err) else {
                panic!("still a conflict");
            };
            assert_eq!(
                message,
                "remote opportunity O123 is already linked to another aws link"
            );
        }
    }
}
