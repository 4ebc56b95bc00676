//! What a pass did for each pair, and the totals `cosell sync` prints.

use serde::Serialize;
use store::PairId;

use super::plan::Target;

/// What happened on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Write {
    /// Nothing was written.
    None,
    /// A record was created.
    Created,
    /// An existing record was updated.
    Updated,
}

/// Why a pair did not sync, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What went wrong, with the fix.
    pub message: String,
    /// Bad data or a refusal: retrying without a fix fails again.
    pub permanent: bool,
}

impl Failure {
    /// A failure only a fix of the data can cure.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }

    /// A failure a later attempt may not meet (throttling, outages).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    /// From a Partner Center error while `doing` something. The message
    /// leaves out the request id, so the same refusal reads the same on
    /// every attempt (and is audited once).
    pub fn from_partner_center(error: &partner_center::Error, doing: &str) -> Self {
        let said = match error {
            partner_center::Error::Api {
                status,
                code,
                message,
                ..
            } => format!("Partner Center API error {status} {code}: {message}"),
            partner_center::Error::Decode { message, .. } => {
                format!("could not decode response: {message}")
            }
            other => other.to_string(),
        };
        let message = format!("Partner Center refused {doing}: {said}");
        if error.is_transient() || error.status() == Some(412) {
            Self::transient(message)
        } else {
            Self::permanent(message)
        }
    }

    /// From an AWS Partner Central error while `doing` something. The
    /// message names each field AWS refused and leaves out the request id,
    /// so the same refusal reads the same on every attempt. A conflict (the
    /// opportunity changed meanwhile) is worth another try.
    pub fn from_aws(error: &aws_partner_central::Error, doing: &str) -> Self {
        let said = match error {
            aws_partner_central::Error::Api {
                code,
                message,
                fields,
                ..
            } => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| match &f.field_name {
                        Some(name) => format!("{name}: {}", f.message),
                        None => f.message.clone(),
                    })
                    .collect();
                if fields.is_empty() {
                    format!("{code:?}: {message}")
                } else {
                    format!("{code:?}: {message} ({})", fields.join("; "))
                }
            }
            other => other.to_string(),
        };
        let message = format!("AWS Partner Central refused {doing}: {said}");
        let conflict = error.code() == Some(&aws_partner_central::ErrorCode::Conflict);
        if error.is_transient() || conflict {
            Self::transient(message)
        } else {
            Self::permanent(message)
        }
    }

    /// From a failed Salesforce call.
    pub fn from_salesforce(error: &salesforce::Error) -> Self {
        let message = format!("Salesforce: {error}");
        if error.is_transient() {
            Self::transient(message)
        } else {
            Self::permanent(message)
        }
    }

    /// From a record's errors in a Collections result. A validation rule's
    /// refusal reads as its own message and the field it is shown at, as the
    /// org's admin wrote it for sellers.
    pub fn from_record_errors(errors: &[salesforce::error::RecordError]) -> Self {
        let message = errors
            .iter()
            .map(|e| {
                if e.status_code == salesforce::ErrorCode::FieldCustomValidationException {
                    let at = if e.fields.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.fields.join(", "))
                    };
                    return format!("validation rule: {}{at}", e.message);
                }
                let fields = if e.fields.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", e.fields.join(", "))
                };
                format!("{}: {}{fields}", e.status_code.as_str(), e.message)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let transient = errors.iter().any(|e| e.status_code.is_transient());
        let message = format!("Salesforce: {message}");
        if transient {
            Self::transient(message)
        } else {
            Self::permanent(message)
        }
    }

    /// The same failure, saying what was being done.
    pub fn context(mut self, doing: &str) -> Self {
        self.message = format!("{doing}: {}", self.message);
        self
    }
}

/// The result for one pair.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The targets (jobs) this pair answered.
    pub targets: Vec<Target>,
    /// The pair, once one exists.
    pub pair_id: Option<PairId>,
    /// What was decided, in words.
    pub description: String,
    /// What was written to the co-sell cloud the targets belong to
    /// (Partner Center, or AWS Partner Central for AWS targets).
    pub partner_center: Write,
    /// What was written to Salesforce.
    pub salesforce: Write,
    /// Why the pair did not sync, when it did not.
    pub failure: Option<Failure>,
}

impl Outcome {
    pub(crate) fn new(
        targets: Vec<Target>,
        pair_id: Option<PairId>,
        description: String,
        partner_center: Write,
        salesforce: Write,
        failure: Option<Failure>,
    ) -> Self {
        Self {
            targets,
            pair_id,
            description,
            partner_center,
            salesforce,
            failure,
        }
    }

    /// An outcome for targets a whole batch failed on.
    pub fn batch_failure(targets: Vec<Target>, failure: Failure) -> Self {
        Self::new(
            targets,
            None,
            "not synced".into(),
            Write::None,
            Write::None,
            Some(failure),
        )
    }
}

/// Counts for one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SideCounts {
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records looked at and left as they were.
    pub unchanged: u64,
}

/// Totals of a pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Writes to Partner Center.
    pub partner_center: SideCounts,
    /// Writes to Salesforce.
    pub salesforce: SideCounts,
    /// Writes to AWS Partner Central.
    pub aws: SideCounts,
    /// Pairs that failed.
    pub failed: u64,
    /// Failures a retry may fix (throttling, outages).
    pub retryable: u64,
}

impl Summary {
    /// Adds outcomes to the totals.
    pub fn add(&mut self, outcomes: &[Outcome]) {
        for outcome in outcomes {
            if let Some(failure) = &outcome.failure {
                self.failed += 1;
                if !failure.permanent {
                    self.retryable += 1;
                }
            }
            let cloud = if outcome.targets.iter().any(Target::is_aws) {
                &mut self.aws
            } else {
                &mut self.partner_center
            };
            for (counts, write) in [
                (cloud, outcome.partner_center),
                (&mut self.salesforce, outcome.salesforce),
            ] {
                match write {
                    Write::Created => counts.created += 1,
                    Write::Updated => counts.updated += 1,
                    Write::None if outcome.failure.is_none() => counts.unchanged += 1,
                    Write::None => {}
                }
            }
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |c: &SideCounts| {
            format!(
                "{} created, {} updated, {} unchanged",
                c.created, c.updated, c.unchanged
            )
        };
        writeln!(f, "Partner Center: {}", side(&self.partner_center))?;
        writeln!(f, "Salesforce:     {}", side(&self.salesforce))?;
        if self.aws != SideCounts::default() {
            writeln!(f, "AWS:            {}", side(&self.aws))?;
        }
        write!(
            f,
            "Failed:         {} ({} will be retried)",
            self.failed, self.retryable
        )
    }
}
