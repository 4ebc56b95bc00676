//! What a deal must have before we create or update a referral from it.
//! Each problem names the Salesforce field to fix and how, because it is
//! written to the opportunity's Audit field for the seller to read.

use partner_center::{ServicesField, Taxonomy};
use serde::Serialize;

use crate::deal::Deal;
use crate::iso;
use crate::merge::Field;
use crate::settings::Settings;

/// One reason a deal cannot be sent to Partner Center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code (also in docs/TROUBLESHOOTING.md).
    pub code: &'static str,
    /// The Salesforce field (API name) to fix.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Checks a deal against Partner Center's rules for a referral.
pub fn validate(deal: &Deal, settings: &Settings) -> Vec<Problem> {
    let mut problems = Vec::new();
    let country_field = format!("Account.{}", settings.country_code_field);
    match deal.customer.country.as_deref().map(str::trim) {
        None | Some("") => problems.push(Problem {
            code: "missing_country",
            field: country_field,
            message: "the customer account has no country: enter the two-letter ISO 3166 code (for example US or DE)".into(),
        }),
        Some(code) if !iso::is_country(code) => problems.push(Problem {
            code: "bad_country",
            field: country_field,
            message: format!("\"{code}\" is not a two-letter ISO 3166 country code: use a code such as US, GB or DE"),
        }),
        Some(_) => {}
    }
    if deal.customer.name.trim().is_empty() {
        problems.push(Problem {
            code: "missing_account",
            field: "Opportunity.AccountId".into(),
            message: "the opportunity has no customer account: link it to the customer's account"
                .into(),
        });
    }
    if let Some(currency) = deal.currency.as_deref() {
        if !iso::is_currency(currency) {
            problems.push(Problem {
                code: "bad_currency",
                field: format!("Opportunity.{}", settings.currency_field),
                message: format!("\"{currency}\" is not an ISO 4217 currency code: use a code such as USD or EUR"),
            });
        }
    }
    // Co-sell means help from Microsoft or a deal shared with Microsoft
    // sellers; either way Partner Center needs someone to talk to.
    if (deal.help.is_some() || deal.visible_to_microsoft) && deal.contacts.is_empty() {
        problems.push(Problem {
            code: "co_sell_without_contact",
            field: "OpportunityContactRole".into(),
            message: "co-sell needs a customer contact: add a contact role with the customer's contact, or clear How can Microsoft help and the Microsoft visibility".into(),
        });
    }
    if (deal.help.is_some() || deal.visible_to_microsoft) && deal.solutions.is_empty() {
        problems.push(Problem {
            code: "missing_solution",
            field: settings.fields.solution_object.clone(),
            message: "sharing with Microsoft needs at least one solution: add a row to the Microsoft Solutions related list".into(),
        });
    }
    problems.extend(services_co_sell(deal, settings));
    problems
}

/// [`validate`] plus the rules only a new referral must meet: the
/// customer's marketplace purchase intent, one of the published values
/// ("Marketplace Purchase Intent … is a required filed for referral
/// creation. Accepted values are Yes, No or Have not decided",
/// <https://learn.microsoft.com/en-us/partner-center/bulk-operations>).
pub fn validate_new(deal: &Deal, settings: &Settings) -> Vec<Problem> {
    let mut problems = validate(deal, settings);
    let intent = &Taxonomy::current().marketplace_intent;
    let field = format!("Opportunity.{}", settings.fields.marketplace_intent);
    let choices = intent.labels().join(", ");
    match deal.fy26.marketplace_intent.as_deref() {
        None => problems.push(Problem {
            code: "missing_marketplace_intent",
            field,
            message: format!("Partner Center needs the customer's marketplace purchase intent to create the referral: choose one of {choices}"),
        }),
        Some(value) if intent.find(value).is_none() => problems.push(Problem {
            code: "bad_marketplace_intent",
            field,
            message: format!("\"{value}\" is not a marketplace purchase intent Partner Center accepts: choose one of {choices}"),
        }),
        Some(_) => {}
    }
    problems
}

/// A Services co-sell referral needs its partner role, solution area and
/// solution play ("Required for Services co-sell referrals only",
/// <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
/// A co-sell deal asking Microsoft for help that names any of the three is
/// one; each must have the shape the taxonomy file allows.
fn services_co_sell(deal: &Deal, settings: &Settings) -> Vec<Problem> {
    if deal.help.is_none() || !deal.fy26.names_services() {
        return Vec::new();
    }
    let taxonomy = Taxonomy::current();
    let names = &settings.fields;
    deal.fy26
        .services()
        .into_iter()
        .filter_map(|(which, value)| {
            let api_name = match which {
                ServicesField::PartnerRole => &names.partner_role,
                ServicesField::SolutionArea => &names.solution_area,
                ServicesField::SolutionPlay => &names.solution_play,
            };
            let (code, message) = match value {
                None => (
                    "missing_services_field",
                    format!(
                        "a Services co-sell deal needs its {} as well as the other two: fill it in, or clear the partner role, solution area and solution play if this is not a Services deal",
                        which.label()
                    ),
                ),
                Some(value) => ("bad_services_field", taxonomy.check(which, value)?),
            };
            Some(Problem {
                code,
                field: format!("Opportunity.{api_name}"),
                message,
            })
        })
        .collect()
}

/// The deal fields a problem is about.
pub fn fields_of(code: &str) -> &'static [Field] {
    match code {
        "missing_country" | "bad_country" | "missing_account" => &[Field::Customer],
        "bad_currency" => &[Field::Currency],
        "co_sell_without_contact" => &[Field::Contacts, Field::Help, Field::Visibility],
        "missing_solution" => &[Field::Solutions, Field::Help, Field::Visibility],
        // Only a new referral or a new request for help sends them.
        "missing_services_field" | "bad_services_field" => &[Field::Help],
        _ => &[],
    }
}

/// All problems as one Audit paragraph.
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::{Contact, Customer, HelpOption};

    fn valid() -> Deal {
        Deal {
            name: "Deal".into(),
            customer: Customer {
                name: "Contoso".into(),
                country: Some("US".into()),
                ..Customer::default()
            },
            contacts: vec![Contact {
                last_name: "Smith".into(),
                ..Contact::default()
            }],
            currency: Some("USD".into()),
            help: Some(HelpOption::ProofOfConceptOrDemo),
            solutions: ["SOL-1".to_string()].into(),
            ..Deal::default()
        }
    }

    fn codes(deal: &Deal) -> Vec<&'static str> {
        validate(deal, &Settings::default())
            .iter()
            .map(|p| p.code)
            .collect()
    }

    #[test]
    fn a_complete_co_sell_deal_passes() {
        assert!(codes(&valid()).is_empty());
    }

    #[test]
    fn each_missing_piece_is_named() {
        let mut deal = valid();
        deal.customer.country = None;
        deal.contacts.clear();
        deal.solutions.clear();
        deal.currency = Some("EURO".into());
        assert_eq!(
            codes(&deal),
            [
                "missing_country",
                "bad_currency",
                "co_sell_without_contact",
                "missing_solution"
            ]
        );
        deal.customer.country = Some("USA".into());
        assert_eq!(codes(&deal)[0], "bad_country");
    }

    #[test]
    fn a_private_deal_needs_neither_contact_nor_solution() {
        let mut deal = valid();
        deal.help = None;
        deal.contacts.clear();
        deal.solutions.clear();
        assert!(codes(&deal).is_empty());
    }
}
