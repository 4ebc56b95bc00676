//! What becomes of each job of a batch once the engine has answered: done,
//! retried later (transient failure, attempts left), or dead-lettered
//! (permanent failure, or attempts used up). Pure, so every rule is tested
//! without a store.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use store::Job;
use sync::engine::{Failure, Write};
use sync::{EngineError, Outcome, Target};

use super::metrics::Direction;
use retry_policy::Backoff;

/// What to do with one job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobAction {
    /// It synced (or had nothing to do).
    Complete,
    /// Try again at this time; `error` says why it failed.
    Retry {
        /// Not before.
        at: DateTime<Utc>,
        /// The failure.
        error: String,
    },
    /// Give up; `error` says why.
    Dead {
        /// The failure, with the fix when the engine gave one.
        error: String,
    },
}

/// A write the batch made, with when its oldest trigger was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Which way it wrote.
    pub direction: Direction,
    /// When the earliest job behind it was enqueued.
    pub since: DateTime<Utc>,
}

/// The decisions for a whole batch.
#[derive(Debug, Default)]
pub struct Settlement {
    /// One action per job, in the order of the jobs.
    pub actions: Vec<(Job, JobAction)>,
    /// Writes made, for the latency histogram.
    pub synced: Vec<Synced>,
}

/// When Partner Center stamped the one referral change a job reports (its
/// payload's event member; a job merged from several events has none).
pub fn reported_change(job: &Job) -> Option<DateTime<Utc>> {
    let at = job.payload.get(store::EVENT_MEMBER)?.get("at")?.as_str()?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The sync target of a job: its payload's `target`, else its dedup key.
pub fn job_target(job: &Job) -> Option<Target> {
    job.payload
        .get("target")
        .and_then(|t| t.as_str())
        .and_then(Target::from_job_key)
        .or_else(|| Target::from_job_key(&job.dedup_key))
}

/// Rules shared by every settlement.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts before a transient failure is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the next attempt.
    pub backoff: Backoff,
}

impl Policy {
    /// The action for a job whose attempt failed.
    pub fn on_failure(&self, job: &Job, failure: &Failure, now: DateTime<Utc>) -> JobAction {
        if failure.permanent {
            return JobAction::Dead {
                error: failure.message.clone(),
            };
        }
        if job.attempts >= self.max_attempts {
            return JobAction::Dead {
                error: format!(
                    "gave up after {} attempts; last error: {}",
                    job.attempts, failure.message
                ),
            };
        }
        let delay = self.backoff.after_failures(job.attempts);
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        JobAction::Retry {
            at: now + delay,
            error: failure.message.clone(),
        }
    }

    /// Decides every job of a batch from the engine's answer.
    pub fn settle(
        &self,
        jobs: Vec<Job>,
        result: &Result<Vec<Outcome>, EngineError>,
        now: DateTime<Utc>,
    ) -> Settlement {
        let mut settlement = Settlement::default();
        let outcomes = match result {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let failure = error.to_failure();
                settlement.actions = jobs
                    .into_iter()
                    .map(|job| {
                        let action = self.on_failure(&job, &failure, now);
                        (job, action)
                    })
                    .collect();
                return settlement;
            }
        };
        // Which outcome answered each target.
        let mut by_target: BTreeMap<Target, usize> = BTreeMap::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            for target in &outcome.targets {
                by_target.insert(target.clone(), i);
            }
        }
        let mut oldest: BTreeMap<usize, DateTime<Utc>> = BTreeMap::new();
        for job in jobs {
            let Some(target) = job_target(&job) else {
                let error = format!("job {} names no sync target: {}", job.id, job.payload);
                settlement.actions.push((job, JobAction::Dead { error }));
                continue;
            };
            let Some(&index) = by_target.get(&target) else {
                // The engine answered for every target it was given; a
                // target it skipped has nothing left to do.
                tracing::warn!(job = %job.id, target = ?target, "the engine reported no outcome for this job");
                settlement.actions.push((job, JobAction::Complete));
                continue;
            };
            let outcome = &outcomes[index];
            let action = match &outcome.failure {
                None => {
                    let at = oldest.entry(index).or_insert(job.created_at);
                    *at = (*at).min(job.created_at);
                    JobAction::Complete
                }
                Some(failure) => self.on_failure(&job, failure, now),
            };
            settlement.actions.push((job, action));
        }
        for (index, since) in oldest {
            let outcome = &outcomes[index];
            if outcome.salesforce != Write::None {
                settlement.synced.push(Synced {
                    direction: Direction::PcToSf,
                    since,
                });
            }
            if outcome.partner_center != Write::None {
                settlement.synced.push(Synced {
                    direction: Direction::SfToPc,
                    since,
                });
            }
        }
        settlement
    }
}

