//! The AWS side's pollers: Salesforce opportunities shared with AWS every
//! `worker.salesforce_poll_seconds`, and AWS opportunities and invitations
//! every `aws.reconcile_seconds` (the safety net for "best effort" events).
//! One instance polls at a time (a lease per feed), like the other pollers.

use std::sync::Arc;
use std::time::Duration;

use store::Store;
use sync::aws::AwsSync;
use tokio_util::sync::CancellationToken;

use super::poller::POLLER_LEASE;

/// Which AWS-side feed.
#[derive(Debug, Clone, Copy)]
enum AwsFeed {
    Salesforce,
    Aws,
}

impl AwsFeed {
    fn lease(self) -> &'static str {
        match self {
            Self::Salesforce => "poller.aws_salesforce",
            Self::Aws => "poller.aws",
        }
    }
}

/// Polls both AWS-side feeds until shutdown.
pub struct AwsPoller {
    /// The AWS side.
    pub side: Arc<AwsSync>,
    /// Where leases, cursors and jobs live.
    pub store: Arc<dyn Store>,
    /// Between Salesforce polls.
    pub salesforce_interval: Duration,
    /// Between AWS reconcile polls.
    pub aws_interval: Duration,
    /// How far each poll reaches back before its cursor.
    pub overlap: Duration,
    /// This instance, as lease holder.
    pub holder: String,
}

impl AwsPoller {
    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut salesforce = tokio::time::interval(self.salesforce_interval);
        let mut aws = tokio::time::interval(self.aws_interval);
        for ticks in [&mut salesforce, &mut aws] {
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        loop {
            let feed = tokio::select! {
                _ = salesforce.tick() => AwsFeed::Salesforce,
                _ = aws.tick() => AwsFeed::Aws,
                _ = shutdown.cancelled() => break,
            };
            self.poll(feed).await;
        }
        for feed in [AwsFeed::Salesforce, AwsFeed::Aws] {
            let _ = self.store.release_lease(feed.lease(), &self.holder).await;
        }
    }

    async fn poll(&self, feed: AwsFeed) {
        match self
            .store
            .try_acquire_lease(feed.lease(), &self.holder, POLLER_LEASE)
            .await
        {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(poller = feed.lease(), %error, "could not take the poller lease");
                return;
            }
        }
        let overlap = chrono::Duration::from_std(self.overlap).unwrap_or_default();
        let result = match feed {
            AwsFeed::Salesforce => self.side.poll_salesforce(overlap).await,
            AwsFeed::Aws => self.side.poll_aws(overlap).await,
        };
        match result {
            Ok(0) => {}
            Ok(enqueued) => tracing::info!(poller = feed.lease(), enqueued, "changes found"),
            Err(failure) => {
                tracing::warn!(poller = feed.lease(), error = %failure.message, "poll failed; the cursor stays, the next poll covers it")
            }
        }
    }
}
