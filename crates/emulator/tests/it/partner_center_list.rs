//! List: envelope, `$filter`, `$count`, `$top`/`$skip`, `$orderby`, `$select`, paging.

use emulator::partner_center::{ODataMode, Options};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{expect_error, private_deal, spawn, spawn_with, Pc};

async fn list(pc: &Pc, query: &[(&str, &str)]) -> Value {
    let response = pc
        .http
        .get(pc.referrals())
        .bearer_auth(&pc.token)
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query:?}");
    response.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn seed(pc: &Pc, count: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..count {
        let mut body = private_deal();
        body["name"] = json!(format!("deal-{i}"));
        body["customerProfile"]["address"]["country"] = json!(if i % 2 == 0 { "US" } else { "FR" });
        body["details"]["dealValue"] = json!(1000 * i);
        out.push(pc.created(&body).await);
    }
    out
}

#[tokio::test]
async fn envelope_and_count() {
    let pc = spawn().await;
    seed(&pc, 3).await;
    let page = list(&pc, &[("$count", "true")]).await;
    assert!(page["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#Referrals"));
    assert_eq!(page["@odata.count"], 3);
    assert_eq!(names(&page), ["deal-0", "deal-1", "deal-2"]);
    assert!(page.get("@odata.nextLink").is_none());
    let plain = list(&pc, &[]).await;
    assert!(plain.get("@odata.count").is_none());
}

#[tokio::test]
async fn documented_filters_work() {
    let pc = spawn().await;
    let seeded = seed(&pc, 4).await;
    let by_country = list(
        &pc,
        &[(
            "$filter",
            "customerProfile/address/country eq 'US' and direction eq 'Outgoing'",
        )],
    )
    .await;
    assert_eq!(names(&by_country), ["deal-0", "deal-2"]);
    let engagement = seeded[1]["engagementId"].as_str().unwrap();
    let quoted = list(
        &pc,
        &[("$filter", &format!("engagementId eq '{engagement}'"))],
    )
    .await;
    assert_eq!(names(&quoted), ["deal-1"]);
    let unquoted = list(
        &pc,
        &[(
            "$filter",
            &format!("engagementId eq {}", engagement.to_uppercase()),
        )],
    )
    .await;
    assert_eq!(names(&unquoted), ["deal-1"]);
    let team = list(
        &pc,
        &[(
            "$filter",
            "status eq 'Active' and team/any(t:t/email eq 'john@partner.example')",
        )],
    )
    .await;
    assert_eq!(names(&team).len(), 4);
    let none = list(
        &pc,
        &[(
            "$filter",
            "(direction eq 'Incoming' and substatus eq 'Pending')",
        )],
    )
    .await;
    assert!(names(&none).is_empty());
    let numeric = list(
        &pc,
        &[("$filter", "details/dealValue ge 2000 or name eq 'deal-0'")],
    )
    .await;
    assert_eq!(names(&numeric), ["deal-0", "deal-2", "deal-3"]);
    let created = seeded[2]["createdDateTime"].as_str().unwrap();
    let dated = list(
        &pc,
        &[("$filter", &format!("createdDateTime ge {created}"))],
    )
    .await;
    assert_eq!(names(&dated), ["deal-2", "deal-3"]);
    let negated = list(
        &pc,
        &[("$filter", "not (name eq 'deal-0') and name ne 'deal-1'")],
    )
    .await;
    assert_eq!(names(&negated), ["deal-2", "deal-3"]);
}

#[tokio::test]
async fn string_literals_escape_quotes() {
    let pc = spawn().await;
    let mut body = private_deal();
    body["name"] = json!("O'Brien");
    pc.created(&body).await;
    let page = list(&pc, &[("$filter", "name eq 'O''Brien'")]).await;
    assert_eq!(names(&page), ["O'Brien"]);
}

#[tokio::test]
async fn bad_query_options_are_rejected() {
    let pc = spawn().await;
    for (option, value) in [
        ("$filter", "status eq"),
        ("$filter", "status eq 'Active"),
        ("$filter", "nosuchfield eq 1"),
        ("$filter", "status equals 'Active'"),
        ("$filter", "(status eq 'New'"),
        ("$orderby", "name asc"),
        ("$orderby", "createdDateTime sideways"),
        ("$top", "ten"),
        ("$skip", "-1"),
        ("$count", "yes"),
        ("$select", "id,doesNotExist"),
        ("$skiptoken", "garbage!"),
        ("$expand", "customer"),
    ] {
        let response = pc
            .http
            .get(pc.referrals())
            .bearer_auth(&pc.token)
            .query(&[(option, value)])
            .send()
            .await
            .unwrap();
        expect_error(response, 400, "invalidRequest").await;
    }
}