/// Time from `since` to `now`, zero if the clock went backwards.
pub fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use store::JobState;
    use sync::engine::Failure;

    fn job(target: &Target, attempts: u32) -> Job {
        let now = store::utc_now();
        Job {
            id: uuid::Uuid::now_v7(),
            dedup_key: target.job_key(),
            payload: json!({ "target": target.job_key() }),
            state: JobState::Running,
            attempts,
            run_at: now,
            lease_owner: Some("w".into()),
            lease_expires_at: Some(now),
            last_error: None,
            created_at: now - chrono::Duration::seconds(3),
            updated_at: now,
        }
    }

    fn outcome(targets: Vec<Target>, sf: Write, pc: Write, failure: Option<Failure>) -> Outcome {
        let mut o = Outcome::batch_failure(targets, Failure::transient("x"));
        o.salesforce = sf;
        o.partner_center = pc;
        o.failure = failure;
        o
    }

    fn policy() -> Policy {
        Policy {
            max_attempts: 3,
            backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(60)),
        }
    }

    #[test]
    fn success_completes_and_records_the_directions_written() {
        let r = Target::Referral("r1".into());
        let o = Target::Opportunity("006000000000001AAA".into());
        let jobs = vec![job(&r, 1), job(&o, 1)];
        let result = Ok(vec![outcome(
            vec![r.clone(), o.clone()],
            Write::Created,
            Write::Updated,
            None,
        )]);
        let s = policy().settle(jobs, &result, Utc::now());
        assert!(s.actions.iter().all(|(_, a)| *a == JobAction::Complete));
        let directions: Vec<Direction> = s.synced.iter().map(|x| x.direction).collect();
        assert_eq!(directions, vec![Direction::PcToSf, Direction::SfToPc]);
    }

    #[test]
    fn unchanged_pairs_record_no_latency() {
        let r = Target::Referral("r1".into());
        let result = Ok(vec![outcome(
            vec![r.clone()],
            Write::None,
            Write::None,
            None,
        )]);
        let s = policy().settle(vec![job(&r, 1)], &result, Utc::now());
        assert_eq!(s.actions[0].1, JobAction::Complete);
        assert!(s.synced.is_empty());
    }

    #[test]
    fn permanent_failures_are_dead_at_once_with_the_reason() {
        let o = Target::Opportunity("006000000000001AAA".into());
        let result = Ok(vec![outcome(
            vec![o.clone()],
            Write::None,
            Write::None,
            Some(Failure::permanent(
                "country \"USA\" is not a two-letter code",
            )),
        )]);
        let s = policy().settle(vec![job(&o, 1)], &result, Utc::now());
        assert_eq!(
            s.actions[0].1,
            JobAction::Dead {
                error: "country \"USA\" is not a two-letter code".into()
            }
        );
    }

    #[test]
    fn transient_failures_retry_with_backoff_until_attempts_run_out() {
        let r = Target::Referral("r1".into());
        let now = Utc::now();
        let result = Ok(vec![outcome(
            vec![r.clone()],
            Write::None,
            Write::None,
            Some(Failure::transient("503 Service Unavailable")),
        )]);
        let s = policy().settle(vec![job(&r, 2)], &result, now);
        match &s.actions[0].1 {
            JobAction::Retry { at, error } => {
                assert!(*at >= now + chrono::Duration::seconds(2), "{at} {now}");
                assert!(*at <= now + chrono::Duration::seconds(4), "{at} {now}");
                assert_eq!(error, "503 Service Unavailable");
            }
            other => panic!("{other:?}"),
        }
        let s = policy().settle(vec![job(&r, 3)], &result, now);
        match &s.actions[0].1 {
            JobAction::Dead { error } => {
                assert!(error.contains("after 3 attempts"), "{error}");
                assert!(error.contains("503 Service Unavailable"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_batch_error_fails_every_job_alike() {
        let a = Target::Referral("a".into());
        let b = Target::Referral("b".into());
        let err = EngineError::Setup("stage On Hold does not exist".into());
        let s = policy().settle(vec![job(&a, 1), job(&b, 1)], &Err(err), Utc::now());
        assert_eq!(s.actions.len(), 2);
        for (_, action) in &s.actions {
            assert!(
                matches!(action, JobAction::Dead { error } if error.contains("On Hold")),
                "{action:?}"
            );
        }
    }

    #[test]
    fn jobs_without_a_target_are_dead_lettered() {
        let mut j = job(&Target::Referral("x".into()), 1);
        j.payload = json!({});
        j.dedup_key = "something-else".into();
        let s = policy().settle(vec![j], &Ok(vec![]), Utc::now());
        assert!(
            matches!(&s.actions[0].1, JobAction::Dead { error } if error.contains("no sync target"))
        );
    }

    #[test]
    fn the_target_comes_from_the_payload_or_the_key() {
        let t = Target::Referral("abc".into());
        let mut j = job(&t, 1);
        assert_eq!(job_target(&j), Some(t.clone()));
        j.payload = json!(null);
        assert_eq!(job_target(&j), Some(t));
    }
}
