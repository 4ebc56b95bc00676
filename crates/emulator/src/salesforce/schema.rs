//! The org's schema: objects and fields with the properties describe reports
//! and that writes are checked against (types, lengths, picklists, required,
//! read-only, external IDs, references).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::soql::FieldKind;

/// Field data types, named as describe names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record's own ID.
    Id,
    /// Single-line text.
    String,
    /// Multi-line text, long text areas included.
    TextArea,
    /// Single-select picklist.
    Picklist,
    /// Multi-select picklist (values joined by `;`).
    MultiPicklist,
    /// Checkbox.
    Boolean,
    /// Money amount.
    Currency,
    /// Floating-point number.
    Double,
    /// Percentage.
    Percent,
    /// Whole number.
    Int,
    /// `YYYY-MM-DD`.
    Date,
    /// Instant, rendered `2021-11-06T17:38:40.000+0000`.
    DateTime,
    /// Lookup or master-detail: the parent's ID.
    Reference,
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
    /// Web address.
    Url,
}

impl FieldType {
    /// The describe `type` name.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::String => "string",
            Self::TextArea => "textarea",
            Self::Picklist => "picklist",
            Self::MultiPicklist => "multipicklist",
            Self::Boolean => "boolean",
            Self::Currency => "currency",
            Self::Double => "double",
            Self::Percent => "percent",
            Self::Int => "int",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Reference => "reference",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Url => "url",
        }
    }

    /// The describe `soapType`.
    pub fn soap_type(self) -> &'static str {
        match self {
            Self::Id | Self::Reference => "tns:ID",
            Self::Boolean => "xsd:boolean",
            Self::Currency | Self::Double | Self::Percent => "xsd:double",
            Self::Int => "xsd:int",
            Self::Date => "xsd:date",
            Self::DateTime => "xsd:dateTime",
            _ => "xsd:string",
        }
    }

    /// The kind the SOQL evaluator compares by.
    pub fn kind(self) -> FieldKind {
        match self {
            Self::Id => FieldKind::Id,
            Self::String => FieldKind::String,
            Self::TextArea => FieldKind::TextArea,
            Self::Picklist | Self::MultiPicklist => FieldKind::Picklist,
            Self::Boolean => FieldKind::Boolean,
            Self::Currency => FieldKind::Currency,
            Self::Double => FieldKind::Double,
            Self::Percent => FieldKind::Percent,
            Self::Int => FieldKind::Int,
            Self::Date => FieldKind::Date,
            Self::DateTime => FieldKind::DateTime,
            Self::Reference => FieldKind::Reference,
            Self::Email => FieldKind::Email,
            Self::Phone => FieldKind::Phone,
            Self::Url => FieldKind::Url,
        }
    }

    /// True for the types whose values are text with a maximum length.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::TextArea
                | Self::Picklist
                | Self::MultiPicklist
                | Self::Email
                | Self::Phone
                | Self::Url
        )
    }
}

/// One value of a picklist.
#[derive(Debug, Clone, PartialEq)]
pub struct PicklistValue {
    /// API value.
    pub value: String,
    /// Label shown to users.
    pub label: String,
    /// Inactive values stay on records but cannot be newly written.
    pub active: bool,
    /// The default for new records.
    pub default: bool,
}

impl PicklistValue {
    /// An active value whose label is its API value.
    pub fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: value.to_owned(),
            active: true,
            default: false,
        }
    }
}

/// A field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// API name, e.g. `CloseDate`.
    pub name: String,
    /// Label, e.g. `Close Date`.
    pub label: String,
    /// Data type.
    pub ftype: FieldType,
    /// Maximum length of text types (0 otherwise).
    pub length: u32,
    /// Total digits of numeric types.
    pub precision: u32,
    /// Digits after the decimal point.
    pub scale: u32,
    /// Digits of `int` fields.
    pub digits: u32,
    /// Accepts null.
    pub nillable: bool,
    /// Can be set on create.
    pub createable: bool,
    /// Can be set on update.
    pub updateable: bool,
    /// Gets a value on create when none is given.
    pub defaulted_on_create: bool,
    /// Computed by the server (formula, roll-up or derived).
    pub calculated: bool,
    /// Custom (`__c`) field.
    pub custom: bool,
    /// An external-ID field usable for upsert.
    pub external_id: bool,
    /// Values must be unique across the object's records.
    pub unique: bool,
    /// Uniqueness compares case-sensitively.
    pub case_sensitive: bool,
    /// Usable as a lookup key (Name, ApiName…).
    pub id_lookup: bool,
    /// The object's name field.
    pub name_field: bool,
    /// Picklist values, in order.
    pub picklist: Vec<PicklistValue>,
    /// Only the listed picklist values are accepted.
    pub restricted: bool,
    /// Objects a reference may point at.
    pub reference_to: Vec<String>,
    /// Relationship name for parent paths (`Account`, `Opportunity__r`).
    pub relationship_name: Option<String>,
    /// The parent's child relationship name (`Opportunities`, `Microsoft_Solutions__r`).
    pub child_relationship: Option<String>,
    /// Deleting the parent deletes this record (master-detail).
    pub cascade_delete: bool,
    /// Master-detail relationship (order 0).
    pub master_detail: bool,
    /// Value given on create when the body has none.
    pub default_value: Option<Value>,
    /// describe `extraTypeInfo` (`plaintextarea`, `richtextarea`, …).
    pub extra_type_info: Option<&'static str>,
    /// The Tooling API ID of a custom field (`00N…`).
    pub durable_id: Option<String>,
    /// When the field was created (Tooling `CreatedDate`).
    pub created: Option<DateTime<Utc>>,
}

