//! Request validation against the API's shapes: required members, JSON
//! types, enumerations, lengths and patterns. Every rule comes from the
//! shape pages of the API reference, e.g.
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_CreateOpportunity.html#API_CreateOpportunity_RequestSyntax>,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_Account.html>,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_Project.html>,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_LifeCycle.html>.
//! Country and currency codes are checked for their form (two and three
//! upper-case letters), not against the full ISO lists.

use serde_json::{Map, Value};

use super::error::{FieldCode, FieldError};

/// `Catalog` values the service accepts.
pub(crate) const CATALOGS: &[&str] = &["AWS", "Sandbox"];
/// `OpportunityType`.
const OPPORTUNITY_TYPES: &[&str] = &["Net New Business", "Flat Renewal", "Expansion"];
/// `NationalSecurity`, `Marketing.AwsFundingUsed`.
const YES_NO: &[&str] = &["Yes", "No"];
/// `Origin`.
pub(crate) const ORIGINS: &[&str] = &["AWS Referral", "Partner Referral"];
/// `LifeCycle.Stage`.
pub(crate) const STAGES: &[&str] = &[
    "Prospect",
    "Qualified",
    "Technical Validation",
    "Business Validation",
    "Committed",
    "Launched",
    "Closed Lost",
];
/// `LifeCycle.ClosedLostReason`.
pub const CLOSED_LOST_REASONS: &[&str] = &[
    "Customer Deficiency",
    "Delay / Cancellation of Project",
    "Legal / Tax / Regulatory",
    "Lost to Competitor - Google",
    "Lost to Competitor - Microsoft",
    "Lost to Competitor - SoftLayer",
    "Lost to Competitor - VMWare",
    "Lost to Competitor - Other",
    "No Opportunity",
    "On Premises Deployment",
    "Partner Gap",
    "Price",
    "Security / Compliance",
    "Technical Limitations",
    "Customer Experience",
    "Other",
    "People/Relationship/Governance",
    "Product/Technology",
    "Financial/Commercial",
];
/// `LifeCycle.ReviewStatus`.
pub(crate) const REVIEW_STATUSES: &[&str] = &[
    "Pending Submission",
    "Submitted",
    "In review",
    "Approved",
    "Rejected",
    "Action Required",
];
/// `Account.Industry`.
pub const INDUSTRIES: &[&str] = &[
    "Aerospace",
    "Agriculture",
    "Automotive",
    "Computers and Electronics",
    "Consumer Goods",
    "Education",
    "Energy - Oil and Gas",
    "Energy - Power and Utilities",
    "Financial Services",
    "Gaming",
    "Government",
    "Healthcare",
    "Hospitality",
    "Life Sciences",
    "Manufacturing",
    "Marketing and Advertising",
    "Media and Entertainment",
    "Mining",
    "Non-Profit Organization",
    "Professional Services",
    "Real Estate and Construction",
    "Retail",
    "Software and Internet",
    "Telecommunications",
    "Transportation and Logistics",
    "Travel",
    "Wholesale and Distribution",
    "Other",
];
/// `Project.DeliveryModels` items.
pub const DELIVERY_MODELS: &[&str] = &[
    "SaaS or PaaS",
    "BYOL or AMI",
    "Managed Services",
    "Professional Services",
    "Resell",
    "Other",
];
/// `Project.SalesActivities` items.
pub const SALES_ACTIVITIES: &[&str] = &[
    "Initialized discussions with customer",
    "Customer has shown interest in solution",
    "Conducted POC / Demo",
    "In evaluation / planning stage",
    "Agreed on solution to Business Problem",
    "Completed Action Plan",
    "Finalized Deployment Need",
    "SOW Signed",
];
/// `PrimaryNeedsFromAws` items.
pub const PRIMARY_NEEDS: &[&str] = &[
    "Co-Sell - Architectural Validation",
    "Co-Sell - Business Presentation",
    "Co-Sell - Competitive Information",
    "Co-Sell - Pricing Assistance",
    "Co-Sell - Technical Consultation",
    "Co-Sell - Total Cost of Ownership Evaluation",
    "Co-Sell - Deal Support",
    "Co-Sell - Support for Public Tender / RFx",
];
/// `Project.CompetitorName`.
const COMPETITORS: &[&str] = &[
    "Oracle Cloud",
    "On-Prem",
    "Co-location",
    "Akamai",
    "AliCloud",
    "Google Cloud Platform",
    "IBM Softlayer",
    "Microsoft Azure",
    "Other- Cost Optimization",
    "No Competition",
    "*Other",
];
/// `SubmitOpportunity.InvolvementType`.
pub(crate) const INVOLVEMENT_TYPES: &[&str] = &["For Visibility Only", "Co-Sell"];
/// `SubmitOpportunity.Visibility`.
pub(crate) const VISIBILITIES: &[&str] = &["Full", "Limited"];
/// `AssociateOpportunity.RelatedEntityType`.
pub(crate) const RELATED_ENTITY_TYPES: &[&str] = &[
    "Solutions",
    "AwsProducts",
    "AwsMarketplaceOffers",
    "AwsMarketplaceOfferSets",
];

