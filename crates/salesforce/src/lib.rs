//! Salesforce REST API client for cosell.
//!
//! - [`auth`]: OAuth 2.0 token providers (JWT bearer, client credentials,
//!   refresh token, username-password).
//! - [`client::SalesforceClient`]: sObjects, upsert by external id,
//!   Collections, Composite, SOQL with paging, getDeleted, describe, limits,
//!   Tooling.
//! - [`soql`]: a SOQL builder; statements are never concatenated from data.
//! - [`record::Record`]: dynamic records with typed getters.
//! - [`error`]: both Salesforce error shapes, typed error codes.
//!
//! The wire rules followed are the REST API Developer Guide's
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/>).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod error;
pub mod id;
pub mod limits;
pub mod record;
pub mod retry;
pub mod soql;
pub mod types;

pub use auth::{
    AccessToken, AuthError, Grant, OAuthConfig, OAuthTokenProvider, StaticTokenProvider,
    TokenProvider,
};
pub use client::{CallEvent, CallObserver, ClientConfig, SalesforceClient};
pub use error::{
    ApiError, DuplicateResult, Error, ErrorCode, MatchRecord, MatchResult, RecordError,
};
pub use id::SalesforceId;
pub use limits::ApiUsage;
pub use record::Record;
pub use soql::{Condition, Direction, LikePattern, Literal, Soql};
pub use types::{
    CompositeRequest, DeletedRecord, DeletedRecords, QueryPage, SaveResult, SubResponse,
    Subrequest, SubrequestMethod, UpsertResult,
};
