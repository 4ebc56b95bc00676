//! The dashboard's pages as an admin reads them: numbers on the overview,
//! search, a pair's history with its conflict, dead letters and Retry.

use store::JobState;

use crate::dashboard_support::{
    visible_text, TestDashboard, CONTOSO_OPPORTUNITY, CONTOSO_REFERRAL, DEAD_REASON_1,
    DEAD_REASON_2, INSTANCE, NORTHWIND_ERROR, NORTHWIND_NAME, NORTHWIND_OPPORTUNITY, PORTAL,
};

#[tokio::test]
async fn overview_shows_counts_queue_dead_letters_and_activity() {
    let d = TestDashboard::start().await;
    let (status, html) = d.get("/").await;
    assert_eq!(status, 200);
    let text = visible_text(&html);
    for expected in [
        "Pairs 4",
        "Synced 1",
        "On hold 1",
        "Closed 1",
        "Failed 1",
        "Queue 1 pending 1 running now",
        "Dead letters 2 need a look",
        "Last sync Partner Center → Salesforce 5 min ago",
        "Last sync Salesforce → Partner Center 12 min ago",
        "Salesforce API budget (24 h) unknown",
    ] {
        assert!(
            text.contains(expected),
            "overview lacks {expected:?}:\n{text}"
        );
    }
    // Recent activity, newest first, naming the pair.
    let conflict = text
        .find("Conflict resolved")
        .expect("conflict in activity");
    let created = text
        .find("Opportunity created in Salesforce")
        .expect("creation");
    assert!(conflict < created, "newest first");
    assert!(text.contains("Contoso Azure migration"));
}

#[tokio::test]
async fn overview_shows_the_api_budget_once_the_service_records_it() {
    let d = TestDashboard::start().await;
    crate::dashboard_support::record_org_usage(&d, 4200, 15000).await;
    let text = visible_text(&d.get("/").await.1);
    assert!(
        text.contains("Salesforce API budget (24 h) 4200 / 15000 (28%)"),
        "{text}"
    );
}

#[tokio::test]
async fn markup_in_stored_text_is_escaped() {
    let d = TestDashboard::start().await;
    for path in [
        "/".to_owned(),
        "/pairs".to_owned(),
        format!("/pairs/{}", d.seeded.northwind),
        "/dead-letters".to_owned(),
    ] {
        let (status, html) = d.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script>"), "{path} carries raw markup");
        if path != "/" {
            assert!(
                html.contains("Northwind &#60;script&#62;")
                    || html.contains("Northwind &lt;script&gt;"),
                "{path} does not show the escaped name"
            );
        }
    }
}

#[tokio::test]
async fn search_finds_pairs_by_name_referral_id_and_opportunity_id() {
    let d = TestDashboard::start().await;
    let cases = [
        ("contoso", "Contoso Azure migration"),
        ("FABRIKAM dyn", "Fabrikam Dynamics rollout"),
        (CONTOSO_REFERRAL, "Contoso Azure migration"),
        (CONTOSO_OPPORTUNITY, "Contoso Azure migration"),
        (NORTHWIND_OPPORTUNITY, "Northwind"),
    ];
    for (q, name) in cases {
        let (status, html) = d.get(&format!("/pairs?q={}", urlencode(q))).await;
        assert_eq!(status, 200);
        let text = visible_text(&html);
        assert!(text.contains(name), "search {q:?} misses {name}:\n{text}");
        assert_eq!(
            html.matches("class=\"pair-link\"").count(),
            1,
            "{q:?} finds one pair"
        );
    }
    let text = visible_text(&d.get("/pairs?q=nothing-like-this").await.1);
    assert!(text.contains("No pair matches this search."), "{text}");
}