/// Collects field errors while walking a request.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    /// What is wrong so far.
    pub(crate) errors: Vec<FieldError>,
}

/// A string rule.
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    /// Length in characters, inclusive.
    Len(usize, usize),
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// A format check with a description of the format.
    Format(fn(&str) -> bool, &'static str),
}

impl Checker {
    fn push(&mut self, path: &str, code: FieldCode, message: String) {
        self.errors.push(FieldError::new(path, code, message));
    }

    /// The member `name` of `object`, which must be a string obeying `rule`.
    pub(crate) fn string(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        name: &str,
        required: bool,
        rule: Rule,
    ) {
        let full = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) if required => {
                self.push(&full, FieldCode::Missing, format!("{full} is required."))
            }
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => self.rule(&full, s, rule),
            Some(_) => self.push(&full, FieldCode::Value, format!("{full} must be a string.")),
        }
    }

    fn rule(&mut self, full: &str, s: &str, rule: Rule) {
        match rule {
            Rule::Len(min, max) => {
                let n = s.chars().count();
                if n < min || n > max {
                    self.push(
                        full,
                        FieldCode::OutOfRange,
                        format!("{full} must be between {min} and {max} characters long."),
                    );
                }
            }
            Rule::OneOf(values) => {
                if !values.contains(&s) {
                    self.push(
                        full,
                        FieldCode::Enum,
                        format!("{full} must be one of: {}.", values.join(", ")),
                    );
                }
            }
            Rule::Format(check, what) => {
                if !check(s) {
                    self.push(full, FieldCode::Format, format!("{full} must be {what}."));
                }
            }
        }
    }

    /// The member `name`, which must be a list of strings each obeying `rule`, with at most `max` items.
    pub(crate) fn strings(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        name: &str,
        max: usize,
        rule: Rule,
    ) {
        let full = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.push(
                        &full,
                        FieldCode::TooMany,
                        format!("{full} takes at most {max} values."),
                    );
                }
                for item in items {
                    match item {
                        Value::String(s) => self.rule(&full, s, rule),
                        _ => self.push(
                            &full,
                            FieldCode::Value,
                            format!("{full} must contain strings."),
                        ),
                    }
                }
            }
            Some(_) => self.push(&full, FieldCode::Value, format!("{full} must be a list.")),
        }
    }

    /// The member `name`, which must be an object when present; returns it.
    pub(crate) fn object<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        let full = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.push(&full, FieldCode::Missing, format!("{full} is required."));
                }
                None
            }
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.push(
                    &full,
                    FieldCode::Value,
                    format!("{full} must be a structure."),
                );
                None
            }
        }
    }

    /// The member `name`, which must be a list of objects with at most `max` items; returns them.
    pub(crate) fn objects<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        name: &str,
        max: usize,
    ) -> Vec<&'v Map<String, Value>> {
        let full = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.push(
                        &full,
                        FieldCode::TooMany,
                        format!("{full} takes at most {max} values."),
                    );
                }
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Object(m) => Some(m),
                        _ => {
                            self.push(
                                &full,
                                FieldCode::Value,
                                format!("{full} must contain structures."),
                            );
                            None
                        }
                    })
                    .collect()
            }
            Some(_) => {
                self.push(&full, FieldCode::Value, format!("{full} must be a list."));
                Vec::new()
            }
        }
    }

    /// The member `name`, which must be an integer in `min..=max` when present.
    pub(crate) fn integer(
        &mut self,
        object: &Map<String, Value>,
        name: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        match object.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Some(n),
                _ => {
                    self.push(
                        name,
                        FieldCode::OutOfRange,
                        format!("{name} must be an integer from {min} to {max}."),
                    );
                    None
                }
            },
        }
    }

    /// The member `name`, which must be an ISO 8601 timestamp (or epoch seconds) when present.
    pub(crate) fn timestamp(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        name: &str,
        required: bool,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let full = join(path, name);
        match object.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.push(&full, FieldCode::Missing, format!("{full} is required."));
                }
                None
            }
            Some(v) => match super::time::parse(v) {
                Some(t) => Some(t),
                None => {
                    self.push(
                        &full,
                        FieldCode::Format,
                        format!("{full} must be an ISO 8601 date-time."),
                    );
                    None
                }
            },
        }
    }
}

