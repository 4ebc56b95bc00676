//! Turns a loaded [`Config`] into live connections: the store, the Partner
//! Center and Salesforce clients, the webhook verifier and the sync engine.
//! Every command and the service build their connections here.

use std::sync::Arc;

use anyhow::{Context, Result};
use partner_center::auth::{Grant as PcGrant, TokenConfig};
use partner_center::{
    EntraTokenProvider, ReferralsClient, VerifierConfig, WebhookVerifier, WebhooksClient,
};
use salesforce::auth::{Grant as SfGrant, OAuthConfig, OAuthTokenProvider};
use salesforce::{ClientConfig, SalesforceClient};
use secrecy::{ExposeSecret, SecretString};
use store::Store;
use sync::Engine;

use crate::config::{AwsConfig, AwsCredentials, Config, SalesforceCredentials};
use crate::credentials::{StoreVault, PC_REFRESH_TOKEN, SF_REFRESH_TOKEN};
use crate::salesforce_token::{SalesforceApp, StoredRefreshToken};

/// Scope of delegated Referrals API tokens.
const REFERRALS_SCOPE: &str = "https://api.partner.microsoft.com/.default offline_access";
/// Scope of app-only Webhooks API tokens.
const WEBHOOKS_SCOPE: &str = "https://api.partnercenter.microsoft.com/.default";

/// Hooks that see every remote call (for metrics).
#[derive(Clone, Default)]
pub struct Observers {
    /// Told of every Partner Center call (metrics), when set.
    pub partner_center: Option<partner_center::CallObserver>,
    /// Told of every Salesforce call (metrics), when set.
    pub salesforce: Option<Arc<dyn salesforce::CallObserver>>,
}

/// Opens the store the configuration names, migrating it if needed.
pub async fn store(config: &Config) -> Result<Arc<dyn Store>> {
    store::open(config.store.url.expose_url())
        .await
        .with_context(|| {
            format!(
                "could not open the store at {}",
                config.store.url.redacted()
            )
        })
}

/// The Referrals API client (delegated app+user tokens from the refresh
/// token). With a store key the token lives sealed in `store`: the stored one
/// wins over `COSELL_PC_REFRESH_TOKEN`, which only seeds a first start.
pub fn referrals_client(
    config: &Config,
    observers: &Observers,
    store: &Arc<dyn Store>,
) -> Result<ReferralsClient> {
    let pc = &config.partner_center;
    let seed = match (&pc.refresh_token, &config.store.key) {
        (Some(token), _) => token.clone(),
        // The vault supplies the token; an empty seed is never sent.
        (None, Some(_)) => SecretString::from(String::new()),
        (None, None) => anyhow::bail!(
            "no Partner Center refresh token: set COSELL_PC_REFRESH_TOKEN, or set COSELL_STORE_KEY and run `cosell login partner-center`"
        ),
    };
    let mut tokens = EntraTokenProvider::new(TokenConfig {
        token_url: pc.token_url.clone(),
        client_id: pc.client_id.clone(),
        client_secret: pc.client_secret.clone(),
        scope: REFERRALS_SCOPE.to_owned(),
        grant: PcGrant::RefreshToken(seed),
    });
    if let Some(key) = &config.store.key {
        tokens = tokens.with_vault(Arc::new(StoreVault::new(
            Arc::clone(store),
            Arc::clone(key),
            PC_REFRESH_TOKEN,
        )));
    }
    let client = ReferralsClient::new(pc.api_url.clone(), Arc::new(tokens));
    Ok(match &observers.partner_center {
        Some(observer) => client.with_observer(observer.clone()),
        None => client,
    })
}

/// The Webhooks API client (app-only tokens).
pub fn webhooks_client(config: &Config, observers: &Observers) -> Result<WebhooksClient> {
    let pc = &config.partner_center;
    let secret = pc
        .client_secret
        .clone()
        .context("the Webhooks API needs a client secret: set COSELL_PC_CLIENT_SECRET")?;
    let tokens = EntraTokenProvider::new(TokenConfig {
        token_url: pc.token_url.clone(),
        client_id: pc.client_id.clone(),
        client_secret: Some(secret),
        scope: WEBHOOKS_SCOPE.to_owned(),
        grant: PcGrant::ClientCredentials,
    });
    let client = WebhooksClient::new(pc.webhooks_url.clone(), Arc::new(tokens));
    Ok(match &observers.partner_center {
        Some(observer) => client.with_observer(observer.clone()),
        None => client,
    })
}

/// The Salesforce client, authenticated as `[salesforce] auth` says, for
/// sign-in methods that need no store (see [`salesforce_client_over`]).
pub fn salesforce_client(config: &Config, observers: &Observers) -> Result<SalesforceClient> {
    salesforce_client_over(config, observers, None)
}

