//! Removed team members, traced to their opportunity.
//!
//! Salesforce hard-deletes OpportunityTeamMember rows: they skip the Recycle
//! Bin, so `queryAll` never shows them (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityteammember.htm>). Only getDeleted
//! lists them, by row id and without their opportunity (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>). So the
//! engine keeps, in each pair's snapshot, the ids of the team rows it read
//! ([`Snapshot::team_rows`]), and a deleted id is traced through the store
//! to the pair whose snapshot holds it. An id in no snapshot (a row added
//! and removed between two syncs, or already synced away) changes nothing
//! cosell sent and is ignored.
//!
//! getDeleted works in whole minutes and answers how far it covered
//! (`latestDateCovered`), which is kept as this feed's own cursor. The feed
//! asks only once a whole minute past that cursor has begun, so an idle poll
//! adds at most one call per minute, and each window reaches a minute back
//! for a deletion that committed late. A deletion reported twice is traced
//! once: after its sync the snapshot no longer holds the row.

use chrono::{DateTime, Duration, DurationRound, Utc};
use salesforce::ErrorCode;

use super::{Change, Position};
use crate::engine::{Engine, EngineError, Target};
use crate::snapshot::Snapshot;

/// Cursor of the team deletions (`latestDateCovered`, RFC 3339).
pub const TEAM_DELETIONS_CURSOR: &str = "salesforce.team_deleted";
/// The object whose deletions are read.
const TEAM_OBJECT: &str = "OpportunityTeamMember";
/// How far each window reaches back before the covered point.
const REACH_BACK: Duration = Duration::minutes(1);
/// How far back getDeleted answers (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>: 15 days), less a margin
/// for the clocks of cosell and Salesforce to differ.
const OLDEST_START: Duration = Duration::days(15);
const OLDEST_MARGIN: Duration = Duration::minutes(5);

/// Where the deletions cursor moves once the changes read are handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorMove {
    /// The cursor as stored when the read began (None: never set).
    pub from: Option<String>,
    /// Its new value.
    pub to: String,
}

/// What one look at the team deletions found.
#[derive(Debug, Default)]
pub(super) struct TeamDeletions {
    /// One change per opportunity that lost a traced team member.
    pub changes: Vec<Change>,
    /// None when the window was not due yet.
    pub cursor: Option<CursorMove>,
}

/// The whole minute `at` falls in.
fn minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(1)).unwrap_or(at)
}

/// The window to ask for, given the covered point and the time now: None
/// while no whole minute past `covered` has begun.
fn window(covered: DateTime<Utc>, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if now < covered + Duration::minutes(1) {
        return None;
    }
    let oldest = now - OLDEST_START + OLDEST_MARGIN;
    Some(((covered - REACH_BACK).max(minute(oldest)), now))
}

impl Engine {
    /// The opportunities that lost a team member since the deletions
    /// cursor. Nothing is written.
    pub(super) async fn team_deletions(&self) -> Result<TeamDeletions, EngineError> {
        let now = self.now();
        let from = self.store().cursor(TEAM_DELETIONS_CURSOR).await?;
        let covered = from
            .as_deref()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc));
        let moved = |to: DateTime<Utc>| {
            Some(CursorMove {
                from: from.clone(),
                to: to.to_rfc3339(),
            })
        };
        let Some(covered) = covered else {
            // First look: no snapshot recorded a team row before now.
            return Ok(TeamDeletions {
                changes: Vec::new(),
                cursor: moved(minute(now)),
            });
        };
        let Some((start, end)) = window(covered, now) else {
            return Ok(TeamDeletions::default());
        };
        let answer = match self.salesforce().deleted(TEAM_OBJECT, start, end).await {
            Ok(answer) => answer,
            Err(e) if e.code() == Some(&ErrorCode::Other("INVALID_REPLICATION_DATE".into())) => {
                // The delete log no longer reaches the window (purged, or
                // cosell was stopped for over 15 days): start again from now.
                tracing::warn!(error = %e, "team deletions before now are lost; reading from now on");
                return Ok(TeamDeletions {
                    changes: Vec::new(),
                    cursor: moved(minute(now)),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let mut changes = Vec::new();
        for deleted in &answer.deleted_records {
            for pair in self.store().pairs_with_snapshot_string(&deleted.id).await? {
                let holds_row = pair
                    .snapshot
                    .as_ref()
                    .and_then(Snapshot::from_json)
                    .is_some_and(|s| s.team_rows.contains(&deleted.id));
                if let (true, Some(opportunity)) = (holds_row, pair.opportunity_id) {
                    changes.push(Change {
                        target: Target::Opportunity(opportunity),
                        at: Position {
                            at: deleted.deleted_date,
                            id: deleted.id.clone(),
                        },
                    });
                }
            }
        }
        Ok(TeamDeletions {
            changes,
            cursor: moved(answer.latest_date_covered.max(covered)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_window_is_asked_for_once_a_whole_minute_past_the_covered_point_began() {
        let covered = at("2026-12-02T10:05:00Z");
        assert_eq!(window(covered, at("2026-12-02T10:05:59Z")), None);
        assert_eq!(
            window(covered, at("2026-12-02T10:06:00Z")),
            Some((at("2026-12-02T10:04:00Z"), at("2026-12-02T10:06:00Z"))),
            "reaching a minute back"
        );
    }

    #[test]
    fn a_window_never_starts_past_what_salesforce_still_answers() {
        let now = at("2026-12-20T10:00:30Z");
        let (start, _) = window(at("2026-12-01T00:00:00Z"), now).unwrap();
        assert_eq!(start, at("2026-12-05T10:05:00Z"));
    }
}
