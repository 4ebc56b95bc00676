//! AWS-originated deals: an engagement invitation becomes a Salesforce
//! opportunity in the on-hold stage; the seller accepts it by moving it on
//! or rejects it by closing it; the opportunity AWS makes on acceptance is
//! linked by its title, as AWS documents
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_GetEngagementInvitation.html>:
//! "match the invitation's Payload.Project.Title with opportunity Project.Title").

use aws_partner_central::types::{InvitationStatus, Payload};
use aws_partner_central::Opportunity;
use salesforce::soql::{Condition, Soql};
use salesforce::Record;
use serde_json::json;
use store::{AuditLevel, Cloud, CloudLink, PairQuery, PairState};

use super::deal::AwsDeal;
use super::engine::{store_failure, AwsSync, Done};
use super::link::LinkSnapshot;
use crate::engine::{Failure, Write};

/// Review status shown in Salesforce while an invitation waits.
const INVITED: &str = "Invitation pending";
/// Review status shown once the seller accepted.
const ACCEPTED: &str = "Invitation accepted";
/// Review status shown once the seller rejected.
const REJECTED: &str = "Invitation rejected";
/// Rejection reason sent when the seller gave none.
const DEFAULT_REJECTION: &str = "Declined by the partner in Salesforce";
/// How far back the opportunity an acceptance made is looked for.
const ACCEPTANCE_WINDOW: chrono::Duration = chrono::Duration::hours(1);

impl AwsSync {
    /// An invitation arrived or changed.
    pub(super) async fn sync_invitation(&self, invitation_id: &str) -> Result<Done, Failure> {
        let link = self
            .store
            .link_by_invitation(Cloud::Aws, invitation_id)
            .await
            .map_err(|e| store_failure(&e))?;
        match link {
            Some(CloudLink {
                opportunity_id: Some(opportunity),
                ..
            }) => self.sync_opportunity(&opportunity, true).await,
            link => self.invite(invitation_id, link).await,
        }
    }

    /// Brings a pending invitation into Salesforce as an on-hold opportunity.
    async fn invite(&self, invitation_id: &str, link: Option<CloudLink>) -> Result<Done, Failure> {
        let invitation = self
            .client
            .invitation(invitation_id)
            .await
            .map_err(|e| Failure::from_aws(&e, "reading the invitation"))?;
        if link.is_none() && invitation.status() != Some(&InvitationStatus::Pending) {
            return Ok(Done::nothing(None, "the invitation is no longer pending"));
        }
        let Some(Payload::OpportunityInvitation(payload)) = invitation.payload() else {
            return Err(Failure::permanent(format!(
                "AWS invitation {invitation_id} carries no opportunity"
            )));
        };
        let (Some(customer), Some(project)) = (&payload.customer, &payload.project) else {
            return Err(Failure::permanent(format!(
                "AWS invitation {invitation_id} lacks its customer or project"
            )));
        };
        let read_at = link.as_ref().map(|l| l.updated_at);
        let mut link = link.unwrap_or_else(|| {
            let mut link = CloudLink::new(Cloud::Aws, project.title.clone());
            link.invitation_id = Some(invitation_id.to_owned());
            link.state = PairState::OnHold;
            link.review_status = Some(INVITED.into());
            link
        });
        self.save(&mut link, read_at).await?;
        let f = &self.aws.fields;
        let existing = Soql::select(["Id"])
            .from("Opportunity")
            .where_(Condition::eq(f.invitation_id.as_str(), invitation_id))
            .limit(1);
        let found = self
            .sf
            .query_all_records(&existing)
            .await
            .map_err(|e| Failure::from_salesforce(&e))?;
        let opportunity_id = match found.first().and_then(|r| r.str("Id")) {
            Some(id) => id.to_owned(),
            None => {
                let account = self
                    .account_for(
                        &customer.company_name,
                        &customer.website_url,
                        customer.country_code.as_str(),
                    )
                    .await?;
                let mut record = Record::new()
                    .with("Name", project.title.as_str())
                    .with("StageName", self.sync.on_hold_stage.as_str())
                    .with("CloseDate", project.target_completion_date.as_str())
                    .with("AccountId", account)
                    .with(&f.invitation_id, invitation_id)
                    .with(&f.review_status, INVITED)
                    .with(&f.business_problem, project.business_problem.as_str())
                    .with(&f.industry, customer.industry.as_str());
                if let Some(record_type) = self.record_type().await? {
                    record.set("RecordTypeId", record_type);
                }
                self.sf
                    .create("Opportunity", &record)
                    .await
                    .map_err(|e| Failure::from_salesforce(&e).context("creating the opportunity"))?
            }
        };
        link.opportunity_id = Some(opportunity_id);
        let read_at = Some(link.updated_at);
        self.save(&mut link, read_at).await?;
        self.audit(
            &link,
            AuditLevel::Info,
            "aws_invited",
            format!(
                "AWS invited you to co-sell {}: on hold until a seller accepts it (moves it on) or rejects it (closes it)",
                project.title
            ),
            json!({"invitation_id": invitation_id}),
        )
        .await?;
        Ok(Done {
            link: Some(link.id),
            description: format!("AWS invitation {invitation_id} on hold in Salesforce"),
            aws: Write::None,
            salesforce: Write::Created,
        })
    }

