//! sObject resources (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>): create, read with
//! `?fields=`, update, delete, upsert and read by external ID, conditional
//! requests, and the getUpdated/getDeleted replication resources.

use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use serde_json::{json, Map, Value};

use super::describe;
use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::ids;
use super::org::Org;
use super::schema::ObjectDef;
use super::soql::Record;
use super::state::State;
use super::values::{format_datetime, parse_datetime, parse_record, Assign};

/// First version whose upsert-update answers 200 with a body (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm>).
const UPSERT_BODY_VERSION: u32 = 46;
/// How far back getUpdated reaches (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>).
const UPDATED_WINDOW_DAYS: i64 = 30;
/// How far back getDeleted reaches (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>).
const DELETED_WINDOW_DAYS: i64 = 15;

/// Routes `/sobjects/{object}/…`.
pub fn route(state: &mut State, request: &RestRequest, rest: &[&str]) -> RestResult {
    let object = resolve(&state.org, rest[0])?;
    match &rest[1..] {
        [] => match request.method.as_str() {
            "GET" => describe::basic(state, request, &object),
            "POST" => create(state, request, &object),
            _ => Err(only(request, &["GET", "POST"]).unwrap_err()),
        },
        ["describe"] => describe::object(state, request, &object),
        ["updated"] => updated(state, request, &object),
        ["deleted"] => deleted(state, request, &object),
        ["Id"] if request.method == "POST" => create(state, request, &object),
        [id] => record(state, request, &object, id),
        [field, value] => by_external_id(state, request, &object, field, value),
        _ => Err(ApiError::not_found()),
    }
}

/// An object by name as the caller sees it, or 404 `NOT_FOUND`.
pub fn resolve(org: &Org, name: &str) -> Result<ObjectDef, ApiError> {
    org.object_for_caller(name)
        .map(std::borrow::Cow::into_owned)
        .ok_or_else(ApiError::not_found)
}

/// A URL record ID for `object`, or 400 `MALFORMED_ID`.
pub fn parse_id(object: &ObjectDef, raw: &str) -> Result<String, ApiError> {
    ids::normalize(raw)
        .filter(|id| ids::prefix(id) == object.key_prefix)
        .ok_or_else(|| ApiError::malformed_id(&object.label, raw))
}

