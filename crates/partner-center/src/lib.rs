//! Client for the Microsoft Partner Center Referrals API and Partner Center
//! Webhooks: wire types, Entra ID token provider, HTTP clients with retries,
//! OData query builder and webhook signature verification.
//!
//! The wire facts this crate follows are Microsoft's Referrals API pages
//! (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
#![forbid(unsafe_code)]

pub mod auth;
pub mod client;
pub mod device_code;
pub mod error;
pub mod observer;
pub mod odata;
pub mod retry;
pub mod signature;
pub mod taxonomy;
pub mod vault;
pub mod wire;

pub use auth::{AuthError, EntraTokenProvider, StaticToken, TokenConfig, TokenSource};
pub use client::{
    FilterSupport, PatchOptions, ReferralsClient, UndocumentedFilter, WebhooksClient,
};
pub use error::{ApiErrorBody, Error, ErrorCode};
pub use observer::{CallObserver, CallRecord};
pub use odata::{Filter, ReferralQuery, SortOrder};
pub use retry::RetryPolicy;
pub use signature::{SignatureError, VerifierConfig, WebhookVerifier};
pub use taxonomy::{ServicesField, Taxonomy};
