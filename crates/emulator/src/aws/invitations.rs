//! Engagement invitations: how AWS-originated deals reach the partner
//! (`ListEngagementInvitations`, `GetEngagementInvitation`,
//! `AcceptEngagementInvitation`, `RejectEngagementInvitation`;
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_GetEngagementInvitation.html>).
//! AWS sends one through the control API; accepting it creates the
//! partner's opportunity (`Origin` `AWS Referral`) from its payload.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{json, Map, Value};

use super::error::{AwsError, Reason};
use super::events::invitation_detail;
use super::opportunities::CREATED;
use super::opportunity::{Opportunity, Review};
use super::shape::{self, Checker, Rule};
use super::{paging, time, App};

/// Invitation statuses.
const STATUSES: &[&str] = &["ACCEPTED", "PENDING", "REJECTED", "EXPIRED"];

/// One invitation to one partner account.
#[derive(Debug, Clone)]
pub(crate) struct Invitation {
    catalog: String,
    id: String,
    engagement_id: String,
    title: String,
    status: &'static str,
    invited: DateTime<Utc>,
    expires: DateTime<Utc>,
    receiver: String,
    message: Option<String>,
    description: Option<String>,
    payload: Map<String, Value>,
    rejection_reason: Option<String>,
}

impl Invitation {
    fn arn(&self, region: &str) -> String {
        format!(
            "arn:aws:partnercentral:{region}:aws:catalog/{}/engagement-invitation/{}",
            self.catalog, self.id
        )
    }

