//! Rules both backends apply the same way: id prefixes, name folding, batch
//! merging, durations, and the in-process "new work" signal.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::NewJob;

/// Salesforce ids are 15 case-sensitive characters; the 18-character form
/// appends a case-insensitive checksum. The first 15 characters identify the
/// record either way.
pub(crate) const SALESFORCE_ID_SHORT_LEN: usize = 15;
/// Length of the case-insensitive Salesforce id.
pub(crate) const SALESFORCE_ID_LONG_LEN: usize = 18;

/// Channel name used for LISTEN/NOTIFY and the in-process signal's purpose.
pub(crate) const JOBS_CHANNEL: &str = "cosell_jobs";

/// The part of an opportunity id that identifies the record (first 15 chars).
pub(crate) fn opportunity_key(id: &str) -> String {
    id.chars().take(SALESFORCE_ID_SHORT_LEN).collect()
}

/// The opportunity key a free-text search may mean, if the text looks like
/// a 15- or 18-character id.
pub(crate) fn opportunity_key_of_text(text: &str) -> Option<String> {
    let len = text.chars().count();
    let looks_like_id = (len == SALESFORCE_ID_SHORT_LEN || len == SALESFORCE_ID_LONG_LEN)
        && text.chars().all(|c| c.is_ascii_alphanumeric());
    looks_like_id.then(|| opportunity_key(text))
}

/// SQL naming the pair or cloud link a job of table alias `j` works on:
/// the recorded pair its key (`referral:<id>`, or `opportunity:<id>` with a
/// 15- or 18-character id) belongs to, the AWS link its key
/// (`aws-salesforce:<opportunity id>`, `aws-opportunity:<AWS id>`,
/// `aws-invitation:<id>`) belongs to, or the key itself while none is
/// recorded. Each branch is one unique-index lookup. Valid in both
/// PostgreSQL and SQLite.
pub(crate) fn pair_of(j: &str) -> String {
    let link = |column: &str, value: &str| {
        format!(
            "(SELECT CAST(l.id AS TEXT) FROM cloud_links l WHERE l.cloud = 'aws' AND l.{column} = {value})"
        )
    };
    format!(
        "coalesce(CASE \
             WHEN {j}.dedup_key LIKE 'referral:%' THEN (SELECT CAST(p.id AS TEXT) FROM pairs p \
                 WHERE p.referral_id = substr({j}.dedup_key, 10)) \
             WHEN {j}.dedup_key LIKE 'opportunity:%' THEN (SELECT CAST(p.id AS TEXT) FROM pairs p \
                 WHERE p.opportunity_key = substr({j}.dedup_key, 13, 15)) \
             WHEN {j}.dedup_key LIKE 'aws-salesforce:%' THEN {by_opportunity} \
             WHEN {j}.dedup_key LIKE 'aws-opportunity:%' THEN {by_remote} \
             WHEN {j}.dedup_key LIKE 'aws-invitation:%' THEN {by_invitation} \
             END, {j}.dedup_key)",
        by_opportunity = link("opportunity_key", &format!("substr({j}.dedup_key, 16, 15)")),
        by_remote = link("remote_id", &format!("substr({j}.dedup_key, 17)")),
        by_invitation = link("invitation_id", &format!("substr({j}.dedup_key, 16)")),
    )
}

/// SQL selecting the ids of claimable jobs, earliest first, at most
/// `limit`: due pending jobs whose pair has no running job (expired or
/// not), and running jobs whose lease expired (taken over). The pairs of
/// running jobs are computed once (an uncorrelated subquery), so a claim
/// costs one pass over the due jobs, not one per running job. Two jobs of
/// one pair never run at once, whatever keyed them.
pub(crate) fn claimable_ids(now: &str, limit: &str) -> String {
    let (pair_of_j, pair_of_r) = (pair_of("j"), pair_of("r"));
    format!(
        "SELECT j.id FROM jobs j \
         WHERE (j.state = 'pending' AND j.run_at <= {now} AND {pair_of_j} NOT IN ( \
                    SELECT {pair_of_r} FROM jobs r WHERE r.state = 'running')) \
            OR (j.state = 'running' AND j.lease_expires_at <= {now}) \
         ORDER BY j.run_at, j.created_at, j.id LIMIT {limit}"
    )
}

