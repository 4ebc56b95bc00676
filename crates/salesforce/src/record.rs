//! `Record`: a dynamic sObject (JSON object) with typed getters.
//!
//! Field API names (including the connector's custom fields) come from
//! configuration, so records stay dynamic; typed structs exist only for
//! shapes this crate owns (see [`crate::types`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Key Salesforce uses for record metadata (`type`, `url`).
pub const ATTRIBUTES: &str = "attributes";

/// Formats Salesforce uses for dateTime values in responses and requests:
/// `2021-11-06T17:38:40.000+0000` (no colon in the offset) and RFC 3339.
const SF_DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f%z";

/// A Salesforce record: the JSON object as sent or received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record(Map<String, Value>);

/// The `attributes` block of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// sObject type, e.g. `Opportunity`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// Record URL, when Salesforce sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty record carrying `attributes.type` (needed by Collections).
    pub fn of_type(object: &str) -> Self {
        let mut r = Self::new();
        r.set_type(object);
        r
    }

    /// Wraps a JSON object.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Record(map)
    }

    /// Wraps a JSON value if it is an object.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(m) => Some(Record(m)),
            _ => None,
        }
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The underlying JSON object, mutably.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    /// Unwraps into the JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Sets a top-level field (builder style).
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.set(field, value);
        self
    }

    /// Sets a top-level field; `Value::Null` clears it on write.
    pub fn set(&mut self, field: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(field.to_owned(), value.into());
        self
    }

    /// Removes a top-level field (matched case-insensitively), returning its value.
    pub fn remove(&mut self, field: &str) -> Option<Value> {
        let key = self.key_for(field)?.to_owned();
        self.0.remove(&key)
    }

    /// Sets `attributes.type`, keeping any `url`.
    pub fn set_type(&mut self, object: &str) -> &mut Self {
        let attrs = self
            .0
            .entry(ATTRIBUTES)
            .or_insert_with(|| Value::Object(Map::new()));
        if !attrs.is_object() {
            *attrs = Value::Object(Map::new());
        }
        if let Value::Object(m) = attrs {
            m.insert("type".into(), Value::String(object.to_owned()));
        }
        self
    }

    /// The parsed `attributes` block.
    pub fn attributes(&self) -> Option<Attributes> {
        serde_json::from_value(self.0.get(ATTRIBUTES)?.clone()).ok()
    }

    /// `attributes.type`.
    pub fn object_type(&self) -> Option<&str> {
        self.0.get(ATTRIBUTES)?.get("type")?.as_str()
    }

    /// The record id (`Id`, or `id` as in some results).
    pub fn id(&self) -> Option<&str> {
        self.str("Id")
    }

    /// A copy without `attributes`, as single-record writes expect.
    pub fn without_attributes(&self) -> Record {
        let mut m = self.0.clone();
        m.remove(ATTRIBUTES);
        Record(m)
    }

    /// The exact key matching `field`, preferring an exact match, else ASCII case-insensitive
    /// (Salesforce field names are case-insensitive).
    fn key_for(&self, field: &str) -> Option<&str> {
        if let Some((k, _)) = self.0.get_key_value(field) {
            return Some(k);
        }
        self.0
            .keys()
            .find(|k| k.eq_ignore_ascii_case(field))
            .map(String::as_str)
    }

    /// The value at a field path such as `Account.Name`; `None` if any hop is absent or null.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut segments = path.split('.');
        let first = segments.next()?;
        let mut current = self.0.get(self.key_for(first)?)?;
        for seg in segments {
            let obj = current.as_object()?;
            let key = obj
                .get_key_value(seg)
                .map(|(k, _)| k)
                .or_else(|| obj.keys().find(|k| k.eq_ignore_ascii_case(seg)))?;
            current = obj.get(key)?;
        }
        (!current.is_null()).then_some(current)
    }

    /// Whether the path holds a value that is not null.
    pub fn has(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// A nested relationship record (e.g. `Account`).
    pub fn relationship(&self, path: &str) -> Option<Record> {
        self.get(path)?.as_object().cloned().map(Record)
    }

    /// Text value; `None` when absent, null, or not a string.
    pub fn str(&self, path: &str) -> Option<&str> {
        self.get(path)?.as_str()
    }

    /// Boolean value; `None` when absent, null, or not a boolean.
    pub fn bool(&self, path: &str) -> Option<bool> {
        self.get(path)?.as_bool()
    }

    /// Numeric value (currency, percent, double); accepts numeric strings.
    pub fn f64(&self, path: &str) -> Option<f64> {
        match self.get(path)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Whole-number value; accepts integral floats such as `3.0`.
    pub fn i64(&self, path: &str) -> Option<i64> {
        match self.get(path)? {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < i64::MAX as f64)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Date value (`YYYY-MM-DD`).
    pub fn date(&self, path: &str) -> Option<NaiveDate> {
        parse_date(self.str(path)?)
    }

    /// DateTime value (`2021-11-06T17:38:40.000+0000` or RFC 3339), in UTC.
    pub fn datetime(&self, path: &str) -> Option<DateTime<Utc>> {
        parse_datetime(self.str(path)?)
    }
}

impl From<Map<String, Value>> for Record {
    fn from(m: Map<String, Value>) -> Self {
        Record(m)
    }
}

impl From<Record> for Value {
    fn from(r: Record) -> Self {
        Value::Object(r.0)
    }
}

/// Parses a Salesforce date (`YYYY-MM-DD`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Parses a Salesforce dateTime (`…T17:38:40.000+0000`, `…+00:00`, or `…Z`).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_str(s, SF_DATETIME_FORMAT)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats a dateTime the way Salesforce writes it (`2021-11-06T17:38:40.000+0000`).
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn sample() -> Record {
        Record::from_value(json!({
            "attributes": {"type": "Opportunity", "url": "/services/data/v62.0/sobjects/Opportunity/006000000000001AAA"},
            "Id": "006000000000001AAA",
            "Name": "ACME renewal",
            "Amount": 1250.5,
            "Probability": 10.0,
            "IsWon": false,
            "CloseDate": "2025-12-31",
            "SystemModstamp": "2021-11-06T17:38:40.000+0000",
            "Description": null,
            "Account": {"attributes": {"type": "Account"}, "Name": "ACME", "Owner": {"Name": "Jo"}}
        }))
        .unwrap()
    }

    #[test]
    fn typed_getters() {
        let r = sample();
        assert_eq!(r.id(), Some("006000000000001AAA"));
        assert_eq!(r.str("Name"), Some("ACME renewal"));
        assert_eq!(r.f64("Amount"), Some(1250.5));
        assert_eq!(r.i64("Probability"), Some(10));
        assert_eq!(r.bool("IsWon"), Some(false));
        assert_eq!(r.date("CloseDate"), NaiveDate::from_ymd_opt(2025, 12, 31));
        assert_eq!(
            r.datetime("SystemModstamp"),
            Some(Utc.with_ymd_and_hms(2021, 11, 6, 17, 38, 40).unwrap())
        );
        assert_eq!(r.str("Description"), None);
        assert!(!r.has("Description"));
        assert_eq!(r.str("Amount"), None);
    }

    #[test]
    fn relationship_paths_and_case_insensitivity() {
        let r = sample();
        assert_eq!(r.str("Account.Name"), Some("ACME"));
        assert_eq!(r.str("account.owner.name"), Some("Jo"));
        assert_eq!(r.str("Account.Missing"), None);
        assert_eq!(
            r.relationship("Account").unwrap().object_type(),
            Some("Account")
        );
        assert_eq!(r.str("name"), Some("ACME renewal"));
    }

    #[test]
    fn attributes_handling() {
        let r = sample();
        let a = r.attributes().unwrap();
        assert_eq!(a.object_type, "Opportunity");
        assert!(a.url.unwrap().ends_with("006000000000001AAA"));
        assert!(r.without_attributes().attributes().is_none());
        let mut fresh = Record::of_type("Account").with("Name", "X");
        assert_eq!(fresh.object_type(), Some("Account"));
        fresh.set_type("Contact");
        assert_eq!(fresh.object_type(), Some("Contact"));
        assert_eq!(fresh.remove("name"), Some(json!("X")));
    }

    #[test]
    fn datetime_formats() {
        let want = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
        assert_eq!(parse_datetime("2024-05-01T12:00:00.000+0200"), Some(want));
        assert_eq!(parse_datetime("2024-05-01T10:00:00Z"), Some(want));
        assert_eq!(parse_datetime("2024-05-01T10:00:00.000+00:00"), Some(want));
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(format_datetime(&want), "2024-05-01T10:00:00.000+0000");
        assert_eq!(parse_datetime(&format_datetime(&want)), Some(want));
    }
}
