//! The canonical deal: what a referral and an opportunity both describe, in
//! one neutral shape. Mappings translate each side into a [`Deal`]; the merge
//! compares deals field by field; the snapshot stored per pair is a `Deal`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A co-sell deal as both systems see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deal {
    /// Deal name, never with the ✔/✖ mark.
    pub name: String,
    /// The customer company.
    pub customer: Customer,
    /// Customer contacts (referral `customerProfile.team`, Salesforce contact roles).
    pub contacts: Vec<Contact>,
    /// The deal's value and currency.
    pub deal_value: Option<Money>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// The expected close date.
    pub close_date: Option<NaiveDate>,
    /// Notes shared with the referral.
    pub notes: Option<String>,
    /// What help the partner asks Microsoft for (co-sell when set).
    pub help: Option<HelpOption>,
    /// Visible to Microsoft sellers; may only ever go from false to true.
    pub visible_to_microsoft: bool,
    /// Solution ids (`SOL-…` or catalog GUIDs).
    pub solutions: BTreeSet<String>,
    /// Where the deal stands.
    pub lifecycle: Lifecycle,
    /// Microsoft's own CRM id, filled once Microsoft accepts.
    pub microsoft_crm_id: Option<String>,
    /// Partner sellers on the deal (Salesforce opportunity team), by email.
    pub team: Vec<Contact>,
    /// Values of the `[[mapping]]` fields, by Salesforce field name.
    pub mapped: BTreeMap<String, serde_json::Value>,
    /// The FY26 co-sell fields, Salesforce's to fill.
    pub fy26: Fy26Fields,
}

/// The FY26 co-sell fields: the seller fills them on the opportunity and
/// Partner Center takes them when the referral is created (the rules are in
/// [`crate::validate`], the value lists in [`partner_center::Taxonomy`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fy26Fields {
    /// `partnerRole` of a Services co-sell referral.
    pub partner_role: Option<String>,
    /// `solutionArea` of a Services co-sell referral.
    pub solution_area: Option<String>,
    /// `solutionPlay` of a Services co-sell referral.
    pub solution_play: Option<String>,
    /// The customer's marketplace purchase intent, as Salesforce shows it
    /// (the taxonomy's label, e.g. `Have not decided`).
    pub marketplace_intent: Option<String>,
}

impl Fy26Fields {
    /// The Services co-sell fields that are filled in, with their values.
    pub fn services(&self) -> [(partner_center::ServicesField, Option<&str>); 3] {
        use partner_center::ServicesField as F;
        [
            (F::PartnerRole, self.partner_role.as_deref()),
            (F::SolutionArea, self.solution_area.as_deref()),
            (F::SolutionPlay, self.solution_play.as_deref()),
        ]
    }

    /// True when any Services co-sell field is filled in.
    pub fn names_services(&self) -> bool {
        self.services().iter().any(|(_, v)| v.is_some())
    }
}

/// The customer account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// The company's name.
    pub name: String,
    /// Street address.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or province.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166 alpha-2, as given (validated before it is sent).
    pub country: Option<String>,
}

/// A person on the deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name (required by both sides).
    pub last_name: String,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
}

impl Contact {
    /// The key two contacts are matched on: email, else full name.
    pub fn identity(&self) -> String {
        match &self.email {
            Some(email) if !email.is_empty() => email.to_lowercase(),
            _ => format!(
                "{} {}",
                self.first_name.as_deref().unwrap_or(""),
                self.last_name
            )
            .trim()
            .to_lowercase(),
        }
    }
}

/// An amount of money in hundredths, so equal values compare equal whatever
/// their JSON spelling (`10000`, `10000.0`, `"10000"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// Rounds a decimal amount to cents.
    pub fn from_f64(value: f64) -> Option<Self> {
        value
            .is_finite()
            .then(|| Self((value * 100.0).round() as i64))
    }

    /// The amount as a decimal number.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.as_f64())
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Money::from_f64(value).ok_or_else(|| serde::de::Error::custom("amount is not finite"))
    }
}

/// How Microsoft can help: a chosen option makes the referral co-sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HelpOption {
    /// A value proposition for a specific workload.
    WorkloadSpecificValueProposition,
    /// Help with the customer's technical architecture.
    CustomerTechnicalArchitecture,
    /// A proof of concept or demo.
    ProofOfConceptOrDemo,
    /// Quotes or licensing.
    QuotesOrLicensing,
    /// Customer success after the sale.
    PostSalesCustomerSuccess,
    /// Anything else.
    GeneralOrOther,
}

