//! The two queries the connector needs that Partner Center does not
//! document: referrals changed since a time (`updatedDateTime ge …`) and the
//! referral created for a CRM record (`externalReferenceId eq …`).
//!
//! The list documentation shows `$filter` only on `engagementId`, `status`,
//! `substatus`, `type`, `direction`, `qualification`, the customer's country
//! and `team/any(…)`, and `$orderby` on `createdDateTime`/`updatedDateTime`
//! (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>;
//! <https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>). So each query first asks the service to filter, checks
//! the answer, and remembers what it learnt:
//! - a 400 `invalidRequest` means the filter is refused;
//! - a referral that does not satisfy the filter means it was ignored;
//!
//! and from then on the client filters itself, over documented queries only:
//! paging by `updatedDateTime desc` with an early stop at the first older
//! referral, and paging outgoing referrals by `createdDateTime desc` with a
//! stop at the first one created before the record could have been.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};

use chrono::{DateTime, Utc};

use super::ReferralsClient;
use crate::error::{Error, ErrorCode};
use crate::odata::{Filter, ReferralQuery, SortOrder};
use crate::wire::{Direction, Referral, ReferralPage};

/// What the service does with one undocumented `$filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterSupport {
    /// Not asked yet.
    Unknown,
    /// The service applied it every time so far.
    Honoured,
    /// The service answered 400; the client filters instead.
    Rejected,
    /// The service returned referrals it should have filtered out; the client filters instead.
    Ignored,
}

impl FilterSupport {
    /// Short name for metrics labels and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Honoured => "server",
            Self::Rejected => "client-refused",
            Self::Ignored => "client-ignored",
        }
    }

    /// What it means, for `status` and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unknown => "not used yet",
            Self::Honoured => "filtered by Partner Center",
            Self::Rejected => "filtered by cosell (Partner Center refuses the filter)",
            Self::Ignored => "filtered by cosell (Partner Center ignores the filter)",
        }
    }

    /// Whether the client filters itself.
    pub fn client_side(self) -> bool {
        matches!(self, Self::Rejected | Self::Ignored)
    }

    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Honoured,
            2 => Self::Rejected,
            3 => Self::Ignored,
            _ => Self::Unknown,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Honoured => 1,
            Self::Rejected => 2,
            Self::Ignored => 3,
        }
    }
}

/// The undocumented filters the connector relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UndocumentedFilter {
    /// `updatedDateTime ge …`: the reconcile poll.
    UpdatedSince,
    /// `externalReferenceId eq …`: finding a referral created before a crash.
    ExternalReference,
}

impl UndocumentedFilter {
    /// Both, for reports.
    pub const ALL: [UndocumentedFilter; 2] = [Self::UpdatedSince, Self::ExternalReference];

    /// The filtered property.
    pub fn property(self) -> &'static str {
        match self {
            Self::UpdatedSince => "updatedDateTime",
            Self::ExternalReference => "externalReferenceId",
        }
    }
}

/// What one client (and its clones) learnt about the service's filters.
#[derive(Debug, Default)]
pub(crate) struct Learnt {
    updated_since: AtomicU8,
    external_reference: AtomicU8,
}

impl Learnt {
    fn slot(&self, filter: UndocumentedFilter) -> &AtomicU8 {
        match filter {
            UndocumentedFilter::UpdatedSince => &self.updated_since,
            UndocumentedFilter::ExternalReference => &self.external_reference,
        }
    }

    fn get(&self, filter: UndocumentedFilter) -> FilterSupport {
        FilterSupport::from_u8(self.slot(filter).load(Ordering::Relaxed))
    }

    fn set(&self, filter: UndocumentedFilter, support: FilterSupport) {
        let before = self.slot(filter).swap(support.to_u8(), Ordering::Relaxed);
        if support.client_side() && FilterSupport::from_u8(before) != support {
            tracing::warn!(
                property = filter.property(),
                mode = support.describe(),
                "Partner Center does not apply this $filter; filtering on the client from now on"
            );
        }
    }
}

/// True when the service refused the query itself (400 `invalidRequest`).
fn refused(error: &Error) -> bool {
    error.status() == Some(400) && error.code() == Some(&ErrorCode::InvalidRequest)
}

fn updated(referral: &Referral) -> Option<DateTime<Utc>> {
    referral.updated_date_time.as_ref()?.to_utc()
}

fn created(referral: &Referral) -> Option<DateTime<Utc>> {
    referral.created_date_time.as_ref()?.to_utc()
}

/// Whether `referral` satisfies `updatedDateTime ge since` (an unreadable time
/// counts as changed). A service that compared at a coarser precision would
/// look like one ignoring the filter; the fallback is then merely slower.
fn changed_since(referral: &Referral, since: DateTime<Utc>) -> bool {
    updated(referral).is_none_or(|at| at >= since)
}

fn has_external_reference(referral: &Referral, external_id: &str) -> bool {
    referral.external_reference_id.as_deref() == Some(external_id)
}

/// Pages of a query, each fetched only when asked for.
struct Pages<'a> {
    client: &'a ReferralsClient,
    next: Option<String>,
    seen: HashSet<String>,
}

impl<'a> Pages<'a> {
    fn after(client: &'a ReferralsClient, first: &mut ReferralPage) -> Self {
        Self {
            client,
            next: first.next_link.take(),
            seen: HashSet::new(),
        }
    }

    async fn next(&mut self) -> Result<Option<Vec<Referral>>, Error> {
        let Some(link) = self.next.take() else {
            return Ok(None);
        };
        if !self.seen.insert(link.clone()) {
            return Err(Error::Decode {
                message: "@odata.nextLink repeats an earlier page".into(),
                request_id: None,
            });
        }
        let mut page = self.client.next_page(&link).await?;
        self.next = page.next_link.take();
        Ok(Some(page.value))
    }
}

