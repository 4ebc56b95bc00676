//! State and Country/Territory Picklists, on in the enterprise profile (see
//! [`super::profile`]): each address's country gets a code field
//! (`BillingCountryCode`, a restricted picklist of the ISO 3166-1 alpha-2
//! codes) and its text field (`BillingCountry`) becomes the integration
//! value, by default the ISO name
//! (https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_integ_values.htm).
//! Saving one keeps the other in step; a text value that is no country's
//! integration value is refused with `FIELD_INTEGRITY_EXCEPTION`
//! (https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_field_syncing.htm),
//! and a code that is not in the list with
//! `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST` ("Billing Country Code: bad
//! value for restricted picklist field: XX",
//! https://help.salesforce.com/s/articleView?id=000386448&type=1).
//! States work the same way for the countries that have them (see
//! [`super::states`]): `BillingStateCode` takes a code of the address's
//! country and sets `BillingState` to its integration value; a state text
//! or code that is not one of that country's states is refused with
//! `FIELD_INTEGRITY_EXCEPTION` [I for the exact message]. In a country
//! without states the text stays free and no code is accepted.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use isocountry::CountryCode;
use serde_json::{json, Map, Value};

use super::errors::ErrorItem;
use super::org::{Org, RecordErrors};
use super::schema::{FieldDef, FieldType, ObjectDef};

/// Each address's country: object, text field, code field, code label.
const ADDRESSES: &[(&str, &str, &str, &str)] = &[
    (
        "Account",
        "BillingCountry",
        "BillingCountryCode",
        "Billing Country Code",
    ),
    (
        "Account",
        "ShippingCountry",
        "ShippingCountryCode",
        "Shipping Country Code",
    ),
    (
        "Contact",
        "MailingCountry",
        "MailingCountryCode",
        "Mailing Country Code",
    ),
];

/// What Salesforce answers for a country text that is no integration value.
pub const BAD_COUNTRY_MESSAGE: &str = "There's a problem with this country, even though it may appear correct. Please select a country/territory from the list of valid countries.";
/// What Salesforce answers for a state that is not one of its country's.
pub const BAD_STATE_MESSAGE: &str = "There's a problem with this state, even though it may appear correct. Please select a state from the list of valid states.";

/// Each address's state: object, text field, code field, code label, the
/// address's country code field.
const STATE_FIELDS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Account",
        "BillingState",
        "BillingStateCode",
        "Billing State/Province Code",
        "BillingCountryCode",
    ),
    (
        "Account",
        "ShippingState",
        "ShippingStateCode",
        "Shipping State/Province Code",
        "ShippingCountryCode",
    ),
    (
        "Contact",
        "MailingState",
        "MailingStateCode",
        "Mailing State/Province Code",
        "MailingCountryCode",
    ),
];

/// Turns the picklists on: adds the code fields.
pub fn enable(org: &mut Org, now: DateTime<Utc>) {
    let codes: Vec<&str> = CountryCode::iter_alpha2().map(|c| c.alpha2()).collect();
    for (object, _, code, label) in ADDRESSES {
        let field = FieldDef::new(code, label, FieldType::Picklist)
            .len(10)
            .values(&codes)
            .restricted();
        org.add_field(object, field, now);
    }
    let mut state_codes: Vec<&str> = super::states::STATES
        .iter()
        .flat_map(|(_, states)| states.iter().map(|s| s.0))
        .collect();
    state_codes.sort_unstable();
    state_codes.dedup();
    for (object, _, code, label, _) in STATE_FIELDS {
        let field = FieldDef::new(code, label, FieldType::Picklist)
            .len(10)
            .values(&state_codes)
            .restricted();
        org.add_field(object, field, now);
    }
    org.country_picklists = true;
}

/// The integration value of an ISO code.
fn integration_value(code: &str) -> Option<&'static str> {
    CountryCode::for_alpha2_caseless(code)
        .ok()
        .map(|c| c.name())
}

