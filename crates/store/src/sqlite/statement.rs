//! Statements on SQLite: how a value is bound and a cell read (see
//! [`crate::statement`]; the statements are in [`crate::pairs`],
//! [`crate::links`], [`crate::audit`] and [`crate::credential_flows`]).

use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqlitePool};
use uuid::Uuid;

use super::codec;
use crate::statement::{Db, DbRow, Dialect, Param, Statement};
use crate::Result;

/// `statement` with its values bound: ids as text, timestamps as microseconds.
pub(super) fn query(statement: &Statement) -> Query<'_, Sqlite, SqliteArguments<'_>> {
    statement
        .params
        .iter()
        .fold(sqlx::query(&statement.sql), |query, param| match param {
            Param::Text(text) | Param::Json(text) => query.bind(text.as_deref()),
            Param::Id(id) => query.bind(id.map(|id| id.to_string())),
            Param::Time(at) => query.bind(at.map(codec::micros)),
            Param::Int(n) => query.bind(*n),
            Param::Bytes(bytes) => query.bind(bytes.as_slice()),
            Param::Bool(b) => query.bind(*b),
        })
}

impl Db for SqlitePool {
    type Row = SqliteRow;
    const DIALECT: Dialect = Dialect {
        mark: '?',
        json_cast: "",
        json_text: "",
        position: "instr",
    };

    async fn execute(&self, statement: Statement) -> Result<u64> {
        Ok(query(&statement).execute(self).await?.rows_affected())
    }

    async fn fetch(&self, statement: Statement) -> Result<Vec<SqliteRow>> {
        Ok(query(&statement).fetch_all(self).await?)
    }
}

impl DbRow for SqliteRow {
    fn id(&self, column: &str) -> Result<Option<Uuid>> {
        codec::opt_uuid(self, column)
    }

    fn text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }

    fn json(&self, column: &str) -> Result<Option<serde_json::Value>> {
        codec::opt_json(self, column)
    }

    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        codec::opt_time(self, column)
    }

    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.try_get(column)?)
    }

    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(column)?)
    }

    fn bool(&self, column: &str) -> Result<Option<bool>> {
        Ok(self.try_get(column)?)
    }
}
