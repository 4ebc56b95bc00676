//! The rules a referral must satisfy (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>): shape,
//! enumerations, ISO codes, deal-type requirements, the status state
//! machine, and one-way visibility to Microsoft sellers.

use axum::http::StatusCode;
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use super::iso;
use super::model::REFERRAL;
use super::schema::{canonical_enum, ENUM_FIELDS};
use super::store::parse_datetime;
use super::Rules;

/// Blocks every create and full update must carry (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
const REQUIRED_BLOCKS: &[&str] = &["type", "customerProfile", "consent", "details"];

/// Properties that must be JSON objects when present.
const OBJECT_PATHS: &[&[&str]] = &[
    &["customerProfile"],
    &["consent"],
    &["details"],
    &["customerProfile", "address"],
    &["details", "requirements"],
    &["inviteContext"],
    &["inviteContext", "invitedBy"],
    &["trackingInfo"],
];

/// Properties that must be JSON arrays when present.
const ARRAY_PATHS: &[&[&str]] = &[
    &["team"],
    &["target"],
    &["tags"],
    &["registrations"],
    &["customerProfile", "team"],
    &["customerProfile", "ids"],
    &["details", "requirements", "solutions"],
    &["details", "requirements", "industries"],
    &["details", "requirements", "products"],
    &["details", "requirements", "services"],
];

/// Properties that must be booleans when present.
const BOOL_PATHS: &[&[&str]] = &[
    &["isSpam"],
    &["favorite"],
    &["consent", "consentToToShareInfoWithOthers"],
    &["consent", "consentToContact"],
    &["consent", "consentToShareReferralWithMicrosoftSellers"],
    &["consent", "consentToMicrosoftToContactSpecificPartners"],
    &["details", "customerRequestedContact"],
];

/// Properties that must be strings when present.
const STRING_PATHS: &[&[&str]] = &[
    &["name"],
    &["externalReferenceId"],
    &["statusReason"],
    &["customerProfile", "name"],
    &["details", "notes"],
    &["details", "currency"],
    &["customerProfile", "address", "country"],
    &["inviteContext", "notes"],
];

/// Datetime properties that must parse when present.
const DATETIME_PATHS: &[&[&str]] = &[&["details", "closingDateTime"]];

/// Substatus values allowed under each status (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
fn substatuses_of(status: &str) -> &'static [&'static str] {
    match status {
        "New" => &["Pending", "Received"],
        "Active" => &["Accepted"],
        "Closed" => &["Won", "Lost", "Declined", "Expired"],
        _ => &[],
    }
}

/// Whether the status is terminal (no write is allowed afterwards, <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) fn is_terminal(referral: &Value) -> bool {
    referral["status"].as_str() == Some("Closed")
}

fn display(path: &[&str]) -> String {
    path.join("/")
}

/// Visits every value at `path` (`*` = each array element), with its display path.
fn visit(
    value: &mut Value,
    path: &[&str],
    trail: &mut Vec<String>,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let Some((head, rest)) = path.split_first() else {
        return f(value, &trail.join("/"));
    };
    if *head == "*" {
        if let Value::Array(items) = value {
            for (i, item) in items.iter_mut().enumerate() {
                trail.push(i.to_string());
                visit(item, rest, trail, f)?;
                trail.pop();
            }
        }
        return Ok(());
    }
    if let Some(child) = value.as_object_mut().and_then(|m| m.get_mut(*head)) {
        trail.push((*head).to_owned());
        visit(child, rest, trail, f)?;
        trail.pop();
    }
    Ok(())
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.get(*key))
        .filter(|v| !v.is_null())
}

/// Drops members the typed model lacks, checks the shape and canonicalizes
/// enum spellings and `dealValue`.
pub(crate) fn normalize(referral: &mut Value, rules: &Rules) -> Result<(), ApiError> {
    if !referral.is_object() {
        return Err(ApiError::invalid_at(
            "referral",
            "The request body must be a referral object.",
        ));
    }
    REFERRAL.prune(referral);
    for block in REQUIRED_BLOCKS {
        if at(referral, &[block]).is_none() {
            return Err(ApiError::invalid_at(
                *block,
                format!("The {block} field is required."),
            ));
        }
    }
    if !referral["type"].is_string() {
        return Err(ApiError::invalid_at(
            "type",
            "The type field must be a string.",
        ));
    }
    check_kinds(referral, OBJECT_PATHS, Value::is_object, "an object")?;
    check_kinds(referral, ARRAY_PATHS, Value::is_array, "an array")?;
    check_kinds(referral, BOOL_PATHS, Value::is_boolean, "a boolean")?;
    check_kinds(referral, STRING_PATHS, Value::is_string, "a string")?;
    for path in DATETIME_PATHS {
        visit(referral, path, &mut Vec::new(), &mut |v, p| match v {
            Value::Null => Ok(()),
            Value::String(s) if parse_datetime(s).is_some() => Ok(()),
            _ => Err(ApiError::invalid_at(
                p,
                format!("{p} must be an ISO 8601 date and time."),
            )),
        })?;
    }
    for field in ENUM_FIELDS {
        visit(referral, field.path, &mut Vec::new(), &mut |v, p| match v {
            Value::Null => Ok(()),
            // The 2019 sample data carries empty sizes; the service reads them as unset.
            Value::String(s) if s.is_empty() && field.path.last() == Some(&"size") => Ok(()),
            Value::String(s) => match canonical_enum(field.values, s) {
                Some(canonical) => {
                    *v = Value::String(canonical.to_owned());
                    Ok(())
                }
                None => Err(ApiError::invalid_at(
                    p,
                    format!(
                        "'{s}' is not a valid value for {p}. Allowed: {}.",
                        field.values.join(", ")
                    ),
                )),
            },
            _ => Err(ApiError::invalid_at(p, format!("{p} must be a string."))),
        })?;
    }
    check_deal_value(referral)?;
    check_codes(referral, rules)?;
    check_status_pair(referral)
}

