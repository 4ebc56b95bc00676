//! Opportunity record types with sales processes, in the enterprise profile
//! (see [`super::profile`]). A sales process (`BusinessProcess`) lists the
//! stages its record types may use; picklist values are scoped to a record
//! type, and the User Interface API lists them per record type
//! (`GET ui-api/object-info/Opportunity/picklist-values/{recordTypeId}/StageName`,
//! the master record type being `012000000000000AAA`:
//! https://developer.salesforce.com/docs/atlas.en-us.uiapi.meta/uiapi/ui_api_resources_picklist_values.htm).
//! An opportunity saved without `RecordTypeId` gets its owner's default
//! record type
//! (https://help.salesforce.com/s/articleView?id=sf.customize_recordtype.htm).
//! `StageName` is a restricted picklist, so a stage the org has but the
//! record type's sales process does not is refused like any value outside
//! a restricted picklist: `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`,
//! "Stage: bad value for restricted picklist field: On Hold"
//! (https://help.salesforce.com/s/articleView?id=000386448&type=1) [I]. A
//! `RecordTypeId` that is no active Opportunity record type is
//! `INVALID_CROSS_REFERENCE_KEY`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::errors::ErrorItem;
use super::org::{Org, RecordErrors};
use super::schema::{FieldDef, FieldType, ObjectDef};

/// The master record type: every value of every picklist.
pub const MASTER_RECORD_TYPE: &str = "012000000000000AAA";

/// Sales processes: name, stages.
const PROCESSES: &[(&str, &[&str])] = &[
    (
        "Direct Sales Process",
        &[
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Id. Decision Makers",
            "Perception Analysis",
            "Proposal/Price Quote",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost",
        ],
    ),
    (
        "Partner Sales Process",
        &[
            "On Hold",
            "Prospecting",
            "Qualification",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost",
        ],
    ),
];

/// Opportunity record types: developer name, label, its process (index in
/// [`PROCESSES`]). The first is every user's default.
const RECORD_TYPES: &[(&str, &str, usize)] = &[
    ("Direct_Deal", "Direct Deal", 0),
    (PARTNER_RECORD_TYPE, "Partner Deal", 1),
];

/// The record type whose sales process holds the on-hold stage: the one a
/// connector must give the opportunities it creates.
pub const PARTNER_RECORD_TYPE: &str = "Partner_Deal";

/// The org's sales processes as the rules need them.
#[derive(Debug, Clone, Default)]
pub struct SalesProcesses {
    /// Active Opportunity record type ID → the stages of its process.
    pub stages: BTreeMap<String, Vec<String>>,
    /// The record type a new opportunity gets when it names none.
    pub default_record_type: Option<String>,
}

/// Adds `Opportunity.RecordTypeId`, the processes and the record types.
pub fn enable(org: &mut Org, now: DateTime<Utc>) {
    let field = FieldDef::new("RecordTypeId", "Record Type ID", FieldType::Reference).reference(
        &["RecordType"],
        "RecordType",
        None,
    );
    org.add_field("Opportunity", field, now);
    let admin = org.admin_id.clone();
    let mut processes = SalesProcesses::default();
    let process_ids: Vec<String> = PROCESSES
        .iter()
        .map(|(name, _)| {
            let mut values = Map::new();
            values.insert("Name".into(), json!(name));
            values.insert("TableEnumOrId".into(), json!("Opportunity"));
            values.insert("IsActive".into(), json!(true));
            org.insert_raw("BusinessProcess", values, &admin)
        })
        .collect();
    for (developer_name, label, process) in RECORD_TYPES {
        let mut values = Map::new();
        values.insert("Name".into(), json!(label));
        values.insert("DeveloperName".into(), json!(developer_name));
        values.insert("SobjectType".into(), json!("Opportunity"));
        values.insert("BusinessProcessId".into(), json!(process_ids[*process]));
        values.insert("IsActive".into(), json!(true));
        let id = org.insert_raw("RecordType", values, &admin);
        let stages = PROCESSES[*process].1.iter().map(|s| (*s).to_owned());
        processes.stages.insert(id.clone(), stages.collect());
        processes.default_record_type.get_or_insert(id);
    }
    org.sales_processes = Some(processes);
}

