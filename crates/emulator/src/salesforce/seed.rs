//! The demo org: multi-currency, the standard sales stages plus `On Hold`, an
//! integration (admin) user and two sellers, and — unless the org is bare —
//! the connector's custom fields and `Microsoft_Solution__c` object.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::connector;
use super::org::Org;
use super::standard::{self, Currency};

/// The organization's name.
const ORGANIZATION_NAME: &str = "cosell demo";
/// The corporate currency of the demo org.
pub const CORPORATE_CURRENCY: &str = "USD";
/// Currencies of the demo org, corporate first.
pub const CURRENCIES: &[&str] = &[
    "USD", "EUR", "GBP", "CAD", "AUD", "JPY", "INR", "CHF", "NZD", "SGD", "BRL", "MXN",
];

/// One OpportunityStage row: API name, default probability, forecast
/// category name, closed, won.
type Stage = (&'static str, u32, &'static str, bool, bool);

/// The org's stages in sort order (reference §4.2) with the custom open stage
/// `On Hold` that new Microsoft referrals wait in.
pub const STAGES: &[Stage] = &[
    ("On Hold", 10, "Omitted", false, false),
    ("Prospecting", 10, "Pipeline", false, false),
    ("Qualification", 10, "Pipeline", false, false),
    ("Needs Analysis", 20, "Pipeline", false, false),
    ("Value Proposition", 50, "Pipeline", false, false),
    ("Id. Decision Makers", 60, "Pipeline", false, false),
    ("Perception Analysis", 70, "Pipeline", false, false),
    ("Proposal/Price Quote", 75, "Pipeline", false, false),
    ("Negotiation/Review", 90, "Pipeline", false, false),
    ("Closed Won", 100, "Closed", true, true),
    ("Closed Lost", 0, "Omitted", true, false),
];

/// The users: (first, last, username, title). The first is the integration user.
const USERS: &[(&str, &str, &str, &str)] = &[
    ("Cosell", "Admin", "", "Integration User"),
    (
        "Sam",
        "Seller",
        "sam.seller@cosell.demo",
        "Account Executive",
    ),
    (
        "Riley",
        "Rep",
        "riley.rep@cosell.demo",
        "Sales Representative",
    ),
];

/// Builds the org: schema, stages and users, plus the connector's schema unless `bare`.
pub fn build(admin_username: &str, multi_currency: bool, bare: bool, now: DateTime<Utc>) -> Org {
    let currency = multi_currency.then(|| Currency {
        codes: CURRENCIES.iter().map(|c| (*c).to_owned()).collect(),
        corporate: CORPORATE_CURRENCY.to_owned(),
    });
    let mut org = Org::empty(currency.clone());
    let stage_names: Vec<&str> = STAGES.iter().map(|s| s.0).collect();
    for mut object in standard::all(now, currency.as_ref(), &stage_names) {
        // Deleting an Account deletes its contacts and opportunities, and an
        // opportunity takes its contact roles, team and notes with it.
        for field in &mut object.fields {
            if matches!(
                (object.name.as_str(), field.name.as_str()),
                ("Contact", "AccountId")
                    | ("Opportunity", "AccountId")
                    | ("OpportunityContactRole", "OpportunityId")
                    | ("OpportunityTeamMember", "OpportunityId")
                    | ("Note", "ParentId")
                    | ("FieldPermissions", "ParentId")
                    | ("PermissionSetAssignment", "PermissionSetId")
            ) {
                field.cascade_delete = true;
            }
        }
        org.put_object(object);
    }
    seed_users(&mut org, admin_username);
    seed_organization(&mut org);
    seed_stages(&mut org);
    if !bare {
        install_connector(&mut org, now);
    }
    org
}

fn seed_users(org: &mut Org, admin_username: &str) {
    let mut first_id = String::new();
    for (first, last, username, title) in USERS {
        let username = if username.is_empty() {
            admin_username
        } else {
            username
        };
        let mut values = Map::new();
        values.insert("FirstName".into(), json!(first));
        values.insert("LastName".into(), json!(last));
        values.insert("Username".into(), json!(username));
        values.insert("Email".into(), json!(username));
        values.insert(
            "Alias".into(),
            json!(format!("{}{}", &first[..1], &last[..last.len().min(4)]).to_ascii_lowercase()),
        );
        values.insert("Title".into(), json!(title));
        values.insert("UserType".into(), json!("Standard"));
        values.insert("TimeZoneSidKey".into(), json!("America/Los_Angeles"));
        values.insert("LocaleSidKey".into(), json!("en_US"));
        values.insert("LanguageLocaleKey".into(), json!("en_US"));
        values.insert("EmailEncodingKey".into(), json!("UTF-8"));
        values.insert("IsActive".into(), json!(true));
        let id = org.insert_raw("User", values, &first_id);
        if first_id.is_empty() {
            first_id = id.clone();
            org.admin_id = id;
        } else {
            org.seller_ids.push(id);
        }
    }
}

/// The one Organization row, whose ID is the org's.
fn seed_organization(org: &mut Org) {
    let admin = org.admin_id.clone();
    let mut values = Map::new();
    values.insert("Id".into(), json!(org.org_id));
    values.insert("Name".into(), json!(ORGANIZATION_NAME));
    values.insert("OrganizationType".into(), json!("Developer Edition"));
    values.insert("InstanceName".into(), json!("CS0"));
    values.insert("IsSandbox".into(), json!(false));
    values.insert("DefaultLocaleSidKey".into(), json!("en_US"));
    values.insert("LanguageLocaleKey".into(), json!("en_US"));
    values.insert("TimeZoneSidKey".into(), json!("America/Los_Angeles"));
    values.insert("FiscalYearStartMonth".into(), json!(1));
    org.insert_raw("Organization", values, &admin);
}

fn seed_stages(org: &mut Org) {
    let admin = org.admin_id.clone();
    for (order, (name, probability, category, closed, won)) in STAGES.iter().enumerate() {
        let mut values = Map::new();
        values.insert("MasterLabel".into(), json!(name));
        values.insert("ApiName".into(), json!(name));
        values.insert("IsActive".into(), json!(true));
        values.insert("SortOrder".into(), json!(order + 1));
        values.insert("IsClosed".into(), json!(closed));
        values.insert("IsWon".into(), json!(won));
        values.insert("DefaultProbability".into(), json!(f64::from(*probability)));
        values.insert("ForecastCategoryName".into(), json!(category));
        values.insert(
            "ForecastCategory".into(),
            Value::String(forecast_type(category).into()),
        );
        org.insert_raw("OpportunityStage", values, &admin);
    }
}

fn forecast_type(category: &str) -> &'static str {
    match category {
        "Pipeline" => "Pipeline",
        "Closed" => "Closed",
        _ => "Omitted",
    }
}

/// Installs the connector's fields on Opportunity and the solutions object.
pub fn install_connector(org: &mut Org, now: DateTime<Utc>) {
    for mut field in connector::opportunity_fields() {
        field.durable_id = Some(org.mint(standard::prefix::CUSTOM_FIELD));
        field.created = Some(now);
        org.add_field("Opportunity", field, now);
    }
    let prefix = org.next_custom_prefix();
    let mut object = connector::solution_object(now, &prefix, org.currency.as_ref());
    object.durable_id = Some(org.mint(standard::prefix::CUSTOM_OBJECT));
    for field in object.fields.iter_mut().filter(|f| f.custom) {
        field.durable_id = Some(org.mint(standard::prefix::CUSTOM_FIELD));
        field.created = Some(now);
    }
    org.put_object(object);
}
