//! The emulated org's data: schema, records, the monotonic write clock, and
//! the DML rules every write goes through (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>, <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm>): read-only
//! fields, lengths, picklists, references, required fields, unique values,
//! Opportunity stage derivations and cascading deletes.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::errors::{entity_deleted, malformed_id, ErrorItem};
use super::ids;
use super::schema::{FieldDef, FieldType, ObjectDef};
use super::soql::Record;
use super::standard::Currency;
use super::values::{format_datetime, Assign};

/// Errors of one record's write.
pub type RecordErrors = Vec<ErrorItem>;

/// Message of `INVALID_FIELD_FOR_INSERT_UPDATE` for fields the caller may not set.
fn read_only_message(fields: &[String]) -> String {
    format!(
        "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
        fields.join(", ")
    )
}

/// A deleted row, kept for getDeleted.
#[derive(Debug, Clone)]
pub struct Deletion {
    /// Object API name.
    pub object: String,
    /// Record ID.
    pub id: String,
    /// When it was deleted.
    pub at: DateTime<Utc>,
}

/// Schema and data of the org.
#[derive(Debug, Clone)]
pub struct Org {
    /// 18-char organization ID (`00D…`).
    pub org_id: String,
    /// Objects by lower-cased API name.
    objects: BTreeMap<String, ObjectDef>,
    /// Records per canonical object name, by 18-char ID.
    data: HashMap<String, BTreeMap<String, Record>>,
    /// Deletions, oldest first.
    pub deletions: Vec<Deletion>,
    counter: u64,
    last_stamp: DateTime<Utc>,
    /// How far the org's clock runs ahead of real time (tests move it
    /// instead of sleeping).
    clock_ahead: ChronoDuration,
    /// Currencies when the org is multi-currency.
    pub currency: Option<Currency>,
    /// The integration (admin) user.
    pub admin_id: String,
    /// The seller users that in-process edits are made as.
    pub seller_ids: Vec<String>,
    next_custom_prefix: u32,
    /// The record most recently written (for realistic injected lock errors).
    pub last_written: Option<String>,
    /// Enforces the enterprise profile's validation and duplicate rules.
    pub org_rules: bool,
    /// Opportunity record types and their sales processes, when the org has
    /// them ([`super::record_types`]).
    pub sales_processes: Option<super::record_types::SalesProcesses>,
    /// State and Country/Territory Picklists are on ([`super::countries`]).
    pub country_picklists: bool,
    /// Enforces field-level security and object permissions per user
    /// ([`super::security`]).
    pub field_security: bool,
    /// What the API call being served asks of those rules.
    pub call: super::org_rules::CallContext,
}

impl Org {
    /// An org with no objects; [`super::seed`] fills it.
    pub fn empty(currency: Option<Currency>) -> Self {
        let mut org = Self {
            org_id: String::new(),
            objects: BTreeMap::new(),
            data: HashMap::new(),
            deletions: Vec::new(),
            counter: 0,
            last_stamp: DateTime::<Utc>::UNIX_EPOCH,
            clock_ahead: ChronoDuration::zero(),
            currency,
            admin_id: String::new(),
            seller_ids: Vec::new(),
            next_custom_prefix: 0,
            last_written: None,
            org_rules: false,
            field_security: false,
            country_picklists: false,
            sales_processes: None,
            call: super::org_rules::CallContext::default(),
        };
        org.org_id = org.mint(super::standard::prefix::ORGANIZATION);
        org
    }

    /// A fresh ID with `prefix`.
    pub fn mint(&mut self, prefix: &str) -> String {
        self.counter += 1;
        ids::mint(prefix, self.counter)
    }

    /// Next key prefix for a custom object: `a0X`, `a0Y`, `a0Z`, `a10`, …
    pub fn next_custom_prefix(&mut self) -> String {
        /// Base-62 index of 'X', so the first custom object is `a0X` (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>).
        const FIRST: u32 = 33;
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let n = FIRST + self.next_custom_prefix;
        self.next_custom_prefix += 1;
        let hi = BASE62[((n / 62) % 62) as usize] as char;
        let lo = BASE62[(n % 62) as usize] as char;
        format!("a{hi}{lo}")
    }