/// `value` as it appears inside stored JSON text: quoted and escaped (the
/// stores keep JSON as serde_json writes it, without spaces or reordering).
pub(crate) fn json_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

/// Case-folded name stored beside the name for case-insensitive search
/// (Unicode-aware, unlike SQLite's ASCII-only `lower`).
pub(crate) fn fold_name(name: &str) -> String {
    name.to_lowercase()
}

/// A duration in whole microseconds, saturating.
pub(crate) fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// A query limit where 0 means "no limit".
pub(crate) fn sql_limit(limit: u32) -> i64 {
    if limit == 0 {
        i64::MAX
    } else {
        i64::from(limit)
    }
}

/// Of two `run_at` values (None = now), the earlier.
fn earlier(
    a: Option<DateTime<Utc>>,
    b: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (None, None) => None,
        (None, Some(t)) | (Some(t), None) => (t < now).then_some(t),
    }
}

/// Merges jobs of one batch that share a key the way enqueue merges into a
/// pending job: the earlier `run_at` wins and the later payload replaces the
/// earlier; its event member keeps the latest `at` of the two, or goes when
/// either has none. Keeps first-seen key order.
pub(crate) fn merge_batch(jobs: &[NewJob]) -> Vec<NewJob> {
    let now = Utc::now();
    let mut merged: Vec<NewJob> = Vec::with_capacity(jobs.len());
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(jobs.len());
    for job in jobs {
        match index.get(job.dedup_key.as_str()) {
            Some(&at) => {
                let slot = &mut merged[at];
                slot.run_at = earlier(slot.run_at, job.run_at, now);
                let latest = latest_event(&slot.payload, &job.payload);
                slot.payload = job.payload.clone();
                if let Some(payload) = slot.payload.as_object_mut() {
                    match latest {
                        Some(at) => payload[crate::EVENT_MEMBER]["at"] = at,
                        None => {
                            payload.remove(crate::EVENT_MEMBER);
                        }
                    }
                }
            }
            None => {
                index.insert(&job.dedup_key, merged.len());
                merged.push(job.clone());
            }
        }
    }
    merged
}

/// The later event stamp of two payloads, when both carry one.
fn latest_event(a: &serde_json::Value, b: &serde_json::Value) -> Option<serde_json::Value> {
    let at = |p: &serde_json::Value| {
        p.get(crate::EVENT_MEMBER)?
            .get("at")?
            .as_str()
            .map(str::to_owned)
    };
    Some(serde_json::Value::String(at(a)?.max(at(b)?)))
}

/// In-process wake-up for `wait_for_jobs`.
///
/// `notify_waiters` wakes every task already waiting; the extra `notify_one`
/// leaves one permit so a worker that checked for work just before the
/// signal and is about to wait does not sleep through it (at worst one
/// spurious wake-up, which the contract allows: "work *may* be available").
#[derive(Debug, Default)]
pub(crate) struct JobSignal {
    notify: Notify,
}

