//! `cosell.toml`: one file for every setting, secrets only from the
//! environment. Loading parses the file over the defaults, which are the
//! values of `config/cosell.example.toml` (unknown keys are errors), checks
//! every value in one pass and resolves the secrets, reporting every problem
//! with the key it is about and how to fix it. Every key is documented in
//! `config/cosell.example.toml` and `docs/CONFIGURATION.md`.

mod build;
mod de;
pub mod defaults;
mod error;
mod file;
pub mod init;
mod mapping;
mod parse;
pub mod secrets;
mod summary;
mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

pub use error::{ConfigError, Issue};
pub use secrets::{EnvSource, ProcessEnv, SecretOrigin};
pub use values::{is_loopback, ApiName, ApiVersion, StoreUrl};

/// The file `-c` reads when none is given.
pub const DEFAULT_CONFIG_FILE: &str = "cosell.toml";

/// The whole, checked configuration.
#[derive(Debug)]
pub struct Config {
    /// Microsoft Partner Center: Referrals API, Webhooks API, sign-in.
    pub partner_center: PartnerCenterConfig,
    /// The Salesforce org and how to sign in to it.
    pub salesforce: SalesforceConfig,
    /// `[sync]`: the original connector's settings and the connector's
    /// field names, checked, with `partner_center.portal_url` and the
    /// `[[mapping]]` entries filled in: what the sync engine runs with.
    pub sync: sync::Settings,
    /// Where the connector keeps pairs, snapshots and jobs.
    pub store: StoreConfig,
    /// The HTTP server of `cosell run`.
    pub server: ServerConfig,
    /// Job workers and pollers.
    pub worker: WorkerConfig,
    /// `[aws]`: the AWS Partner Central side; None when it is not enabled.
    pub aws: Option<AwsConfig>,
    /// The file this was loaded from, if any.
    pub source: Option<PathBuf>,
    /// Things that work but deserve attention (shown by `cosell config check`).
    pub warnings: Vec<Warning>,
    /// Where each secret came from (never its value).
    pub secret_origins: Vec<SecretOrigin>,
}

/// `[aws]`, enabled: AWS Partner Central as a second co-sell cloud. AWS
/// credentials are not here: the client takes them from the standard AWS
/// chain (environment, shared profile, web identity, instance role).
#[derive(Debug)]
pub struct AwsConfig {
    /// What the sync engine's AWS side runs with: catalog, submission,
    /// stage map, Salesforce field names.
    pub settings: sync::aws::AwsSettings,
    /// The Partner Central client's setup: catalog, region, endpoint, rates.
    pub client: aws_partner_central::Config,
    /// Header the EventBridge API destination sends the key in.
    pub webhook_header: String,
    /// The key it sends (`COSELL_AWS_WEBHOOK_KEY`).
    pub webhook_key: SecretString,
    /// Interval of the ListOpportunities and invitations reconcile poll.
    pub reconcile: Duration,
    /// Where the client's AWS keys come from: always the standard chain
    /// from a file; a fixed key only for emulated runs (demo, tests).
    pub credentials: AwsCredentials,
}

/// Where the AWS client's keys come from.
#[derive(Debug, Clone)]
pub enum AwsCredentials {
    /// The standard AWS chain (environment, profile, web identity, role).
    Chain,
    /// One fixed key: the AWS emulator's, for `cosell demo` and tests.
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: SecretString,
    },
}

/// `[partner_center]`.
#[derive(Debug)]
pub struct PartnerCenterConfig {
    /// Referrals API base, e.g. `https://api.partner.microsoft.com/v1.0/engagements`.
    pub api_url: Url,
    /// Webhooks API base, e.g. `https://api.partnercenter.microsoft.com/webhooks/v1`.
    pub webhooks_url: Url,
    /// Entra ID v2 token endpoint of the partner's tenant.
    pub token_url: Url,
    /// The Entra app registration's application (client) id.
    pub client_id: String,
    /// The app's client secret (`COSELL_PC_CLIENT_SECRET`), for confidential clients.
    pub client_secret: Option<SecretString>,
    /// The Referrals admin's refresh token (`COSELL_PC_REFRESH_TOKEN`): seeds
    /// the store on a first start; optional once `cosell login partner-center`
    /// stored one (a store key is set).
    pub refresh_token: Option<SecretString>,
    /// A webhook's `X-MS-Certificate-Url` must start with one of these.
    pub webhook_cert_url_prefixes: Vec<String>,
    /// PEM file of the CA certificates webhook signing certificates must chain
    /// to; None means no anchor, so every webhook is rejected (fail closed).
    pub webhook_trust_anchors_file: Option<PathBuf>,
    /// The signing certificate's issuer must include `O=<this>`.
    pub webhook_issuer_organization: String,
    /// Base of referral links shown in Salesforce: `<portal_url>/<referral id>`.
    pub portal_url: Url,
}

