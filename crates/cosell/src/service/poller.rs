//! The change pollers over the engine's change feed ([`sync::feed`]):
//! Salesforce opportunities and their related records by `SystemModstamp`,
//! and Partner Center referrals by `updatedDateTime` (the safety net behind
//! webhooks). Each runs under a
//! store lease so only one instance of a shared database polls; each reaches
//! back `poll_overlap` before its cursor so a change stamped at the cursor
//! boundary is never missed (the extra jobs are deduplicated and the sync is
//! idempotent).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use store::{NewJob, Store};
use sync::feed::{Position, Side, Window};
use sync::{Engine, EngineError, Target};
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;

/// How long a poller's lease lasts unless renewed: when its holder dies,
/// another instance takes the poller over within about this time, whatever
/// the poll interval (a standby takes over within seconds).
pub const POLLER_LEASE: Duration = Duration::from_secs(10);
/// The holder renews its lease (and a standby tries to take it) this many
/// times per lease period, also while a poll runs.
const RENEWALS_PER_LEASE: u32 = 3;
/// How far before its `since` a feed may answer: SOQL dateTime literals are
/// whole seconds ("Date Formats and Date Literals in WHERE"), so a query
/// from `since` reaches back to the start of that second.
const WINDOW_SLACK: Duration = Duration::from_secs(1);

/// Which change feed a poller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Salesforce opportunities (and their related rows).
    Salesforce,
    /// Partner Center referrals.
    PartnerCenter,
}

impl Feed {
    /// Label in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Feed::Salesforce => "salesforce",
            Feed::PartnerCenter => "partner_center",
        }
    }

    /// The store lease that makes this poller a singleton.
    pub fn lease_name(self) -> &'static str {
        match self {
            Feed::Salesforce => "poller.salesforce",
            Feed::PartnerCenter => "poller.partner_center",
        }
    }

    /// The side of the engine's change feed this poller reads.
    pub fn side(self) -> Side {
        match self {
            Feed::Salesforce => Side::Salesforce,
            Feed::PartnerCenter => Side::PartnerCenter,
        }
    }
}

/// When each poller last succeeded, for the poll-lag gauge.
#[derive(Debug)]
pub struct PollClock {
    started: Instant,
    last: Mutex<[Option<Instant>; 2]>,
}

impl Default for PollClock {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            last: Mutex::new([None, None]),
        }
    }
}

impl PollClock {
    fn slot(feed: Feed) -> usize {
        match feed {
            Feed::Salesforce => 0,
            Feed::PartnerCenter => 1,
        }
    }

    /// Notes a successful poll now.
    pub fn success(&self, feed: Feed) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last[Self::slot(feed)] = Some(Instant::now());
    }

    /// Time since the last success (since start when there was none).
    pub fn lag(&self, feed: Feed) -> Duration {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last[Self::slot(feed)].unwrap_or(self.started).elapsed()
    }

    /// Updates the poll lag gauges.
    pub fn export(&self, metrics: &Metrics) {
        for feed in [Feed::Salesforce, Feed::PartnerCenter] {
            metrics.set_poll_lag(feed.name(), self.lag(feed));
        }
    }
}

/// What a poller needs.
pub struct Poller {
    /// The feed it reads.
    pub feed: Feed,
    /// Reads changes and cursors.
    pub engine: Arc<Engine>,
    /// Enqueues jobs and holds the lease.
    pub store: Arc<dyn Store>,
    /// Time between polls.
    pub interval: Duration,
    /// How far before the cursor each poll reaches.
    pub overlap: Duration,
    /// This instance, as lease holder.
    pub holder: String,
    /// Last success times.
    pub clock: Arc<PollClock>,
    /// Changes already enqueued inside the overlap window.
    pub seen: SeenChanges,
}

impl Poller {
    /// Takes or renews this poller's lease; false when another instance
    /// holds it or the store cannot say.
    async fn hold_lease(&self) -> bool {
        match self
            .store
            .try_acquire_lease(self.feed.lease_name(), &self.holder, POLLER_LEASE)
            .await
        {
            Ok(held) => held,
            Err(error) => {
                tracing::warn!(poller = self.feed.name(), %error, "could not take the poller lease");
                false
            }
        }
    }

