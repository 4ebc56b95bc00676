//! The AWS side's change feed: Salesforce opportunities shared with AWS,
//! linked to it or invited by it, changed since a `SystemModstamp` cursor;
//! AWS opportunities changed since a `LastModifiedDate` cursor
//! (`ListOpportunities` filtered by last modified date,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_ListOpportunities.html>);
//! and pending invitations not yet in Salesforce. Each poll enqueues its
//! jobs and moves its cursor in one transaction; events are only a faster
//! path to the same jobs.

use chrono::{DateTime, Utc};
use salesforce::soql::{Condition, Direction, Soql};
use serde_json::json;
use store::{Cloud, NewJob};

use super::engine::{store_failure, AwsSync};
use crate::engine::{Failure, Outcome, Target};

/// Cursor of the Salesforce side (`SystemModstamp`, RFC 3339).
pub const SALESFORCE_CURSOR: &str = "aws.salesforce.modstamp";
/// Cursor of the AWS side (`LastModifiedDate`, RFC 3339).
pub const AWS_CURSOR: &str = "aws.opportunities.modified";

/// The job that syncs `target`.
pub fn job_for(target: &Target) -> NewJob {
    NewJob::now(target.job_key(), json!({ "target": target.job_key() }))
}

fn parse(stamp: Option<String>) -> Option<DateTime<Utc>> {
    stamp
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl AwsSync {
    /// Enqueues a job per Salesforce opportunity of the AWS side changed
    /// since the cursor (less `overlap`); returns how many.
    pub async fn poll_salesforce(&self, overlap: chrono::Duration) -> Result<usize, Failure> {
        let changes = self.salesforce_changes(overlap).await?;
        self.enqueue_changes(&changes).await
    }

    /// The Salesforce opportunities of the AWS side changed since the
    /// cursor (less `overlap`): shared with AWS, linked to it or invited by it.
    async fn salesforce_changes(&self, overlap: chrono::Duration) -> Result<Changes, Failure> {
        let from = self.read_cursor(SALESFORCE_CURSOR).await?;
        let f = &self.aws.fields;
        let mut filter = Condition::any([
            Condition::eq(f.share_flag.as_str(), true),
            Condition::not_null(f.opportunity_id.as_str()),
            Condition::not_null(f.invitation_id.as_str()),
        ]);
        if let Some(since) = parse(from.clone()) {
            filter = filter.and(Condition::gt("SystemModstamp", since - overlap));
        }
        let soql = Soql::select(["Id", "SystemModstamp"])
            .from("Opportunity")
            .where_(filter)
            .order_by("SystemModstamp", Direction::Asc);
        let rows = self
            .sf
            .query_all_records(&soql)
            .await
            .map_err(|e| Failure::from_salesforce(&e).context("polling Salesforce for AWS"))?;
        Ok(Changes {
            targets: rows
                .iter()
                .filter_map(|r| r.str("Id"))
                .map(|id| Target::AwsSalesforce(id.to_owned()))
                .collect(),
            cursor: SALESFORCE_CURSOR,
            from,
            newest: rows
                .iter()
                .filter_map(|r| r.datetime("SystemModstamp"))
                .max(),
        })
    }

    /// Enqueues a job per AWS opportunity changed since the cursor (less
    /// `overlap`) and per pending invitation not yet in Salesforce.
    pub async fn poll_aws(&self, overlap: chrono::Duration) -> Result<usize, Failure> {
        let changes = self.aws_changes(overlap).await?;
        self.enqueue_changes(&changes).await
    }

    /// The AWS opportunities changed since the cursor (less `overlap`) and
    /// the pending invitations not yet in Salesforce.
    async fn aws_changes(&self, overlap: chrono::Duration) -> Result<Changes, Failure> {
        let from = self.read_cursor(AWS_CURSOR).await?;
        let after = parse(from.clone())
            .map(|t| aws_partner_central::DateTime::from_millis((t - overlap).timestamp_millis()));
        let changed = self
            .client
            .modified_since(after)
            .await
            .map_err(|e| Failure::from_aws(&e, "listing opportunities"))?;
        let mut newest: Option<DateTime<Utc>> = None;
        let mut targets = Vec::new();
        for summary in changed {
            if let Some(t) = summary
                .last_modified_date
                .and_then(|t| DateTime::from_timestamp_millis(t.to_millis().ok()?))
            {
                newest = newest.max(Some(t));
            }
            if let Some(id) = summary.id {
                targets.push(Target::AwsOpportunity(id));
            }
        }
        let invitations = self
            .client
            .pending_invitations()
            .await
            .map_err(|e| Failure::from_aws(&e, "listing invitations"))?;
        for invitation in invitations {
            let known = self
                .store
                .link_by_invitation(Cloud::Aws, &invitation.id)
                .await
                .map_err(|e| store_failure(&e))?;
            if known.is_none() {
                targets.push(Target::AwsInvitation(invitation.id));
            }
        }
        Ok(Changes {
            targets,
            cursor: AWS_CURSOR,
            from,
            newest,
        })
    }

    /// One pass over both AWS-side feeds, synced here rather than queued
    /// (`cosell sync`); the cursors move only when nothing is left to retry.
    pub async fn full_pass(&self, overlap: chrono::Duration) -> Result<Vec<Outcome>, Failure> {
        let reads = [
            self.salesforce_changes(overlap).await?,
            self.aws_changes(overlap).await?,
        ];
        let mut targets: Vec<Target> = Vec::new();
        for target in reads.iter().flat_map(|r| r.targets.iter()) {
            if !targets.contains(target) {
                targets.push(target.clone());
            }
        }
        let outcomes = self.sync_targets(targets).await;
        let retry = outcomes
            .iter()
            .any(|o| o.failure.as_ref().is_some_and(|f| !f.permanent));
        if !retry {
            for read in &reads {
                self.commit(&[], read).await?;
            }
        }
        Ok(outcomes)
    }

    async fn enqueue_changes(&self, changes: &Changes) -> Result<usize, Failure> {
        let jobs: Vec<NewJob> = changes.targets.iter().map(job_for).collect();
        self.commit(&jobs, changes).await?;
        Ok(jobs.len())
    }

    /// The stored value of cursor `name`.
    async fn read_cursor(&self, name: &str) -> Result<Option<String>, Failure> {
        self.store.cursor(name).await.map_err(|e| store_failure(&e))
    }

    /// Enqueues `jobs` and moves the read's cursor to the newest change it
    /// saw (when newer), in one transaction.
    async fn commit(&self, jobs: &[NewJob], read: &Changes) -> Result<(), Failure> {
        let to = read
            .newest
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let result = match to.filter(|to| Some(to) != read.from.as_ref()) {
            Some(to) => self
                .store
                .enqueue_and_move_cursor(jobs, read.cursor, read.from.as_deref(), &to)
                .await
                .map(|_| ()),
            None => self.store.enqueue(jobs).await.map(|_| ()),
        };
        result.map_err(|e| store_failure(&e))
    }
}

/// What one feed read found, and where its cursor may move.
struct Changes {
    targets: Vec<Target>,
    cursor: &'static str,
    from: Option<String>,
    newest: Option<DateTime<Utc>>,
}
