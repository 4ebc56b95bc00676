//! What `cosell doctor` found: one finding per check, rendered as a table
//! for people or a JSON array for scripts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::setup::{Line, Status as SetupStatus};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ready.
    Ok,
    /// The connector runs, with less function or a known risk.
    Warning,
    /// The connector will fail until this is fixed.
    Blocker,
}

impl Status {
    /// The table's mark.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✔",
            Status::Warning => "⚠",
            Status::Blocker => "✖",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was checked, e.g. `field Opportunity.Audit__c`.
    pub check: String,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, for a warning or a blocker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A check that passed.
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A problem that leaves the connector working.
    pub fn warning(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::problem(Status::Warning, check, detail, fix)
    }

    /// A problem the connector fails on.
    pub fn blocker(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::problem(Status::Blocker, check, detail, fix)
    }

    fn problem(
        status: Status,
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check: check.into(),
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// A line of `setup salesforce`'s prerequisite checks.
    pub fn from_setup(line: &Line) -> Self {
        let status = match line.status {
            SetupStatus::Missing => Status::Blocker,
            SetupStatus::Warning => Status::Warning,
            _ => Status::Ok,
        };
        Self {
            check: line.item.clone(),
            status,
            detail: line.detail.clone().unwrap_or_else(|| "ok".to_owned()),
            fix: line.fix.clone(),
        }
    }
}

/// Every finding, in check order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Diagnosis {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// Adds a finding.
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// How many findings block the connector.
    pub fn blockers(&self) -> usize {
        self.with_status(Status::Blocker).count()
    }

    /// The findings with this status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.status == status)
    }

    /// The finding of a check, if it ran.
    pub fn get(&self, check: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }

    /// The JSON array `--json` prints.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// The table: mark, check, detail, and the fix on its own line below.
impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .findings
            .iter()
            .map(|x| x.check.chars().count())
            .max()
            .unwrap_or(0);
        for finding in &self.findings {
            writeln!(
                f,
                "{} {:<width$}  {}",
                finding.status.mark(),
                finding.check,
                finding.detail
            )?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "  {:<width$}  fix: {fix}", "")?;
            }
        }
        let (warnings, blockers) = (self.with_status(Status::Warning).count(), self.blockers());
        write!(
            f,
            "\n{} checks: {} ok, {warnings} warning(s), {blockers} blocker(s)\n",
            self.findings.len(),
            self.with_status(Status::Ok).count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_puts_each_fix_under_its_problem_and_json_is_an_array() {
        let mut d = Diagnosis::default();
        d.push(Finding::ok("Salesforce sign-in", "signed in"));
        d.push(Finding::blocker(
            "field Opportunity.Audit__c",
            "not visible",
            "run `cosell setup salesforce`",
        ));
        assert_eq!(
            d.to_string(),
            "✔ Salesforce sign-in          signed in\n\
             ✖ field Opportunity.Audit__c  not visible\n\
             \x20                             fix: run `cosell setup salesforce`\n\
             \n2 checks: 1 ok, 0 warning(s), 1 blocker(s)\n"
        );
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                { "check": "Salesforce sign-in", "status": "ok", "detail": "signed in" },
                { "check": "field Opportunity.Audit__c", "status": "blocker", "detail": "not visible", "fix": "run `cosell setup salesforce`" }
            ])
        );
        assert_eq!(d.blockers(), 1);
    }
}
