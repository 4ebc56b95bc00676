//! What Salesforce's standard fields can hold. A value that does not fit
//! (too long, not an e-mail address) is left out of the Salesforce write and
//! named in the audit, so the rest of the deal still syncs; reading the
//! record back, what fits is taken as the whole value, so the cut is never
//! an edit. Lengths: Account and Contact in the Salesforce Object Reference,
//! https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm
//! and .../sforce_api_objects_contact.htm.

use crate::deal::{Contact, Customer, Deal, Money};
use crate::settings::Settings;

/// A value as Salesforce can hold it, and the fields left out.
type Fitted<T> = (T, Vec<String>);

/// The customer as its Account can hold it. With State and
/// Country/Territory Picklists on, the state goes to the code field, which
/// takes a state code only (`WA`, `NSW`); a name there would be refused, so
/// it is left out
/// (https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_integ_values.htm).
pub fn customer(customer: &Customer, settings: &Settings) -> Fitted<Customer> {
    let mut left_out = Vec::new();
    let mut fitted = customer.clone();
    let state_field = format!("Account.{}", settings.state_field());
    for (field, value, max) in [
        ("Account.BillingStreet", &mut fitted.street, 255),
        ("Account.BillingCity", &mut fitted.city, 40),
        (state_field.as_str(), &mut fitted.state, 80),
        ("Account.BillingPostalCode", &mut fitted.postal_code, 20),
    ] {
        drop_unfit(field, value, max, &mut left_out);
    }
    if settings.state_codes() && fitted.state.as_deref().is_some_and(|s| !is_state_code(s)) {
        fitted.state = None;
        left_out.push(format!("{state_field} (not a state code)"));
    }
    drop_unfit(
        &format!("Account.{}", settings.country_code_field),
        &mut fitted.country,
        80,
        &mut left_out,
    );
    (fitted, left_out)
}

/// A state code as Salesforce's state picklists hold them: one to three
/// letters or digits (ISO 3166-2 subdivision codes without the country).
fn is_state_code(text: &str) -> bool {
    (1..=3).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A contact as its Contact record can hold it.
pub fn contact(contact: &Contact) -> Fitted<Contact> {
    let mut left_out = Vec::new();
    let mut fitted = contact.clone();
    drop_unfit(
        "Contact.FirstName",
        &mut fitted.first_name,
        40,
        &mut left_out,
    );
    drop_unfit("Contact.Title", &mut fitted.title, 128, &mut left_out);
    drop_unfit("Contact.Phone", &mut fitted.phone, 40, &mut left_out);
    drop_unfit("Contact.Email", &mut fitted.email, 80, &mut left_out);
    if fitted.email.as_deref().is_some_and(|e| !is_email(e)) {
        fitted.email = None;
        left_out.push("Contact.Email (not an e-mail address)".into());
    }
    (fitted, left_out)
}

/// Every contact as Salesforce can hold it.
pub fn contacts(contacts: &[Contact]) -> Fitted<Vec<Contact>> {
    let mut left_out = Vec::new();
    let fitted = contacts
        .iter()
        .map(|c| {
            let (fitted, dropped) = contact(c);
            left_out.extend(dropped);
            fitted
        })
        .collect();
    (fitted, left_out)
}

/// The deal value as the opportunity can hold it: a single-currency org
/// (no currency field) holds amounts in its own currency only, so an amount
/// in another one is left out rather than written as the same number.
pub fn deal_value(deal: &Deal, settings: &Settings) -> Fitted<Option<Money>> {
    let foreign = settings.currency_field.is_empty()
        && deal.deal_value.is_some()
        && deal.currency.is_some()
        && settings.org_currency.is_some()
        && deal.currency != settings.org_currency;
    if !foreign {
        return (deal.deal_value, Vec::new());
    }
    let note = format!(
        "Opportunity.{} ({} {}: this org keeps amounts in {} only; enter the converted amount to send it to Partner Center)",
        settings.deal_value_field,
        deal.deal_value.map(|m| m.to_string()).unwrap_or_default(),
        deal.currency.as_deref().unwrap_or_default(),
        settings.org_currency.as_deref().unwrap_or_default(),
    );
    (None, vec![note])
}

fn drop_unfit(field: &str, value: &mut Option<String>, max: usize, left_out: &mut Vec<String>) {
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        *value = None;
        left_out.push(format!("{field} (longer than {max} characters)"));
    }
}

/// `local@domain.tld` without spaces, as Salesforce's e-mail fields accept.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_does_not_fit_is_left_out_and_named() {
        let customer = Customer {
            name: "Contoso".into(),
            city: Some("C".repeat(41)),
            country: Some("US".into()),
            ..Customer::default()
        };
        let (fitted, left_out) = super::customer(&customer, &Settings::default());
        assert_eq!(fitted.city, None);
        assert_eq!(fitted.country.as_deref(), Some("US"));
        assert_eq!(
            left_out,
            ["Account.BillingCity (longer than 40 characters)"]
        );
        // With state picklists on, a state name does not fit the code field.
        let settings = Settings {
            country_code_field: "BillingCountryCode".into(),
            ..Settings::default()
        };
        let named = Customer {
            state: Some("Washington".into()),
            ..customer.clone()
        };
        let (fitted, left_out) = super::customer(&named, &settings);
        assert_eq!(fitted.state, None);
        assert!(left_out.contains(&"Account.BillingStateCode (not a state code)".to_owned()));
        let coded = Customer {
            state: Some("WA".into()),
            ..named
        };
        assert_eq!(
            super::customer(&coded, &settings).0.state.as_deref(),
            Some("WA")
        );
        let person = Contact {
            last_name: "Lee".into(),
            email: Some("ann(at)contoso".into()),
            ..Contact::default()
        };
        let (fitted, left_out) = contact(&person);
        assert_eq!(fitted.email, None);
        assert_eq!(left_out.len(), 1);
        assert_eq!(contact(&fitted).1.len(), 0, "what fits stays");
    }
}
