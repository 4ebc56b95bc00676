//! `cosell plan` and `cosell sync` run as a person runs them: the binary, a
//! config file and secrets in the environment.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::setup_support::TestOrg;

/// Runs `cosell <command> -c <config>` off the async runtime (the emulators
/// serve on it), with the demo secrets plus `overrides`.
async fn cosell(command: &str, config: PathBuf, overrides: &[(&str, &str)]) -> Output {
    let command = command.to_owned();
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_cosell"))
            .arg(command)
            .arg("-c")
            .arg(config)
            .envs(TestOrg::env())
            .envs(overrides)
            .output()
            .expect("cosell runs")
    })
    .await
    .unwrap()
}

/// Calls that are not reads: anything but GETs, token requests and Composite
/// calls (the engine's Composite calls carry only queries).
fn writes(calls: &emulator::control::CallCounts) -> u64 {
    calls
        .by_route
        .iter()
        .filter(|(route, _)| {
            !route.starts_with("GET") && !route.contains("token") && !route.ends_with("/composite")
        })
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn plan_prints_the_decisions_and_writes_nothing_then_sync_does_them() {
    let org = TestOrg::ready().await;
    let referral = org.share_referral(1);
    org.co_sell_opportunity(2);
    let store_file = org.config_path.with_file_name("cosell.db");
    org.sf.control().reset();
    org.pc.control().reset();

    let plan = cosell("plan", org.config_path.clone(), &[]).await;
    let out = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        out.contains(&format!(
            "referral {referral} / opportunity -: create opportunity"
        )),
        "{out}"
    );
    assert!(out.contains("create referral"), "{out}");
    assert!(out.contains("Nothing was written."), "{out}");
    assert!(!store_file.exists(), "plan created no store file");
    assert_eq!(
        writes(&org.sf.control().calls()),
        0,
        "{:?}",
        org.sf.control().calls()
    );
    assert_eq!(
        writes(&org.pc.control().calls()),
        0,
        "{:?}",
        org.pc.control().calls()
    );

    let sync = cosell("sync", org.config_path.clone(), &[]).await;
    let out = String::from_utf8_lossy(&sync.stdout);
    assert!(
        sync.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    assert!(out.contains("Partner Center: 1 created"), "{out}");
    assert!(out.contains("Salesforce:     1 created"), "{out}");
    assert_eq!(org.paired_opportunities().len(), 2);
}

#[tokio::test]
async fn sync_exits_non_zero_only_when_it_cannot_run_and_never_shows_a_secret() {
    let org = TestOrg::ready().await;
    let output = cosell(
        "sync",
        org.config_path.clone(),
        &[("COSELL_SF_PASSWORD", "wrong-password-42")],
    )
    .await;
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("Salesforce"),
        "the error says what failed: {err}"
    );
    assert!(
        !err.contains("cosell-demo-secret") && !err.contains("wrong-password-42"),
        "{err}"
    );
}
