//! What cosell keeps per AWS link beside the store's columns: the deal as
//! last sent to AWS (edits are measured against it), the members held back
//! at the last pass (so their Audit line is written once), and whether the
//! opportunity was submitted.

use serde::{Deserialize, Serialize};
use store::CloudLink;

use super::deal::{AwsDeal, Member};

/// A link's snapshot (the store keeps it as opaque JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSnapshot {
    /// The members as AWS last took them from Salesforce.
    pub sent: AwsDeal,
    /// Edited members not sent at the last pass (held or refused).
    #[serde(default)]
    pub held: Vec<Member>,
    /// `SubmitOpportunity` succeeded.
    #[serde(default)]
    pub submitted: bool,
    /// The review feedback last written to Salesforce.
    #[serde(default)]
    pub feedback: Option<String>,
    /// AWS's own side (its stage, next steps, team) as last read.
    #[serde(default)]
    pub aws_side: Option<String>,
}

impl LinkSnapshot {
    /// The snapshot a link holds (a default one when it has none or an
    /// unreadable one: everything then counts as edited, which is safe).
    pub fn of(link: &CloudLink) -> Self {
        link.snapshot
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    /// Stores this snapshot in the link.
    pub fn store_in(&self, link: &mut CloudLink) {
        link.snapshot = serde_json::to_value(self).ok();
    }
}
