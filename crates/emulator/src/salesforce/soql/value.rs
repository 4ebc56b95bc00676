//! Typed views of stored JSON values, so comparisons and sorting follow the
//! field's type: text case-insensitively, IDs by their 15-char case-sensitive
//! form, numbers numerically, dates and datetimes chronologically.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::FieldKind;

/// Characters in a case-sensitive Salesforce record ID.
pub(crate) const ID_LEN_15: usize = 15;
/// Characters in the case-insensitive-safe form of a record ID.
pub(crate) const ID_LEN_18: usize = 18;

/// A stored value interpreted by its field's kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Typed {
    /// Missing or JSON null.
    Null,
    /// Text, kept as stored (compared case-insensitively).
    Text(String),
    /// A record ID reduced to its 15-char case-sensitive form.
    Id(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(NaiveDate),
    /// A datetime in UTC.
    DateTime(DateTime<Utc>),
}

impl Typed {
    /// Interprets stored JSON `value` as a value of `kind`.
    pub(crate) fn from_json(kind: FieldKind, value: Option<&Value>) -> Typed {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Typed::Null;
        };
        match kind {
            k if k.is_id() => value
                .as_str()
                .map_or(Typed::Null, |s| Typed::Id(id15(s).to_string())),
            k if k.is_numeric() => value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                .map_or(Typed::Null, Typed::Number),
            FieldKind::Boolean => value.as_bool().map_or(Typed::Null, Typed::Bool),
            FieldKind::Date => value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .map_or(Typed::Null, Typed::Date),
            FieldKind::DateTime => value
                .as_str()
                .and_then(parse_stored_datetime)
                .map_or(Typed::Null, Typed::DateTime),
            _ => match value {
                Value::String(s) => Typed::Text(s.clone()),
                other => Typed::Text(other.to_string()),
            },
        }
    }

    /// The UTC calendar day of a date or datetime, for relative date ranges.
    pub(crate) fn day(&self) -> Option<NaiveDate> {
        match self {
            Typed::Date(d) => Some(*d),
            Typed::DateTime(dt) => Some(dt.date_naive()),
            _ => None,
        }
    }
}

/// Orders two non-null values of the same field; None when they are not comparable.
pub(crate) fn compare(a: &Typed, b: &Typed) -> Option<Ordering> {
    match (a, b) {
        (Typed::Text(x), Typed::Text(y)) => Some(fold(x).cmp(&fold(y))),
        (Typed::Id(x), Typed::Id(y)) => Some(x.cmp(y)),
        (Typed::Number(x), Typed::Number(y)) => x.partial_cmp(y),
        (Typed::Bool(x), Typed::Bool(y)) => Some(x.cmp(y)),
        (Typed::Date(x), Typed::Date(y)) => Some(x.cmp(y)),
        (Typed::DateTime(x), Typed::DateTime(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Case folding used for text comparison and `LIKE`.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// The case-sensitive 15-char form of an ID (an 18-char ID drops its checksum).
pub(crate) fn id15(id: &str) -> &str {
    if id.len() == ID_LEN_18 && id.is_ascii() {
        &id[..ID_LEN_15]
    } else {
        id
    }
}

/// True for a syntactically valid 15- or 18-char record ID.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (id.len() == ID_LEN_15 || id.len() == ID_LEN_18)
        && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses a stored datetime: `2021-11-06T17:38:40.000+0000`, and also the
/// `+00:00` and `Z` forms a server may have stored.
pub(crate) fn parse_stored_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|dt| dt.with_timezone(&Utc))
}
