//! `cosell backfill` against both emulators: an initial load of ~300 deals in
//! batches, then a second backfill that changes nothing.

use cosell::commands::backfill::{backfill, BackfillReport};
use cosell::connect::{self, Observers};
use indicatif::ProgressBar;
use salesforce::SalesforceId;

use crate::setup_support::TestOrg;

/// Referrals Microsoft shared before the connector was installed.
const SHARED: usize = 250;
/// Opportunities sellers marked for sync before the connector was installed.
const MARKED: usize = 50;

/// Write calls served so far: (Salesforce, Partner Center). Salesforce's
/// `/composite` carries the engine's batched reads, so it is not counted.
fn writes(org: &TestOrg) -> (u64, u64) {
    let sf = org.sf_calls("PATCH ")
        + org.sf_calls("DELETE ")
        + org.sf_calls("POST /services/data/{version}/sobjects")
        + org.sf_calls("POST /services/data/{version}/composite/sobjects");
    let pc_calls = org.pc.control().calls();
    let pc =
        pc_calls.matching("POST /v1.0") + pc_calls.matching("PUT ") + pc_calls.matching("PATCH ");
    (sf, pc)
}

async fn run(org: &TestOrg, bar: &ProgressBar) -> BackfillReport {
    let config = org.config();
    let engine = connect::engine(&config, &Observers::default())
        .await
        .unwrap();
    backfill(&engine, None, config.worker.batch_size, bar)
        .await
        .expect("the backfill runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_loads_every_deal_once_and_a_second_run_changes_nothing() {
    let org = TestOrg::ready().await;
    let referrals: Vec<String> = (0..SHARED).map(|n| org.share_referral(n)).collect();
    let opportunities: Vec<String> = (0..MARKED).map(|n| org.co_sell_opportunity(n)).collect();

    let bar = ProgressBar::hidden();
    let first = run(&org, &bar).await;
    assert_eq!(first.summary.failed, 0, "{first}");
    assert_eq!(first.referrals, SHARED, "{first}");
    assert!(first.opportunities >= MARKED, "{first}");
    assert_eq!(first.summary.salesforce.created, SHARED as u64, "{first}");
    assert_eq!(
        first.summary.partner_center.created, MARKED as u64,
        "{first}"
    );
    assert_eq!(
        bar.position(),
        bar.length().unwrap(),
        "the bar reached its end"
    );
    assert_eq!(
        bar.length(),
        Some((first.referrals + first.opportunities) as u64)
    );

    // Every deal is paired exactly once on both sides.
    let paired = org.paired_opportunities();
    assert_eq!(paired.len(), SHARED + MARKED);
    for id in &referrals {
        assert_eq!(
            paired
                .iter()
                .filter(|o| o["Referral_Identifier__c"] == id.as_str())
                .count(),
            1,
            "{id}"
        );
    }
    let pc = org.pc.own_referrals();
    assert_eq!(pc.len(), SHARED + MARKED);
    for id in &opportunities {
        assert_eq!(
            pc.iter()
                .filter(|r| r["externalReferenceId"]
                    .as_str()
                    .is_some_and(|e| SalesforceId::same(e, id)))
                .count(),
            1,
            "{id}"
        );
    }

    // The second backfill reads everything again and writes nothing.
    let writes_before = writes(&org);
    assert!(
        writes_before.0 > 0 && writes_before.1 >= MARKED as u64,
        "{writes_before:?}"
    );
    let second = run(&org, &ProgressBar::hidden()).await;
    assert_eq!(second.summary.failed, 0, "{second}");
    for side in [&second.summary.partner_center, &second.summary.salesforce] {
        assert_eq!((side.created, side.updated), (0, 0), "{second}");
        assert_eq!(
            side.unchanged as usize,
            second.referrals + second.opportunities - second.covered,
            "{second}"
        );
    }
    // Each marked deal asks Microsoft for help: its own referral and the one
    // addressed to Microsoft in its engagement.
    assert_eq!(second.referrals, SHARED + 2 * MARKED, "{second}");
    assert_eq!(writes(&org), writes_before, "the second backfill wrote");
    assert_eq!(org.pc.own_referrals().len(), SHARED + MARKED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_prints_a_summary_and_exits_0() {
    let org = TestOrg::ready().await;
    for n in 0..3 {
        org.share_referral(n);
    }
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["backfill", "--since", "2020-01-01", "-c"])
        .arg(&org.config_path)
        .env_clear()
        .envs(TestOrg::env())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Backfill: 3 referrals"), "{stdout}");
    let salesforce = stdout
        .lines()
        .find(|l| l.starts_with("Salesforce"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(salesforce.split_whitespace().nth(1), Some("3"), "{stdout}");
    assert!(stdout.contains("Failed: 0"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_fails_when_it_cannot_run() {
    let org = TestOrg::ready().await;
    let mut env = TestOrg::env();
    env.insert(
        "COSELL_SF_PASSWORD".into(),
        "pw-not-the-right-one-93".into(),
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["backfill", "-c"])
        .arg(&org.config_path)
        .env_clear()
        .envs(env)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the backfill could not run"), "{stderr}");
    assert!(
        !stderr.contains("pw-not-the-right-one-93"),
        "the password leaked: {stderr}"
    );
}