impl Org {
    /// The stages a record type may use (`MASTER_RECORD_TYPE`: all of
    /// them); None for an unknown record type.
    pub fn stages_of_record_type(&self, record_type: &str) -> Option<Vec<String>> {
        if record_type == MASTER_RECORD_TYPE || record_type == &MASTER_RECORD_TYPE[..15] {
            return Some(
                self.rows("OpportunityStage")
                    .filter(|r| r.get("IsActive") == Some(&Value::Bool(true)))
                    .filter_map(|r| r.get("ApiName").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            );
        }
        let id = super::ids::normalize(record_type)?;
        self.sales_processes.as_ref()?.stages.get(&id).cloned()
    }

    /// Describe's `recordTypeInfos` for `object`: its record types, the
    /// default one marked, then the master record type, available only when
    /// there are no others
    /// (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm#recordtypeinfo).
    pub fn record_type_infos(&self, object: &str, base: &str) -> Vec<Value> {
        let info = |id: &str,
                    developer_name: &str,
                    name: &str,
                    default: bool,
                    master: bool,
                    available: bool| {
            json!({
                "active": true, "available": available, "defaultRecordTypeMapping": default,
                "developerName": developer_name, "master": master, "name": name, "recordTypeId": id,
                "urls": { "layout": format!("{base}/sobjects/{object}/describe/layouts/{id}") },
            })
        };
        let default = self
            .sales_processes
            .as_ref()
            .and_then(|p| p.default_record_type.as_deref());
        let mut infos: Vec<Value> = self
            .rows("RecordType")
            .filter(|r| r.get("SobjectType").and_then(Value::as_str) == Some(object))
            .filter(|r| r.get("IsActive") == Some(&Value::Bool(true)))
            .map(|r| {
                let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
                let id = text("Id");
                info(
                    id,
                    text("DeveloperName"),
                    text("Name"),
                    Some(id) == default,
                    false,
                    true,
                )
            })
            .collect();
        let only_master = infos.is_empty();
        infos.push(info(
            MASTER_RECORD_TYPE,
            "Master",
            "Master",
            only_master,
            true,
            only_master,
        ));
        infos
    }

    /// Gives a new opportunity the default record type and keeps its stage
    /// within the record type's sales process.
    pub(super) fn enforce_sales_process(
        &self,
        def: &ObjectDef,
        row: &mut Map<String, Value>,
        creating: bool,
    ) -> Result<(), RecordErrors> {
        let Some(processes) = self.sales_processes.as_ref() else {
            return Ok(());
        };
        if def.name != "Opportunity" {
            return Ok(());
        }
        if creating && row.get("RecordTypeId").is_none_or(Value::is_null) {
            if let Some(default) = &processes.default_record_type {
                row.insert("RecordTypeId".into(), json!(default));
            }
        }
        let Some(record_type) = row.get("RecordTypeId").and_then(Value::as_str) else {
            return Ok(());
        };
        let Some(stages) = processes.stages.get(record_type) else {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_CROSS_REFERENCE_KEY",
                format!("Record Type ID: this ID value isn't valid for the user: {record_type}"),
                vec!["RecordTypeId".into()],
            )]);
        };
        let stage = row.get("StageName").and_then(Value::as_str).unwrap_or("");
        if !stages.iter().any(|s| s == stage) {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                format!("Stage: bad value for restricted picklist field: {stage}"),
                vec!["StageName".into()],
            )]);
        }
        Ok(())
    }
}

/// `GET ui-api/object-info/{object}/picklist-values/{recordTypeId}/{field}`:
/// the values a record type may use, in the User Interface API's shape
/// (https://developer.salesforce.com/docs/atlas.en-us.uiapi.meta/uiapi/ui_api_responses_picklist_values.htm).
/// Only Opportunity's `StageName` is scoped by record type here; other
/// picklists answer their values for every record type.
pub fn picklist_values(
    state: &super::state::State,
    request: &super::http::RestRequest,
    rest: &[&str],
) -> super::http::RestResult {
    use super::errors::ApiError;
    super::http::only(request, &["GET"])?;
    let [object, "picklist-values", record_type, field] = rest else {
        return Err(ApiError::not_found());
    };
    let org = &state.org;
    let def = org
        .object_for_caller(object)
        .ok_or_else(ApiError::not_found)?;
    let field_def = def
        .field(field)
        .filter(|f| matches!(f.ftype, FieldType::Picklist | FieldType::MultiPicklist))
        .ok_or_else(ApiError::not_found)?;
    let scoped = def.name == "Opportunity" && field_def.name == "StageName";
    let values: Vec<Value> = if scoped {
        let stages = org
            .stages_of_record_type(record_type)
            .ok_or_else(ApiError::not_found)?;
        stages
            .iter()
            .filter_map(|name| org.stage(name))
            .map(|stage| {
                let name = stage.get("ApiName").cloned().unwrap_or(Value::Null);
                json!({
                    "attributes": {
                        "closed": stage.get("IsClosed"),
                        "defaultProbability": stage.get("DefaultProbability"),
                        "forecastCategoryName": stage.get("ForecastCategoryName"),
                        "won": stage.get("IsWon"),
                    },
                    "label": stage.get("MasterLabel"),
                    "validFor": [],
                    "value": name,
                })
            })
            .collect()
    } else {
        field_def
            .picklist
            .iter()
            .map(|v| json!({ "attributes": null, "label": v.label, "validFor": [], "value": v.value }))
            .collect()
    };
    let url = format!(
        "{}/ui-api/object-info/{}/picklist-values/{record_type}/{}",
        request.base(),
        def.name,
        field_def.name
    );
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        Value::Array(values.clone()).to_string().as_bytes(),
    );
    let etag = hex::encode(&digest.as_ref()[..16]);
    Ok(super::http::RestResponse::json(
        200,
        json!({ "controllerValues": {}, "defaultValue": null, "eTag": etag, "url": url, "values": values }),
    ))
}
