//! `cosell login salesforce -c FILE`: the OAuth 2.0 web server flow with
//! PKCE on a localhost redirect, for orgs that prefer a refresh token. cosell
//! listens on `127.0.0.1:PORT` (1717 by default, `--port 0` for any free
//! one), prints the page to open, receives the code on
//! `http://localhost:PORT/OauthRedirect`, checks the `state`, redeems the
//! code with its verifier and keeps the refresh token sealed in the store,
//! where `auth = "refresh_token"` picks it up.

use std::collections::HashMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use clap::Args;
use salesforce::auth::web_server::{
    authorize_url, random_state, AuthorizeRequest, CodeExchange, Pkce,
};
use salesforce::auth::TOKEN_PATH;
use tokio::sync::mpsc;

use crate::commands::ConfigArgs;
use crate::config::{Config, SalesforceCredentials};
use crate::connect;
use crate::credentials::{StoreVault, SF_REFRESH_TOKEN};

/// The port Salesforce CLI uses too, so one callback URL serves both.
pub const DEFAULT_PORT: u16 = 1717;
/// Path of the callback on the local listener.
pub const CALLBACK_PATH: &str = "/OauthRedirect";
/// Scopes asked for: the REST API and a refresh token.
const SCOPE: &str = "api refresh_token";
/// How long cosell waits for the person to sign in.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Timeout of the code exchange.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `cosell login salesforce`.
#[derive(Debug, Clone, Args)]
pub struct LoginSalesforceArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Local port of the callback `http://localhost:PORT/OauthRedirect`
    /// (must be a callback URL of the External Client App; 0 picks a free port).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// `cosell login salesforce`.
pub async fn run(args: LoginSalesforceArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    salesforce(&config, args.port, &mut std::io::stdout()).await
}

/// What the browser brought back to the callback.
type Callback = HashMap<String, String>;

/// Signs the integration user in to Salesforce, telling the person what to do on `out`.
pub async fn salesforce(config: &Config, port: u16, out: &mut dyn Write) -> Result<()> {
    let sf = &config.salesforce;
    let SalesforceCredentials::RefreshToken { client_secret, .. } = &sf.credentials else {
        bail!(
            "salesforce.auth is \"{}\": set salesforce.auth = \"refresh_token\" in the configuration to sign in \
             with `cosell login salesforce` (JWT bearer and client credentials need no sign-in)",
            sf.auth()
        );
    };
    let key = config.store.key.clone().context(
        "cosell keeps the refresh token sealed in the store: set COSELL_STORE_KEY (or COSELL_STORE_KEY_FILE); \
         `cosell setup store-key` makes one",
    )?;
    let store = connect::store(config).await?;

    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .with_context(|| {
            format!("cannot listen on 127.0.0.1:{port} for the callback; pick another with --port")
        })?;
    let redirect_uri = format!(
        "http://localhost:{}{CALLBACK_PATH}",
        listener.local_addr()?.port()
    );
    let pkce = Pkce::generate();
    let state = random_state();
    let url = authorize_url(
        &AuthorizeRequest {
            login_url: &sf.login_url,
            client_id: &sf.client_id,
            redirect_uri: &redirect_uri,
            scope: SCOPE,
            state: &state,
        },
        &pkce,
    )?;
    writeln!(
        out,
        "Open this page in a browser and sign in as the integration user, then Allow access:\n\n  {url}\n\n\
         (The External Client App must list {redirect_uri} as a callback URL.)\n\
         Waiting for Salesforce to send the browser back..."
    )?;
    out.flush()?;

    let callback = receive_callback(listener).await?;
    if callback.get("state") != Some(&state) {
        bail!("the callback's state does not match this sign-in (a stale or forged redirect); run `cosell login salesforce` again");
    }
    if let Some(error) = callback.get("error") {
        let description = callback.get("error_description").map_or("", String::as_str);
        bail!("Salesforce refused the sign-in: {error}: {description}; run `cosell login salesforce` again and Allow access");
    }
    let code = callback
        .get("code")
        .context("the callback carried no code; run `cosell login salesforce` again")?;

    let base = sf.login_url.as_str().trim_end_matches('/');
    let token_url = url::Url::parse(&format!("{base}{TOKEN_PATH}"))?;
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let exchange = CodeExchange {
        token_url: &token_url,
        client_id: &sf.client_id,
        client_secret: Some(client_secret),
        redirect_uri: &redirect_uri,
    };
    let signed_in = exchange
        .redeem(&http, code, &pkce)
        .await
        .context("Salesforce refused the code")?;
    StoreVault::new(store, key, SF_REFRESH_TOKEN)
        .until_revoked()
        .sign_in(&signed_in.refresh_token, None)
        .await
        .context("could not store the refresh token")?;
    writeln!(
        out,
        "Signed in to {} as user {}. The refresh token is stored sealed in the store; \
         cosell uses it from now on.",
        signed_in.access.instance_url,
        signed_in.access.user_id().unwrap_or("(unknown)")
    )?;
    Ok(())
}

/// Serves the callback until the browser arrives with it (or the wait ends).
async fn receive_callback(listener: tokio::net::TcpListener) -> Result<Callback> {
    let (sender, mut received) = mpsc::channel::<Callback>(1);
    let app = Router::new()
        .route(CALLBACK_PATH, get(callback))
        .with_state(sender);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let outcome = tokio::time::timeout(SIGN_IN_TIMEOUT, received.recv()).await;
    server.abort();
    match outcome {
        Ok(Some(callback)) => Ok(callback),
        Ok(None) => bail!("the callback listener stopped"),
        Err(_) => bail!(
            "nobody signed in within {} minutes; run `cosell login salesforce` again",
            SIGN_IN_TIMEOUT.as_secs() / 60
        ),
    }
}

/// `GET /OauthRedirect?code=..&state=..` (or `?error=..`).
async fn callback(
    State(sender): State<mpsc::Sender<Callback>>,
    Query(query): Query<Callback>,
) -> Html<&'static str> {
    let failed = query.contains_key("error");
    // Only the first callback counts; later ones find the channel full or closed.
    let _ = sender.try_send(query);
    Html(if failed {
        "<!doctype html><title>cosell</title><p>Salesforce did not allow access. Return to the terminal.</p>"
    } else {
        "<!doctype html><title>cosell</title><p>Signed in. You can close this tab and return to the terminal.</p>"
    })
}
