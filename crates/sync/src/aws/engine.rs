//! [`AwsSync`]: runs the AWS side of a batch, one target at a time (each
//! target's failure is its own), and the parts every path shares: reading
//! the Salesforce opportunity, saving a link over the version read, writing
//! AWS's answer back to Salesforce, and the Audit.

use std::sync::Arc;

use aws_partner_central::PartnerCentral;
use salesforce::soql::{Condition, Soql};
use salesforce::{Record, SalesforceClient};
use serde_json::json;
use store::{AuditEntry, AuditLevel, Cloud, CloudLink, PairState, Store};

use super::deal::opportunity_fields;
use super::settings::AwsSettings;
use crate::engine::{Failure, Outcome, Target, Write};
use crate::settings::Settings;

/// What one target's sync did.
pub(super) struct Done {
    pub link: Option<uuid::Uuid>,
    pub description: String,
    pub aws: Write,
    pub salesforce: Write,
}

impl Done {
    /// Nothing to do.
    pub(super) fn nothing(link: Option<uuid::Uuid>, why: impl Into<String>) -> Self {
        Self {
            link,
            description: why.into(),
            aws: Write::None,
            salesforce: Write::None,
        }
    }
}

/// The AWS side of the sync.
pub struct AwsSync {
    pub(super) client: Arc<PartnerCentral>,
    pub(super) sf: SalesforceClient,
    pub(super) store: Arc<dyn Store>,
    pub(super) sync: Settings,
    pub(super) aws: AwsSettings,
    pub(super) record_type_id: std::sync::OnceLock<String>,
}

impl AwsSync {
    /// The AWS side over its client, the Salesforce client and the store.
    pub fn new(
        client: Arc<PartnerCentral>,
        sf: SalesforceClient,
        store: Arc<dyn Store>,
        sync: Settings,
        aws: AwsSettings,
    ) -> Self {
        Self {
            client,
            sf,
            store,
            sync,
            aws,
            record_type_id: std::sync::OnceLock::new(),
        }
    }

    /// The AWS settings.
    pub fn settings(&self) -> &AwsSettings {
        &self.aws
    }

    /// The Partner Central client.
    pub fn client(&self) -> &PartnerCentral {
        &self.client
    }

