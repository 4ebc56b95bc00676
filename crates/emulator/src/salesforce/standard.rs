//! The standard objects of the emulated org with their real fields and key
//! prefixes: Account, Contact, Opportunity, OpportunityStage,
//! OpportunityContactRole, OpportunityTeamMember, Note, User and the
//! permission objects the setup command writes.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::schema::{FieldDef, FieldType as T, ObjectDef};

/// Key prefixes of the standard objects (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>).
pub mod prefix {
    /// Account
    pub const ACCOUNT: &str = "001";
    /// Contact
    pub const CONTACT: &str = "003";
    /// User
    pub const USER: &str = "005";
    /// Opportunity
    pub const OPPORTUNITY: &str = "006";
    /// Organization
    pub const ORGANIZATION: &str = "00D";
    /// OpportunityContactRole
    pub const CONTACT_ROLE: &str = "00K";
    /// OpportunityTeamMember
    pub const TEAM_MEMBER: &str = "00q";
    /// Note
    pub const NOTE: &str = "002";
    /// OpportunityStage
    pub const STAGE: &str = "01J";
    /// PermissionSet
    pub const PERMISSION_SET: &str = "0PS";
    /// FieldPermissions
    pub const FIELD_PERMISSIONS: &str = "01k";
    /// PermissionSetAssignment
    pub const PERMISSION_SET_ASSIGNMENT: &str = "0Pa";
    /// ObjectPermissions
    pub const OBJECT_PERMISSIONS: &str = "110";
    /// Tooling CustomField
    pub const CUSTOM_FIELD: &str = "00N";
    /// Tooling CustomObject
    pub const CUSTOM_OBJECT: &str = "01I";
    /// Query cursor locators
    pub const QUERY_CURSOR: &str = "01g";
    /// Bulk API job (AsyncApexJob-style `750`).
    pub const BULK_JOB: &str = "750";
    /// RecordType
    pub const RECORD_TYPE: &str = "012";
    /// BusinessProcess (a sales process)
    pub const BUSINESS_PROCESS: &str = "019";
}

/// Maximum length of a textarea field such as Description.
const DESCRIPTION_LENGTH: u32 = 32_000;

/// Fields every object has: Id, IsDeleted and the audit stamps.
pub fn system_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("Id", "Record ID", T::Id)
            .required()
            .read_only(),
        FieldDef::new("IsDeleted", "Deleted", T::Boolean)
            .required()
            .read_only()
            .defaulted(Some(json!(false))),
    ]
}

/// The audit fields, at the end of every object.
pub fn audit_fields() -> Vec<FieldDef> {
    vec![
        FieldDef::new("CreatedDate", "Created Date", T::DateTime)
            .required()
            .read_only()
            .defaulted(None),
        FieldDef::new("CreatedById", "Created By ID", T::Reference)
            .required()
            .read_only()
            .defaulted(None)
            .reference(&["User"], "CreatedBy", None),
        FieldDef::new("LastModifiedDate", "Last Modified Date", T::DateTime)
            .required()
            .read_only()
            .defaulted(None),
        FieldDef::new("LastModifiedById", "Last Modified By ID", T::Reference)
            .required()
            .read_only()
            .defaulted(None)
            .reference(&["User"], "LastModifiedBy", None),
        FieldDef::new("SystemModstamp", "System Modstamp", T::DateTime)
            .required()
            .read_only()
            .defaulted(None),
    ]
}

/// `OwnerId`, defaulted to the caller.
pub fn owner_field() -> FieldDef {
    FieldDef::new("OwnerId", "Owner ID", T::Reference)
        .required()
        .defaulted(None)
        .reference(&["User"], "Owner", None)
}

/// `CurrencyIsoCode` of a multi-currency org, restricted to its currencies.
pub fn currency_field(object_label: &str, currencies: &[String], corporate: &str) -> FieldDef {
    let mut field = FieldDef::new(
        "CurrencyIsoCode",
        &format!("{object_label} Currency"),
        T::Picklist,
    )
    .len(3)
    .required()
    .restricted()
    .defaulted(Some(json!(corporate)));
    field.picklist = currencies
        .iter()
        .map(|c| {
            let mut v = super::schema::PicklistValue::new(c);
            v.default = c == corporate;
            v
        })
        .collect();
    field
}

