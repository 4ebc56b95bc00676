//! A strict SOQL subset for the Salesforce emulator: parse a query, resolve it
//! against the org's schema ([`Catalog`]) and evaluate it over stored records.
//!
//! Supported: `SELECT field_list FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]
//! [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]`, parent relationship paths,
//! `COUNT()` and `COUNT(field)`, `AND`/`OR`/`NOT`, comparisons, `[NOT] IN`,
//! `LIKE`, and string, number, boolean, null, date, datetime and relative date
//! literals. Errors carry Salesforce's codes (`MALFORMED_QUERY`,
//! `INVALID_FIELD`, `INVALID_TYPE`, …) and HTTP status 400.

mod ast;
mod errors;
mod eval;
mod lexer;
mod parser;
mod strings;
mod value;

use serde_json::{Map, Value};

pub use ast::{
    CompareOp, Condition, DateRange, FieldPath, LikeElem, Literal, OrderKey, Query, SelectItem,
};
pub use errors::{SoqlError, SoqlErrorCode, SOQL_ERROR_STATUS};
pub use eval::{execute, execute_at, prepare, Prepared};
pub use strings::{escape_like, escape_string};

/// A stored record: canonical field names to JSON values (dates as
/// `YYYY-MM-DD`, datetimes as `2021-11-06T17:38:40.000+0000`).
pub type Record = Map<String, Value>;

/// Field data types the evaluator distinguishes (describe `type` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `id`: the record's own 18-char ID.
    Id,
    /// `string`
    String,
    /// `textarea`
    TextArea,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `url`
    Url,
    /// `picklist`
    Picklist,
    /// `boolean`
    Boolean,
    /// `int`
    Int,
    /// `double`
    Double,
    /// `currency`
    Currency,
    /// `percent`
    Percent,
    /// `date` (`YYYY-MM-DD`)
    Date,
    /// `datetime`
    DateTime,
    /// `reference`: an ID pointing at another record.
    Reference,
}

impl FieldKind {
    /// True for the kinds compared as text (case-insensitively).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String | Self::TextArea | Self::Email | Self::Phone | Self::Url | Self::Picklist
        )
    }

    /// True for numeric kinds.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Int | Self::Double | Self::Currency | Self::Percent
        )
    }

    /// True for record-ID kinds.
    pub fn is_id(self) -> bool {
        matches!(self, Self::Id | Self::Reference)
    }
}

/// Schema facts about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMeta {
    /// Canonical API name, e.g. `CloseDate`.
    pub name: String,
    /// Data type.
    pub kind: FieldKind,
    /// False when WHERE cannot use it (long text areas).
    pub filterable: bool,
}

/// A parent relationship from one object to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipMeta {
    /// Canonical relationship name as it appears in paths and results (`Account`, `Owner`, `Parent__r`).
    pub name: String,
    /// Canonical name of the parent object (`Account`, `User`).
    pub target: String,
    /// Canonical name of the ID field holding the parent's ID (`AccountId`).
    pub id_field: String,
}

/// The org schema and parent-record lookup the evaluator needs; the server implements it.
pub trait Catalog {
    /// Canonical API name of an object (case-insensitive lookup), None if unknown.
    fn object(&self, name: &str) -> Option<String>;
    /// Field metadata on canonical `object` (case-insensitive field name), None if no such field.
    fn field(&self, object: &str, field: &str) -> Option<FieldMeta>;
    /// Parent relationship `name` (case-insensitive) on canonical `object`, None if none.
    fn relationship(&self, object: &str, name: &str) -> Option<RelationshipMeta>;
    /// A record of canonical `object` by ID (15 or 18 chars), for following relationships.
    fn record(&self, object: &str, id: &str) -> Option<Record>;
}

/// What a query answers.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryOutput {
    /// Records shaped as the REST API returns them (`attributes` first, then
    /// the selected fields in select order, parents nested).
    Records(Vec<Record>),
    /// `SELECT COUNT()`: `totalSize` is this number and `records` is empty.
    Count(usize),
}

/// One selected column, as `?columns=true` describes it: the relationships
/// followed (name and target object), then the field on the last object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedColumn {
    /// Parent relationships walked, outermost first: (relationship, target object).
    pub relationships: Vec<(String, String)>,
    /// The object holding the field.
    pub object: String,
    /// Canonical field name.
    pub field: String,
    /// Data type of the field.
    pub kind: FieldKind,
    /// `Some(alias)` for an aggregate (`expr0` when none was written).
    pub aggregate: Option<String>,
}

/// Parses a SOQL statement (syntax only; names are resolved by [`execute`]).
pub fn parse(soql: &str) -> Result<Query, SoqlError> {
    parser::parse(soql)
}

#[cfg(test)]
mod tests;