    /// Syncs each AWS target and says what happened to it.
    pub async fn sync_targets(&self, targets: Vec<Target>) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(targets.len());
        for target in targets {
            let result = match &target {
                Target::AwsSalesforce(id) => self.sync_opportunity(id, false).await,
                Target::AwsOpportunity(id) => self.sync_remote(id).await,
                Target::AwsInvitation(id) => self.sync_invitation(id).await,
                other => Err(Failure::permanent(format!(
                    "{} is not a target of the AWS side",
                    other.job_key()
                ))),
            };
            outcomes.push(match result {
                Ok(done) => Outcome::new(
                    vec![target],
                    done.link,
                    done.description,
                    done.aws,
                    done.salesforce,
                    None,
                ),
                Err(failure) => {
                    let link = self.note_failure(&target, &failure).await;
                    let mut outcome = Outcome::batch_failure(vec![target], failure);
                    outcome.pair_id = link;
                    outcome
                }
            });
        }
        outcomes
    }

    /// Makes a permanent failure visible on the target's link (state
    /// `Failed`, its message, one Audit line the first time), so the
    /// dashboard shows it beside the dead job; returns the link's id. A
    /// failure to record it is logged: the job's own failure stands.
    async fn note_failure(&self, target: &Target, failure: &Failure) -> Option<uuid::Uuid> {
        let found = match target {
            Target::AwsSalesforce(id) => self.store.link_by_opportunity(Cloud::Aws, id).await,
            Target::AwsOpportunity(id) => self.store.link_by_remote(Cloud::Aws, id).await,
            Target::AwsInvitation(id) => self.store.link_by_invitation(Cloud::Aws, id).await,
            _ => Ok(None),
        };
        let mut link = match found {
            Ok(Some(link)) => link,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "could not read the link of a failed AWS target");
                return None;
            }
        };
        let id = link.id;
        if !failure.permanent || link.last_error.as_deref() == Some(failure.message.as_str()) {
            return Some(id);
        }
        let read_at = Some(link.updated_at);
        link.state = PairState::Failed;
        link.last_error = Some(failure.message.clone());
        let recorded = match self.save(&mut link, read_at).await {
            Ok(()) => {
                self.audit(
                    &link,
                    AuditLevel::Error,
                    "aws_failed",
                    failure.message.clone(),
                    json!({}),
                )
                .await
            }
            Err(other) => Err(other),
        };
        if let Err(not_recorded) = recorded {
            tracing::warn!(error = %not_recorded.message, "could not record an AWS failure on its link");
        }
        Some(id)
    }

    /// An AWS opportunity changed: sync the opportunity it is linked to, or
    /// link it to the invitation it was accepted from.
    async fn sync_remote(&self, remote_id: &str) -> Result<Done, Failure> {
        match self.store.link_by_remote(Cloud::Aws, remote_id).await {
            Ok(Some(CloudLink {
                opportunity_id: Some(opportunity),
                ..
            })) => self.sync_opportunity(&opportunity, true).await,
            Ok(_) => self.adopt(remote_id).await,
            Err(e) => Err(store_failure(&e)),
        }
    }

    /// A Salesforce opportunity's AWS side: shares it, continues a share a
    /// crash cut short, answers its invitation, or keeps it in step.
    /// `aws_changed`: AWS reported a change, so AWS is read even when
    /// Salesforce has no edit.
    pub(super) async fn sync_opportunity(
        &self,
        opportunity_id: &str,
        aws_changed: bool,
    ) -> Result<Done, Failure> {
        let link = self
            .store
            .link_by_opportunity(Cloud::Aws, opportunity_id)
            .await
            .map_err(|e| store_failure(&e))?;
        let Some(record) = self.read_opportunity(opportunity_id).await? else {
            return Ok(Done::nothing(
                link.map(|l| l.id),
                "the opportunity is gone from Salesforce",
            ));
        };
        match link {
            Some(link) if link.remote_id.is_some() => {
                self.keep_in_step(link, &record, aws_changed).await
            }
            Some(link) if link.invitation_id.is_some() => self.answer(link, &record).await,
            link => {
                // A create may have reached AWS once a token is stored: the
                // share then goes on even if the box was unticked since.
                let shared = record.bool(&self.aws.fields.share_flag) == Some(true);
                let started = link.as_ref().is_some_and(|l| l.client_token.is_some());
                if !shared && !started {
                    return Ok(Done::nothing(link.map(|l| l.id), "not shared with AWS"));
                }
                self.share(link, &record).await
            }
        }
    }

    /// The opportunity with every field the AWS side reads; None when deleted.
    pub async fn read_opportunity(&self, id: &str) -> Result<Option<Record>, Failure> {
        let soql = Soql::select(opportunity_fields(&self.aws, &self.sync))
            .from("Opportunity")
            .where_(Condition::eq("Id", id))
            .limit(1);
        let mut rows = self
            .sf
            .query_all_records(&soql)
            .await
            .map_err(|e| Failure::from_salesforce(&e).context("reading the opportunity"))?;
        Ok(rows.pop())
    }

    /// Saves `link` over the version it was read at (`read_at`); another
    /// worker's save in between is a failure worth retrying.
    pub(super) async fn save(
        &self,
        link: &mut CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), Failure> {
        link.updated_at = store::utc_now();
        match self.store.save_link_over(link, read_at).await {
            Ok(true) => Ok(()),
            Ok(false) | Err(store::StoreError::Conflict(_)) => Err(Failure::transient(
                "another worker synced this opportunity's AWS side meanwhile; trying again",
            )),
            Err(e) => Err(store_failure(&e)),
        }
    }

    /// Writes the AWS side's fields to the opportunity.
    pub(super) async fn write_salesforce(
        &self,
        opportunity_id: &str,
        fields: Record,
    ) -> Result<(), Failure> {
        self.sf
            .update("Opportunity", opportunity_id, &fields)
            .await
            .map_err(|e| Failure::from_salesforce(&e).context("writing AWS's answer to Salesforce"))
    }

    /// Appends one Audit line about a link.
    pub(super) async fn audit(
        &self,
        link: &CloudLink,
        level: AuditLevel,
        kind: &str,
        message: String,
        detail: serde_json::Value,
    ) -> Result<(), Failure> {
        let mut detail = detail;
        if let serde_json::Value::Object(map) = &mut detail {
            map.insert("cloud".into(), json!("aws"));
            map.insert("aws_opportunity_id".into(), json!(link.remote_id));
            map.insert("opportunity_id".into(), json!(link.opportunity_id));
        }
        let entry = AuditEntry::new(Some(link.id), level, kind, message, detail);
        self.store
            .append_audit(&[entry])
            .await
            .map_err(|e| store_failure(&e))
    }

    /// The Salesforce field names of `members`, for a message.
    pub(super) fn field_list(&self, members: &[super::deal::Member]) -> String {
        members
            .iter()
            .map(|m| m.salesforce_field(&self.aws, &self.sync))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A store failure: transient when the database is unavailable.
pub(super) fn store_failure(e: &store::StoreError) -> Failure {
    if e.is_unavailable() {
        Failure::transient(format!("store: {e}"))
    } else {
        Failure::permanent(format!("store: {e}"))
    }
}
