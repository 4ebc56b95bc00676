//! The dashboard in a real browser (headless Chromium over the DevTools
//! protocol): sign in through the emulated Entra ID page, load the overview,
//! go to the pairs, search, open a pair, press Retry on a dead letter (a
//! form carrying the session's CSRF token), and check what a person sees.
//!
//! Run: `cargo nextest run -p cosell -E 'test(/dashboard_browser/)'`.
//! Needs Debian's `chromium` (`apt-get install -y chromium`) at
//! `/usr/bin/chromium`, or `COSELL_CHROMIUM=/path`; without it the test says
//! so and is skipped. [`walk_through`] takes any base URL, so it also runs
//! against a live server: `COSELL_DASHBOARD_URL=http://127.0.0.1:8080 cargo
//! nextest run -p cosell --run-ignored only -E 'test(/dashboard_browser/)'`.

use anyhow::{ensure, Context, Result};

use crate::dashboard_cdp::{chromium_path, Browser, CHROMIUM, CHROMIUM_ENV};
use crate::dashboard_support::TestDashboard;
use emulator::partner_center::DEMO_ADMIN;

/// Environment variable naming a running dashboard for the external run.
const DASHBOARD_URL_ENV: &str = "COSELL_DASHBOARD_URL";
/// Environment variable naming a folder to save a screenshot of each step in.
const SCREENSHOTS_ENV: &str = "COSELL_SCREENSHOTS";

/// Saves a screenshot of the current page when `COSELL_SCREENSHOTS` is set.
pub(crate) async fn snap(browser: &mut Browser, name: &str) -> Result<()> {
    if let Some(dir) = std::env::var_os(SCREENSHOTS_ENV) {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir)?;
        browser.screenshot(&dir.join(format!("{name}.png"))).await?;
    }
    Ok(())
}

/// What the walk-through saw and did.
#[derive(Debug, Default)]
pub struct Walk {
    /// Pairs listed on the first page of the list.
    pub pairs_listed: u64,
    /// The pair that was searched for and opened.
    pub opened_pair: Option<String>,
    /// The dead letter that was retried.
    pub retried: Option<String>,
    /// Dead letters listed before the retry.
    pub dead_letters_before: u64,
}

/// Drives the dashboard at `base` like an admin in five minutes. Works on
/// any data: steps that need a pair or a dead letter are done when there is one.
pub async fn walk_through(browser: &mut Browser, base: &str) -> Result<Walk> {
    let base = base.trim_end_matches('/');
    let mut walk = Walk::default();

    // The overview.
    browser.goto(&format!("{base}/")).await?;
    let title = browser.eval("document.title").await?;
    ensure!(title == "Overview · cosell", "overview title is {title}");
    ensure!(browser.text("h1").await?.as_deref() == Some("Overview"));
    for section in ["#pair-counts", "#health", "#recent-activity", "#api-budget"] {
        ensure!(
            browser.count(section).await? == 1,
            "overview lacks {section}"
        );
    }
    let total = browser
        .text("#pair-counts [data-state=total] .value")
        .await?
        .context("no pair total")?;
    total
        .parse::<u64>()
        .with_context(|| format!("pair total {total:?} is not a number"))?;
    snap(browser, "1-overview").await?;

    // To the pairs, by the navigation bar.
    browser.click_and_wait("nav a[href='/pairs']").await?;
    ensure!(browser.url().await?.ends_with("/pairs"), "not on /pairs");
    walk.pairs_listed = browser.count("a.pair-link").await?;
    snap(browser, "2-pairs").await?;
    if walk.pairs_listed > 0 {
        let name = browser.text("a.pair-link").await?.context("pair name")?;
        // Search for it with the search box.
        browser.click("form.search input[name=q]").await?;
        browser.type_text(&name).await?;
        browser
            .click_and_wait("form.search button[type=submit]")
            .await?;
        let url = browser.url().await?;
        ensure!(url.contains("/pairs?q="), "search did not submit: {url}");
        let found = browser
            .eval("[...document.querySelectorAll('a.pair-link')].map(a => a.innerText.trim())")
            .await?;
        ensure!(
            found
                .as_array()
                .is_some_and(|names| names.iter().any(|n| n == &name)),
            "searching {name:?} found {found}"
        );
        // Open it.
        browser.click_and_wait("a.pair-link").await?;
        let url = browser.url().await?;
        ensure!(url.contains("/pairs/"), "not on a pair page: {url}");
        let heading = browser.text("#pair-name").await?.context("pair heading")?;
        ensure!(heading.starts_with(&name), "pair page is about {heading:?}");
        for section in ["#pair-state", "#sync", "#history"] {
            ensure!(
                browser.count(section).await? == 1,
                "pair page lacks {section}"
            );
        }
        snap(browser, "3-pair").await?;
        walk.opened_pair = Some(name);
    }

    // The dead letters, and Retry on the first.
    browser
        .click_and_wait("nav a[href='/dead-letters']")
        .await?;
    ensure!(browser.text("h1").await?.as_deref() == Some("Dead letters"));
    walk.dead_letters_before = browser.count("tr[data-job]").await?;
    snap(browser, "4-dead-letters").await?;
    if walk.dead_letters_before > 0 {
        let id = browser
            .attr("tr[data-job]", "data-job")
            .await?
            .context("job id")?;
        let row = format!("tr[data-job='{id}']");
        let failed_before = browser.attr(&format!("{row} time"), "datetime").await?;
        browser
            .click_and_wait(&format!("tr[data-job='{id}'] button.retry"))
            .await?;
        let url = browser.url().await?;
        ensure!(url.ends_with("/dead-letters"), "Retry landed on {url}");
        snap(browser, "5-retried").await?;
        let flash = browser.text("#flash").await?.unwrap_or_default();
        let requeued = flash.contains(&format!("Job {} was queued again", &id[..8]));
        // A running service may have failed the deal anew between the page
        // load and the click: its newer dead letter replaced this one.
        let replaced = flash.contains(&format!("Job {} no longer exists", &id[..8]))
            && browser.count("tr[data-job]").await? > 0;
        ensure!(requeued || replaced, "flash after Retry: {flash:?}");
        // Requeued: off the list, unless a running service already tried
        // it again and it failed anew (the demo's invalid deal does).
        if browser.count(&row).await? > 0 {
            let failed_after = browser.attr(&format!("{row} time"), "datetime").await?;
            ensure!(
                failed_after != failed_before,
                "the retried job is still listed with its old failure ({failed_before:?})"
            );
        }
        // The flash is shown once.
        browser.goto(&format!("{base}/dead-letters")).await?;
        ensure!(browser.count("#flash").await? == 0, "flash shown twice");
        walk.retried = Some(id);
    }
    Ok(walk)
}

