//! Turns `NOTIFY cosell_jobs` from any instance into local wake-ups.
//!
//! Runs for the life of the store on its own one-connection pool, so it
//! never takes a query connection. On any connection loss it wakes the
//! waiters (notifications may have been missed; they fall back to claiming)
//! and reconnects with capped exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::shared::{JobSignal, JOBS_CHANNEL};

/// First delay before reconnecting after a failure.
const RECONNECT_MIN: Duration = Duration::from_millis(250);
/// Longest delay between reconnect attempts.
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// Listens until the task is aborted.
pub(super) async fn run(options: PgConnectOptions, signal: Arc<JobSignal>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    let mut delay = RECONNECT_MIN;
    loop {
        match listen(&pool, &signal, &mut delay).await {
            Ok(()) => return,
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?delay, "job notification listener failed; reconnecting");
                // Whatever was notified meanwhile is lost: let waiters look.
                signal.signal();
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RECONNECT_MAX);
    }
}

/// One listening session; returns `Ok` only when the pool was closed.
async fn listen(
    pool: &sqlx::PgPool,
    signal: &JobSignal,
    delay: &mut Duration,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(JOBS_CHANNEL).await?;
    *delay = RECONNECT_MIN;
    // Anything enqueued before LISTEN took effect went unheard.
    signal.signal();
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => signal.signal(),
            // Connection lost and re-established: notifications may be lost.
            Ok(None) => signal.signal(),
            Err(sqlx::Error::PoolClosed) => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}
