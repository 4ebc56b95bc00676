//! Request shapes of widely used clients: simple-salesforce's trailing
//! slashes (`sobjects/Opportunity/`, `query/?q=`, `limits/`), the Salesforce
//! CLI's doubled leading slash, jsforce's SOAP `login()` and `OAuth`
//! authorization scheme.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::{opportunity, urlencode, TestOrg, V};

#[tokio::test]
async fn trailing_slash_paths_work_like_the_plain_ones() {
    let org = TestOrg::start().await;
    let created = org
        .post("/sobjects/Opportunity/", opportunity("Slash"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let q = org
        .get(&format!(
            "/query/?q={}",
            urlencode("SELECT Id FROM Opportunity")
        ))
        .await;
    assert_eq!(q.body["totalSize"], 1);
    assert_eq!(org.get("/limits/").await.status, StatusCode::OK);
    assert_eq!(org.get("/sobjects/").await.status, StatusCode::OK);
    assert_eq!(
        org.get("/").await.body["sobjects"],
        json!(format!("/services/data/{V}/sobjects"))
    );
    let upsert = org
        .patch(
            "/sobjects/Opportunity/Referral_Identifier__c/R-7",
            opportunity("U"),
        )
        .await;
    assert_eq!(upsert.status, StatusCode::CREATED);
}

/// The Salesforce CLI keeps the instance URL as `https://host/` and joins
/// paths onto it: `//services/data`, `//services/data/vNN.N/query?q=…`.
#[tokio::test]
async fn a_doubled_leading_slash_reaches_the_same_resource() {
    let org = TestOrg::start().await;
    let base = org.emu.url();
    let get = |path: String| {
        org.http
            .get(format!("{base}/{path}"))
            .bearer_auth(&org.token)
            .send()
    };
    let versions = get("/services/data".into()).await.unwrap();
    assert_eq!(versions.status(), StatusCode::OK);
    let listed: Value = versions.json().await.unwrap();
    assert!(listed.as_array().is_some_and(|v| !v.is_empty()), "{listed}");
    let query = get(format!(
        "/services/data/{V}/query?q={}",
        urlencode("SELECT Id FROM Organization")
    ))
    .await
    .unwrap();
    assert_eq!(query.status(), StatusCode::OK);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["totalSize"], 1, "{body}");
}

#[tokio::test]
async fn soap_login_opens_a_rest_session() {
    let org = TestOrg::start().await;
    let envelope = |password: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8" ?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>admin@cosell.demo</n1:username><n1:password>{password}</n1:password></n1:login></soapenv:Body></soapenv:Envelope>"#
        )
    };
    let send = |body: String| {
        org.http
            .post(format!("{}/services/Soap/u/62.0", org.emu.url()))
            .header("content-type", "text/xml")
            .header("SOAPAction", "\"\"")
            .body(body)
            .send()
    };
    let ok = send(envelope("cosell-demo")).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let xml = ok.text().await.unwrap();
    let take = |tag: &str| {
        let start = xml.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
        xml[start..start + xml[start..].find('<').unwrap()].to_owned()
    };
    assert!(take("serverUrl").starts_with(&org.emu.url()));
    assert_eq!(take("organizationId"), org.emu.org_id());
    let session = take("sessionId");
    let limits = org
        .http
        .get(org.url("/limits"))
        .header("Authorization", format!("OAuth {session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(limits.status(), StatusCode::OK);
    let bad = send(envelope("wrong")).await.unwrap();
    assert_eq!(bad.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"));
    let _: Value = Value::Null;
}

#[tokio::test]
async fn account_rows_carry_etags() {
    use reqwest::Method;
    let org = TestOrg::start().await;
    let id = org
        .post("/sobjects/Account", json!({ "Name": "Tagged" }))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/sobjects/Account/{id}");
    let read = org.get(&path).await;
    let tag = read.headers["etag"].to_str().unwrap().to_owned();
    let cached = org
        .call_with(Method::GET, &path, None, &[("If-None-Match", &tag)])
        .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    let ok = org
        .call_with(
            Method::PATCH,
            &path,
            Some(json!({ "Phone": "1" })),
            &[("If-Match", &tag)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    let stale = org
        .call_with(
            Method::PATCH,
            &path,
            Some(json!({ "Phone": "2" })),
            &[("If-Match", &tag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn revoke_ends_a_session_and_userinfo_describes_the_user() {
    let org = TestOrg::start().await;
    let info: Value = org
        .http
        .get(format!("{}/services/oauth2/userinfo", org.emu.url()))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["preferred_username"], "admin@cosell.demo");
    assert_eq!(info["organization_id"], json!(org.emu.org_id()));
    let revoked = org
        .http
        .post(format!("{}/services/oauth2/revoke", org.emu.url()))
        .form(&[("token", org.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(org.get("/limits").await.status, StatusCode::UNAUTHORIZED);
}
