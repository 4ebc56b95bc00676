//! The compound feed cursor: a change stamp and the id of the row that
//! carried it, ordered by stamp then id, so rows sharing a stamp still have
//! one order and the cursor can stop between them.

use chrono::{DateTime, SecondsFormat, Utc};

/// Where a feed stands: ordered by `at`, then `id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The change stamp (`SystemModstamp`, `updatedDateTime`).
    pub at: DateTime<Utc>,
    /// The id of the row stamped `at` (empty for a cursor stored before ids were kept).
    pub id: String,
}

impl Position {
    /// The stored form: the RFC 3339 stamp (every digit the feed gave), a
    /// space, the id.
    pub fn encode(&self) -> String {
        format!(
            "{} {}",
            self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            self.id
        )
    }

    /// Reads the stored form; a bare RFC 3339 stamp (the form cursors had
    /// before) reads with an empty id, which sorts before every row at it.
    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once(' ').unwrap_or((text, ""));
        let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
        Some(Self {
            at,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_reads_back_and_old_stamps_still_read() {
        let position = Position {
            at: DateTime::parse_from_rfc3339("2025-05-06T07:08:09.123Z")
                .unwrap()
                .with_timezone(&Utc),
            id: "006000000000001AAA".into(),
        };
        assert_eq!(
            position.encode(),
            "2025-05-06T07:08:09.123Z 006000000000001AAA"
        );
        assert_eq!(Position::decode(&position.encode()), Some(position.clone()));
        let old = Position::decode("2025-05-06T07:08:09.123+00:00").unwrap();
        assert_eq!(old.at, position.at);
        assert!(
            old < position,
            "an old cursor sorts before rows at its stamp"
        );
        assert_eq!(Position::decode("yesterday"), None);
    }

    #[test]
    fn rows_sharing_a_stamp_are_ordered_by_id() {
        let at = Utc::now();
        let a = Position {
            at,
            id: "006A".into(),
        };
        let b = Position {
            at,
            id: "006B".into(),
        };
        assert!(a < b);
    }
}
