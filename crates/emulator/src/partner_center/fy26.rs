//! FY26 co-sell rules on a referral the partner creates, with the value
//! lists of the shipped taxonomy file (the one the connector ships, read
//! here on its own so the emulator stays an independent judge):
//!
//! - the customer's marketplace purchase intent is required on creation and
//!   is one of the published values ("Marketplace Purchase Intent … is a
//!   required filed for referral creation. Accepted values are Yes, No or
//!   Have not decided", <https://learn.microsoft.com/en-us/partner-center/bulk-operations>);
//!   the create example carries it as a `CustomerMarketplaceIntent`
//!   attribute of `details.requirements.additionalRequirements`, and the
//!   Referral resource also lists a `customerMarketplaceIntent` property
//!   (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>,
//!   <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>):
//!   either is accepted;
//! - `partnerRole`, `solutionArea` and `solutionPlay` are "required for
//!   Services co-sell referrals only" (create-a-referral). The documents do
//!   not say how a Services co-sell referral is told apart, so a referral
//!   asking Microsoft for help that names any of the three is one and needs
//!   all three; each is text, and one of the published values when the
//!   taxonomy file lists any (it lists none for FY26).

use std::sync::OnceLock;

use serde_json::Value;

use super::error::ApiError;
use super::Rules;

const TAXONOMY: &str = include_str!("../../../partner-center/data/co_sell_taxonomy_fy26.json");
const ATTRIBUTES: &str = "details/requirements/additionalRequirements/attributes";
const SERVICES_FIELDS: [(&str, &str); 3] = [
    ("partnerRole", "partner_roles"),
    ("solutionArea", "solution_areas"),
    ("solutionPlay", "solution_plays"),
];

fn taxonomy() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(TAXONOMY).expect("the taxonomy file is JSON"))
}

fn strings(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The marketplace intent labels Salesforce shows, and the default one.
pub(crate) fn marketplace_intent_labels() -> (Vec<&'static str>, &'static str) {
    let intent = &taxonomy()["marketplace_intent"];
    let values = intent["values"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let default = values
        .iter()
        .find(|v| v["id"] == intent["default"])
        .and_then(|v| v["label"].as_str())
        .unwrap_or_default();
    (
        values.iter().filter_map(|v| v["label"].as_str()).collect(),
        default,
    )
}

/// Checks a new outgoing referral against the FY26 rules above.
pub(crate) fn check_new_referral(referral: &Value, rules: &Rules) -> Result<(), ApiError> {
    if rules.require_marketplace_intent {
        check_marketplace_intent(referral)?;
    }
    check_services_co_sell(referral)
}

fn check_marketplace_intent(referral: &Value) -> Result<(), ApiError> {
    let intent = &taxonomy()["marketplace_intent"];
    let kind = intent["attribute_type"].as_str().unwrap_or_default();
    let allowed: Vec<&str> = intent["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str())
        .collect();
    let attribute = referral
        .pointer("/details/requirements/additionalRequirements/attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|a| a["type"].as_str() == Some(kind))
        .map(|a| (ATTRIBUTES, &a["id"]));
    let property = referral
        .get("customerMarketplaceIntent")
        .filter(|v| !v.is_null())
        .map(|v| ("customerMarketplaceIntent", v));
    let Some((target, value)) = attribute.or(property) else {
        return Err(ApiError::invalid_at(
            ATTRIBUTES,
            format!(
                "The customer's marketplace purchase intent ({kind}) is required when a referral is created. Allowed: {}.",
                allowed.join(", ")
            ),
        ));
    };
    match value.as_str() {
        Some(id) if allowed.contains(&id) => Ok(()),
        Some(id) => Err(ApiError::invalid_at(
            target,
            format!(
                "'{id}' is not a valid value for {kind}. Allowed: {}.",
                allowed.join(", ")
            ),
        )),
        None => Err(ApiError::invalid_at(
            target,
            format!("{kind} must be a string."),
        )),
    }
}

fn check_services_co_sell(referral: &Value) -> Result<(), ApiError> {
    let asks_for_help = referral
        .pointer("/inviteContext/assistanceRequestCode")
        .and_then(Value::as_str)
        .is_some_and(|code| code != "Unknown");
    let given = |name: &str| referral.get(name).filter(|v| !v.is_null());
    if !asks_for_help
        || SERVICES_FIELDS
            .iter()
            .all(|(name, _)| given(name).is_none())
    {
        return Ok(());
    }
    let published = &taxonomy()["services_co_sell"];
    for (name, list) in SERVICES_FIELDS {
        let text = match given(name) {
            Some(Value::String(text)) if !text.trim().is_empty() => text,
            Some(value) if !value.is_string() => {
                return Err(ApiError::invalid_at(
                    name,
                    format!("{name} must be a string."),
                ))
            }
            _ => {
                return Err(ApiError::invalid_at(
                    name,
                    format!("{name} is required for Services co-sell referrals."),
                ))
            }
        };
        let values = strings(&published[list]);
        if !values.is_empty() && !values.contains(&text.as_str()) {
            return Err(ApiError::invalid_at(
                name,
                format!(
                    "'{text}' is not a valid value for {name}. Allowed: {}.",
                    values.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
