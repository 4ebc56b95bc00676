//! Keeping a linked opportunity in step: AWS's review status and feedback
//! go to Salesforce and the Audit; the seller's edits go to AWS when its
//! review allows, and are kept (never dropped) while it does not; a close
//! in Salesforce closes the AWS opportunity with its reason.

use aws_partner_central::{AwsSummary, ErrorCode};
use salesforce::Record;
use serde_json::json;
use store::{AuditLevel, CloudLink, PairState};

use super::deal::{AwsDeal, Member, LOST_STAGE, WON_STAGE};
use super::engine::{AwsSync, Done};
use super::link::LinkSnapshot;
use super::review::{gate, Gate, APPROVED, PENDING_SUBMISSION, REJECTED};
use crate::engine::{Failure, Write};

/// AWS's review reason and comments, then AWS's side, as one text (None
/// when AWS said nothing).
fn feedback(reason: Option<&str>, comments: Option<&str>, side: Option<&str>) -> Option<String> {
    let review: Vec<&str> = [reason, comments]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let review = (!review.is_empty()).then(|| review.join(": "));
    let parts: Vec<String> = [review, side.map(str::to_owned)]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// AWS's side of an opportunity in one line: its stage, next steps and
/// team (`GetAwsOpportunitySummary`,
/// <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_GetAwsOpportunitySummary.html>).
fn describe_aws_side(summary: &AwsSummary) -> Option<String> {
    let life = summary.life_cycle();
    let mut parts = Vec::new();
    if let Some(stage) = life.and_then(|l| l.stage()) {
        parts.push(format!("stage {}", stage.as_str()));
    }
    if let Some(next) = life
        .and_then(|l| l.next_steps())
        .filter(|s| !s.trim().is_empty())
    {
        parts.push(format!("next steps: {}", next.trim()));
    }
    let team: Vec<String> = summary
        .opportunity_team()
        .iter()
        .filter_map(|m| {
            let name = [m.first_name(), m.last_name()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let name = Some(name).filter(|n| !n.is_empty());
            name.or_else(|| m.email().map(str::to_owned))
        })
        .collect();
    if !team.is_empty() {
        parts.push(format!("team: {}", team.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl AwsSync {
    /// AWS's side, once AWS has the opportunity (submitted, or one it
    /// referred); None before.
    async fn aws_side(
        &self,
        remote: &str,
        status: Option<&str>,
    ) -> Result<Option<String>, Failure> {
        if status == Some(PENDING_SUBMISSION) {
            return Ok(None);
        }
        match self.client.aws_summary(remote).await {
            Ok(summary) => Ok(describe_aws_side(&summary)),
            Err(e) if e.code() == Some(&ErrorCode::ResourceNotFound) => Ok(None),
            Err(e) => Err(Failure::from_aws(
                &e,
                "reading AWS's side of the opportunity",
            )),
        }
    }

    /// Syncs a linked opportunity (`record`) with its AWS opportunity.
    pub(super) async fn keep_in_step(
        &self,
        mut link: CloudLink,
        record: &Record,
        aws_changed: bool,
    ) -> Result<Done, Failure> {
        let opportunity_id = record.str("Id").unwrap_or_default().to_owned();
        let remote = link.remote_id.clone().unwrap_or_default();
        let read_at = Some(link.updated_at);
        let mut snapshot = LinkSnapshot::of(&link);
        let deal = AwsDeal::from_opportunity(record, &self.aws, &self.sync);
        let edited = deal.changed_since(&snapshot.sent);
        if !aws_changed && snapshot.submitted && edited == snapshot.held {
            return Ok(Done::nothing(Some(link.id), "no change for AWS"));
        }
        let mut opportunity = self
            .client
            .get(&remote)
            .await
            .map_err(|e| Failure::from_aws(&e, "reading the opportunity"))?;
        let status = opportunity.review_status().map(|s| s.as_str().to_owned());
        let life = opportunity.output.life_cycle();
        let aws_side = if aws_changed {
            self.aws_side(&remote, status.as_deref()).await?
        } else {
            snapshot.aws_side.clone()
        };
        if aws_side != snapshot.aws_side {
            if let Some(side) = &aws_side {
                let message = format!("AWS's side: {side}");
                self.audit(&link, AuditLevel::Info, "aws_side", message, json!({}))
                    .await?;
            }
            snapshot.aws_side.clone_from(&aws_side);
        }
        let said = feedback(
            life.and_then(|l| l.review_status_reason()),
            life.and_then(|l| l.review_comments()),
            aws_side.as_deref(),
        );
        let f = &self.aws.fields;
        let mut salesforce = Record::new();
        if status != link.review_status {
            salesforce.set(&f.review_status, status.clone().unwrap_or_default());
            let level = match status.as_deref() {
                Some(REJECTED) | Some(super::review::ACTION_REQUIRED) => AuditLevel::Warning,
                _ => AuditLevel::Info,
            };
            let shown = status.as_deref().unwrap_or("none");
            let message = match &said {
                Some(said) => format!("AWS review: {shown} ({said})"),
                None => format!("AWS review: {shown}"),
            };
            self.audit(
                &link,
                level,
                "aws_review",
                message,
                json!({"status": status, "feedback": said}),
            )
            .await?;
            link.review_status.clone_from(&status);
        }
        if said != snapshot.feedback {
            salesforce.set(&f.feedback, said.clone().unwrap_or_default());
            snapshot.feedback = said;
        }
        let (mut send, mut held, mut refused) = (Vec::new(), Vec::new(), Vec::new());
        for member in edited {
            match gate(status.as_deref(), member) {
                Gate::Send => send.push(member),
                Gate::Hold => held.push(member),
                Gate::Refuse => refused.push(member),
            }
        }
        let mut aws_write = Write::None;
        if !send.is_empty() {
            deal.write(&send, &mut opportunity.fields);
            let sent = match self.client.replace(&opportunity).await {
                Err(e) if e.code() == Some(&ErrorCode::Conflict) => {
                    self.client.update(&remote, |f| deal.write(&send, f)).await
                }
                other => other,
            };
            if let Err(e) = sent {
                let failure = Failure::from_aws(&e, "updating the opportunity");
                if failure.permanent {
                    return self
                        .refuse(link, read_at, &opportunity_id, failure.message)
                        .await;
                }
                return Err(failure);
            }
            snapshot.sent = snapshot.sent.with_members(&deal, &send);
            aws_write = Write::Updated;
            self.audit(
                &link,
                AuditLevel::Info,
                "aws_updated",
                format!("Sent to AWS: {}", self.field_list(&send)),
                json!({"members": send.iter().map(|m| m.path()).collect::<Vec<_>>()}),
            )
            .await?;
        }
        let mut kept: Vec<Member> = held.iter().chain(&refused).copied().collect();
        kept.sort();
        if kept != snapshot.held {
            let shown = status.as_deref().unwrap_or("none");
            if !held.is_empty() {
                let message = format!(
                    "Kept until AWS's review allows changes (review status {shown}): {}",
                    self.field_list(&held)
                );
                self.audit(&link, AuditLevel::Info, "aws_held", message, json!({}))
                    .await?;
            }
            if !refused.is_empty() {
                let message = format!(
                    "AWS takes no changes to {} while the review status is {shown}",
                    self.field_list(&refused)
                );
                self.audit(&link, AuditLevel::Warning, "aws_locked", message, json!({}))
                    .await?;
            }
            snapshot.held = kept;
        }
        if !snapshot.submitted && status.as_deref().is_none_or(|s| s == PENDING_SUBMISSION) {
            // The read above still holds what submitting needs (solutions,
            // review status), and its fields carry what was just sent.
            snapshot.store_in(&mut link);
            self.submit(&mut link, &mut snapshot, &opportunity, &opportunity_id)
                .await?;
            return Ok(Done {
                link: Some(link.id),
                description: format!("submitted {remote} to AWS"),
                aws: Write::Updated,
                salesforce: Write::Updated,
            });
        }
        let closed = matches!(snapshot.sent.stage.as_deref(), Some(WON_STAGE | LOST_STAGE))
            || status.as_deref() == Some(REJECTED);
        link.state = if closed {
            PairState::Closed
        } else {
            PairState::Synced
        };
        link.last_error = None;
        link.remote_version = Some(opportunity.last_modified.to_string());
        link.last_synced_at = Some(store::utc_now());
        snapshot.store_in(&mut link);
        self.save(&mut link, read_at).await?;
        let salesforce_write = if salesforce.as_map().is_empty() {
            Write::None
        } else {
            self.write_salesforce(&opportunity_id, salesforce).await?;
            Write::Updated
        };
        let description = match (&aws_write, status.as_deref()) {
            (Write::Updated, _) => format!("sent edits to AWS {remote}"),
            (_, Some(APPROVED)) if !snapshot.held.is_empty() => {
                format!("AWS {remote} approved; some edits are locked")
            }
            _ if !snapshot.held.is_empty() => format!("edits kept while AWS reviews {remote}"),
            _ => format!("AWS {remote} in step"),
        };
        Ok(Done {
            link: Some(link.id),
            description,
            aws: aws_write,
            salesforce: salesforce_write,
        })
    }
}
