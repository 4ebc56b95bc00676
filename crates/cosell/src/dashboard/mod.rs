//! The operator's dashboard: server-rendered pages (askama, no JavaScript
//! build) and a JSON API over the same data, read from the [`Store`].
//!
//! Pages: `/` overview (with the credentials' health, and the AWS links'
//! numbers once there are any), `/pairs` list and search, `/pairs/{id}` a
//! pair's history, `/aws/links` and `/aws/links/{id}` the same for the links
//! to AWS Partner Central, `/dead-letters` failed jobs with Retry. JSON:
//! `/api/overview`, `/api/pairs`, `/api/pairs/{id}`, `/api/aws/links`,
//! `/api/aws/links/{id}`, `/api/dead-letters` and the two retry endpoints. Everything shown comes from the store, which holds no secrets;
//! templates keep askama's HTML escaping on. With sign-in configured
//! ([`crate::sign_in`]) a [`Viewer`] rides on each request: pages name the
//! person and every form carries the session's CSRF token.

mod api;
mod aws;
mod credentials;
mod error;
mod flash;
mod format;
mod guard;
mod history;
mod links;
mod pages;
mod view;

use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;
use store::Store;

pub use aws::{LinkDetail, LinkList, LinkSummary};
pub use credentials::{CredentialStatus, CredentialView};
pub use error::DashboardError;
pub use history::{Changes, ConflictView, HistoryItem};
pub use links::Links;
pub(crate) use pages::is_local_path;
pub use view::{
    ApiUsageView, DeadLetter, DeadLetters, LastSync, Overview, PairCounts, PairDetail, PairList,
    PairRef, PairSummary, QueueView,
};

/// The signed-in person a request comes from, put in the request's
/// extensions by sign-in (absent when sign-in is not configured). Pages show
/// the name and a sign-out button, and every form carries the CSRF token.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Display name.
    pub name: String,
    /// Sign-in name (UPN or email).
    pub username: String,
    /// The session's CSRF token, for the forms' hidden `csrf_token` field.
    pub csrf_token: String,
}

/// What the dashboard reads from and how it links out to both systems.
#[derive(Clone)]
pub struct DashboardState {
    store: Arc<dyn Store>,
    links: Links,
}

impl DashboardState {
    /// A dashboard over `store`, linking records with `links`.
    pub fn new(store: Arc<dyn Store>, links: Links) -> Self {
        Self { store, links }
    }

    /// The store the dashboard reads.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How records are linked.
    pub fn links(&self) -> &Links {
        &self.links
    }
}

impl std::fmt::Debug for DashboardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardState")
            .field("links", &self.links)
            .finish_non_exhaustive()
    }
}

/// The dashboard's routes (pages and JSON API), to be mounted at `/`.
pub fn router(state: DashboardState) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/pairs", get(pages::pairs))
        .route("/pairs/{id}", get(pages::pair))
        .route("/aws/links", get(pages::aws_links))
        .route("/aws/links/{id}", get(pages::aws_link))
        .route("/dead-letters", get(pages::dead_letters))
        .route("/dead-letters/retry-all", post(pages::retry_all))
        .route("/dead-letters/{id}/retry", post(pages::retry_one))
        .route("/api/overview", get(api::overview))
        .route("/api/pairs", get(api::pairs))
        .route("/api/pairs/{id}", get(api::pair))
        .route("/api/aws/links", get(api::aws_links))
        .route("/api/aws/links/{id}", get(api::aws_link))
        .route("/api/dead-letters", get(api::dead_letters))
        .route("/api/dead-letters/retry-all", post(api::retry_all))
        .route("/api/dead-letters/{id}/retry", post(api::retry_one))
        .route("/api/{*rest}", any(api::not_found))
        .with_state(state)
}
