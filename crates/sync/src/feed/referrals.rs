//! The Partner Center side of the feed: referrals updated since a stamp,
//! oldest first. A referral that does not decode is still a change (its sync
//! reads it again and fails alone, with the reason), and a referral whose
//! eTag is the one cosell recorded after its own write is that write coming
//! back: an echo, which moves the cursor and costs no re-read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use partner_center::odata::{Filter, ReferralQuery, SortOrder};
use partner_center::wire::{Listing, Referral};
use partner_center::UndocumentedFilter;

use super::{Change, Position};
use crate::engine::{Engine, EngineError, Target};
use crate::snapshot::Snapshot;

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
        let listing = self.referrals_updated_since(since).await?;
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

    /// Referrals updated since `since`, decoded one by one. Partner Center
    /// does not document `$filter` on `updatedDateTime`: while the service
    /// honours it the listing is lenient (a referral that does not decode is
    /// set apart); once it refuses or ignores it, the client's own
    /// documented-only scan takes over (`ReferralsClient::changed_since`).
    async fn referrals_updated_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Listing, EngineError> {
        let pc = self.partner_center();
        let by_update = ReferralQuery::new().order_by("updatedDateTime", SortOrder::Asc);
        let Some(since) = since else {
            return Ok(pc.list_all_lenient(&by_update).await?);
        };
        let scan = || async {
            Ok::<_, EngineError>(Listing {
                referrals: pc.changed_since(Some(since)).await?,
                undecodable: Vec::new(),
            })
        };
        if pc
            .filter_support(UndocumentedFilter::UpdatedSince)
            .client_side()
        {
            return scan().await;
        }
        let query = by_update.filter(Filter::ge("updatedDateTime", since));
        match pc.list_all_lenient(&query).await {
            Ok(listing) if listing.referrals.iter().all(|r| updated_since(r, since)) => Ok(listing),
            // Refused (400) or ignored: let the client learn it and scan.
            Ok(_) => scan().await,
            Err(e) if e.status() == Some(400) => scan().await,
            Err(e) => Err(e.into()),
        }
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

impl Engine {
    /// A change of `referral_id` stamped `changed_at` (a webhook's, a
    /// poll's) is nothing the pair's last sync did not see (cosell's own write coming back, or a
    /// change it already read): syncing it would re-read the referral for
    /// nothing. A failed pair is always synced again.
    pub async fn has_seen_referral_change(
        &self,
        referral_id: &str,
        changed_at: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let pair = self.store().pair_by_referral(referral_id).await?;
        Ok(pair.is_some_and(|p| {
            p.state != store::PairState::Failed
                && p.snapshot
                    .as_ref()
                    .and_then(Snapshot::from_json)
                    .is_some_and(|s| s.has_seen_change_at(changed_at))
        }))
    }
}

/// The referral was updated at or after `since` (per its own stamp).
fn updated_since(referral: &Referral, since: DateTime<Utc>) -> bool {
    referral
        .updated_date_time
        .as_ref()
        .and_then(|t| t.to_utc())
        .is_some_and(|at| at >= since)
}
