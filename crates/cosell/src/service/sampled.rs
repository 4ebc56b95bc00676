//! Sampling for log lines an attacker can cause at will (rejected webhooks):
//! the first one is written, then at most one per interval, each carrying how
//! many were left out since. The `/metrics` counters still count every one.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default interval between two sampled lines.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

/// One stream of sampled log lines.
#[derive(Debug)]
pub struct LogSample {
    interval: Duration,
    state: Mutex<SampleState>,
}

#[derive(Debug, Default)]
struct SampleState {
    last: Option<Instant>,
    skipped: u64,
}

impl Default for LogSample {
    fn default() -> Self {
        Self::every(DEFAULT_INTERVAL)
    }
}

impl LogSample {
    /// At most one line per `interval`.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new(SampleState::default()),
        }
    }

    /// `Some(lines left out since the last one)` when this line is to be
    /// written, None when it is left out.
    pub fn take(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if state
            .last
            .is_some_and(|last| now.duration_since(last) < self.interval)
        {
            state.skipped += 1;
            return None;
        }
        state.last = Some(now);
        Some(std::mem::take(&mut state.skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_writes_one_line_per_interval_with_the_count_left_out() {
        let sample = LogSample::every(Duration::from_secs(3600));
        assert_eq!(sample.take(), Some(0), "the first line is written");
        let written = (0..60_000).filter_map(|_| sample.take()).count();
        assert_eq!(written, 0, "the rest of the flood within the interval");
        let wide_open = LogSample::every(Duration::ZERO);
        assert_eq!(wide_open.take(), Some(0));
        assert_eq!(wide_open.take(), Some(0));
    }

    #[test]
    fn the_next_line_reports_what_was_left_out() {
        let sample = LogSample::every(Duration::from_millis(1));
        sample.take();
        let mut skipped = 0;
        let reported = loop {
            match sample.take() {
                Some(n) => break n,
                None => skipped += 1,
            }
        };
        assert_eq!(reported, skipped);
    }
}