#[tokio::test]
async fn the_list_filters_by_state_and_links_both_records() {
    let d = TestDashboard::start().await;
    let (_, html) = d.get("/pairs").await;
    assert_eq!(html.matches("class=\"pair-link\"").count(), 4);
    assert!(html.contains(&format!("href=\"{PORTAL}/{CONTOSO_REFERRAL}\"")));
    assert!(html.contains(&format!(
        "href=\"{INSTANCE}/lightning/r/Opportunity/{CONTOSO_OPPORTUNITY}/view\""
    )));

    let (_, html) = d.get("/pairs?state=failed").await;
    let text = visible_text(&html);
    assert_eq!(html.matches("class=\"pair-link\"").count(), 1);
    assert!(
        text.contains(NORTHWIND_ERROR),
        "failed pairs show why: {text}"
    );
    assert!(html.contains("<option value=\"failed\" selected>"));

    let (status, html) = d.get("/pairs?state=bogus").await;
    assert_eq!(status, 400);
    assert!(visible_text(&html).contains("unknown state \"bogus\""));
}

#[tokio::test]
async fn the_pair_page_shows_syncs_conflicts_and_links() {
    let d = TestDashboard::start().await;
    let (status, html) = d.get(&format!("/pairs/{}", d.seeded.contoso)).await;
    assert_eq!(status, 200);
    let text = visible_text(&html);
    for expected in [
        "Contoso Azure migration Synced",
        "Open referral in Partner Center",
        "Open opportunity in Salesforce",
        // The deal as last synced.
        "Deal value 12000.00 USD",
        "Status Active / Accepted",
        "Solutions SOL-AZ-001",
        // Each sync: what changed on which side.
        "Partner Center → Salesforce: Deal value, Notes",
        "Salesforce → Partner Center: Close date",
        "Opportunity moved to Active",
        // The conflict: both values and the winner.
        "Conflict resolved",
        "Deal value Value Outcome Partner Center 10000.0 discarded Salesforce 12000.0 ✓ kept (winner)",
        "Winner: Salesforce",
        "Opportunity created in Salesforce",
    ] {
        assert!(text.contains(expected), "pair page lacks {expected:?}:\n{text}");
    }
    assert!(html.contains(&format!("href=\"{PORTAL}/{CONTOSO_REFERRAL}\"")));
    let conflict = text.find("Conflict resolved").unwrap();
    let synced = text.find("Synced Sent to Partner Center").unwrap();
    assert!(conflict < synced, "history is newest first");
}

#[tokio::test]
async fn a_failed_pair_shows_the_error_with_its_fix_and_its_dead_job() {
    let d = TestDashboard::start().await;
    let (_, html) = d.get(&format!("/pairs/{}", d.seeded.northwind)).await;
    let text = visible_text(&html);
    assert!(
        text.contains(&format!("Last attempt failed. {NORTHWIND_ERROR}")),
        "{text}"
    );
    assert!(text.contains("Validation failed"));
    assert!(text.contains(&format!("Stopped retrying Job Attempts Reason opportunity:{NORTHWIND_OPPORTUNITY} 1 {DEAD_REASON_1} Retry")), "{text}");
    // Retry from the pair page comes back to the pair page.
    assert!(html.contains(&format!(
        "<input type=\"hidden\" name=\"return_to\" value=\"/pairs/{}\">",
        d.seeded.northwind
    )));
    // No referral yet: no referral link, the opportunity link is there.
    assert!(!html.contains("id=\"referral-link\""));
    assert!(html.contains("id=\"opportunity-link\""));
}

