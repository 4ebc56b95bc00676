//! The co-sell value lists Partner Center publishes for the current fiscal
//! year, read from one versioned data file (`data/co_sell_taxonomy_fy26.json`,
//! compiled in). Next fiscal year, replace the file; the code reads whatever
//! lists it holds, and an empty list means "not published: check the shape
//! only and let the service judge the value".
//!
//! - Customer marketplace purchase intent is required when a referral is
//!   created, one of Yes, No or Have not decided
//!   (<https://learn.microsoft.com/en-us/partner-center/bulk-operations>); the
//!   API carries it as the `CustomerMarketplaceIntent` attribute of
//!   `details.requirements.additionalRequirements`
//!   (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
//! - `partnerRole`, `solutionArea` and `solutionPlay` are "required for
//!   Services co-sell referrals only"
//!   (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>),
//!   with the FY26 Solution Areas and Solution Plays taxonomy
//!   (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>),
//!   whose value lists are not published for the API.

use std::sync::OnceLock;

use serde::Deserialize;

/// The data file, as shipped.
pub const DATA: &str = include_str!("../data/co_sell_taxonomy_fy26.json");

/// One fiscal year's co-sell value lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Taxonomy {
    /// The fiscal year the lists are for, e.g. `FY26`.
    pub fiscal_year: String,
    /// Revision of the file within the fiscal year.
    pub version: u32,
    /// Customer marketplace purchase intent values.
    pub marketplace_intent: MarketplaceIntent,
    /// Values of the Services co-sell fields.
    pub services_co_sell: ServicesCoSell,
}

/// Customer marketplace purchase intent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MarketplaceIntent {
    /// The `type` of the referral attribute carrying it.
    pub attribute_type: String,
    /// The accepted values, in the order Partner Center lists them.
    pub values: Vec<Choice>,
    /// The id a new Salesforce opportunity starts with.
    pub default: String,
}

/// A value: its API id and the label people read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Choice {
    /// What the API carries, e.g. `HaveNotDecided`.
    pub id: String,
    /// What people read, e.g. `Have not decided`.
    pub label: String,
}

/// The published values of the Services co-sell fields (empty: unpublished).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServicesCoSell {
    /// `partnerRole` values.
    pub partner_roles: Vec<String>,
    /// `solutionArea` values.
    pub solution_areas: Vec<String>,
    /// `solutionPlay` values.
    pub solution_plays: Vec<String>,
}

/// A field a Services co-sell referral must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServicesField {
    /// `partnerRole`.
    PartnerRole,
    /// `solutionArea`.
    SolutionArea,
    /// `solutionPlay`.
    SolutionPlay,
}

impl ServicesField {
    /// All three, in the order the documentation lists them.
    pub const ALL: [ServicesField; 3] = [Self::PartnerRole, Self::SolutionArea, Self::SolutionPlay];

    /// The referral property.
    pub fn property(self) -> &'static str {
        match self {
            Self::PartnerRole => "partnerRole",
            Self::SolutionArea => "solutionArea",
            Self::SolutionPlay => "solutionPlay",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::PartnerRole => "partner role",
            Self::SolutionArea => "solution area",
            Self::SolutionPlay => "solution play",
        }
    }
}

impl Taxonomy {
    /// The shipped lists.
    pub fn current() -> &'static Taxonomy {
        static CURRENT: OnceLock<Taxonomy> = OnceLock::new();
        CURRENT.get_or_init(|| {
            serde_json::from_str(DATA).expect("the shipped taxonomy file parses (unit-tested)")
        })
    }

    /// The published values of a Services co-sell field (empty: unpublished).
    pub fn values_of(&self, field: ServicesField) -> &[String] {
        let s = &self.services_co_sell;
        match field {
            ServicesField::PartnerRole => &s.partner_roles,
            ServicesField::SolutionArea => &s.solution_areas,
            ServicesField::SolutionPlay => &s.solution_plays,
        }
    }

    /// Why `value` cannot be sent as `field`, or None when it can: it must
    /// be one line of text, and one of the published values when there are any.
    pub fn check(&self, field: ServicesField, value: &str) -> Option<String> {
        if value.trim().is_empty() {
            return Some(format!("the {} is empty", field.label()));
        }
        if value.chars().any(char::is_control) {
            return Some(format!(
                "the {} must be one line of text without line breaks",
                field.label()
            ));
        }
        let values = self.values_of(field);
        if !values.is_empty() && !values.iter().any(|v| v == value) {
            return Some(format!(
                "\"{value}\" is not a {} {} value: use one of {}",
                self.fiscal_year,
                field.label(),
                values.join(", ")
            ));
        }
        None
    }
}

impl MarketplaceIntent {
    /// The value with this label or id (case-insensitive).
    pub fn find(&self, label_or_id: &str) -> Option<&Choice> {
        let wanted = label_or_id.trim();
        self.values
            .iter()
            .find(|c| c.label.eq_ignore_ascii_case(wanted) || c.id.eq_ignore_ascii_case(wanted))
    }

    /// The labels, in order.
    pub fn labels(&self) -> Vec<&str> {
        self.values.iter().map(|c| c.label.as_str()).collect()
    }

    /// The label new opportunities start with.
    pub fn default_label(&self) -> &str {
        self.find(&self.default)
            .map(|c| c.label.as_str())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_the_fy26_lists() {
        let t = Taxonomy::current();
        assert_eq!(t.fiscal_year, "FY26");
        assert_eq!(
            t.marketplace_intent.attribute_type,
            "CustomerMarketplaceIntent"
        );
        assert_eq!(
            t.marketplace_intent.labels(),
            ["Yes", "No", "Have not decided"]
        );
        assert_eq!(t.marketplace_intent.default_label(), "Have not decided");
        assert_eq!(
            t.marketplace_intent.find("have not decided").unwrap().id,
            "HaveNotDecided"
        );
        assert!(t.marketplace_intent.find("Maybe").is_none());
    }

    #[test]
    fn unpublished_lists_check_the_shape_and_published_ones_the_value() {
        let mut t = Taxonomy::current().clone();
        let play = ServicesField::SolutionPlay;
        assert_eq!(t.check(play, "Any text the service judges"), None);
        assert_eq!(t.check(play, "  ").unwrap(), "the solution play is empty");
        assert!(t.check(play, "two\nlines").unwrap().contains("one line"));
        t.services_co_sell.solution_plays = vec!["Migrate and modernize".into()];
        assert_eq!(t.check(play, "Migrate and modernize"), None);
        assert_eq!(
            t.check(play, "Other").unwrap(),
            "\"Other\" is not a FY26 solution play value: use one of Migrate and modernize"
        );
    }
}