    /// The id of the configured record type of new opportunities
    /// (`sync.opportunity_record_type`), read once.
    async fn record_type(&self) -> Result<Option<String>, Failure> {
        let Some(name) = &self.sync.opportunity_record_type else {
            return Ok(None);
        };
        if let Some(id) = self.record_type_id.get() {
            return Ok(Some(id.clone()));
        }
        let (id, _) = crate::engine::read_record_type(&self.sf, name)
            .await
            .map_err(|e| Failure::from_salesforce(&e))?
            .ok_or_else(|| {
                Failure::permanent(format!(
                    "sync.opportunity_record_type = \"{name}\" is not an active Opportunity record type of this org"
                ))
            })?;
        Ok(Some(self.record_type_id.get_or_init(|| id).clone()))
    }

    /// The Account named `company`, created when the org has none.
    async fn account_for(
        &self,
        company: &str,
        website: &str,
        country: &str,
    ) -> Result<String, Failure> {
        let soql = Soql::select(["Id"])
            .from("Account")
            .where_(Condition::eq("Name", company))
            .limit(1);
        let found = self
            .sf
            .query_all_records(&soql)
            .await
            .map_err(|e| Failure::from_salesforce(&e))?;
        if let Some(id) = found.first().and_then(|r| r.str("Id")) {
            return Ok(id.to_owned());
        }
        let account = Record::new()
            .with("Name", company)
            .with("Website", website)
            .with(&self.sync.country_code_field, country);
        self.sf
            .create("Account", &account)
            .await
            .map_err(|e| Failure::from_salesforce(&e).context("creating the Account"))
    }

    /// The seller answered an invitation through the opportunity's stage:
    /// still on hold waits; closed lost rejects; any other stage accepts.
    pub(super) async fn answer(
        &self,
        mut link: CloudLink,
        record: &Record,
    ) -> Result<Done, Failure> {
        let invitation_id = link.invitation_id.clone().unwrap_or_default();
        let opportunity_id = record.str("Id").unwrap_or_default().to_owned();
        let read_at = Some(link.updated_at);
        let f = &self.aws.fields;
        match link.review_status.as_deref() {
            Some(ACCEPTED) => return self.link_accepted(link, &opportunity_id).await,
            Some(REJECTED) => return Ok(Done::nothing(Some(link.id), "invitation rejected")),
            _ => {}
        }
        let stage = record.str("StageName").unwrap_or_default();
        // Closed lost declines; closed won took the deal, so it accepts.
        if record.bool("IsClosed") == Some(true) && record.bool("IsWon") != Some(true) {
            let reason = record
                .str(&f.closed_lost_reason)
                .filter(|s| !s.is_empty())
                .unwrap_or(DEFAULT_REJECTION);
            self.client
                .reject_invitation(&invitation_id, Some(reason))
                .await
                .map_err(|e| Failure::from_aws(&e, "rejecting the invitation"))?;
            let answer = Answer {
                status: REJECTED,
                state: PairState::Closed,
                kind: "aws_invitation_rejected",
                message: format!("Rejected AWS's invitation: {reason}"),
            };
            self.record_answer(&mut link, read_at, &opportunity_id, answer)
                .await?;
            return Ok(Done {
                link: Some(link.id),
                description: "rejected the AWS invitation".into(),
                aws: Write::Updated,
                salesforce: Write::Updated,
            });
        }
        if stage == self.sync.on_hold_stage {
            return Ok(Done::nothing(
                Some(link.id),
                "waiting for a seller to answer",
            ));
        }
        self.client
            .accept_invitation(&invitation_id)
            .await
            .map_err(|e| Failure::from_aws(&e, "accepting the invitation"))?;
        let answer = Answer {
            status: ACCEPTED,
            state: PairState::Synced,
            kind: "aws_invitation_accepted",
            message: "Accepted AWS's invitation".into(),
        };
        self.record_answer(&mut link, read_at, &opportunity_id, answer)
            .await?;
        self.link_accepted(link, &opportunity_id).await
    }

