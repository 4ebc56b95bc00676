//! Lenient scalar types: timestamps kept verbatim and numbers that may arrive as strings.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A wire timestamp, kept exactly as received so a GET→PUT round trip does not
/// rewrite it; [`Timestamp::to_utc`] gives the typed value.
///
/// The service writes UTC with 7 fractional digits and `Z`; webhook bodies use
/// `+00:00` and validation results omit the offset altogether (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Timestamp(String);

impl Timestamp {
    /// Wraps a raw wire value without checking it.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The value exactly as on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the value; an offset-less value is taken as UTC. `None` when unparsable.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        if let Ok(dt) = DateTime::parse_from_rfc3339(&self.0) {
            return Some(dt.with_timezone(&Utc));
        }
        NaiveDateTime::parse_from_str(&self.0, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Formats like the service does: UTC, 7 fractional digits, `Z`.
    fn from(dt: DateTime<Utc>) -> Self {
        let nanos = dt.timestamp_subsec_nanos() / 100;
        Self(format!("{}.{nanos:07}Z", dt.format("%Y-%m-%dT%H:%M:%S")))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Renders a UTC instant as an unquoted OData datetime literal.
pub(crate) fn odata_datetime(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde adapter for numbers that may arrive as a JSON number or a numeric string
/// (`dealValue` is a number on reads but the PATCH example sends `"10000"`, <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources/https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
/// Empty strings and `null` read as `None`; values are written back as numbers.
pub mod lenient_number {
    use super::*;

    /// Writes the value as a JSON number (or `null`).
    pub fn serialize<S: Serializer>(v: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => serializer.serialize_i64(*n as i64),
            Some(n) => serializer.serialize_f64(*n),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a number, a numeric string, an empty string or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("not a number: {s:?}"))),
            other => Err(serde::de::Error::custom(format!(
                "expected a number, got {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamp_formats_like_the_service_and_parses_all_documented_shapes() {
        let dt = Utc.with_ymd_and_hms(2022, 2, 28, 17, 27, 47).unwrap()
            + chrono::Duration::nanoseconds(875_490_100);
        let ts = Timestamp::from(dt);
        assert_eq!(ts.as_str(), "2022-02-28T17:27:47.8754901Z");
        assert_eq!(ts.to_utc(), Some(dt));
        for raw in [
            "2018-02-17T00:05:39.5485487+00:00",
            "2017-12-08T21:39:48.2386997",
            "2024-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::from_raw(raw).to_utc().is_some(), "{raw}");
        }
        assert_eq!(Timestamp::from_raw("garbage").to_utc(), None);
    }

    #[test]
    fn odata_datetime_is_iso_with_z() {
        let dt = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(odata_datetime(&dt), "2024-01-01T00:00:00Z");
    }
}
