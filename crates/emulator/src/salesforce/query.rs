//! `/query` and `/queryAll` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>): SOQL through the [`soql`]
//! module over the org's records, paged with `nextRecordsUrl`
//! (`/query/<cursorId>-<offset>`) in batches of `Sforce-Query-Options:
//! batchSize` (200–2,000, default 2,000).
//!
//! [`soql`]: super::soql

use serde_json::{json, Value};

use super::columns;
use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::ids;
use super::org::Org;
use super::soql::{self, Catalog, FieldMeta, QueryOutput, Record, RelationshipMeta};
use super::standard::prefix;
use super::state::{Cursor, State};

/// Default and largest batch.
const MAX_BATCH: usize = 2000;
/// Smallest batch a client may ask for.
const MIN_BATCH: usize = 200;
/// Open cursors kept per org (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>: there is a per-user cap).
const MAX_OPEN_CURSORS: usize = 50;

/// The org as the SOQL evaluator sees it.
pub struct OrgCatalog<'a>(pub &'a Org);

impl Catalog for OrgCatalog<'_> {
    fn object(&self, name: &str) -> Option<String> {
        self.0.object_for_caller(name).map(|o| o.name.clone())
    }

    fn field(&self, object: &str, field: &str) -> Option<FieldMeta> {
        let def = self.0.object_for_caller(object)?;
        let f = def.field(field)?;
        Some(FieldMeta {
            name: f.name.clone(),
            kind: f.ftype.kind(),
            filterable: f.is_filterable(),
        })
    }

    fn relationship(&self, object: &str, name: &str) -> Option<RelationshipMeta> {
        let def = self.0.object_for_caller(object)?;
        let f = def.relationship(name)?;
        Some(RelationshipMeta {
            name: f.relationship_name.clone()?,
            target: f.reference_to.first()?.clone(),
            id_field: f.name.clone(),
        })
    }

    fn record(&self, object: &str, id: &str) -> Option<Record> {
        let id = ids::normalize(id)?;
        // A polymorphic reference (Note.ParentId) may point at another object than the first target.
        self.0
            .record(object, &id)
            .or_else(|| self.0.locate(&id).map(|(_, r)| r))
            .cloned()
    }
}

/// Routes `/query…` and `/queryAll…`.
pub fn route(state: &mut State, request: &RestRequest, rest: &[&str]) -> RestResult {
    only(request, &["GET"])?;
    let all = request.segments[0] == "queryAll";
    match rest {
        [] => {
            let q = request.param("q").ok_or_else(|| {
                ApiError::one(
                    400,
                    ErrorItem::new("MALFORMED_QUERY", "A query string has to be specified"),
                )
            })?;
            if request.param("columns") == Some("true") {
                let prepared = prepare(&state.org, q)?;
                return Ok(RestResponse::json(
                    200,
                    columns::describe(&state.org, &prepared),
                ));
            }
            let records = run(&state.org, q, all, &request.version)?;
            Ok(first_page(state, request, records))
        }
        [locator] => next_page(state, request, locator),
        _ => Err(ApiError::not_found()),
    }
}

/// Parses `soql_text` and checks it against the org's schema (`Err` as a 400).
pub fn prepare(org: &Org, soql_text: &str) -> Result<soql::Prepared, ApiError> {
    let to_api = |e: soql::SoqlError| {
        ApiError::one(
            soql::SOQL_ERROR_STATUS,
            ErrorItem::new(e.code.as_str(), e.rendered(soql_text)),
        )
    };
    let parsed = soql::parse(soql_text).map_err(to_api)?;
    soql::prepare(&parsed, &OrgCatalog(org)).map_err(to_api)
}

/// Runs `soql` against `org` and returns the answer rows (`Err` as a 400).
pub fn run(
    org: &Org,
    soql_text: &str,
    include_deleted: bool,
    version: &str,
) -> Result<QueryOutput, ApiError> {
    let prepared = prepare(org, soql_text)?;
    let catalog = OrgCatalog(org);
    let rows: Vec<Record> = org
        .rows(prepared.object())
        .filter(|r| include_deleted || r.get("IsDeleted") != Some(&Value::Bool(true)))
        .cloned()
        .collect();
    Ok(prepared.run(&catalog, &rows, version, chrono::Utc::now()))
}

/// The batch size asked for in `Sforce-Query-Options`.
fn batch_size(request: &RestRequest) -> usize {
    request
        .header("sforce-query-options")
        .and_then(|h| {
            h.split([';', ','])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("batchSize"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        })
        .map_or(MAX_BATCH, |n| n.clamp(MIN_BATCH, MAX_BATCH))
}

fn first_page(state: &mut State, request: &RestRequest, output: QueryOutput) -> RestResponse {
    let records = match output {
        QueryOutput::Count(n) => {
            return RestResponse::json(200, json!({ "totalSize": n, "done": true, "records": [] }));
        }
        QueryOutput::Records(r) => r,
    };
    let batch = batch_size(request);
    if records.len() <= batch {
        return RestResponse::json(
            200,
            json!({ "totalSize": records.len(), "done": true, "records": records }),
        );
    }
    if state.cursors.len() >= MAX_OPEN_CURSORS {
        // Like the per-user cap on open cursors: the oldest goes first.
        if let Some(oldest) = state.cursors.keys().min().cloned() {
            state.cursors.remove(&oldest);
        }
    }
    let cursor_id = state.org.mint(prefix::QUERY_CURSOR);
    let total = records.len();
    let page: Vec<Record> = records[..batch].to_vec();
    state
        .cursors
        .insert(cursor_id.clone(), Cursor { records, batch });
    RestResponse::json(
        200,
        json!({
            "totalSize": total,
            "done": false,
            "nextRecordsUrl": format!("{}/{}/{cursor_id}-{batch}", request.base(), request.segments[0]),
            "records": page,
        }),
    )
}

fn next_page(state: &mut State, request: &RestRequest, locator: &str) -> RestResult {
    let invalid = || {
        ApiError::one(
            400,
            ErrorItem::new("INVALID_QUERY_LOCATOR", "invalid query locator"),
        )
    };
    let (cursor_id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let cursor = state.cursors.get(cursor_id).ok_or_else(invalid)?;
    if offset > cursor.records.len() {
        return Err(invalid());
    }
    let end = (offset + cursor.batch).min(cursor.records.len());
    let total = cursor.records.len();
    let page: Vec<Record> = cursor.records[offset..end].to_vec();
    let mut body = json!({ "totalSize": total, "done": end == total, "records": page });
    if end < total {
        body["nextRecordsUrl"] = json!(format!(
            "{}/{}/{cursor_id}-{end}",
            request.base(),
            request.segments[0]
        ));
    }
    Ok(RestResponse::json(200, body))
}
