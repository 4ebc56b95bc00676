//! The review lifecycle and its field locks
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/working-with-opportunity-updates.html>,
//! `ReviewStatus` in <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_LifeCycle.html>):
//!
//! - `Pending Submission`: editable; `SubmitOpportunity` moves it to `Submitted`.
//! - `Submitted`, `In review`: every update is blocked.
//! - `Action Required`: only a listed set of fields is editable; an update
//!   puts the opportunity back into review (`Submitted`).
//! - `Approved`: editable except a listed set of fields.
//! - `Rejected`: read-only.
//!
//! The exact error a blocked update gets is not documented; the emulator
//! answers `ValidationException` `BUSINESS_VALIDATION_FAILED` naming each
//! field (`ACTION_NOT_PERMITTED`) or the state (`INVALID_RESOURCE_STATE`).

use serde_json::{Map, Value};

use super::error::{FieldCode, FieldError};
use super::opportunity::Opportunity;

/// Editable while `Action Required`.
const ACTION_REQUIRED_EDITABLE: &[&str] = &[
    "Customer.Account.Address.City",
    "Customer.Account.Address.CountryCode",
    "Customer.Account.Address.PostalCode",
    "Customer.Account.Address.StateOrRegion",
    "Customer.Account.Address.StreetAddress",
    "Customer.Account.WebsiteUrl",
    "LifeCycle.TargetCloseDate",
    "Project.ExpectedCustomerSpend",
    "Project.CustomerBusinessProblem",
    "PartnerOpportunityIdentifier",
];

/// Locked once `Approved`.
const APPROVED_LOCKED: &[&str] = &[
    "Customer.Account.Address.CountryCode",
    "Customer.Account.Address.PostalCode",
    "Customer.Account.Industry",
    "Customer.Account.WebsiteUrl",
    "Project.CustomerBusinessProblem",
    "PartnerOpportunityIdentifier",
    "Project.Title",
];

/// Review statuses AWS may set from `Submitted` or `In review` (control API).
pub(crate) const AWS_DECISIONS: &[&str] = &["In review", "Approved", "Rejected", "Action Required"];

/// Checks an update's new partner-writable members against the current review status.
pub(crate) fn check_update(
    current: &Opportunity,
    new: &Map<String, Value>,
) -> Result<(), Vec<FieldError>> {
    match current.review.status {
        Some(status @ ("Submitted" | "In review" | "Rejected")) => Err(vec![FieldError::new(
            "LifeCycle.ReviewStatus",
            FieldCode::ResourceState,
            format!("The opportunity can't be updated while its review status is {status}."),
        )]),
        Some("Action Required") => {
            let mut old = Value::Object(current.fields.clone());
            let mut new = Value::Object(new.clone());
            for path in ACTION_REQUIRED_EDITABLE {
                remove(&mut old, path);
                remove(&mut new, path);
            }
            let mut changed = Vec::new();
            diff(&old, &new, "", &mut changed);
            not_permitted(changed, "Action Required")
        }
        Some("Approved") => {
            let new = Value::Object(new.clone());
            let changed = APPROVED_LOCKED
                .iter()
                .filter(|p| current.field(p) != get(&new, p))
                .map(|p| (*p).to_owned())
                .collect();
            not_permitted(changed, "Approved")
        }
        _ => Ok(()),
    }
}

fn not_permitted(paths: Vec<String>, status: &str) -> Result<(), Vec<FieldError>> {
    if paths.is_empty() {
        return Ok(());
    }
    Err(paths
        .into_iter()
        .map(|p| {
            let message = format!("{p} can't be changed while the review status is {status}.");
            FieldError::new(p, FieldCode::NotPermitted, message)
        })
        .collect())
}

fn get<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, part| v.get(part))
}

fn remove(value: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(value)
    } else {
        parent.split('.').try_fold(value, |v, part| v.get_mut(part))
    };
    if let Some(Value::Object(m)) = target {
        m.remove(last);
    }
}

/// Dotted paths of the leaves that differ (lists compare whole).
fn diff(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let null = Value::Null;
                let child = super::shape::join(path, k);
                diff(
                    a.get(k).unwrap_or(&null),
                    b.get(k).unwrap_or(&null),
                    &child,
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

/// What `SubmitOpportunity` requires on top of the shapes: the fields of
/// the "Create an opportunity" guide
/// (<https://docs.aws.amazon.com/partner-central/latest/APIReference/working-with-opportunities.html>)
/// and at least one associated solution; `PrimaryNeedsFromAws` for `Co-Sell`.
pub(crate) fn missing_for_submission(opp: &Opportunity, involvement: &str) -> Vec<FieldError> {
    let mut required = vec![
        "Customer.Account.CompanyName",
        "Customer.Account.Industry",
        "Customer.Account.WebsiteUrl",
        "Customer.Account.Address.CountryCode",
        "Project.Title",
        "Project.CustomerBusinessProblem",
        "Project.ExpectedCustomerSpend",
        "Project.DeliveryModels",
        "Project.SalesActivities",
        "LifeCycle.TargetCloseDate",
        "OpportunityType",
    ];
    if opp
        .field("Customer.Account.Address.CountryCode")
        .and_then(Value::as_str)
        == Some("US")
    {
        required.push("Customer.Account.Address.PostalCode");
    }
    if involvement == "Co-Sell" {
        required.push("PrimaryNeedsFromAws");
    }
    let mut errors: Vec<FieldError> = required
        .into_iter()
        .filter(|p| is_empty(opp.field(p)))
        .map(|p| {
            FieldError::new(
                p,
                FieldCode::Missing,
                format!("{p} is required to submit the opportunity."),
            )
        })
        .collect();
    if opp.related.get("Solutions").is_none_or(Vec::is_empty) {
        errors.push(FieldError::new(
            "RelatedEntityIdentifiers.Solutions",
            FieldCode::Missing,
            "Associate at least one solution before submitting the opportunity.",
        ));
    }
    errors
}

/// Business rules every create and update obeys: a `Closed Lost` stage needs its reason.
pub(crate) fn lifecycle_rules(fields: &Map<String, Value>) -> Vec<FieldError> {
    let life = fields.get("LifeCycle");
    let stage = life.and_then(|l| l.get("Stage")).and_then(Value::as_str);
    let reason = life.and_then(|l| l.get("ClosedLostReason"));
    if stage == Some("Closed Lost") && is_empty(reason) {
        return vec![FieldError::new(
            "LifeCycle.ClosedLostReason",
            FieldCode::Missing,
            "LifeCycle.ClosedLostReason is required when LifeCycle.Stage is Closed Lost.",
        )];
    }
    Vec::new()
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}
