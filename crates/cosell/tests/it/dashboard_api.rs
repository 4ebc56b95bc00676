//! The dashboard's JSON API: the same data as the pages, errors as
//! `{"error": "..."}` with their status codes. Shapes are pinned by insta
//! snapshots with ids and times redacted.

use serde_json::{json, Value};
use store::JobState;

use crate::dashboard::urlencode;
use crate::dashboard_support::{
    TestDashboard, CONTOSO_OPPORTUNITY, CONTOSO_REFERRAL, DEAD_REASON_1, INSTANCE, PORTAL,
};

/// Redacts everything that changes from run to run.
macro_rules! assert_redacted_snapshot {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".**.id" => "[id]",
            ".**.at" => "[time]",
            ".**.created_at" => "[time]",
            ".**.updated_at" => "[time]",
            ".**.failed_at" => "[time]",
            ".**.last_pc_to_sf_at" => "[time]",
            ".**.last_sf_to_pc_at" => "[time]",
            ".last_sync.partner_center_to_salesforce" => "[time]",
            ".last_sync.salesforce_to_partner_center" => "[time]",
        })
    };
}

#[tokio::test]
async fn overview_numbers() {
    let d = TestDashboard::start().await;
    let (status, o) = d.get_json("/api/overview").await;
    assert_eq!(status, 200);
    assert_eq!(
        o["pairs"],
        json!({"total": 4, "synced": 1, "on_hold": 1, "closed": 1, "failed": 1})
    );
    assert_eq!(
        o["queue"],
        json!({"pending": 1, "running": 1, "done": 0, "dead": 2})
    );
    assert_eq!(o["dead_letters"], 2);
    assert_eq!(o["api_usage"], Value::Null);
    let at = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(
        at(&o["last_sync"]["partner_center_to_salesforce"]),
        d.seeded.pc_to_sf_at
    );
    assert_eq!(
        at(&o["last_sync"]["salesforce_to_partner_center"]),
        d.seeded.sf_to_pc_at
    );
    let kinds: Vec<&str> = o["recent_activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "conflict",
            "validation_failed",
            "synced",
            "opportunity_created"
        ]
    );
    assert_eq!(
        o["recent_activity"][0]["pair"]["name"],
        "Contoso Azure migration"
    );
    assert_redacted_snapshot!("dashboard_api_overview", o);
}

#[tokio::test]
async fn api_usage_comes_from_the_services_usage_report() {
    let d = TestDashboard::start().await;
    let (_, o) = d.get_json("/api/overview").await;
    assert_eq!(o["api_usage"], Value::Null, "no report means unknown");
    crate::dashboard_support::record_org_usage(&d, 4000, 5000).await;
    let (_, o) = d.get_json("/api/overview").await;
    assert_eq!(
        o["api_usage"],
        json!({"used": 4000, "max": 5000, "percent": 80})
    );
}

#[tokio::test]
async fn pairs_search_and_filter() {
    let d = TestDashboard::start().await;
    let names = |v: &Value| -> Vec<String> {
        v["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, all) = d.get_json("/api/pairs").await;
    assert_eq!(status, 200);
    assert_eq!(all["pairs"].as_array().unwrap().len(), 4);
    assert_eq!(all["page"], 1);
    assert_eq!(all["has_more"], false);

    for q in ["azure", CONTOSO_REFERRAL, CONTOSO_OPPORTUNITY] {
        let (_, found) = d.get_json(&format!("/api/pairs?q={}", urlencode(q))).await;
        assert_eq!(names(&found), ["Contoso Azure migration"], "q={q}");
        assert_eq!(found["q"], q);
    }
    let (_, on_hold) = d.get_json("/api/pairs?state=on_hold").await;
    assert_eq!(names(&on_hold), ["Fabrikam Dynamics rollout"]);
    assert_eq!(on_hold["state"], "on_hold");
    let (_, none) = d.get_json("/api/pairs?q=contoso&state=closed").await;
    assert_eq!(names(&none), Vec::<String>::new());

    let (_, contoso) = d.get_json("/api/pairs?q=contoso").await;
    let p = &contoso["pairs"][0];
    assert_eq!(p["referral_url"], format!("{PORTAL}/{CONTOSO_REFERRAL}"));
    assert_eq!(
        p["opportunity_url"],
        format!("{INSTANCE}/lightning/r/Opportunity/{CONTOSO_OPPORTUNITY}/view")
    );
    assert_redacted_snapshot!("dashboard_api_pairs_contoso", contoso);
}

#[tokio::test]
async fn bad_filters_are_400_with_a_json_error() {
    let d = TestDashboard::start().await;
    let (status, body) = d.get_json("/api/pairs?state=lost").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "unknown state \"lost\": use synced, on_hold, closed or failed"})
    );
    let (status, body) = d.get_json("/api/pairs?page=0").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("page \"0\""));
}