    /// Polls every interval while it holds the lease, renewing the lease
    /// every [`POLLER_LEASE`] / 3 (a standby tries to take it as often), until
    /// `shutdown`; then gives the lease up.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut renewals = tokio::time::interval(POLLER_LEASE / RENEWALS_PER_LEASE);
        renewals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = renewals.tick() => {
                    self.hold_lease().await;
                    continue;
                }
                _ = shutdown.cancelled() => break,
            }
            if !self.hold_lease().await {
                tracing::debug!(poller = self.feed.name(), "another instance polls");
                continue;
            }
            let poll = self.poll_once();
            tokio::pin!(poll);
            let result = loop {
                tokio::select! {
                    result = &mut poll => break Some(result),
                    _ = renewals.tick() => {
                        if !self.hold_lease().await {
                            // Another instance may poll now: stop here. The
                            // cursor moves only after the jobs are stored,
                            // so the next poll covers what this one missed.
                            tracing::warn!(poller = self.feed.name(), "lost the poller lease during a poll");
                            break None;
                        }
                    }
                    _ = shutdown.cancelled() => break None,
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            match result {
                Some(Ok(enqueued)) => {
                    self.clock.success(self.feed);
                    if enqueued > 0 {
                        tracing::info!(poller = self.feed.name(), enqueued, "changes found");
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(poller = self.feed.name(), %error, "poll failed; the cursor stays, the next poll covers it");
                }
                None => {}
            }
        }
        if let Err(error) = self
            .store
            .release_lease(self.feed.lease_name(), &self.holder)
            .await
        {
            tracing::debug!(poller = self.feed.name(), %error, "could not release the poller lease");
        }
    }

    /// One poll: changes since the cursor (minus the overlap) become jobs,
    /// and the cursor moves to the newest change seen, in one store
    /// transaction. Returns the number of targets enqueued.
    #[tracing::instrument(skip_all, fields(poller = self.feed.name()))]
    pub async fn poll_once(&self) -> Result<usize, EngineError> {
        let overlap = chrono::Duration::from_std(self.overlap).unwrap_or_default();
        let read = self
            .engine
            .read_feed(self.feed.side(), Window::SinceCursor { overlap })
            .await?;
        let since = read
            .from
            .as_deref()
            .and_then(Position::decode)
            .map(|c| back_by(c.at, self.overlap));
        let changes = read
            .changes
            .iter()
            .map(|c| (c.target.clone(), c.at.at))
            .collect();
        let now = Utc::now();
        let fresh = self.seen.unseen(changes, since, now);
        let jobs: Vec<NewJob> = fresh
            .iter()
            .map(|(target, at)| change_job(target, Some(*at)))
            .collect();
        self.engine.commit_feed(&read, &jobs).await?;
        self.seen.remember(fresh, now);
        Ok(jobs.len())
    }
}

/// Changes already enqueued inside the overlap window, by job key, with
/// their stamp: every poll re-reads the overlap, and what was enqueued with
/// the same stamp is not enqueued again (dedupe on id and stamp). Salesforce
/// stamps whole seconds, so a record edited again within the second of its
/// last stamp keeps that stamp: a stamp first enqueued sooner than
/// [`STAMP_SETTLED`] after it is enqueued once more by the first poll after
/// that, when no later edit can carry it any more (the job finds nothing to
/// do if nothing changed).
#[derive(Debug, Default)]
pub struct SeenChanges(std::sync::Mutex<std::collections::HashMap<String, Seen>>);

/// The newest stamp enqueued for a job key, and whether it had settled.
#[derive(Debug, Clone, Copy)]
struct Seen {
    stamp: DateTime<Utc>,
    settled: bool,
}

/// How long after its stamp a record may still be edited with the same
/// stamp: a second of stamp precision, and a second of clock skew between
/// cosell and the service.
const STAMP_SETTLED: chrono::Duration = chrono::Duration::seconds(2);

