//! `cosell backfill`: the initial load. Every referral and opportunity
//! changed since `--since` (default: all of them) goes through the sync
//! engine in batches of `worker.batch_size`, with a progress bar on stderr
//! (count, rate, ETA) that log lines never clobber, and a summary per side
//! on stdout at the end.
//!
//! Referrals go first; an opportunity whose pair was synced from its
//! referral in this run is not synced a second time. Running it again
//! changes nothing: every pair compares equal to its snapshot.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sync::engine::outcome::SideCounts;
use sync::engine::{EngineError, Outcome, Summary, Target};
use sync::feed::{Side, Window};
use sync::Engine;
use tracing::instrument::WithSubscriber;

use super::ConfigArgs;
use crate::config::Config;
use crate::connect::{self, Observers};

/// Layout of the progress bar: count, rate and ETA.
const BAR_TEMPLATE: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} deals  {per_sec}  ETA {eta}  {msg}";
/// How often the spinner and rate refresh while a batch is in flight.
const TICK: Duration = Duration::from_millis(200);

/// `cosell backfill`.
#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only records changed since this date (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
}

/// Parses `--since`: a UTC date (midnight) or an RFC 3339 instant.
fn parse_since(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{value:?} is not a date: use YYYY-MM-DD or an RFC 3339 time like 2025-01-31T12:00:00Z"))
}

/// Runs the backfill against the configured systems and prints the summary.
/// Fails only when the backfill could not run at all; failed pairs are
/// reported in the summary and the exit status stays 0.
pub async fn run(args: BackfillArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let engine = connect::engine(&config, &Observers::default()).await?;
    let bar = progress_bar();
    let logs = log_through(&bar);
    let result = backfill(&engine, args.since, config.worker.batch_size, &bar)
        .with_subscriber(logs)
        .await;
    bar.finish_and_clear();
    let report = result.context("the backfill could not run")?;
    print!("{report}");
    Ok(())
}

/// What a backfill read and did.
#[derive(Debug, Default)]
pub struct BackfillReport {
    /// Referrals read from Partner Center.
    pub referrals: usize,
    /// Opportunities read from Salesforce.
    pub opportunities: usize,
    /// Opportunities already synced through their referral in this run.
    pub covered: usize,
    /// Totals over every pair.
    pub summary: Summary,
    /// Pairs that started from a referral and failed.
    pub failed_referrals: u64,
    /// Pairs that started from an opportunity and failed.
    pub failed_opportunities: u64,
    /// The failed outcomes, with their reasons.
    pub failures: Vec<Outcome>,
}

impl BackfillReport {
    fn add(&mut self, outcomes: Vec<Outcome>) {
        self.summary.add(&outcomes);
        for outcome in outcomes.into_iter().filter(|o| o.failure.is_some()) {
            if outcome
                .targets
                .iter()
                .any(|t| matches!(t, Target::Referral(_)))
            {
                self.failed_referrals += 1;
            } else {
                self.failed_opportunities += 1;
            }
            self.failures.push(outcome);
        }
    }
}

impl fmt::Display for BackfillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for outcome in &self.failures {
            let targets: Vec<String> = outcome.targets.iter().map(Target::job_key).collect();
            let reason = outcome
                .failure
                .as_ref()
                .map(|f| f.message.as_str())
                .unwrap_or_default();
            writeln!(f, "failed {}: {reason}", targets.join(", "))?;
        }
        writeln!(
            f,
            "Backfill: {} referrals and {} opportunities read ({} already synced through their referral)",
            self.referrals, self.opportunities, self.covered
        )?;
        writeln!(
            f,
            "{:<16}{:>9}{:>9}{:>11}{:>8}",
            "", "created", "updated", "unchanged", "failed"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, side: &str, c: &SideCounts, failed: u64| {
            writeln!(
                f,
                "{side:<16}{:>9}{:>9}{:>11}{failed:>8}",
                c.created, c.updated, c.unchanged
            )
        };
        // A failure is counted on the side its record came from.
        row(
            f,
            "Partner Center",
            &self.summary.partner_center,
            self.failed_referrals,
        )?;
        row(
            f,
            "Salesforce",
            &self.summary.salesforce,
            self.failed_opportunities,
        )?;
        writeln!(
            f,
            "Failed: {} ({} can be retried: run `cosell sync`)",
            self.summary.failed, self.summary.retryable
        )
    }
}

