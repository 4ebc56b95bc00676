//! The dashboard per co-sell cloud: AWS Partner Central links beside the
//! Partner Center pairs. An operator co-selling with AWS sees each link's
//! state, ids, AWS review status and history, and where a dead AWS job
//! belongs; one who does not sees no AWS panel at all.

use serde_json::{json, Value};

use crate::dashboard::urlencode;
use crate::dashboard_support::{
    seed_aws, visible_text, TestDashboard, ADATUM_AWS_ID, ADATUM_OPPORTUNITY, DEAD_AWS_REASON,
    INSTANCE, LITWARE_ERROR, LITWARE_NAME, PROSEWARE_INVITATION,
};

/// Names of the links in an `/api/aws/links` answer.
fn names(list: &Value) -> Vec<String> {
    list["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn without_aws_links_the_overview_has_no_aws_panel() {
    let d = TestDashboard::start().await;
    let (status, html) = d.get("/").await;
    assert_eq!(status, 200);
    assert!(!html.contains("id=\"aws-link-counts\""), "{html}");
    assert!(!html.contains("AWS Partner Central"), "no AWS heading");
    let (_, o) = d.get_json("/api/overview").await;
    assert!(o.get("aws_links").is_none(), "{o}");

    let text = visible_text(&d.get("/aws/links").await.1);
    assert!(text.contains("No AWS links yet"), "{text}");
}

#[tokio::test]
async fn the_overview_counts_aws_links_beside_the_pairs() {
    let d = TestDashboard::start().await;
    let aws = seed_aws(d.store.as_ref()).await;
    let (_, html) = d.get("/").await;
    let panel = &html[html.find("id=\"aws-link-counts\"").expect("AWS panel")..];
    let panel = visible_text(&panel[..panel.find("</div>\n</div>").unwrap()]);
    for expected in [
        "AWS links 3",
        "Synced 1",
        "On hold 1",
        "Closed 0",
        "Failed 1",
    ] {
        assert!(
            panel.contains(expected),
            "AWS panel lacks {expected:?}: {panel}"
        );
    }
    assert!(html.contains("href=\"/aws/links?state=failed\""));
    // The Microsoft numbers are still there, unchanged.
    assert!(visible_text(&html).contains("Pairs 4"));

    let (_, o) = d.get_json("/api/overview").await;
    assert_eq!(
        o["aws_links"],
        json!({"total": 3, "synced": 1, "on_hold": 1, "closed": 0, "failed": 1})
    );
    assert_eq!(o["pairs"]["total"], 4);
    // Recent activity names the AWS link and points at its page.
    let newest = &o["recent_activity"][0];
    assert_eq!(newest["kind"], "aws_review");
    assert_eq!(
        newest["pair"],
        json!({"id": aws.adatum.to_string(), "name": "Adatum data lake", "cloud": "aws"})
    );
    assert!(html.contains(&format!("href=\"/aws/links/{}\"", aws.adatum)));
}

#[tokio::test]
async fn the_aws_list_shows_ids_review_status_and_errors_and_searches() {
    let d = TestDashboard::start().await;
    seed_aws(d.store.as_ref()).await;
    let (status, html) = d.get("/aws/links").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("class=\"link-link\"").count(), 3);
    let text = visible_text(&html);
    for expected in [
        "Adatum data lake Synced",
        ADATUM_OPPORTUNITY,
        ADATUM_AWS_ID,
        "Approved",
        "Pending Submission",
        LITWARE_ERROR,
        LITWARE_NAME,
    ] {
        assert!(text.contains(expected), "list lacks {expected:?}: {text}");
    }
    assert!(html.contains(&format!(
        "href=\"{INSTANCE}/lightning/r/Opportunity/{ADATUM_OPPORTUNITY}/view\""
    )));
    assert!(!html.contains("<b>bold</b>"), "markup is escaped");

    for (q, name) in [
        ("adatum", "Adatum data lake"),
        (ADATUM_AWS_ID, "Adatum data lake"),
        (ADATUM_OPPORTUNITY, "Adatum data lake"),
        (PROSEWARE_INVITATION, "Proseware analytics"),
    ] {
        let html = d.get(&format!("/aws/links?q={}", urlencode(q))).await.1;
        assert_eq!(html.matches("class=\"link-link\"").count(), 1, "{q}");
        assert!(
            visible_text(&html).contains(name),
            "search {q:?} misses {name}"
        );
    }

    let html = d.get("/aws/links?state=failed").await.1;
    assert_eq!(html.matches("class=\"link-link\"").count(), 1);
    assert!(html.contains("<option value=\"failed\" selected>"));
    let text = visible_text(&d.get("/aws/links?q=nothing-like-this").await.1);
    assert!(text.contains("No AWS link matches this search."), "{text}");

    let (status, list) = d.get_json("/api/aws/links?state=on_hold").await;
    assert_eq!(status, 200);
    assert_eq!(names(&list), ["Proseware analytics"]);
    let (_, list) = d
        .get_json(&format!("/api/aws/links?q={ADATUM_AWS_ID}"))
        .await;
    let l = &list["links"][0];
    assert_eq!(l["aws_opportunity_id"], ADATUM_AWS_ID);
    assert_eq!(l["opportunity_id"], ADATUM_OPPORTUNITY);
    assert_eq!(l["review_status"], "Approved");
    assert_eq!(l["state"], "synced");
    assert!(l["last_synced_at"].is_string());
    let (_, all) = d.get_json("/api/aws/links").await;
    assert_eq!(
        names(&all),
        ["Adatum data lake", LITWARE_NAME, "Proseware analytics"],
        "most recently updated first"
    );
    let (status, body) = d.get_json("/api/aws/links?state=lost").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_link_page_shows_its_history_and_its_dead_job() {
    let d = TestDashboard::start().await;
    let aws = seed_aws(d.store.as_ref()).await;
    let (status, html) = d.get(&format!("/aws/links/{}", aws.adatum)).await;
    assert_eq!(status, 200);
    let text = visible_text(&html);
    let review = text
        .find("AWS review status is now Approved")
        .expect("review");
    let shared = text
        .find(&format!("Shared with AWS as {ADATUM_AWS_ID}"))
        .expect("share");
    assert!(review < shared, "newest first: {text}");
    for expected in ["Stopped retrying", DEAD_AWS_REASON, "AWS review Approved"] {
        assert!(text.contains(expected), "page lacks {expected:?}: {text}");
    }
    assert!(html.contains(&format!(
        "action=\"/dead-letters/{}/retry\"",
        aws.dead_adatum
    )));

    let (status, l) = d.get_json(&format!("/api/aws/links/{}", aws.adatum)).await;
    assert_eq!(status, 200);
    assert_eq!(l["link"]["id"], aws.adatum.to_string());
    let kinds: Vec<&str> = l["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["aws_review", "aws_shared"]);
    assert_eq!(l["history"][1]["title"], "Shared with AWS");
    assert_eq!(l["dead_letters"][0]["reason"], DEAD_AWS_REASON);

    let html = d.get(&format!("/aws/links/{}", aws.litware)).await.1;
    assert!(visible_text(&html).contains(&format!("Last attempt failed. {LITWARE_ERROR}")));
    assert!(!html.contains("<b>bold</b>"), "markup is escaped");
    let text = visible_text(&d.get(&format!("/aws/links/{}", aws.proseware)).await.1);
    assert!(text.contains(PROSEWARE_INVITATION), "{text}");
}

#[tokio::test]
async fn unknown_links_are_404_even_with_a_pair_id() {
    let d = TestDashboard::start().await;
    let missing = uuid::Uuid::now_v7();
    let (status, body) = d.get_json(&format!("/api/aws/links/{missing}")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": format!("no AWS link with id {missing}")})
    );
    let (status, _) = d.get(&format!("/aws/links/{}", d.seeded.contoso)).await;
    assert_eq!(status, 404);
    let (status, _) = d.get_json("/api/aws/links/not-a-uuid").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_dead_aws_job_links_to_its_aws_link() {
    let d = TestDashboard::start().await;
    let aws = seed_aws(d.store.as_ref()).await;
    let (_, html) = d.get("/dead-letters").await;
    let row = &html[html
        .find(&format!("data-job=\"{}\"", aws.dead_adatum))
        .expect("the AWS dead job is listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains(&format!(
            "<a href=\"/aws/links/{}\">Adatum data lake</a>",
            aws.adatum
        )),
        "{row}"
    );
    let (_, dead) = d.get_json("/api/dead-letters").await;
    let job = dead["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == aws.dead_adatum.to_string())
        .expect("the AWS dead job");
    assert_eq!(job["key"], format!("aws-opportunity:{ADATUM_AWS_ID}"));
    assert_eq!(job["pair"]["cloud"], "aws");
    assert_eq!(job["pair"]["id"], aws.adatum.to_string());
    // The Microsoft pair's dead job still names its pair, without a cloud.
    let northwind = dead["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == d.seeded.dead_northwind.to_string())
        .expect("Northwind's dead job");
    assert!(northwind["pair"].get("cloud").is_none());
}
