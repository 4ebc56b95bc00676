//! The stored opportunity and how the API renders it (`GetOpportunity`,
//! the `ListOpportunities` summary, `GetAwsOpportunitySummary`).
//!
//! Only the partner-writable members are stored as sent; `UpdateOpportunity`
//! replaces them all, so an omitted member becomes null
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_UpdateOpportunity.html>).
//! Review fields, dates, related entities and the AWS side are the service's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::time;

/// Members `UpdateOpportunity` replaces as a whole.
pub(crate) const WRITABLE: &[&str] = &[
    "PrimaryNeedsFromAws",
    "NationalSecurity",
    "PartnerOpportunityIdentifier",
    "Customer",
    "Project",
    "OpportunityType",
    "Marketing",
    "SoftwareRevenue",
    "LifeCycle",
];

/// `LifeCycle` members only the service sets; sent values are ignored.
pub(crate) const READ_ONLY_LIFECYCLE: &[&str] = &[
    "ReviewStatus",
    "ReviewComments",
    "ReviewStatusReason",
    "NextStepsHistory",
];

/// Review state of a partner-originated opportunity.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Review {
    /// `LifeCycle.ReviewStatus`; AWS referrals have none.
    pub(crate) status: Option<&'static str>,
    /// `LifeCycle.ReviewComments`: AWS's feedback.
    pub(crate) comments: Option<String>,
    /// `LifeCycle.ReviewStatusReason`.
    pub(crate) reason: Option<String>,
}

/// One opportunity of one partner account in one catalog.
#[derive(Debug, Clone)]
pub(crate) struct Opportunity {
    /// `AWS` or `Sandbox`.
    pub(crate) catalog: String,
    /// `O…`.
    pub(crate) id: String,
    /// The partner's AWS account id.
    pub(crate) account: String,
    /// The partner-writable members as last sent (read-only `LifeCycle` members removed).
    pub(crate) fields: Map<String, Value>,
    /// `OpportunityTeam`, set on create only.
    pub(crate) team: Vec<Value>,
    /// `CreatedDate`.
    pub(crate) created: DateTime<Utc>,
    /// `LastModifiedDate`, the optimistic-locking token.
    pub(crate) modified: DateTime<Utc>,
    /// Review state.
    pub(crate) review: Review,
    /// `LifeCycle.NextStepsHistory`, kept by the service.
    pub(crate) next_steps_history: Vec<Value>,
    /// Related entities by type (`Solutions`, `AwsProducts`, …).
    pub(crate) related: BTreeMap<String, Vec<String>>,
    /// `Origin`.
    pub(crate) origin: &'static str,
    /// `InvolvementType` chosen at submission.
    pub(crate) involvement: Option<String>,
    /// `Visibility` chosen at submission.
    pub(crate) visibility: Option<String>,
    /// The AWS side (`GetAwsOpportunitySummary` members an AWS seller sets).
    pub(crate) aws: Map<String, Value>,
}

impl Opportunity {
    /// `arn:aws:partnercentral:us-east-1:{account}:catalog/{catalog}/opportunity/{id}`.
    pub(crate) fn arn(&self, region: &str) -> String {
        format!(
            "arn:aws:partnercentral:{region}:{}:catalog/{}/opportunity/{}",
            self.account, self.catalog, self.id
        )
    }

    /// Replaces the partner-writable members, recording a changed `NextSteps`.
    pub(crate) fn replace_fields(&mut self, body: &Map<String, Value>, at: DateTime<Utc>) {
        let old_steps = self.next_steps().map(str::to_owned);
        self.fields = writable(body);
        let new_steps = self.next_steps().map(str::to_owned);
        if let Some(steps) = new_steps.filter(|s| Some(s) != old_steps.as_ref()) {
            self.next_steps_history
                .push(json!({"Value": steps, "Time": time::format(at)}));
        }
    }

    fn next_steps(&self) -> Option<&str> {
        self.fields.get("LifeCycle")?.get("NextSteps")?.as_str()
    }

    /// A dotted path into the partner-writable members.
    pub(crate) fn field(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut current = self.fields.get(parts.next()?)?;
        for part in parts {
            current = current.get(part)?;
        }
        Some(current)
    }