/// Backfills everything changed since `since` (everything when None) in
/// batches of `batch_size`, advancing `bar` per record.
pub async fn backfill(
    engine: &Engine,
    since: Option<DateTime<Utc>>,
    batch_size: usize,
    bar: &ProgressBar,
) -> Result<BackfillReport, EngineError> {
    let batch_size = batch_size.max(1);
    // A configuration that does not match the org stops here, before any write.
    engine.stages().await?;
    bar.set_message("reading referrals");
    let referrals = engine
        .read_feed(Side::PartnerCenter, Window::Since(since))
        .await?;
    bar.set_message("reading opportunities");
    let opportunities = engine
        .read_feed(Side::Salesforce, Window::Since(since))
        .await?;
    let referral_ids = referrals.ids();
    let mut report = BackfillReport {
        referrals: referral_ids.len(),
        opportunities: opportunities.changes.len(),
        ..BackfillReport::default()
    };
    bar.set_length((referral_ids.len() + opportunities.changes.len()) as u64);
    bar.set_message("");
    tracing::info!(
        referrals = report.referrals,
        opportunities = report.opportunities,
        since = since.map(|s| s.to_rfc3339()),
        "backfill started"
    );

    for chunk in referral_ids.chunks(batch_size) {
        let targets = chunk.iter().cloned().map(Target::Referral).collect();
        report.add(sync_batch(engine, targets).await?);
        bar.inc(chunk.len() as u64);
    }

    // Opportunities paired with a referral synced above were read and
    // written with it.
    let synced: HashSet<&str> = referral_ids.iter().map(String::as_str).collect();
    let mut remaining = Vec::new();
    for id in opportunities.ids() {
        let pair = engine.store().pair_by_opportunity(&id).await?;
        let referral = pair.as_ref().and_then(|p| p.referral_id.as_deref());
        if referral.is_some_and(|r| synced.contains(r)) {
            report.covered += 1;
            bar.inc(1);
        } else {
            remaining.push(id);
        }
    }
    for chunk in remaining.chunks(batch_size) {
        let targets = chunk.iter().cloned().map(Target::Opportunity).collect();
        report.add(sync_batch(engine, targets).await?);
        bar.inc(chunk.len() as u64);
    }

    // Like a full pass: the change cursors move on only when nothing is
    // left that a retry could fix, and never backwards.
    if report.summary.retryable == 0 {
        engine.commit_feed(&referrals, &[]).await?;
        engine.commit_feed(&opportunities, &[]).await?;
    }
    tracing::info!(
        failed = report.summary.failed,
        retryable = report.summary.retryable,
        "backfill finished"
    );
    Ok(report)
}

/// One batch; a batch that fails as a whole for a transient reason is
/// reported as failed pairs, anything else stops the backfill.
async fn sync_batch(engine: &Engine, targets: Vec<Target>) -> Result<Vec<Outcome>, EngineError> {
    match engine.sync_targets(targets.clone()).await {
        Ok(outcomes) => Ok(outcomes),
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, targets = targets.len(), "batch failed");
            Ok(vec![Outcome::batch_failure(targets, e.to_failure())])
        }
        Err(e) => Err(e),
    }
}

/// The bar on stderr; indicatif draws nothing when stderr is not a terminal.
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(BAR_TEMPLATE)
        .expect("the bar template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(TICK);
    bar
}

/// A dispatcher that forwards to the installed one, hiding `bar` while each
/// event is written so log lines never clobber it.
pub fn log_through(bar: &ProgressBar) -> tracing::Dispatch {
    let inner = tracing::dispatcher::get_default(Clone::clone);
    tracing::Dispatch::new(SuspendingSubscriber {
        inner,
        bar: bar.clone(),
        max_level: tracing::level_filters::LevelFilter::current(),
    })
}

/// Forwards everything to `inner`; events are written with the bar hidden.
struct SuspendingSubscriber {
    inner: tracing::Dispatch,
    bar: ProgressBar,
    max_level: tracing::level_filters::LevelFilter,
}

impl tracing::Subscriber for SuspendingSubscriber {
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.inner.register_callsite(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(self.max_level)
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        self.inner.record(span, values)
    }

    fn record_follows_from(&self, span: &tracing::span::Id, follows: &tracing::span::Id) {
        self.inner.record_follows_from(span, follows)
    }

    fn event(&self, event: &tracing::Event<'_>) {
        self.bar.suspend(|| self.inner.event(event));
    }

    fn enter(&self, span: &tracing::span::Id) {
        self.inner.enter(span)
    }

    fn exit(&self, span: &tracing::span::Id) {
        self.inner.exit(span)
    }

    fn clone_span(&self, id: &tracing::span::Id) -> tracing::span::Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: tracing::span::Id) -> bool {
        self.inner.try_close(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_a_table_per_side() {
        let mut report = BackfillReport {
            referrals: 3,
            opportunities: 2,
            covered: 1,
            ..BackfillReport::default()
        };
        report.summary.partner_center.unchanged = 3;
        report.summary.salesforce.created = 3;
        report.summary.failed = 1;
        report.failed_opportunities = 1;
        let text = report.to_string();
        assert!(text.contains("3 referrals and 2 opportunities read (1 already synced"));
        let pc = text
            .lines()
            .find(|l| l.starts_with("Partner Center"))
            .unwrap();
        assert_eq!(
            pc.split_whitespace().collect::<Vec<_>>(),
            ["Partner", "Center", "0", "0", "3", "0"]
        );
        let sf = text.lines().find(|l| l.starts_with("Salesforce")).unwrap();
        assert_eq!(
            sf.split_whitespace().collect::<Vec<_>>(),
            ["Salesforce", "3", "0", "0", "1"]
        );
    }

    #[test]
    fn logs_go_through_the_inner_dispatcher() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let writer = sink.clone();
        let inner = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(inner, || {
            let bar = ProgressBar::hidden();
            let outer = log_through(&bar);
            tracing::dispatcher::with_default(&outer, || {
                tracing::info!(n = 7, "through the bar");
            });
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("through the bar") && text.contains("n=7"),
            "{text}"
        );
    }
}
