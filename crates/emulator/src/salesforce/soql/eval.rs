//! Resolves a parsed query against the [`Catalog`] (names, types) and runs it
//! over stored records: filter, sort, offset, limit, then shape each record as
//! the REST API returns it.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::ast::{
    CompareOp, Condition, DateRange, FieldPath, LikeElem, Literal, Query, SelectItem,
};
use super::errors::{SoqlError, SoqlErrorCode};
use super::value::{compare, fold, id15, is_valid_id, Typed};
use super::{Catalog, FieldKind, FieldMeta, QueryOutput, Record, RelationshipMeta, SelectedColumn};

/// Largest `OFFSET` SOQL accepts (SOQL reference, "OFFSET").
pub const MAX_OFFSET: u64 = 2000;

/// `attributes.type` of aggregate query rows.
const AGGREGATE_RESULT_TYPE: &str = "AggregateResult";

/// Runs `query` over `rows` (records of the query's object, already filtered for
/// deletion by the caller) at the current time.
pub fn execute(
    query: &Query,
    catalog: &dyn Catalog,
    rows: &[Record],
    api_version: &str,
) -> Result<QueryOutput, SoqlError> {
    execute_at(query, catalog, rows, api_version, Utc::now())
}

/// [`execute`] with an explicit "now", which relative date literals use.
pub fn execute_at(
    query: &Query,
    catalog: &dyn Catalog,
    rows: &[Record],
    api_version: &str,
    now: DateTime<Utc>,
) -> Result<QueryOutput, SoqlError> {
    Ok(prepare(query, catalog)?.run(catalog, rows, api_version, now))
}

/// A query whose names and literal types were checked against the catalog.
/// The server can call [`prepare`] first to learn [`Prepared::object`] and
/// reject bad queries before loading records.
#[derive(Debug, Clone)]
pub struct Prepared {
    object: String,
    select: Selection,
    filter: Option<Filter>,
    order: Vec<SortKey>,
    limit: Option<u64>,
    offset: u64,
}

/// What the query returns.
#[derive(Debug, Clone)]
enum Selection {
    Fields(Vec<Path>),
    CountAll,
    Aggregates(Vec<(String, Path)>),
}

/// A field path resolved to relationships and a final field.
#[derive(Debug, Clone)]
struct Path {
    rels: Vec<RelationshipMeta>,
    field: FieldMeta,
}

/// The right-hand side of a filter, typed for its field.
#[derive(Debug, Clone)]
enum Operand {
    Null,
    Value(Typed),
    Range(DateRange),
}

#[derive(Debug, Clone)]
enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        path: Path,
        op: CompareOp,
        operand: Operand,
    },
    In {
        path: Path,
        negated: bool,
        operands: Vec<Operand>,
    },
    Like {
        path: Path,
        pattern: Vec<LikeElem>,
    },
}

#[derive(Debug, Clone)]
struct SortKey {
    path: Path,
    descending: bool,
    nulls_first: bool,
}

/// Checks `query` against `catalog`: object, fields, relationships, literal types.
pub fn prepare(query: &Query, catalog: &dyn Catalog) -> Result<Prepared, SoqlError> {
    let object = catalog
        .object(&query.from)
        .ok_or_else(|| SoqlError::invalid_type(&query.from).at(query.from_at))?;
    let select = resolve_selection(&query.select, &object, catalog)?;
    let filter = query
        .filter
        .as_ref()
        .map(|c| resolve_filter(c, &object, catalog))
        .transpose()?;
    let order = query
        .order_by
        .iter()
        .map(|k| {
            Ok(SortKey {
                path: resolve_path(&k.field, &object, catalog)?,
                descending: k.descending,
                nulls_first: k.nulls_first,
            })
        })
        .collect::<Result<_, SoqlError>>()?;
    let offset = query.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(SoqlError {
            code: SoqlErrorCode::NumberOutsideValidRange,
            message: format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
            at: None,
        });
    }
    Ok(Prepared {
        object,
        select,
        filter,
        order,
        limit: query.limit,
        offset,
    })
}

fn resolve_path(path: &FieldPath, object: &str, catalog: &dyn Catalog) -> Result<Path, SoqlError> {
    walk_path(path, object, catalog).map_err(|e| e.at(path.at))
}

