//! The Salesforce checks of `cosell doctor`, all made as the integration
//! user and all read-only: sign-in and API version, the connector's fields
//! as that user sees them (field-level security), its object permissions,
//! the prerequisites `setup salesforce` checks (stages, record type, deal
//! value, currency and country fields, notes, teams), the help picklist's
//! values, the org's duplicate and validation rules, the currency mode, State
//! and Country/Territory Picklists and the daily API headroom.

use std::collections::BTreeMap;

use salesforce::types::SObjectDescribe;
use salesforce::{Condition, ErrorCode, Record, SalesforceClient, Soql};
use serde_json::Value;

use super::findings::{Diagnosis, Finding};
use crate::config::Config;
use crate::setup::inventory::{has_field, Inventory};
use crate::setup::plan::{
    Plan, PlannedField, OPPORTUNITY, SOLUTION_OBJECT_PERMISSIONS, STANDARD_OBJECT_PERMISSIONS,
};
use crate::setup::{prerequisites, Report};

/// The fix for anything `setup salesforce` installs or grants.
const RUN_SETUP: &str = "run `cosell setup salesforce`";
/// Objects whose validation and duplicate rules the connector meets.
const RULED_OBJECTS: &[&str] = &["Opportunity", "Account", "Contact"];
/// Below this share of the daily API allocation left, doctor warns.
const LOW_HEADROOM: f64 = 0.1;
/// The field State and Country/Territory Picklists add to Account.
const COUNTRY_CODE_FIELD: &str = "BillingCountryCode";
/// The multi-currency field.
const CURRENCY_ISO_CODE: &str = "CurrencyIsoCode";

/// Runs every Salesforce check; stops after sign-in when that fails.
pub async fn check(sf: &SalesforceClient, config: &Config, out: &mut Diagnosis) {
    if !sign_in(sf, config, out).await {
        return;
    }
    api_version(sf, out).await;
    let plan = Plan::for_config(config);
    let mut described = Described::default();
    for object in [
        OPPORTUNITY,
        plan.solution_object.as_str(),
        "Account",
        "Contact",
    ] {
        described.read(sf, object).await;
    }
    fields(sf, &plan, &described, out).await;
    object_permissions(&plan, &described, out);
    let mut report = Report::default();
    match prerequisites::check(sf, &config.sync, &mut report).await {
        Ok(()) => out
            .findings
            .extend(report.lines.iter().map(Finding::from_setup)),
        Err(e) => out.push(Finding::blocker(
            "Salesforce prerequisites",
            format!("{e:#}"),
            "check that the integration user can read Opportunity, Account and their stages",
        )),
    }
    picklist_values(&plan, &described, out);
    duplicate_rules(sf, out).await;
    validation_rules(sf, out).await;
    currency(sf, config, &described, out).await;
    country_picklists(&described, out);
    headroom(sf, out).await;
}

/// Signs in; true when that worked.
async fn sign_in(sf: &SalesforceClient, config: &Config, out: &mut Diagnosis) -> bool {
    let check = "Salesforce sign-in";
    match sf.access_token().await {
        Ok(token) => {
            let who = config
                .salesforce
                .username()
                .map(str::to_owned)
                .or_else(|| token.user_id().map(|id| format!("user {id}")))
                .unwrap_or_else(|| "the integration user".to_owned());
            out.push(Finding::ok(check, format!("signed in as {who}")));
            true
        }
        Err(e) => {
            out.push(Finding::blocker(
                check,
                format!("{e:#}"),
                "check [salesforce] login_url, auth, client_id and username and the secrets they need \
                 (COSELL_SF_CLIENT_SECRET, COSELL_SF_PASSWORD, the JWT key file or `cosell login salesforce`)",
            ));
            false
        }
    }
}

