//! The members of an AWS opportunity cosell maps from Salesforce, as one
//! value ([`AwsDeal`]): read from an opportunity, compared with the
//! snapshot of what was last sent, and written into the whole opportunity a
//! read-modify-write update sends back
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_UpdateOpportunity.html>).

use aws_partner_central::types::{
    Account, Address, ClosedLostReason, CountryCode, CurrencyCode, Customer, DeliveryModel,
    ExpectedCustomerSpend, Industry, LifeCycle, OpportunityType, PaymentFrequency,
    PrimaryNeedFromAws, Project, SalesActivity, Stage,
};
use aws_partner_central::OpportunityFields;
use salesforce::Record;
use serde::{Deserialize, Serialize};

use super::settings::AwsSettings;
use crate::settings::Settings;

/// AWS stage of a deal won in Salesforce.
pub const WON_STAGE: &str = "Launched";
/// AWS stage of a deal lost in Salesforce.
pub const LOST_STAGE: &str = "Closed Lost";
/// AWS stage of a new opportunity whose Salesforce stage is not mapped.
pub const FIRST_STAGE: &str = "Prospect";

/// One mapped member of an AWS opportunity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Member {
    /// `Project.Title`.
    Title,
    /// `Customer.Account.CompanyName`.
    Company,
    /// `Customer.Account.WebsiteUrl`.
    Website,
    /// `Customer.Account.Industry`.
    Industry,
    /// `Customer.Account.Address.CountryCode`.
    Country,
    /// `Customer.Account.Address.PostalCode`.
    PostalCode,
    /// `Project.CustomerBusinessProblem`.
    BusinessProblem,
    /// `Project.ExpectedCustomerSpend`.
    MonthlySpend,
    /// `Project.DeliveryModels`.
    DeliveryModels,
    /// `Project.SalesActivities`.
    SalesActivities,
    /// `PrimaryNeedsFromAws`.
    PrimaryNeeds,
    /// `LifeCycle.TargetCloseDate`.
    CloseDate,
    /// `LifeCycle.Stage`.
    Stage,
    /// `LifeCycle.ClosedLostReason`.
    ClosedLostReason,
}

impl Member {
    /// Every member, in the order they are listed to people.
    pub const ALL: [Member; 14] = [
        Self::Title,
        Self::Company,
        Self::Website,
        Self::Industry,
        Self::Country,
        Self::PostalCode,
        Self::BusinessProblem,
        Self::MonthlySpend,
        Self::DeliveryModels,
        Self::SalesActivities,
        Self::PrimaryNeeds,
        Self::CloseDate,
        Self::Stage,
        Self::ClosedLostReason,
    ];

    /// The member's path in the API's shapes.
    pub fn path(self) -> &'static str {
        match self {
            Self::Title => "Project.Title",
            Self::Company => "Customer.Account.CompanyName",
            Self::Website => "Customer.Account.WebsiteUrl",
            Self::Industry => "Customer.Account.Industry",
            Self::Country => "Customer.Account.Address.CountryCode",
            Self::PostalCode => "Customer.Account.Address.PostalCode",
            Self::BusinessProblem => "Project.CustomerBusinessProblem",
            Self::MonthlySpend => "Project.ExpectedCustomerSpend",
            Self::DeliveryModels => "Project.DeliveryModels",
            Self::SalesActivities => "Project.SalesActivities",
            Self::PrimaryNeeds => "PrimaryNeedsFromAws",
            Self::CloseDate => "LifeCycle.TargetCloseDate",
            Self::Stage => "LifeCycle.Stage",
            Self::ClosedLostReason => "LifeCycle.ClosedLostReason",
        }
    }

    /// The Salesforce field a seller fills in for it.
    pub fn salesforce_field(self, aws: &AwsSettings, sync: &Settings) -> String {
        let f = &aws.fields;
        match self {
            Self::Title => "Name".into(),
            Self::Company => "Account.Name".into(),
            Self::Website => "Account.Website".into(),
            Self::Industry => f.industry.clone(),
            Self::Country => format!("Account.{}", sync.country_code_field),
            Self::PostalCode => "Account.BillingPostalCode".into(),
            Self::BusinessProblem => f.business_problem.clone(),
            Self::MonthlySpend => f.expected_monthly_spend.clone(),
            Self::DeliveryModels => f.delivery_models.clone(),
            Self::SalesActivities => f.sales_activities.clone(),
            Self::PrimaryNeeds => f.primary_needs.clone(),
            Self::CloseDate => "CloseDate".into(),
            Self::Stage => "StageName".into(),
            Self::ClosedLostReason => f.closed_lost_reason.clone(),
        }
    }
}

