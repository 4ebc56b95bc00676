//! Statements on PostgreSQL: how a value is bound and a cell read (see
//! [`crate::statement`]; the statements are in [`crate::pairs`],
//! [`crate::links`], [`crate::audit`] and [`crate::credential_flows`]).

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgPool, Postgres, Row};
use uuid::Uuid;

use crate::statement::{Db, DbRow, Dialect, Param, Statement};
use crate::Result;

/// `statement` with its values bound in their native types (JSON as text,
/// cast in the SQL so key order is kept).
pub(super) fn query(statement: &Statement) -> Query<'_, Postgres, PgArguments> {
    statement
        .params
        .iter()
        .fold(sqlx::query(&statement.sql), |query, param| match param {
            Param::Text(text) | Param::Json(text) => query.bind(text.as_deref()),
            Param::Id(id) => query.bind(*id),
            Param::Time(at) => query.bind(*at),
            Param::Int(n) => query.bind(*n),
            Param::Bytes(bytes) => query.bind(bytes.as_slice()),
            Param::Bool(b) => query.bind(*b),
        })
}

impl Db for PgPool {
    type Row = PgRow;
    const DIALECT: Dialect = Dialect {
        mark: '$',
        json_cast: "::json",
        json_text: "::text",
        position: "strpos",
    };

    async fn execute(&self, statement: Statement) -> Result<u64> {
        Ok(query(&statement).execute(self).await?.rows_affected())
    }

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>> {
        Ok(query(&statement).fetch_all(self).await?)
    }
}

impl DbRow for PgRow {
    fn id(&self, column: &str) -> Result<Option<Uuid>> {
        Ok(self.try_get(column)?)
    }

    fn text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }

    fn json(&self, column: &str) -> Result<Option<serde_json::Value>> {
        Ok(self.try_get(column)?)
    }

    fn time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }

    fn int(&self, column: &str) -> Result<i64> {
        // BIGINT (counts) or INTEGER (attempts).
        match self.try_get::<i64, _>(column) {
            Ok(value) => Ok(value),
            Err(_) => Ok(i64::from(self.try_get::<i32, _>(column)?)),
        }
    }

    fn bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(column)?)
    }

    fn bool(&self, column: &str) -> Result<Option<bool>> {
        Ok(self.try_get(column)?)
    }
}