fn walk_path(path: &FieldPath, object: &str, catalog: &dyn Catalog) -> Result<Path, SoqlError> {
    let (last, parents) = path
        .segments
        .split_last()
        .expect("the parser yields at least one segment");
    let mut current = object.to_string();
    let mut rels = Vec::with_capacity(parents.len());
    for name in parents {
        let rel = catalog
            .relationship(&current, name)
            .ok_or_else(|| SoqlError::unknown_relationship(name))?;
        current.clone_from(&rel.target);
        rels.push(rel);
    }
    let field = catalog
        .field(&current, last)
        .ok_or_else(|| SoqlError::no_such_column(last, &current))?;
    Ok(Path { rels, field })
}

impl Path {
    /// Canonical dotted name, lower-cased, to detect duplicates.
    fn key(&self) -> String {
        let mut parts: Vec<&str> = self.rels.iter().map(|r| r.name.as_str()).collect();
        parts.push(&self.field.name);
        parts.join(".").to_ascii_lowercase()
    }

    /// The stored value at the end of the path, following parents through the catalog.
    fn value(&self, row: &Record, catalog: &dyn Catalog) -> Option<Value> {
        if self.rels.is_empty() {
            return row.get(&self.field.name).cloned();
        }
        let mut current: Option<Record> = None;
        for rel in &self.rels {
            let holder = current.as_ref().unwrap_or(row);
            let id = holder.get(&rel.id_field)?.as_str()?;
            current = Some(catalog.record(&rel.target, id)?);
        }
        current?.get(&self.field.name).cloned()
    }

    fn typed(&self, row: &Record, catalog: &dyn Catalog) -> Typed {
        Typed::from_json(self.field.kind, self.value(row, catalog).as_ref())
    }
}

fn resolve_selection(
    items: &[SelectItem],
    object: &str,
    catalog: &dyn Catalog,
) -> Result<Selection, SoqlError> {
    if matches!(items, [SelectItem::CountAll]) {
        return Ok(Selection::CountAll);
    }
    let mut fields = Vec::new();
    let mut aggregates = Vec::new();
    let mut seen = HashSet::new();
    let mut unnamed = 0;
    for item in items {
        match item {
            SelectItem::Field(path) => {
                let resolved = resolve_path(path, object, catalog)?;
                if !seen.insert(resolved.key()) {
                    return Err(SoqlError::malformed(format!(
                        "duplicate field selected: {}",
                        path.dotted()
                    )));
                }
                fields.push((path, resolved));
            }
            SelectItem::Count { field, alias } => {
                let resolved = resolve_path(field, object, catalog)?;
                let name = alias.clone().unwrap_or_else(|| {
                    let name = format!("expr{unnamed}");
                    unnamed += 1;
                    name
                });
                aggregates.push((name, resolved));
            }
            SelectItem::CountAll => return Err(SoqlError::unexpected("COUNT")),
        }
    }
    if aggregates.is_empty() {
        return Ok(Selection::Fields(
            fields.into_iter().map(|(_, p)| p).collect(),
        ));
    }
    // Without GROUP BY, every selected field must be aggregated.
    if let Some((path, _)) = fields.first() {
        return Err(SoqlError::malformed(format!(
            "Field must be grouped or aggregated: {}",
            path.dotted()
        )));
    }
    Ok(Selection::Aggregates(aggregates))
}

/// A field path a WHERE clause may use: long text areas are refused.
fn filter_path(field: &FieldPath, object: &str, catalog: &dyn Catalog) -> Result<Path, SoqlError> {
    let path = resolve_path(field, object, catalog)?;
    if !path.field.filterable {
        return Err(SoqlError::invalid_field(format!(
            "field '{}' can not be filtered in a query call",
            path.field.name
        ))
        .at(field.at));
    }
    Ok(path)
}

fn resolve_filter(
    cond: &Condition,
    object: &str,
    catalog: &dyn Catalog,
) -> Result<Filter, SoqlError> {
    let all = |parts: &[Condition]| -> Result<Vec<Filter>, SoqlError> {
        parts
            .iter()
            .map(|c| resolve_filter(c, object, catalog))
            .collect()
    };
    Ok(match cond {
        Condition::And(parts) => Filter::And(all(parts)?),
        Condition::Or(parts) => Filter::Or(all(parts)?),
        Condition::Not(inner) => Filter::Not(Box::new(resolve_filter(inner, object, catalog)?)),
        Condition::Compare { field, op, value } => {
            let path = filter_path(field, object, catalog)?;
            let operand = operand(&path.field, value)?;
            Filter::Compare {
                path,
                op: *op,
                operand,
            }
        }
        Condition::In {
            field,
            negated,
            values,
        } => {
            let path = filter_path(field, object, catalog)?;
            let operands = values
                .iter()
                .map(|v| operand(&path.field, v))
                .collect::<Result<_, _>>()?;
            Filter::In {
                path,
                negated: *negated,
                operands,
            }
        }
        Condition::Like { field, pattern } => {
            let path = filter_path(field, object, catalog)?;
            if !path.field.kind.is_text() {
                // [I] Salesforce rejects LIKE on non-text fields; the exact text is unverified.
                return Err(SoqlError::invalid_filter(format!(
                    "invalid operator on {} field: {}",
                    type_name(path.field.kind),
                    path.field.name
                )));
            }
            Filter::Like {
                path,
                pattern: pattern.clone(),
            }
        }
    })
}