fn check_kinds(
    referral: &mut Value,
    paths: &[&[&str]],
    ok: fn(&Value) -> bool,
    what: &str,
) -> Result<(), ApiError> {
    for path in paths {
        visit(referral, path, &mut Vec::new(), &mut |v, p| {
            if v.is_null() || ok(v) {
                Ok(())
            } else {
                Err(ApiError::invalid_at(p, format!("{p} must be {what}.")))
            }
        })?;
    }
    Ok(())
}

/// `dealValue` is a non-negative number; numeric strings are converted, as
/// the documented PATCH example sends `"10000"` (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
fn check_deal_value(referral: &mut Value) -> Result<(), ApiError> {
    let path = "details/dealValue";
    let Some(value) = referral
        .get_mut("details")
        .and_then(|d| d.get_mut("dealValue"))
    else {
        return Ok(());
    };
    let number = match value {
        Value::Null => return Ok(()),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n.is_finite() && n >= 0.0 => {
            if let Value::String(s) = value {
                let parsed: serde_json::Number = s
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::invalid_at(path, "dealValue must be a number."))?;
                *value = Value::Number(parsed);
            }
            Ok(())
        }
        _ => Err(ApiError::invalid_at(
            path,
            "dealValue must be a non-negative number.",
        )),
    }
}

/// Country (ISO 3166 alpha-2) and currency (ISO 4217) codes (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
fn check_codes(referral: &Value, rules: &Rules) -> Result<(), ApiError> {
    let country_path = ["customerProfile", "address", "country"];
    match at(referral, &country_path).and_then(Value::as_str) {
        Some(country) if iso::is_country(country) => {}
        Some(country) => {
            return Err(ApiError::invalid_at(
                display(&country_path),
                format!("'{country}' is not a valid ISO 3166-1 alpha-2 country code; a two-letter country code is required."),
            ))
        }
        None if rules.require_customer_address => {
            return Err(ApiError::invalid_at(
                display(&country_path),
                "A two-letter country code is required.",
            ))
        }
        None => {}
    }
    if rules.require_customer_address
        && at(referral, &["customerProfile", "name"])
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
    {
        return Err(ApiError::invalid_at(
            "customerProfile/name",
            "The customer name is required.",
        ));
    }
    let currency_path = ["details", "currency"];
    match at(referral, &currency_path).and_then(Value::as_str) {
        Some(currency) if iso::is_currency(currency) => Ok(()),
        Some(currency) => Err(ApiError::invalid_at(
            display(&currency_path),
            format!("'{currency}' is not a valid ISO 4217 currency code."),
        )),
        None if at(referral, &["details", "dealValue"]).is_some() => Err(ApiError::invalid_at(
            display(&currency_path),
            "A currency is required when a deal value is given.",
        )),
        None => Ok(()),
    }
}