/// Where a Salesforce opportunity stands, for the AWS stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Open.
    Open,
    /// Closed won.
    Won,
    /// Closed lost.
    Lost,
}

/// The mapped members, as text (lists sorted), as Salesforce has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsDeal {
    /// `Project.Title`.
    pub title: Option<String>,
    /// `Customer.Account.CompanyName`.
    pub company: Option<String>,
    /// `Customer.Account.WebsiteUrl`.
    pub website: Option<String>,
    /// `Customer.Account.Industry`.
    pub industry: Option<String>,
    /// `Customer.Account.Address.CountryCode`.
    pub country: Option<String>,
    /// `Customer.Account.Address.PostalCode`.
    pub postal_code: Option<String>,
    /// `Project.CustomerBusinessProblem`.
    pub business_problem: Option<String>,
    /// `Project.ExpectedCustomerSpend` amount, monthly in USD.
    pub monthly_spend: Option<String>,
    /// `Project.DeliveryModels`.
    pub delivery_models: Vec<String>,
    /// `Project.SalesActivities`.
    pub sales_activities: Vec<String>,
    /// `PrimaryNeedsFromAws`.
    pub primary_needs: Vec<String>,
    /// `LifeCycle.TargetCloseDate`, `YYYY-MM-DD`.
    pub close_date: Option<String>,
    /// `LifeCycle.Stage` (None: not mapped, AWS's stays).
    pub stage: Option<String>,
    /// `LifeCycle.ClosedLostReason`.
    pub closed_lost_reason: Option<String>,
}

