//! Cloud links, written once for both backends: every statement's SQL (in
//! the backend's [`Dialect`]) and the values it binds ([`Param`]), how a row
//! becomes a [`CloudLink`], and the rules around them: the version guard of
//! a save, the 15/18-character opportunity lookup, what search text
//! matches, and which id a conflict names. Each backend supplies only how
//! it binds a value and runs a statement ([`LinkDb`]) and how it reads a
//! cell ([`LinkRow`]).

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::shared::{fold_name, opportunity_key, opportunity_key_of_text, pair_counts, sql_limit};
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

/// How a backend spells what differs in its SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// Prefix of a numbered placeholder: `?` (SQLite `?1`) or `$` (PostgreSQL `$1`).
    pub mark: char,
    /// Appended to the placeholder of a JSON value bound as text.
    pub json_cast: &'static str,
    /// Function `f(haystack, needle)`: the 1-based position of `needle`, 0 when absent.
    pub position: &'static str,
}

/// A value a statement binds.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    /// Text, or NULL.
    Text(Option<String>),
    /// A JSON document as text, or NULL.
    Json(Option<String>),
    /// A record id.
    Id(Uuid),
    /// A timestamp, or NULL.
    Time(Option<DateTime<Utc>>),
    /// An integer.
    Int(i64),
}

/// SQL with its values, in placeholder order.
#[derive(Debug)]
pub(crate) struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The value of placeholder `n` is `params[n - 1]`.
    pub params: Vec<Param>,
}

/// Collects the values of a statement being written, naming their placeholders.
struct Binder {
    dialect: Dialect,
    params: Vec<Param>,
}

impl Binder {
    fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            params: Vec::new(),
        }
    }

    /// Adds a value; its placeholder, to use as often as needed.
    fn bind(&mut self, param: Param) -> String {
        let cast = match param {
            Param::Json(_) => self.dialect.json_cast,
            _ => "",
        };
        self.params.push(param);
        format!("{}{}{cast}", self.dialect.mark, self.params.len())
    }

    /// Adds text.
    fn text(&mut self, value: Option<impl Into<String>>) -> String {
        self.bind(Param::Text(value.map(Into::into)))
    }

    fn statement(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.params,
        }
    }
}

/// A backend's statements on cloud links.
pub(crate) trait LinkDb: Sync {
    /// A row it returns.
    type Row: LinkRow + Send;
    /// Its SQL spelling.
    const DIALECT: Dialect;
    /// Runs a write; how many rows it changed.
    fn execute(&self, statement: Statement) -> impl Future<Output = Result<u64>> + Send;
    /// Runs a query; its rows.
    fn fetch(&self, statement: Statement) -> impl Future<Output = Result<Vec<Self::Row>>> + Send;
}

/// A backend's row, read by column name.
pub(crate) trait LinkRow {
    /// A record id.
    fn id(&self, column: &str) -> Result<Uuid>;
    /// Text, or NULL.
    fn text(&self, column: &str) -> Result<Option<String>>;
    /// A JSON document, or NULL.
    fn json(&self, column: &str) -> Result<Option<serde_json::Value>>;
    /// A timestamp, or NULL.
    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>>;
    /// An integer.
    fn int(&self, column: &str) -> Result<i64>;
}

/// The value of a NOT NULL column.
fn required<T>(column: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| StoreError::corrupt(column, "NULL"))
}

/// A stored spelling parsed by `parse`.
fn parsed<T>(row: &impl LinkRow, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let text = required(column, row.text(column)?)?;
    parse(&text).ok_or_else(|| StoreError::corrupt(column, format!("unknown {text:?}")))
}

/// A `cloud_links` row.
fn decode(row: &impl LinkRow) -> Result<CloudLink> {
    Ok(CloudLink {
        id: row.id("id")?,
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
async fn links<D: LinkDb>(db: &D, statement: Statement) -> Result<Vec<CloudLink>> {
    db.fetch(statement).await?.iter().map(decode).collect()
}

/// The stored columns of `link` with their values (`id` first).
fn stored(link: &CloudLink) -> [(&'static str, Param); 16] {
    let text = |value: &Option<String>| Param::Text(value.clone());
    [
        ("id", Param::Id(link.id)),
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
pub(crate) async fn save_over<D: LinkDb>(
    db: &D,
    link: &CloudLink,
    read_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let mut binder = Binder::new(D::DIALECT);
    let (columns, values): (Vec<_>, Vec<_>) = stored(link)
        .into_iter()
        .map(|(column, value)| (column, binder.bind(value)))
        .unzip();
    let on_conflict = match read_at {
        None => "DO NOTHING".to_owned(),
        Some(at) => {
            let set: Vec<_> = columns[1..]
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let read_at = binder.bind(Param::Time(Some(at)));
            format!(
                "DO UPDATE SET {} WHERE {TABLE}.updated_at = {read_at}",
                set.join(", ")
            )
        }
    };
    let sql = format!(
        "INSERT INTO {TABLE} ({}) VALUES ({}) ON CONFLICT (id) {on_conflict}",
        columns.join(", "),
        values.join(", ")
    );
    match db.execute(binder.statement(sql)).await {
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
pub(crate) async fn by_id<D: LinkDb>(db: &D, id: Uuid) -> Result<Option<CloudLink>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE id = {}",
        binder.bind(Param::Id(id))
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
pub(crate) async fn by_key<D: LinkDb>(
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
pub(crate) async fn find<D: LinkDb>(
    db: &D,
    cloud: Cloud,
    query: &PairQuery,
) -> Result<Vec<CloudLink>> {
    let text = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut b = Binder::new(D::DIALECT);
    let (cloud, text_p) = (b.text(Some(cloud.as_str())), b.text(text));
    let (folded, key) = (
        b.text(text.map(fold_name)),
        b.text(text.and_then(opportunity_key_of_text)),
    );
    let state = b.text(query.state.map(PairState::as_str));
    let (limit, offset) = (
        b.bind(Param::Int(sql_limit(query.limit))),
        b.bind(Param::Int(i64::from(query.offset))),
    );
    let position = D::DIALECT.position;
    let sql = format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE cloud = {cloud} \
           AND (CAST({text_p} AS TEXT) IS NULL OR {position}(name_folded, {folded}) > 0 \
                OR remote_id = {text_p} OR invitation_id = {text_p} OR opportunity_key = {key}) \
           AND (CAST({state} AS TEXT) IS NULL OR state = {state}) \
         ORDER BY updated_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
    );
    links(db, b.statement(sql)).await
}

/// Links of `cloud` per state, every state present.
pub(crate) async fn counts<D: LinkDb>(db: &D, cloud: Cloud) -> Result<BTreeMap<PairState, u64>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT state, COUNT(*) AS n FROM {TABLE} WHERE cloud = {} GROUP BY state",
        binder.text(Some(cloud.as_str()))
    );
    let rows = db.fetch(binder.statement(sql)).await?;
    let rows = rows
        .iter()
        .map(|row| Ok((required("state", row.text("state")?)?, row.int("n")?)))
        .collect::<Result<_>>()?;
    pair_counts(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTGRES: Dialect = Dialect {
        mark: '$',
        json_cast: "::json",
        position: "strpos",
    };

    #[test]
    fn placeholders_number_values_in_order_and_cast_json() {
        let mut binder = Binder::new(POSTGRES);
        assert_eq!(binder.text(Some("a")), "$1");
        assert_eq!(binder.bind(Param::Json(None)), "$2::json");
        assert_eq!(binder.bind(Param::Int(3)), "$3");
        assert_eq!(binder.statement(String::new()).params.len(), 3);
    }

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
