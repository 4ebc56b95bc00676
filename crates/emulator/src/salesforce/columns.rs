//! `GET /query?q=…&columns=true`: the shape of a query's answer without its
//! rows, as the Salesforce CLI's `sf data query` asks for it to lay out its
//! table. Each column says its name, Apex type and whether it can be written;
//! a parent relationship is one column whose `joinColumns` hold the fields
//! read through it.

use serde_json::{json, Value};

use super::org::Org;
use super::soql::{FieldKind, Prepared, SelectedColumn};

/// `{"columnMetadata":[…],"entityName","groupBy","idSelected","keyPrefix"}`.
pub fn describe(org: &Org, prepared: &Prepared) -> Value {
    let selected = prepared.columns();
    let mut top: Vec<Value> = Vec::new();
    for column in &selected {
        insert(org, &mut top, column, 0);
    }
    let id_selected = selected
        .iter()
        .any(|c| c.relationships.is_empty() && c.aggregate.is_none() && c.field == "Id");
    let key_prefix = org
        .object(prepared.object())
        .map_or(Value::Null, |o| json!(o.key_prefix));
    json!({
        "columnMetadata": top,
        "entityName": prepared.object(),
        "groupBy": false,
        "idSelected": id_selected,
        "keyPrefix": key_prefix,
    })
}

/// Adds `column` at relationship `depth` of `list`, sharing one entry per relationship.
fn insert(org: &Org, list: &mut Vec<Value>, column: &SelectedColumn, depth: usize) {
    let Some((relationship, target)) = column.relationships.get(depth) else {
        list.push(field_column(org, column));
        return;
    };
    let existing = list
        .iter()
        .position(|c| c["columnName"] == json!(relationship) && c["apexType"] == json!(target));
    let index = existing.unwrap_or_else(|| {
        list.push(json!({
            "aggregate": false,
            "apexType": target,
            "booleanType": false,
            "columnName": relationship,
            "custom": relationship.ends_with("__r"),
            "displayName": relationship,
            "foreignKeyName": null,
            "insertable": false,
            "joinColumns": [],
            "numberType": false,
            "textType": false,
            "updatable": false,
        }));
        list.len() - 1
    });
    if let Some(Value::Array(joins)) = list[index].get_mut("joinColumns") {
        insert(org, joins, column, depth + 1);
    }
}

fn field_column(org: &Org, column: &SelectedColumn) -> Value {
    let def = org
        .object(&column.object)
        .and_then(|o| o.field(&column.field));
    let (name, display, apex_type) = match &column.aggregate {
        Some(alias) => (alias.clone(), format!("COUNT({})", column.field), "Integer"),
        None => (
            column.field.clone(),
            column.field.clone(),
            apex_type(column.kind),
        ),
    };
    let kind = if column.aggregate.is_some() {
        FieldKind::Int
    } else {
        column.kind
    };
    json!({
        "aggregate": column.aggregate.is_some(),
        "apexType": apex_type,
        "booleanType": kind == FieldKind::Boolean,
        "columnName": name,
        "custom": def.is_some_and(|f| f.custom),
        "displayName": display,
        "foreignKeyName": null,
        "insertable": column.aggregate.is_none() && def.is_some_and(|f| f.createable),
        "joinColumns": [],
        "numberType": kind.is_numeric(),
        "textType": kind.is_text() || matches!(kind, FieldKind::Id | FieldKind::Reference),
        "updatable": column.aggregate.is_none() && def.is_some_and(|f| f.updateable),
    })
}

/// The Apex type Salesforce names for a field type.
fn apex_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Id | FieldKind::Reference => "Id",
        FieldKind::Boolean => "Boolean",
        FieldKind::Int => "Integer",
        FieldKind::Double | FieldKind::Percent => "Double",
        FieldKind::Currency => "Decimal",
        FieldKind::Date => "Date",
        FieldKind::DateTime => "Datetime",
        _ => "String",
    }
}