/// The type name Salesforce uses in "must be of type …" filter errors.
fn type_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Id | FieldKind::Reference => "id",
        FieldKind::Boolean => "boolean",
        FieldKind::Int => "integer",
        FieldKind::Double | FieldKind::Currency | FieldKind::Percent => "double",
        FieldKind::Date => "date",
        FieldKind::DateTime => "dateTime",
        _ => "string",
    }
}

/// Types `literal` for `field`, rejecting literals of another type the way
/// Salesforce does ("value of filter criterion for field 'CloseDate' must be of
/// type date and should not be enclosed in quotes").
fn operand(field: &FieldMeta, literal: &Literal) -> Result<Operand, SoqlError> {
    let kind = field.kind;
    let mismatch = || {
        SoqlError::wrong_value_type(&field.name, type_name(kind), kind.is_text() || kind.is_id())
    };
    Ok(match literal {
        Literal::Null => Operand::Null,
        Literal::String(s) if kind.is_text() => Operand::Value(Typed::Text(s.clone())),
        Literal::String(s) if kind.is_id() => {
            if !is_valid_id(s) {
                return Err(SoqlError::invalid_filter(format!("invalid ID field: {s}")));
            }
            Operand::Value(Typed::Id(id15(s).to_string()))
        }
        Literal::Number(n) if kind.is_numeric() => Operand::Value(Typed::Number(*n)),
        Literal::Boolean(b) if kind == FieldKind::Boolean => Operand::Value(Typed::Bool(*b)),
        Literal::Date(d) if kind == FieldKind::Date => Operand::Value(Typed::Date(*d)),
        // Stored datetimes are whole seconds and comparisons ignore a
        // literal's milliseconds (https://salesforce.stackexchange.com/questions/234824).
        Literal::DateTime(dt) if kind == FieldKind::DateTime => {
            let utc = dt.with_timezone(&Utc);
            Operand::Value(Typed::DateTime(
                DateTime::from_timestamp(utc.timestamp(), 0).unwrap_or(utc),
            ))
        }
        Literal::DateRange(r) if matches!(kind, FieldKind::Date | FieldKind::DateTime) => {
            Operand::Range(*r)
        }
        _ => return Err(mismatch()),
    })
}

impl Prepared {
    /// Canonical name of the queried object, whose records the caller passes to [`Self::run`].
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The selected columns in select order (none for `COUNT()`).
    pub fn columns(&self) -> Vec<SelectedColumn> {
        let column = |path: &Path, aggregate: Option<String>| SelectedColumn {
            relationships: path
                .rels
                .iter()
                .map(|r| (r.name.clone(), r.target.clone()))
                .collect(),
            object: path
                .rels
                .last()
                .map_or_else(|| self.object.clone(), |r| r.target.clone()),
            field: path.field.name.clone(),
            kind: path.field.kind,
            aggregate,
        };
        match &self.select {
            Selection::CountAll => Vec::new(),
            Selection::Fields(paths) => paths.iter().map(|p| column(p, None)).collect(),
            Selection::Aggregates(items) => items
                .iter()
                .map(|(name, p)| column(p, Some(name.clone())))
                .collect(),
        }
    }