pub(super) fn object(
    name: &str,
    label: &str,
    plural: &str,
    key_prefix: &str,
    now: DateTime<Utc>,
) -> ObjectDef {
    ObjectDef {
        name: name.to_owned(),
        label: label.to_owned(),
        label_plural: plural.to_owned(),
        key_prefix: key_prefix.to_owned(),
        custom: false,
        createable: true,
        updateable: true,
        deletable: true,
        fields: Vec::new(),
        durable_id: None,
        schema_changed: now,
        hard_delete: false,
    }
}

pub(super) fn assemble(
    mut obj: ObjectDef,
    body: Vec<FieldDef>,
    with_owner: bool,
    currency: Option<&Currency>,
) -> ObjectDef {
    let mut fields = system_fields();
    fields.extend(body);
    if with_owner {
        fields.push(owner_field());
    }
    if let Some(c) = currency {
        fields.push(currency_field(&obj.label, &c.codes, &c.corporate));
    }
    fields.extend(audit_fields());
    obj.fields = fields;
    obj
}

/// The org's currencies when multi-currency is on.
#[derive(Debug, Clone)]
pub struct Currency {
    /// ISO codes, corporate first.
    pub codes: Vec<String>,
    /// The corporate currency.
    pub corporate: String,
}

pub(super) fn text(name: &str, label: &str, length: u32) -> FieldDef {
    FieldDef::new(name, label, T::String).len(length)
}

fn textarea(name: &str, label: &str, length: u32) -> FieldDef {
    let mut f = FieldDef::new(name, label, T::TextArea).len(length);
    f.extra_type_info = Some("plaintextarea");
    f
}

/// Account (`001`).
pub fn account(now: DateTime<Utc>, currency: Option<&Currency>) -> ObjectDef {
    let body = vec![
        text("Name", "Account Name", 255).required().name_field(),
        FieldDef::new("Type", "Account Type", T::Picklist).values(&[
            "Prospect",
            "Customer - Direct",
            "Customer - Channel",
            "Channel Partner / Reseller",
            "Installation Partner",
            "Technology Partner",
            "Other",
        ]),
        FieldDef::new("ParentId", "Parent Account ID", T::Reference).reference(
            &["Account"],
            "Parent",
            Some("ChildAccounts"),
        ),
        textarea("BillingStreet", "Billing Street", 255),
        text("BillingCity", "Billing City", 40),
        text("BillingState", "Billing State/Province", 80),
        text("BillingPostalCode", "Billing Zip/Postal Code", 20),
        text("BillingCountry", "Billing Country", 80),
        textarea("ShippingStreet", "Shipping Street", 255),
        text("ShippingCity", "Shipping City", 40),
        text("ShippingState", "Shipping State/Province", 80),
        text("ShippingPostalCode", "Shipping Zip/Postal Code", 20),
        text("ShippingCountry", "Shipping Country", 80),
        FieldDef::new("Phone", "Account Phone", T::Phone).len(40),
        FieldDef::new("Fax", "Account Fax", T::Phone).len(40),
        FieldDef::new("Website", "Website", T::Url).len(255),
        FieldDef::new("Industry", "Industry", T::Picklist).values(&[
            "Agriculture",
            "Apparel",
            "Banking",
            "Biotechnology",
            "Chemicals",
            "Communications",
            "Construction",
            "Consulting",
            "Education",
            "Electronics",
            "Energy",
            "Engineering",
            "Entertainment",
            "Environmental",
            "Finance",
            "Food & Beverage",
            "Government",
            "Healthcare",
            "Hospitality",
            "Insurance",
            "Machinery",
            "Manufacturing",
            "Media",
            "Not For Profit",
            "Recreation",
            "Retail",
            "Shipping",
            "Technology",
            "Telecommunications",
            "Transportation",
            "Utilities",
            "Other",
        ]),
        FieldDef::new("AnnualRevenue", "Annual Revenue", T::Currency).number(18, 0),
        FieldDef::new("NumberOfEmployees", "Employees", T::Int).digits(8),
        textarea("Description", "Account Description", DESCRIPTION_LENGTH),
    ];
    assemble(
        object("Account", "Account", "Accounts", prefix::ACCOUNT, now),
        body,
        true,
        currency,
    )
}

