//! A pair's history as people read it: each audit entry with a title, and
//! for syncs and conflicts the structured detail the sync engine recorded
//! (fields sent each way; the conflicting values and which side won).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use store::{AuditEntry, AuditLevel};
use uuid::Uuid;

use super::format::{field_label, value_text, When};
use super::view::PairRef;

/// One line of history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    /// The audit entry's id.
    pub id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `info`, `warning` or `error`.
    pub level: AuditLevel,
    /// The engine's machine-readable kind (`synced`, `conflict`...).
    pub kind: String,
    /// A short human title for the kind.
    pub title: String,
    /// The engine's sentence, with the fix when it is an error.
    pub message: String,
    /// The pair this is about, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<PairRef>,
    /// For `synced`: what went where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// For `conflict`: both values and the winner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<ConflictView>,
    /// The detail exactly as recorded.
    pub detail: Value,
}

/// Fields a sync wrote on each side.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Fields written to the referral.
    pub to_partner_center: Vec<String>,
    /// Fields written to the opportunity.
    pub to_salesforce: Vec<String>,
    /// New referral status, if the sync moved it.
    pub referral_status: Option<String>,
    /// New opportunity stage, if the sync moved it.
    pub opportunity_stage: Option<String>,
    /// Salesforce edits held back (the referral is on hold).
    pub held: Vec<String>,
}

/// A field changed on both sides, and how it was settled.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictView {
    /// The field's name (a built-in field, or a mapped Salesforce field).
    pub field: String,
    /// `partner_center` or `salesforce`.
    pub winner: String,
    /// The value Partner Center had.
    pub partner_center: Value,
    /// The value Salesforce had.
    pub salesforce: Value,
}

impl HistoryItem {
    /// Reads an audit entry; `pair` names its pair when the caller knows it.
    pub fn from_entry(entry: &AuditEntry, pair: Option<PairRef>) -> Self {
        let changes = (entry.kind == "synced")
            .then(|| changes(&entry.detail))
            .flatten();
        let conflict = (entry.kind == "conflict")
            .then(|| conflict(&entry.detail))
            .flatten();
        Self {
            id: entry.id,
            at: entry.at,
            level: entry.level,
            kind: entry.kind.clone(),
            title: title(&entry.kind),
            message: entry.message.clone(),
            pair,
            changes,
            conflict,
            detail: entry.detail.clone(),
        }
    }

    /// When it happened, for pages.
    pub fn when(&self) -> When {
        When::of(Some(self.at))
    }

    /// CSS class / label of the level.
    pub fn level_name(&self) -> &'static str {
        self.level.as_str()
    }
}

impl Changes {
    /// Readable labels of the fields sent to Partner Center.
    pub fn to_partner_center_labels(&self) -> String {
        labels(&self.to_partner_center)
    }

    /// Readable labels of the fields sent to Salesforce.
    pub fn to_salesforce_labels(&self) -> String {
        labels(&self.to_salesforce)
    }

    /// Readable labels of the held fields.
    pub fn held_labels(&self) -> String {
        labels(&self.held)
    }
}

impl ConflictView {
    /// The field's readable name.
    pub fn field_label(&self) -> String {
        field_label(&self.field)
    }

    /// "Partner Center" or "Salesforce".
    pub fn winner_label(&self) -> &'static str {
        if self.partner_center_won() {
            "Partner Center"
        } else {
            "Salesforce"
        }
    }

    /// True when Partner Center's value was kept.
    pub fn partner_center_won(&self) -> bool {
        self.winner == "partner_center"
    }

    /// Partner Center's value as text.
    pub fn partner_center_text(&self) -> String {
        value_text(&self.partner_center)
    }

    /// Salesforce's value as text.
    pub fn salesforce_text(&self) -> String {
        value_text(&self.salesforce)
    }
}

