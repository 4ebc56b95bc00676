//! Everything the emulator keeps between calls, behind one lock: the org's
//! data, sessions and refresh tokens, the daily API counter, settings that the
//! control API changes, and open query cursors.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::org::Org;
use super::seed;
use super::soql::Record;
use super::Options;
use crate::control::Control;

/// An issued access token.
#[derive(Clone)]
pub struct Session {
    /// The user it acts as.
    pub user_id: String,
    /// When it was issued (expiry is checked against the current lifetime).
    pub issued: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// A code from the web server flow, waiting to be redeemed once.
#[derive(Clone)]
pub struct AuthorizationCode {
    /// The user who allowed access.
    pub user_id: String,
    /// The callback it was sent to; the token request must name it again.
    pub redirect_uri: String,
    /// The PKCE challenge of the authorization request.
    pub code_challenge: Option<String>,
    /// When it was issued.
    pub issued: Instant,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("user_id", &self.user_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// The rows of a query still to be paged through with `nextRecordsUrl`.
#[derive(Debug, Clone)]
pub struct Cursor {
    /// Every row of the result.
    pub records: Vec<Record>,
    /// Rows per page.
    pub batch: usize,
}

/// Mutable emulator state.
#[derive(Debug)]
pub struct State {
    /// The org.
    pub org: Org,
    /// Access tokens → sessions.
    pub sessions: HashMap<String, Session>,
    /// Refresh tokens → user ID.
    pub refresh_tokens: HashMap<String, String>,
    /// Web server flow codes not redeemed yet.
    pub authorization_codes: HashMap<String, AuthorizationCode>,
    /// API calls counted today.
    pub api_used: u64,
    /// Daily allocation.
    pub daily_limit: u64,
    /// How long an access token lives.
    pub token_lifetime: Duration,
    /// Open query cursors by locator ID.
    pub cursors: HashMap<String, Cursor>,
    /// Bulk API 2.0 jobs by ID.
    pub bulk_jobs: HashMap<String, super::bulk::BulkJob>,
}

impl State {
    /// A fresh org as `options` describe it.
    pub fn new(options: &Options) -> Self {
        Self {
            org: seed::build(options, Utc::now()),
            sessions: HashMap::new(),
            refresh_tokens: HashMap::new(),
            authorization_codes: HashMap::new(),
            api_used: 0,
            daily_limit: options.daily_api_limit,
            token_lifetime: options.token_lifetime,
            cursors: HashMap::new(),
            bulk_jobs: HashMap::new(),
        }
    }

    /// The `Sforce-Limit-Info` value.
    pub fn limit_info(&self) -> String {
        format!("api-usage={}/{}", self.api_used, self.daily_limit)
    }
}

/// What handlers share: fixed options, the base URL, the state and the control block.
pub struct Shared {
    /// Options the emulator was started with.
    pub options: Options,
    /// `http://127.0.0.1:port`.
    pub base_url: String,
    /// Call counting and fault injection.
    pub control: Arc<Control>,
    state: Mutex<State>,
}

impl Shared {
    /// Shared state for an emulator serving at `base_url`.
    pub fn new(options: Options, base_url: String, control: Arc<Control>) -> Self {
        let state = Mutex::new(State::new(&options));
        Self {
            options,
            base_url,
            control,
            state,
        }
    }

    /// Locks the state (a poisoned lock is recovered: the data stays usable).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
