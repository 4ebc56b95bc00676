//! Wire types whose shape Salesforce documents and this crate owns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{null_as_empty, ApiError, RecordError};
use crate::record::Record;

/// One page of SOQL results (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// Rows matching the whole query (not just this page).
    pub total_size: u64,
    /// True on the last page.
    pub done: bool,
    /// Path of the next page, absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_records_url: Option<String>,
    /// This page's records.
    #[serde(default)]
    pub records: Vec<Record>,
}

/// Per-record result of a Collections write (or a single create).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveResult {
    /// Record id (absent on most failures).
    #[serde(default)]
    pub id: Option<String>,
    /// Whether this record was saved.
    pub success: bool,
    /// Errors in the per-record (`statusCode`) shape.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<RecordError>,
    /// For upserts: true if created, false if updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

/// Outcome of a single-record upsert by external id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertResult {
    /// The created or matched record's id.
    pub id: String,
    /// True on 201 (created), false on 200/204 (updated).
    pub created: bool,
}

/// HTTP method of a composite subrequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubrequestMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PATCH
    Patch,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

/// One subrequest of `POST /composite` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subrequest {
    /// HTTP method.
    pub method: SubrequestMethod,
    /// Full path starting `/services/data/vXX.X/`; may contain `@{ref.field}`.
    pub url: String,
    /// Name later subrequests use in `@{referenceId.field}`.
    pub reference_id: String,
    /// JSON body; may contain references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Extra headers (not Accept, Authorization or Content-Type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_headers: Option<BTreeMap<String, String>>,
}

impl Subrequest {
    /// A subrequest without body or headers.
    pub fn new(
        method: SubrequestMethod,
        url: impl Into<String>,
        reference_id: impl Into<String>,
    ) -> Self {
        Subrequest {
            method,
            url: url.into(),
            reference_id: reference_id.into(),
            body: None,
            http_headers: None,
        }
    }

    /// Adds a JSON body.
    pub fn with_body(mut self, body: impl Into<Value>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// A `POST /composite` request.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeRequest {
    /// Roll everything back if one subrequest fails.
    pub all_or_none: bool,
    /// `collateSubrequests`; `None` leaves the server default.
    pub collate_subrequests: Option<bool>,
    /// At most 25 subrequests.
    pub subrequests: Vec<Subrequest>,
}

impl CompositeRequest {
    /// A request with the given atomicity and no subrequests yet.
    pub fn new(all_or_none: bool) -> Self {
        CompositeRequest {
            all_or_none,
            collate_subrequests: None,
            subrequests: Vec::new(),
        }
    }

    /// Appends a subrequest.
    pub fn push(mut self, sub: Subrequest) -> Self {
        self.subrequests.push(sub);
        self
    }
}

/// One entry of `compositeResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubResponse {
    /// The subrequest's response body (null for 204).
    #[serde(default)]
    pub body: Value,
    /// Response headers such as `Location`.
    #[serde(default)]
    pub http_headers: BTreeMap<String, String>,
    /// The subrequest's HTTP status.
    pub http_status_code: u16,
    /// The subrequest's reference id.
    pub reference_id: String,
}

impl SubResponse {
    /// Whether the subrequest succeeded (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status_code)
    }

    /// The error array of a failed subrequest (request-level shape).
    pub fn errors(&self) -> Vec<ApiError> {
        if self.is_success() {
            return Vec::new();
        }
        crate::error::parse_error_body(self.body.to_string().as_bytes())
    }

    /// The `id` in a create/upsert subresponse body.
    pub fn id(&self) -> Option<&str> {
        self.body.get("id")?.as_str()
    }
}

/// One entry of `GET /services/data/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersion {
    /// Release name, e.g. `Winter '25`.
    pub label: String,
    /// Path, e.g. `/services/data/v62.0`.
    pub url: String,
    /// Number, e.g. `62.0`.
    pub version: String,
}

/// `GET /sobjects/` (Describe Global).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeGlobal {
    /// Character encoding.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Maximum records per batch.
    #[serde(default)]
    pub max_batch_size: Option<u32>,
    /// The org's objects.
    pub sobjects: Vec<SObjectSummary>,
}

/// One object in Describe Global.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectSummary {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Three-character id prefix.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Whether records can be created.
    #[serde(default)]
    pub createable: bool,
    /// Whether records can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Whether the object can be queried.
    #[serde(default)]
    pub queryable: bool,
    /// Whether it is a custom object.
    #[serde(default)]
    pub custom: bool,
    /// Everything else Salesforce sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `GET /sobjects/{object}/describe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SObjectDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Three-character id prefix.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Whether it is a custom object.
    #[serde(default)]
    pub custom: bool,
    /// The object's fields.
    #[serde(default)]
    pub fields: Vec<FieldDescribe>,
    /// Everything else Salesforce sent (childRelationships, recordTypeInfos, urls…).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SObjectDescribe {
    /// A field by API name (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&FieldDescribe> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// One field of an sObject describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDescribe {
    /// API name.
    pub name: String,
    /// Label.
    #[serde(default)]
    pub label: String,
    /// Field type (`string`, `picklist`, `datetime`, …).
    #[serde(rename = "type")]
    pub field_type: String,
    /// Maximum length for text fields.
    #[serde(default)]
    pub length: Option<u32>,
    /// Whether null is allowed.
    #[serde(default)]
    pub nillable: bool,
    /// Whether it can be set on create.
    #[serde(default)]
    pub createable: bool,
    /// Whether it can be updated.
    #[serde(default)]
    pub updateable: bool,
    /// Whether it is a custom field.
    #[serde(default)]
    pub custom: bool,
    /// Whether it is an external id.
    #[serde(default)]
    pub external_id: bool,
    /// Whether values must be unique.
    #[serde(default)]
    pub unique: bool,
    /// Whether picklist values are restricted.
    #[serde(default)]
    pub restricted_picklist: bool,
    /// Picklist values.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub picklist_values: Vec<PicklistValue>,
    /// Referenced objects for lookups.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub reference_to: Vec<String>,
    /// Relationship name for lookups (e.g. `Account`).
    #[serde(default)]
    pub relationship_name: Option<String>,
    /// Everything else Salesforce sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One picklist entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    /// API value.
    pub value: String,
    /// Label.
    #[serde(default)]
    pub label: Option<String>,
    /// Whether it is active.
    #[serde(default)]
    pub active: bool,
    /// Whether it is the default.
    #[serde(default)]
    pub default_value: bool,
}