fn labels(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| field_label(f))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short title for an audit kind; unknown kinds are spelled out.
fn title(kind: &str) -> String {
    let known = match kind {
        "referral_created" => "Referral created in Partner Center",
        "opportunity_created" => "Opportunity created in Salesforce",
        "pair_linked" => "Linked after an interrupted sync",
        "synced" => "Synced",
        "conflict" => "Conflict resolved",
        "change_refused" => "Change refused",
        "validation_failed" => "Validation failed",
        "sync_failed" => "Sync failed",
        "sync_retrying" => "Sync failed, will retry",
        "lifecycle_not_pushed" => "Status change not pushed",
        "aws_shared" => "Shared with AWS",
        "aws_review" => "AWS review",
        "aws_updated" => "Sent to AWS",
        "aws_held" => "Held back during AWS review",
        "aws_locked" => "Locked by AWS review",
        "aws_refused" => "Refused by AWS",
        "aws_invited" => "AWS invitation received",
        "aws_invitation_accepted" => "AWS invitation accepted",
        "aws_invitation_rejected" => "AWS invitation rejected",
        "aws_linked" => "Linked to the AWS opportunity",
        other => return field_label(other),
    };
    known.to_owned()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn changes(detail: &Value) -> Option<Changes> {
    detail.as_object()?;
    Some(Changes {
        to_partner_center: strings(detail.get("to_partner_center")),
        to_salesforce: strings(detail.get("to_salesforce")),
        referral_status: text(detail.get("referral_status")),
        opportunity_stage: text(detail.get("opportunity_stage")),
        held: strings(detail.get("held")),
    })
}

/// Reads the engine's serialized `Conflict`; the winner is a side name in
/// any of the spellings `PartnerCenter`, `partner_center`, `Partner Center`.
fn conflict(detail: &Value) -> Option<ConflictView> {
    let field = detail.get("field")?.as_str()?.to_owned();
    let winner = detail.get("winner")?.as_str()?;
    let normalized: String = winner
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let winner = match normalized.as_str() {
        "partnercenter" => "partner_center",
        "salesforce" => "salesforce",
        _ => return None,
    };
    Some(ConflictView {
        field,
        winner: winner.to_owned(),
        partner_center: detail.get("partner_center").cloned().unwrap_or(Value::Null),
        salesforce: detail.get("salesforce").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(kind: &str, detail: Value) -> AuditEntry {
        AuditEntry::new(None, AuditLevel::Info, kind, "m", detail)
    }

    #[test]
    fn synced_detail_lists_fields_each_way() {
        let item = HistoryItem::from_entry(
            &entry(
                "synced",
                json!({"to_partner_center": ["deal_value"], "to_salesforce": ["notes", "close_date"],
                       "referral_status": null, "opportunity_stage": "Active", "held": []}),
            ),
            None,
        );
        let c = item.changes.unwrap();
        assert_eq!(c.to_partner_center, ["deal_value"]);
        assert_eq!(c.to_salesforce_labels(), "Notes, Close date");
        assert_eq!(c.referral_status, None);
        assert_eq!(c.opportunity_stage.as_deref(), Some("Active"));
        assert_eq!(item.title, "Synced");
    }

    #[test]
    fn conflict_detail_names_winner_and_both_values() {
        let item = HistoryItem::from_entry(
            &entry(
                "conflict",
                json!({"field": "deal_value", "winner": "Salesforce", "partner_center": 10000.0, "salesforce": 12000.0}),
            ),
            None,
        );
        let c = item.conflict.unwrap();
        assert_eq!(c.field_label(), "Deal value");
        assert_eq!(c.winner, "salesforce");
        assert_eq!(c.winner_label(), "Salesforce");
        assert_eq!(c.partner_center_text(), "10000.0");
        assert_eq!(c.salesforce_text(), "12000.0");
    }

    #[test]
    fn winner_spellings_are_all_understood() {
        for spelling in ["PartnerCenter", "partner_center", "Partner Center"] {
            let c = conflict(&json!({"field": "name", "winner": spelling})).unwrap();
            assert!(c.partner_center_won(), "{spelling}");
        }
        assert!(conflict(&json!({"field": "name", "winner": "Nobody"})).is_none());
    }

    #[test]
    fn unknown_kinds_get_a_readable_title_and_no_structure() {
        let item = HistoryItem::from_entry(&entry("webhook_ignored", json!({"x": 1})), None);
        assert_eq!(item.title, "Webhook ignored");
        assert!(item.changes.is_none() && item.conflict.is_none());
    }
}