/// Contact (`003`).
pub fn contact(now: DateTime<Utc>, currency: Option<&Currency>) -> ObjectDef {
    let body = vec![
        text("LastName", "Last Name", 80).required(),
        text("FirstName", "First Name", 40),
        FieldDef::new("Salutation", "Salutation", T::Picklist)
            .values(&["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."]),
        text("Name", "Full Name", 121)
            .calculated()
            .required()
            .name_field(),
        FieldDef::new("AccountId", "Account ID", T::Reference).reference(
            &["Account"],
            "Account",
            Some("Contacts"),
        ),
        text("Title", "Title", 128),
        text("Department", "Department", 80),
        FieldDef::new("Email", "Email", T::Email).len(80),
        FieldDef::new("Phone", "Business Phone", T::Phone).len(40),
        FieldDef::new("MobilePhone", "Mobile Phone", T::Phone).len(40),
        textarea("MailingStreet", "Mailing Street", 255),
        text("MailingCity", "Mailing City", 40),
        text("MailingState", "Mailing State/Province", 80),
        text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
        text("MailingCountry", "Mailing Country", 80),
        textarea("Description", "Contact Description", DESCRIPTION_LENGTH),
    ];
    assemble(
        object("Contact", "Contact", "Contacts", prefix::CONTACT, now),
        body,
        true,
        currency,
    )
}

/// Opportunity (`006`); `stages` are the OpportunityStage API names.
pub fn opportunity(now: DateTime<Utc>, currency: Option<&Currency>, stages: &[&str]) -> ObjectDef {
    let body = vec![
        FieldDef::new("AccountId", "Account ID", T::Reference).reference(
            &["Account"],
            "Account",
            Some("Opportunities"),
        ),
        text("Name", "Name", 120).required().name_field(),
        textarea("Description", "Description", DESCRIPTION_LENGTH),
        // A value that is not an active OpportunityStage ApiName is refused
        // (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm, https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm), so describe says so: `restrictedPicklist`
        // is what clients read to know a write will be checked
        // (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm).
        FieldDef::new("StageName", "Stage", T::Picklist)
            .required()
            .values(stages)
            .restricted(),
        FieldDef::new("Amount", "Amount", T::Currency).number(18, 2),
        FieldDef::new("Probability", "Probability (%)", T::Percent)
            .number(3, 0)
            .defaulted(None),
        FieldDef::new("ExpectedRevenue", "Expected Amount", T::Currency)
            .number(18, 2)
            .calculated(),
        FieldDef::new("CloseDate", "Close Date", T::Date).required(),
        FieldDef::new("Type", "Opportunity Type", T::Picklist).values(&[
            "Existing Customer - Upgrade",
            "Existing Customer - Replacement",
            "Existing Customer - Downgrade",
            "New Customer",
        ]),
        text("NextStep", "Next Step", 255),
        FieldDef::new("LeadSource", "Lead Source", T::Picklist).values(&[
            "Web",
            "Phone Inquiry",
            "Partner Referral",
            "Purchased List",
            "Other",
        ]),
        FieldDef::new("IsClosed", "Closed", T::Boolean)
            .required()
            .read_only()
            .defaulted(Some(json!(false))),
        FieldDef::new("IsWon", "Won", T::Boolean)
            .required()
            .read_only()
            .defaulted(Some(json!(false))),
        FieldDef::new("ForecastCategory", "Forecast Category", T::Picklist)
            .required()
            .read_only()
            .defaulted(None)
            .values(&[
                "Omitted",
                "Pipeline",
                "BestCase",
                "MostLikely",
                "Forecast",
                "Closed",
            ]),
        FieldDef::new("ForecastCategoryName", "Forecast Category", T::Picklist)
            .defaulted(None)
            .values(&[
                "Omitted",
                "Pipeline",
                "Best Case",
                "Most Likely",
                "Commit",
                "Closed",
            ])
            .restricted(),
        FieldDef::new("ContactId", "Contact ID", T::Reference)
            .create_only()
            .reference(&["Contact"], "Contact", None),
        FieldDef::new("HasOpportunityLineItem", "Has Line Item", T::Boolean)
            .required()
            .read_only()
            .defaulted(Some(json!(false))),
        FieldDef::new("LastActivityDate", "Last Activity", T::Date).read_only(),
        FieldDef::new("FiscalQuarter", "Fiscal Quarter", T::Int)
            .digits(11)
            .calculated(),
        FieldDef::new("FiscalYear", "Fiscal Year", T::Int)
            .digits(11)
            .calculated(),
        text("Fiscal", "Fiscal Period", 6).calculated(),
    ];
    assemble(
        object(
            "Opportunity",
            "Opportunity",
            "Opportunities",
            prefix::OPPORTUNITY,
            now,
        ),
        body,
        true,
        currency,
    )
}

