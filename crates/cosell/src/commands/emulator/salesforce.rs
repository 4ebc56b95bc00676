//! `cosell emulator salesforce`: the Salesforce org emulator (OAuth token
//! endpoint, REST API, Tooling API) on its own until Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};

use super::{bind, write_pem};
use crate::config::secrets;
use crate::service::shutdown;

/// Default address of `cosell emulator salesforce`.
pub const DEFAULT_SF_EMULATOR_LISTEN: &str = "127.0.0.1:9082";

/// `cosell emulator salesforce`.
#[derive(Debug, Clone, Args)]
pub struct SalesforceEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_SF_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// Start without the connector's custom fields and object (to try `cosell setup salesforce`).
    #[arg(long)]
    pub bare: bool,
    /// The connected app's consumer key [default: the emulator's demo value].
    #[arg(long)]
    pub client_id: Option<String>,
    /// The connected app's consumer secret [default: the emulator's demo value].
    #[arg(long)]
    pub client_secret: Option<String>,
    /// The integration user's username [default: the emulator's demo value].
    #[arg(long)]
    pub username: Option<String>,
    /// The integration user's password [default: the emulator's demo value].
    #[arg(long)]
    pub password: Option<String>,
    /// API requests allowed per 24 hours before REQUEST_LIMIT_EXCEEDED [default: the emulator's].
    #[arg(long, value_name = "N")]
    pub daily_limit: Option<u64>,
    /// The kind of org: demo, enterprise (duplicate and validation rules, a
    /// required field) or single-currency (see the emulator crate's README).
    #[arg(long, value_name = "NAME", default_value = "demo")]
    pub profile: emulator::salesforce::Profile,
}

/// Runs the Salesforce emulator until Ctrl-C.
pub async fn run(args: SalesforceEmulatorArgs) -> anyhow::Result<()> {
    let defaults = SfOptions::for_profile(args.profile);
    let options = SfOptions {
        client_id: args.client_id.unwrap_or(defaults.client_id.clone()),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret.clone()),
        username: args.username.unwrap_or(defaults.username.clone()),
        password: args.password.unwrap_or(defaults.password.clone()),
        bare: args.bare,
        daily_api_limit: args.daily_limit.unwrap_or(defaults.daily_api_limit),
        ..defaults
    };
    let listener = bind(args.listen).await?;
    let shown = options.clone();
    let emulator = SalesforceEmulator::start(listener, options)
        .await
        .context("cannot start the Salesforce emulator")?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "sf", &emulator.tls_ca_pem())?;
    println!("Salesforce emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!("  login URL       {url} (My Domain: every OAuth flow is served)");
    println!("  token endpoint  {url}/services/oauth2/token");
    println!(
        "  REST API        {url}/services/data/v{}.0 (v{}.0 to v{}.0)",
        shown.max_api_version, shown.min_api_version, shown.max_api_version
    );
    println!(
        "  org             {}",
        if shown.bare {
            "bare: run `cosell setup salesforce` to create the connector's fields"
        } else {
            "with the connector's fields and object"
        }
    );
    println!("  profile         {}", shown.profile);
    println!(
        "  API limit       {} requests per 24 hours",
        shown.daily_api_limit
    );
    println!("demo credentials (valid only against this emulator):");
    println!("  consumer key    {}", shown.client_id);
    println!("  consumer secret {}", shown.client_secret);
    println!("  username        {}", shown.username);
    println!("  password        {}", shown.password);
    println!("\n# cosell.toml");
    println!("[salesforce]");
    println!("login_url = \"{url}\"");
    println!("auth = \"password\"");
    println!("client_id = \"{}\"", shown.client_id);
    println!("username = \"{}\"", shown.username);
    let sync_keys = crate::emulated::profile_sync_keys(shown.profile);
    if !sync_keys.is_empty() {
        // What this org's picklists, sales processes and currency need.
        println!("\n[sync]");
        for (key, value) in sync_keys {
            println!("{key} = \"{value}\"");
        }
    }
    println!("\n# environment");
    println!(
        "export {}={}",
        secrets::SF_CLIENT_SECRET,
        shown.client_secret
    );
    println!("export {}={}", secrets::SF_PASSWORD, shown.password);
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "salesforce emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}
