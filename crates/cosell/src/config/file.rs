//! The file's shape, exactly as written: every key optional so that all
//! missing keys can be reported at once, unknown keys refused. Defaults and
//! checks are applied when this is turned into a [`super::Config`]. No Debug:
//! `store.url` may hold a database password.

use serde::Deserialize;

/// `cosell.toml` as parsed.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    #[serde(default)]
    pub partner_center: PartnerCenterFile,
    #[serde(default)]
    pub salesforce: SalesforceFile,
    #[serde(default)]
    pub sync: SyncFile,
    #[serde(default)]
    pub store: StoreFile,
    #[serde(default)]
    pub server: ServerFile,
    #[serde(default)]
    pub worker: WorkerFile,
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
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartnerCenterFile {
    pub api_url: Option<String>,
    pub webhooks_url: Option<String>,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub webhook_cert_url_prefixes: Option<Vec<String>>,
    pub webhook_trust_anchors_file: Option<String>,
    pub webhook_issuer_organization: Option<String>,
    pub portal_url: Option<String>,
}

/// `[salesforce]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SalesforceFile {
    pub login_url: Option<String>,
    pub auth: Option<super::SalesforceAuth>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub private_key_file: Option<String>,
    pub api_version: Option<String>,
}

/// `[sync]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncFile {
    pub active_stage: Option<String>,
    pub on_hold_stage: Option<String>,
    pub won_stage: Option<String>,
    pub lost_stage: Option<String>,
    pub opportunity_record_type: Option<String>,
    pub show_checkmark: Option<bool>,
    pub country_code_field: Option<String>,
    pub deal_value_field: Option<String>,
    pub currency_field: Option<String>,
    pub org_currency: Option<String>,
    pub co_sell_only: Option<bool>,
    #[serde(default)]
    pub fields: FieldsFile,
}

/// `[sync.fields]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldsFile {
    pub sync_flag: Option<String>,
    pub referral_id: Option<String>,
    pub referral_link: Option<String>,
    pub help: Option<String>,
    pub visibility: Option<String>,
    pub microsoft_crm_id: Option<String>,
    pub audit: Option<String>,
    pub solution_object: Option<String>,
    pub solution_opportunity_field: Option<String>,
    pub solution_id_field: Option<String>,
    pub partner_role: Option<String>,
    pub solution_area: Option<String>,
    pub solution_play: Option<String>,
    pub marketplace_intent: Option<String>,
}

/// `[store]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreFile {
    pub url: Option<String>,
}

/// `[server]`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerFile {
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    pub public_url: Option<String>,
    pub admin_url: Option<String>,
    pub webhook_body_limit_bytes: Option<i64>,
    pub header_read_timeout_seconds: Option<i64>,
    pub body_read_timeout_seconds: Option<i64>,
    pub max_connections: Option<i64>,
    pub max_connections_per_ip: Option<i64>,
    pub sign_in: Option<SignInFile>,
}

/// `[server.sign_in]`.
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

/// `[worker]`: integers are read as TOML's i64 so that range errors, not type
/// errors, report negative values.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkerFile {
    pub concurrency: Option<i64>,
    pub batch_size: Option<i64>,
    pub max_attempts: Option<i64>,
    pub lease_seconds: Option<i64>,
    pub salesforce_poll_seconds: Option<i64>,
    pub partner_center_reconcile_seconds: Option<i64>,
    pub poll_overlap_seconds: Option<i64>,
}