/// OpportunityStage (`01J`): read-only through the API.
pub fn opportunity_stage(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("MasterLabel", "Master Label", 255).read_only(),
        text("ApiName", "Api Name", 255).read_only(),
        FieldDef::new("IsActive", "Is Active", T::Boolean).read_only(),
        FieldDef::new("SortOrder", "Sort Order", T::Int)
            .digits(9)
            .read_only(),
        FieldDef::new("IsClosed", "Closed", T::Boolean).read_only(),
        FieldDef::new("IsWon", "Won", T::Boolean).read_only(),
        FieldDef::new("ForecastCategory", "Forecast Type", T::Picklist)
            .read_only()
            .values(&[
                "Omitted",
                "Pipeline",
                "BestCase",
                "MostLikely",
                "Forecast",
                "Closed",
            ]),
        FieldDef::new("ForecastCategoryName", "Forecast Category", T::Picklist)
            .read_only()
            .values(&[
                "Omitted",
                "Pipeline",
                "Best Case",
                "Most Likely",
                "Commit",
                "Closed",
            ]),
        FieldDef::new("DefaultProbability", "Probability (%)", T::Percent)
            .number(3, 0)
            .read_only(),
        text("Description", "Description", 255).read_only(),
    ];
    let mut obj = assemble(
        object(
            "OpportunityStage",
            "Opportunity Stage",
            "Opportunity Stages",
            prefix::STAGE,
            now,
        ),
        body,
        false,
        None,
    );
    obj.createable = false;
    obj.updateable = false;
    obj.deletable = false;
    obj
}

/// OpportunityContactRole (`00K`).
pub fn contact_role(now: DateTime<Utc>, currency: Option<&Currency>) -> ObjectDef {
    let body = vec![
        FieldDef::new("OpportunityId", "Opportunity ID", T::Reference)
            .required()
            .create_only()
            .reference(
                &["Opportunity"],
                "Opportunity",
                Some("OpportunityContactRoles"),
            ),
        FieldDef::new("ContactId", "Contact ID", T::Reference)
            .required()
            .reference(&["Contact"], "Contact", Some("OpportunityContactRoles")),
        FieldDef::new("Role", "Role", T::Picklist).values(&[
            "Business User",
            "Decision Maker",
            "Economic Buyer",
            "Economic Decision Maker",
            "Evaluator",
            "Executive Sponsor",
            "Influencer",
            "Technical Buyer",
            "Other",
        ]),
        FieldDef::new("IsPrimary", "Primary", T::Boolean)
            .required()
            .defaulted(Some(json!(false))),
    ];
    let mut obj = assemble(
        object(
            "OpportunityContactRole",
            "Opportunity Contact Role",
            "Opportunity Contact Role",
            prefix::CONTACT_ROLE,
            now,
        ),
        body,
        false,
        currency,
    );
    obj.label_plural = "Opportunity Contact Roles".into();
    obj
}

