//! The shape of returned records.

use serde_json::json;

use super::fixtures::{id, records, run};
use crate::salesforce::soql::QueryOutput;

#[test]
fn attributes_first_then_fields_in_select_order_with_canonical_names() {
    let rows = records("SELECT name, ID, amount FROM opportunity WHERE Name = 'Acme renewal'");
    let row = serde_json::Value::Object(rows[0].clone());
    let expected = json!({
        "attributes": {
            "type": "Opportunity",
            "url": format!("/services/data/v62.0/sobjects/Opportunity/{}", id("006", 1)),
        },
        "Name": "Acme renewal",
        "Id": id("006", 1),
        "Amount": 1000.0,
    });
    assert_eq!(row, expected);
    let keys: Vec<&String> = rows[0].keys().collect();
    assert_eq!(keys, ["attributes", "Name", "Id", "Amount"]);
}

#[test]
fn null_and_missing_fields_come_back_as_null() {
    let rows = records("SELECT Description, Referral_Id__c FROM Opportunity WHERE Amount = null");
    assert_eq!(rows[0]["Description"], json!("5000 off"));
    assert_eq!(rows[0]["Referral_Id__c"], json!(null));
}

#[test]
fn parent_fields_nest_under_the_relationship() {
    let rows = records(
        "SELECT Id, Account.Name, Owner.Email, account.owner.name, Account.Id FROM Opportunity ORDER BY Id",
    );
    let first = serde_json::Value::Object(rows[0].clone());
    let expected = json!({
        "attributes": {
            "type": "Opportunity",
            "url": format!("/services/data/v62.0/sobjects/Opportunity/{}", id("006", 1)),
        },
        "Id": id("006", 1),
        "Account": {
            "attributes": {
                "type": "Account",
                "url": format!("/services/data/v62.0/sobjects/Account/{}", id("001", 1)),
            },
            "Name": "Acme",
            "Owner": {
                "attributes": {
                    "type": "User",
                    "url": format!("/services/data/v62.0/sobjects/User/{}", id("005", 1)),
                },
                "Name": "Ada Admin",
            },
            "Id": id("001", 1),
        },
        "Owner": {
            "attributes": {
                "type": "User",
                "url": format!("/services/data/v62.0/sobjects/User/{}", id("005", 1)),
            },
            "Email": "ada@example.com",
        },
    });
    assert_eq!(first, expected);
    // A parent whose own parent is unset nests a null.
    assert_eq!(rows[1]["Account"]["Owner"], json!(null));
    assert_eq!(rows[1]["Account"]["Name"], json!("Globex"));
    // No parent at all: the relationship itself is null.
    assert_eq!(rows[2]["Account"], json!(null));
}

#[test]
fn api_version_with_or_without_v_prefix() {
    let catalog = super::fixtures::TestCatalog::new();
    let query = crate::salesforce::soql::parse("SELECT Id FROM Account LIMIT 1").unwrap();
    let out = crate::salesforce::soql::execute(&query, &catalog, catalog.rows("Account"), "v58.0")
        .unwrap();
    let QueryOutput::Records(rows) = out else {
        panic!("records expected")
    };
    assert_eq!(
        rows[0]["attributes"]["url"],
        json!(format!(
            "/services/data/v58.0/sobjects/Account/{}",
            id("001", 1)
        ))
    );
}

#[test]
fn count_field_is_an_aggregate_result() {
    let out = run("SELECT COUNT(Id) FROM Opportunity WHERE IsDeleted = false").unwrap();
    let expected = json!([{ "attributes": { "type": "AggregateResult" }, "expr0": 2 }]);
    let QueryOutput::Records(rows) = out else {
        panic!("records expected")
    };
    assert_eq!(serde_json::to_value(rows).unwrap(), expected);

    let rows = records("SELECT COUNT(Amount) total, COUNT(AccountId) FROM Opportunity");
    assert_eq!(rows[0]["total"], json!(2));
    assert_eq!(rows[0]["expr0"], json!(2));
}

#[test]
fn prepare_reports_the_canonical_object() {
    let catalog = super::fixtures::TestCatalog::new();
    let query = crate::salesforce::soql::parse("SELECT Id FROM OPPORTUNITY").unwrap();
    let prepared = crate::salesforce::soql::prepare(&query, &catalog).unwrap();
    assert_eq!(prepared.object(), "Opportunity");
}