/// `a.b` paths; the root has no prefix.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// `OpportunityIdentifier`: `O` and 1 to 19 digits.
pub(crate) fn is_opportunity_id(s: &str) -> bool {
    s.strip_prefix('O')
        .is_some_and(|d| (1..=19).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `Date`: `YYYY-MM-DD` that exists in the calendar.
fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// `Amount`: digits with at most two decimals, no leading zeros.
fn is_amount(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !int.is_empty()
        && int.len() <= 31
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `Email`: a simple `local@domain.tld` check in lower case, at most 80 characters.
fn is_email(s: &str) -> bool {
    s.len() <= 80
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !s
            .bytes()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
}

/// `PhoneNumber`: E.164, `+` and 2 to 15 digits, not starting with 0.
fn is_phone(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| {
        (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

fn is_upper(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// `CountryCode` form.
fn is_country(s: &str) -> bool {
    is_upper(s, 2)
}

/// `CurrencyCode` form.
fn is_currency(s: &str) -> bool {
    is_upper(s, 3)
}

/// `DunsNumber`: nine digits.
fn is_duns(s: &str) -> bool {
    s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The partner-writable members shared by `CreateOpportunity` and `UpdateOpportunity`.
pub(crate) fn opportunity_members(c: &mut Checker, body: &Map<String, Value>) {
    c.strings(
        body,
        "",
        "PrimaryNeedsFromAws",
        8,
        Rule::OneOf(PRIMARY_NEEDS),
    );
    c.string(body, "", "NationalSecurity", false, Rule::OneOf(YES_NO));
    c.string(
        body,
        "",
        "PartnerOpportunityIdentifier",
        false,
        Rule::Len(0, 64),
    );
    c.string(
        body,
        "",
        "OpportunityType",
        false,
        Rule::OneOf(OPPORTUNITY_TYPES),
    );
    if let Some(customer) = c.object(body, "", "Customer", false) {
        if let Some(account) = c.object(customer, "Customer", "Account", false) {
            account_members(c, account);
        }
        for contact in c.objects(customer, "Customer", "Contacts", 100) {
            contact_members(c, "Customer.Contacts", contact);
        }
    }
    if let Some(project) = c.object(body, "", "Project", false) {
        project_members(c, project);
    }
    if let Some(marketing) = c.object(body, "", "Marketing", false) {
        c.string(
            marketing,
            "Marketing",
            "CampaignName",
            false,
            Rule::Len(0, 255),
        );
        c.string(
            marketing,
            "Marketing",
            "Source",
            false,
            Rule::OneOf(&["Marketing Activity", "None"]),
        );
        c.strings(marketing, "Marketing", "UseCases", 100, Rule::Len(0, 255));
        c.strings(marketing, "Marketing", "Channels", 20, Rule::Len(1, 255));
        c.string(
            marketing,
            "Marketing",
            "AwsFundingUsed",
            false,
            Rule::OneOf(YES_NO),
        );
    }
    if let Some(revenue) = c.object(body, "", "SoftwareRevenue", false) {
        c.string(
            revenue,
            "SoftwareRevenue",
            "DeliveryModel",
            false,
            Rule::OneOf(&["Contract", "Pay-as-you-go", "Subscription"]),
        );
        if let Some(value) = c.object(revenue, "SoftwareRevenue", "Value", false) {
            c.string(
                value,
                "SoftwareRevenue.Value",
                "Amount",
                true,
                Rule::Format(is_amount, "a decimal amount with at most two decimals"),
            );
            c.string(
                value,
                "SoftwareRevenue.Value",
                "CurrencyCode",
                true,
                Rule::Format(is_currency, "an ISO 4217 currency code"),
            );
        }
        for date in ["EffectiveDate", "ExpirationDate"] {
            c.string(
                revenue,
                "SoftwareRevenue",
                date,
                false,
                Rule::Format(is_date, "a date as YYYY-MM-DD"),
            );
        }
    }
    if let Some(life) = c.object(body, "", "LifeCycle", false) {
        c.string(life, "LifeCycle", "Stage", false, Rule::OneOf(STAGES));
        c.string(
            life,
            "LifeCycle",
            "ClosedLostReason",
            false,
            Rule::OneOf(CLOSED_LOST_REASONS),
        );
        c.string(life, "LifeCycle", "NextSteps", false, Rule::Len(0, 255));
        c.string(
            life,
            "LifeCycle",
            "TargetCloseDate",
            false,
            Rule::Format(is_date, "a date as YYYY-MM-DD"),
        );
        c.string(
            life,
            "LifeCycle",
            "ReviewStatus",
            false,
            Rule::OneOf(REVIEW_STATUSES),
        );
    }
}

fn account_members(c: &mut Checker, account: &Map<String, Value>) {
    let p = "Customer.Account";
    c.string(account, p, "CompanyName", true, Rule::Len(0, 120));
    c.string(account, p, "Industry", false, Rule::OneOf(INDUSTRIES));
    c.string(account, p, "OtherIndustry", false, Rule::Len(0, 255));
    c.string(account, p, "WebsiteUrl", false, Rule::Len(4, 255));
    c.string(account, p, "AwsAccountId", false, Rule::Len(1, 12));
    c.string(
        account,
        p,
        "Duns",
        false,
        Rule::Format(is_duns, "nine digits"),
    );
    if let Some(address) = c.object(account, p, "Address", false) {
        let p = "Customer.Account.Address";
        c.string(address, p, "City", false, Rule::Len(0, 255));
        c.string(address, p, "PostalCode", false, Rule::Len(0, 20));
        c.string(address, p, "StateOrRegion", false, Rule::Len(0, 255));
        c.string(
            address,
            p,
            "CountryCode",
            false,
            Rule::Format(is_country, "an ISO 3166-1 alpha-2 country code"),
        );
        c.string(address, p, "StreetAddress", false, Rule::Len(0, 255));
    }
}

fn contact_members(c: &mut Checker, path: &str, contact: &Map<String, Value>) {
    c.string(
        contact,
        path,
        "Email",
        false,
        Rule::Format(
            is_email,
            "a lower-case e-mail address of at most 80 characters",
        ),
    );
    c.string(contact, path, "FirstName", false, Rule::Len(0, 80));
    c.string(contact, path, "LastName", false, Rule::Len(0, 80));
    c.string(contact, path, "BusinessTitle", false, Rule::Len(0, 80));
    c.string(
        contact,
        path,
        "Phone",
        false,
        Rule::Format(is_phone, "an E.164 phone number such as +12065550100"),
    );
}

fn project_members(c: &mut Checker, project: &Map<String, Value>) {
    let p = "Project";
    c.strings(
        project,
        p,
        "DeliveryModels",
        6,
        Rule::OneOf(DELIVERY_MODELS),
    );
    for spend in c.objects(project, p, "ExpectedCustomerSpend", 10) {
        let p = "Project.ExpectedCustomerSpend";
        c.string(
            spend,
            p,
            "Amount",
            false,
            Rule::Format(is_amount, "a decimal amount with at most two decimals"),
        );
        c.string(
            spend,
            p,
            "CurrencyCode",
            true,
            Rule::Format(is_currency, "an ISO 4217 currency code"),
        );
        c.string(spend, p, "Frequency", true, Rule::OneOf(&["Monthly"]));
        c.string(spend, p, "TargetCompany", true, Rule::Len(1, 80));
        c.string(spend, p, "EstimationUrl", false, Rule::Len(1, 255));
    }
    if let Some(duration) = c.object(project, p, "ExpectedContractDuration", false) {
        c.string(
            duration,
            "Project.ExpectedContractDuration",
            "Term",
            true,
            Rule::OneOf(&["Months"]),
        );
        c.string(
            duration,
            "Project.ExpectedContractDuration",
            "Value",
            true,
            Rule::Len(1, 10),
        );
    }
    c.string(project, p, "Title", false, Rule::Len(0, 255));
    c.strings(project, p, "ApnPrograms", 50, Rule::Len(0, 255));
    c.string(
        project,
        p,
        "CustomerBusinessProblem",
        false,
        Rule::Len(20, 2000),
    );
    c.string(project, p, "CustomerUseCase", false, Rule::Len(0, 255));
    c.string(
        project,
        p,
        "RelatedOpportunityIdentifier",
        false,
        Rule::Format(
            is_opportunity_id,
            "an opportunity identifier (O and digits)",
        ),
    );
    c.strings(
        project,
        p,
        "SalesActivities",
        8,
        Rule::OneOf(SALES_ACTIVITIES),
    );
    c.string(
        project,
        p,
        "CompetitorName",
        false,
        Rule::OneOf(COMPETITORS),
    );
    c.string(project, p, "OtherCompetitorNames", false, Rule::Len(0, 255));
    c.string(
        project,
        p,
        "OtherSolutionDescription",
        false,
        Rule::Len(0, 255),
    );
    c.string(project, p, "AdditionalComments", false, Rule::Len(1, 255));
}

/// `Catalog` and an opportunity `Identifier`-like member, shared by most operations.
pub(crate) fn catalog_and_id(c: &mut Checker, body: &Map<String, Value>, id_member: &str) {
    c.string(body, "", "Catalog", true, Rule::OneOf(CATALOGS));
    c.string(
        body,
        "",
        id_member,
        true,
        Rule::Format(
            is_opportunity_id,
            "an opportunity identifier (O and digits)",
        ),
    );
}

/// `OpportunityTeam` on create.
pub(crate) fn team_members(c: &mut Checker, body: &Map<String, Value>) {
    for member in c.objects(body, "", "OpportunityTeam", 10) {
        contact_members(c, "OpportunityTeam", member);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(
            is_opportunity_id("O1234567") && !is_opportunity_id("O") && !is_opportunity_id("X1")
        );
        assert!(
            is_amount("0")
                && is_amount("1200.5")
                && !is_amount("01")
                && !is_amount("1.234")
                && !is_amount("")
        );
        assert!(is_phone("+12065550100") && !is_phone("2065550100"));
        assert!(is_email("a.b@example.com") && !is_email("A@example.com") && !is_email("a@b"));
        assert!(is_date("2025-02-28") && !is_date("2025-02-30"));
    }

    #[test]
    fn every_problem_is_named_with_its_path() {
        let body = serde_json::json!({
            "OpportunityType": "New",
            "Customer": {"Account": {"Industry": "Software and Internet"}},
            "Project": {"CustomerBusinessProblem": "too short"},
        });
        let mut c = Checker::default();
        opportunity_members(&mut c, body.as_object().unwrap());
        let found: Vec<(&str, FieldCode)> = c
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("OpportunityType", FieldCode::Enum),
                ("Customer.Account.CompanyName", FieldCode::Missing),
                ("Project.CustomerBusinessProblem", FieldCode::OutOfRange),
            ]
        );
    }
}