/// OpportunityTeamMember (`00q`): its deleted rows skip the recycle bin.
pub fn team_member(now: DateTime<Utc>, currency: Option<&Currency>) -> ObjectDef {
    let body = vec![
        FieldDef::new("OpportunityId", "Opportunity ID", T::Reference)
            .required()
            .create_only()
            .reference(
                &["Opportunity"],
                "Opportunity",
                Some("OpportunityTeamMembers"),
            ),
        FieldDef::new("UserId", "User ID", T::Reference)
            .required()
            .create_only()
            .reference(&["User"], "User", Some("OpportunityTeams")),
        text("Name", "Name", 121).calculated().name_field(),
        FieldDef::new("TeamMemberRole", "Team Role", T::Picklist).values(&[
            "Account Manager",
            "Channel Manager",
            "Executive Sponsor",
            "Lead Qualifier",
            "Pre-Sales Consultant",
            "Sales Manager",
            "Sales Rep",
            "Opportunity Owner",
        ]),
        FieldDef::new("OpportunityAccessLevel", "Opportunity Access", T::Picklist)
            .required()
            .defaulted(Some(json!("Read")))
            .values(&["Read", "Edit", "All"])
            .restricted(),
    ];
    let mut obj = assemble(
        object(
            "OpportunityTeamMember",
            "Opportunity Team Member",
            "Opportunity Team Members",
            prefix::TEAM_MEMBER,
            now,
        ),
        body,
        false,
        currency,
    );
    obj.hard_delete = true;
    obj
}

/// Note (`002`), the classic note attached to any record.
pub fn note(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        FieldDef::new("ParentId", "Parent ID", T::Reference)
            .required()
            .create_only()
            .reference(
                &["Account", "Contact", "Opportunity"],
                "Parent",
                Some("Notes"),
            ),
        text("Title", "Title", 80).required().name_field(),
        FieldDef::new("IsPrivate", "Private", T::Boolean)
            .required()
            .defaulted(Some(json!(false))),
        textarea("Body", "Body", DESCRIPTION_LENGTH),
    ];
    assemble(
        object("Note", "Note", "Notes", prefix::NOTE, now),
        body,
        true,
        None,
    )
}

/// User (`005`): read-only through the emulator's API.
pub fn user(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("Username", "Username", 80).required(),
        text("LastName", "Last Name", 80).required(),
        text("FirstName", "First Name", 40),
        text("Name", "Full Name", 121)
            .calculated()
            .required()
            .name_field(),
        text("Alias", "Alias", 8).required(),
        FieldDef::new("Email", "Email", T::Email)
            .len(128)
            .required(),
        FieldDef::new("IsActive", "Active", T::Boolean)
            .required()
            .defaulted(Some(json!(true))),
        text("Title", "Title", 80),
        text("CompanyName", "Company Name", 80),
        text("Department", "Department", 80),
        FieldDef::new("UserType", "User Type", T::Picklist)
            .read_only()
            .values(&["Standard", "PowerPartner", "CsnOnly", "Guest"]),
        FieldDef::new("TimeZoneSidKey", "Time Zone", T::Picklist)
            .len(40)
            .required()
            .values(&[
                "America/Los_Angeles",
                "America/New_York",
                "Europe/London",
                "Europe/Paris",
                "Asia/Kolkata",
            ]),
        FieldDef::new("LocaleSidKey", "Locale", T::Picklist)
            .len(40)
            .required()
            .values(&["en_US", "en_GB", "fr_FR", "de_DE"]),
        FieldDef::new("LanguageLocaleKey", "Language", T::Picklist)
            .len(40)
            .required()
            .values(&["en_US", "fr", "de"]),
        FieldDef::new("EmailEncodingKey", "Email Encoding", T::Picklist)
            .len(40)
            .required()
            .values(&["UTF-8", "ISO-8859-1"]),
    ];
    let mut obj = assemble(
        object("User", "User", "Users", prefix::USER, now),
        body,
        false,
        None,
    );
    obj.createable = false;
    obj.deletable = false;
    obj.updateable = false;
    obj
}