    fn lifecycle(&self) -> Map<String, Value> {
        let mut life = self
            .fields
            .get("LifeCycle")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(status) = self.review.status {
            life.insert("ReviewStatus".into(), status.into());
        }
        if let Some(c) = &self.review.comments {
            life.insert("ReviewComments".into(), c.clone().into());
        }
        if let Some(r) = &self.review.reason {
            life.insert("ReviewStatusReason".into(), r.clone().into());
        }
        life
    }

    /// `GetOpportunity`.
    pub(crate) fn render(&self, region: &str) -> Value {
        let mut out = self.fields.clone();
        let mut life = self.lifecycle();
        if !self.next_steps_history.is_empty() {
            life.insert(
                "NextStepsHistory".into(),
                self.next_steps_history.clone().into(),
            );
        }
        out.insert("LifeCycle".into(), Value::Object(life));
        out.insert("Catalog".into(), self.catalog.clone().into());
        out.insert("Id".into(), self.id.clone().into());
        out.insert("Arn".into(), self.arn(region).into());
        out.insert("CreatedDate".into(), time::format(self.created).into());
        out.insert(
            "LastModifiedDate".into(),
            time::format(self.modified).into(),
        );
        let related: Map<String, Value> = self
            .related
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        out.insert("RelatedEntityIdentifiers".into(), Value::Object(related));
        if !self.team.is_empty() {
            out.insert("OpportunityTeam".into(), self.team.clone().into());
        }
        Value::Object(out)
    }

    /// One `OpportunitySummaries` item of `ListOpportunities`.
    pub(crate) fn summary(&self, region: &str) -> Value {
        let mut out = Map::new();
        out.insert("Catalog".into(), self.catalog.clone().into());
        out.insert("Id".into(), self.id.clone().into());
        out.insert("Arn".into(), self.arn(region).into());
        for member in ["PartnerOpportunityIdentifier", "OpportunityType"] {
            if let Some(v) = self.fields.get(member) {
                out.insert(member.into(), v.clone());
            }
        }
        out.insert("CreatedDate".into(), time::format(self.created).into());
        out.insert(
            "LastModifiedDate".into(),
            time::format(self.modified).into(),
        );
        out.insert("LifeCycle".into(), Value::Object(self.lifecycle()));
        if let Some(account) = self.field("Customer.Account").and_then(Value::as_object) {
            let keep = [
                "Industry",
                "OtherIndustry",
                "CompanyName",
                "WebsiteUrl",
                "Address",
            ];
            let mut summary = pick(account, &keep);
            if let Some(Value::Object(address)) = summary.get_mut("Address") {
                address.remove("StreetAddress");
            }
            out.insert("Customer".into(), json!({"Account": summary}));
        }
        if let Some(project) = self.fields.get("Project").and_then(Value::as_object) {
            let keep = [
                "DeliveryModels",
                "ExpectedCustomerSpend",
                "ExpectedContractDuration",
            ];
            out.insert("Project".into(), Value::Object(pick(project, &keep)));
        }
        Value::Object(out)
    }

    /// `GetAwsOpportunitySummary`.
    pub(crate) fn aws_summary(&self) -> Value {
        let mut out = self.aws.clone();
        out.insert("Catalog".into(), self.catalog.clone().into());
        out.insert("RelatedOpportunityId".into(), self.id.clone().into());
        out.insert("Origin".into(), self.origin.into());
        if let Some(v) = &self.involvement {
            out.insert("InvolvementType".into(), v.clone().into());
        }
        if let Some(v) = &self.visibility {
            out.insert("Visibility".into(), v.clone().into());
        }
        Value::Object(out)
    }
}

/// The partner-writable members of a request body, without read-only `LifeCycle` members.
pub(crate) fn writable(body: &Map<String, Value>) -> Map<String, Value> {
    let mut out = pick(body, WRITABLE);
    if let Some(Value::Object(life)) = out.get_mut("LifeCycle") {
        for member in READ_ONLY_LIFECYCLE {
            life.remove(*member);
        }
    }
    out.retain(|_, v| !v.is_null());
    out
}

fn pick(from: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| from.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect()
}
