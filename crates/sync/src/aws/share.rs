//! Sharing an opportunity with AWS: check what AWS requires and name each
//! missing Salesforce field; record a `ClientToken` before creating, so a
//! crash between the create and its record never makes a second AWS
//! opportunity (`CreateOpportunity` is idempotent by `ClientToken`,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_CreateOpportunity.html>);
//! then associate the solutions and submit it for review.

use aws_partner_central::types::{SalesInvolvementType, Visibility};
use aws_partner_central::{ClientToken, Opportunity};
use salesforce::Record;
use serde_json::json;
use store::{AuditLevel, Cloud, CloudLink, PairState};

use super::deal::AwsDeal;
use super::engine::{AwsSync, Done};
use super::link::LinkSnapshot;
use super::review::PENDING_SUBMISSION;
use crate::engine::{Failure, Write};

/// The review status written to Salesforce once submitted.
const SUBMITTED: &str = "Submitted";

impl AwsSync {
    /// Shares the opportunity `record` with AWS (`link`: a share a crash or
    /// a refusal cut short).
    pub(super) async fn share(
        &self,
        link: Option<CloudLink>,
        record: &Record,
    ) -> Result<Done, Failure> {
        let opportunity_id = record.str("Id").unwrap_or_default().to_owned();
        let deal = AwsDeal::from_opportunity(record, &self.aws, &self.sync);
        let read_at = link.as_ref().map(|l| l.updated_at);
        let mut link = link.unwrap_or_else(|| {
            let mut link = CloudLink::new(Cloud::Aws, deal.title.clone().unwrap_or_default());
            link.opportunity_id = Some(opportunity_id.clone());
            link
        });
        let missing = deal.missing(&self.aws);
        if !missing.is_empty() {
            let message = format!(
                "Not shared with AWS: fill in {} on the opportunity",
                self.field_list(&missing)
            );
            return self.refuse(link, read_at, &opportunity_id, message).await;
        }
        let token = match &link.client_token {
            Some(stored) => ClientToken::from_stored(stored.clone())
                .map_err(|e| Failure::permanent(format!("stored ClientToken: {e}")))?,
            None => ClientToken::new(),
        };
        link.client_token = Some(token.as_str().to_owned());
        link.name = deal.title.clone().unwrap_or_default();
        self.save(&mut link, read_at).await?;
        let fields = deal.new_fields(&self.aws, &opportunity_id);
        let created = match self.client.create(&token, fields, Vec::new()).await {
            Ok(created) => created,
            Err(e) => {
                let failure = Failure::from_aws(&e, "creating the opportunity");
                if failure.permanent {
                    let read_at = Some(link.updated_at);
                    return self
                        .refuse(link, read_at, &opportunity_id, failure.message)
                        .await;
                }
                return Err(failure);
            }
        };
        link.remote_id = Some(created.id.clone());
        let read_at = Some(link.updated_at);
        self.save(&mut link, read_at).await?;
        let opportunity = self
            .client
            .get(&created.id)
            .await
            .map_err(|e| Failure::from_aws(&e, "reading the new opportunity"))?;
        let mut snapshot = LinkSnapshot::of(&link);
        self.submit(&mut link, &mut snapshot, &opportunity, &opportunity_id)
            .await?;
        Ok(Done {
            link: Some(link.id),
            description: format!("shared with AWS as {}", created.id),
            aws: Write::Created,
            salesforce: Write::Updated,
        })
    }

    /// Associates the configured solutions the opportunity lacks and submits
    /// it, when it waits for submission; records the submission and tells
    /// Salesforce. `opportunity` is AWS's copy as just read.
    pub(super) async fn submit(
        &self,
        link: &mut CloudLink,
        snapshot: &mut LinkSnapshot,
        opportunity: &Opportunity,
        opportunity_id: &str,
    ) -> Result<(), Failure> {
        let remote = opportunity.id.as_str();
        let read_at = Some(link.updated_at);
        let status = opportunity.review_status().map(|s| s.as_str().to_owned());
        if status.as_deref().is_none_or(|s| s == PENDING_SUBMISSION) {
            let have = opportunity
                .output
                .related_entity_identifiers()
                .and_then(|r| r.solutions.clone())
                .unwrap_or_default();
            for solution in self.aws.solution_ids.iter().filter(|s| !have.contains(s)) {
                if let Err(e) = self.client.associate_solution(remote, solution).await {
                    let failure = Failure::from_aws(&e, "associating the solution");
                    return self
                        .fail_submission(link, read_at, opportunity_id, failure)
                        .await;
                }
            }
            let involvement = SalesInvolvementType::from(self.aws.involvement.as_str());
            let visibility = Visibility::from(self.aws.visibility.as_str());
            if let Err(e) = self.client.submit(remote, involvement, visibility).await {
                let failure = Failure::from_aws(&e, "submitting the opportunity");
                return self
                    .fail_submission(link, read_at, opportunity_id, failure)
                    .await;
            }
        }
        snapshot.sent = AwsDeal::from_fields(&opportunity.fields);
        snapshot.submitted = true;
        snapshot.store_in(link);
        link.review_status = Some(SUBMITTED.into());
        link.state = PairState::Synced;
        link.last_error = None;
        link.last_synced_at = Some(store::utc_now());
        self.save(link, read_at).await?;
        let f = &self.aws.fields;
        let fields = Record::new()
            .with(&f.opportunity_id, remote)
            .with(&f.review_status, SUBMITTED)
            .with(&f.feedback, serde_json::Value::Null);
        self.write_salesforce(opportunity_id, fields).await?;
        self.audit(
            link,
            AuditLevel::Info,
            "aws_shared",
            format!("Shared with AWS as {remote} and submitted for review"),
            json!({}),
        )
        .await
    }

    /// A refusal while submitting: recorded once, like a missing field.
    async fn fail_submission(
        &self,
        link: &mut CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
        opportunity_id: &str,
        failure: Failure,
    ) -> Result<(), Failure> {
        if !failure.permanent {
            return Err(failure);
        }
        self.refuse(link.clone(), read_at, opportunity_id, failure.message)
            .await
            .map(|_| ())
    }

    /// Records why the opportunity could not go to AWS: the link fails with
    /// the message, and the first time it is seen the message goes to the
    /// Audit and the opportunity's feedback field. Always a permanent
    /// failure: nothing changes until a seller fixes the opportunity, whose
    /// edit syncs again.
    pub(super) async fn refuse(
        &self,
        mut link: CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
        opportunity_id: &str,
        message: String,
    ) -> Result<Done, Failure> {
        if link.last_error.as_deref() != Some(message.as_str()) || read_at.is_none() {
            link.state = PairState::Failed;
            link.last_error = Some(message.clone());
            self.save(&mut link, read_at).await?;
            self.audit(
                &link,
                AuditLevel::Warning,
                "aws_refused",
                message.clone(),
                json!({}),
            )
            .await?;
            let fields = Record::new().with(&self.aws.fields.feedback, message.as_str());
            self.write_salesforce(opportunity_id, fields).await?;
        }
        Err(Failure::permanent(message))
    }
}