impl JobSignal {
    /// Tells waiters that new work may be available.
    pub(crate) fn signal(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Waits for a signal or until `timeout` passes.
    pub(crate) async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// How soon a wait ends when a pending job is already due.
const DUE_RECHECK: Duration = Duration::from_secs(1);

/// How long to wait: `timeout`, shortened to the moment the next scheduled
/// job becomes due or the next lease expires (`next_due`), if sooner.
pub(crate) fn wait_budget(
    timeout: Duration,
    next_due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Duration {
    match next_due.map(|t| (t - now).to_std()) {
        Some(Ok(until)) => timeout.min(until),
        // Already due: either it came due after the caller last claimed (it
        // must run soon), or it is blocked by a running job of its key (whose
        // end signals). Look again shortly rather than spin or wait out the timeout.
        Some(Err(_)) => timeout.min(DUE_RECHECK),
        None => timeout,
    }
}

/// Waits on `signal` for at most `timeout`, shortened by `next_due` (the next
/// scheduled time and the clock it was read with). Looking up the schedule
/// counts against the timeout; if it fails or is slow (database down), the
/// wait simply runs to the timeout.
pub(crate) async fn wait_scheduled<F>(signal: &JobSignal, timeout: Duration, next_due: F)
where
    F: std::future::Future<Output = crate::Result<(Option<DateTime<Utc>>, DateTime<Utc>)>>,
{
    let started = tokio::time::Instant::now();
    let budget = match tokio::time::timeout(timeout, next_due).await {
        Ok(Ok((next, now))) => wait_budget(timeout, next, now),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "could not read the next job time; waiting the full timeout");
            timeout
        }
        Err(_) => timeout,
    };
    signal.wait(budget.saturating_sub(started.elapsed())).await;
}

/// Why a job goes back to `pending`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Return {
    /// A failed attempt to retry, not before this time.
    Retry(DateTime<Utc>),
    /// Released at graceful shutdown: the claim is not counted as an attempt.
    Release,
    /// A dead job revived by an operator at this time, attempts reset.
    Revive(DateTime<Utc>),
}

/// The `run_at` and `attempts` of a job going back to `pending`.
///
/// At most one job per key may be pending, so a job returning while another
/// pending job of its key exists absorbs it: that job was enqueued after this
/// one was claimed, so its payload is the newer one and replaces ours
/// (callers copy it), and `absorbed_run_at` is its schedule. A retry keeps
/// its backoff (the later time), other returns take the earlier time.
pub(crate) fn returned_schedule(
    why: Return,
    run_at: DateTime<Utc>,
    attempts: u32,
    absorbed_run_at: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, u32) {
    let (own, attempts) = match why {
        Return::Retry(at) => (at, attempts),
        Return::Release => (run_at, attempts.saturating_sub(1)),
        Return::Revive(now) => (now, 0),
    };
    let run_at = match (why, absorbed_run_at) {
        (_, None) => own,
        (Return::Retry(_), Some(other)) => own.max(other),
        (_, Some(other)) => own.min(other),
    };
    (run_at, attempts)
}

/// Per-state counts from `SELECT state, COUNT(*) ... GROUP BY state` rows.
fn state_counts<S>(
    rows: Vec<(String, i64)>,
    parse: impl Fn(&str) -> Option<S>,
) -> crate::Result<Vec<(S, u64)>> {
    rows.into_iter()
        .map(|(state, n)| {
            let parsed = parse(&state)
                .ok_or_else(|| crate::StoreError::corrupt("state", format!("unknown {state:?}")))?;
            let n = u64::try_from(n).map_err(|e| crate::StoreError::corrupt("n", e))?;
            Ok((parsed, n))
        })
        .collect()
}

/// Pairs per state (every state listed, 0 where there are none).
pub(crate) fn pair_counts(
    rows: Vec<(String, i64)>,
) -> crate::Result<std::collections::BTreeMap<crate::PairState, u64>> {
    let mut counts: std::collections::BTreeMap<_, _> =
        crate::PairState::ALL.into_iter().map(|s| (s, 0)).collect();
    counts.extend(state_counts(rows, crate::PairState::parse)?);
    Ok(counts)
}

