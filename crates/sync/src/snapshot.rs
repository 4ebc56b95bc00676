//! What the store keeps per pair between passes: the deal both sides held
//! after the last sync, plus what cosell itself made up or saw fail, so a
//! made-up value never flows back and a permanent failure is not retried
//! until the data changes. Serialised flat, so a stored plain [`Deal`] still
//! reads as a snapshot.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::deal::Deal;
use crate::engagement::MicrosoftAnswer;

/// The pair's state as last agreed by both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(flatten)]
    /// The deal both sides held after the last sync.
    pub deal: Deal,
    /// A close date cosell put on the opportunity because Salesforce requires
    /// one and the referral had none: not a seller's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invented_close_date: Option<NaiveDate>,
    /// Fingerprint of both sides when the last attempt failed for good: the
    /// pair is not tried again until one side changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_inputs: Option<String>,
    /// The snapshot only remembers a failure: its deal was never agreed by
    /// both sides and is no base for a merge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failure_only: bool,
    /// Microsoft's answer to the co-sell request as last seen, so each
    /// answer reaches the opportunity's audit once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft: Option<MicrosoftAnswer>,
    /// Partner Center's stamp on the referral as cosell last wrote or read
    /// it: a webhook for a change at or before it reports nothing new (the
    /// echo of cosell's own write, or a change a sync already read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_changed_at: Option<DateTime<Utc>>,
    /// The ids of the opportunity's team rows (OpportunityTeamMember) as
    /// last read. Salesforce hard-deletes a team member and getDeleted names
    /// only the row, so the feed finds the pair of a deleted row by these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_rows: Vec<String>,
}

impl Snapshot {
    /// A snapshot of a deal with nothing made up.
    pub fn of(deal: Deal) -> Self {
        Self {
            deal,
            ..Self::default()
        }
    }

    /// Reads a stored snapshot (a plain deal reads too).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }

    /// The snapshot as stored.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    /// A referral change stamped `changed_at` is already in this snapshot:
    /// cosell read or wrote the referral as stamped then or later.
    pub fn has_seen_change_at(&self, changed_at: DateTime<Utc>) -> bool {
        self.referral_changed_at.is_some_and(|at| changed_at <= at)
    }
}

/// A short, stable fingerprint of some JSON (64-bit FNV-1a over its text).
pub fn fingerprint(parts: &[&serde_json::Value]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.to_string().bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plain_stored_deal_reads_as_a_snapshot_and_round_trips() {
        let old = json!({ "name": "Contoso", "deal_value": 12.5 });
        let snapshot = Snapshot::from_json(&old).unwrap();
        assert_eq!(snapshot.deal.name, "Contoso");
        assert_eq!(snapshot.invented_close_date, None);
        let mut snapshot = snapshot;
        snapshot.invented_close_date = NaiveDate::from_ymd_opt(2027, 1, 2);
        let back = Snapshot::from_json(&snapshot.to_json().unwrap()).unwrap();
        assert_eq!(back, snapshot);
        let deal: Deal = serde_json::from_value(snapshot.to_json().unwrap()).unwrap();
        assert_eq!(deal, snapshot.deal, "readers of a plain deal still work");
    }

    #[test]
    fn fingerprints_tell_different_inputs_apart() {
        let (a, b) = (json!({"x": 1}), json!({"x": 2}));
        assert_eq!(fingerprint(&[&a, &b]), fingerprint(&[&a, &b]));
        assert_ne!(fingerprint(&[&a, &b]), fingerprint(&[&b, &a]));
    }

    #[test]
    fn a_change_at_or_before_the_recorded_stamp_was_seen() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T10:00:00.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        let snapshot = Snapshot {
            referral_changed_at: Some(at),
            ..Snapshot::default()
        };
        assert!(snapshot.has_seen_change_at(at), "cosell's own write");
        assert!(snapshot.has_seen_change_at(at - chrono::Duration::seconds(1)));
        assert!(
            !snapshot.has_seen_change_at(at + chrono::Duration::nanoseconds(100)),
            "a change one tick later is new"
        );
        assert!(
            !Snapshot::default().has_seen_change_at(at),
            "no stamp: sync"
        );
    }
}
