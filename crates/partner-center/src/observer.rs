//! A hook that sees every HTTP attempt, so the service can export API-call
//! metrics per endpoint without this crate depending on a metrics library.

use std::sync::Arc;
use std::time::Duration;

/// Which remote API a call went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// `api.partner.microsoft.com/v1.0/engagements`.
    Referrals,
    /// `api.partnercenter.microsoft.com/webhooks/v1`.
    Webhooks,
    /// The Entra ID token endpoint.
    Token,
}

impl Api {
    /// A stable label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Referrals => "referrals",
            Api::Webhooks => "webhooks",
            Api::Token => "token",
        }
    }
}

/// One HTTP attempt (retries produce one record each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// Remote API.
    pub api: Api,
    /// HTTP method, e.g. `GET`.
    pub method: &'static str,
    /// Route template without ids, e.g. `/referrals/{id}`, so label cardinality stays low.
    pub route: &'static str,
    /// Response status; `None` when no response arrived.
    pub status: Option<u16>,
    /// Time until the response (or the failure).
    pub duration: Duration,
    /// 1-based attempt number within the call.
    pub attempt: u32,
}

/// Receives a [`CallRecord`] after every HTTP attempt; must be cheap and not block.
pub type CallObserver = Arc<dyn Fn(&CallRecord) + Send + Sync>;