impl ReferralsClient {
    /// What this client learnt about an undocumented filter.
    pub fn filter_support(&self, filter: UndocumentedFilter) -> FilterSupport {
        self.learnt.get(filter)
    }

    /// Referrals updated at or after `since` (every referral when None),
    /// oldest change first, whether or not the service filters on
    /// `updatedDateTime`.
    #[tracing::instrument(skip(self))]
    pub async fn changed_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Referral>, Error> {
        let by_update = ReferralQuery::new().order_by("updatedDateTime", SortOrder::Asc);
        let Some(since) = since else {
            return self.list_all(&by_update).await;
        };
        const FILTER: UndocumentedFilter = UndocumentedFilter::UpdatedSince;
        if self.learnt.get(FILTER).client_side() {
            return self.scan_changed_since(since).await;
        }
        let query = by_update.filter(Filter::ge("updatedDateTime", since));
        let mut first = match self.list(&query).await {
            Ok(page) => page,
            Err(e) if refused(&e) => {
                self.learnt.set(FILTER, FilterSupport::Rejected);
                return self.scan_changed_since(since).await;
            }
            Err(e) => return Err(e),
        };
        let mut all = std::mem::take(&mut first.value);
        let mut pages = Pages::after(self, &mut first);
        loop {
            if !all.iter().all(|r| changed_since(r, since)) {
                self.learnt.set(FILTER, FilterSupport::Ignored);
                return self.scan_changed_since(since).await;
            }
            match pages.next().await? {
                Some(mut page) => all.append(&mut page),
                None => break,
            }
        }
        self.learnt.set(FILTER, FilterSupport::Honoured);
        Ok(all)
    }

    /// `changed_since` over the documented `$orderby=updatedDateTime desc`,
    /// stopping at the first referral older than `since` (or reading every
    /// page if the service does not keep that order either).
    async fn scan_changed_since(&self, since: DateTime<Utc>) -> Result<Vec<Referral>, Error> {
        let query = ReferralQuery::new().order_by("updatedDateTime", SortOrder::Desc);
        let mut first = self.list(&query).await?;
        let mut page = std::mem::take(&mut first.value);
        let mut pages = Pages::after(self, &mut first);
        let mut changed = Vec::new();
        let mut ordered = true;
        let mut previous: Option<DateTime<Utc>> = None;
        loop {
            let mut older_seen = false;
            for referral in page {
                let at = updated(&referral);
                if let (Some(before), Some(now)) = (previous, at) {
                    ordered &= now <= before;
                }
                previous = at.or(previous);
                if changed_since(&referral, since) {
                    changed.push(referral);
                } else {
                    older_seen = true;
                }
            }
            if older_seen && ordered {
                break;
            }
            match pages.next().await? {
                Some(next) => page = next,
                None => break,
            }
        }
        changed.sort_by_key(updated);
        Ok(changed)
    }

    /// The outgoing referral whose `externalReferenceId` is `external_id`,
    /// whether or not the service filters on it. `created_after` (when the
    /// record asked for its referral; allow for clock skew) bounds the
    /// fallback scan.
    #[tracing::instrument(skip(self))]
    pub async fn find_by_external_reference(
        &self,
        external_id: &str,
        created_after: Option<DateTime<Utc>>,
    ) -> Result<Option<Referral>, Error> {
        const FILTER: UndocumentedFilter = UndocumentedFilter::ExternalReference;
        if self.learnt.get(FILTER).client_side() {
            return self
                .scan_external_reference(external_id, created_after)
                .await;
        }
        let query = ReferralQuery::new()
            .filter(Filter::eq("externalReferenceId", external_id))
            .top(1);
        match self.list(&query).await {
            Ok(page)
                if page
                    .value
                    .iter()
                    .all(|r| has_external_reference(r, external_id)) =>
            {
                self.learnt.set(FILTER, FilterSupport::Honoured);
                Ok(page.value.into_iter().next())
            }
            Ok(_) => {
                self.learnt.set(FILTER, FilterSupport::Ignored);
                self.scan_external_reference(external_id, created_after)
                    .await
            }
            Err(e) if refused(&e) => {
                self.learnt.set(FILTER, FilterSupport::Rejected);
                self.scan_external_reference(external_id, created_after)
                    .await
            }
            Err(e) => Err(e),
        }
    }

    /// `find_by_external_reference` over documented options: outgoing
    /// referrals, newest first, until one matches or the rest are older
    /// than `created_after`.
    async fn scan_external_reference(
        &self,
        external_id: &str,
        created_after: Option<DateTime<Utc>>,
    ) -> Result<Option<Referral>, Error> {
        let query = ReferralQuery::new()
            .filter(Filter::eq("direction", Direction::Outgoing))
            .order_by("createdDateTime", SortOrder::Desc);
        let mut first = self.list(&query).await?;
        let mut page = std::mem::take(&mut first.value);
        let mut pages = Pages::after(self, &mut first);
        loop {
            let mut too_old = false;
            for referral in page {
                if has_external_reference(&referral, external_id)
                    && referral.direction != Some(Direction::Incoming)
                {
                    return Ok(Some(referral));
                }
                too_old |= matches!((created_after, created(&referral)), (Some(bound), Some(at)) if at < bound);
            }
            if too_old {
                return Ok(None);
            }
            match pages.next().await? {
                Some(next) => page = next,
                None => return Ok(None),
            }
        }
    }
}