/// The Opportunity fields (relationship paths included) [`AwsDeal::from_opportunity`] reads.
pub fn opportunity_fields(aws: &AwsSettings, sync: &Settings) -> Vec<String> {
    let f = &aws.fields;
    let mut fields: Vec<String> = [
        "Id",
        "Name",
        "StageName",
        "IsClosed",
        "IsWon",
        "CloseDate",
        "AccountId",
        "SystemModstamp",
        "Account.Name",
        "Account.Website",
        "Account.BillingPostalCode",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    fields.push(format!("Account.{}", sync.country_code_field));
    fields.extend(f.entries().into_iter().map(|(_, name)| name));
    fields
}

fn text(record: &Record, field: &str) -> Option<String> {
    record
        .str(field)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A multi-select picklist's values (`;`-separated), sorted.
fn multi(record: &Record, field: &str) -> Vec<String> {
    let mut values: Vec<String> = record
        .str(field)
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    values.sort();
    values.dedup();
    values
}

/// A country as a two-letter code: the code itself, or an English name.
fn country_code(value: &str) -> Option<String> {
    let upper = value.trim().to_ascii_uppercase();
    if crate::iso::is_country(&upper) {
        return Some(upper);
    }
    isocountry::CountryCode::iter()
        .find(|c| c.name().eq_ignore_ascii_case(value.trim()))
        .map(|c| c.alpha2().to_owned())
}

/// An amount as AWS takes it: digits with at most two decimals.
fn amount(value: f64) -> String {
    let cents = (value * 100.0).round() / 100.0;
    if cents.fract() == 0.0 {
        format!("{cents:.0}")
    } else {
        format!("{cents:.2}")
    }
}

impl AwsDeal {
    /// The deal as a Salesforce opportunity (queried with
    /// [`opportunity_fields`]) has it.
    pub fn from_opportunity(record: &Record, aws: &AwsSettings, sync: &Settings) -> Self {
        let f = &aws.fields;
        let closing = match (record.bool("IsClosed"), record.bool("IsWon")) {
            (Some(true), Some(true)) => Closing::Won,
            (Some(true), _) => Closing::Lost,
            _ => Closing::Open,
        };
        let stage = match closing {
            Closing::Won => Some(WON_STAGE.to_owned()),
            Closing::Lost => Some(LOST_STAGE.to_owned()),
            Closing::Open => record
                .str("StageName")
                .and_then(|s| aws.stages.get(s).cloned()),
        };
        Self {
            title: text(record, "Name"),
            company: text(record, "Account.Name"),
            website: text(record, "Account.Website"),
            industry: text(record, &f.industry),
            country: text(record, &format!("Account.{}", sync.country_code_field))
                .and_then(|c| country_code(&c)),
            postal_code: text(record, "Account.BillingPostalCode"),
            business_problem: text(record, &f.business_problem),
            monthly_spend: record.f64(&f.expected_monthly_spend).map(amount),
            delivery_models: multi(record, &f.delivery_models),
            sales_activities: multi(record, &f.sales_activities),
            primary_needs: multi(record, &f.primary_needs),
            close_date: text(record, "CloseDate"),
            stage,
            closed_lost_reason: (closing == Closing::Lost)
                .then(|| text(record, &f.closed_lost_reason))
                .flatten(),
        }
    }

    /// The deal as an AWS opportunity has it.
    pub fn from_fields(fields: &OpportunityFields) -> Self {
        let account = fields.customer.as_ref().and_then(|c| c.account.as_ref());
        let address = account.and_then(|a| a.address.as_ref());
        let project = fields.project.as_ref();
        let life = fields.life_cycle.as_ref();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        Self {
            title: project.and_then(|p| p.title.clone()),
            company: account
                .map(|a| a.company_name.clone())
                .filter(|s| !s.is_empty()),
            website: account.and_then(|a| a.website_url.clone()),
            industry: account.and_then(|a| a.industry.as_ref().map(|i| i.as_str().to_owned())),
            country: address.and_then(|a| a.country_code.as_ref().map(|c| c.as_str().to_owned())),
            postal_code: address.and_then(|a| a.postal_code.clone()),
            business_problem: project.and_then(|p| p.customer_business_problem.clone()),
            monthly_spend: project
                .and_then(|p| p.expected_customer_spend.as_ref())
                .and_then(|s| s.first())
                .map(|s| s.amount.clone()),
            delivery_models: sorted(
                project
                    .and_then(|p| p.delivery_models.as_ref())
                    .map(|v| v.iter().map(|d| d.as_str().to_owned()).collect())
                    .unwrap_or_default(),
            ),
            sales_activities: sorted(
                project
                    .and_then(|p| p.sales_activities.as_ref())
                    .map(|v| v.iter().map(|d| d.as_str().to_owned()).collect())
                    .unwrap_or_default(),
            ),
            primary_needs: sorted(
                fields
                    .primary_needs_from_aws
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect(),
            ),
            close_date: life.and_then(|l| l.target_close_date.clone()),
            stage: life.and_then(|l| l.stage.as_ref().map(|s| s.as_str().to_owned())),
            closed_lost_reason: life
                .and_then(|l| l.closed_lost_reason.as_ref().map(|r| r.as_str().to_owned())),
        }
    }

    /// True when the member holds no value.
    pub fn is_empty(&self, member: Member) -> bool {
        match member {
            Member::Title => self.title.is_none(),
            Member::Company => self.company.is_none(),
            Member::Website => self.website.is_none(),
            Member::Industry => self.industry.is_none(),
            Member::Country => self.country.is_none(),
            Member::PostalCode => self.postal_code.is_none(),
            Member::BusinessProblem => self.business_problem.is_none(),
            Member::MonthlySpend => self.monthly_spend.is_none(),
            Member::DeliveryModels => self.delivery_models.is_empty(),
            Member::SalesActivities => self.sales_activities.is_empty(),
            Member::PrimaryNeeds => self.primary_needs.is_empty(),
            Member::CloseDate => self.close_date.is_none(),
            Member::Stage => self.stage.is_none(),
            Member::ClosedLostReason => self.closed_lost_reason.is_none(),
        }
    }

    /// The members AWS requires before it takes the opportunity for review
    /// (the "Create an opportunity" guide,
    /// <https://docs.aws.amazon.com/partner-central/latest/APIReference/working-with-opportunities.html>)
    /// that this deal lacks, and a lost deal's reason.
    pub fn missing(&self, aws: &AwsSettings) -> Vec<Member> {
        let mut required = vec![
            Member::Title,
            Member::Company,
            Member::Website,
            Member::Industry,
            Member::Country,
            Member::BusinessProblem,
            Member::MonthlySpend,
            Member::DeliveryModels,
            Member::SalesActivities,
            Member::CloseDate,
        ];
        if self.country.as_deref() == Some("US") {
            required.push(Member::PostalCode);
        }
        if aws.involvement == "Co-Sell" {
            required.push(Member::PrimaryNeeds);
        }
        if self.stage.as_deref() == Some(LOST_STAGE) {
            required.push(Member::ClosedLostReason);
        }
        required.retain(|m| self.is_empty(*m));
        required
    }

    /// The members whose values differ from `before`. The stage counts only
    /// when this deal maps one (an unmapped stage leaves AWS's as it is).
    pub fn changed_since(&self, before: &AwsDeal) -> Vec<Member> {
        Member::ALL
            .into_iter()
            .filter(|m| !(*m == Member::Stage && self.stage.is_none()))
            .filter(|m| self.value(*m) != before.value(*m))
            .collect()
    }

    /// A member's value as JSON, for comparing and auditing.
    pub fn value(&self, member: Member) -> serde_json::Value {
        let v = match member {
            Member::Title => serde_json::to_value(&self.title),
            Member::Company => serde_json::to_value(&self.company),
            Member::Website => serde_json::to_value(&self.website),
            Member::Industry => serde_json::to_value(&self.industry),
            Member::Country => serde_json::to_value(&self.country),
            Member::PostalCode => serde_json::to_value(&self.postal_code),
            Member::BusinessProblem => serde_json::to_value(&self.business_problem),
            Member::MonthlySpend => serde_json::to_value(&self.monthly_spend),
            Member::DeliveryModels => serde_json::to_value(&self.delivery_models),
            Member::SalesActivities => serde_json::to_value(&self.sales_activities),
            Member::PrimaryNeeds => serde_json::to_value(&self.primary_needs),
            Member::CloseDate => serde_json::to_value(&self.close_date),
            Member::Stage => serde_json::to_value(&self.stage),
            Member::ClosedLostReason => serde_json::to_value(&self.closed_lost_reason),
        };
        v.unwrap_or(serde_json::Value::Null)
    }

    /// This deal with `members` taken from `from` (what was sent is now the snapshot).
    pub fn with_members(&self, from: &AwsDeal, members: &[Member]) -> AwsDeal {
        let mut out = self.clone();
        for m in members {
            match m {
                Member::Title => out.title.clone_from(&from.title),
                Member::Company => out.company.clone_from(&from.company),
                Member::Website => out.website.clone_from(&from.website),
                Member::Industry => out.industry.clone_from(&from.industry),
                Member::Country => out.country.clone_from(&from.country),
                Member::PostalCode => out.postal_code.clone_from(&from.postal_code),
                Member::BusinessProblem => out.business_problem.clone_from(&from.business_problem),
                Member::MonthlySpend => out.monthly_spend.clone_from(&from.monthly_spend),
                Member::DeliveryModels => out.delivery_models.clone_from(&from.delivery_models),
                Member::SalesActivities => out.sales_activities.clone_from(&from.sales_activities),
                Member::PrimaryNeeds => out.primary_needs.clone_from(&from.primary_needs),
                Member::CloseDate => out.close_date.clone_from(&from.close_date),
                Member::Stage => out.stage.clone_from(&from.stage),
                Member::ClosedLostReason => {
                    out.closed_lost_reason.clone_from(&from.closed_lost_reason)
                }
            }
        }
        out
    }

    /// The members of a new opportunity.
    pub fn new_fields(&self, aws: &AwsSettings, partner_id: &str) -> OpportunityFields {
        let mut fields = OpportunityFields {
            partner_opportunity_identifier: Some(partner_id.to_owned()),
            opportunity_type: Some(OpportunityType::from(aws.opportunity_type.as_str())),
            ..OpportunityFields::default()
        };
        let mut deal = self.clone();
        deal.stage.get_or_insert_with(|| FIRST_STAGE.to_owned());
        deal.write(&Member::ALL, &mut fields);
        fields
    }

    /// Writes `members` into `fields`, leaving every other member as read.
    pub fn write(&self, members: &[Member], fields: &mut OpportunityFields) {
        for member in members {
            self.write_one(*member, fields);
        }
    }

    fn write_one(&self, member: Member, fields: &mut OpportunityFields) {
        match member {
            Member::Title => project(fields).title.clone_from(&self.title),
            Member::Company => {
                account(fields).company_name = self.company.clone().unwrap_or_default()
            }
            Member::Website => account(fields).website_url.clone_from(&self.website),
            Member::Industry => {
                account(fields).industry = self.industry.as_deref().map(Industry::from)
            }
            Member::Country => {
                address(fields).country_code = self.country.as_deref().map(CountryCode::from)
            }
            Member::PostalCode => address(fields).postal_code.clone_from(&self.postal_code),
            Member::BusinessProblem => project(fields)
                .customer_business_problem
                .clone_from(&self.business_problem),
            Member::MonthlySpend => {
                project(fields).expected_customer_spend =
                    self.monthly_spend.as_ref().and_then(|amount| {
                        ExpectedCustomerSpend::builder()
                            .amount(amount)
                            .currency_code(CurrencyCode::Usd)
                            .frequency(PaymentFrequency::Monthly)
                            .target_company("AWS")
                            .build()
                            .ok()
                            .map(|s| vec![s])
                    })
            }
            Member::DeliveryModels => {
                project(fields).delivery_models =
                    list(&self.delivery_models, |v| DeliveryModel::from(v))
            }
            Member::SalesActivities => {
                project(fields).sales_activities =
                    list(&self.sales_activities, |v| SalesActivity::from(v))
            }
            Member::PrimaryNeeds => {
                fields.primary_needs_from_aws = self
                    .primary_needs
                    .iter()
                    .map(|v| PrimaryNeedFromAws::from(v.as_str()))
                    .collect()
            }
            Member::CloseDate => life_cycle(fields)
                .target_close_date
                .clone_from(&self.close_date),
            Member::Stage => {
                if let Some(stage) = &self.stage {
                    life_cycle(fields).stage = Some(Stage::from(stage.as_str()));
                }
            }
            Member::ClosedLostReason => {
                life_cycle(fields).closed_lost_reason = self
                    .closed_lost_reason
                    .as_deref()
                    .map(ClosedLostReason::from)
            }
        }
    }
}

fn list<T>(values: &[String], make: impl Fn(&str) -> T) -> Option<Vec<T>> {
    (!values.is_empty()).then(|| values.iter().map(|v| make(v)).collect())
}

fn account(fields: &mut OpportunityFields) -> &mut Account {
    let customer = fields
        .customer
        .get_or_insert_with(|| Customer::builder().build());
    customer.account.get_or_insert_with(|| {
        Account::builder()
            .company_name(String::new())
            .build()
            .unwrap_or_else(|_| unreachable!("the only required member is set"))
    })
}

fn address(fields: &mut OpportunityFields) -> &mut Address {
    account(fields)
        .address
        .get_or_insert_with(|| Address::builder().build())
}

fn project(fields: &mut OpportunityFields) -> &mut Project {
    fields
        .project
        .get_or_insert_with(|| Project::builder().build())
}

fn life_cycle(fields: &mut OpportunityFields) -> &mut LifeCycle {
    fields
        .life_cycle
        .get_or_insert_with(|| LifeCycle::builder().build())
}
