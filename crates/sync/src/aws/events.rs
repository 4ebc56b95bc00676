//! Partner Central Selling events as EventBridge delivers them through an
//! API destination (<https://docs.aws.amazon.com/partner-central/latest/APIReference/selling-api-events.html>):
//! the envelope's `source`, `id` and `detail-type`, and in `detail` the
//! `catalog` with the `opportunity` `identifier` or the
//! `engagementInvitation` `id`. An event is only a trigger: the job re-reads
//! AWS.

use serde::Deserialize;
use serde_json::Value;

use crate::engine::Target;

/// `source` of every Partner Central Selling event.
pub const SOURCE: &str = "aws.partnercentral-selling";

/// What an event asks to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsEvent {
    /// The event's `id` (the same on every delivery of one event).
    pub id: String,
    /// `detail-type`, e.g. `Opportunity Updated`.
    pub detail_type: String,
    /// What to sync.
    pub target: Target,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Value,
}

/// Reads an event body; `catalog` is the one cosell syncs. Err says why
/// the body is not an event cosell takes (wrong source or catalog, no
/// identifier, not JSON).
pub fn parse(body: &[u8], catalog: &str) -> Result<AwsEvent, String> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| format!("not an EventBridge event: {e}"))?;
    if envelope.source != SOURCE {
        return Err(format!("source {:?} is not {SOURCE}", envelope.source));
    }
    let detail = &envelope.detail;
    let event_catalog = detail.get("catalog").and_then(Value::as_str).unwrap_or("");
    if event_catalog != catalog {
        return Err(format!(
            "catalog {event_catalog:?} is not the configured {catalog:?}"
        ));
    }
    let text = |pointer: &str| {
        detail
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let target = if let Some(id) = text("/opportunity/identifier") {
        Target::AwsOpportunity(id)
    } else if let Some(id) = text("/engagementInvitation/id") {
        Target::AwsInvitation(id)
    } else {
        return Err(format!(
            "{} names no opportunity or invitation",
            envelope.detail_type
        ));
    };
    Ok(AwsEvent {
        id: envelope.id,
        detail_type: envelope.detail_type,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: Value) -> Vec<u8> {
        json!({"version": "0", "id": "e-1", "detail-type": "Opportunity Updated",
               "source": SOURCE, "account": "111122223333", "time": "2026-12-03T10:00:00Z",
               "region": "us-east-1", "resources": [], "detail": detail})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn opportunity_and_invitation_events_name_their_target() {
        let got = parse(
            &event(json!({"catalog": "Sandbox", "opportunity": {"identifier": "O123"}})),
            "Sandbox",
        )
        .unwrap();
        assert_eq!(got.target, Target::AwsOpportunity("O123".into()));
        assert_eq!(got.id, "e-1");
        let got = parse(
            &event(json!({"catalog": "Sandbox", "engagementInvitation": {"id": "engi-1", "arn": "arn:x"}})),
            "Sandbox",
        )
        .unwrap();
        assert_eq!(got.target, Target::AwsInvitation("engi-1".into()));
    }

    #[test]
    fn other_catalogs_sources_and_shapes_are_refused() {
        let other = event(json!({"catalog": "AWS", "opportunity": {"identifier": "O1"}}));
        assert!(parse(&other, "Sandbox").unwrap_err().contains("catalog"));
        let empty = event(json!({"catalog": "Sandbox"}));
        assert!(parse(&empty, "Sandbox").is_err());
        assert!(parse(b"{", "Sandbox").is_err());
        let mut wrong: Value = serde_json::from_slice(&event(json!({}))).unwrap();
        wrong["source"] = json!("aws.ec2");
        assert!(parse(wrong.to_string().as_bytes(), "Sandbox")
            .unwrap_err()
            .contains("source"));
    }
}
