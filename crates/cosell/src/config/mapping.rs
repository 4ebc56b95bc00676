//! `[[mapping]]`: extra fields mapped between a referral (by JSON Pointer) and
//! its opportunity (by field API name) — the one place where the mapping is
//! customised beyond the `[sync]` settings, as the original connector's
//! "[Customize]" flow was.

use sync::settings::{FieldMapping, MappingDirection};

use super::error::Issue;
use super::file::MappingFile;
use super::values::ApiName;

/// Referral paths the connector itself writes: a mapping may be neither on
/// nor above them.
const RESERVED_PATHS: [&str; 26] = [
    "/id",
    "/engagementId",
    "/name",
    "/organizationId",
    "/organizationName",
    "/mpnId",
    "/externalReferenceId",
    "/createdDateTime",
    "/updatedDateTime",
    "/acceptedDateTime",
    "/closedDateTime",
    "/status",
    "/substatus",
    "/type",
    "/direction",
    "/eTag",
    "/links",
    "/customerProfile",
    "/consent",
    "/team",
    "/details/dealValue",
    "/details/currency",
    "/details/closingDateTime",
    "/details/notes",
    "/details/requirements/solutions",
    "/inviteContext/assistanceRequestCode",
];
/// Opportunity fields the connector itself writes.
const RESERVED_FIELDS: [&str; 9] = [
    "Id",
    "Name",
    "StageName",
    "CloseDate",
    "AccountId",
    "IsClosed",
    "IsWon",
    "SystemModstamp",
    "LastModifiedDate",
];
const FIX_DIRECTION: &str =
    "use \"both\" (default), \"partner_center_to_salesforce\" or \"salesforce_to_partner_center\"";

/// Checks every entry; all problems are returned at once.
pub(crate) fn check(entries: Vec<MappingFile>) -> Result<Vec<FieldMapping>, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut mappings = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let key = |k: &str| format!("mapping[{i}].{k}");
        let path = match entry.referral.map(|p| p.trim().to_owned()) {
            None => Err(Issue::new(
                key("referral"),
                "is missing",
                "set the referral field as a JSON Pointer, e.g. \"/details/customerAction\"",
            )),
            Some(path) => referral_path(&path).map_err(|problem| {
                Issue::new(
                    key("referral"),
                    problem,
                    "use a JSON Pointer into the referral, e.g. \"/details/customerAction\"",
                )
            }),
        };
        let field = match entry.salesforce {
            None => Err(Issue::new(
                key("salesforce"),
                "is missing",
                "set the Opportunity field's API name, e.g. \"NextStep\"",
            )),
            Some(name) => ApiName::parse(name.trim(), false).map_err(|problem| {
                Issue::new(
                    key("salesforce"),
                    problem,
                    "use the Opportunity field's API name, e.g. \"NextStep\"",
                )
            }),
        };
        let direction = match entry.direction.as_deref().map(str::trim) {
            None | Some("both") => Ok(MappingDirection::Both),
            Some("partner_center_to_salesforce") => Ok(MappingDirection::PartnerCenterToSalesforce),
            Some("salesforce_to_partner_center") => Ok(MappingDirection::SalesforceToPartnerCenter),
            Some(other) => Err(Issue::new(
                key("direction"),
                format!("{other:?} is not a direction"),
                FIX_DIRECTION,
            )),
        };
        match (path, field, direction) {
            (Ok(referral_path), Ok(field), Ok(direction)) => {
                let salesforce_field = field.to_string();
                if mappings.iter().any(|m: &FieldMapping| {
                    m.salesforce_field.eq_ignore_ascii_case(&salesforce_field)
                }) {
                    issues.push(Issue::new(
                        key("salesforce"),
                        format!("{salesforce_field} is mapped twice"),
                        "keep one entry per field",
                    ));
                }
                mappings.push(FieldMapping {
                    referral_path,
                    salesforce_field,
                    direction,
                });
            }
            (path, field, direction) => issues.extend(
                [path.err(), field.err(), direction.err()]
                    .into_iter()
                    .flatten(),
            ),
        }
    }
    if issues.is_empty() {
        Ok(mappings)
    } else {
        Err(issues)
    }
}

/// The Opportunity fields mappings may not use: the connector's own.
pub(crate) fn reserved_salesforce_fields(sync: &sync::Settings) -> Vec<String> {
    let mut fields: Vec<String> = RESERVED_FIELDS.iter().map(|s| s.to_string()).collect();
    fields.push(sync.deal_value_field.clone());
    if !sync.currency_field.is_empty() {
        fields.push(sync.currency_field.clone());
    }
    fields.extend(sync.fields.opportunity_fields());
    fields
}

/// A JSON Pointer of camelCase segments that the connector does not own.
fn referral_path(path: &str) -> Result<String, String> {
    let segments: Vec<&str> = path
        .strip_prefix('/')
        .ok_or("must start with \"/\"")?
        .split('/')
        .collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(format!("{path:?} is not a path of field names"));
    }
    let covers = |a: &str, b: &str| a == b || b.starts_with(&format!("{a}/"));
    if let Some(reserved) = RESERVED_PATHS
        .iter()
        .find(|r| covers(r, path) || covers(path, r))
    {
        return Err(format!(
            "{path:?} overlaps {reserved}, which the connector already syncs"
        ));
    }
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(referral: &str, salesforce: &str, direction: Option<&str>) -> MappingFile {
        MappingFile {
            referral: Some(referral.into()),
            salesforce: Some(salesforce.into()),
            direction: direction.map(String::from),
        }
    }

    #[test]
    fn good_entries_become_mappings() {
        let got = check(vec![
            entry("/details/customerAction", "NextStep", None),
            entry(
                "/trackingInfo/migratedPSCDealId",
                "Legacy_Id__c",
                Some("partner_center_to_salesforce"),
            ),
        ])
        .unwrap();
        assert_eq!(got[0].direction, MappingDirection::Both);
        assert_eq!(
            got[1].direction,
            MappingDirection::PartnerCenterToSalesforce
        );
    }

    #[test]
    fn each_problem_names_its_key() {
        let issues = check(vec![
            entry("details/customerAction", "NextStep", None),
            entry("/details", "Other__c", None),
            entry("/details/dealValue", "Bad Field", Some("sideways")),
        ])
        .unwrap_err();
        let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "mapping[0].referral",
                "mapping[1].referral",
                "mapping[2].referral",
                "mapping[2].salesforce",
                "mapping[2].direction"
            ]
        );
        assert!(
            issues[1].problem.contains("overlaps /details/dealValue"),
            "{}",
            issues[1].problem
        );
    }
}