/// The code whose integration value is `text` (case ignored).
fn code_of(text: &str) -> Option<&'static str> {
    CountryCode::iter_alpha2()
        .find(|c| c.name().eq_ignore_ascii_case(text.trim()))
        .map(|c| c.alpha2())
}

fn text_of<'a>(row: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    row.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

impl Org {
    /// Keeps each country's text and code in step on the row as it will be
    /// saved (`changed`: the fields the call set).
    pub(super) fn sync_countries(
        &self,
        def: &ObjectDef,
        row: &mut Map<String, Value>,
        changed: &HashSet<String>,
    ) -> Result<(), RecordErrors> {
        if !self.country_picklists {
            return Ok(());
        }
        for (_, text, code, _) in ADDRESSES.iter().filter(|a| a.0 == def.name) {
            let refuse = || {
                vec![ErrorItem::with_fields(
                    "FIELD_INTEGRITY_EXCEPTION",
                    BAD_COUNTRY_MESSAGE,
                    vec![(*text).into()],
                )]
            };
            // Clearing the code alone clears the country.
            let given_text = text_of(row, text)
                .filter(|_| changed.contains(*text) || !changed.contains(*code))
                .map(str::to_owned);
            if changed.contains(*code) {
                if let Some(name) = text_of(row, code).and_then(integration_value) {
                    if changed.contains(*text)
                        && given_text.is_some_and(|t| !t.eq_ignore_ascii_case(name))
                    {
                        return Err(refuse());
                    }
                    row.insert((*text).into(), json!(name));
                    continue;
                }
            } else if !changed.contains(*text) {
                continue;
            }
            match given_text {
                None => {
                    row.insert((*text).into(), Value::Null);
                    row.insert((*code).into(), Value::Null);
                }
                Some(t) => {
                    let found = code_of(&t).ok_or_else(refuse)?;
                    row.insert((*code).into(), json!(found));
                }
            }
        }
        sync_states(def, row, changed)
    }
}

/// Keeps each state's text and code in step with each other and with the
/// address's country (run after the countries are in step).
fn sync_states(
    def: &ObjectDef,
    row: &mut Map<String, Value>,
    changed: &HashSet<String>,
) -> Result<(), RecordErrors> {
    for (_, text, code, _, country) in STATE_FIELDS.iter().filter(|a| a.0 == def.name) {
        if !changed.contains(*code) && !changed.contains(*text) {
            continue;
        }
        let refuse = |field: &str| {
            vec![ErrorItem::with_fields(
                "FIELD_INTEGRITY_EXCEPTION",
                BAD_STATE_MESSAGE,
                vec![field.into()],
            )]
        };
        let states = text_of(row, country).and_then(super::states::of);
        let given_code = text_of(row, code).filter(|_| changed.contains(*code));
        let given_text = text_of(row, text).filter(|_| changed.contains(*text));
        let found = match (given_code, given_text, states) {
            (None, None, _) => {
                row.insert((*text).into(), Value::Null);
                row.insert((*code).into(), Value::Null);
                continue;
            }
            // A country without states: the text is free, a code is refused.
            (Some(_), _, None) => return Err(refuse(code)),
            (None, Some(_), None) => {
                row.insert((*code).into(), Value::Null);
                continue;
            }
            (Some(c), t, Some(states)) => {
                let state = states
                    .iter()
                    .find(|s| s.0.eq_ignore_ascii_case(c))
                    .ok_or_else(|| refuse(code))?;
                if t.is_some_and(|t| !t.eq_ignore_ascii_case(state.1)) {
                    return Err(refuse(text));
                }
                state
            }
            (None, Some(t), Some(states)) => states
                .iter()
                .find(|s| s.1.eq_ignore_ascii_case(t.trim()))
                .ok_or_else(|| refuse(text))?,
        };
        row.insert((*code).into(), json!(found.0));
        row.insert((*text).into(), json!(found.1));
    }
    Ok(())
}