/// The REST shape of a row: `attributes` then the fields (all, or `fields`).
pub fn render(object: &ObjectDef, row: &Record, base: &str, fields: Option<&[String]>) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or("");
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({ "type": object.name, "url": format!("{base}/sobjects/{}/{id}", object.name) }),
    );
    match fields {
        Some(list) => {
            for name in list {
                if let Some(f) = object.field(name) {
                    out.insert(
                        f.name.clone(),
                        row.get(&f.name).cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
        None => {
            for f in &object.fields {
                out.insert(
                    f.name.clone(),
                    row.get(&f.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    Value::Object(out)
}

/// Parses `?fields=a,b`, refusing unknown names with `INVALID_FIELD`.
pub fn field_list(object: &ObjectDef, raw: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match object.field(name) {
            Some(f) => names.push(f.name.clone()),
            None => {
                return Err(ApiError::invalid_field(format!(
                    "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                    object.name
                )))
            }
        }
    }
    Ok(Some(names))
}

/// A save-result body.
pub fn saved(id: &str) -> Value {
    json!({ "id": id, "success": true, "errors": [] })
}

fn create(state: &mut State, request: &RestRequest, object: &ObjectDef) -> RestResult {
    let (body, raw) = request.json_object(&object.name)?;
    let assigns = parse_record(object, &body, &raw)?;
    let id = state
        .org
        .create(&object.name, &assigns, &request.user)
        .map_err(ApiError::bad_request)?;
    Ok(RestResponse::json(201, saved(&id)).with_header(
        "Location",
        format!("{}/sobjects/{}/{id}", request.base(), object.name),
    ))
}

/// True for 15 or 18 ASCII letters and digits: the shape of a record ID.
fn looks_like_id(raw: &str) -> bool {
    matches!(raw.len(), ids::ID15_LEN | ids::ID18_LEN)
        && raw.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A live row, or 404 `NOT_FOUND` / `ENTITY_IS_DELETED`.
fn live<'a>(org: &'a Org, object: &ObjectDef, id: &str) -> Result<&'a Record, ApiError> {
    match org.record(&object.name, id) {
        None => Err(ApiError::not_found()),
        Some(r) if r.get("IsDeleted") == Some(&Value::Bool(true)) => Err(ApiError::deleted()),
        Some(r) => Ok(r),
    }
}

fn record(
    state: &mut State,
    request: &RestRequest,
    object: &ObjectDef,
    raw_id: &str,
) -> RestResult {
    only(request, &["GET", "PATCH", "DELETE"])?;
    // A segment that cannot be an ID (not 15 or 18 letters and digits) names
    // no resource at all: 404 `NOT_FOUND`, not `MALFORMED_ID` [I]. Only a
    // well-formed ID of the wrong type or checksum is malformed
    // (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
    if !looks_like_id(raw_id) {
        return Err(ApiError::not_found());
    }
    let id = parse_id(object, raw_id)?;
    let row = live(&state.org, object, &id)?.clone();
    let modified = last_modified(&row);
    let etag = (object.name == ETAG_OBJECT).then(|| etag_of(&row));
    match request.method.as_str() {
        "GET" => {
            let fields = field_list(object, request.param("fields"))?;
            if let (Some(tag), Some(wanted)) = (&etag, request.header("if-none-match")) {
                if etag_matches(wanted, tag) {
                    return Ok(RestResponse::empty(304));
                }
            }
            if let Some(since) = header_time(request, "if-modified-since")? {
                if modified.is_some_and(|m| m <= since) {
                    return Ok(RestResponse::empty(304));
                }
            }
            precondition(request, modified)?;
            let mut response = RestResponse::json(
                200,
                render(object, &row, &request.base(), fields.as_deref()),
            );
            if let Some(m) = modified {
                response = response.with_header(
                    "Last-Modified",
                    m.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                );
            }
            if let Some(tag) = etag {
                response = response.with_header("ETag", tag);
            }
            Ok(response)
        }
        "PATCH" => {
            precondition(request, modified)?;
            if let (Some(tag), Some(wanted)) = (&etag, request.header("if-match")) {
                if !etag_matches(wanted, tag) {
                    return Err(ApiError::one(
                        412,
                        ErrorItem::new(
                            "PRECONDITION_FAILED",
                            "The requested resource's ETag does not match the If-Match header",
                        ),
                    ));
                }
            }
            let (body, raw) = request.json_object(&object.name)?;
            let assigns = parse_record(object, &body, &raw)?;
            state
                .org
                .update(&object.name, &id, &assigns, &request.user)
                .map_err(ApiError::bad_request)?;
            Ok(RestResponse::empty(204))
        }
        _ => {
            delete(&mut state.org, &id)?;
            Ok(RestResponse::empty(204))
        }
    }
}

/// Deletes with the REST status mapping.
pub fn delete(org: &mut Org, id: &str) -> Result<(), ApiError> {
    org.delete(id).map_err(|e| match e.code.as_str() {
        "ENTITY_IS_DELETED" => ApiError::deleted(),
        "INVALID_CROSS_REFERENCE_KEY" => ApiError::not_found(),
        _ => ApiError::bad_request(vec![e]),
    })
}

/// The only object whose rows carry ETags (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_conditional_requests.htm>).
const ETAG_OBJECT: &str = "Account";

/// A strong ETag over the row's identity and last change.
fn etag_of(row: &Record) -> String {
    use base64::Engine;
    // Over the whole row: SystemModstamp has whole seconds, so two writes in
    // one second must still give two tags.
    let content = serde_json::to_string(row).unwrap_or_default();
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        content.as_bytes(),
    );
    format!(
        "\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// Compares an `If-Match`/`If-None-Match` value with a tag, ignoring the
/// `-gzip` suffix Salesforce adds to compressed answers.
fn etag_matches(header: &str, tag: &str) -> bool {
    let bare = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .trim_end_matches("-gzip")
            .to_owned()
    };
    header
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(tag))
}

/// LastModifiedDate at second granularity, as conditional headers compare it.
fn last_modified(row: &Record) -> Option<DateTime<Utc>> {
    let text = row.get("LastModifiedDate")?.as_str()?;
    parse_datetime(text)?.with_nanosecond(0)
}

fn header_time(request: &RestRequest, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = request.header(name) else {
        return Ok(None);
    };
    super::values::parse_http_date(text)
        .map(Some)
        .ok_or_else(|| {
            ApiError::one(
                400,
                ErrorItem::new(
                    "INVALID_HEADER_VALUE",
                    format!("Invalid value for header {name}: {text}"),
                ),
            )
        })
}

/// `If-Unmodified-Since`: 412 when the record changed after that time (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_conditional_requests.htm>).
fn precondition(request: &RestRequest, modified: Option<DateTime<Utc>>) -> Result<(), ApiError> {
    if let Some(since) = header_time(request, "if-unmodified-since")? {
        if modified.is_some_and(|m| m > since) {
            return Err(ApiError::one(
                412,
                ErrorItem::new(
                    "PRECONDITION_FAILED",
                    "The requested resource has been modified since the time specified in the If-Unmodified-Since header",
                ),
            ));
        }
    }
    Ok(())
}

/// Outcome of an upsert of one record.
pub enum Upserted {
    /// A new record.
    Created(String),
    /// An existing record updated.
    Updated(String),
    /// Several records matched.
    Multiple(Vec<String>),
}

/// Upserts one record keyed by `key_field = key` (shared with Collections).
pub fn upsert(
    org: &mut Org,
    object: &ObjectDef,
    key_field: &str,
    key: &Value,
    mut assigns: Vec<Assign>,
    user: &str,
    update_only: bool,
) -> Result<Upserted, Vec<ErrorItem>> {
    let field = object.field(key_field).cloned().ok_or_else(|| {
        vec![ErrorItem::new(
            "NOT_FOUND",
            super::errors::NOT_FOUND_MESSAGE,
        )]
    })?;
    assigns.retain(|a| a.field() != field.name);
    let matches = if field.name == "Id" {
        key.as_str()
            .and_then(ids::normalize)
            .filter(|id| org.record(&object.name, id).is_some())
            .into_iter()
            .collect()
    } else {
        org.find_by(object, &field, key)
    };
    match matches.as_slice() {
        [] if update_only || field.name == "Id" => Err(vec![ErrorItem::new(
            "NOT_FOUND",
            super::errors::NOT_FOUND_MESSAGE,
        )]),
        [] => {
            assigns.push(Assign::Value {
                field: field.name.clone(),
                value: key.clone(),
            });
            org.create(&object.name, &assigns, user)
                .map(Upserted::Created)
        }
        [one] => {
            org.update(&object.name, one, &assigns, user)?;
            Ok(Upserted::Updated(one.clone()))
        }
        many => Ok(Upserted::Multiple(many.to_vec())),
    }
}

fn by_external_id(
    state: &mut State,
    request: &RestRequest,
    object: &ObjectDef,
    field: &str,
    value: &str,
) -> RestResult {
    only(request, &["GET", "PATCH", "DELETE"])?;
    // An unknown or non-external-ID field is "not found" (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm).
    let key_field = object
        .field(field)
        .filter(|f| f.external_id || f.name == "Id")
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    let key = Value::String(value.to_owned());
    let base = request.base();
    let urls = |ids: &[String]| {
        json!(ids
            .iter()
            .map(|id| format!("{base}/sobjects/{}/{id}", object.name))
            .collect::<Vec<_>>())
    };
    if request.method == "PATCH" {
        let (body, raw) = request.json_object(&object.name)?;
        let assigns = parse_record(object, &body, &raw)?;
        if let Some(Assign::Value { value: given, .. }) =
            assigns.iter().find(|a| a.field() == key_field.name)
        {
            if given
                .as_str()
                .is_some_and(|g| !g.eq_ignore_ascii_case(value))
            {
                return Err(ApiError::invalid_field(format!(
                    "The value of the external ID field {} in the body doesn't match the value in the URL",
                    key_field.name
                )));
            }
        }
        let update_only = request.param("updateOnly") == Some("true");
        return match upsert(
            &mut state.org,
            object,
            &key_field.name,
            &key,
            assigns,
            &request.user,
            update_only,
        ) {
            Ok(Upserted::Created(id)) => Ok(RestResponse::json(
                201,
                json!({"id": id, "success": true, "errors": [], "created": true}),
            )
            .with_header("Location", format!("{base}/sobjects/{}/{id}", object.name))),
            Ok(Upserted::Updated(id)) if request.major() >= UPSERT_BODY_VERSION => {
                Ok(RestResponse::json(
                    200,
                    json!({"id": id, "success": true, "errors": [], "created": false}),
                ))
            }
            Ok(Upserted::Updated(_)) => Ok(RestResponse::empty(204)),
            Ok(Upserted::Multiple(ids)) => Ok(RestResponse::json(300, urls(&ids))),
            Err(errors) if errors.iter().any(|e| e.code == "NOT_FOUND") => {
                Err(ApiError::not_found())
            }
            Err(errors) => Err(ApiError::bad_request(errors)),
        };
    }
    let matches = if key_field.name == "Id" {
        vec![parse_id(object, value)?]
    } else {
        state.org.find_by(object, &key_field, &key)
    };
    match matches.as_slice() {
        [] => Err(ApiError::not_found()),
        [id] if request.method == "GET" => {
            let row = live(&state.org, object, id)?;
            let fields = field_list(object, request.param("fields"))?;
            Ok(RestResponse::json(
                200,
                render(object, row, &base, fields.as_deref()),
            ))
        }
        [id] => {
            delete(&mut state.org, id)?;
            Ok(RestResponse::empty(204))
        }
        many => Ok(RestResponse::json(300, urls(many))),
    }
}

/// `start`/`end` of a replication window, seconds dropped (minute granularity).
fn window(
    request: &RestRequest,
    max_days: i64,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let bad = |name: &str| {
        ApiError::one(
            400,
            ErrorItem::new(
                "INVALID_REPLICATION_DATE",
                format!("{name} date must be a valid dateTime"),
            ),
        )
    };
    let read = |name: &str| -> Result<DateTime<Utc>, ApiError> {
        let text = request.param(name).ok_or_else(|| bad(name))?;
        let at = parse_datetime(text).ok_or_else(|| bad(name))?;
        at.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .ok_or_else(|| bad(name))
    };
    let (start, end) = (read("start")?, read("end")?);
    if start >= end {
        return Err(ApiError::one(
            400,
            ErrorItem::new(
                "INVALID_REPLICATION_DATE",
                "startDate must chronologically precede endDate by more than one minute",
            ),
        ));
    }
    if start < now - ChronoDuration::days(max_days) {
        return Err(ApiError::one(
            400,
            ErrorItem::new(
                "INVALID_REPLICATION_DATE",
                format!("startDate cannot be more than {max_days} days ago"),
            ),
        ));
    }
    Ok((start, end))
}

/// `latestDateCovered`: the window's end, but never past the org's current
/// whole minute (a change can still commit inside the running minute).
/// "If there's a value, it's less than or equal to endDate"
/// (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getdeleted_getdeletedresult.htm).
fn covered(end: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    end.min(
        now.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(end),
    )
}

fn updated(state: &mut State, request: &RestRequest, object: &ObjectDef) -> RestResult {
    only(request, &["GET"])?;
    let (start, end) = window(request, UPDATED_WINDOW_DAYS, state.org.now())?;
    let ids: Vec<Value> = state
        .org
        .rows(&object.name)
        .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
        .filter(|r| {
            r.get("SystemModstamp")
                .and_then(Value::as_str)
                .and_then(parse_datetime)
                .is_some_and(|m| m >= start && m < end)
        })
        .filter_map(|r| r.get("Id").cloned())
        .collect();
    let covered = covered(end, state.org.now());
    Ok(RestResponse::json(
        200,
        json!({ "ids": ids, "latestDateCovered": format_datetime(covered) }),
    ))
}

fn deleted(state: &mut State, request: &RestRequest, object: &ObjectDef) -> RestResult {
    only(request, &["GET"])?;
    let (start, end) = window(request, DELETED_WINDOW_DAYS, state.org.now())?;
    let records: Vec<Value> = state
        .org
        .deletions
        .iter()
        .filter(|d| d.object == object.name && d.at >= start && d.at < end)
        .map(|d| json!({ "id": d.id, "deletedDate": format_datetime(d.at) }))
        .collect();
    let earliest = state
        .org
        .deletions
        .iter()
        .filter(|d| d.object == object.name)
        .map(|d| d.at)
        .min()
        .unwrap_or(start);
    let covered = covered(end, state.org.now());
    Ok(RestResponse::json(
        200,
        json!({
            "deletedRecords": records,
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": format_datetime(covered),
        }),
    ))
}
