//! Reading field values from request bodies, the "deserialize" step Salesforce
//! runs before any DML rule: unknown fields give `INVALID_FIELD` and values of
//! the wrong JSON type give `JSON_PARSER_ERROR` (as captured from real orgs:
//! "Cannot deserialize instance of datetime from VALUE_STRING value … or
//! request may be missing a required field at [line:1, column:129]").

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::schema::{FieldDef, FieldType, ObjectDef};

/// The `attributes` key of sObject JSON, never a field.
pub const ATTRIBUTES: &str = "attributes";

/// One value a body assigns.
#[derive(Debug, Clone, PartialEq)]
pub enum Assign {
    /// A field set to a value already converted to its stored form.
    Value {
        /// Canonical field name.
        field: String,
        /// Stored value (`null` clears).
        value: Value,
    },
    /// A reference given through the parent's external ID:
    /// `"Account": {"Ext_Id__c": "A-9"}` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm>).
    Parent {
        /// Canonical reference field (`AccountId`).
        field: String,
        /// External-ID field on the parent, as written.
        ext_field: String,
        /// Its value.
        ext_value: Value,
    },
}

impl Assign {
    /// Canonical name of the field assigned.
    pub fn field(&self) -> &str {
        match self {
            Self::Value { field, .. } | Self::Parent { field, .. } => field,
        }
    }
}

/// Renders an instant as responses do: `2021-11-06T17:38:40.000+0000`.
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Parses a request datetime: `yyyy-MM-ddTHH:mm:ss[.SSS](Z|±HH:mm|±HHmm)`.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    None
}

/// Parses an HTTP date (`EEE, dd MMM yyyy HH:mm:ss z`, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_conditional_requests.htm>). The
/// weekday is not checked: the guide's own example ("Tue, 10 Aug 2015") names
/// the wrong day.
pub fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let rest = text.split_once(", ").map_or(text, |(_, rest)| rest);
    let rest = rest.trim_end_matches(" GMT").trim_end_matches(" UTC");
    chrono::NaiveDateTime::parse_from_str(rest, "%d %b %Y %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc2822(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// Reads every field of `body` for `object`.
pub fn parse_record(
    object: &ObjectDef,
    body: &Map<String, Value>,
    raw: &str,
) -> Result<Vec<Assign>, ApiError> {
    let mut assigns = Vec::with_capacity(body.len());
    for (key, value) in body {
        if key == ATTRIBUTES {
            continue;
        }
        if let Some(field) = object.field(key) {
            let value = coerce(field, value, key, raw)?;
            assigns.push(Assign::Value {
                field: field.name.clone(),
                value,
            });
            continue;
        }
        if let (Some(field), Value::Object(parent)) = (object.relationship(key), value) {
            let mut keys = parent.iter().filter(|(k, _)| k.as_str() != ATTRIBUTES);
            if let (Some((ext_field, ext_value)), None) = (keys.next(), keys.next()) {
                assigns.push(Assign::Parent {
                    field: field.name.clone(),
                    ext_field: ext_field.clone(),
                    ext_value: ext_value.clone(),
                });
                continue;
            }
        }
        return Err(ApiError::invalid_field(format!(
            "No such column '{key}' on sobject of type {}",
            object.name
        )));
    }
    Ok(assigns)
}

/// Jackson's token name for a JSON value, as Salesforce's messages show it.
fn token(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "VALUE_STRING",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::Null => "VALUE_NULL",
    }
}

/// Line and column (1-based) just after `"key":` in the raw body.
fn position(raw: &str, key: &str) -> (usize, usize) {
    let needle = format!("\"{key}\"");
    let offset = raw.find(&needle).map_or(0, |i| {
        let after = i + needle.len();
        after + raw[after..].find(':').map_or(0, |c| c + 1)
    });
    let before = &raw[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, column)
}

fn parser_error(field: &FieldDef, value: &Value, key: &str, raw: &str) -> ApiError {
    let (line, column) = position(raw, key);
    let shown = match value {
        Value::String(s) => s.clone(),
        Value::Object(_) => "{".into(),
        Value::Array(_) => "[".into(),
        other => other.to_string(),
    };
    ApiError::json_parser(format!(
        "Cannot deserialize instance of {} from {} value {shown} or request may be missing a required field at [line:{line}, column:{column}]",
        field.ftype.wire(),
        token(value)
    ))
}

/// Converts a JSON value to the stored form of `field`, or refuses its type.
pub fn coerce(field: &FieldDef, value: &Value, key: &str, raw: &str) -> Result<Value, ApiError> {
    let bad = || parser_error(field, value, key, raw);
    if value.is_null() {
        // A null checkbox is stored as false: checkboxes are never null.
        return Ok(if field.ftype == FieldType::Boolean {
            Value::Bool(false)
        } else {
            Value::Null
        });
    }
    match field.ftype {
        t if t.is_text() || matches!(t, FieldType::Id | FieldType::Reference) => match value {
            Value::String(s) => Ok(Value::String(s.clone())),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(bad()),
        },
        FieldType::Boolean => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        FieldType::Int => {
            let n = number(value).ok_or_else(bad)?;
            if n.fract() != 0.0 {
                return Err(bad());
            }
            // Integral by the check above; saturating is fine for out-of-range values,
            // which the range rule refuses later.
            Ok(Value::from(n as i64))
        }
        FieldType::Currency | FieldType::Double | FieldType::Percent => {
            let n = number(value).ok_or_else(bad)?;
            serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(bad)
        }
        FieldType::Date => match value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| bad()),
            _ => Err(bad()),
        },
        FieldType::DateTime => match value {
            Value::String(s) => parse_datetime(s)
                .map(|at| Value::String(format_datetime(at)))
                .ok_or_else(bad),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::schema::FieldType as T;

    #[test]
    fn wrong_json_types_are_parser_errors_with_a_position() {
        let field = FieldDef::new("CloseDate", "Close Date", T::Date);
        let raw = "{\n  \"CloseDate\": \"tomorrow\"}";
        let err = coerce(&field, &Value::String("tomorrow".into()), "CloseDate", raw).unwrap_err();
        assert_eq!(err.errors[0].code, "JSON_PARSER_ERROR");
        assert_eq!(
            err.errors[0].message,
            "Cannot deserialize instance of date from VALUE_STRING value tomorrow or request may be missing a required field at [line:2, column:15]"
        );
    }

    #[test]
    fn datetimes_are_normalised_to_utc_milliseconds() {
        let field = FieldDef::new("X__c", "X", T::DateTime);
        let v = coerce(
            &field,
            &Value::String("2024-05-01T10:00:00+02:00".into()),
            "X__c",
            "",
        )
        .unwrap();
        assert_eq!(v, Value::String("2024-05-01T08:00:00.000+0000".into()));
    }

    #[test]
    fn numeric_strings_and_boolean_strings_are_accepted() {
        let amount = FieldDef::new("Amount", "Amount", T::Currency);
        assert_eq!(
            coerce(&amount, &Value::String("12.5".into()), "Amount", "").unwrap(),
            serde_json::json!(12.5)
        );
        let flag = FieldDef::new("F__c", "F", T::Boolean);
        assert_eq!(
            coerce(&flag, &Value::String("TRUE".into()), "F__c", "").unwrap(),
            Value::Bool(true)
        );
        assert!(coerce(&flag, &serde_json::json!(1), "F__c", "").is_err());
    }
}