/// The substatus must belong to the status (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>); `None` cannot be written.
fn check_status_pair(referral: &Value) -> Result<(), ApiError> {
    let (Some(status), Some(substatus)) = (
        referral.get("status").and_then(Value::as_str),
        referral.get("substatus").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let allowed = substatuses_of(status);
    if allowed.is_empty() {
        return Err(ApiError::invalid_at(
            "status",
            format!("Status '{status}' cannot be set."),
        ));
    }
    if !allowed.contains(&substatus) {
        return Err(ApiError::invalid_at(
            "substatus",
            format!(
                "Substatus '{substatus}' is not valid for status '{status}'. Allowed: {}.",
                allowed.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Whether the partner asked Microsoft for help (a co-sell deal, <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
fn needs_help(referral: &Value) -> bool {
    at(referral, &["inviteContext", "assistanceRequestCode"])
        .and_then(Value::as_str)
        .is_some_and(|code| code != "Unknown")
}

/// Whether the referral is visible to Microsoft sellers.
pub(crate) fn shared_with_microsoft(referral: &Value) -> bool {
    at(
        referral,
        &["consent", "consentToShareReferralWithMicrosoftSellers"],
    ) == Some(&Value::Bool(true))
}

/// A registered deal may be marked Won only 72 hours later ("Wait 72 hours
/// after creating an eligible deal before marking it Won. If you mark the
/// deal as won earlier than that, the registration might be rejected",
/// <https://learn.microsoft.com/en-us/partner-center/register-deals>); the
/// wait is [`Rules::won_after_registration`], measured from the earliest
/// `registrationDateTime`.
pub(crate) fn check_won_after_registration(
    old: &Value,
    new: &Value,
    now: chrono::DateTime<chrono::Utc>,
    rules: &Rules,
) -> Result<(), ApiError> {
    let to_won =
        new["status"] == "Closed" && new["substatus"] == "Won" && old["substatus"] != "Won";
    if !to_won {
        return Ok(());
    }
    let registered = old["registrations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["registrationDateTime"].as_str())
        .filter_map(super::store::parse_datetime)
        .min();
    let Some(registered) = registered else {
        return Ok(());
    };
    let wait = chrono::Duration::from_std(rules.won_after_registration).unwrap_or_default();
    let allowed = registered + wait;
    if now < allowed {
        return Err(ApiError::invalid_at(
            "substatus",
            format!(
                "A deal with a deal registration can be marked Won only {} hours after the registration was created (registered {}; Won is accepted from {}).",
                wait.num_hours(),
                super::store::format_utc(registered),
                super::store::format_utc(allowed)
            ),
        ));
    }
    Ok(())
}

/// Co-sell and partner-led deals need a solution and a customer contact (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
pub(crate) fn check_deal_type(referral: &Value, rules: &Rules) -> Result<(), ApiError> {
    let help = needs_help(referral);
    let shared = shared_with_microsoft(referral);
    if !help && !shared {
        return Ok(());
    }
    let has = |path: &[&str]| {
        at(referral, path)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if !has(&["details", "requirements", "solutions"]) {
        return Err(ApiError::invalid_at(
            "details/requirements/solutions",
            "Solution ID is required: a referral shared with Microsoft needs at least one co-sell ready or Microsoft solution.",
        ));
    }
    if (help || rules.contact_required_when_shared) && !has(&["customerProfile", "team"]) {
        return Err(ApiError::invalid_at(
            "customerProfile/team",
            "A customer contact is required when help from Microsoft is requested.",
        ));
    }
    Ok(())
}

/// Visibility to Microsoft sellers is one-way (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
pub(crate) fn check_consent(old: &Value, new: &Value) -> Result<(), ApiError> {
    if shared_with_microsoft(old) && !shared_with_microsoft(new) {
        return Err(ApiError::invalid_at(
            "consent/consentToShareReferralWithMicrosoftSellers",
            "A referral visible to Microsoft sellers cannot be made invisible again.",
        ));
    }
    Ok(())
}

/// An illegal state change, answered with the configured status (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
fn illegal(rules: &Rules, message: String) -> ApiError {
    let status =
        StatusCode::from_u16(rules.illegal_transition_status).unwrap_or(StatusCode::BAD_REQUEST);
    let code = if status == StatusCode::CONFLICT {
        ErrorCode::ResourceModified
    } else {
        ErrorCode::InvalidRequest
    };
    ApiError::new(status, code, message).with_target("status")
}

/// The refusal of any write to a closed referral.
pub(crate) fn terminal_error(rules: &Rules, referral: &Value) -> ApiError {
    illegal(
        rules,
        format!(
            "The referral is closed ({}); no actions are permitted after a referral reaches a terminal state.",
            referral["substatus"].as_str().unwrap_or("Closed")
        ),
    )
}

/// Status moves only forward: New → Active → Closed (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) fn check_transition(old: &Value, new: &Value, rules: &Rules) -> Result<(), ApiError> {
    let from = old["status"].as_str().unwrap_or("None");
    let to = new["status"].as_str().unwrap_or("None");
    let sub = new["substatus"].as_str().unwrap_or("None");
    if is_terminal(old) {
        return Err(terminal_error(rules, old));
    }
    let allowed = match from {
        "New" => ["New", "Active", "Closed"].contains(&to),
        "Active" => ["Active", "Closed"].contains(&to),
        _ => from == to,
    };
    if !allowed {
        return Err(illegal(
            rules,
            format!("The referral cannot move from status '{from}' to '{to}'."),
        ));
    }
    if rules.strict_close_substatus && from != to && to == "Closed" {
        let closing: &[&str] = if from == "New" {
            &["Declined", "Expired"]
        } else {
            &["Won", "Lost"]
        };
        if !closing.contains(&sub) {
            return Err(illegal(
                rules,
                format!(
                    "A '{from}' referral can be closed only as {}, not '{sub}'.",
                    closing.join(" or ")
                ),
            ));
        }
    }
    Ok(())
}
