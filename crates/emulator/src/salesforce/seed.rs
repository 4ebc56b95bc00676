//! The demo org: multi-currency, the standard sales stages plus `On Hold`, an
//! integration (admin) user and two sellers, and — unless the org is bare —
//! the connector's custom fields and `Microsoft_Solution__c` object.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::connector;
use super::org::Org;
use super::schema::{FieldDef, FieldType};
use super::standard::{self, Currency};
use super::Options;

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

/// The org's stages in sort order (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm>) with the custom open stage
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

/// Builds the org: schema, stages and users, plus the connector's schema
/// unless `bare`, plus the profile's own setup.
pub fn build(options: &Options, now: DateTime<Utc>) -> Org {
    let currency = options.multi_currency.then(|| Currency {
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
                    | ("ObjectPermissions", "ParentId")
                    | ("PermissionSetAssignment", "PermissionSetId")
            ) {
                field.cascade_delete = true;
            }
        }
        org.put_object(object);
    }
    seed_users(&mut org, &options.username);
    seed_organization(&mut org);
    seed_stages(&mut org);
    if !options.bare {
        install_connector(&mut org, now);
    }
    if options.profile.enforces_org_rules() {
        org.org_rules = true;
        add_required_region(&mut org, now);
    }
    if options.profile.record_types() {
        super::record_types::enable(&mut org, now);
    }
    if options.profile.country_picklists() {
        super::countries::enable(&mut org, now);
    }
    if options.profile.enforces_field_security() {
        org.field_security = true;
        seed_profiles(&mut org);
        if !options.bare {
            grant_connector(&mut org);
        }
    }
    org
}

/// Profiles, as the permission sets they own (`IsOwnedByProfile`), each
/// assigned to its users: the integration user's and the sellers'.
const PROFILES: &[(&str, &str)] = &[
    ("X00e_SystemAdministrator", "System Administrator"),
    ("X00e_StandardUser", "Standard User"),
];

fn seed_profiles(org: &mut Org) {
    let admin = org.admin_id.clone();
    let mut owned = Vec::new();
    for (name, label) in PROFILES {
        let mut values = Map::new();
        values.insert("Name".into(), json!(name));
        values.insert("Label".into(), json!(label));
        values.insert("IsOwnedByProfile".into(), json!(true));
        owned.push(org.insert_raw("PermissionSet", values, &admin));
    }
    let users: Vec<(String, &String)> = std::iter::once((admin.clone(), &owned[0]))
        .chain(org.seller_ids.clone().into_iter().map(|s| (s, &owned[1])))
        .collect();
    for (user, set) in users {
        assign(org, set, &user);
    }
}

fn assign(org: &mut Org, set: &str, user: &str) {
    let admin = org.admin_id.clone();
    let mut values = Map::new();
    values.insert("PermissionSetId".into(), json!(set));
    values.insert("AssigneeId".into(), json!(user));
    org.insert_raw("PermissionSetAssignment", values, &admin);
}

/// The `Cosell_Connector` permission set as `cosell setup salesforce`
/// leaves it: read and edit on every connector field, full access to the
/// solutions object, assigned to the integration user.
fn grant_connector(org: &mut Org) {
    let admin = org.admin_id.clone();
    let mut values = Map::new();
    values.insert("Name".into(), json!("Cosell_Connector"));
    values.insert("Label".into(), json!("Cosell Connector"));
    let set = org.insert_raw("PermissionSet", values, &admin);
    let solution = connector::SOLUTION_OBJECT;
    for object in ["Opportunity", solution] {
        let fields: Vec<String> = org
            .object(object)
            .map(|o| {
                o.fields
                    .iter()
                    .filter(|f| f.custom && super::security::takes_field_permissions(f))
                    .map(|f| f.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        for field in fields {
            let mut values = Map::new();
            values.insert("ParentId".into(), json!(set));
            values.insert("SobjectType".into(), json!(object));
            values.insert("Field".into(), json!(format!("{object}.{field}")));
            values.insert("PermissionsRead".into(), json!(true));
            values.insert("PermissionsEdit".into(), json!(true));
            org.insert_raw("FieldPermissions", values, &admin);
        }
    }
    let mut values = Map::new();
    values.insert("ParentId".into(), json!(set));
    values.insert("SobjectType".into(), json!(solution));
    for right in [
        "PermissionsRead",
        "PermissionsCreate",
        "PermissionsEdit",
        "PermissionsDelete",
    ] {
        values.insert(right.into(), json!(true));
    }
    org.insert_raw("ObjectPermissions", values, &admin);
    assign(org, &set, &admin);
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

/// Values of the enterprise profile's required `Region__c` on Opportunity.
pub const REGIONS: &[&str] = &["Unassigned", "AMER", "EMEA", "APAC"];

/// The enterprise profile's required custom field: a restricted picklist
/// that may not be blank, defaulted on create (a required field with a
/// default, https://help.salesforce.com/s/articleView?id=sf.fields_defining_default_field_values.htm).
fn add_required_region(org: &mut Org, now: DateTime<Utc>) {
    let mut field = FieldDef::new("Region__c", "Region", FieldType::Picklist)
        .values(REGIONS)
        .restricted()
        .required()
        .defaulted(Some(json!(REGIONS[0])));
    field.custom = true;
    field.durable_id = Some(org.mint(standard::prefix::CUSTOM_FIELD));
    field.created = Some(now);
    org.add_field("Opportunity", field, now);
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
