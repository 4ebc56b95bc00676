//! The one change feed of both sides, read by `cosell sync`, `backfill` and
//! the service's pollers alike.
//!
//! Salesforce changes include the opportunity's related records (Account,
//! contacts and their roles, solutions, the synced note, the team) and their
//! deletions, each traced to the opportunities it affects. Removed team
//! members, which only getDeleted lists, are read at most once a minute
//! behind a cursor of their own ([`TEAM_DELETIONS_CURSOR`], module
//! `team_deletions`) and traced through the ids each snapshot keeps. Partner Center
//! changes are the referrals updated since the cursor; one that does not
//! decode is still a change of its own (its sync then fails alone, with the
//! reason) and never stops the rest of its page.
//!
//! Each side keeps a compound cursor, [`Position`]: the newest change stamp
//! and the id of the row that carried it. A read reaches back `overlap`
//! before the cursor (a change can commit with a stamp older than rows
//! already seen), and the cursor moves only forward, in the same store
//! transaction that enqueues the jobs for what was read.

mod opportunities;
mod position;
mod referrals;
mod team_deletions;

use std::collections::BTreeMap;

use partner_center::wire::Referral;
use store::NewJob;

pub use position::Position;
pub use team_deletions::{CursorMove, TEAM_DELETIONS_CURSOR};

use crate::engine::{Engine, EngineError, Target, PARTNER_CENTER_CURSOR, SALESFORCE_CURSOR};

/// Which side a feed reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Salesforce opportunities and their related records.
    Salesforce,
    /// Partner Center referrals.
    PartnerCenter,
}

impl Side {
    /// The store cursor this side's feed advances.
    pub fn cursor(self) -> &'static str {
        match self {
            Side::Salesforce => SALESFORCE_CURSOR,
            Side::PartnerCenter => PARTNER_CENTER_CURSOR,
        }
    }
}

/// Which changes a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Since the stored cursor (everything when none), reaching back
    /// `overlap` before it.
    SinceCursor {
        /// How far before the cursor to read again.
        overlap: chrono::Duration,
    },
    /// Since this stamp (everything when None), whatever the cursor says.
    Since(Option<chrono::DateTime<chrono::Utc>>),
}

/// One target that changed, at the newest position seen for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What to sync.
    pub target: Target,
    /// The newest change seen for it.
    pub at: Position,
}

/// What one read of a feed found.
#[derive(Debug, Clone)]
pub struct FeedRead {
    /// The side read.
    pub side: Side,
    /// The cursor as stored when the read began (None: never set).
    pub from: Option<String>,
    /// Changed targets, oldest first.
    pub changes: Vec<Change>,
    /// Referrals already read while listing, by id (Partner Center only).
    pub referrals: BTreeMap<String, Referral>,
    /// Where the cursor moves once these changes are handled.
    pub to: Option<Position>,
    /// Where the team deletions cursor moves (Salesforce, following the
    /// cursor, once a minute; None otherwise).
    pub team_deletions: Option<CursorMove>,
}

impl FeedRead {
    /// The ids of the changed records, oldest change first.
    pub fn ids(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| c.target.id().to_owned())
            .collect()
    }

    /// The changes with the referrals already read for them.
    pub fn targets(&self) -> Vec<(Target, Option<Referral>)> {
        self.changes
            .iter()
            .map(|c| {
                let referral = match &c.target {
                    Target::Referral(id) => self.referrals.get(id).cloned(),
                    _ => None,
                };
                (c.target.clone(), referral)
            })
            .collect()
    }
}

impl Engine {
    /// Reads one side's changes in `window`. Nothing is written.
    pub async fn read_feed(&self, side: Side, window: Window) -> Result<FeedRead, EngineError> {
        let from = self.store().cursor(side.cursor()).await?;
        let stored = from.as_deref().and_then(Position::decode);
        let (since, cursor, overlap) = match window {
            Window::SinceCursor { overlap } => (
                stored.as_ref().map(|c| c.at - overlap),
                stored.clone(),
                overlap,
            ),
            Window::Since(since) => (since, None, chrono::Duration::zero()),
        };
        let (rows, echoes, referrals) = match side {
            Side::Salesforce => (
                self.salesforce_changes(since).await?,
                Vec::new(),
                BTreeMap::new(),
            ),
            Side::PartnerCenter => {
                // A load from a given date (backfill) looks at every
                // referral; following the cursor skips cosell's own echoes.
                let skip_echoes = matches!(window, Window::SinceCursor { .. });
                let found = self.partner_center_changes(since, skip_echoes).await?;
                (found.changes, found.echoes, found.referrals)
            }
        };
        let mut changes = newest_per_target(rows, cursor.as_ref(), overlap);
        let to = changes
            .iter()
            .map(|c| &c.at)
            .chain(&echoes)
            .max()
            .cloned()
            .max(stored);
        // Deletions are stamped on getDeleted's own clock and cursor: they
        // join the changes but never move the modstamp cursor.
        let mut team_deletions = None;
        if side == Side::Salesforce && matches!(window, Window::SinceCursor { .. }) {
            let found = self.team_deletions().await?;
            for change in found.changes {
                // At its newest position: a poller that already enqueued the
                // target at an older stamp must see this as new.
                match changes.iter_mut().find(|c| c.target == change.target) {
                    Some(known) if known.at < change.at => known.at = change.at,
                    Some(_) => {}
                    None => changes.push(change),
                }
            }
            changes.sort_by(|a, b| a.at.cmp(&b.at));
            team_deletions = found.cursor;
        }
        Ok(FeedRead {
            side,
            from,
            changes,
            referrals,
            to,
            team_deletions,
        })
    }

