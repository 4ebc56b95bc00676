//! The Partner Center side of the feed: referrals updated since a stamp,
//! oldest first. A referral that does not decode is still a change (its sync
//! reads it again and fails alone, with the reason), and a referral whose
//! eTag is the one cosell recorded after its own write is that write coming
//! back: an echo, which moves the cursor and costs no re-read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use partner_center::odata::{Filter, ReferralQuery, SortOrder};
use partner_center::wire::Referral;

use super::{Change, Position};
use crate::engine::{Engine, EngineError, Target};

/// What the referral listing found.
pub(super) struct Found {
    /// Referrals to sync.
    pub changes: Vec<Change>,
    /// Where echoes stood: they move the cursor but need no sync.
    pub echoes: Vec<Position>,
    /// The decoded referrals, by id.
    pub referrals: BTreeMap<String, Referral>,
}

impl Engine {
    /// Referrals updated since `since` (all when None); echoes are set
    /// apart when `skip_echoes`.
    pub(super) async fn partner_center_changes(
        &self,
        since: Option<DateTime<Utc>>,
        skip_echoes: bool,
    ) -> Result<Found, EngineError> {
        let mut query = ReferralQuery::new().order_by("updatedDateTime", SortOrder::Asc);
        if let Some(since) = since {
            query = query.filter(Filter::ge("updatedDateTime", since));
        }
        let listing = self.partner_center().list_all_lenient(&query).await?;
        let mut found = Found {
            changes: Vec::new(),
            echoes: Vec::new(),
            referrals: BTreeMap::new(),
        };
        for bad in listing.undecodable {
            let at = bad
                .updated_date_time
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            let (Some(id), Some(at)) = (bad.id, at) else {
                tracing::warn!(reason = %bad.reason, "Partner Center listed a referral without a readable id or date; skipped");
                continue;
            };
            tracing::warn!(referral = %id, reason = %bad.reason, "a listed referral does not decode; it fails on its own");
            let at = Position {
                at: at.with_timezone(&Utc),
                id: id.clone(),
            };
            found.changes.push(Change {
                target: Target::Referral(id),
                at,
            });
        }
        for referral in listing.referrals {
            let (Some(id), Some(at)) = (
                referral.id.clone(),
                referral.updated_date_time.as_ref().and_then(|t| t.to_utc()),
            ) else {
                continue;
            };
            let at = Position { at, id: id.clone() };
            if skip_echoes && self.is_echo(&referral).await? {
                found.echoes.push(at);
                continue;
            }
            found.changes.push(Change {
                target: Target::Referral(id.clone()),
                at,
            });
            found.referrals.insert(id, referral);
        }
        Ok(found)
    }

    /// The referral is exactly what cosell last wrote or read for its pair.
    async fn is_echo(&self, referral: &Referral) -> Result<bool, EngineError> {
        let (Some(id), Some(tag)) = (&referral.id, &referral.e_tag) else {
            return Ok(false);
        };
        let pair = self.store().pair_by_referral(id).await?;
        Ok(pair.is_some_and(|p| {
            p.state != store::PairState::Failed && p.referral_version.as_ref() == Some(tag)
        }))
    }
}
