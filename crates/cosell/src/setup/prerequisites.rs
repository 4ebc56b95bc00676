//! Org settings the connector relies on that setup reports but never
//! changes: the configured stages, the configured standard fields
//! (multi-currency for `CurrencyIsoCode`), and Notes and Opportunity Teams
//! (Microsoft's Salesforce co-sell connector, prerequisites:
//! <https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>).

use anyhow::{Context, Result};
use salesforce::types::{OpportunityStage, SObjectDescribe};
use salesforce::{ErrorCode, SalesforceClient};

use super::plan::OPPORTUNITY;
use super::report::{Report, Status};
use sync::engine::read_record_type;
use sync::stages::StageMap;
use sync::Settings;

/// The multi-currency field Salesforce adds to every object when the org
/// enables multiple currencies.
const CURRENCY_ISO_CODE: &str = "CurrencyIsoCode";
/// Object holding the customer's country code field.
const ACCOUNT: &str = "Account";
/// Classic notes, where deal notes are kept.
const NOTE: &str = "Note";
/// Opportunity team members, which exist only with Team Selling enabled.
const TEAM_MEMBER: &str = "OpportunityTeamMember";

/// Checks everything and adds one line per check.
pub async fn check(sf: &SalesforceClient, sync: &Settings, report: &mut Report) -> Result<()> {
    let stages = sf
        .opportunity_stages()
        .await
        .context("could not read the org's opportunity stages")?;
    check_stages(&stages, sync, report);
    check_record_type(sf, &stages, sync, report).await?;

    let opportunity = describe(sf, OPPORTUNITY)
        .await?
        .context("the org has no Opportunity object")?;
    check_field(
        &opportunity,
        sync.deal_value_field.as_str(),
        "sync.deal_value_field",
        report,
    );
    match sync.currency_field.as_str() {
        // An empty currency field means a single-currency org.
        "" => {}
        CURRENCY_ISO_CODE => {
            let item = format!("multi-currency ({OPPORTUNITY}.{CURRENCY_ISO_CODE})");
            if opportunity.field(CURRENCY_ISO_CODE).is_some() {
                report.push(Status::Ok, item);
            } else {
                report.push_detail(
                    Status::Missing,
                    item,
                    "the org does not use multiple currencies: enable them, or set sync.currency_field = \"\" and sync.org_currency to its corporate currency",
                );
            }
        }
        field => check_field(&opportunity, field, "sync.currency_field", report),
    }
    match describe(sf, ACCOUNT).await? {
        Some(account) => check_country_field(&account, sync.country_code_field.as_str(), report),
        None => report.push_detail(
            Status::Missing,
            "object Account",
            "the org has no Account object",
        ),
    }

    let notes = describe(sf, NOTE).await?;
    optional(
        report,
        "Notes",
        notes.is_some(),
        "notes are not available: deal notes will not sync; enable Notes and add them to the Opportunity layout",
    );
    let teams = describe(sf, TEAM_MEMBER).await?;
    optional(
        report,
        "Opportunity Teams",
        teams.is_some(),
        "Opportunity Teams are not enabled: partner sellers will not sync; enable Team Selling in Setup",
    );
    Ok(())
}

/// The configured stages exist, are active, and are open or closed as their
/// role needs.
pub fn check_stages(stages: &[OpportunityStage], sync: &Settings, report: &mut Report) {
    let find = |name: &str| stages.iter().find(|s| s.api_name == name && s.is_active);
    for (key, name) in [
        ("sync.active_stage", &sync.active_stage),
        ("sync.on_hold_stage", &sync.on_hold_stage),
    ] {
        let item = format!("stage {name:?} ({key})");
        match find(name) {
            Some(stage) if !stage.is_closed => report.push(Status::Ok, item),
            Some(_) => report.push_detail(Status::Missing, item, "it is a closed stage; use an open one"),
            None => report.push_detail(
                Status::Missing,
                item,
                "no active opportunity stage has this API name: add it in Setup or change the setting",
            ),
        }
    }
    let won = |s: &&OpportunityStage| s.is_active && s.is_won;
    let lost = |s: &&OpportunityStage| s.is_active && s.is_closed && !s.is_won;
    for (key, configured, fits, what) in [
        (
            "sync.won_stage",
            &sync.won_stage,
            &won as &dyn Fn(&&OpportunityStage) -> bool,
            "won",
        ),
        (
            "sync.lost_stage",
            &sync.lost_stage,
            &lost,
            "closed and not won",
        ),
    ] {
        match configured {
            Some(name) => {
                let item = format!("stage {name:?} ({key})");
                match stages.iter().find(|s| &s.api_name == name) {
                    Some(stage) if fits(&stage) => report.push(Status::Ok, item),
                    Some(_) => report.push_detail(
                        Status::Missing,
                        item,
                        format!("the stage is not active and {what}"),
                    ),
                    None => report.push_detail(
                        Status::Missing,
                        item,
                        "no opportunity stage has this API name",
                    ),
                }
            }
            None => {
                let item = format!("a {what} stage ({key})");
                match stages.iter().find(fits) {
                    Some(stage) => {
                        report.push_detail(Status::Ok, item, format!("uses {:?}", stage.api_name))
                    }
                    None => report.push_detail(
                        Status::Missing,
                        item,
                        format!("the org has no active {what} stage"),
                    ),
                }
            }
        }
    }
}