/// PermissionSet (`0PS`).
pub fn permission_set(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("Name", "Name", 80).required().name_field().unique(),
        text("Label", "Label", 80).required(),
        text("Description", "Description", 255),
        FieldDef::new("IsOwnedByProfile", "Is Owned By Profile", T::Boolean)
            .required()
            .read_only()
            .defaulted(Some(json!(false))),
    ];
    assemble(
        object(
            "PermissionSet",
            "Permission Set",
            "Permission Sets",
            prefix::PERMISSION_SET,
            now,
        ),
        body,
        false,
        None,
    )
}

/// FieldPermissions (`01k`): field-level security granted by a permission set.
pub fn field_permissions(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        FieldDef::new("ParentId", "Parent ID", T::Reference)
            .required()
            .create_only()
            .reference(&["PermissionSet"], "Parent", Some("FieldPerms")),
        FieldDef::new("SobjectType", "Sobject Type Name", T::Picklist)
            .len(40)
            .required()
            .create_only(),
        text("Field", "Field Name", 255).required().create_only(),
        FieldDef::new("PermissionsRead", "Read Access", T::Boolean)
            .required()
            .defaulted(Some(json!(false))),
        FieldDef::new("PermissionsEdit", "Edit Access", T::Boolean)
            .required()
            .defaulted(Some(json!(false))),
    ];
    assemble(
        object(
            "FieldPermissions",
            "Field Permissions",
            "Field Permissions",
            prefix::FIELD_PERMISSIONS,
            now,
        ),
        body,
        false,
        None,
    )
}

/// ObjectPermissions (`110`): object access granted by a permission set
/// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_objectpermissions.htm).
pub fn object_permissions(now: DateTime<Utc>) -> ObjectDef {
    let right = |name: &str, label: &str| {
        FieldDef::new(name, label, T::Boolean)
            .required()
            .defaulted(Some(json!(false)))
    };
    let body = vec![
        FieldDef::new("ParentId", "Parent ID", T::Reference)
            .required()
            .create_only()
            .reference(&["PermissionSet"], "Parent", Some("ObjectPerms")),
        FieldDef::new("SobjectType", "Sobject Type Name", T::Picklist)
            .len(40)
            .required()
            .create_only(),
        right("PermissionsRead", "Read"),
        right("PermissionsCreate", "Create"),
        right("PermissionsEdit", "Edit"),
        right("PermissionsDelete", "Delete"),
        right("PermissionsViewAllRecords", "View All"),
        right("PermissionsModifyAllRecords", "Modify All"),
    ];
    assemble(
        object(
            "ObjectPermissions",
            "Object Permissions",
            "Object Permissions",
            prefix::OBJECT_PERMISSIONS,
            now,
        ),
        body,
        false,
        None,
    )
}

/// PermissionSetAssignment (`0Pa`).
pub fn permission_set_assignment(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        FieldDef::new("PermissionSetId", "Permission Set ID", T::Reference)
            .required()
            .create_only()
            .reference(&["PermissionSet"], "PermissionSet", Some("Assignments")),
        FieldDef::new("AssigneeId", "Assignee ID", T::Reference)
            .required()
            .create_only()
            .reference(&["User"], "Assignee", Some("PermissionSetAssignments")),
    ];
    let mut obj = assemble(
        object(
            "PermissionSetAssignment",
            "Permission Set Assignment",
            "Permission Set Assignments",
            prefix::PERMISSION_SET_ASSIGNMENT,
            now,
        ),
        body,
        false,
        None,
    );
    obj.updateable = false;
    obj
}

/// Every standard object of the org.
pub fn all(now: DateTime<Utc>, currency: Option<&Currency>, stages: &[&str]) -> Vec<ObjectDef> {
    vec![
        account(now, currency),
        contact(now, currency),
        opportunity(now, currency, stages),
        opportunity_stage(now),
        contact_role(now, currency),
        team_member(now, currency),
        note(now),
        user(now),
        permission_set(now),
        field_permissions(now),
        object_permissions(now),
        permission_set_assignment(now),
        super::setup_objects::organization(now),
        super::setup_objects::record_type(now),
        super::setup_objects::business_process(now),
    ]
}