/// The configured API version is one the org serves.
async fn api_version(sf: &SalesforceClient, out: &mut Diagnosis) {
    let check = "Salesforce API version";
    let wanted = sf.api_version().trim_start_matches('v').to_owned();
    match sf.versions().await {
        Ok(versions) if versions.iter().any(|v| v.version == wanted) => out.push(Finding::ok(
            check,
            format!(
                "v{wanted} (the org serves v{} to v{})",
                versions.first().map_or("?", |v| v.version.as_str()),
                versions.last().map_or("?", |v| v.version.as_str())
            ),
        )),
        Ok(versions) => out.push(Finding::blocker(
            check,
            format!("the org does not serve v{wanted}"),
            format!(
                "set salesforce.api_version to one it serves, e.g. {}",
                versions.last().map_or("the newest", |v| v.version.as_str())
            ),
        )),
        Err(e) => out.push(Finding::blocker(
            check,
            format!("{e:#}"),
            "check salesforce.login_url: it must be the org's My Domain or login host",
        )),
    }
}

/// Describes as the integration user: None for an object it cannot see.
#[derive(Default)]
struct Described {
    objects: BTreeMap<String, Result<SObjectDescribe, String>>,
}

impl Described {
    async fn read(&mut self, sf: &SalesforceClient, object: &str) {
        let result = match sf.describe(object).await {
            Ok(d) => Ok(d),
            Err(e) if e.is_not_found() || matches!(e.code(), Some(ErrorCode::InvalidType)) => Err(
                "the integration user cannot see it (no Read permission, or it does not exist)"
                    .to_owned(),
            ),
            Err(e) => Err(format!("could not describe it: {e}")),
        };
        self.objects.insert(object.to_owned(), result);
    }

    fn get(&self, object: &str) -> Option<&SObjectDescribe> {
        self.objects.get(object)?.as_ref().ok()
    }
}

/// Each connector field exists and the integration user can read and edit it.
async fn fields(sf: &SalesforceClient, plan: &Plan, described: &Described, out: &mut Diagnosis) {
    // Tooling lists fields whatever their field-level security, which tells
    // a field nobody created from one the user is not granted.
    let inventory = Inventory::read(sf, &plan.solution_object).await.ok();
    for field in &plan.fields {
        out.push(field_finding(field, inventory.as_ref(), described));
    }
}

fn field_finding(
    field: &PlannedField,
    inventory: Option<&Inventory>,
    described: &Described,
) -> Finding {
    let check = format!("field {}", field.full_name());
    let seen = described
        .get(&field.object)
        .and_then(|d| d.field(&field.api_name));
    let exists = inventory.map(|inv| {
        let names = if field.object == OPPORTUNITY {
            &inv.opportunity_fields
        } else {
            &inv.solution_fields
        };
        has_field(names, &field.api_name)
    });
    let wanted = field.spec.field_type.describe_type();
    match (seen, exists) {
        (Some(f), _) if f.field_type != wanted => Finding::blocker(
            check,
            format!(
                "it is a {} field; the connector needs {} ({})",
                f.field_type,
                wanted,
                field.spec.field_type.metadata_name()
            ),
            "delete the field and run `cosell setup salesforce`, or name another field in the configuration",
        ),
        (Some(f), _)
            if f.updateable || f.createable || !field.spec.field_type.takes_field_permissions() =>
        {
            Finding::ok(check, "the integration user can read and edit it")
        }
        (Some(_), _) => Finding::blocker(
            check,
            "read-only for the integration user (field-level security grants Read, not Edit)",
            format!("{RUN_SETUP}: it grants Edit in the Cosell_Connector permission set"),
        ),
        (None, Some(false)) => Finding::blocker(check, "the field does not exist", RUN_SETUP),
        (None, _) => Finding::blocker(
            check,
            "the integration user cannot see it: no field-level security grants it Read",
            format!("{RUN_SETUP}: it grants Read and Edit in the Cosell_Connector permission set"),
        ),
    }
}

