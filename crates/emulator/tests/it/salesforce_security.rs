//! Field-level security and object permissions in the enterprise-like org
//! (`src/salesforce/security.rs` cites the documents each rule follows):
//! what Tooling creates is invisible until a permission set grants it, per
//! user, and the permission rows Salesforce refuses are refused, each with
//! the exact status and body.

use emulator::salesforce::{Options, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::{urlencode, TestOrg};

/// A bare enterprise-like org whose integration user may work with
/// opportunities (its minimum-access profile grants no object permissions).
async fn bare_enterprise() -> TestOrg {
    let org = no_grants().await;
    let admin = org.emu.admin_user_id();
    let set = permission_set(&org, "Opportunities", &admin).await;
    create(
        &org,
        "/sobjects/ObjectPermissions",
        json!({ "ParentId": set, "SobjectType": "Opportunity", "PermissionsRead": true, "PermissionsCreate": true, "PermissionsEdit": true, "PermissionsDelete": true }),
    )
    .await;
    org
}

/// A bare enterprise-like org as provisioned: the integration user's
/// profile grants no object permissions.
async fn no_grants() -> TestOrg {
    TestOrg::start_with(Options {
        bare: true,
        ..Options::for_profile(Profile::Enterprise)
    })
    .await
}

async fn create(org: &TestOrg, path: &str, body: Value) -> String {
    let answer = org.post(path, body).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{path}: {}",
        answer.body
    );
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn add_score_field(org: &TestOrg) {
    create(
        org,
        "/tooling/sobjects/CustomField",
        json!({ "FullName": "Opportunity.Score__c", "Metadata": { "label": "Score", "type": "Text", "length": 20 } }),
    )
    .await;
}

async fn permission_set(org: &TestOrg, name: &str, assignee: &str) -> String {
    let set = create(
        org,
        "/sobjects/PermissionSet",
        json!({ "Name": name, "Label": name }),
    )
    .await;
    create(
        org,
        "/sobjects/PermissionSetAssignment",
        json!({ "PermissionSetId": set, "AssigneeId": assignee }),
    )
    .await;
    set
}

async fn describes(org: &TestOrg, object: &str, field: &str) -> bool {
    let describe = org.get(&format!("/sobjects/{object}/describe")).await;
    assert_eq!(describe.status, StatusCode::OK);
    describe.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == field)
}

const NO_SUCH_COLUMN: &str = "No such column 'Score__c' on sobject of type Opportunity";

