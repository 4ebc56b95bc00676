//! The org's opportunity stages (from `OpportunityStage`), so lifecycle
//! moves use the org's own won and lost stages and configured stage names
//! are checked against what exists.

use std::collections::BTreeMap;

use crate::settings::Settings;

/// One stage's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageInfo {
    /// Whether the stage closes the opportunity.
    pub is_closed: bool,
    /// Whether the stage closes it won.
    pub is_won: bool,
}

/// The stages of an org and the won/lost stages the connector uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMap {
    stages: BTreeMap<String, StageInfo>,
    won: String,
    lost: String,
    /// The record type new opportunities get (`sync.opportunity_record_type`).
    record_type_id: Option<String>,
}

impl StageMap {
    /// Builds the map from `(ApiName, IsClosed, IsWon)` rows in sort order,
    /// checking the configured stages exist.
    pub fn new(rows: Vec<(String, bool, bool)>, settings: &Settings) -> Result<Self, String> {
        let first = |won: bool| {
            rows.iter()
                .find(|(_, closed, is_won)| *closed && *is_won == won)
                .map(|(n, _, _)| n.clone())
        };
        let won = settings.won_stage.clone().or_else(|| first(true));
        let lost = settings.lost_stage.clone().or_else(|| first(false));
        let stages: BTreeMap<_, _> = rows
            .into_iter()
            .map(|(name, is_closed, is_won)| (name, StageInfo { is_closed, is_won }))
            .collect();
        for (key, stage) in [
            ("sync.active_stage", Some(&settings.active_stage)),
            ("sync.on_hold_stage", Some(&settings.on_hold_stage)),
            ("sync.won_stage", won.as_ref()),
            ("sync.lost_stage", lost.as_ref()),
        ] {
            match stage {
                Some(name) if stages.contains_key(name) => {}
                Some(name) => {
                    return Err(format!(
                        "{key} = \"{name}\" is not a stage of this Salesforce org; use one of: {}",
                        stages.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                }
                None => {
                    return Err(format!(
                        "{key}: the org has no such stage; set it in cosell.toml"
                    ))
                }
            }
        }
        Ok(Self {
            stages,
            won: won.unwrap_or_default(),
            lost: lost.unwrap_or_default(),
            record_type_id: None,
        })
    }

    /// Uses record type `name` (`id`) for new opportunities, checking that
    /// its sales process (`process`: the stages it allows) has every stage
    /// the connector moves opportunities to.
    pub fn with_record_type(
        mut self,
        name: &str,
        id: String,
        process: &[String],
        settings: &Settings,
    ) -> Result<Self, String> {
        let missing: Vec<&str> = [
            settings.on_hold_stage.as_str(),
            settings.active_stage.as_str(),
            self.won.as_str(),
            self.lost.as_str(),
        ]
        .into_iter()
        .filter(|stage| !process.iter().any(|p| p == stage))
        .collect();
        if !missing.is_empty() {
            return Err(format!(
                "sync.opportunity_record_type = \"{name}\": its sales process lacks the stage(s) {}; add them to the sales process in Setup or choose a record type whose process has them",
                missing.join(", ")
            ));
        }
        self.record_type_id = Some(id);
        Ok(self)
    }

    /// The record type new opportunities get, when one is configured.
    pub fn record_type_id(&self) -> Option<&str> {
        self.record_type_id.as_deref()
    }

    /// True for a known stage that is not closed.
    pub fn is_open(&self, stage: &str) -> bool {
        self.stages.get(stage).is_some_and(|s| !s.is_closed)
    }

    /// The stage for won deals.
    pub fn won(&self) -> &str {
        &self.won
    }

    /// The stage for lost deals.
    pub fn lost(&self) -> &str {
        &self.lost
    }
}