    /// Records the seller's answer on the link, in Salesforce and in the Audit.
    async fn record_answer(
        &self,
        link: &mut CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
        opportunity_id: &str,
        answer: Answer,
    ) -> Result<(), Failure> {
        link.review_status = Some(answer.status.into());
        link.state = answer.state;
        self.save(link, read_at).await?;
        let field = &self.aws.fields.review_status;
        self.write_salesforce(opportunity_id, Record::new().with(field, answer.status))
            .await?;
        let detail = json!({"invitation_id": link.invitation_id});
        self.audit(link, AuditLevel::Info, answer.kind, answer.message, detail)
            .await
    }

    /// Looks among recently changed AWS opportunities for the one an
    /// accepted invitation became, and links it.
    async fn link_accepted(&self, link: CloudLink, opportunity_id: &str) -> Result<Done, Failure> {
        let since = chrono::Utc::now() - ACCEPTANCE_WINDOW;
        let after = aws_partner_central::DateTime::from_millis(since.timestamp_millis());
        let recent = self
            .client
            .modified_since(Some(after))
            .await
            .map_err(|e| Failure::from_aws(&e, "listing opportunities"))?;
        for summary in recent {
            let Some(id) = summary.id else { continue };
            let linked = self
                .store
                .link_by_remote(Cloud::Aws, &id)
                .await
                .map_err(|e| store_failure(&e))?;
            if linked.is_some() {
                continue;
            }
            let opportunity = self
                .client
                .get(&id)
                .await
                .map_err(|e| Failure::from_aws(&e, "reading the opportunity"))?;
            if title_of(&opportunity).as_deref() == Some(link.name.as_str()) {
                return self.adopt_into(&opportunity, link, opportunity_id).await;
            }
        }
        Ok(Done::nothing(
            Some(link.id),
            "accepted; AWS has not made the opportunity yet",
        ))
    }

    /// An AWS opportunity cosell has no link for: the one an accepted
    /// invitation became, when its title matches; otherwise nothing.
    pub(super) async fn adopt(&self, remote_id: &str) -> Result<Done, Failure> {
        let opportunity = self
            .client
            .get(remote_id)
            .await
            .map_err(|e| Failure::from_aws(&e, "reading the opportunity"))?;
        let Some(title) = title_of(&opportunity) else {
            return Ok(Done::nothing(
                None,
                "not linked to a Salesforce opportunity",
            ));
        };
        let query = PairQuery {
            text: Some(title.clone()),
            ..PairQuery::default()
        };
        let candidates = self
            .store
            .find_links(Cloud::Aws, &query)
            .await
            .map_err(|e| store_failure(&e))?;
        let waiting = candidates.into_iter().find(|l| {
            l.remote_id.is_none() && l.name == title && l.review_status.as_deref() == Some(ACCEPTED)
        });
        match waiting {
            Some(link) => {
                let opportunity_id = link.opportunity_id.clone().unwrap_or_default();
                self.adopt_into(&opportunity, link, &opportunity_id).await
            }
            None => Ok(Done::nothing(
                None,
                "not linked to a Salesforce opportunity",
            )),
        }
    }

    /// Links the AWS opportunity an accepted invitation became to its `link`.
    async fn adopt_into(
        &self,
        opportunity: &Opportunity,
        mut link: CloudLink,
        opportunity_id: &str,
    ) -> Result<Done, Failure> {
        let remote_id = opportunity.id.as_str();
        let read_at = Some(link.updated_at);
        let snapshot = LinkSnapshot {
            sent: AwsDeal::from_fields(&opportunity.fields),
            submitted: true,
            ..LinkSnapshot::default()
        };
        snapshot.store_in(&mut link);
        link.remote_id = Some(remote_id.to_owned());
        // From here AWS's own review status (none for a deal AWS referred)
        // is what later passes compare with; Salesforce keeps showing the
        // acceptance until AWS reports one.
        link.review_status = opportunity.review_status().map(|s| s.as_str().to_owned());
        link.remote_version = Some(opportunity.last_modified.to_string());
        link.last_synced_at = Some(store::utc_now());
        self.save(&mut link, read_at).await?;
        let f = &self.aws.fields;
        self.write_salesforce(
            opportunity_id,
            Record::new().with(&f.opportunity_id, remote_id),
        )
        .await?;
        self.audit(
            &link,
            AuditLevel::Info,
            "aws_linked",
            format!("Linked to AWS opportunity {remote_id}"),
            json!({}),
        )
        .await?;
        Ok(Done {
            link: Some(link.id),
            description: format!("linked to AWS {remote_id}"),
            aws: Write::None,
            salesforce: Write::Updated,
        })
    }
}

/// A seller's answer to an invitation, as recorded.
struct Answer {
    status: &'static str,
    state: PairState,
    kind: &'static str,
    message: String,
}

/// An opportunity's `Project.Title`.
fn title_of(opportunity: &Opportunity) -> Option<String> {
    opportunity
        .fields
        .project
        .as_ref()
        .and_then(|p| p.title.clone())
}
