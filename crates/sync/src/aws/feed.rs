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
use crate::engine::{Failure, Target};

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
        let from = self
            .store
            .cursor(SALESFORCE_CURSOR)
            .await
            .map_err(|e| store_failure(&e))?;
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
        let newest = rows
            .iter()
            .filter_map(|r| r.datetime("SystemModstamp"))
            .max();
        let jobs: Vec<NewJob> = rows
            .iter()
            .filter_map(|r| r.str("Id"))
            .map(|id| job_for(&Target::AwsSalesforce(id.to_owned())))
            .collect();
        self.commit(&jobs, SALESFORCE_CURSOR, from, newest).await
    }

    /// Enqueues a job per AWS opportunity changed since the cursor (less
    /// `overlap`) and per pending invitation not yet in Salesforce.
    pub async fn poll_aws(&self, overlap: chrono::Duration) -> Result<usize, Failure> {
        let from = self
            .store
            .cursor(AWS_CURSOR)
            .await
            .map_err(|e| store_failure(&e))?;
        let after = parse(from.clone())
            .map(|t| aws_partner_central::DateTime::from_millis((t - overlap).timestamp_millis()));
        let changed = self
            .client
            .modified_since(after)
            .await
            .map_err(|e| Failure::from_aws(&e, "listing opportunities"))?;
        let mut newest: Option<DateTime<Utc>> = None;
        let mut jobs = Vec::new();
        for summary in changed {
            if let Some(t) = summary
                .last_modified_date
                .and_then(|t| DateTime::from_timestamp_millis(t.to_millis().ok()?))
            {
                newest = newest.max(Some(t));
            }
            if let Some(id) = summary.id {
                jobs.push(job_for(&Target::AwsOpportunity(id)));
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
                jobs.push(job_for(&Target::AwsInvitation(invitation.id)));
            }
        }
        self.commit(&jobs, AWS_CURSOR, from, newest).await
    }

    /// Enqueues `jobs` and moves `cursor` from `from` to `newest` (when
    /// anything newer was seen) in one transaction.
    async fn commit(
        &self,
        jobs: &[NewJob],
        cursor: &str,
        from: Option<String>,
        newest: Option<DateTime<Utc>>,
    ) -> Result<usize, Failure> {
        let to = newest.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let result = match to.filter(|to| Some(to) != from.as_ref()) {
            Some(to) => self
                .store
                .enqueue_and_move_cursor(jobs, cursor, from.as_deref(), &to)
                .await
                .map(|_| ()),
            None => self.store.enqueue(jobs).await.map(|_| ()),
        };
        result.map_err(|e| store_failure(&e))?;
        Ok(jobs.len())
    }
}
