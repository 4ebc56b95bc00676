//! Reading co-sell engagements while gathering a batch: a change to the
//! referral addressed to Microsoft is a change to the deal whose own
//! referral shares its engagement, and the partner's own `Shared` referral
//! is read with the rest of its engagement so [`crate::decide`] sees
//! Microsoft's answer ([`crate::engagement`]).

use salesforce::SalesforceId;
use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use partner_center::odata::ReferralQuery;
use partner_center::wire::Referral;

use super::{Engine, EngineError, Target, READ_CONCURRENCY};
use crate::engagement::{self, MicrosoftAnswer};

/// Other referrals of each engagement read, by the partner's own referral id.
pub(super) type Related = BTreeMap<String, Vec<Referral>>;

/// An engagement read for a referral id (None: Partner Center refused it).
type Read = (String, Result<Option<Vec<Referral>>, EngineError>);

impl Engine {
    /// The referrals of an engagement; a refusal other than an outage
    /// leaves it unread (None), so nothing is concluded from it.
    async fn engagement_of(
        &self,
        engagement_id: &str,
    ) -> Result<Option<Vec<Referral>>, EngineError> {
        match self
            .pc
            .list_all(&ReferralQuery::related(engagement_id))
            .await
        {
            Ok(referrals) => Ok(Some(referrals)),
            Err(e) if e.is_transient() => Err(e.into()),
            Err(e) => {
                tracing::warn!(engagement_id, error = %e, "could not read the engagement's referrals");
                Ok(None)
            }
        }
    }

    /// Replaces targets naming a referral Microsoft answered with the deal's
    /// own referral in the same engagement. Only referrals without a
    /// pair are looked at (the Microsoft side never has one); those read
    /// here join `referrals` so they are not read twice.
    pub(super) async fn redirect_microsoft_sides(
        &self,
        targets: Vec<Target>,
        referrals: &mut BTreeMap<String, Referral>,
        related: &mut Related,
    ) -> Result<Vec<Target>, EngineError> {
        let mut unpaired = Vec::new();
        for target in &targets {
            if let Target::Referral(id) = target {
                if self.store.pair_by_referral(id).await?.is_none() {
                    unpaired.push(id.clone());
                }
            }
        }
        let unread: Vec<String> = unpaired
            .iter()
            .filter(|id| !referrals.contains_key(*id))
            .cloned()
            .collect();
        let fetched = self.read_referrals(unread).await;
        for (id, result) in fetched {
            match result {
                Ok(referral) => {
                    referrals.insert(id, referral);
                }
                Err(e) if e.is_transient() => return Err(e.into()),
                // Read again, and judged, with the rest of the batch.
                Err(_) => {}
            }
        }
        let mut redirected = BTreeMap::new();
        for id in unpaired {
            let Some(theirs) = referrals.get(&id).filter(|r| r.is_for_microsoft()) else {
                continue;
            };
            // Not answered yet (its creation coming back): nothing to follow,
            // and no engagement read; the target is skipped as Microsoft's.
            if MicrosoftAnswer::of(theirs) == MicrosoftAnswer::Asked {
                continue;
            }
            let Some(engagement_id) = theirs.engagement_id.clone() else {
                continue;
            };
            let Some(members) = self.engagement_of(&engagement_id).await? else {
                continue;
            };
            let Some(own) = engagement::own_side(&members).cloned() else {
                continue;
            };
            let Some(own_id) = own.id.clone() else {
                continue;
            };
            related.insert(own_id.clone(), others(&members, &own_id));
            referrals.insert(own_id.clone(), own);
            redirected.insert(id, own_id);
        }
        let mut seen = BTreeSet::new();
        Ok(targets
            .into_iter()
            .map(|target| match &target {
                Target::Referral(id) => redirected
                    .get(id)
                    .map(|own| Target::Referral(own.clone()))
                    .unwrap_or(target),
                _ => target,
            })
            .filter(|target| seen.insert(target.clone()))
            .collect())
    }

    /// Reads the engagement of each of the partner's own `Shared` referrals
    /// not read yet, unless its pair already saw Microsoft's referral
    /// (`asked`): Microsoft's answers then arrive as changes to that
    /// referral, which [`Self::redirect_microsoft_sides`] follows, so a
    /// settled engagement costs no extra call.
    pub(super) async fn read_engagements(
        &self,
        referrals: &BTreeMap<String, Referral>,
        asked: &BTreeSet<String>,
        related: &mut Related,
    ) -> Result<(), EngineError> {
        let wanted: Vec<(String, String)> = referrals
            .iter()
            .filter(|(id, r)| {
                !related.contains_key(*id)
                    && !asked.contains(*id)
                    && engagement::may_engage_microsoft(r)
            })
            .filter_map(|(id, r)| Some((id.clone(), r.engagement_id.clone()?)))
            .collect();
        let read: Vec<Read> = stream::iter(wanted)
            .map(
                |(id, engagement_id)| async move { (id, self.engagement_of(&engagement_id).await) },
            )
            .buffer_unordered(READ_CONCURRENCY)
            .collect()
            .await;
        for (id, result) in read {
            if let Some(members) = result? {
                related.insert(id.clone(), others(&members, &id));
            }
        }
        Ok(())
    }
}

/// The engagement's referrals other than `id`.
fn others(members: &[Referral], id: &str) -> Vec<Referral> {
    members
        .iter()
        .filter(|r| {
            !r.id
                .as_deref()
                .is_some_and(|other| SalesforceId::same(other, id))
        })
        .cloned()
        .collect()
}