#[tokio::test]
async fn unknown_and_malformed_pair_ids_are_explained() {
    let d = TestDashboard::start().await;
    let (status, html) = d.get(&format!("/pairs/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, 404);
    assert!(visible_text(&html).contains("404 · Not Found no pair with id"));
    let (status, html) = d.get("/pairs/not-an-id").await;
    assert_eq!(status, 400);
    assert!(visible_text(&html).contains("\"not-an-id\" is not a valid id"));
}

#[tokio::test]
async fn dead_letters_list_their_reasons_and_pairs() {
    let d = TestDashboard::start().await;
    let (status, html) = d.get("/dead-letters").await;
    assert_eq!(status, 200);
    let text = visible_text(&html);
    assert!(text.contains("2 jobs waiting Retry all"), "{text}");
    assert!(text.contains(DEAD_REASON_1) && text.contains(DEAD_REASON_2));
    assert!(text.contains(&format!(
        "opportunity:{NORTHWIND_OPPORTUNITY} {NORTHWIND_NAME}"
    )));
    assert!(html.contains(&format!(
        "action=\"/dead-letters/{}/retry\"",
        d.seeded.dead_orphan
    )));
    assert!(html.contains(&format!("href=\"/pairs/{}\"", d.seeded.northwind)));
}

#[tokio::test]
async fn retry_requeues_the_job_and_says_so_once() {
    let d = TestDashboard::start().await;
    let id = d.seeded.dead_orphan;
    let res = d.post(&format!("/dead-letters/{id}/retry")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dead-letters");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cosell_flash=retried."), "{cookie}");
    assert_eq!(
        d.store.job(id).await.unwrap().unwrap().state,
        JobState::Pending
    );

    // The next page shows the flash, clears it, and no longer lists the job.
    let flash = cookie.split(';').next().unwrap();
    let res = d
        .http
        .get(format!("{}/dead-letters", d.base))
        .header("cookie", flash)
        .send()
        .await
        .unwrap();
    let clear = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(clear.contains("Max-Age=0"), "{clear}");
    let html = res.text().await.unwrap();
    let text = visible_text(&html);
    let short = &id.to_string()[..8];
    assert!(
        text.contains(&format!(
            "Job {short} was queued again and will run within moments."
        )),
        "{text}"
    );
    assert!(
        !html.contains(&id.to_string()),
        "the retried job is gone from the list"
    );
    assert!(text.contains("1 job waiting"));

    // Pressing Retry again on a stale page explains what happened.
    let res = d.post(&format!("/dead-letters/{id}/retry")).await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("cosell_flash=not-dead."));
}

#[tokio::test]
async fn retry_from_the_pair_page_returns_there_and_retry_all_empties_the_list() {
    let d = TestDashboard::start().await;
    let back = format!("/pairs/{}", d.seeded.northwind);
    let res = d
        .http
        .post(format!(
            "{}/dead-letters/{}/retry",
            d.base, d.seeded.dead_northwind
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("return_to={}", urlencode(&back)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), back);

    let res = d.post("/dead-letters/retry-all").await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("cosell_flash=retried-all.1;"));
    let text = visible_text(&d.get("/dead-letters").await.1);
    assert!(text.contains("No dead letters"), "{text}");
    assert_eq!(d.store.job_counts().await.unwrap().dead, 0);
}

#[tokio::test]
async fn retry_posts_from_another_site_are_refused() {
    let d = TestDashboard::start().await;
    let res = d
        .http
        .post(format!(
            "{}/dead-letters/{}/retry",
            d.base, d.seeded.dead_orphan
        ))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = d
        .http
        .post(format!("{}/api/dead-letters/retry-all", d.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        d.store.job_counts().await.unwrap().dead,
        2,
        "nothing was retried"
    );
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn pages_of_on_hold_and_closed_pairs_say_where_they_stand() {
    let d = TestDashboard::start().await;
    let text = visible_text(&d.get(&format!("/pairs/{}", d.seeded.fabrikam)).await.1);
    assert!(text.contains("Fabrikam Dynamics rollout On hold"), "{text}");
    assert!(
        text.contains("Deal, as last synced Not synced yet."),
        "{text}"
    );
    assert!(text.contains("Salesforce → Partner Center never"), "{text}");
    assert!(text.contains("History Nothing has happened yet."), "{text}");
    let text = visible_text(&d.get(&format!("/pairs/{}", d.seeded.tailspin)).await.1);
    assert!(text.contains("Tailspin Toys renewal Closed"), "{text}");
    assert!(
        text.contains("Salesforce → Partner Center 3 days ago"),
        "{text}"
    );
}

#[tokio::test]
async fn pages_cannot_be_framed_or_run_scripts() {
    let d = TestDashboard::start().await;
    for path in ["/", "/pairs", "/dead-letters", "/pairs/not-an-id"] {
        let res = d
            .http
            .get(format!("{}{path}", d.base))
            .send()
            .await
            .unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
    }
}