impl PartnerCenterConfig {
    /// The tenant named in `token_url` (`/{tenant}/oauth2/v2.0/token`).
    pub fn tenant(&self) -> Option<&str> {
        self.token_url
            .path_segments()?
            .next()
            .filter(|s| !s.is_empty())
    }

    /// The Partner Center portal link for a referral.
    pub fn referral_link(&self, referral_id: &str) -> String {
        format!(
            "{}/{referral_id}",
            self.portal_url.as_str().trim_end_matches('/')
        )
    }
}

/// How cosell signs in to Salesforce (`salesforce.auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesforceAuth {
    /// OAuth 2.0 JWT bearer: a signed assertion, no secret to rotate (recommended).
    JwtBearer,
    /// OAuth 2.0 client credentials with a Run As user; My Domain login URL only.
    ClientCredentials,
    /// A refresh token from a user-authorized web-server flow.
    RefreshToken,
    /// Username and password (legacy; tests and sandboxes).
    Password,
}

impl SalesforceAuth {
    /// The value as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            SalesforceAuth::JwtBearer => "jwt_bearer",
            SalesforceAuth::ClientCredentials => "client_credentials",
            SalesforceAuth::RefreshToken => "refresh_token",
            SalesforceAuth::Password => "password",
        }
    }
}

impl std::fmt::Display for SalesforceAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The credentials `salesforce.auth` needs, all present.
#[derive(Debug)]
pub enum SalesforceCredentials {
    /// JWT bearer: the integration user and the key that signs assertions.
    JwtBearer {
        /// The integration user's username (the `sub` claim).
        username: String,
        /// The PEM file the key came from.
        private_key_file: PathBuf,
        /// The RSA private key, PEM.
        private_key_pem: SecretString,
    },
    /// Client credentials.
    ClientCredentials {
        /// Consumer secret (`COSELL_SF_CLIENT_SECRET`).
        client_secret: SecretString,
    },
    /// Refresh token.
    RefreshToken {
        /// Consumer secret (`COSELL_SF_CLIENT_SECRET`).
        client_secret: SecretString,
        /// Refresh token (`COSELL_SF_REFRESH_TOKEN`): seeds the store on a
        /// first start; optional with a store key, where `cosell login
        /// salesforce` keeps it.
        refresh_token: Option<SecretString>,
    },
    /// Username and password.
    Password {
        /// The user's username.
        username: String,
        /// Consumer secret (`COSELL_SF_CLIENT_SECRET`).
        client_secret: SecretString,
        /// Password plus security token (`COSELL_SF_PASSWORD`).
        password: SecretString,
    },
}

/// `[salesforce]`.
#[derive(Debug)]
pub struct SalesforceConfig {
    /// Login host: `https://login.salesforce.com`, `https://test.salesforce.com` or My Domain.
    pub login_url: Url,
    /// The connected app's consumer key.
    pub client_id: String,
    /// REST API version, e.g. `v62.0`.
    pub api_version: ApiVersion,
    /// The sign-in method with its credentials.
    pub credentials: SalesforceCredentials,
}

impl SalesforceConfig {
    /// The sign-in method.
    pub fn auth(&self) -> SalesforceAuth {
        match self.credentials {
            SalesforceCredentials::JwtBearer { .. } => SalesforceAuth::JwtBearer,
            SalesforceCredentials::ClientCredentials { .. } => SalesforceAuth::ClientCredentials,
            SalesforceCredentials::RefreshToken { .. } => SalesforceAuth::RefreshToken,
            SalesforceCredentials::Password { .. } => SalesforceAuth::Password,
        }
    }

    /// The user cosell signs in as, for the methods that name one.
    pub fn username(&self) -> Option<&str> {
        match &self.credentials {
            SalesforceCredentials::JwtBearer { username, .. }
            | SalesforceCredentials::Password { username, .. } => Some(username),
            _ => None,
        }
    }
}

/// `[store]`.
#[derive(Debug)]
pub struct StoreConfig {
    /// SQLite file (absolute) or PostgreSQL URL.
    pub url: StoreUrl,
    /// Key sealing stored credentials (`COSELL_STORE_KEY` or `_FILE`); without
    /// one, rotated refresh tokens live in memory only.
    pub key: Option<Arc<store::seal::CredentialKey>>,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address of the public listener: the webhook and `/healthz` only.
    pub listen: SocketAddr,
    /// Address of the admin listener: dashboard, `/api`, `/metrics`, `/readyz`.
    pub admin_listen: SocketAddr,
    /// The public HTTPS base URL Partner Center reaches this server at.
    pub public_url: Option<Url>,
    /// The base URL people open the dashboard at; None: `http://<admin_listen>`.
    pub admin_url: Option<Url>,
    /// Largest accepted webhook body, in bytes.
    pub webhook_body_limit_bytes: usize,
    /// Longest wait for a request's headers (and for the next request on an
    /// idle keep-alive connection).
    pub header_read_timeout: Duration,
    /// Longest wait between two pieces of a request body.
    pub body_read_timeout: Duration,
    /// Open connections allowed on both listeners together.
    pub max_connections: usize,
    /// Open connections allowed from one IP address.
    pub max_connections_per_ip: usize,
    /// Bearer token `/api` and `/metrics` ask for (`COSELL_ADMIN_TOKEN`); None: open.
    pub admin_token: Option<SecretString>,
    /// Sign-in with Entra ID for the dashboard and `/api` (`[server.sign_in]`); None: open.
    pub sign_in: Option<SignInConfig>,
}

