//! sObject Tree conformance, the resource `sf data import tree` posts to
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobject_tree.htm>).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::TestOrg;

fn account(reference: &str, name: &str, contacts: Value) -> Value {
    json!({
        "attributes": { "type": "Account", "referenceId": reference },
        "Name": name,
        "Contacts": { "records": contacts },
    })
}

fn contact(reference: &str, last_name: &str) -> Value {
    json!({ "attributes": { "type": "Contact", "referenceId": reference }, "LastName": last_name })
}

#[tokio::test]
async fn a_tree_creates_parents_and_children_linked_and_answers_by_reference() {
    let org = TestOrg::start().await;
    let tree = json!({ "records": [
        account("acc1", "Tree Co", json!([contact("con1", "Root"), contact("con2", "Branch")])),
        account("acc2", "Leaf Co", json!([])),
    ]});
    let a = org.post("/composite/tree/Account", tree).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["hasErrors"], false);
    let results = a.body["results"].as_array().unwrap();
    let id_of = |reference: &str| {
        results
            .iter()
            .find(|r| r["referenceId"] == reference)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("{reference} missing from {results:?}"))
            .to_owned()
    };
    assert_eq!(results.len(), 4);
    let acc1 = id_of("acc1");
    assert!(acc1.starts_with("001"));
    let contacts = org
        .query(&format!(
            "SELECT LastName FROM Contact WHERE AccountId = '{acc1}' ORDER BY LastName"
        ))
        .await;
    assert_eq!(contacts.body["totalSize"], 2, "{}", contacts.body);
    assert!(id_of("con2").starts_with("003"));
    assert!(id_of("acc2").starts_with("001"));
}

#[tokio::test]
async fn one_failing_record_creates_nothing_and_names_its_reference() {
    let org = TestOrg::start().await;
    let no_last_name =
        json!({ "attributes": { "type": "Contact", "referenceId": "bad" }, "FirstName": "Ada" });
    let tree = json!({ "records": [account("acc1", "Half Co", json!([contact("ok", "Fine"), no_last_name]))] });
    let a = org.post("/composite/tree/Account", tree).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({ "hasErrors": true, "results": [{ "referenceId": "bad", "errors": [
            { "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [LastName]", "fields": ["LastName"] }
        ]}]})
    );
    assert!(org
        .emu
        .records("Account")
        .iter()
        .all(|r| r["Name"] != "Half Co"));
    assert!(org
        .emu
        .records("Contact")
        .iter()
        .all(|r| r["LastName"] != "Fine"));
}

#[tokio::test]
async fn a_repeated_reference_or_a_missing_one_is_refused_whole() {
    let org = TestOrg::start().await;
    let repeated =
        json!({ "records": [account("same", "A", json!([])), account("same", "B", json!([]))] });
    let a = org.post("/composite/tree/Account", repeated).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body[0]["errorCode"], "INVALID_INPUT", "{}", a.body);
    let unnamed = json!({ "records": [{ "attributes": { "type": "Account" }, "Name": "No ref" }] });
    let a = org.post("/composite/tree/Account", unnamed).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body[0]["errorCode"], "INVALID_INPUT", "{}", a.body);
    assert!(org
        .emu
        .records("Account")
        .iter()
        .all(|r| r["Name"] != "No ref" && r["Name"] != "A"));
}

#[tokio::test]
async fn a_root_of_another_type_is_refused() {
    let org = TestOrg::start().await;
    let a = org
        .post(
            "/composite/tree/Account",
            json!({ "records": [contact("c", "Wrong")] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.body[0]["errorCode"], "INVALID_INPUT", "{}", a.body);
}