    /// Enqueues `jobs` and moves the cursor to where `read` ends, in one
    /// store transaction. The cursor does not move if another reader moved
    /// it since `read` began; returns whether it moved.
    pub async fn commit_feed(&self, read: &FeedRead, jobs: &[NewJob]) -> Result<bool, EngineError> {
        let to = read.to.as_ref().map(Position::encode);
        let moved = match to {
            Some(to) if read.from.as_ref() != Some(&to) => {
                self.store()
                    .enqueue_and_move_cursor(jobs, read.side.cursor(), read.from.as_deref(), &to)
                    .await?
            }
            _ => {
                self.store().enqueue(jobs).await?;
                false
            }
        };
        // After the jobs are in: a crash in between reads the deletions
        // again, which traces nothing twice that was synced.
        if let Some(team) = &read.team_deletions {
            self.store()
                .enqueue_and_move_cursor(&[], TEAM_DELETIONS_CURSOR, team.from.as_deref(), &team.to)
                .await?;
        }
        Ok(moved)
    }
}

/// The newest position per target among the rows past the cursor, or
/// inside the overlap before it; oldest first.
fn newest_per_target(
    rows: Vec<Change>,
    cursor: Option<&Position>,
    overlap: chrono::Duration,
) -> Vec<Change> {
    let mut newest: BTreeMap<Target, Position> = BTreeMap::new();
    for row in rows {
        let wanted = cursor.is_none_or(|c| {
            &row.at > c || (overlap > chrono::Duration::zero() && row.at.at >= c.at - overlap)
        });
        if !wanted {
            continue;
        }
        let entry = newest.entry(row.target).or_insert_with(|| row.at.clone());
        if row.at > *entry {
            *entry = row.at;
        }
    }
    let mut changes: Vec<Change> = newest
        .into_iter()
        .map(|(target, at)| Change { target, at })
        .collect();
    changes.sort_by(|a, b| a.at.cmp(&b.at));
    changes
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn at(seconds: i64, id: &str) -> Position {
        Position {
            at: Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap(),
            id: id.into(),
        }
    }

    fn change(opportunity: &str, position: Position) -> Change {
        Change {
            target: Target::Opportunity(opportunity.into()),
            at: position,
        }
    }

    #[test]
    fn each_target_appears_once_at_its_newest_change_oldest_first() {
        let rows = vec![
            change("006B", at(5, "003X")),
            change("006A", at(3, "006A")),
            change("006B", at(2, "006B")),
            change("006A", at(9, "001Y")),
        ];
        let changes = newest_per_target(rows, None, chrono::Duration::zero());
        assert_eq!(
            changes,
            vec![change("006B", at(5, "003X")), change("006A", at(9, "001Y"))]
        );
    }

    #[test]
    fn without_overlap_rows_at_or_before_the_cursor_are_skipped_ties_broken_by_id() {
        let rows = vec![
            change("006A", at(10, "006A")),
            change("006B", at(10, "006C")),
            change("006D", at(9, "006D")),
        ];
        let cursor = at(10, "006B");
        let changes = newest_per_target(rows, Some(&cursor), chrono::Duration::zero());
        assert_eq!(changes, vec![change("006B", at(10, "006C"))]);
    }

    #[test]
    fn the_overlap_reaches_back_for_late_commits() {
        let rows = vec![change("006A", at(8, "006A")), change("006B", at(3, "006B"))];
        let cursor = at(10, "006Z");
        let changes = newest_per_target(rows, Some(&cursor), chrono::Duration::seconds(5));
        assert_eq!(changes, vec![change("006A", at(8, "006A"))]);
    }
}