#[tokio::test]
async fn a_pair_with_its_history() {
    let d = TestDashboard::start().await;
    let (status, p) = d
        .get_json(&format!("/api/pairs/{}", d.seeded.contoso))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["pair"]["id"], d.seeded.contoso.to_string());
    assert_eq!(p["pair"]["state"], "synced");
    assert_eq!(p["snapshot"]["deal_value"], 12000.0);
    let history = p["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[0]["conflict"],
        json!({"field": "deal_value", "winner": "salesforce", "partner_center": 10000.0, "salesforce": 12000.0})
    );
    assert_eq!(
        history[1]["changes"]["to_salesforce"],
        json!(["deal_value", "notes"])
    );
    assert_eq!(
        history[1]["changes"]["to_partner_center"],
        json!(["close_date"])
    );
    assert_redacted_snapshot!("dashboard_api_pair_contoso", p);

    let (_, nw) = d
        .get_json(&format!("/api/pairs/{}", d.seeded.northwind))
        .await;
    assert_eq!(nw["dead_letters"][0]["reason"], DEAD_REASON_1);
    assert_eq!(
        nw["dead_letters"][0]["pair"]["id"],
        d.seeded.northwind.to_string()
    );
}

#[tokio::test]
async fn unknown_pairs_are_404_and_bad_ids_400() {
    let d = TestDashboard::start().await;
    let missing = uuid::Uuid::now_v7();
    let (status, body) = d.get_json(&format!("/api/pairs/{missing}")).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"error": format!("no pair with id {missing}")}));
    let (status, body) = d.get_json("/api/pairs/12345").await;
    assert_eq!(status, 400);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .starts_with("\"12345\" is not a valid id"));
    let (status, body) = d.get_json("/api/no-such-thing").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": "no such API endpoint: /api/no-such-thing"})
    );
}

#[tokio::test]
async fn dead_letters_and_retry() {
    let d = TestDashboard::start().await;
    let (status, list) = d.get_json("/api/dead-letters").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["dead_letters"].as_array().unwrap().len(), 2);
    assert_redacted_snapshot!("dashboard_api_dead_letters", list);

    let id = d.seeded.dead_northwind;
    let res = d.post(&format!("/api/dead-letters/{id}/retry")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"retried": 1, "job": {"id": id.to_string(), "key": format!("opportunity:{}", crate::dashboard_support::NORTHWIND_OPPORTUNITY), "state": "pending"}})
    );
    let job = d.store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.attempts, 0, "attempts start over");

    // Not dead any more: 409. Unknown: 404. Not a UUID: 400.
    let res = d.post(&format!("/api/dead-letters/{id}/retry")).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"],
        format!("job {id} is pending, not dead: only dead letters can be retried")
    );
    let missing = uuid::Uuid::now_v7();
    let res = d.post(&format!("/api/dead-letters/{missing}/retry")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": format!("no job with id {missing}")})
    );
    assert_eq!(d.post("/api/dead-letters/x/retry").await.status(), 400);

    let res = d.post("/api/dead-letters/retry-all").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"retried": 1}));
    let (_, list) = d.get_json("/api/dead-letters").await;
    assert_eq!(list, json!({"total": 0, "dead_letters": []}));
}

#[tokio::test]
async fn reading_endpoints_refuse_other_methods() {
    let d = TestDashboard::start().await;
    assert_eq!(d.post("/api/overview").await.status(), 405);
    let res = d
        .http
        .get(format!("{}/api/dead-letters/retry-all", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn the_list_pages_through_many_pairs() {
    let d = TestDashboard::start().await;
    const EXTRA: usize = 55;
    for i in 0..EXTRA {
        let mut p = store::Pair::new(format!("Bulk deal {i:02}"));
        p.referral_id = Some(format!("bulk-ref-{i:02}"));
        d.store.save_pair(&p).await.unwrap();
    }
    let (_, first) = d.get_json("/api/pairs?q=bulk").await;
    assert_eq!(first["pairs"].as_array().unwrap().len(), 50);
    assert_eq!(first["has_more"], true);
    let (_, second) = d.get_json("/api/pairs?q=bulk&page=2").await;
    assert_eq!(second["pairs"].as_array().unwrap().len(), EXTRA - 50);
    assert_eq!(second["has_more"], false);
    assert_eq!(second["page"], 2);

    let (_, html) = d.get("/pairs?q=bulk").await;
    assert!(
        html.contains("href=\"/pairs?q=bulk&#38;page=2\"")
            || html.contains("href=\"/pairs?q=bulk&amp;page=2\""),
        "next link"
    );
    let (_, html) = d.get("/pairs?q=bulk&page=2").await;
    assert!(html.contains("rel=\"prev\""));
    assert!(!html.contains("rel=\"next\""));
}
