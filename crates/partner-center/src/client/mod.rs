//! HTTP clients for the Referrals API ([`ReferralsClient`]) and the Webhooks API
//! ([`WebhooksClient`]), sharing one request pipeline (`core::Core`): bearer
//! auth with a single refresh-and-retry on 401, the documented headers, retries
//! per [`crate::retry`], typed errors and per-attempt call records.

mod core;
mod lookups;
mod referrals;
mod webhooks;

pub use lookups::{FilterSupport, UndocumentedFilter};
pub use referrals::{PatchOptions, ReferralsClient, DEFAULT_REFERRALS_BASE_URL};
pub use webhooks::{WebhooksClient, DEFAULT_WEBHOOKS_BASE_URL};

/// Timeout of one HTTP attempt unless the caller supplies its own `reqwest::Client`.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The default HTTP client: rustls, timeouts, and no redirects (a redirect would
/// carry the bearer token to wherever the response points).
pub fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEFAULT_REQUEST_TIMEOUT)
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cosell-partner-center/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}