/// The configured record type exists and its sales process has every stage
/// the connector moves opportunities to: the same check the sync engine
/// makes before its first write.
async fn check_record_type(
    sf: &SalesforceClient,
    stages: &[OpportunityStage],
    sync: &Settings,
    report: &mut Report,
) -> Result<()> {
    let Some(name) = &sync.opportunity_record_type else {
        return Ok(());
    };
    let item = format!("record type {name} (sync.opportunity_record_type)");
    let rows = stages
        .iter()
        .filter(|s| s.is_active)
        .map(|s| (s.api_name.clone(), s.is_closed, s.is_won))
        .collect();
    // Stage problems are reported on their own lines.
    let Ok(map) = StageMap::new(rows, sync) else {
        return Ok(());
    };
    let found = read_record_type(sf, name.as_str())
        .await
        .context("could not read the org's Opportunity record types")?;
    match found {
        None => report.push_detail(
            Status::Missing,
            item,
            "the org has no active Opportunity record type with this API name",
        ),
        Some((id, process)) => match map.with_record_type(name.as_str(), id, &process, sync) {
            Ok(_) => report.push(Status::Ok, item),
            Err(problem) => report.push_detail(Status::Missing, item, problem),
        },
    }
    Ok(())
}

/// A configured field exists on the object.
fn check_field(object: &SObjectDescribe, field: &str, key: &str, report: &mut Report) {
    let item = format!("field {}.{field} ({key})", object.name);
    if object.field(field).is_some() {
        report.push(Status::Ok, item);
    } else {
        report.push_detail(
            Status::Missing,
            item,
            format!(
                "{} has no such field (or cosell cannot see it)",
                object.name
            ),
        );
    }
}

/// The customer's country field exists and takes ISO codes: with State and
/// Country/Territory Picklists on (the org has `BillingCountryCode`), the
/// text field takes only country names, so the code field must be used
/// (https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_integ_values.htm).
fn check_country_field(account: &SObjectDescribe, field: &str, report: &mut Report) {
    let key = "sync.country_code_field";
    let code_field = format!("{field}Code");
    if account.field(field).is_some() && account.field(&code_field).is_some() {
        report.push_detail(
            Status::Missing,
            format!("field {ACCOUNT}.{field} ({key})"),
            format!(
                "State and Country/Territory Picklists are on: {field} takes country names only; set {key} = \"{code_field}\""
            ),
        );
        return;
    }
    check_field(account, field, key, report);
}

/// A feature the connector can do without.
fn optional(report: &mut Report, item: &str, available: bool, warning: &str) {
    if available {
        report.push(Status::Ok, item);
    } else {
        report.push_detail(Status::Warning, item, warning);
    }
}

/// Describes an object; None when the org does not have it (404 NOT_FOUND or
/// INVALID_TYPE, as for a feature that is switched off).
async fn describe(sf: &SalesforceClient, object: &str) -> Result<Option<SObjectDescribe>> {
    match sf.describe(object).await {
        Ok(describe) => Ok(Some(describe)),
        Err(e) if e.is_not_found() || matches!(e.code(), Some(ErrorCode::InvalidType)) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not describe {object}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync::settings::FieldNames;

    fn stage(name: &str, closed: bool, won: bool) -> OpportunityStage {
        serde_json::from_value(serde_json::json!({
            "ApiName": name, "IsActive": true, "IsClosed": closed, "IsWon": won
        }))
        .unwrap()
    }

    fn sync(active: &str, on_hold: &str, won: Option<&str>) -> Settings {
        Settings {
            active_stage: active.into(),
            on_hold_stage: on_hold.into(),
            won_stage: won.map(Into::into),
            lost_stage: None,
            opportunity_record_type: None,
            show_checkmark: true,
            country_code_field: "BillingCountry".into(),
            deal_value_field: "Amount".into(),
            currency_field: String::new(),
            org_currency: Some("USD".into()),
            co_sell_only: true,
            fields: FieldNames::default(),
            portal_url: String::new(),
            mappings: Vec::new(),
        }
    }

    #[test]
    fn stages_are_checked_by_role() {
        let stages = [
            stage("On Hold", false, false),
            stage("Qualification", false, false),
            stage("Closed Won", true, true),
            stage("Closed Lost", true, false),
        ];
        let mut report = Report::default();
        check_stages(
            &stages,
            &sync("Qualification", "On Hold", None),
            &mut report,
        );
        assert_eq!(report.missing(), 0, "{report}");
        assert_eq!(report.lines.len(), 4);

        let mut report = Report::default();
        check_stages(
            &stages,
            &sync("Closed Won", "Waiting", Some("Closed Lost")),
            &mut report,
        );
        assert_eq!(report.missing(), 3, "{report}");
        assert!(report.to_string().contains("closed stage"), "{report}");
    }
}
