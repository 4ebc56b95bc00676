//! `cosell status`: what the connector's store says right now: pairs by
//! state, the job queue, dead letters with their reasons, the last sync in
//! each direction and the API usage the running service last saved. Reads
//! the store only, so it works while `cosell run` is up or down.

use std::fmt::Write as _;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;
use store::{Cloud, JobCounts, PairState, Store};

use super::ConfigArgs;
use crate::config::Config;
use crate::connect;
use crate::credential_health::CredentialHealth;
use crate::service::{ApiUsageReport, FileLimit};

/// Dead letters listed (the count covers them all).
pub const DEAD_LETTERS_SHOWN: u32 = 50;

/// Pairs per state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairsByState {
    /// Both sides agree, deal open.
    pub synced: u64,
    /// Shared by Microsoft, waiting for the partner.
    pub on_hold: u64,
    /// Won, lost, declined or expired.
    pub closed: u64,
    /// Last attempt failed.
    pub failed: u64,
}

/// One dead-lettered job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// Pass to `cosell retry ID`.
    pub id: String,
    /// What it syncs, e.g. `opportunity:006…`.
    pub key: String,
    /// Attempts made.
    pub attempts: u32,
    /// Why it gave up.
    pub reason: Option<String>,
    /// When it gave up.
    pub at: DateTime<Utc>,
}

/// The latest write in each direction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LastSync {
    /// Partner Center → Salesforce.
    pub partner_center_to_salesforce: Option<DateTime<Utc>>,
    /// Salesforce → Partner Center.
    pub salesforce_to_partner_center: Option<DateTime<Utc>>,
}

impl PairsByState {
    /// From the store's count per state.
    fn from_counts(counts: &std::collections::BTreeMap<PairState, u64>) -> Self {
        let n = |s: PairState| counts.get(&s).copied().unwrap_or(0);
        Self {
            synced: n(PairState::Synced),
            on_hold: n(PairState::OnHold),
            closed: n(PairState::Closed),
            failed: n(PairState::Failed),
        }
    }

    fn total(&self) -> u64 {
        self.synced + self.on_hold + self.closed + self.failed
    }
}

/// Everything `cosell status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    /// Partner Center pairs per state.
    pub pairs: PairsByState,
    /// AWS Partner Central links per state.
    pub aws_links: PairsByState,
    /// Jobs per state (pending + running is the queue depth).
    pub jobs: JobCounts,
    /// The most recent dead letters.
    pub dead_letters: Vec<DeadLetter>,
    /// Last writes.
    pub last_sync: LastSync,
    /// API usage as the service last saved it.
    pub api_usage: Option<ApiUsageReport>,
    /// Health of the credentials kept in the store.
    pub credentials: Vec<CredentialHealth>,
    /// The open-file limit of the service that started last.
    pub file_limit: Option<FileLimit>,
}