#[tokio::test]
async fn orderby_top_skip_and_select() {
    let pc = spawn().await;
    seed(&pc, 4).await;
    let desc = list(&pc, &[("$orderby", "createdDateTime desc"), ("$top", "2")]).await;
    assert_eq!(names(&desc), ["deal-3", "deal-2"]);
    assert!(
        desc.get("@odata.nextLink").is_none(),
        "$top=2 asks for two results in total"
    );
    let skipped = list(
        &pc,
        &[
            ("$orderby", "createdDateTime asc"),
            ("$skip", "1"),
            ("$top", "2"),
        ],
    )
    .await;
    assert_eq!(names(&skipped), ["deal-1", "deal-2"]);
    let by_update = list(&pc, &[("$orderby", "updatedDateTime desc")]).await;
    assert_eq!(names(&by_update)[0], "deal-3");
    let selected = list(&pc, &[("$select", "id,name,status")]).await;
    let first = selected["value"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["id", "name", "status"]);
}

#[tokio::test]
async fn paging_follows_next_link_verbatim() {
    let options = Options {
        page_size: 2,
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    seed(&pc, 5).await;
    let mut page = list(
        &pc,
        &[("$filter", "direction eq 'Outgoing'"), ("$count", "true")],
    )
    .await;
    let mut seen = names(&page);
    let mut pages = 1;
    while let Some(next) = page["@odata.nextLink"].as_str() {
        assert!(next.starts_with(&pc.referrals()), "absolute link: {next}");
        assert!(next.contains("$skiptoken="));
        let response = pc.get(next).await;
        assert_eq!(response.status(), StatusCode::OK);
        page = response.json().await.unwrap();
        assert_eq!(page["@odata.count"], 5, "count is carried across pages");
        seen.extend(names(&page));
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["deal-0", "deal-1", "deal-2", "deal-3", "deal-4"]);

    // $top larger than a page keeps paging until $top results were served.
    let mut page = list(&pc, &[("$top", "3")]).await;
    let mut seen = names(&page);
    while let Some(next) = page["@odata.nextLink"].as_str() {
        page = pc.get(next).await.json().await.unwrap();
        seen.extend(names(&page));
    }
    assert_eq!(seen, ["deal-0", "deal-1", "deal-2"]);
}

async fn spawn_in(mode: ODataMode) -> Pc {
    let mut options = Options::default();
    options.rules.odata = mode;
    spawn_with(options).await
}

/// Documented `$filter` properties behave the same in every OData mode.
#[tokio::test]
async fn documented_filters_work_in_every_odata_mode() {
    for mode in ODataMode::ALL {
        let pc = spawn_in(mode).await;
        seed(&pc, 2).await;
        let page = list(
            &pc,
            &[(
                "$filter",
                "customerProfile/address/country eq 'FR' and direction eq 'Outgoing'",
            )],
        )
        .await;
        assert_eq!(names(&page), ["deal-1"], "{mode}");
    }
}

/// In the documented-only mode a filter on an undocumented property is a
/// 400 `invalidRequest` in the documented error shape.
#[tokio::test]
async fn the_documented_mode_refuses_undocumented_filters() {
    let pc = spawn_in(ODataMode::Documented).await;
    seed(&pc, 1).await;
    for filter in [
        "externalReferenceId eq '006000000000001'",
        "updatedDateTime ge 2024-01-01T00:00:00Z",
        "status eq 'Active' and name eq 'deal-0'",
    ] {
        let response = pc
            .http
            .get(pc.referrals())
            .bearer_auth(&pc.token)
            .query(&[("$filter", filter)])
            .send()
            .await
            .unwrap();
        let body = expect_error(response, 400, "invalidRequest").await;
        assert_eq!(body["error"]["target"], "$filter", "{filter}");
    }
    let ordered = list(&pc, &[("$orderby", "updatedDateTime desc")]).await;
    assert_eq!(
        names(&ordered),
        ["deal-0"],
        "documented $orderby still works"
    );
}

/// In the lenient mode an undocumented comparison is ignored: every
/// referral comes back, as if the clause were absent.
#[tokio::test]
async fn the_lenient_mode_ignores_undocumented_filters() {
    let pc = spawn_in(ODataMode::IgnoreUnknown).await;
    seed(&pc, 3).await;
    let page = list(&pc, &[("$filter", "externalReferenceId eq 'nobody'")]).await;
    assert_eq!(names(&page), ["deal-0", "deal-1", "deal-2"]);
    let mixed = list(
        &pc,
        &[(
            "$filter",
            "updatedDateTime ge 2999-01-01T00:00:00Z and customerProfile/address/country eq 'US'",
        )],
    )
    .await;
    assert_eq!(names(&mixed), ["deal-0", "deal-2"]);
}
