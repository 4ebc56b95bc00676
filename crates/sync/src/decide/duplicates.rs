//! A customer account or contact Salesforce would not create because the
//! org's duplicate rules match it with records the org already has
//! (`DUPLICATES_DETECTED`, the Standard Account and Contact duplicate rules
//! are active in every org:
//! https://help.salesforce.com/s/articleView?id=sf.duplicate_rules_standard_rules.htm).
//! The deal links the best match instead of failing or forcing a copy in
//! with `allowSave`; the org's record is kept as it is.

use salesforce::{ErrorCode, RecordError};
use serde::Serialize;
use serde_json::{json, Value};

/// The existing record a refused create links instead, and the rules that
/// found it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExistingRecord {
    /// Its object (`Account`, `Contact`).
    pub object: String,
    /// Its id.
    pub id: String,
    /// Developer name of the duplicate rule that blocked the create.
    pub duplicate_rule: String,
    /// Developer name of the matching rule that found the record.
    pub matching_rule: String,
}

impl ExistingRecord {
    /// One sentence for the audit log.
    pub fn describe(&self) -> String {
        format!(
            "Linked the existing {} {} instead of creating a duplicate (duplicate rule {}, matching rule {})",
            self.object, self.id, self.duplicate_rule, self.matching_rule
        )
    }

    /// The audit entry's detail.
    pub fn detail(&self) -> Value {
        json!(self)
    }
}

/// The record to link when a create was refused only by duplicate rules:
/// the match with the highest confidence (the first of equals). None when
/// any other error came with it or no record was named, so the refusal
/// stands.
pub fn existing_record(errors: &[RecordError]) -> Option<ExistingRecord> {
    if errors.is_empty()
        || errors
            .iter()
            .any(|e| e.status_code != ErrorCode::DuplicatesDetected)
    {
        return None;
    }
    let mut best: Option<(f64, ExistingRecord)> = None;
    for error in errors {
        let Some(result) = &error.duplicate_result else {
            continue;
        };
        for matched in &result.match_results {
            for record in &matched.match_records {
                let Some(id) = record.record.id().filter(|id| !id.is_empty()) else {
                    continue;
                };
                if best
                    .as_ref()
                    .is_some_and(|(c, _)| *c >= record.match_confidence)
                {
                    continue;
                }
                let object = if matched.entity_type.is_empty() {
                    result.duplicate_rule_entity_type.clone()
                } else {
                    matched.entity_type.clone()
                };
                best = Some((
                    record.match_confidence,
                    ExistingRecord {
                        object,
                        id: id.to_owned(),
                        duplicate_rule: result.duplicate_rule.clone(),
                        matching_rule: matched.rule.clone(),
                    },
                ));
            }
        }
    }
    best.map(|(_, record)| record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(matches: Value) -> RecordError {
        serde_json::from_value(json!({
            "statusCode": "DUPLICATES_DETECTED",
            "message": "Use one of these records?",
            "fields": [],
            "duplicateResult": {
                "allowSave": true,
                "duplicateRule": "Standard_Account_Duplicate_Rule",
                "duplicateRuleEntityType": "Account",
                "errorMessage": "Use one of these records?",
                "matchResults": [{
                    "entityType": "Account",
                    "errors": [],
                    "matchEngine": "FuzzyMatchEngine",
                    "matchRecords": matches,
                    "rule": "Standard_Account_Match_Rule_v1_0",
                    "size": 2,
                    "success": true,
                }],
            },
        }))
        .unwrap()
    }

    fn matched(id: &str, confidence: f64) -> Value {
        json!({
            "additionalInformation": [], "fieldDiffs": [], "matchConfidence": confidence,
            "record": { "attributes": { "type": "Account" }, "Id": id },
        })
    }

    #[test]
    fn the_closest_match_is_linked_with_the_rules_that_found_it() {
        let errors = [refusal(json!([
            matched("001A", 88.0),
            matched("001B", 95.0),
            matched("001C", 95.0)
        ]))];
        assert_eq!(
            existing_record(&errors),
            Some(ExistingRecord {
                object: "Account".into(),
                id: "001B".into(),
                duplicate_rule: "Standard_Account_Duplicate_Rule".into(),
                matching_rule: "Standard_Account_Match_Rule_v1_0".into(),
            })
        );
    }

    #[test]
    fn other_refusals_are_not_duplicates() {
        let mut with_other = vec![refusal(json!([matched("001A", 100.0)]))];
        with_other.push(
            serde_json::from_value(json!({
                "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]", "fields": ["Name"],
            }))
            .unwrap(),
        );
        assert_eq!(existing_record(&with_other), None);
        assert_eq!(existing_record(&[refusal(json!([]))]), None);
        assert_eq!(existing_record(&[]), None);
    }
}
