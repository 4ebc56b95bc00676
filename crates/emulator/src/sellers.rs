//! Ready-made seller actions for tests, the demo and benchmarks: the typical
//! co-sell referral a Microsoft seller shares, and the complete co-sell
//! opportunity a Salesforce seller enters. One definition, so every harness
//! means the same deal.

use serde_json::{json, Value};

use crate::salesforce::{EmulatorError, SalesforceEmulator};

/// The solution both sides' sample deals carry.
pub const SAMPLE_SOLUTION: &str = "SOL-15974-MQF";

/// A referral body as a Microsoft seller shares it: a US customer with one
/// contact (`ann@<slug>.example`), 120,000 USD closing 2027-03-31, one
/// solution, help with the customer's technical architecture.
pub fn co_sell_referral(name: &str) -> Value {
    json!({
        "name": name,
        "type": "Shared",
        "qualification": "SalesQualified",
        "customerProfile": {
            "name": format!("{name} Customer"),
            "address": { "addressLine1": "1 Main St", "city": "Seattle", "state": "WA", "postalCode": "98101", "country": "US" },
            "team": [{ "firstName": "Ann", "lastName": "Lee", "email": format!("ann@{}.example", slug(name)), "phoneNumber": "5550100" }]
        },
        "consent": { "consentToContact": true, "consentToShareReferralWithMicrosoftSellers": true },
        "details": {
            "notes": "Customer wants a pilot",
            "dealValue": 120000, "currency": "USD", "closingDateTime": "2027-03-31T00:00:00Z",
            "requirements": { "solutions": [{ "id": SAMPLE_SOLUTION, "name": "Contoso Cloud", "type": "Name" }] }
        },
        "inviteContext": { "assistanceRequestCode": "CustomerTechnicalArchitecture", "notes": "Please help" }
    })
}

/// The records behind a sample co-sell opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoSellOpportunity {
    /// The opportunity's id.
    pub opportunity: String,
    /// Its Account's id.
    pub account: String,
    /// Its contact's id.
    pub contact: String,
}

/// A Salesforce seller's complete co-sell opportunity, marked for sync:
/// account `"<name> Inc"` in `country`, 50,000 USD closing 2027-06-30, help
/// chosen, a customer contact role (`sue@<slug>.example`) and one solution.
pub fn co_sell_opportunity(
    sf: &SalesforceEmulator,
    name: &str,
    country: &str,
) -> Result<CoSellOpportunity, EmulatorError> {
    let country_field = country_field(sf);
    let account = sf.insert(
        "Account",
        json!({ "Name": format!("{name} Inc"), country_field: country, "BillingCity": "Redmond" }),
    )?;
    let mut fields = json!({
        "Name": name, "StageName": "Prospecting", "CloseDate": "2027-06-30",
        "Amount": 50000, "AccountId": account,
        "Sync_with_Partner_Center__c": true,
        "How_can_Microsoft_help__c": "Proof of concept or demo",
    });
    if sf.multi_currency() {
        fields["CurrencyIsoCode"] = json!("USD");
    }
    let opportunity = sf.insert("Opportunity", fields)?;
    let contact = sf.insert(
        "Contact",
        json!({ "FirstName": "Sue", "LastName": "Smith", "Email": format!("sue@{}.example", slug(name)), "AccountId": account }),
    )?;
    sf.insert(
        "OpportunityContactRole",
        json!({ "OpportunityId": opportunity, "ContactId": contact, "IsPrimary": true }),
    )?;
    sf.insert(
        "Microsoft_Solution__c",
        json!({ "Name": SAMPLE_SOLUTION, "Opportunity__c": opportunity, "Solution_Id__c": SAMPLE_SOLUTION }),
    )?;
    Ok(CoSellOpportunity {
        opportunity,
        account,
        contact,
    })
}

/// The opportunity fields of a deal shared with AWS with every member AWS
/// requires before review: industry, business problem, a delivery model, a
/// sales activity, a primary need and 2,500 USD a month.
pub fn aws_share_fields() -> Value {
    json!({
        "Share_with_AWS__c": true,
        "AWS_Industry__c": "Software and Internet",
        "AWS_Customer_Business_Problem__c": "Migrate the on-premises ERP to AWS within the year",
        "AWS_Delivery_Models__c": "SaaS or PaaS",
        "AWS_Sales_Activities__c": "Initialized discussions with customer",
        "AWS_Primary_Needs__c": "Co-Sell - Architectural Validation",
        "AWS_Expected_Monthly_Spend__c": 2500,
    })
}

/// A Salesforce seller's opportunity shared with AWS: account `"<name> Inc"`
/// in the US with a website and postal code, closing 2027-06-30, with
/// [`aws_share_fields`] and `extra` on top.
pub fn aws_shared_opportunity(
    sf: &SalesforceEmulator,
    name: &str,
    extra: Value,
) -> Result<String, EmulatorError> {
    let country_field = country_field(sf);
    let account = sf.insert(
        "Account",
        json!({ "Name": format!("{name} Inc"), country_field: "US",
                "Website": format!("https://{}.example", slug(name)), "BillingPostalCode": "98052" }),
    )?;
    let mut fields = json!({
        "Name": name, "StageName": "Prospecting", "CloseDate": "2027-06-30", "AccountId": account,
    });
    for extra in [aws_share_fields(), extra] {
        if let (Some(fields), Value::Object(extra)) = (fields.as_object_mut(), extra) {
            fields.extend(extra);
        }
    }
    sf.insert("Opportunity", fields)
}

/// The Account field a country code goes to: with State and
/// Country/Territory Picklists on, the code field (the text field takes
/// country names).
fn country_field(sf: &SalesforceEmulator) -> &'static str {
    if sf.country_picklists() {
        "BillingCountryCode"
    } else {
        "BillingCountry"
    }
}

/// A name as an email domain label.
fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}
