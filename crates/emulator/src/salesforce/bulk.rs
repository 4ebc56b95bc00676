//! Bulk API 2.0, what `sf data import|update|upsert|delete|export bulk`,
//! simple-salesforce's `bulk2` and jsforce's `bulk2` use: ingest jobs take
//! CSV and run when the upload is complete; query jobs run a SOQL query and
//! hand its rows back as CSV pages
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/bulk_api_2_0.htm>).
//! The emulator runs a job the moment it is ready, so its next read already
//! says `JobComplete`.

use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::ids;
use super::query;
use super::schema::ObjectDef;
use super::sobjects::{resolve, upsert, Upserted};
use super::soql::QueryOutput;
use super::standard::prefix;
use super::state::State;
use super::values::{format_datetime, parse_record};

/// Rows a query results page holds when `maxRecords` is not given.
const DEFAULT_PAGE: usize = 50_000;
/// The CSV value that sets a field to null (an empty one leaves it alone).
const NULL_VALUE: &str = "#N/A";

/// A job and, once it ran, its results.
#[derive(Debug, Clone)]
pub struct BulkJob {
    info: Map<String, Value>,
    kind: Kind,
    delimiter: u8,
    crlf: bool,
    upload: Vec<u8>,
    results: Results,
}

#[derive(Debug, Clone)]
enum Kind {
    Ingest {
        object: String,
        operation: String,
        external_id: Option<String>,
    },
    Query {
        soql: String,
        all: bool,
    },
}

impl Kind {
    /// Whether this is a job of the URL's kind (`ingest` or `query`).
    fn is(&self, kind: &str) -> bool {
        matches!(
            (self, kind),
            (Kind::Ingest { .. }, "ingest") | (Kind::Query { .. }, "query")
        )
    }
}

/// What a job produced, as CSV rows (header first).
#[derive(Debug, Clone, Default)]
struct Results {
    successful: Vec<Vec<String>>,
    failed: Vec<Vec<String>>,
    rows: Vec<Vec<String>>,
}

/// Routes `/jobs/ingest…` and `/jobs/query…`.
pub fn route(state: &mut State, request: &RestRequest, rest: &[&str]) -> RestResult {
    match rest {
        [kind @ ("ingest" | "query")] => match request.method.as_str() {
            "POST" => create(state, request, kind),
            "GET" => list(state, kind),
            _ => Err(only(request, &["GET", "POST"]).unwrap_err()),
        },
        [kind @ ("ingest" | "query"), id] => match request.method.as_str() {
            "GET" => Ok(RestResponse::json(200, job(state, kind, id)?.info())),
            "PATCH" => change_state(state, request, kind, id),
            "DELETE" => {
                job(state, kind, id)?;
                state.bulk_jobs.remove(*id);
                Ok(RestResponse::empty(204))
            }
            _ => Err(only(request, &["GET", "PATCH", "DELETE"]).unwrap_err()),
        },
        ["ingest", id, "batches"] => {
            only(request, &["PUT"])?;
            upload(state, request, id)
        }
        ["ingest", id, part @ ("successfulResults" | "failedResults" | "unprocessedrecords")] => {
            only(request, &["GET"])?;
            let job = job(state, "ingest", id)?;
            let rows = match *part {
                "successfulResults" => &job.results.successful,
                "failedResults" => &job.results.failed,
                _ => &Vec::new(),
            };
            Ok(job.csv(rows))
        }
        ["query", id, "results"] => {
            only(request, &["GET"])?;
            query_page(state, request, id)
        }
        _ => Err(ApiError::not_found()),
    }
}

impl BulkJob {
    /// The job's JobInfo as Salesforce renders it.
    fn info(&self) -> Value {
        Value::Object(self.info.clone())
    }

    /// `rows` as a `text/csv` answer in the job's delimiter and line ending.
    fn csv(&self, rows: &[Vec<String>]) -> RestResponse {
        RestResponse::csv(200, write_csv(rows, self.delimiter, self.crlf))
    }

    fn set_state(&mut self, state: &str, now: &str) {
        self.info.insert("state".into(), json!(state));
        self.info.insert("systemModstamp".into(), json!(now));
    }
}

fn job<'a>(state: &'a State, kind: &str, id: &str) -> Result<&'a BulkJob, ApiError> {
    state
        .bulk_jobs
        .get(id)
        .filter(|j| j.kind.is(kind))
        .ok_or_else(ApiError::not_found)
}