impl FieldDef {
    /// A nillable, createable and updateable field.
    pub fn new(name: &str, label: &str, ftype: FieldType) -> Self {
        let length = match ftype {
            FieldType::Id | FieldType::Reference => 18,
            t if t.is_text() => 255,
            _ => 0,
        };
        Self {
            name: name.to_owned(),
            label: label.to_owned(),
            ftype,
            length,
            precision: 0,
            scale: 0,
            digits: 0,
            nillable: true,
            createable: true,
            updateable: true,
            defaulted_on_create: false,
            calculated: false,
            custom: name.ends_with("__c"),
            external_id: false,
            unique: false,
            case_sensitive: false,
            id_lookup: false,
            name_field: false,
            picklist: Vec::new(),
            restricted: false,
            reference_to: Vec::new(),
            relationship_name: None,
            child_relationship: None,
            cascade_delete: false,
            master_detail: false,
            default_value: None,
            extra_type_info: None,
            durable_id: None,
            created: None,
        }
    }

    /// Sets the maximum text length.
    pub fn len(mut self, length: u32) -> Self {
        self.length = length;
        self
    }

    /// Sets numeric precision and scale.
    pub fn number(mut self, precision: u32, scale: u32) -> Self {
        self.precision = precision;
        self.scale = scale;
        self
    }

    /// Sets the digits of an `int` field.
    pub fn digits(mut self, digits: u32) -> Self {
        self.digits = digits;
        self
    }

    /// Not nillable: a create must give it (unless defaulted).
    pub fn required(mut self) -> Self {
        self.nillable = false;
        self
    }

    /// Server-set: neither createable nor updateable.
    pub fn read_only(mut self) -> Self {
        self.createable = false;
        self.updateable = false;
        self
    }

    /// Settable on create only.
    pub fn create_only(mut self) -> Self {
        self.updateable = false;
        self
    }

    /// Derived by the server.
    pub fn calculated(mut self) -> Self {
        self.calculated = true;
        self.read_only()
    }

    /// Gets a value on create when none is given.
    pub fn defaulted(mut self, value: Option<Value>) -> Self {
        self.defaulted_on_create = true;
        self.default_value = value;
        self
    }

    /// Picklist values (the first flagged default, if any).
    pub fn values(mut self, values: &[&str]) -> Self {
        self.picklist = values.iter().map(|v| PicklistValue::new(v)).collect();
        self
    }

    /// Only listed picklist values are accepted.
    pub fn restricted(mut self) -> Self {
        self.restricted = true;
        self
    }

    /// A reference to `targets`, reached through `relationship`, listed on the
    /// parent as `child` (if any).
    pub fn reference(mut self, targets: &[&str], relationship: &str, child: Option<&str>) -> Self {
        self.reference_to = targets.iter().map(|t| (*t).to_owned()).collect();
        self.relationship_name = Some(relationship.to_owned());
        self.child_relationship = child.map(str::to_owned);
        self
    }

    /// An external ID.
    pub fn external_id(mut self) -> Self {
        self.external_id = true;
        self.id_lookup = true;
        self
    }

    /// Values are unique.
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// The object's name field.
    pub fn name_field(mut self) -> Self {
        self.name_field = true;
        self.id_lookup = true;
        self
    }

    /// False for long text areas (longer than 255 characters): SOQL cannot
    /// filter, sort or group on them ("Long text area fields can't be
    /// filtered", https://help.salesforce.com/s/articleView?id=sf.custom_field_types.htm).
    pub fn is_filterable(&self) -> bool {
        !(self.ftype == FieldType::TextArea && self.length > 255)
    }

    /// True when a create must carry a value (describe's notion of required).
    pub fn is_required_on_create(&self) -> bool {
        !self.nillable
            && self.createable
            && !self.defaulted_on_create
            && self.ftype != FieldType::Boolean
    }
}

/// An sObject type.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDef {
    /// API name, e.g. `Opportunity`.
    pub name: String,
    /// Singular label.
    pub label: String,
    /// Plural label.
    pub label_plural: String,
    /// ID key prefix, e.g. `006`.
    pub key_prefix: String,
    /// Custom object (`__c`).
    pub custom: bool,
    /// Records can be created through the API.
    pub createable: bool,
    /// Records can be updated through the API.
    pub updateable: bool,
    /// Records can be deleted through the API.
    pub deletable: bool,
    /// Fields, in describe order.
    pub fields: Vec<FieldDef>,
    /// The Tooling API ID of a custom object (`01I…`).
    pub durable_id: Option<String>,
    /// When the schema of this object last changed (for `If-Modified-Since`).
    pub schema_changed: DateTime<Utc>,
    /// Rows skip the recycle bin when deleted (OpportunityTeamMember).
    pub hard_delete: bool,
}

impl ObjectDef {
    /// A field by name, case-insensitively.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// A parent relationship by name, case-insensitively.
    pub fn relationship(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }
}
