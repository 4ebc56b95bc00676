//! Serves a router on a listener with every connection bounded, so idle or
//! half-sent connections cannot lock out webhooks and health checks.
//!
//! - hyper's HTTP/1 `header_read_timeout` closes a connection whose request
//!   headers do not all arrive in time; its timer also runs while a
//!   keep-alive connection waits for its next request, so it is the idle
//!   timeout too. (HTTP/1 only: there is no idle limit for HTTP/2 in hyper.)
//! - tower-http's request body timeout (set on the routers) bounds the wait
//!   between two pieces of a body.
//! - [`ConnectionGate`] caps open connections in total (further connections
//!   wait in the kernel's accept queue until one closes) and per client IP
//!   (further connections from that address are closed at once and counted).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower_http::timeout::RequestBodyTimeout;

use super::Metrics;

/// Pause after a failed `accept` (e.g. out of file descriptors) before the next.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The connection limits shared by both listeners.
#[derive(Debug)]
pub struct ConnectionGate {
    total: Arc<Semaphore>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    per_ip_max: usize,
    metrics: Arc<Metrics>,
}

/// One admitted connection; gives its place back when dropped.
#[derive(Debug)]
struct Admitted {
    gate: Arc<ConnectionGate>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut per_ip = self.gate.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
        self.gate.metrics.connection_open(-1);
    }
}

impl ConnectionGate {
    /// At most `total` connections, `per_ip` of them from one address.
    pub fn new(total: usize, per_ip: usize, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(total)),
            per_ip: Mutex::new(HashMap::new()),
            per_ip_max: per_ip,
            metrics,
        })
    }

    /// Waits for a place under the total limit.
    async fn place(&self) -> OwnedSemaphorePermit {
        Arc::clone(&self.total)
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed")
    }

    /// Admits a connection from `ip` holding `permit`, or None when `ip` is at its limit.
    fn admit(self: &Arc<Self>, ip: IpAddr, permit: OwnedSemaphorePermit) -> Option<Admitted> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= self.per_ip_max {
            drop(per_ip);
            self.metrics.connection_refused("per_ip_limit");
            return None;
        }
        *n += 1;
        drop(per_ip);
        self.metrics.connection_open(1);
        Some(Admitted {
            gate: Arc::clone(self),
            ip,
            _permit: permit,
        })
    }
}

/// How connections are served.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Longest wait for a request's headers (and for the next request).
    pub header_read_timeout: Duration,
    /// Longest wait between two pieces of a request body.
    pub body_read_timeout: Duration,
    /// How long open connections may finish after shutdown began.
    pub grace: Duration,
}

/// Serves `app` on `listener` until `shutdown`, then lets open connections
/// finish their requests for at most `options.grace`.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    gate: Arc<ConnectionGate>,
    options: ServeOptions,
    shutdown: CancellationToken,
) -> Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            permit = gate.place() => permit,
            () = shutdown.cancelled() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let Some(admitted) = gate.admit(peer.ip(), permit) else {
            tracing::debug!(peer = %peer.ip(), "connection refused: per-IP limit reached");
            continue;
        };
        let service = TowerToHyperService::new(RequestBodyTimeout::new(
            app.clone(),
            options.body_read_timeout,
        ));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(admitted);
        });
    }
    drop(listener);
    if tokio::time::timeout(options.grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within the grace period");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_address_gets_no_more_than_its_share() {
        let gate = ConnectionGate::new(10, 2, Arc::new(Metrics::new()));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = gate.admit(a, gate.place().await).expect("first");
        let _second = gate.admit(a, gate.place().await).expect("second");
        assert!(gate.admit(a, gate.place().await).is_none(), "third from a");
        assert!(
            gate.admit(b, gate.place().await).is_some(),
            "b has its own share"
        );
        drop(first);
        assert!(
            gate.admit(a, gate.place().await).is_some(),
            "a place came back"
        );
    }

    #[tokio::test]
    async fn the_total_is_shared_and_comes_back() {
        let gate = ConnectionGate::new(1, 5, Arc::new(Metrics::new()));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let held = gate.admit(a, gate.place().await).expect("first");
        assert!(gate.total.try_acquire().is_err(), "a second place was free");
        drop(held);
        assert!(gate.total.try_acquire().is_ok(), "the place came back");
    }
}