/// Jobs per state.
pub(crate) fn job_counts(rows: Vec<(String, i64)>) -> crate::Result<crate::JobCounts> {
    let mut counts = crate::JobCounts::default();
    for (state, n) in state_counts(rows, crate::JobState::parse)? {
        match state {
            crate::JobState::Pending => counts.pending = n,
            crate::JobState::Running => counts.running = n,
            crate::JobState::Done => counts.done = n,
            crate::JobState::Dead => counts.dead = n,
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as ChronoDuration;
    use serde_json::json;

    #[test]
    fn opportunity_key_takes_first_fifteen() {
        assert_eq!(opportunity_key("006000000000001AAA"), "006000000000001");
        assert_eq!(opportunity_key("006000000000001"), "006000000000001");
        assert_eq!(opportunity_key("short"), "short");
    }

    #[test]
    fn text_search_only_treats_id_shaped_text_as_id() {
        assert_eq!(
            opportunity_key_of_text("006000000000001AAA").as_deref(),
            Some("006000000000001")
        );
        assert_eq!(
            opportunity_key_of_text("006000000000001").as_deref(),
            Some("006000000000001")
        );
        assert_eq!(opportunity_key_of_text("contoso deal 12"), None);
        assert_eq!(opportunity_key_of_text("0060000000000012"), None);
    }

    #[test]
    fn batch_merge_keeps_earliest_run_at_and_latest_payload() {
        let now = Utc::now();
        let later = now + ChronoDuration::hours(1);
        let jobs = vec![
            NewJob {
                dedup_key: "a".into(),
                payload: json!(1),
                run_at: Some(later),
            },
            NewJob {
                dedup_key: "b".into(),
                payload: json!(2),
                run_at: None,
            },
            NewJob {
                dedup_key: "a".into(),
                payload: json!(3),
                run_at: None,
            },
        ];
        let merged = merge_batch(&jobs);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].dedup_key, "a");
        assert_eq!(merged[0].payload, json!(3));
        assert_eq!(
            merged[0].run_at, None,
            "now is earlier than an hour from now"
        );
        assert_eq!(merged[1].dedup_key, "b");
    }

    #[test]
    fn earlier_prefers_past_time_over_now() {
        let now = Utc::now();
        let past = now - ChronoDuration::minutes(5);
        assert_eq!(earlier(None, Some(past), now), Some(past));
        assert_eq!(
            earlier(Some(past + ChronoDuration::hours(1)), None, now),
            None
        );
    }

    #[test]
    fn wait_budget_shortens_to_next_due_and_rechecks_a_due_job_without_spinning() {
        let now = Utc::now();
        let timeout = Duration::from_secs(30);
        assert_eq!(wait_budget(timeout, None, now), timeout);
        let soon = now + ChronoDuration::seconds(2);
        assert_eq!(
            wait_budget(timeout, Some(soon), now),
            Duration::from_secs(2)
        );
        let past = now - ChronoDuration::seconds(2);
        assert_eq!(wait_budget(timeout, Some(past), now), DUE_RECHECK);
    }

    #[test]
    fn limits() {
        assert_eq!(sql_limit(0), i64::MAX);
        assert_eq!(sql_limit(7), 7);
        assert_eq!(micros(Duration::from_millis(1500)), 1_500_000);
    }

    #[test]
    fn returned_schedule_rules() {
        let now = Utc::now();
        let later = now + ChronoDuration::minutes(10);
        let old = now - ChronoDuration::minutes(10);
        assert_eq!(
            returned_schedule(Return::Retry(later), old, 3, None),
            (later, 3)
        );
        assert_eq!(
            returned_schedule(Return::Retry(later), old, 3, Some(now)),
            (later, 3)
        );
        assert_eq!(returned_schedule(Return::Release, old, 1, None), (old, 0));
        assert_eq!(
            returned_schedule(Return::Release, old, 0, Some(now)),
            (old, 0)
        );
        assert_eq!(
            returned_schedule(Return::Revive(now), old, 9, None),
            (now, 0)
        );
        assert_eq!(
            returned_schedule(Return::Revive(now), old, 9, Some(old)),
            (old, 0)
        );
    }

    #[tokio::test]
    async fn signal_before_wait_is_not_lost() {
        let signal = JobSignal::default();
        signal.signal();
        let started = std::time::Instant::now();
        signal.wait(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
