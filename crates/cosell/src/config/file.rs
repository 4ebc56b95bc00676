//! The file's shape, laid over the defaults (see [`super::defaults`]): a
//! key with a default has a plain type, a key without one is an `Option`
//! (or, in `[sync]`, reported missing by the parser) so that all missing
//! keys can be reported at once. Unknown keys are refused. `[sync]` is the
//! sync engine's own [`sync::Settings`]. Checks are applied when this is
//! turned into a [`super::Config`]. No Debug: `store.url` may hold a
//! database password.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `cosell.toml` as parsed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub partner_center: PartnerCenterFile,
    pub salesforce: SalesforceFile,
    pub sync: sync::Settings,
    pub store: StoreFile,
    pub server: ServerFile,
    pub worker: WorkerFile,
    pub aws: AwsFile,
    /// `[[mapping]]` entries.
    #[serde(default)]
    pub mapping: Vec<MappingFile>,
}

/// One `[[mapping]]` entry.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MappingFile {
    pub referral: Option<String>,
    pub salesforce: Option<String>,
    pub direction: Option<String>,
}

/// `[partner_center]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartnerCenterFile {
    pub api_url: String,
    pub webhooks_url: String,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub webhook_cert_url_prefixes: Vec<String>,
    pub webhook_trust_anchors_file: Option<String>,
    pub webhook_issuer_organization: String,
    pub portal_url: String,
}

/// `[salesforce]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SalesforceFile {
    pub login_url: String,
    pub auth: super::SalesforceAuth,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub private_key_file: Option<String>,
    pub api_version: String,
}

/// `[store]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreFile {
    pub url: String,
}

/// `[server]`: integers are read as TOML's i64 so that range errors, not
/// type errors, report negative values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerFile {
    pub listen: String,
    pub admin_listen: String,
    pub public_url: Option<String>,
    pub admin_url: Option<String>,
    pub webhook_body_limit_bytes: i64,
    pub header_read_timeout_seconds: i64,
    pub body_read_timeout_seconds: i64,
    pub max_connections: i64,
    pub max_connections_per_ip: i64,
    pub sign_in: Option<SignInFile>,
}

/// `[server.sign_in]`, which the example leaves commented out: its
/// defaults are in [`super::defaults`].
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInFile {
    pub login_url: Option<String>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub allowed_users: Option<Vec<String>>,
    pub allowed_groups: Option<Vec<String>>,
    pub session_hours: Option<i64>,
}

/// `[worker]`, integers as TOML's i64 (see [`ServerFile`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkerFile {
    pub concurrency: i64,
    pub batch_size: i64,
    pub max_attempts: i64,
    pub lease_seconds: i64,
    pub salesforce_poll_seconds: i64,
    pub partner_center_reconcile_seconds: i64,
    pub poll_overlap_seconds: i64,
}

/// `[aws]`, integers as TOML's i64 (see [`ServerFile`]); enumerations are
/// strings, checked against the SDK's values when the section is enabled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AwsFile {
    pub enabled: bool,
    pub catalog: String,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub reads_per_second: i64,
    pub writes_per_second: i64,
    pub reconcile_seconds: i64,
    pub webhook_header: String,
    pub solution_ids: Vec<String>,
    pub involvement: String,
    pub visibility: String,
    pub opportunity_type: String,
    pub stages: BTreeMap<String, String>,
    pub fields: sync::aws::AwsFieldNames,
}