/// The integration user's object permissions, as its describes say.
fn object_permissions(plan: &Plan, described: &Described, out: &mut Diagnosis) {
    let solution = (plan.solution_object.as_str(), SOLUTION_OBJECT_PERMISSIONS);
    for (object, rights) in STANDARD_OBJECT_PERMISSIONS
        .iter()
        .copied()
        .chain([solution])
    {
        let check = format!("object permissions {object}");
        let describe = match described.objects.get(object) {
            Some(Ok(d)) => d,
            Some(Err(problem)) => {
                out.push(Finding::blocker(check, problem.clone(), RUN_SETUP));
                continue;
            }
            None => continue,
        };
        let holds = |right: &str| match right {
            "PermissionsRead" => describe.queryable,
            "PermissionsCreate" => describe.createable,
            "PermissionsEdit" => describe.updateable,
            "PermissionsDelete" => describe.deletable,
            _ => true,
        };
        let lacking: Vec<&str> = rights
            .iter()
            .filter(|r| !holds(r))
            .map(|r| r.trim_start_matches("Permissions"))
            .collect();
        let wanted: Vec<&str> = rights
            .iter()
            .map(|r| r.trim_start_matches("Permissions"))
            .collect();
        if lacking.is_empty() {
            out.push(Finding::ok(
                check,
                format!("the integration user can {}", wanted.join(", ")),
            ));
        } else {
            out.push(Finding::blocker(
                check,
                format!("the integration user lacks {}", lacking.join(", ")),
                format!("{RUN_SETUP}: it grants them in the Cosell_Connector permission set"),
            ));
        }
    }
}

/// Each connector picklist (the help options, AWS's lists) has every value the
/// connector writes: it is restricted, so a missing one refuses the write.
fn picklist_values(plan: &Plan, described: &Described, out: &mut Diagnosis) {
    for field in &plan.fields {
        let Some(values) = field.spec.field_type.picklist_values() else {
            continue;
        };
        let Some(describe) = described
            .get(&field.object)
            .and_then(|d| d.field(&field.api_name))
        else {
            // Reported on the field's own line.
            continue;
        };
        let check = format!("picklist values {}", field.full_name());
        let values = values.labels();
        let missing: Vec<&str> = values
            .iter()
            .copied()
            .filter(|v| {
                !describe
                    .picklist_values
                    .iter()
                    .any(|p| p.active && p.value == *v)
            })
            .collect();
        if missing.is_empty() {
            out.push(Finding::ok(check, format!("all {} values", values.len())));
        } else {
            out.push(Finding::blocker(
                check,
                format!("the picklist lacks {}", quoted(&missing)),
                format!(
                    "add them in Setup (Object Manager > {} > {} > Values), API name and label as written",
                    field.object, field.api_name
                ),
            ));
        }
    }
}

/// The org's active duplicate rules on the objects the connector creates:
/// informational, since a match links the existing record.
async fn duplicate_rules(sf: &SalesforceClient, out: &mut Diagnosis) {
    let check = "duplicate rules";
    let soql = Soql::select(["DeveloperName", "SobjectType"])
        .from("DuplicateRule")
        .where_(
            Condition::eq("IsActive", true)
                .and(Condition::in_("SobjectType", RULED_OBJECTS.iter().copied())),
        );
    match sf.query_all_records(&soql).await {
        Ok(rows) if rows.is_empty() => out.push(Finding::ok(
            check,
            "none active on Opportunity, Account or Contact",
        )),
        Ok(rows) => out.push(Finding::ok(
            check,
            format!(
                "active: {}; a customer or contact they match is linked, not copied",
                named(&rows, "DeveloperName", "SobjectType")
            ),
        )),
        Err(e) => out.push(Finding::warning(
            check,
            format!("could not read them: {e}"),
            "give the integration user View Setup and Configuration to let doctor list them",
        )),
    }
}

/// The org's active validation rules on the objects the connector writes:
/// a deal one refuses fails with the rule's message until it is fixed.
async fn validation_rules(sf: &SalesforceClient, out: &mut Diagnosis) {
    let check = "validation rules";
    let soql = Soql::select(["ValidationName", "EntityDefinitionId", "ErrorMessage"])
        .from("ValidationRule")
        .where_(Condition::eq("Active", true));
    let rows = match sf.tooling_query(&soql).await {
        Ok(page) => page.records,
        Err(e) => {
            out.push(Finding::warning(
                check,
                format!("could not read them: {e}"),
                "give the integration user View Setup and Configuration to let doctor list them",
            ));
            return;
        }
    };
    let ruled: Vec<Record> = rows
        .into_iter()
        .filter(|r| {
            r.str("EntityDefinitionId")
                .is_some_and(|o| RULED_OBJECTS.iter().any(|x| x.eq_ignore_ascii_case(o)))
        })
        .collect();
    if ruled.is_empty() {
        out.push(Finding::ok(
            check,
            "none active on Opportunity, Account or Contact",
        ));
        return;
    }
    out.push(Finding::warning(
        check,
        format!("active: {}", named(&ruled, "ValidationName", "EntityDefinitionId")),
        "a deal a rule refuses fails with the rule's message on the opportunity and syncs once the data is fixed; \
         check these rules accept what Partner Center sends",
    ));
}