    /// Filters, sorts, pages and shapes `rows` as of `now`.
    pub fn run(
        &self,
        catalog: &dyn Catalog,
        rows: &[Record],
        api_version: &str,
        now: DateTime<Utc>,
    ) -> QueryOutput {
        let today = now.date_naive();
        let mut matched: Vec<&Record> = rows
            .iter()
            .filter(|row| {
                self.filter
                    .as_ref()
                    .is_none_or(|f| matches(f, row, catalog, today))
            })
            .collect();
        match &self.select {
            Selection::CountAll => QueryOutput::Count(self.page(matched.len())),
            Selection::Aggregates(items) => {
                let mut record = Map::new();
                record.insert(
                    "attributes".into(),
                    json!({ "type": AGGREGATE_RESULT_TYPE }),
                );
                for (name, path) in items {
                    let count = matched
                        .iter()
                        .filter(|row| path.typed(row, catalog) != Typed::Null)
                        .count();
                    record.insert(name.clone(), json!(count));
                }
                QueryOutput::Records(vec![record])
            }
            Selection::Fields(paths) => {
                self.sort(&mut matched, catalog);
                let version = api_version.trim_start_matches('v');
                let start = usize::try_from(self.offset).unwrap_or(usize::MAX);
                let take = self.page(matched.len());
                let records = matched
                    .into_iter()
                    .skip(start)
                    .take(take)
                    .map(|row| shape(row, &self.object, paths, catalog, version))
                    .collect();
                QueryOutput::Records(records)
            }
        }
    }

    /// How many of `total` matching rows survive OFFSET and LIMIT.
    fn page(&self, total: usize) -> usize {
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let after_offset = total.saturating_sub(offset);
        match self.limit {
            Some(limit) => after_offset.min(usize::try_from(limit).unwrap_or(usize::MAX)),
            None => after_offset,
        }
    }