#[tokio::test]
async fn a_tooling_field_is_invisible_until_a_permission_set_grants_it() {
    let org = bare_enterprise().await;
    add_score_field(&org).await;
    let opp = org.create_opportunity("Scored").await;

    assert!(!describes(&org, "Opportunity", "Score__c").await);
    let read = org.get(&format!("/sobjects/Opportunity/{opp}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.get("Score__c").is_none(), "{}", read.body);
    let soql = "SELECT Id, Score__c FROM Opportunity";
    let query = org.query(soql).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        query.body,
        json!([{ "message": format!("\n{soql}\n           ^\nERROR at Row:1:Column:12\nNo such column 'Score__c' on entity 'Opportunity'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."), "errorCode": "INVALID_FIELD" }])
    );
    let write = org
        .patch(
            &format!("/sobjects/Opportunity/{opp}"),
            json!({ "Score__c": "A" }),
        )
        .await;
    assert_eq!(write.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        write.body,
        json!([{ "message": NO_SUCH_COLUMN, "errorCode": "INVALID_FIELD" }])
    );

    // Read only: visible, not writable.
    let admin = org.emu.admin_user_id();
    let set = permission_set(&org, "Scores", &admin).await;
    let row = create(
        &org,
        "/sobjects/FieldPermissions",
        json!({ "ParentId": set, "SobjectType": "Opportunity", "Field": "Opportunity.Score__c", "PermissionsRead": true }),
    )
    .await;
    assert!(describes(&org, "Opportunity", "Score__c").await);
    assert_eq!(org.query(soql).await.status, StatusCode::OK);
    let write = org
        .patch(
            &format!("/sobjects/Opportunity/{opp}"),
            json!({ "Score__c": "A" }),
        )
        .await;
    assert_eq!(write.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        write.body,
        json!([{ "message": "Unable to create/update fields: Score__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "fields": ["Score__c"] }])
    );

    // Read and edit.
    let edit = org
        .patch(
            &format!("/sobjects/FieldPermissions/{row}"),
            json!({ "PermissionsEdit": true }),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NO_CONTENT, "{}", edit.body);
    let write = org
        .patch(
            &format!("/sobjects/Opportunity/{opp}"),
            json!({ "Score__c": "A" }),
        )
        .await;
    assert_eq!(write.status, StatusCode::NO_CONTENT, "{}", write.body);
    let read = org.get(&format!("/sobjects/Opportunity/{opp}")).await;
    assert_eq!(read.body["Score__c"], "A");
}

#[tokio::test]
async fn field_security_is_per_user_and_a_profile_grants_too() {
    let org = bare_enterprise().await;
    add_score_field(&org).await;
    let seller = org.emu.seller_user_ids()[0].clone();
    let set = permission_set(&org, "Seller_Scores", &seller).await;
    create(
        &org,
        "/sobjects/FieldPermissions",
        json!({ "ParentId": set, "SobjectType": "Opportunity", "Field": "Opportunity.Score__c", "PermissionsRead": true, "PermissionsEdit": true }),
    )
    .await;
    assert!(
        !describes(&org, "Opportunity", "Score__c").await,
        "a seller's permission set grants the integration user nothing"
    );

    let admin = org.emu.admin_user_id();
    let profile = org
        .query(&format!("SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '{admin}' AND PermissionSet.IsOwnedByProfile = true"))
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    let profile_set = profile.body["records"][0]["PermissionSetId"]
        .as_str()
        .unwrap()
        .to_owned();
    create(
        &org,
        "/sobjects/FieldPermissions",
        json!({ "ParentId": profile_set, "SobjectType": "Opportunity", "Field": "Opportunity.Score__c", "PermissionsRead": true }),
    )
    .await;
    assert!(describes(&org, "Opportunity", "Score__c").await);
}

#[tokio::test]
async fn a_tooling_object_is_invisible_until_object_permissions_grant_it() {
    let org = bare_enterprise().await;
    create(
        &org,
        "/tooling/sobjects/CustomObject",
        json!({ "FullName": "Widget__c", "Metadata": { "label": "Widget", "pluralLabel": "Widgets",
            "nameField": { "type": "Text", "label": "Name" }, "deploymentStatus": "Deployed", "sharingModel": "ReadWrite" } }),
    )
    .await;
    let hidden = org.get("/sobjects/Widget__c/describe").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(
        hidden.body,
        json!([{ "errorCode": "NOT_FOUND", "message": "The requested resource does not exist" }])
    );
    let global = org.get("/sobjects").await;
    assert!(!global.body["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Widget__c"));
    let query = org.query("SELECT Id FROM Widget__c").await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST);
    assert_eq!(query.error_code(), "INVALID_TYPE");

    let admin = org.emu.admin_user_id();
    let set = permission_set(&org, "Widgets", &admin).await;
    create(
        &org,
        "/sobjects/ObjectPermissions",
        json!({ "ParentId": set, "SobjectType": "Widget__c", "PermissionsRead": true }),
    )
    .await;
    let describe = org.get("/sobjects/Widget__c/describe").await;
    assert_eq!(describe.status, StatusCode::OK);
    assert_eq!(
        (
            describe.body["createable"].clone(),
            describe.body["queryable"].clone()
        ),
        (json!(false), json!(true)),
        "read only"
    );
    assert_eq!(
        org.query("SELECT Id FROM Widget__c").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn permission_rows_salesforce_cannot_hold_are_refused() {
    let org = bare_enterprise().await;
    add_score_field(&org).await;
    let admin = org.emu.admin_user_id();
    let set = permission_set(&org, "Rows", &admin).await;
    let field_row = |field: &str, read: bool, edit: bool| json!({ "ParentId": set, "SobjectType": "Opportunity", "Field": field, "PermissionsRead": read, "PermissionsEdit": edit });
    let cases = [
        (
            field_row("Opportunity.Score__c", false, false),
            json!([{ "message": "A FieldPermissions record must have at minimum PermissionsRead set to true.", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["PermissionsRead"] }]),
        ),
        (
            field_row("Opportunity.Region__c", true, true),
            json!([{ "message": "Field Name: bad value for restricted picklist field: Opportunity.Region__c", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Field"] }]),
        ),
        (
            json!({ "ParentId": set, "SobjectType": "Account", "PermissionsRead": true, "PermissionsDelete": true }),
            json!([{ "message": "Permission Delete depends on permission(s): Edit", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["PermissionsDelete"] }]),
        ),
    ];
    for (i, (body, expected)) in cases.into_iter().enumerate() {
        let path = if i == 2 {
            "/sobjects/ObjectPermissions"
        } else {
            "/sobjects/FieldPermissions"
        };
        let refused = org.post(path, body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "case {i}");
        assert_eq!(refused.body, expected, "case {i}");
    }

    // Clearing the last right deletes the row, as documented.
    let row = create(
        &org,
        "/sobjects/FieldPermissions",
        field_row("Opportunity.Score__c", true, false),
    )
    .await;
    let cleared = org
        .patch(
            &format!("/sobjects/FieldPermissions/{row}"),
            json!({ "PermissionsRead": false }),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{}", cleared.body);
    let rows = org
        .query(&format!(
            "SELECT Id FROM FieldPermissions WHERE Id = '{row}'"
        ))
        .await;
    assert_eq!(rows.body["totalSize"], 0);
    assert!(!describes(&org, "Opportunity", "Score__c").await);
}

/// What a user lacking an object permission gets.
fn insufficient_access() -> Value {
    json!([{ "message": "insufficient access rights on object id", "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY", "fields": [] }])
}

#[tokio::test]
async fn object_permissions_refuse_what_they_do_not_grant() {
    let org = no_grants().await;
    // Without Read the object is not there for the user.
    let hidden = org.get("/sobjects/Opportunity/describe").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(
        hidden.body,
        json!([{ "errorCode": "NOT_FOUND", "message": "The requested resource does not exist" }])
    );
    assert_eq!(
        org.query("SELECT Id FROM Account").await.error_code(),
        "INVALID_TYPE"
    );

    // Read only: every write is refused.
    let admin = org.emu.admin_user_id();
    let set = permission_set(&org, "Opportunities", &admin).await;
    let row = create(
        &org,
        "/sobjects/ObjectPermissions",
        json!({ "ParentId": set, "SobjectType": "Opportunity", "PermissionsRead": true }),
    )
    .await;
    let seller_s = org
        .emu
        .insert(
            "Opportunity",
            crate::salesforce::opportunity("Seller's deal"),
        )
        .unwrap();
    let describe = org.get("/sobjects/Opportunity/describe").await;
    assert_eq!(
        (
            &describe.body["createable"],
            &describe.body["updateable"],
            &describe.body["deletable"]
        ),
        (&json!(false), &json!(false), &json!(false))
    );
    let created = org
        .post(
            "/sobjects/Opportunity",
            crate::salesforce::opportunity("Mine"),
        )
        .await;
    assert_eq!(created.status, StatusCode::BAD_REQUEST);
    assert_eq!(created.body, insufficient_access());
    let path = format!("/sobjects/Opportunity/{seller_s}");
    let edited = org.patch(&path, json!({ "Name": "Renamed" })).await;
    assert_eq!(edited.status, StatusCode::BAD_REQUEST);
    assert_eq!(edited.body, insufficient_access());
    // Contact roles follow their opportunity.
    let contact = org
        .emu
        .insert("Contact", json!({ "LastName": "Doe" }))
        .unwrap();
    let role = json!({ "OpportunityId": seller_s, "ContactId": contact, "Role": "Decision Maker" });
    let refused = org
        .post("/sobjects/OpportunityContactRole", role.clone())
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body, insufficient_access());

    // Create and Edit, not Delete.
    let widened = org
        .patch(
            &format!("/sobjects/ObjectPermissions/{row}"),
            json!({ "PermissionsCreate": true, "PermissionsEdit": true }),
        )
        .await;
    assert_eq!(widened.status, StatusCode::NO_CONTENT, "{}", widened.body);
    create(
        &org,
        "/sobjects/Opportunity",
        crate::salesforce::opportunity("Mine"),
    )
    .await;
    let edited = org.patch(&path, json!({ "Name": "Renamed" })).await;
    assert_eq!(edited.status, StatusCode::NO_CONTENT, "{}", edited.body);
    create(&org, "/sobjects/OpportunityContactRole", role).await;
    let deleted = org.delete(&path).await;
    assert_eq!(deleted.status, StatusCode::BAD_REQUEST);
    assert_eq!(deleted.body, insufficient_access());
}

#[tokio::test]
async fn a_ready_enterprise_org_s_integration_user_may_do_anything_stock_clients_do() {
    let org = TestOrg::start_with(Options::for_profile(Profile::Enterprise)).await;
    for object in ["Account", "Opportunity"] {
        let body = if object == "Account" {
            json!({ "Name": "Smoke test" })
        } else {
            crate::salesforce::opportunity("Smoke test")
        };
        let id = create(&org, &format!("/sobjects/{object}"), body).await;
        let deleted = org.delete(&format!("/sobjects/{object}/{id}")).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    }
}

#[tokio::test]
async fn the_demo_org_makes_tooling_fields_usable_at_once() {
    let org = TestOrg::start_with(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    add_score_field(&org).await;
    assert!(describes(&org, "Opportunity", "Score__c").await);
    let query = org
        .get(&format!(
            "/query?q={}",
            urlencode("SELECT Score__c FROM Opportunity")
        ))
        .await;
    assert_eq!(query.status, StatusCode::OK);
}