    /// PENDING past its expiration date reads as EXPIRED.
    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.status == "PENDING" && now > self.expires {
            "EXPIRED"
        } else {
            self.status
        }
    }

    fn summary(&self, region: &str, now: DateTime<Utc>) -> Map<String, Value> {
        let v = json!({
            "Catalog": self.catalog,
            "Id": self.id,
            "Arn": self.arn(region),
            "PayloadType": "OpportunityInvitation",
            "EngagementId": self.engagement_id,
            "EngagementTitle": self.title,
            "Status": self.status(now),
            "InvitationDate": time::format(self.invited),
            "ExpirationDate": time::format(self.expires),
            "SenderAwsAccountId": "aws",
            "SenderCompanyName": "AWS",
            "Receiver": {"Account": {"AwsAccountId": self.receiver}},
            "ParticipantType": "RECEIVER",
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn detail(&self, region: &str, now: DateTime<Utc>) -> Value {
        let mut out = self.summary(region, now);
        out.remove("ParticipantType");
        out.insert(
            "Payload".into(),
            json!({"OpportunityInvitation": self.payload}),
        );
        for (k, v) in [
            ("InvitationMessage", &self.message),
            ("EngagementDescription", &self.description),
            ("RejectionReason", &self.rejection_reason),
        ] {
            if let Some(v) = v {
                out.insert(k.into(), v.clone().into());
            }
        }
        Value::Object(out)
    }

    /// The partner opportunity an accepted invitation becomes.
    fn opportunity_fields(&self) -> Map<String, Value> {
        let customer = self.payload.get("Customer").cloned().unwrap_or(Value::Null);
        let project = self.payload.get("Project").cloned().unwrap_or(Value::Null);
        let mut account = Map::new();
        for (to, from) in [
            ("CompanyName", "CompanyName"),
            ("Industry", "Industry"),
            ("WebsiteUrl", "WebsiteUrl"),
        ] {
            if let Some(v) = customer.get(from) {
                account.insert(to.into(), v.clone());
            }
        }
        if let Some(c) = customer.get("CountryCode") {
            account.insert("Address".into(), json!({"CountryCode": c}));
        }
        let mut fields = Map::new();
        fields.insert("Customer".into(), json!({"Account": account}));
        let mut proj = Map::new();
        for (to, from) in [
            ("Title", "Title"),
            ("CustomerBusinessProblem", "BusinessProblem"),
            ("ExpectedCustomerSpend", "ExpectedCustomerSpend"),
        ] {
            if let Some(v) = project.get(from) {
                proj.insert(to.into(), v.clone());
            }
        }
        fields.insert("Project".into(), Value::Object(proj));
        let mut life = json!({"Stage": "Prospect"});
        if let Some(d) = project.get("TargetCompletionDate") {
            life["TargetCloseDate"] = d.clone();
        }
        fields.insert("LifeCycle".into(), life);
        fields
    }
}

/// Every invitation.
#[derive(Debug, Default)]
pub(crate) struct Store {
    items: Vec<Invitation>,
}

/// `n` random characters of `[0-9a-z]`.
fn random_id(n: usize) -> String {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn request_errors(c: Checker) -> Result<(), AwsError> {
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(AwsError::validation(Reason::Request, c.errors))
    }
}

fn is_invitation_id(s: &str) -> bool {
    s.starts_with("arn:")
        || s.strip_prefix("engi-").is_some_and(|r| {
            r.len() == 13
                && r.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
}

impl App {
    /// AWS invites a partner account to an AWS-originated deal (control API).
    /// `body`: `Catalog`, optional `AwsAccountId` (default: the first
    /// configured account), `EngagementTitle`, optional `InvitationMessage`
    /// and `EngagementDescription`, and the `OpportunityInvitation` payload
    /// (`Customer`, `Project`, `ReceiverResponsibilities`, `SenderContacts`).
    pub(crate) fn invite(&self, body: &Map<String, Value>) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        c.string(body, "", "Catalog", true, Rule::OneOf(shape::CATALOGS));
        c.string(body, "", "EngagementTitle", true, Rule::Len(1, 40));
        c.string(body, "", "InvitationMessage", false, Rule::Len(1, 255));
        c.string(body, "", "EngagementDescription", false, Rule::Len(0, 255));
        let payload = c
            .object(body, "", "OpportunityInvitation", true)
            .cloned()
            .unwrap_or_default();
        if let Some(customer) = c.object(&payload, "OpportunityInvitation", "Customer", true) {
            let p = "OpportunityInvitation.Customer";
            c.string(customer, p, "CompanyName", true, Rule::Len(1, 120));
            c.string(customer, p, "Industry", true, Rule::Len(1, 80));
            c.string(customer, p, "WebsiteUrl", true, Rule::Len(4, 255));
            c.string(customer, p, "CountryCode", true, Rule::Len(2, 2));
        }
        if let Some(project) = c.object(&payload, "OpportunityInvitation", "Project", true) {
            let p = "OpportunityInvitation.Project";
            c.string(project, p, "Title", true, Rule::Len(1, 255));
            c.string(project, p, "BusinessProblem", true, Rule::Len(20, 2000));
            c.string(project, p, "TargetCompletionDate", true, Rule::Len(10, 10));
        }
        request_errors(c)?;
        let receiver = match body.get("AwsAccountId").and_then(Value::as_str) {
            Some(a) => a.to_owned(),
            None => self
                .options
                .credentials
                .first()
                .map(|c| c.account_id.clone())
                .unwrap_or_default(),
        };
        let now = time::now_millis();
        let lifetime =
            chrono::Duration::from_std(self.options.invitation_lifetime).unwrap_or_default();
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut payload = payload;
        payload
            .entry("ReceiverResponsibilities")
            .or_insert_with(|| json!([]));
        let invitation = Invitation {
            catalog: text("Catalog").unwrap_or_default(),
            id: format!("engi-{}", random_id(13)),
            engagement_id: format!("eng-{}", random_id(14)),
            title: text("EngagementTitle").unwrap_or_default(),
            status: "PENDING",
            invited: now,
            expires: now + lifetime,
            receiver,
            message: text("InvitationMessage"),
            description: text("EngagementDescription"),
            payload,
            rejection_reason: None,
        };
        let region = &self.options.region;
        let rendered = invitation.detail(region, now);
        self.events.publish(
            "Engagement Invitation Created",
            &invitation.receiver,
            invitation.arn(region),
            invitation_detail(&invitation.catalog, &invitation.id, &invitation.arn(region)),
        );
        self.data().invitations.items.push(invitation);
        Ok(rendered)
    }

    /// `ListEngagementInvitations` (the partner is only ever a `RECEIVER`).
    pub(crate) fn list_invitations(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        c.string(body, "", "Catalog", true, Rule::OneOf(shape::CATALOGS));
        c.string(
            body,
            "",
            "ParticipantType",
            true,
            Rule::OneOf(&["SENDER", "RECEIVER"]),
        );
        c.strings(
            body,
            "",
            "PayloadType",
            2,
            Rule::OneOf(&["OpportunityInvitation", "LeadInvitation"]),
        );
        c.strings(body, "", "Status", 10, Rule::OneOf(STATUSES));
        c.strings(body, "", "EngagementIdentifier", 10, Rule::Len(1, 255));
        c.strings(body, "", "SenderAwsAccountId", 10, Rule::Len(1, 12));
        let sort = c.object(body, "", "Sort", false);
        if let Some(sort) = sort {
            c.string(
                sort,
                "Sort",
                "SortOrder",
                true,
                Rule::OneOf(&["ASCENDING", "DESCENDING"]),
            );
            c.string(
                sort,
                "Sort",
                "SortBy",
                true,
                Rule::OneOf(&["InvitationDate"]),
            );
        }
        request_errors(c)?;
        let list = |name: &str| -> Vec<String> {
            body.get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (statuses, engagements, senders, payloads) = (
            list("Status"),
            list("EngagementIdentifier"),
            list("SenderAwsAccountId"),
            list("PayloadType"),
        );
        let any = |set: &[String], v: &str| set.is_empty() || set.iter().any(|s| s == v);
        let catalog = body
            .get("Catalog")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let receiver = body.get("ParticipantType").and_then(Value::as_str) == Some("RECEIVER");
        let now = time::now_millis();
        let mut found: Vec<Invitation> = self
            .data()
            .invitations
            .items
            .iter()
            .filter(|i| {
                receiver
                    && i.receiver == account
                    && i.catalog == catalog
                    && any(&statuses, i.status(now))
                    && any(&engagements, &i.engagement_id)
                    && any(&senders, "aws")
                    && any(&payloads, "OpportunityInvitation")
            })
            .cloned()
            .collect();
        found.sort_by_key(|i| i.invited);
        let ascending =
            sort.is_some_and(|s| s.get("SortOrder").and_then(Value::as_str) == Some("ASCENDING"));
        if !ascending {
            found.reverse();
        }
        let (page, next) = paging::page(body, &found, self.options.page_size)?;
        let region = &self.options.region;
        let summaries: Vec<Value> = page
            .iter()
            .map(|i| Value::Object(i.summary(region, now)))
            .collect();
        let mut out = json!({"EngagementInvitationSummaries": summaries});
        if let Some(token) = next {
            out["NextToken"] = token.into();
        }
        Ok(out)
    }

    fn invitation_index(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<usize, AwsError> {
        let mut c = Checker::default();
        c.string(body, "", "Catalog", true, Rule::OneOf(shape::CATALOGS));
        c.string(
            body,
            "",
            "Identifier",
            true,
            Rule::Format(
                is_invitation_id,
                "an invitation identifier (engi- and 13 characters) or ARN",
            ),
        );
        request_errors(c)?;
        let catalog = body
            .get("Catalog")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = body
            .get("Identifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let region = &self.options.region;
        self.data()
            .invitations
            .items
            .iter()
            .position(|i| {
                i.receiver == account && i.catalog == catalog && (i.id == id || i.arn(region) == id)
            })
            .ok_or_else(|| {
                AwsError::not_found(format!(
                    "Engagement invitation {id} was not found in catalog {catalog}."
                ))
            })
    }

    /// `GetEngagementInvitation`.
    pub(crate) fn get_invitation(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let i = self.invitation_index(account, body)?;
        Ok(self.data().invitations.items[i].detail(&self.options.region, time::now_millis()))
    }

    /// `AcceptEngagementInvitation` (`accept` true) or `RejectEngagementInvitation`;
    /// only a PENDING invitation can be answered (`ConflictException` otherwise).
    pub(crate) fn answer_invitation(
        &self,
        account: &str,
        body: &Map<String, Value>,
        accept: bool,
    ) -> Result<Value, AwsError> {
        if !accept {
            let mut c = Checker::default();
            c.string(body, "", "RejectionReason", false, Rule::Len(1, 80));
            request_errors(c)?;
        }
        let i = self.invitation_index(account, body)?;
        let now = time::now_millis();
        let region = self.options.region.clone();
        let mut data = self.data();
        let invitation = &mut data.invitations.items[i];
        let status = invitation.status(now);
        if status != "PENDING" {
            return Err(AwsError::conflict(format!(
                "Engagement invitation {} is {status} and can no longer be answered.",
                invitation.id
            )));
        }
        invitation.status = if accept { "ACCEPTED" } else { "REJECTED" };
        invitation.rejection_reason = body
            .get("RejectionReason")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let invitation = invitation.clone();
        let created = accept.then(|| {
            data.opportunities.insert(|id, at| Opportunity {
                catalog: invitation.catalog.clone(),
                id,
                account: account.to_owned(),
                fields: invitation.opportunity_fields(),
                team: Vec::new(),
                created: at,
                modified: at,
                review: Review::default(),
                next_steps_history: Vec::new(),
                related: Default::default(),
                origin: "AWS Referral",
                involvement: Some("Co-Sell".into()),
                visibility: Some("Full".into()),
                aws: Map::new(),
            })
        });
        drop(data);
        let arn = invitation.arn(&region);
        let detail_type = if accept {
            "Engagement Invitation Accepted"
        } else {
            "Engagement Invitation Rejected"
        };
        self.events.publish(
            detail_type,
            account,
            arn.clone(),
            invitation_detail(&invitation.catalog, &invitation.id, &arn),
        );
        if let Some(opp) = created {
            self.events.publish(
                CREATED,
                account,
                opp.arn(&region),
                super::events::opportunity_detail(&opp.catalog, &opp.id),
            );
        }
        Ok(json!({}))
    }
}
