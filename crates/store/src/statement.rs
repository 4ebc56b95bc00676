//! SQL written once for both backends: a statement's text in the backend's
//! [`Dialect`] with the values it binds ([`Param`]), the upsert that saves a
//! record under a version [`Guard`], and what a flow needs from a backend:
//! how it runs a statement ([`Db`]) and reads a cell ([`DbRow`]). The flows
//! over it are [`crate::pairs`], [`crate::links`], [`crate::audit`] and
//! [`crate::credential_flows`].

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Result, StoreError};

/// How a backend spells what differs in its SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// Prefix of a numbered placeholder: `?` (SQLite `?1`) or `$` (PostgreSQL `$1`).
    pub mark: char,
    /// Appended to the placeholder of a JSON value bound as text.
    pub json_cast: &'static str,
    /// Appended to a JSON column to read it as the text it was stored as.
    pub json_text: &'static str,
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
    /// A record id, or NULL.
    Id(Option<Uuid>),
    /// A timestamp, or NULL.
    Time(Option<DateTime<Utc>>),
    /// An integer.
    Int(i64),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A boolean, or NULL.
    Bool(Option<bool>),
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
pub(crate) struct Binder {
    dialect: Dialect,
    params: Vec<Param>,
}

impl Binder {
    /// An empty statement in `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            params: Vec::new(),
        }
    }

    /// The SQL spelling it writes.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Adds a value; its placeholder, to use as often as needed.
    pub(crate) fn bind(&mut self, param: Param) -> String {
        let cast = match param {
            Param::Json(_) => self.dialect.json_cast,
            _ => "",
        };
        self.params.push(param);
        format!("{}{}{cast}", self.dialect.mark, self.params.len())
    }

    /// Adds text.
    pub(crate) fn text(&mut self, value: Option<impl Into<String>>) -> String {
        self.bind(Param::Text(value.map(Into::into)))
    }

    /// The statement: `sql` with the values added so far.
    pub(crate) fn statement(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.params,
        }
    }
}

/// Which stored row a save may replace.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Guard {
    /// Whichever is stored.
    Any,
    /// Only the row last updated at this time (None: only if none is stored).
    ReadAt(Option<DateTime<Utc>>),
}

/// Inserts `row` (its columns with their values, `id` first) into `table`,
/// or replaces the row stored with its id when `guard` allows; the
/// statement changes one row when it wrote and none when the guard refused.
pub(crate) fn upsert(
    dialect: Dialect,
    table: &str,
    row: impl IntoIterator<Item = (&'static str, Param)>,
    guard: Guard,
) -> Statement {
    let mut binder = Binder::new(dialect);
    let (columns, values): (Vec<_>, Vec<_>) = row
        .into_iter()
        .map(|(column, value)| (column, binder.bind(value)))
        .unzip();
    let replace = || {
        let set: Vec<_> = columns[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!("DO UPDATE SET {}", set.join(", "))
    };
    let on_conflict = match guard {
        Guard::Any => replace(),
        Guard::ReadAt(None) => "DO NOTHING".to_owned(),
        Guard::ReadAt(Some(at)) => {
            let read_at = binder.bind(Param::Time(Some(at)));
            format!("{} WHERE {table}.updated_at = {read_at}", replace())
        }
    };
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (id) {on_conflict}",
        columns.join(", "),
        values.join(", ")
    );
    binder.statement(sql)
}

/// A backend's way of running statements.
pub(crate) trait Db: Sync {
    /// A row it returns.
    type Row: DbRow + Send;
    /// Its SQL spelling.
    const DIALECT: Dialect;
    /// Runs a write; how many rows it changed.
    fn execute(&self, statement: Statement) -> impl Future<Output = Result<u64>> + Send;
    /// Runs a query; its rows.
    fn fetch(&self, statement: Statement) -> impl Future<Output = Result<Vec<Self::Row>>> + Send;
}

/// A backend's row, read by column name.
pub(crate) trait DbRow {
    /// A record id, or NULL.
    fn id(&self, column: &str) -> Result<Option<Uuid>>;
    /// Text, or NULL.
    fn text(&self, column: &str) -> Result<Option<String>>;
    /// A JSON document, or NULL.
    fn json(&self, column: &str) -> Result<Option<serde_json::Value>>;
    /// A timestamp, or NULL.
    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>>;
    /// An integer.
    fn int(&self, column: &str) -> Result<i64>;
    /// Bytes, or NULL.
    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>>;
    /// A boolean, or NULL.
    fn bool(&self, column: &str) -> Result<Option<bool>>;
}

/// The value of a NOT NULL column.
pub(crate) fn required<T>(column: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| StoreError::corrupt(column, "NULL"))
}

/// A stored spelling parsed by `parse`.
pub(crate) fn parsed<T>(
    row: &impl DbRow,
    column: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    let text = required(column, row.text(column)?)?;
    parse(&text).ok_or_else(|| StoreError::corrupt(column, format!("unknown {text:?}")))
}

/// Runs a query and decodes each row.
pub(crate) async fn fetch_as<D: Db, T>(
    db: &D,
    statement: Statement,
    decode: impl Fn(&D::Row) -> Result<T>,
) -> Result<Vec<T>> {
    db.fetch(statement).await?.iter().map(decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTGRES: Dialect = Dialect {
        mark: '$',
        json_cast: "::json",
        json_text: "::text",
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
    fn a_guarded_save_replaces_only_the_version_it_read() {
        let row = || [("id", Param::Id(None)), ("name", Param::Text(None))];
        let any = upsert(POSTGRES, "t", row(), Guard::Any);
        assert_eq!(
            any.sql,
            "INSERT INTO t (id, name) VALUES ($1, $2) ON CONFLICT (id) \
             DO UPDATE SET name = excluded.name"
        );
        let new = upsert(POSTGRES, "t", row(), Guard::ReadAt(None));
        assert!(new.sql.ends_with("ON CONFLICT (id) DO NOTHING"));
        let over = upsert(POSTGRES, "t", row(), Guard::ReadAt(Some(Utc::now())));
        assert!(over.sql.ends_with("WHERE t.updated_at = $3"));
        assert_eq!(over.params.len(), 3);
    }
}