/// `[server.sign_in]`: OpenID Connect sign-in against the partner's Entra ID tenant.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// `{login_url}/{tenant}`; the discovery document is at
    /// `{authority}/v2.0/.well-known/openid-configuration`.
    pub authority: Url,
    /// The Entra app registration's application (client) id.
    pub client_id: String,
    /// Its client secret (`COSELL_SIGN_IN_CLIENT_SECRET`).
    pub client_secret: SecretString,
    /// Where Entra sends people back: `<admin base>/auth/callback`.
    pub redirect_url: Url,
    /// People allowed in, by sign-in name, email or object id (lowercase).
    pub allowed_users: Vec<String>,
    /// Security groups (object ids, lowercase) whose members are allowed in.
    pub allowed_groups: Vec<String>,
    /// How long a sign-in lasts.
    pub session_lifetime: Duration,
}

/// Path of the sign-in callback under the admin base URL.
pub const SIGN_IN_CALLBACK_PATH: &str = "/auth/callback";

/// Path of the webhook intake endpoint on the server.
pub const WEBHOOK_PATH: &str = "/webhooks/partner-center";

impl ServerConfig {
    /// The URL to register with Partner Center: `public_url` + [`WEBHOOK_PATH`].
    pub fn webhook_url(&self) -> Option<Url> {
        let base = self.public_url.as_ref()?;
        let mut url = base.clone();
        let path = format!("{}{WEBHOOK_PATH}", base.path().trim_end_matches('/'));
        url.set_path(&path);
        Some(url)
    }

    /// The dashboard's base URL: `admin_url`, else `http://<admin_listen>`.
    pub fn admin_base(&self) -> Url {
        self.admin_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://{}", self.admin_listen))
                .expect("a socket address makes a valid URL")
        })
    }
}

/// `[worker]`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs processed at the same time.
    pub concurrency: usize,
    /// Jobs taken per batch (one SOQL query, one Collections call).
    pub batch_size: usize,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// How long a claimed job stays leased to one worker.
    pub lease_seconds: u64,
    /// Interval of the Salesforce change poll.
    pub salesforce_poll_seconds: u64,
    /// Interval of the Partner Center safety-net reconcile.
    pub partner_center_reconcile_seconds: u64,
    /// How far each poll reaches back before its cursor, for clock skew.
    pub poll_overlap_seconds: u64,
}

impl WorkerConfig {
    /// [`Self::lease_seconds`] as a duration.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }
    /// [`Self::salesforce_poll_seconds`] as a duration.
    pub fn salesforce_poll_interval(&self) -> Duration {
        Duration::from_secs(self.salesforce_poll_seconds)
    }
    /// [`Self::partner_center_reconcile_seconds`] as a duration.
    pub fn partner_center_reconcile_interval(&self) -> Duration {
        Duration::from_secs(self.partner_center_reconcile_seconds)
    }
    /// [`Self::poll_overlap_seconds`] as a duration.
    pub fn poll_overlap(&self) -> Duration {
        Duration::from_secs(self.poll_overlap_seconds)
    }
}

/// Something that works but deserves the operator's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The key it is about.
    pub key: String,
    /// What to know or do.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

impl Config {
    /// Loads `path`, reading secrets from the process environment.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Config::load_with_env(path, &ProcessEnv)
    }

    /// Loads `path`, reading secrets from `env`.
    pub fn load_with_env(
        path: impl AsRef<Path>,
        env: &dyn EnvSource,
    ) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        // `cosell.toml` has the empty parent, which is the current directory.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let base_dir = match parent {
            Some(parent) => std::path::absolute(parent).unwrap_or_else(|_| parent.to_owned()),
            None => std::env::current_dir().unwrap_or_default(),
        };
        let mut config =
            Config::from_toml_str(&text, &base_dir, env).map_err(|e| e.in_file(path.to_owned()))?;
        config.source = Some(path.to_owned());
        Ok(config)
    }

    /// Parses and checks TOML text; relative paths in it are resolved against `base_dir`.
    pub fn from_toml_str(
        text: &str,
        base_dir: &Path,
        env: &dyn EnvSource,
    ) -> Result<Config, ConfigError> {
        let invalid = |issues| ConfigError::Invalid { file: None, issues };
        let parsed = parse::parse(text).map_err(|issue| invalid(vec![issue]))?;
        build::build(parsed, base_dir, env).map_err(invalid)
    }

    /// A human summary for `cosell config check`, without secret values.
    pub fn summary(&self) -> String {
        summary::render(self)
    }
}