    /// The write clock: whole seconds, never going back. Salesforce keeps
    /// datetimes to the second (the API shows `.000`), so writes within one
    /// second tie and a poller must take `>=` its watermark and break ties by
    /// ID ("The system currently ignores the milliseconds",
    /// https://salesforce.stackexchange.com/questions/234824).
    pub fn tick(&mut self) -> DateTime<Utc> {
        let now = self.now();
        let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let next = now.max(self.last_stamp);
        self.last_stamp = next;
        next
    }

    /// The org's current time: real time plus how far tests moved the
    /// clock ahead. The replication resources cover up to here.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_ahead
    }

    /// Moves the write clock `by` further ahead of real time.
    pub fn advance_clock(&mut self, by: ChronoDuration) {
        self.clock_ahead += by;
    }

    /// Adds or replaces an object.
    pub fn put_object(&mut self, object: ObjectDef) {
        self.data.entry(object.name.clone()).or_default();
        self.objects
            .insert(object.name.to_ascii_lowercase(), object);
    }

    /// An object by API name, case-insensitively.
    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.get(&name.to_ascii_lowercase())
    }

    /// Mutable object by API name.
    pub fn object_mut(&mut self, name: &str) -> Option<&mut ObjectDef> {
        self.objects.get_mut(&name.to_ascii_lowercase())
    }

    /// All objects, by name.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectDef> {
        self.objects.values()
    }

    /// The object whose key prefix starts `id`.
    pub fn object_for_id(&self, id: &str) -> Option<&ObjectDef> {
        let prefix = ids::prefix(id);
        self.objects.values().find(|o| o.key_prefix == prefix)
    }

    /// Adds a field to `object`, giving existing records its default.
    pub fn add_field(&mut self, object: &str, field: FieldDef, now: DateTime<Utc>) {
        let Some(def) = self.object_mut(object) else {
            return;
        };
        let name = def.name.clone();
        let default = match field.ftype {
            FieldType::Boolean => field.default_value.clone().unwrap_or(Value::Bool(false)),
            _ => Value::Null,
        };
        let field_name = field.name.clone();
        // Custom fields go before the audit fields only for readability; order is describe order.
        def.fields.push(field);
        def.schema_changed = now;
        if let Some(rows) = self.data.get_mut(&name) {
            for row in rows.values_mut() {
                row.insert(field_name.clone(), default.clone());
            }
        }
    }

    /// A record (deleted ones included) by canonical object and 18-char ID.
    pub fn record(&self, object: &str, id: &str) -> Option<&Record> {
        self.data.get(object)?.get(id)
    }

    /// Any record by 18-char ID, with its object.
    pub fn locate(&self, id: &str) -> Option<(&ObjectDef, &Record)> {
        let object = self.object_for_id(id)?;
        Some((object, self.record(&object.name, id)?))
    }

    /// All rows of `object` (deleted ones included), in ID order.
    pub fn rows(&self, object: &str) -> impl Iterator<Item = &Record> {
        self.data.get(object).into_iter().flat_map(|m| m.values())
    }

    /// Live rows of `object` whose `field` equals `value` (text compared
    /// case-insensitively, as external IDs are unless case-sensitive).
    pub fn find_by(&self, object: &ObjectDef, field: &FieldDef, value: &Value) -> Vec<String> {
        self.rows(&object.name)
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
            .filter(|r| {
                r.get(&field.name)
                    .is_some_and(|v| same_value(field, v, value))
            })
            .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// Inserts a row as the platform itself would (seed data): no DML rules,
    /// every field present, stamps set, derived values computed.
    pub fn insert_raw(&mut self, object: &str, values: Map<String, Value>, actor: &str) -> String {
        let Some(def) = self.object(object).cloned() else {
            return String::new();
        };
        let id = match values.get("Id").and_then(Value::as_str) {
            Some(given) => given.to_owned(),
            None => self.mint(&def.key_prefix),
        };
        let actor = if actor.is_empty() {
            id.clone()
        } else {
            actor.to_owned()
        };
        let stamp = format_datetime(self.tick());
        let mut row = Map::new();
        for field in &def.fields {
            let value = match field.name.as_str() {
                "Id" => json!(id),
                "CreatedDate" | "LastModifiedDate" | "SystemModstamp" => json!(stamp),
                "CreatedById" | "LastModifiedById" | "OwnerId" => values
                    .get(&field.name)
                    .cloned()
                    .unwrap_or_else(|| json!(actor)),
                name => values.get(name).cloned().unwrap_or_else(|| {
                    field
                        .default_value
                        .clone()
                        .unwrap_or(if field.ftype == FieldType::Boolean {
                            json!(false)
                        } else {
                            Value::Null
                        })
                }),
            };
            row.insert(field.name.clone(), value);
        }
        let changed: HashSet<String> = values.keys().cloned().collect();
        self.derive(&def, &mut row, &changed, true);
        self.data
            .entry(def.name.clone())
            .or_default()
            .insert(id.clone(), row);
        id
    }

    /// Inserts a record after every DML rule; returns its ID.
    pub fn create(
        &mut self,
        object: &str,
        assigns: &[Assign],
        actor: &str,
    ) -> Result<String, RecordErrors> {
        let def = self.object(object).cloned().ok_or_else(|| {
            vec![ErrorItem::new(
                "NOT_FOUND",
                super::errors::NOT_FOUND_MESSAGE,
            )]
        })?;
        if !def.createable {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_TYPE_FOR_OPERATION",
                format!("entity type {} does not support insert", def.name),
                Vec::new(),
            )]);
        }
        if assigns.iter().any(|a| a.field() == "Id") {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "cannot specify Id in an insert call",
                Vec::new(),
            )]);
        }
        let changes = self.check(&def, None, assigns)?;
        if let Some(existing) = self.special_create(&def, &changes)? {
            let rest: Vec<Assign> = assigns
                .iter()
                .filter(|a| def.field(a.field()).is_some_and(|f| f.updateable))
                .cloned()
                .collect();
            self.update(&def.name, &existing, &rest, actor)?;
            return Ok(existing);
        }
        let id = self.mint(&def.key_prefix);
        let stamp = format_datetime(self.tick());
        let mut row = Map::new();
        for field in &def.fields {
            let value = match field.name.as_str() {
                "Id" => json!(id),
                "IsDeleted" => json!(false),
                "CreatedDate" | "LastModifiedDate" | "SystemModstamp" => json!(stamp),
                "CreatedById" | "LastModifiedById" => json!(actor),
                "OwnerId" => changes
                    .get("OwnerId")
                    .cloned()
                    .unwrap_or_else(|| json!(actor)),
                name => match changes.get(name) {
                    Some(v) => v.clone(),
                    None => field.default_value.clone().unwrap_or(
                        if field.ftype == FieldType::Boolean {
                            json!(false)
                        } else {
                            Value::Null
                        },
                    ),
                },
            };
            row.insert(field.name.clone(), value);
        }
        let changed: HashSet<String> = changes.keys().cloned().collect();
        self.derive(&def, &mut row, &changed, true);
        self.sync_countries(&def, &mut row, &changed)?;
        self.enforce_sales_process(&def, &mut row, true)?;
        self.check_permission_row(&def, &row)?;
        self.enforce_org_rules(&def, None, &row)?;
        self.data
            .entry(def.name.clone())
            .or_default()
            .insert(id.clone(), row);
        self.last_written = Some(id.clone());
        Ok(id)
    }

    /// Updates a live record after every DML rule.
    pub fn update(
        &mut self,
        object: &str,
        id: &str,
        assigns: &[Assign],
        actor: &str,
    ) -> Result<(), RecordErrors> {
        let def = self.object(object).cloned().ok_or_else(|| {
            vec![ErrorItem::new(
                "NOT_FOUND",
                super::errors::NOT_FOUND_MESSAGE,
            )]
        })?;
        let existing = match self.record(&def.name, id) {
            None => {
                return Err(vec![ErrorItem::with_fields(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    Vec::new(),
                )])
            }
            Some(r) if r.get("IsDeleted") == Some(&Value::Bool(true)) => {
                return Err(vec![entity_deleted()])
            }
            Some(r) => r.clone(),
        };
        if !def.updateable {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_TYPE_FOR_OPERATION",
                format!("entity type {} does not support update", def.name),
                Vec::new(),
            )]);
        }
        // An `Id` in the body is tolerated when it names the record itself.
        let mut kept = Vec::with_capacity(assigns.len());
        for a in assigns {
            match a {
                Assign::Value { field, value } if field == "Id" => {
                    let same = value.as_str().and_then(ids::normalize).as_deref() == Some(id);
                    if !same {
                        return Err(vec![ErrorItem::with_fields(
                            "INVALID_FIELD_FOR_INSERT_UPDATE",
                            read_only_message(&["Id".into()]),
                            vec!["Id".into()],
                        )]);
                    }
                }
                other => kept.push(other.clone()),
            }
        }
        let changes = self.check(&def, Some(&existing), &kept)?;
        let stamp = format_datetime(self.tick());
        let before = existing.clone();
        let mut row = existing;
        for (k, v) in &changes {
            row.insert(k.clone(), v.clone());
        }
        row.insert("LastModifiedDate".into(), json!(stamp));
        row.insert("SystemModstamp".into(), json!(stamp));
        row.insert("LastModifiedById".into(), json!(actor));
        let changed: HashSet<String> = changes.keys().cloned().collect();
        self.derive(&def, &mut row, &changed, false);
        self.sync_countries(&def, &mut row, &changed)?;
        self.enforce_sales_process(&def, &mut row, false)?;
        if self.permission_row_emptied(&def, &row) {
            return self.delete(id).map_err(|e| vec![e]);
        }
        self.check_permission_row(&def, &row)?;
        self.enforce_org_rules(&def, Some(&before), &row)?;
        self.data
            .entry(def.name.clone())
            .or_default()
            .insert(id.to_owned(), row);
        self.last_written = Some(id.to_owned());
        Ok(())
    }

    /// Deletes a record (to the recycle bin, or for good for objects that skip
    /// it) and its cascade children.
    pub fn delete(&mut self, id: &str) -> Result<(), ErrorItem> {
        let Some((def, row)) = self.locate(id) else {
            return Err(ErrorItem::with_fields(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                Vec::new(),
            ));
        };
        if row.get("IsDeleted") == Some(&Value::Bool(true)) {
            return Err(entity_deleted());
        }
        if !def.deletable {
            return Err(ErrorItem::with_fields(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id",
                Vec::new(),
            ));
        }
        let stamp = self.tick();
        self.remove(id, stamp);
        Ok(())
    }

    fn remove(&mut self, id: &str, at: DateTime<Utc>) {
        let Some(def) = self.object_for_id(id).cloned() else {
            return;
        };
        let children: Vec<String> = self
            .objects
            .values()
            .flat_map(|o| {
                o.fields
                    .iter()
                    .filter(|f| f.cascade_delete && f.reference_to.contains(&def.name))
                    .map(move |f| (o.name.clone(), f.name.clone()))
            })
            .flat_map(|(object, field)| {
                self.rows(&object)
                    .filter(|r| r.get(&field).and_then(Value::as_str) == Some(id))
                    .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
                    .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .collect();
        let stamp = format_datetime(at);
        let rows = self.data.entry(def.name.clone()).or_default();
        if def.hard_delete {
            rows.remove(id);
        } else if let Some(row) = rows.get_mut(id) {
            row.insert("IsDeleted".into(), json!(true));
            row.insert("SystemModstamp".into(), json!(stamp));
            row.insert("LastModifiedDate".into(), json!(stamp));
        }
        self.deletions.push(Deletion {
            object: def.name.clone(),
            id: id.to_owned(),
            at,
        });
        self.last_written = Some(id.to_owned());
        for child in children {
            self.remove(&child, at);
        }
    }

    /// Applies the DML rules to `assigns`; returns the canonical changes.
    fn check(
        &self,
        def: &ObjectDef,
        existing: Option<&Record>,
        assigns: &[Assign],
    ) -> Result<Map<String, Value>, RecordErrors> {
        let creating = existing.is_none();
        let read_only: Vec<String> = assigns
            .iter()
            .filter_map(|a| def.field(a.field()))
            .filter(|f| {
                let settable = if creating { f.createable } else { f.updateable };
                !settable || self.field_access(def, f) != super::security::FieldAccess::Edit
            })
            .map(|f| f.name.clone())
            .collect();
        if !read_only.is_empty() {
            return Err(vec![ErrorItem::with_fields(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                read_only_message(&read_only),
                read_only,
            )]);
        }
        let mut changes = Map::new();
        let mut errors = Vec::new();
        for assign in assigns {
            let Some(field) = def.field(assign.field()) else {
                continue;
            };
            match self.check_value(def, field, assign) {
                Ok(value) => {
                    changes.insert(field.name.clone(), value);
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let missing: Vec<String> = def
            .fields
            .iter()
            .filter(|f| !f.nillable && f.ftype != FieldType::Boolean)
            .filter(|f| match changes.get(&f.name) {
                Some(v) => v.is_null() && (f.createable || f.updateable),
                None => creating && f.is_required_on_create(),
            })
            .map(|f| f.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(vec![ErrorItem::with_fields(
                "REQUIRED_FIELD_MISSING",
                format!("Required fields are missing: [{}]", missing.join(", ")),
                missing,
            )]);
        }
        let own_id = existing.and_then(|r| r.get("Id")).and_then(Value::as_str);
        for field in def.fields.iter().filter(|f| f.unique) {
            let Some(value) = changes.get(&field.name).filter(|v| !v.is_null()) else {
                continue;
            };
            if let Some(other) = self
                .find_by(def, field, value)
                .into_iter()
                .find(|other| Some(other.as_str()) != own_id)
            {
                return Err(vec![ErrorItem::with_fields(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: {} duplicates value on record with id: {other}",
                        field.name
                    ),
                    Vec::new(),
                )]);
            }
        }
        Ok(changes)
    }

    /// One value's rules: references, lengths, picklists, e-mail, numbers.
    fn check_value(
        &self,
        def: &ObjectDef,
        field: &FieldDef,
        assign: &Assign,
    ) -> Result<Value, ErrorItem> {
        let value = match assign {
            Assign::Value { value, .. } => value.clone(),
            Assign::Parent {
                ext_field,
                ext_value,
                ..
            } => return self.resolve_parent(field, ext_field, ext_value),
        };
        let Value::String(text) = &value else {
            return self.check_number(field, value);
        };
        match field.ftype {
            FieldType::Reference => return self.check_reference(field, text),
            FieldType::Id => return Ok(value),
            _ => {}
        }
        if field.ftype.is_text() && text.chars().count() > field.length as usize {
            return Err(ErrorItem::with_fields(
                "STRING_TOO_LONG",
                format!(
                    "{}: data value too large: {text} (max length={})",
                    field.label, field.length
                ),
                vec![field.name.clone()],
            ));
        }
        if field.ftype == FieldType::Email && !valid_email(text) {
            return Err(ErrorItem::with_fields(
                "INVALID_EMAIL_ADDRESS",
                format!("{}: invalid email address: {text}", field.label),
                vec![field.name.clone()],
            ));
        }
        let stage_rule = def.name == "Opportunity" && field.name == "StageName";
        if field.restricted || stage_rule {
            let allowed = |v: &str| {
                if stage_rule {
                    self.stage(v)
                        .is_some_and(|s| s.get("IsActive") == Some(&Value::Bool(true)))
                } else {
                    field.picklist.iter().any(|p| p.active && p.value == v)
                }
            };
            let ok = match field.ftype {
                FieldType::MultiPicklist => text.split(';').all(allowed),
                _ => allowed(text),
            };
            if !ok {
                return Err(ErrorItem::with_fields(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!(
                        "{}: bad value for restricted picklist field: {text}",
                        field.label
                    ),
                    vec![field.name.clone()],
                ));
            }
        }
        Ok(value)
    }

    fn check_number(&self, field: &FieldDef, value: Value) -> Result<Value, ErrorItem> {
        let Some(n) = value.as_f64() else {
            return Ok(value);
        };
        let integer_digits = match field.ftype {
            FieldType::Int => field.digits,
            FieldType::Currency | FieldType::Double | FieldType::Percent => {
                field.precision.saturating_sub(field.scale)
            }
            _ => return Ok(value),
        };
        let limit = 10f64.powi(i32::try_from(integer_digits).unwrap_or(i32::MAX));
        if integer_digits > 0 && n.abs() >= limit {
            return Err(ErrorItem::with_fields(
                "NUMBER_OUTSIDE_VALID_RANGE",
                format!(
                    "{}: value outside of valid range on numeric field: {value}",
                    field.label
                ),
                vec![field.name.clone()],
            ));
        }
        if field.ftype == FieldType::Int {
            return Ok(value);
        }
        let factor = 10f64.powi(i32::try_from(field.scale).unwrap_or(0));
        let rounded = (n * factor).round() / factor;
        Ok(serde_json::Number::from_f64(rounded).map_or(value, Value::Number))
    }

    fn check_reference(&self, field: &FieldDef, text: &str) -> Result<Value, ErrorItem> {
        let Some(id) = ids::normalize(text) else {
            return Err(malformed_id(&field.label, text, &field.name));
        };
        let target_ok = self
            .object_for_id(&id)
            .is_some_and(|o| field.reference_to.contains(&o.name));
        if !target_ok {
            return Err(ErrorItem::with_fields(
                "FIELD_INTEGRITY_EXCEPTION",
                format!("{}: id value of incorrect type: {text}", field.label),
                vec![field.name.clone()],
            ));
        }
        match self.locate(&id) {
            None => Err(ErrorItem::with_fields(
                "INVALID_CROSS_REFERENCE_KEY",
                format!("{}: invalid cross reference id", field.label),
                vec![field.name.clone()],
            )),
            Some((_, row)) if row.get("IsDeleted") == Some(&Value::Bool(true)) => {
                Err(ErrorItem::with_fields(
                    "ENTITY_IS_DELETED",
                    "entity is deleted",
                    vec![field.name.clone()],
                ))
            }
            Some(_) => Ok(Value::String(id)),
        }
    }

    fn resolve_parent(
        &self,
        field: &FieldDef,
        ext_field: &str,
        ext_value: &Value,
    ) -> Result<Value, ErrorItem> {
        let parent = field.reference_to.first().and_then(|p| self.object(p));
        let key = parent
            .and_then(|p| p.field(ext_field))
            .filter(|f| f.external_id || f.name == "Id");
        let (Some(parent), Some(key)) = (parent, key) else {
            return Err(ErrorItem::with_fields(
                "INVALID_FIELD",
                format!(
                    "Field name provided, {ext_field} is not an External ID or indexed field for {}",
                    field.reference_to.first().map_or("", String::as_str)
                ),
                Vec::new(),
            ));
        };
        let shown = ext_value
            .as_str()
            .map_or_else(|| ext_value.to_string(), str::to_owned);
        let matches = if key.name == "Id" {
            ids::normalize(&shown)
                .filter(|id| self.record(&parent.name, id).is_some())
                .into_iter()
                .collect()
        } else {
            self.find_by(parent, key, &Value::String(shown.clone()))
        };
        match matches.as_slice() {
            [one] => Ok(Value::String(one.clone())),
            [] => Err(ErrorItem::with_fields(
                "INVALID_FIELD",
                format!(
                    "Foreign key external ID: {shown} not found for field {} in entity {}",
                    key.name, parent.name
                ),
                Vec::new(),
            )),
            _ => Err(ErrorItem::with_fields(
                "INVALID_FIELD",
                format!(
                    "Foreign key external ID: {shown} matches multiple records for field {} in entity {}",
                    key.name, parent.name
                ),
                Vec::new(),
            )),
        }
    }

    /// Object-specific create rules; `Some(id)` when the create updates an existing row.
    fn special_create(
        &self,
        def: &ObjectDef,
        changes: &Map<String, Value>,
    ) -> Result<Option<String>, RecordErrors> {
        let pair = |a: &str, b: &str| -> Option<String> {
            let (va, vb) = (changes.get(a)?, changes.get(b)?);
            self.rows(&def.name)
                .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
                .find(|r| r.get(a) == Some(va) && r.get(b) == Some(vb))
                .and_then(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
        };
        match def.name.as_str() {
            // Creating an existing Opportunity+User pair updates that row (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityteammember.htm).
            "OpportunityTeamMember" => Ok(pair("OpportunityId", "UserId")),
            "PermissionSetAssignment" => match pair("PermissionSetId", "AssigneeId") {
                Some(other) => Err(vec![ErrorItem::with_fields(
                    "DUPLICATE_VALUE",
                    format!("duplicate value found: <unknown> duplicates value on record with id: {other}"),
                    Vec::new(),
                )]),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The OpportunityStage row with `api_name`.
    pub fn stage(&self, api_name: &str) -> Option<&Record> {
        self.rows("OpportunityStage")
            .find(|r| r.get("ApiName").and_then(Value::as_str) == Some(api_name))
    }

    /// Server-derived values: stage facts, names, expected revenue, fiscal period.
    fn derive(&self, def: &ObjectDef, row: &mut Record, changed: &HashSet<String>, creating: bool) {
        match def.name.as_str() {
            "Opportunity" => self.derive_opportunity(row, changed, creating),
            "Contact" | "User" => {
                let first = row.get("FirstName").and_then(Value::as_str).unwrap_or("");
                let last = row.get("LastName").and_then(Value::as_str).unwrap_or("");
                let name = format!("{first} {last}").trim().to_owned();
                row.insert("Name".into(), json!(name));
            }
            "OpportunityTeamMember" => {
                let user = row
                    .get("UserId")
                    .and_then(Value::as_str)
                    .and_then(|id| self.record("User", id))
                    .and_then(|u| u.get("Name").cloned())
                    .unwrap_or(Value::Null);
                row.insert("Name".into(), user);
            }
            _ => {}
        }
        if def.custom && row.get("Name").is_some_and(Value::is_null) {
            let id = row.get("Id").cloned().unwrap_or(Value::Null);
            row.insert("Name".into(), id);
        }
    }

    fn derive_opportunity(&self, row: &mut Record, changed: &HashSet<String>, creating: bool) {
        let stage_changed = creating || changed.contains("StageName");
        let stage = row
            .get("StageName")
            .and_then(Value::as_str)
            .and_then(|s| self.stage(s))
            .cloned();
        if let (true, Some(stage)) = (stage_changed, stage) {
            for flag in ["IsClosed", "IsWon"] {
                row.insert(
                    flag.into(),
                    stage.get(flag).cloned().unwrap_or(json!(false)),
                );
            }
            if !changed.contains("Probability") {
                row.insert(
                    "Probability".into(),
                    stage
                        .get("DefaultProbability")
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
            if !changed.contains("ForecastCategoryName") {
                row.insert(
                    "ForecastCategoryName".into(),
                    stage
                        .get("ForecastCategoryName")
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
        }
        let category = row
            .get("ForecastCategoryName")
            .and_then(Value::as_str)
            .map(forecast_category)
            .map_or(Value::Null, |c| json!(c));
        row.insert("ForecastCategory".into(), category);
        let expected = match (
            row.get("Amount").and_then(Value::as_f64),
            row.get("Probability").and_then(Value::as_f64),
        ) {
            (Some(amount), Some(p)) => json!((amount * p).round() / 100.0),
            (Some(amount), None) => json!(amount),
            _ => Value::Null,
        };
        row.insert("ExpectedRevenue".into(), expected);
        let close = row
            .get("CloseDate")
            .and_then(Value::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if let Some(close) = close {
            let quarter = close.month0() / 3 + 1;
            row.insert("FiscalYear".into(), json!(close.year()));
            row.insert("FiscalQuarter".into(), json!(quarter));
            row.insert(
                "Fiscal".into(),
                json!(format!("{} {quarter}", close.year())),
            );
        }
    }
}

/// The `ForecastCategory` implied by a `ForecastCategoryName`.
fn forecast_category(name: &str) -> &'static str {
    match name {
        "Pipeline" => "Pipeline",
        "Best Case" => "BestCase",
        "Most Likely" => "MostLikely",
        "Commit" => "Forecast",
        "Closed" => "Closed",
        _ => "Omitted",
    }
}

/// Equality as unique indexes and external-ID lookups see it.
fn same_value(field: &FieldDef, stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::String(a), Value::String(b)) if field.ftype.is_text() && !field.case_sensitive => {
            a.eq_ignore_ascii_case(b)
        }
        (Value::String(a), Value::String(b)) if field.ftype == FieldType::Id => {
            ids::normalize(b).as_deref() == Some(a.as_str())
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, Value::String(b)) if !a.is_string() => b.as_str() == a.to_string().as_str(),
        (a, b) => a == b,
    }
}

/// A permissive check of `local@domain.tld`, as Salesforce's e-mail fields apply.
fn valid_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_keeps_whole_seconds_and_never_goes_back() {
        let mut org = Org::empty(None);
        let a = org.tick();
        let b = org.tick();
        assert!(a <= b);
        assert_eq!(b.timestamp_subsec_nanos(), 0);
        org.last_stamp = b + ChronoDuration::seconds(30);
        assert_eq!(
            org.tick(),
            b + ChronoDuration::seconds(30),
            "a clock stepping back holds"
        );
    }

    #[test]
    fn custom_object_prefixes_start_at_a0x() {
        let mut org = Org::empty(None);
        assert_eq!(org.next_custom_prefix(), "a0X");
        assert_eq!(org.next_custom_prefix(), "a0Y");
        assert_eq!(org.next_custom_prefix(), "a0Z");
        assert_eq!(org.next_custom_prefix(), "a0a");
    }

    #[test]
    fn e_mail_addresses_are_checked() {
        assert!(valid_email("a.b@example.com"));
        assert!(!valid_email("not an email"));
        assert!(!valid_email("x@localhost"));
    }
}