/// Signs in as `user`: the dashboard sends the browser to the emulated
/// Entra ID page, the person picks the user there and lands back on the
/// overview, their name in the header.
pub async fn sign_in(browser: &mut Browser, base: &str, user: &str) -> Result<()> {
    let base = base.trim_end_matches('/');
    browser.goto(&format!("{base}/")).await?;
    let url = browser.url().await?;
    ensure!(
        url.contains("/oauth2/v2.0/authorize?"),
        "an anonymous visit was not sent to sign in: {url}"
    );
    snap(browser, "0-sign-in").await?;
    browser
        .click_and_wait(&format!("button.user[value='{user}']"))
        .await?;
    let url = browser.url().await?;
    ensure!(url == format!("{base}/"), "sign-in landed on {url}");
    let title = browser.eval("document.title").await?;
    ensure!(
        title == "Overview · cosell",
        "after sign-in the title is {title}"
    );
    ensure!(
        browser.attr("#signed-in-as", "title").await?.as_deref() == Some(user),
        "the header does not name {user}"
    );
    Ok(())
}

/// Set (as CI does) to make a missing Chromium a failure instead of a skip.
const REQUIRE_BROWSER_ENV: &str = "COSELL_REQUIRE_BROWSER";

/// Launches the browser, or says clearly why the test is skipped.
pub async fn browser_or_skip() -> Option<Browser> {
    let Some(path) = chromium_path() else {
        assert!(
            std::env::var_os(REQUIRE_BROWSER_ENV).is_none(),
            "{REQUIRE_BROWSER_ENV} is set but Chromium is missing at {CHROMIUM}"
        );
        eprintln!(
            "SKIPPED: the dashboard browser test needs Chromium at {CHROMIUM} \
             (apt-get install -y chromium) or {CHROMIUM_ENV}=/path/to/chromium"
        );
        return None;
    };
    Some(Browser::launch(&path).await.expect("launch chromium"))
}

#[tokio::test]
async fn a_person_can_find_a_pair_and_retry_a_dead_letter() {
    let Some(mut browser) = browser_or_skip().await else {
        return;
    };
    let d = TestDashboard::start().await;
    let walk = walk_through(&mut browser, &d.base)
        .await
        .expect("walk-through");
    assert_eq!(walk.pairs_listed, 4);
    assert!(walk.opened_pair.is_some());
    assert_eq!(walk.dead_letters_before, 2);
    let retried: uuid::Uuid = walk
        .retried
        .expect("a dead letter was retried")
        .parse()
        .unwrap();
    assert!([d.seeded.dead_northwind, d.seeded.dead_orphan].contains(&retried));
    let job = d.store.job(retried).await.unwrap().unwrap();
    assert_eq!(
        job.state,
        store::JobState::Pending,
        "Retry requeued the job"
    );
    assert_eq!(d.store.job_counts().await.unwrap().dead, 1);
}

#[tokio::test]
async fn a_person_signs_in_through_entra_id_and_retries_a_dead_letter() {
    let Some(mut browser) = browser_or_skip().await else {
        return;
    };
    let d = TestDashboard::start_signed_in().await;
    sign_in(&mut browser, &d.base, DEMO_ADMIN)
        .await
        .expect("sign-in");
    let walk = walk_through(&mut browser, &d.base)
        .await
        .expect("walk-through");
    assert_eq!(walk.dead_letters_before, 2);
    let retried: uuid::Uuid = walk
        .retried
        .expect("a dead letter was retried")
        .parse()
        .unwrap();
    let job = d.store.job(retried).await.unwrap().unwrap();
    assert_eq!(
        job.state,
        store::JobState::Pending,
        "the signed-in Retry requeued the job"
    );

    // Sign out: the next visit goes back to Entra ID.
    browser.click_and_wait("#sign-out").await.expect("sign out");
    assert!(browser.url().await.unwrap().ends_with("/auth/signed-out"));
    browser
        .goto(&format!("{}/dead-letters", d.base))
        .await
        .unwrap();
    assert!(browser
        .url()
        .await
        .unwrap()
        .contains("/oauth2/v2.0/authorize?"));
}

#[tokio::test]
#[ignore = "needs a running dashboard: set COSELL_DASHBOARD_URL"]
async fn walk_through_a_running_dashboard() {
    let base = std::env::var(DASHBOARD_URL_ENV)
        .unwrap_or_else(|_| panic!("set {DASHBOARD_URL_ENV} to the dashboard's base URL"));
    let Some(mut browser) = browser_or_skip().await else {
        return;
    };
    let walk = walk_through(&mut browser, &base)
        .await
        .expect("walk-through");
    eprintln!("walked {base}: {walk:?}");
}