/// The org's currency mode matches `sync.currency_field` / `sync.org_currency`
/// (multi-currency itself is checked with the prerequisites).
async fn currency(
    sf: &SalesforceClient,
    config: &Config,
    described: &Described,
    out: &mut Diagnosis,
) {
    let Some(configured) = &config.sync.org_currency else {
        return;
    };
    let check = "currency mode (sync.org_currency)";
    let multi = described
        .get(OPPORTUNITY)
        .is_some_and(|d| d.field(CURRENCY_ISO_CODE).is_some());
    if multi {
        out.push(Finding::blocker(
            check,
            format!("the org uses multiple currencies, but sync.org_currency = {configured:?} says it has one"),
            format!("set sync.currency_field = \"{CURRENCY_ISO_CODE}\" and remove sync.org_currency"),
        ));
        return;
    }
    let soql = Soql::select(["DefaultCurrencyIsoCode"]).from("Organization");
    let org_currency = match sf.query_all_records(&soql).await {
        Ok(rows) => rows
            .first()
            .and_then(|r| r.str("DefaultCurrencyIsoCode").map(str::to_owned)),
        Err(e) => {
            out.push(Finding::warning(
                check,
                format!("could not read the org's currency: {e}"),
                "check the corporate currency in Setup > Company Information matches sync.org_currency",
            ));
            return;
        }
    };
    match org_currency {
        Some(code) if code.eq_ignore_ascii_case(configured) => {
            out.push(Finding::ok(check, format!("single currency, {code}")))
        }
        Some(code) => out.push(Finding::blocker(
            check,
            format!("the org's currency is {code}, not {configured}: amounts would be mislabelled"),
            format!("set sync.org_currency = \"{code}\""),
        )),
        None => out.push(Finding::warning(
            check,
            "the org does not say its currency",
            "check the corporate currency in Setup > Company Information matches sync.org_currency",
        )),
    }
}

/// Whether State and Country/Territory Picklists are on (the country field
/// to use is checked with the prerequisites).
fn country_picklists(described: &Described, out: &mut Diagnosis) {
    let check = "State and Country/Territory Picklists";
    let Some(account) = described.get("Account") else {
        return;
    };
    if account.field(COUNTRY_CODE_FIELD).is_some() {
        out.push(Finding::ok(
            check,
            "on: addresses take ISO codes (BillingCountryCode, BillingStateCode)",
        ));
    } else {
        out.push(Finding::ok(check, "off: addresses are free text"));
    }
}

/// What is left of the daily API allocation.
async fn headroom(sf: &SalesforceClient, out: &mut Diagnosis) {
    let check = "daily API requests";
    let limits = match sf.limits().await {
        Ok(limits) => limits,
        Err(e) => {
            out.push(Finding::warning(
                check,
                format!("could not read /limits: {e}"),
                "check the org's API usage in Setup > System Overview",
            ));
            return;
        }
    };
    let Some(daily) = limits.get("DailyApiRequests") else {
        out.push(Finding::warning(
            check,
            "the org reports no DailyApiRequests limit",
            "check the org's API usage in Setup > System Overview",
        ));
        return;
    };
    let detail = format!(
        "{} of {} left in the last 24 hours",
        daily.remaining, daily.max
    );
    let share = if daily.max > 0 {
        daily.remaining as f64 / daily.max as f64
    } else {
        0.0
    };
    if daily.remaining <= 0 {
        out.push(Finding::blocker(check, detail, "wait for usage to fall out of the 24-hour window, stop other integrations' calls, or buy more API requests"));
    } else if share < LOW_HEADROOM {
        out.push(Finding::warning(
            check,
            detail,
            "other integrations use most of the allocation: the connector pauses when it runs out",
        ));
    } else {
        out.push(Finding::ok(check, detail));
    }
}

/// `Name (Object), …` for rows.
fn named(rows: &[Record], name: &str, object: &str) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.str(name).unwrap_or("?"),
                r.get(object).and_then(Value::as_str).unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `"a", "b"`.
fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