/// The Salesforce client; with `auth = "refresh_token"` and a store key the
/// refresh token comes from `store` (`cosell login salesforce`).
pub fn salesforce_client_over(
    config: &Config,
    observers: &Observers,
    store: Option<&Arc<dyn Store>>,
) -> Result<SalesforceClient> {
    let sf = &config.salesforce;
    let client_id = sf.client_id.clone();
    let grant = match &sf.credentials {
        SalesforceCredentials::JwtBearer {
            username,
            private_key_pem,
            ..
        } => SfGrant::JwtBearer {
            client_id,
            username: username.clone(),
            private_key_pem: private_key_pem.clone(),
            audience: None,
        },
        SalesforceCredentials::ClientCredentials { client_secret } => SfGrant::ClientCredentials {
            client_id,
            client_secret: client_secret.clone(),
        },
        SalesforceCredentials::RefreshToken {
            client_secret,
            refresh_token,
        } => match (&config.store.key, store, refresh_token) {
            (Some(key), Some(store), seed) => {
                let vault = StoreVault::new(Arc::clone(store), Arc::clone(key), SF_REFRESH_TOKEN)
                    .until_revoked();
                let app = SalesforceApp {
                    login_url: sf.login_url.clone(),
                    client_id,
                    client_secret: client_secret.clone(),
                };
                return build_salesforce_client(
                    config,
                    observers,
                    StoredRefreshToken::new(vault, app, seed.clone()),
                );
            }
            (_, _, Some(token)) => SfGrant::RefreshToken {
                client_id,
                client_secret: Some(client_secret.clone()),
                refresh_token: token.clone(),
            },
            (Some(_), None, None) => anyhow::bail!(
                "the Salesforce refresh token is kept in the store, which this command does not open; \
                 set COSELL_SF_REFRESH_TOKEN"
            ),
            (None, _, None) => anyhow::bail!(
                "no Salesforce refresh token: set COSELL_SF_REFRESH_TOKEN, or set COSELL_STORE_KEY and run `cosell login salesforce`"
            ),
        },
        SalesforceCredentials::Password {
            username,
            client_secret,
            password,
        } => SfGrant::Password {
            client_id,
            client_secret: client_secret.clone(),
            username: username.clone(),
            password: password.clone(),
            security_token: None::<SecretString>,
        },
    };
    let provider = OAuthTokenProvider::new(OAuthConfig::new(sf.login_url.clone(), grant))
        .context("could not set up Salesforce authentication")?;
    build_salesforce_client(config, observers, Arc::new(provider))
}

/// The client over a token provider, with the configured API version.
fn build_salesforce_client(
    config: &Config,
    observers: &Observers,
    provider: Arc<dyn salesforce::auth::TokenProvider>,
) -> Result<SalesforceClient> {
    let sf = &config.salesforce;
    let client_config = ClientConfig {
        api_version: sf.api_version.to_string(),
        ..ClientConfig::default()
    };
    let mut builder = SalesforceClient::builder(provider).config(client_config);
    if let Some(observer) = &observers.salesforce {
        builder = builder.observer(observer.clone());
    }
    builder
        .build()
        .context("could not build the Salesforce client")
}

/// The webhook signature verifier from `[partner_center] webhook_*`.
pub fn verifier(config: &Config) -> Result<WebhookVerifier> {
    let pc = &config.partner_center;
    let anchors = match &pc.webhook_trust_anchors_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("partner_center.webhook_trust_anchors_file: cannot read {}", path.display()))?,
        None => anyhow::bail!(
            "partner_center.webhook_trust_anchors_file is not set: webhooks cannot be verified without the \
             certificate authority that signs Partner Center's certificate"
        ),
    };
    let mut verifier_config = VerifierConfig::new(&anchors)
        .context("partner_center.webhook_trust_anchors_file")?
        .with_allowed_cert_url_prefixes(&pc.webhook_cert_url_prefixes)
        .context("partner_center.webhook_cert_url_prefixes")?;
    verifier_config.issuer_organization = pc.webhook_issuer_organization.clone();
    // One limit for the whole intake path: the route's and the verifier's.
    verifier_config.max_body_bytes = config.server.webhook_body_limit_bytes;
    Ok(WebhookVerifier::new(verifier_config))
}

/// The AWS Partner Central client `[aws]` describes.
pub async fn aws_client(aws: &AwsConfig) -> aws_partner_central::PartnerCentral {
    use aws_partner_central::PartnerCentral;
    match &aws.credentials {
        AwsCredentials::Chain => PartnerCentral::connect(aws.client.clone()).await,
        AwsCredentials::Static {
            access_key_id,
            secret_access_key,
        } => PartnerCentral::with_static_keys(
            access_key_id,
            secret_access_key.expose_secret(),
            aws.client.clone(),
        ),
    }
}

/// The sync engine over fresh connections.
pub async fn engine(config: &Config, observers: &Observers) -> Result<Arc<Engine>> {
    engine_with_store(config, observers, store(config).await?).await
}

/// The sync engine over fresh API connections and the given store.
/// With `[aws]` enabled the engine gets its AWS side, whose credentials
/// come from the standard AWS chain.
pub async fn engine_with_store(
    config: &Config,
    observers: &Observers,
    store: Arc<dyn Store>,
) -> Result<Arc<Engine>> {
    let salesforce = salesforce_client_over(config, observers, Some(&store))?;
    let mut engine = Engine::new(
        referrals_client(config, observers, &store)?,
        salesforce.clone(),
        Arc::clone(&store),
        config.sync.clone(),
    );
    if let Some(aws) = &config.aws {
        let client = aws_client(aws).await;
        engine = engine.with_aws(Arc::new(sync::aws::AwsSync::new(
            Arc::new(client),
            salesforce,
            store,
            config.sync.clone(),
            aws.settings.clone(),
        )));
    }
    Ok(Arc::new(engine))
}
