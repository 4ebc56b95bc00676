//! What `cosell setup salesforce` found and did: one line per item, e.g.
//! `created       field Opportunity.Referral_Identifier__c`.

use std::fmt;

/// Width of the status column.
const STATUS_WIDTH: usize = 13;

/// What happened to one item, or what a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It already exists; nothing was done.
    Present,
    /// It was created.
    Created,
    /// A dry run: it is missing and would be created.
    WouldCreate,
    /// It existed with too few rights and was widened.
    Updated,
    /// A dry run: it exists with too few rights and would be widened.
    WouldUpdate,
    /// A prerequisite holds.
    Ok,
    /// A prerequisite the connector needs is missing; setup cannot fix it.
    Missing,
    /// Something the connector can do without, with less function.
    Warning,
}

impl Status {
    /// The word printed for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Created => "created",
            Status::WouldCreate => "would create",
            Status::Updated => "updated",
            Status::WouldUpdate => "would update",
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Warning => "warning",
        }
    }

    /// Whether this line changed the org.
    pub fn is_write(self) -> bool {
        matches!(self, Status::Created | Status::Updated)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What happened.
    pub status: Status,
    /// The item, e.g. `field Opportunity.Audit__c`.
    pub item: String,
    /// Why, or what was done.
    pub detail: Option<String>,
    /// What to do about it, when it is a problem.
    pub fix: Option<String>,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<width$} {}",
            self.status.as_str(),
            self.item,
            width = STATUS_WIDTH
        )?;
        for text in [&self.detail, &self.fix].into_iter().flatten() {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

/// Every line of one setup run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The lines.
    pub lines: Vec<Line>,
}

impl Report {
    /// Adds a line without detail.
    pub fn push(&mut self, status: Status, item: impl Into<String>) {
        self.lines.push(Line {
            status,
            item: item.into(),
            detail: None,
            fix: None,
        });
    }

    /// Adds a line with detail.
    pub fn push_detail(
        &mut self,
        status: Status,
        item: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.lines.push(Line {
            status,
            item: item.into(),
            detail: Some(detail.into()),
            fix: None,
        });
    }

    /// Adds a problem line: what is wrong and what to do about it.
    pub fn push_fix(
        &mut self,
        status: Status,
        item: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.lines.push(Line {
            status,
            item: item.into(),
            detail: Some(detail.into()),
            fix: Some(fix.into()),
        });
    }

    /// The lines with this status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(move |l| l.status == status)
    }

    /// How many lines changed the org.
    pub fn writes(&self) -> usize {
        self.lines.iter().filter(|l| l.status.is_write()).count()
    }

    /// How many prerequisites are missing (the command then fails).
    pub fn missing(&self) -> usize {
        self.with_status(Status::Missing).count()
    }

    /// The status of an item, if reported.
    pub fn status_of(&self, item: &str) -> Option<Status> {
        self.lines.iter().find(|l| l.item == item).map(|l| l.status)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_align_and_carry_detail() {
        let mut report = Report::default();
        report.push(Status::Created, "field Opportunity.Audit__c");
        report.push_detail(Status::Missing, "stage On Hold", "create it");
        let text = report.to_string();
        assert_eq!(
            text,
            "created       field Opportunity.Audit__c\nmissing       stage On Hold: create it\n"
        );
        assert_eq!(report.writes(), 1);
        assert_eq!(report.missing(), 1);
        assert_eq!(
            report.status_of("field Opportunity.Audit__c"),
            Some(Status::Created)
        );
    }
}