/// One entry of `GET /limits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// Allocation.
    #[serde(rename = "Max")]
    pub max: i64,
    /// What is left.
    #[serde(rename = "Remaining")]
    pub remaining: i64,
    /// Per-app breakdowns and anything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `GET /limits`, keyed by limit name (e.g. `DailyApiRequests`).
pub type Limits = BTreeMap<String, Limit>;

/// A row of `OpportunityStage` (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm>), used to map lifecycle states to `ApiName`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpportunityStage {
    /// Stage API name (what `StageName` holds).
    pub api_name: String,
    /// Display label.
    #[serde(default)]
    pub master_label: Option<String>,
    /// Whether the stage can be used.
    #[serde(default)]
    pub is_active: bool,
    /// Whether the stage closes the opportunity.
    #[serde(default)]
    pub is_closed: bool,
    /// Whether the stage means won.
    #[serde(default)]
    pub is_won: bool,
    /// Default probability (percent).
    #[serde(default)]
    pub default_probability: Option<f64>,
    /// Forecast category name.
    #[serde(default)]
    pub forecast_category_name: Option<String>,
    /// Position in the sales path.
    #[serde(default)]
    pub sort_order: Option<i64>,
}

/// Fields read for [`OpportunityStage`].
pub const OPPORTUNITY_STAGE_FIELDS: &[&str] = &[
    "ApiName",
    "MasterLabel",
    "IsActive",
    "IsClosed",
    "IsWon",
    "DefaultProbability",
    "ForecastCategoryName",
    "SortOrder",
];

/// Body of a 201 create (`{"id","success","errors"}`).
#[derive(Debug, Deserialize)]
pub(crate) struct CreateResponse {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn save_result_with_errors() {
        let v = json!([{"id":"006xx0000004GxDAAU","success":true,"errors":[],"created":true},
            {"success":false,"errors":[{"statusCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","message":"Close date required for Won","fields":["CloseDate"]}]}]);
        let r: Vec<SaveResult> = serde_json::from_value(v).unwrap();
        assert_eq!(r[0].created, Some(true));
        assert!(!r[1].success);
        assert_eq!(r[1].id, None);
        assert_eq!(
            r[1].errors[0].status_code,
            crate::error::ErrorCode::FieldCustomValidationException
        );
    }

    #[test]
    fn composite_request_serializes_camel_case() {
        let s = Subrequest::new(
            SubrequestMethod::Post,
            "/services/data/v62.0/sobjects/Opportunity",
            "opp",
        )
        .with_body(json!({"AccountId":"@{acct.id}"}));
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"method":"POST","url":"/services/data/v62.0/sobjects/Opportunity","referenceId":"opp","body":{"AccountId":"@{acct.id}"}})
        );
    }

    #[test]
    fn sub_response_errors() {
        let r: SubResponse = serde_json::from_value(json!({"body":[{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}],
            "httpHeaders":{},"httpStatusCode":400,"referenceId":"x"})).unwrap();
        assert_eq!(
            r.errors()[0].code,
            crate::error::ErrorCode::ProcessingHalted
        );
        let ok: SubResponse = serde_json::from_value(
            json!({"body":null,"httpHeaders":{},"httpStatusCode":204,"referenceId":"y"}),
        )
        .unwrap();
        assert!(ok.is_success() && ok.errors().is_empty());
    }

    #[test]
    fn limits_parse() {
        let l: Limits = serde_json::from_value(json!({"DailyApiRequests":{"Max":15000,"Remaining":14937,"Ant Migration Tool":{"Max":0,"Remaining":0}}})).unwrap();
        assert_eq!(l["DailyApiRequests"].remaining, 14937);
    }
}

/// Salesforce dateTimes (`2025-05-07T22:07:19.000+0000`) in serde.
mod sf_datetime {
    use chrono::{DateTime, Utc};
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use crate::record::{format_datetime, parse_datetime};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_datetime(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_datetime(&text).ok_or_else(|| D::Error::custom(format!("not a dateTime: {text}")))
    }

    /// The same for an optional value.
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| {
                    parse_datetime(&text)
                        .ok_or_else(|| D::Error::custom(format!("not a dateTime: {text}")))
                })
                .transpose()
        }
    }
}

/// One record a getDeleted window lists (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecord {
    /// The deleted record's id.
    pub id: String,
    /// When it was deleted (its SystemModstamp when it has one).
    #[serde(with = "sf_datetime")]
    pub deleted_date: chrono::DateTime<chrono::Utc>,
}

/// What getDeleted answers for one window (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRecords {
    /// The records deleted inside the window.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub deleted_records: Vec<DeletedRecord>,
    /// The oldest deletion the org's delete log still holds.
    #[serde(default, with = "sf_datetime::option")]
    pub earliest_date_available: Option<chrono::DateTime<chrono::Utc>>,
    /// How far the answer is complete: the next window starts here.
    #[serde(with = "sf_datetime")]
    pub latest_date_covered: chrono::DateTime<chrono::Utc>,
}
