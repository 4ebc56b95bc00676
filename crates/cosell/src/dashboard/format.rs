//! Turning stored values into what a person reads: timestamps with "how long
//! ago", field names, JSON values.

use chrono::{DateTime, Utc};
use serde_json::Value;

const SECONDS_PER_MINUTE: i64 = 60;
const SECONDS_PER_HOUR: i64 = 60 * SECONDS_PER_MINUTE;
const SECONDS_PER_DAY: i64 = 24 * SECONDS_PER_HOUR;
/// Beyond this, "how long ago" gives way to the date alone.
const RELATIVE_DAYS: i64 = 30;
/// Longest value shown inline before it is shortened.
const MAX_VALUE_CHARS: usize = 160;

/// A moment as shown on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// RFC 3339, for `<time datetime>`; empty when never.
    pub iso: String,
    /// `2025-06-01 14:03:07 UTC`, or "never".
    pub absolute: String,
    /// `3 min ago`, or "never".
    pub relative: String,
}

impl When {
    /// Formats `at` relative to `now`.
    pub fn new(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match at {
            None => Self {
                iso: String::new(),
                absolute: "never".to_owned(),
                relative: "never".to_owned(),
            },
            Some(at) => Self {
                iso: at.to_rfc3339(),
                absolute: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                relative: relative(at, now),
            },
        }
    }

    /// Formats `at` relative to the current time.
    pub fn of(at: Option<DateTime<Utc>>) -> Self {
        Self::new(at, Utc::now())
    }

    /// True when there is a moment to show.
    pub fn is_known(&self) -> bool {
        !self.iso.is_empty()
    }
}

fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    if secs < 0 {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    match secs {
        s if s < SECONDS_PER_MINUTE => "just now".to_owned(),
        s if s < SECONDS_PER_HOUR => format!("{} min ago", s / SECONDS_PER_MINUTE),
        s if s < SECONDS_PER_DAY => format!("{} h ago", s / SECONDS_PER_HOUR),
        s if s < RELATIVE_DAYS * SECONDS_PER_DAY => {
            let days = s / SECONDS_PER_DAY;
            if days == 1 {
                "yesterday".to_owned()
            } else {
                format!("{days} days ago")
            }
        }
        _ => at.format("%Y-%m-%d").to_string(),
    }
}

/// `deal_value` → `Deal value`; known acronyms kept upper case.
pub fn field_label(name: &str) -> String {
    match name {
        "microsoft_crm_id" => return "Microsoft CRM id".to_owned(),
        "help" => return "How Microsoft can help".to_owned(),
        "visibility" => return "Visible to Microsoft".to_owned(),
        _ => {}
    }
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A JSON value as one readable line: strings bare, `null` as "(empty)",
/// lists comma-separated, long values shortened.
pub fn value_text(value: &Value) -> String {
    let text = match value {
        Value::Null => "(empty)".to_owned(),
        Value::String(s) if s.is_empty() => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", field_label(k), value_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
    };
    shorten(text)
}

fn shorten(text: String) -> String {
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(secs_before: i64) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        (Some(now - chrono::Duration::seconds(secs_before)), now)
    }

    #[test]
    fn relative_times_read_naturally() {
        let cases = [
            (5, "just now"),
            (3 * 60, "3 min ago"),
            (2 * 3600 + 5, "2 h ago"),
            (26 * 3600, "yesterday"),
            (3 * 86_400, "3 days ago"),
            (40 * 86_400, "2025-04-22"),
        ];
        for (secs, want) in cases {
            let (t, now) = at(secs);
            assert_eq!(When::new(t, now).relative, want, "{secs}s");
        }
    }

    #[test]
    fn never_is_said_plainly() {
        let w = When::of(None);
        assert_eq!(w.relative, "never");
        assert!(!w.is_known());
    }

    #[test]
    fn absolute_time_is_utc() {
        let (t, now) = at(0);
        assert_eq!(When::new(t, now).absolute, "2025-06-01 12:00:00 UTC");
    }

    #[test]
    fn field_labels() {
        assert_eq!(field_label("deal_value"), "Deal value");
        assert_eq!(field_label("close_date"), "Close date");
        assert_eq!(field_label("microsoft_crm_id"), "Microsoft CRM id");
    }

    #[test]
    fn values_as_text() {
        assert_eq!(value_text(&json!(null)), "(empty)");
        assert_eq!(value_text(&json!("Contoso")), "Contoso");
        assert_eq!(value_text(&json!(12000.5)), "12000.5");
        assert_eq!(value_text(&json!(["A", "B"])), "A, B");
        assert_eq!(value_text(&json!(true)), "yes");
        assert_eq!(
            value_text(&json!({"name": "Contoso", "city": null, "country": "US"})),
            "Name: Contoso; Country: US"
        );
        assert_eq!(value_text(&json!("x".repeat(500))).chars().count(), 160);
    }
}