/// `POST /jobs/ingest` or `POST /jobs/query`.
fn create(state: &mut State, request: &RestRequest, kind: &str) -> RestResult {
    let (body, _) = request.json_object("JobInfo")?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let operation = text("operation").ok_or_else(|| invalid_job("operation is required"))?;
    let delimiter_name = text("columnDelimiter").unwrap_or_else(|| "COMMA".into());
    let delimiter = delimiter(&delimiter_name)?;
    let line_ending = text("lineEnding").unwrap_or_else(|| "LF".into());
    if !matches!(line_ending.as_str(), "LF" | "CRLF") {
        return Err(invalid_job(format!("Invalid line ending: {line_ending}")));
    }
    let (job_kind, object) = if kind == "query" {
        let soql = text("query").ok_or_else(|| invalid_job("query is required"))?;
        let all = match operation.as_str() {
            "query" => false,
            "queryAll" => true,
            other => return Err(invalid_job(format!("Invalid operation: {other}"))),
        };
        let prepared = query::prepare(&state.org, &soql)?;
        let object = prepared.object().to_owned();
        (Kind::Query { soql, all }, object)
    } else {
        let object = text("object").ok_or_else(|| invalid_job("object is required"))?;
        let def = resolve(&state.org, &object)
            .map_err(|_| invalid_job(format!("Unable to find object: {object}")))?;
        if !matches!(
            operation.as_str(),
            "insert" | "update" | "upsert" | "delete" | "hardDelete"
        ) {
            return Err(invalid_job(format!("Invalid operation: {operation}")));
        }
        let external_id = text("externalIdFieldName");
        if operation == "upsert" && external_id.is_none() {
            return Err(invalid_job("External ID field is required for upsert"));
        }
        let kind = Kind::Ingest {
            object: def.name.clone(),
            operation: operation.clone(),
            external_id: external_id.clone(),
        };
        (kind, def.name)
    };
    let id = state.org.mint(prefix::BULK_JOB);
    let now = format_datetime(state.org.now());
    let mut info = Map::new();
    info.insert("id".into(), json!(id));
    info.insert("operation".into(), json!(operation));
    info.insert("object".into(), json!(object));
    info.insert("createdById".into(), json!(request.user));
    info.insert("createdDate".into(), json!(now));
    info.insert("systemModstamp".into(), json!(now));
    info.insert(
        "state".into(),
        json!(if kind == "query" {
            "UploadComplete"
        } else {
            "Open"
        }),
    );
    if let Kind::Ingest {
        external_id: Some(field),
        ..
    } = &job_kind
    {
        info.insert("externalIdFieldName".into(), json!(field));
    }
    info.insert("concurrencyMode".into(), json!("Parallel"));
    info.insert("contentType".into(), json!("CSV"));
    info.insert(
        "apiVersion".into(),
        json!(request.version.parse::<f64>().unwrap_or_default()),
    );
    if kind == "ingest" {
        info.insert(
            "contentUrl".into(),
            json!(format!(
                "services/data/v{}/jobs/ingest/{id}/batches",
                request.version
            )),
        );
    }
    info.insert("lineEnding".into(), json!(line_ending));
    info.insert("columnDelimiter".into(), json!(delimiter_name));
    let mut job = BulkJob {
        info,
        kind: job_kind,
        delimiter,
        crlf: line_ending == "CRLF",
        upload: Vec::new(),
        results: Results::default(),
    };
    if let Kind::Query { soql, all } = job.kind.clone() {
        run_query(state, &mut job, &soql, all, &request.version)?;
    }
    let answer = job.info();
    state.bulk_jobs.insert(id, job);
    Ok(RestResponse::json(200, answer))
}

/// `GET /jobs/ingest` or `/jobs/query`: every job of that kind.
fn list(state: &State, kind: &str) -> RestResult {
    let records: Vec<Value> = state
        .bulk_jobs
        .values()
        .filter(|j| j.kind.is(kind))
        .map(BulkJob::info)
        .collect();
    Ok(RestResponse::json(
        200,
        json!({ "done": true, "records": records, "nextRecordsUrl": null }),
    ))
}

/// `PUT /jobs/ingest/{id}/batches`: the job's CSV (one upload per job).
fn upload(state: &mut State, request: &RestRequest, id: &str) -> RestResult {
    job(state, "ingest", id)?;
    let job = state
        .bulk_jobs
        .get_mut(id)
        .ok_or_else(ApiError::not_found)?;
    if job.info["state"] != "Open" {
        return Err(ApiError::one(
            409,
            ErrorItem::new(
                "INVALIDJOBSTATE",
                "Unable to upload data: the job is not Open",
            ),
        ));
    }
    job.upload.extend_from_slice(&request.body);
    Ok(RestResponse::empty(201))
}