/// Reads the report from the store.
pub async fn gather(store: &dyn Store) -> Result<StatusReport> {
    let pairs = PairsByState::from_counts(&store.pair_counts().await?);
    let aws_links = PairsByState::from_counts(&store.link_counts(Cloud::Aws).await?);
    let last = store.last_sync_times().await?;
    let dead_letters = store
        .dead_jobs(DEAD_LETTERS_SHOWN)
        .await?
        .into_iter()
        .map(|job| DeadLetter {
            id: job.id.to_string(),
            key: job.dedup_key,
            attempts: job.attempts,
            reason: job.last_error,
            at: job.updated_at,
        })
        .collect();
    Ok(StatusReport {
        pairs,
        aws_links,
        jobs: store.job_counts().await?,
        dead_letters,
        last_sync: LastSync {
            partner_center_to_salesforce: last.pc_to_sf,
            salesforce_to_partner_center: last.sf_to_pc,
        },
        api_usage: ApiUsageReport::load(store).await?,
        credentials: store
            .credentials()
            .await?
            .iter()
            .map(CredentialHealth::of)
            .collect(),
        file_limit: FileLimit::load(store).await?,
    })
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The report as text for a person.
pub fn render(report: &StatusReport) -> String {
    let mut out = String::new();
    let p = &report.pairs;
    let j = &report.jobs;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "Pairs:      {} synced, {} on hold, {} closed, {} failed",
        p.synced, p.on_hold, p.closed, p.failed
    );
    let a = &report.aws_links;
    if a.total() > 0 {
        let _ = writeln!(
            out,
            "AWS:        {} synced, {} on hold, {} closed, {} failed",
            a.synced, a.on_hold, a.closed, a.failed
        );
    }
    let _ = writeln!(
        out,
        "Jobs:       {} pending, {} running, {} done, {} dead (queue depth {})",
        j.pending,
        j.running,
        j.done,
        j.dead,
        j.pending + j.running
    );
    let _ = writeln!(
        out,
        "Last sync:  Partner Center → Salesforce {}; Salesforce → Partner Center {}",
        when(report.last_sync.partner_center_to_salesforce),
        when(report.last_sync.salesforce_to_partner_center)
    );
    match &report.api_usage {
        None => {
            let _ = writeln!(
                out,
                "API usage:  unknown (saved by `cosell run` while it runs)"
            );
        }
        Some(u) => {
            let org = u.salesforce_org.map_or_else(
                || "not reported yet".to_owned(),
                |o| format!("{}/{} ({:.0}%)", o.used, o.max, o.fraction_used() * 100.0),
            );
            let _ = writeln!(out, "API usage:  Salesforce org, rolling 24 h: {org}");
            let _ = writeln!(
                out,
                "            since {}: Salesforce {} calls ({} errors), Partner Center {} calls ({} errors); saved {}",
                when(Some(u.since)),
                u.salesforce.calls,
                u.salesforce.errors,
                u.partner_center.calls,
                u.partner_center.errors,
                when(Some(u.updated_at))
            );
            for f in &u.partner_center_filters {
                let _ = writeln!(
                    out,
                    "            Partner Center {}: {}",
                    f.property, f.meaning
                );
            }
        }
    }
    render_credentials(&mut out, &report.credentials);
    match &report.file_limit {
        Some(limit) => {
            let _ = writeln!(out, "Open files: {limit}");
        }
        None => {
            let _ = writeln!(out, "Open files: unknown (saved by `cosell run` at start)");
        }
    }
    if report.dead_letters.is_empty() {
        let _ = writeln!(out, "Dead letters: none");
    } else {
        let _ = writeln!(
            out,
            "Dead letters ({} total; re-run with `cosell retry ID` or `cosell retry --failed`):",
            j.dead
        );
        for d in &report.dead_letters {
            let _ = writeln!(
                out,
                "  {}  {}  {} attempt(s), {}\n      {}",
                d.id,
                d.key,
                d.attempts,
                when(Some(d.at)),
                d.reason.as_deref().unwrap_or("(no reason recorded)")
            );
        }
    }
    out
}

fn render_credentials(out: &mut String, credentials: &[CredentialHealth]) {
    let now = Utc::now();
    if credentials.is_empty() {
        let _ = writeln!(
            out,
            "Credentials: none stored (set COSELL_STORE_KEY and run `cosell login partner-center`)"
        );
        return;
    }
    let _ = writeln!(out, "Credentials:");
    for c in credentials {
        let expires = c.expires_in(now).map_or_else(
            || "expiry unknown".to_owned(),
            |left| {
                format!(
                    "expires {} ({} day(s))",
                    when(c.expires_at),
                    left.num_days()
                )
            },
        );
        let mfa = match c.mfa {
            Some(true) => "MFA",
            Some(false) => "NO MFA",
            None => "MFA unknown",
        };
        let _ = writeln!(
            out,
            "  {}  signed in {}, {expires}, last refresh {}, {mfa}",
            c.credential,
            when(Some(c.signed_in_at)),
            when(c.last_refresh_at)
        );
        if let Some(problem) = c.problem(now) {
            let _ = writeln!(out, "      {problem}");
        }
    }
}

/// `cosell status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `cosell status`.
pub async fn run(args: StatusArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let store = connect::store(&config).await?;
    let report = gather(store.as_ref()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use store::{FailureAction, NewJob};

    #[tokio::test]
    async fn shows_dead_letters_with_their_reasons() {
        let store = store::open("sqlite::memory:").await.unwrap();
        store
            .enqueue(&[
                NewJob::now("opportunity:006A", json!({ "target": "opportunity:006A" })),
                NewJob::now("referral:r1", json!({ "target": "referral:r1" })),
            ])
            .await
            .unwrap();
        let jobs = store
            .claim_jobs("w", 10, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        let bad = jobs
            .iter()
            .find(|j| j.dedup_key == "opportunity:006A")
            .unwrap();
        store
            .fail_job(
                bad.id,
                "w",
                "country \"USA\" is not a two-letter code",
                FailureAction::Dead,
            )
            .await
            .unwrap();
        let report = gather(store.as_ref()).await.unwrap();
        assert_eq!(report.jobs.dead, 1);
        assert_eq!(report.jobs.running, 1);
        assert_eq!(report.dead_letters.len(), 1);
        assert_eq!(report.dead_letters[0].key, "opportunity:006A");
        let text = render(&report);
        assert!(
            text.contains("country \"USA\" is not a two-letter code"),
            "{text}"
        );
        assert!(text.contains(&bad.id.to_string()), "{text}");
        assert!(text.contains("API usage:  unknown"), "{text}");
        assert!(text.contains("Partner Center → Salesforce never"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json["dead_letters"][0]["reason"],
            "country \"USA\" is not a two-letter code"
        );
        assert_eq!(json["jobs"]["dead"], 1);
    }
}