    fn sort(&self, rows: &mut Vec<&Record>, catalog: &dyn Catalog) {
        if self.order.is_empty() {
            return;
        }
        let mut keyed: Vec<(Vec<Typed>, &Record)> = rows
            .iter()
            .map(|row| {
                let keys = self
                    .order
                    .iter()
                    .map(|k| k.path.typed(row, catalog))
                    .collect();
                (keys, *row)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            for (key, (x, y)) in self.order.iter().zip(a.iter().zip(b)) {
                let ord = match (x, y) {
                    (Typed::Null, Typed::Null) => Ordering::Equal,
                    (Typed::Null, _) if key.nulls_first => Ordering::Less,
                    (Typed::Null, _) => Ordering::Greater,
                    (_, Typed::Null) if key.nulls_first => Ordering::Greater,
                    (_, Typed::Null) => Ordering::Less,
                    _ => {
                        let ord = compare(x, y).unwrap_or(Ordering::Equal);
                        if key.descending {
                            ord.reverse()
                        } else {
                            ord
                        }
                    }
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        *rows = keyed.into_iter().map(|(_, row)| row).collect();
    }
}

fn matches(filter: &Filter, row: &Record, catalog: &dyn Catalog, today: NaiveDate) -> bool {
    match filter {
        Filter::And(parts) => parts.iter().all(|f| matches(f, row, catalog, today)),
        Filter::Or(parts) => parts.iter().any(|f| matches(f, row, catalog, today)),
        Filter::Not(inner) => !matches(inner, row, catalog, today),
        Filter::Compare { path, op, operand } => {
            compare_operand(&path.typed(row, catalog), *op, operand, today)
        }
        Filter::In {
            path,
            negated,
            operands,
        } => {
            let value = path.typed(row, catalog);
            let found = operands
                .iter()
                .any(|o| compare_operand(&value, CompareOp::Eq, o, today));
            found != *negated
        }
        Filter::Like { path, pattern } => match path.typed(row, catalog) {
            Typed::Text(text) => like(&fold(&text), pattern),
            _ => false,
        },
    }
}

/// One comparison. A null field matches `= null`, `!= value` and nothing else
/// (SOQL's `!=` includes records whose field is null, unlike SQL).
fn compare_operand(value: &Typed, op: CompareOp, operand: &Operand, today: NaiveDate) -> bool {
    let is_null = *value == Typed::Null;
    match operand {
        Operand::Null => match op {
            CompareOp::Eq => is_null,
            CompareOp::Ne => !is_null,
            _ => false,
        },
        _ if is_null => op == CompareOp::Ne,
        Operand::Value(target) => {
            let Some(ord) = compare(value, target) else {
                return false;
            };
            match op {
                CompareOp::Eq => ord == Ordering::Equal,
                CompareOp::Ne => ord != Ordering::Equal,
                CompareOp::Lt => ord == Ordering::Less,
                CompareOp::Le => ord != Ordering::Greater,
                CompareOp::Gt => ord == Ordering::Greater,
                CompareOp::Ge => ord != Ordering::Less,
            }
        }
        Operand::Range(range) => {
            let Some(day) = value.day() else {
                return false;
            };
            let (start, end) = range_bounds(*range, today);
            let within = start <= day && day <= end;
            match op {
                CompareOp::Eq => within,
                CompareOp::Ne => !within,
                CompareOp::Lt => day < start,
                CompareOp::Le => day <= end,
                CompareOp::Gt => day > end,
                CompareOp::Ge => day >= start,
            }
        }
    }
}

/// Days in a week, for week ranges.
const DAYS_PER_WEEK: u64 = 7;

/// First and last day (inclusive) of a relative date range, per the SOQL
/// reference's "Date Literals" table; weeks start on Sunday (en_US locale).
fn range_bounds(range: DateRange, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let minus = |d: NaiveDate, n: u64| d.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN);
    let plus = |d: NaiveDate, n: u64| d.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX);
    let week = minus(today, u64::from(today.weekday().num_days_from_sunday()));
    let month = today.with_day(1).unwrap_or(today);
    let month_span = |first: NaiveDate| {
        let next = first
            .checked_add_months(Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        (first, minus(next, 1))
    };
    let year_span = |year: i32| {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
        let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        (first, last)
    };
    match range {
        DateRange::Yesterday => (minus(today, 1), minus(today, 1)),
        DateRange::Today => (today, today),
        DateRange::Tomorrow => (plus(today, 1), plus(today, 1)),
        DateRange::LastWeek => (minus(week, DAYS_PER_WEEK), minus(week, 1)),
        DateRange::ThisWeek => (week, plus(week, DAYS_PER_WEEK - 1)),
        DateRange::NextWeek => (plus(week, DAYS_PER_WEEK), plus(week, 2 * DAYS_PER_WEEK - 1)),
        DateRange::LastMonth => month_span(
            month
                .checked_sub_months(Months::new(1))
                .unwrap_or(NaiveDate::MIN),
        ),
        DateRange::ThisMonth => month_span(month),
        DateRange::NextMonth => month_span(
            month
                .checked_add_months(Months::new(1))
                .unwrap_or(NaiveDate::MAX),
        ),
        DateRange::LastYear => year_span(today.year() - 1),
        DateRange::ThisYear => year_span(today.year()),
        DateRange::NextYear => year_span(today.year() + 1),
        // "Starts 00:00:00 of the current day and continues for the past n days."
        DateRange::LastNDays(n) => (minus(today, u64::from(n)), today),
        // "Starts 00:00:00 of the next day and continues for the next n days."
        DateRange::NextNDays(n) => (plus(today, 1), plus(today, u64::from(n))),
        DateRange::NDaysAgo(n) => (minus(today, u64::from(n)), minus(today, u64::from(n))),
    }
}

/// Matches already case-folded `text` against `pattern` (`%` any run, `_` one char).
fn like(text: &str, pattern: &[LikeElem]) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<LikeElem> = pattern
        .iter()
        .map(|e| match e {
            LikeElem::Char(c) => fold(&c.to_string())
                .chars()
                .next()
                .map_or(*e, LikeElem::Char),
            other => *other,
        })
        .collect();
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(LikeElem::Many) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeElem::One) => {
                t += 1;
                p += 1;
            }
            Some(LikeElem::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|e| *e == LikeElem::Many)
}

/// Shapes one record: `attributes`, then the selected fields in select order,
/// parent fields nested under their relationship name (null when unset).
fn shape(
    row: &Record,
    object: &str,
    paths: &[Path],
    catalog: &dyn Catalog,
    version: &str,
) -> Record {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(object, row, version));
    for path in paths {
        insert_path(&mut out, row, &path.rels, &path.field, catalog, version);
    }
    out
}

fn attributes(object: &str, row: &Record, version: &str) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    json!({
        "type": object,
        "url": format!("/services/data/v{version}/sobjects/{object}/{id}"),
    })
}

fn insert_path(
    out: &mut Record,
    row: &Record,
    rels: &[RelationshipMeta],
    field: &FieldMeta,
    catalog: &dyn Catalog,
    version: &str,
) {
    let Some((rel, rest)) = rels.split_first() else {
        out.insert(
            field.name.clone(),
            row.get(&field.name).cloned().unwrap_or(Value::Null),
        );
        return;
    };
    let parent = row
        .get(&rel.id_field)
        .and_then(Value::as_str)
        .and_then(|id| catalog.record(&rel.target, id));
    let slot = out
        .entry(rel.name.clone())
        .or_insert_with(|| match &parent {
            Some(p) => {
                let mut nested = Map::new();
                nested.insert("attributes".into(), attributes(&rel.target, p, version));
                Value::Object(nested)
            }
            None => Value::Null,
        });
    if let (Value::Object(nested), Some(parent)) = (slot, parent) {
        insert_path(nested, &parent, rest, field, catalog, version);
    }
}
