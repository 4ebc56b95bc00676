//! A tiny org: Opportunity → Account → User, with a few records.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::salesforce::soql::{
    execute_at, parse, Catalog, FieldKind, FieldMeta, QueryOutput, Record, RelationshipMeta,
    SoqlError,
};

/// API version used when shaping records in tests.
pub const VERSION: &str = "62.0";

/// The fixed "now" for relative date literals: Wednesday 2024-05-15 12:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 15, 12, 0, 0).unwrap()
}

/// An 18-char ID with `prefix` and serial `n`.
pub fn id(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:012}AAA")
}

/// In-memory schema and records.
pub struct TestCatalog {
    fields: HashMap<&'static str, Vec<(&'static str, FieldKind)>>,
    records: HashMap<&'static str, Vec<Record>>,
}

fn record(value: Value) -> Record {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("fixtures are objects"),
    }
}

impl TestCatalog {
    pub fn new() -> Self {
        use FieldKind::*;
        let fields = HashMap::from([
            (
                "Opportunity",
                vec![
                    ("Id", Id),
                    ("Name", String),
                    ("StageName", Picklist),
                    ("CloseDate", Date),
                    ("Amount", Currency),
                    ("Probability", Percent),
                    ("IsWon", Boolean),
                    ("IsDeleted", Boolean),
                    ("AccountId", Reference),
                    ("OwnerId", Reference),
                    ("SystemModstamp", DateTime),
                    ("Description", TextArea),
                    ("Referral_Id__c", String),
                ],
            ),
            (
                "Account",
                vec![
                    ("Id", Id),
                    ("Name", String),
                    ("OwnerId", Reference),
                    ("NumberOfEmployees", Int),
                ],
            ),
            ("User", vec![("Id", Id), ("Name", String), ("Email", Email)]),
        ]);
        let users = vec![record(
            json!({"Id": id("005", 1), "Name": "Ada Admin", "Email": "ada@example.com"}),
        )];
        let accounts = vec![
            record(
                json!({"Id": id("001", 1), "Name": "Acme", "OwnerId": id("005", 1), "NumberOfEmployees": 50}),
            ),
            record(
                json!({"Id": id("001", 2), "Name": "Globex", "OwnerId": null, "NumberOfEmployees": null}),
            ),
        ];
        let opportunities = vec![
            record(json!({
                "Id": id("006", 1), "Name": "Acme renewal", "StageName": "Prospecting",
                "CloseDate": "2024-05-01", "Amount": 1000.0, "Probability": 10, "IsWon": false,
                "IsDeleted": false, "AccountId": id("001", 1), "OwnerId": id("005", 1),
                "SystemModstamp": "2024-05-01T10:00:00.000+0000", "Description": null,
                "Referral_Id__c": "R-1"
            })),
            record(json!({
                "Id": id("006", 2), "Name": "O'Brien's \\ deal", "StageName": "Closed Won",
                "CloseDate": "2024-05-14", "Amount": 5000.5, "Probability": 100, "IsWon": true,
                "IsDeleted": false, "AccountId": id("001", 2), "OwnerId": id("005", 1),
                "SystemModstamp": "2024-05-14T23:59:59.000+0000", "Description": "50% off_now",
                "Referral_Id__c": "R-2"
            })),
            record(json!({
                "Id": id("006", 3), "Name": "Globex expansion", "StageName": "Qualification",
                "CloseDate": "2024-06-30", "Amount": null, "Probability": 20, "IsWon": false,
                "IsDeleted": true, "AccountId": null, "OwnerId": id("005", 1),
                "SystemModstamp": "2024-05-15T08:30:00.000+0000", "Description": "5000 off",
                "Referral_Id__c": null
            })),
        ];
        let records = HashMap::from([
            ("User", users),
            ("Account", accounts),
            ("Opportunity", opportunities),
        ]);
        Self { fields, records }
    }

    /// All stored rows of `object`.
    pub fn rows(&self, object: &str) -> &[Record] {
        self.records.get(object).map_or(&[], Vec::as_slice)
    }

    fn canonical(&self, name: &str) -> Option<&'static str> {
        self.fields
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .copied()
    }
}

impl Catalog for TestCatalog {
    fn object(&self, name: &str) -> Option<String> {
        self.canonical(name).map(str::to_string)
    }

    fn field(&self, object: &str, field: &str) -> Option<FieldMeta> {
        self.fields
            .get(object)?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(name, kind)| FieldMeta {
                name: (*name).to_string(),
                kind: *kind,
                filterable: true,
            })
    }

    fn relationship(&self, object: &str, name: &str) -> Option<RelationshipMeta> {
        let (rel, target, id_field) = match (object, name.to_ascii_lowercase().as_str()) {
            ("Opportunity", "account") => ("Account", "Account", "AccountId"),
            ("Opportunity" | "Account", "owner") => ("Owner", "User", "OwnerId"),
            _ => return None,
        };
        Some(RelationshipMeta {
            name: rel.into(),
            target: target.into(),
            id_field: id_field.into(),
        })
    }

    fn record(&self, object: &str, id: &str) -> Option<Record> {
        self.rows(object)
            .iter()
            .find(|r| r.get("Id").and_then(Value::as_str) == Some(id))
            .cloned()
    }
}

/// Parses and runs `soql` over the catalog's rows of the queried object.
pub fn run(soql: &str) -> Result<QueryOutput, SoqlError> {
    let catalog = TestCatalog::new();
    let query = parse(soql)?;
    let object = catalog.object(&query.from).unwrap_or_default();
    execute_at(&query, &catalog, catalog.rows(&object), VERSION, now())
}

/// The records a query returns (panics on error or a count).
pub fn records(soql: &str) -> Vec<Record> {
    match run(soql) {
        Ok(QueryOutput::Records(records)) => records,
        other => panic!("{soql}: expected records, got {other:?}"),
    }
}

/// The `Id`s a query returns, in order, as serials of the `006` fixture IDs.
pub fn serials(soql: &str) -> Vec<u32> {
    records(soql)
        .iter()
        .map(|r| {
            let id = r["Id"].as_str().expect("query selects Id");
            id[3..15].parse().expect("fixture id")
        })
        .collect()
}

/// The error a query fails with (panics on success).
pub fn error(soql: &str) -> SoqlError {
    match run(soql) {
        Err(e) => e,
        Ok(out) => panic!("{soql}: expected an error, got {out:?}"),
    }
}
