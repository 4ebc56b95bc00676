//! Timestamps on the wire: the model declares `timestampFormat: iso8601`
//! for every `DateTime`, so the emulator writes RFC 3339 UTC with
//! milliseconds and reads RFC 3339 (or epoch seconds, which some clients send).

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// Wire form of a timestamp.
pub(crate) fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A timestamp from a JSON string or number.
pub(crate) fn parse(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            let millis = (secs * 1000.0).round() as i64;
            Utc.timestamp_millis_opt(millis).single()
        }
        _ => None,
    }
}

/// The emulator's clock truncated to milliseconds, the wire precision.
pub(crate) fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    Utc.timestamp_millis_opt(now.timestamp_millis())
        .single()
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_milliseconds() {
        let t = Utc.timestamp_millis_opt(1_733_000_000_123).unwrap();
        let s = format(t);
        assert_eq!(s, "2024-11-30T20:53:20.123Z");
        assert_eq!(parse(&Value::String(s)), Some(t));
        assert_eq!(parse(&serde_json::json!(1_733_000_000.123)), Some(t));
        assert_eq!(parse(&Value::String("yesterday".into())), None);
    }
}
