//! The emulator's referral records: insertion-ordered, keyed by id, with a
//! clock that never repeats a timestamp and Cosmos-style ETags (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::Value;

/// Granularity of .NET timestamps (100 ns ticks): what 7 fractional digits show.
const TICK_NANOS: i64 = 100;

/// Formats a UTC instant as Partner Center does: 7 fractional digits and `Z`.
pub(crate) fn format_utc(at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_subsec_nanos() / TICK_NANOS as u32;
    format!("{}.{nanos:07}Z", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// Formats a UTC instant as webhook events do: 7 fractional digits and `+00:00`.
pub(crate) fn format_event_time(at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_subsec_nanos() / TICK_NANOS as u32;
    format!("{}.{nanos:07}+00:00", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// Parses the datetime forms clients send (RFC 3339, or a bare date).
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// A clock whose readings strictly increase, at 100 ns resolution, and
/// which tests move forward (days in a call, never by sleeping).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    last: Option<DateTime<Utc>>,
    /// How far the clock runs ahead of real time (tests move it instead of
    /// sleeping).
    ahead: ChronoDuration,
}

impl Clock {
    /// The current time, later than any earlier reading.
    pub(crate) fn now(&mut self) -> DateTime<Utc> {
        let mut now = Utc::now() + self.ahead;
        let truncated = now.timestamp_subsec_nanos() as i64 % TICK_NANOS;
        now -= ChronoDuration::nanoseconds(truncated);
        if let Some(last) = self.last {
            if now <= last {
                now = last + ChronoDuration::nanoseconds(TICK_NANOS);
            }
        }
        self.last = Some(now);
        now
    }

    /// Moves the clock `by` further ahead of real time.
    pub(crate) fn advance(&mut self, by: ChronoDuration) {
        self.ahead += by;
    }
}

/// A new ETag in Cosmos DB style: a quoted string with quotes inside.
pub(crate) fn new_etag() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("\"{}-0000-0000-0000-{}\"", &id[..8], &id[id.len() - 12..])
}

/// Referrals in insertion order.
#[derive(Debug, Default)]
pub(crate) struct Store {
    by_seq: BTreeMap<u64, Value>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    pub(crate) clock: Clock,
}

impl Store {
    /// The referral with this id (ids compare case-insensitively, as GUIDs do).
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.seq_of
            .get(&id.to_ascii_lowercase())
            .and_then(|seq| self.by_seq.get(seq))
    }

    /// Inserts a new referral or replaces the stored one with the same id.
    pub(crate) fn put(&mut self, referral: Value) {
        let id = referral["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if let Some(seq) = self.seq_of.get(&id) {
            self.by_seq.insert(*seq, referral);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_of.insert(id, seq);
        self.by_seq.insert(seq, referral);
    }

    /// All referrals in insertion order.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Value> {
        self.by_seq.values()
    }

    /// Ids of the other referrals in the same engagement as `id`.
    pub(crate) fn counterparts(&self, id: &str, engagement_id: &str) -> Vec<String> {
        self.all()
            .filter(|r| r["engagementId"].as_str() == Some(engagement_id))
            .filter_map(|r| r["id"].as_str())
            .filter(|other| !other.eq_ignore_ascii_case(id))
            .map(str::to_owned)
            .collect()
    }

    /// Whether any referral belongs to this engagement.
    pub(crate) fn engagement_exists(&self, engagement_id: &str) -> bool {
        self.all().any(|r| {
            r["engagementId"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(engagement_id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_seven_fractional_digits() {
        let at = DateTime::parse_from_rfc3339("2022-02-28T17:27:47.875490123Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_utc(at), "2022-02-28T17:27:47.8754901Z");
        assert_eq!(format_event_time(at), "2022-02-28T17:27:47.8754901+00:00");
    }

    #[test]
    fn clock_never_repeats() {
        let mut clock = Clock::default();
        let a = clock.now();
        let b = clock.now();
        assert!(b > a);
    }

    #[test]
    fn an_advanced_clock_reads_later() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(ChronoDuration::days(14));
        assert!(clock.now() - before >= ChronoDuration::days(14));
    }

    #[test]
    fn etags_carry_inner_quotes_and_differ() {
        let a = new_etag();
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 38);
        assert_ne!(a, new_etag());
    }
}