impl SeenChanges {
    /// The changes not enqueued yet with this stamp; forgets what fell out of
    /// the window that starts at `since`.
    pub fn unseen(
        &self,
        changes: Vec<(Target, DateTime<Utc>)>,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<(Target, DateTime<Utc>)> {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(since) = since {
            // A feed may answer from before `since` (SOQL dateTime literals
            // carry whole seconds): forget only what it can no longer return,
            // or that slice is enqueued again on every poll.
            let forget_before = back_by(since, WINDOW_SLACK);
            seen.retain(|_, known| known.stamp >= forget_before);
        }
        changes
            .into_iter()
            .filter(|(target, stamp)| {
                seen.get(&target.job_key()).is_none_or(|known| {
                    *stamp > known.stamp || (!known.settled && now >= known.stamp + STAMP_SETTLED)
                })
            })
            .collect()
    }

    /// Records changes once their jobs are committed, at `now`.
    pub fn remember(&self, enqueued: Vec<(Target, DateTime<Utc>)>, now: DateTime<Utc>) {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (target, stamp) in enqueued {
            let settled = now >= stamp + STAMP_SETTLED;
            seen.insert(target.job_key(), Seen { stamp, settled });
        }
    }
}

/// The durable job that syncs `target`.
pub fn job_for(target: &Target) -> NewJob {
    let key = target.job_key();
    NewJob::now(key.clone(), serde_json::json!({ "target": key }))
}

/// The job for a change of `target` its side stamped `changed_at`. A
/// referral's job carries the stamp (read back by
/// `settle::reported_change`), so a worker can tell a change the pair's
/// last sync already saw: cosell's own write coming back, or one change
/// reported by both the webhook and the poll.
pub fn change_job(target: &Target, changed_at: Option<DateTime<Utc>>) -> NewJob {
    let mut job = job_for(target);
    if let (Target::Referral(_), Some(at)) = (target, changed_at) {
        // Nine fractional digits, so the text sorts in time order.
        let at = at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
        job.payload[store::EVENT_MEMBER] = serde_json::json!({ "at": at });
    }
    job
}

/// `at` moved back by `overlap` (saturating).
fn back_by(at: DateTime<Utc>, overlap: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(overlap)
        .ok()
        .and_then(|d| at.checked_sub_signed(d))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_carry_the_target_key() {
        let job = job_for(&Target::Opportunity("006A".into()));
        assert_eq!(job.dedup_key, "opportunity:006A");
        assert_eq!(
            job.payload,
            serde_json::json!({ "target": "opportunity:006A" })
        );
        assert!(job.run_at.is_none());
    }

    #[test]
    fn changes_in_the_overlap_are_enqueued_once_per_stamp() {
        use chrono::TimeZone;
        let at = |s: i64| Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap();
        let opp = |id: &str| Target::Opportunity(id.into());
        let seen = SeenChanges::default();
        let first = seen.unseen(
            vec![(opp("006A"), at(10)), (opp("006B"), at(11))],
            Some(at(0)),
            at(20),
        );
        assert_eq!(first.len(), 2);
        seen.remember(first, at(20));
        // The next poll re-reads the overlap: same stamps are skipped, a newer one is not.
        let again = seen.unseen(
            vec![(opp("006A"), at(10)), (opp("006B"), at(15))],
            Some(at(5)),
            at(20),
        );
        assert_eq!(again, vec![(opp("006B"), at(15))]);
        // Not remembered (enqueue failed): offered again next time.
        assert_eq!(
            seen.unseen(vec![(opp("006B"), at(15))], Some(at(5)), at(20))
                .len(),
            1
        );
        // Out of the window: forgotten.
        assert_eq!(
            seen.unseen(vec![(opp("006A"), at(10))], Some(at(12)), at(20))
                .len(),
            1
        );
    }

    #[test]
    fn a_change_the_whole_second_window_returns_again_is_not_enqueued_again() {
        use chrono::TimeZone;
        let since = Utc.timestamp_opt(1_800_000_010, 600_000_000).unwrap();
        // SOQL dateTime literals carry whole seconds, so a poll from `since`
        // also returns this change stamped 0.3 s before it, every time.
        let early = Utc.timestamp_opt(1_800_000_010, 300_000_000).unwrap();
        let change = vec![(Target::Opportunity("006A".into()), early)];
        let seen = SeenChanges::default();
        let later = since + STAMP_SETTLED;
        let first = seen.unseen(change.clone(), Some(since), later);
        assert_eq!(first.len(), 1);
        seen.remember(first, later);
        assert!(seen.unseen(change, Some(since), later).is_empty());
    }

    #[test]
    fn a_stamp_seen_within_its_second_is_enqueued_once_more_after_it() {
        use chrono::TimeZone;
        // Salesforce stamps whole seconds: an edit 0.5 s after the one seen
        // at 10.2 s carries the same stamp, and must not be taken as seen.
        let stamp = Utc.timestamp_opt(1_800_000_010, 0).unwrap();
        let change = vec![(Target::Opportunity("006A".into()), stamp)];
        let seen = SeenChanges::default();
        let early = stamp + chrono::Duration::milliseconds(200);
        let first = seen.unseen(change.clone(), Some(stamp), early);
        seen.remember(first, early);
        assert!(
            seen.unseen(change.clone(), Some(stamp), early).is_empty(),
            "not again while its second may still change"
        );
        let settled = stamp + STAMP_SETTLED;
        let again = seen.unseen(change.clone(), Some(stamp), settled);
        assert_eq!(again.len(), 1, "once more after it settled");
        seen.remember(again, settled);
        assert!(seen.unseen(change, Some(stamp), settled).is_empty());
    }

    #[test]
    fn the_overlap_reaches_back() {
        let at = DateTime::parse_from_rfc3339("2025-01-01T00:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            back_by(at, Duration::from_secs(5)).to_rfc3339(),
            "2025-01-01T00:00:05+00:00"
        );
    }

    #[test]
    fn lag_counts_from_start_then_from_the_last_success() {
        let clock = PollClock::default();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.lag(Feed::Salesforce) >= Duration::from_millis(20));
        clock.success(Feed::Salesforce);
        assert!(clock.lag(Feed::Salesforce) < Duration::from_millis(20));
        assert!(clock.lag(Feed::PartnerCenter) >= Duration::from_millis(20));
    }
}