impl HelpOption {
    /// Every option with its Partner Center code and Salesforce picklist label.
    pub const ALL: [(HelpOption, &'static str, &'static str); 6] = [
        (
            Self::WorkloadSpecificValueProposition,
            "WorkloadSpecificValueProposition",
            "Workload specific value proposition",
        ),
        (
            Self::CustomerTechnicalArchitecture,
            "CustomerTechnicalArchitecture",
            "Customer technical architecture",
        ),
        (
            Self::ProofOfConceptOrDemo,
            "ProofOfConceptOrDemo",
            "Proof of concept or demo",
        ),
        (
            Self::QuotesOrLicensing,
            "QuotesOrLicensing",
            "Quotes or licensing",
        ),
        (
            Self::PostSalesCustomerSuccess,
            "PostSalesCustomerSuccess",
            "Post sales customer success",
        ),
        (Self::GeneralOrOther, "GeneralOrOther", "General or other"),
    ];

    /// Partner Center's `assistanceRequestCode`.
    pub fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(o, _, _)| *o == self)
            .map(|(_, c, _)| *c)
            .unwrap_or_default()
    }

    /// The Salesforce picklist value.
    pub fn label(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(o, _, _)| *o == self)
            .map(|(_, _, l)| *l)
            .unwrap_or_default()
    }

    /// From an `assistanceRequestCode` (`Unknown` and unknown codes mean none).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, c, _)| c.eq_ignore_ascii_case(code))
            .map(|(o, _, _)| *o)
    }

    /// From a Salesforce picklist value.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, _, l)| l.eq_ignore_ascii_case(label))
            .map(|(o, _, _)| *o)
    }
}

/// Where the deal is in its life, in terms both sides can express.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lifecycle {
    /// Shared with the partner, not yet accepted (referral New; opportunity on hold).
    #[default]
    Pending,
    /// Accepted and being worked (referral Active; an open stage).
    Active,
    /// Closed won.
    Won,
    /// Closed lost.
    Lost,
    /// Declined by the partner.
    Declined,
    /// Expired unanswered.
    Expired,
}

impl Lifecycle {
    /// Closed states are terminal in Partner Center.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Self::Won | Self::Lost | Self::Declined | Self::Expired
        )
    }

    /// Partner Center `(status, substatus)`.
    pub fn referral_status(self) -> (&'static str, &'static str) {
        match self {
            Self::Pending => ("New", "Pending"),
            Self::Active => ("Active", "Accepted"),
            Self::Won => ("Closed", "Won"),
            Self::Lost => ("Closed", "Lost"),
            Self::Declined => ("Closed", "Declined"),
            Self::Expired => ("Closed", "Expired"),
        }
    }
}

/// Strips a leading sync mark (✔, ✖ or ✘) from an opportunity name.
pub fn strip_mark(name: &str) -> &str {
    let trimmed = name.trim_start();
    for mark in [MARK_OK, MARK_FAILED, "✘"] {
        if let Some(rest) = trimmed.strip_prefix(mark) {
            return rest.trim_start();
        }
    }
    name.trim()
}

/// Shown before an opportunity's name after a successful sync.
pub const MARK_OK: &str = "✔";
/// Shown before an opportunity's name after a failed sync.
pub const MARK_FAILED: &str = "✖";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_stripped_from_names() {
        assert_eq!(strip_mark("✔ Contoso renewal"), "Contoso renewal");
        assert_eq!(strip_mark("✖ Contoso renewal"), "Contoso renewal");
        assert_eq!(strip_mark("✘Contoso"), "Contoso");
        assert_eq!(strip_mark("Contoso ✔"), "Contoso ✔");
    }

    #[test]
    fn money_compares_equal_across_spellings() {
        assert_eq!(Money::from_f64(10000.0), Money::from_f64(10_000.004));
        let parsed: Money = serde_json::from_str("12.5").unwrap();
        assert_eq!(parsed.to_string(), "12.50");
    }

    #[test]
    fn help_options_round_trip_between_code_and_label() {
        for (option, code, label) in HelpOption::ALL {
            assert_eq!(HelpOption::from_code(code), Some(option));
            assert_eq!(HelpOption::from_label(label), Some(option));
        }
        assert_eq!(HelpOption::from_code("Unknown"), None);
    }
}