/// `PATCH /jobs/{kind}/{id}`: `UploadComplete` runs an ingest job, `Aborted` stops one.
fn change_state(state: &mut State, request: &RestRequest, kind: &str, id: &str) -> RestResult {
    let (body, _) = request.json_object("JobInfo")?;
    let wanted = body
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let current = job(state, kind, id)?.info["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now = format_datetime(state.org.now());
    match wanted.as_str() {
        "Aborted" if !matches!(current.as_str(), "JobComplete" | "Failed" | "Aborted") => {
            let job = state
                .bulk_jobs
                .get_mut(id)
                .ok_or_else(ApiError::not_found)?;
            job.set_state("Aborted", &now);
            Ok(RestResponse::json(200, job.info()))
        }
        "UploadComplete" if kind == "ingest" && current == "Open" => {
            let mut job = state.bulk_jobs.remove(id).ok_or_else(ApiError::not_found)?;
            job.set_state("UploadComplete", &now);
            let answer = job.info();
            run_ingest(state, &mut job, &request.user);
            job.set_state("JobComplete", &format_datetime(state.org.now()));
            state.bulk_jobs.insert(id.to_owned(), job);
            Ok(RestResponse::json(200, answer))
        }
        _ => Err(ApiError::one(
            409,
            ErrorItem::new(
                "INVALIDJOBSTATE",
                format!("Cannot change the job's state from {current} to {wanted}"),
            ),
        )),
    }
}

/// Applies every uploaded row; each succeeds or fails on its own.
fn run_ingest(state: &mut State, job: &mut BulkJob, user: &str) {
    let Kind::Ingest {
        object,
        operation,
        external_id,
    } = job.kind.clone()
    else {
        return;
    };
    // Resolved once for the whole upload; every row fails if it is gone.
    let def = resolve(&state.org, &object).ok();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(job.delimiter)
        .from_reader(job.upload.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut successful = vec![[
        &["sf__Id".to_owned(), "sf__Created".to_owned()][..],
        &header,
    ]
    .concat()];
    let mut failed = vec![[&["sf__Id".to_owned(), "sf__Error".to_owned()][..], &header].concat()];
    for row in reader.records() {
        let row: Vec<String> = match row {
            Ok(r) => r.iter().map(str::to_owned).collect(),
            Err(e) => {
                failed.push(vec![String::new(), format!("INVALID_FIELD:{e} --")]);
                continue;
            }
        };
        match apply_row(
            state,
            def.as_ref(),
            &operation,
            external_id.as_deref(),
            &header,
            &row,
            user,
        ) {
            Ok((id, created)) => {
                successful.push([vec![id, created.to_string()], row].concat());
            }
            Err((id, errors)) => failed.push([vec![id, render_errors(&errors)], row].concat()),
        }
    }
    let processed = successful.len() + failed.len() - 2;
    job.info
        .insert("numberRecordsProcessed".into(), json!(processed));
    job.info
        .insert("numberRecordsFailed".into(), json!(failed.len() - 1));
    job.results.successful = successful;
    job.results.failed = failed;
}

/// One CSV row's write: `(id, created)` or `(id if known, errors)`.
fn apply_row(
    state: &mut State,
    def: Option<&ObjectDef>,
    operation: &str,
    external_id: Option<&str>,
    header: &[String],
    row: &[String],
    user: &str,
) -> Result<(String, bool), (String, Vec<ErrorItem>)> {
    let def = def.ok_or_else(|| (String::new(), Vec::new()))?;
    let mut fields = Map::new();
    for (name, value) in header.iter().zip(row) {
        match value.as_str() {
            "" => {}
            NULL_VALUE => {
                fields.insert(name.clone(), Value::Null);
            }
            text => {
                fields.insert(name.clone(), Value::String(text.to_owned()));
            }
        }
    }
    let raw_id = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Id"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned);
    let record_id = || {
        raw_id.as_deref().and_then(ids::normalize).ok_or_else(|| {
            (
                String::new(),
                vec![ErrorItem::with_fields(
                    "MISSING_ARGUMENT",
                    "Id not specified in an update call",
                    vec!["Id".into()],
                )],
            )
        })
    };
    if matches!(operation, "delete" | "hardDelete") {
        let id = record_id()?;
        return state
            .org
            .delete(&id)
            .map(|()| (id.clone(), false))
            .map_err(|e| (id, vec![e]));
    }
    if operation == "update" {
        fields.retain(|k, _| !k.eq_ignore_ascii_case("Id"));
    }
    let text = Value::Object(fields.clone()).to_string();
    let assigns = parse_record(def, &fields, &text).map_err(|e| (String::new(), e.errors))?;
    match operation {
        "insert" => state
            .org
            .create(&def.name, &assigns, user)
            .map(|id| (id, true))
            .map_err(|e| (String::new(), e)),
        "update" => {
            let id = record_id()?;
            state
                .org
                .update(&def.name, &id, &assigns, user)
                .map(|()| (id.clone(), false))
                .map_err(|e| (id, e))
        }
        _ => {
            let field = external_id.unwrap_or("Id");
            let key = fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null);
            match upsert(&mut state.org, def, field, &key, assigns, user, false) {
                Ok(Upserted::Created(id)) => Ok((id, true)),
                Ok(Upserted::Updated(id)) => Ok((id, false)),
                Ok(Upserted::Multiple(found)) => Err((
                    String::new(),
                    vec![ErrorItem::with_fields(
                        "DUPLICATE_EXTERNAL_ID",
                        format!(
                            "{field}: more than one record found for external id field: {}",
                            found.join(", ")
                        ),
                        vec![field.to_owned()],
                    )],
                )),
                Err(e) => Err((String::new(), e)),
            }
        }
    }
}

/// `CODE:message:field --` per error, as the failed-results file writes them.
fn render_errors(errors: &[ErrorItem]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{} --",
                e.code,
                e.message,
                e.fields.clone().unwrap_or_default().join(",")
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a query job now and keeps its rows as CSV.
fn run_query(
    state: &mut State,
    job: &mut BulkJob,
    soql: &str,
    all: bool,
    version: &str,
) -> Result<(), ApiError> {
    let prepared = query::prepare(&state.org, soql)?;
    let columns: Vec<String> = prepared
        .columns()
        .iter()
        .map(|c| {
            let mut path: Vec<&str> = c.relationships.iter().map(|(r, _)| r.as_str()).collect();
            path.push(c.aggregate.as_deref().unwrap_or(&c.field));
            path.join(".")
        })
        .collect();
    let records = match query::run(&state.org, soql, all, version)? {
        QueryOutput::Records(r) => r,
        QueryOutput::Count(n) => {
            job.results.rows = vec![vec!["expr0".into()], vec![n.to_string()]];
            return Ok(());
        }
    };
    let mut rows = vec![columns.clone()];
    for record in &records {
        rows.push(columns.iter().map(|c| cell(record, c)).collect());
    }
    let now = format_datetime(state.org.now());
    job.info
        .insert("numberRecordsProcessed".into(), json!(records.len()));
    job.set_state("JobComplete", &now);
    job.results.rows = rows;
    Ok(())
}

/// A record's value at a dotted column (`Account.Name`), as CSV text.
fn cell(record: &Map<String, Value>, column: &str) -> String {
    let mut path = column.split('.');
    let value = path
        .next()
        .and_then(|first| field(record, first))
        .and_then(|v| path.try_fold(v, |v, key| field(v.as_object()?, key)));
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A member of `map` by case-insensitive name.
fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// `GET /jobs/query/{id}/results?maxRecords=N&locator=L`: one page of rows.
fn query_page(state: &State, request: &RestRequest, id: &str) -> RestResult {
    let job = job(state, "query", id)?;
    let Some((header, rows)) = job.results.rows.split_first() else {
        return Ok(job.csv(&[]));
    };
    let start: usize = match request.param("locator") {
        None | Some("") => 0,
        Some(locator) => locator.parse().map_err(|_| {
            ApiError::one(
                400,
                ErrorItem::new("INVALIDLOCATOR", format!("Invalid locator: {locator}")),
            )
        })?,
    };
    let size = request
        .param("maxRecords")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(DEFAULT_PAGE);
    let end = (start + size).min(rows.len());
    let page: Vec<Vec<String>> = std::iter::once(header.clone())
        .chain(rows.get(start..end).unwrap_or_default().iter().cloned())
        .collect();
    let locator = if end < rows.len() {
        end.to_string()
    } else {
        "null".into()
    };
    Ok(job
        .csv(&page)
        .with_header("Sforce-Locator", locator)
        .with_header("Sforce-NumberOfRecords", (page.len() - 1).to_string()))
}

/// Writes `rows` as CSV, every field quoted as Salesforce does.
fn write_csv(rows: &[Vec<String>], delimiter: u8, crlf: bool) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(csv::QuoteStyle::Always)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The byte behind a `columnDelimiter` name.
fn delimiter(name: &str) -> Result<u8, ApiError> {
    match name {
        "COMMA" => Ok(b','),
        "SEMICOLON" => Ok(b';'),
        "TAB" => Ok(b'\t'),
        "PIPE" => Ok(b'|'),
        "CARET" => Ok(b'^'),
        "BACKQUOTE" => Ok(b'`'),
        _ => Err(invalid_job(format!("Invalid column delimiter: {name}"))),
    }
}

/// `400 INVALIDJOB`, Bulk API 2.0's refusal of a job definition.
fn invalid_job(message: impl Into<String>) -> ApiError {
    ApiError::one(400, ErrorItem::new("INVALIDJOB", message))
}
