//! `cosell emulator partner-center`: the Partner Center emulator (Entra ID
//! token endpoint, Referrals API, Webhooks API) on its own until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator, Rules as PcRules};

use super::{bind, write_pem};
use crate::config::secrets;
use crate::service::shutdown;

/// Default address of `cosell emulator partner-center`.
pub const DEFAULT_PC_EMULATOR_LISTEN: &str = "127.0.0.1:9081";

/// `cosell emulator partner-center`.
#[derive(Debug, Clone, Args)]
pub struct PartnerCenterEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_PC_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// The registered application's client id [default: the emulator's demo value].
    #[arg(long)]
    pub client_id: Option<String>,
    /// The application's client secret [default: the emulator's demo value].
    #[arg(long)]
    pub client_secret: Option<String>,
    /// The Referrals admin's refresh token [default: the emulator's demo value].
    #[arg(long)]
    pub refresh_token: Option<String>,
    /// Tenant in the token endpoint path [default: the emulator's demo value].
    #[arg(long)]
    pub tenant: Option<String>,
    /// Which `$filter` properties the Referrals API honours: `permissive`
    /// (all), `documented` (only documented ones, others are a 400) or
    /// `ignore-unknown` (others are silently ignored).
    #[arg(long, value_name = "MODE", default_value = "permissive")]
    pub odata: emulator::partner_center::ODataMode,
}

/// Runs the Partner Center emulator until Ctrl-C.
pub async fn run(args: PartnerCenterEmulatorArgs) -> anyhow::Result<()> {
    let defaults = PcOptions::default();
    let options = PcOptions {
        client_id: args.client_id.unwrap_or(defaults.client_id.clone()),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret.clone()),
        refresh_token: args.refresh_token.unwrap_or(defaults.refresh_token.clone()),
        tenant: args.tenant.unwrap_or(defaults.tenant.clone()),
        rules: PcRules {
            odata: args.odata,
            ..defaults.rules.clone()
        },
        ..defaults
    };
    let odata = options.rules.odata;
    let listener = bind(args.listen).await?;
    let (client_id, client_secret, refresh_token) = (
        options.client_id.clone(),
        options.client_secret.clone(),
        options.refresh_token.clone(),
    );
    let emulator = PartnerCenterEmulator::start(listener, options)
        .await
        .context("cannot start the Partner Center emulator")?;
    let ca_file = write_ca(&emulator)?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "pc", &emulator.tls_ca_pem())?;
    println!("Partner Center emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!("  token endpoint  {}", emulator.token_url());
    println!(
        "  Referrals API   {} ($filter: {odata})",
        emulator.referrals_url()
    );
    println!("  Webhooks API    {}", emulator.webhooks_url());
    println!("  webhook CA      {}", ca_file.display());
    println!("demo credentials (valid only against this emulator):");
    println!("  client id       {client_id}");
    println!("  client secret   {client_secret}");
    println!("  refresh token   {refresh_token}");
    println!("\n# cosell.toml");
    println!("[partner_center]");
    println!("api_url = \"{}\"", emulator.referrals_url());
    println!("webhooks_url = \"{}\"", emulator.webhooks_url());
    println!("token_url = \"{}\"", emulator.token_url());
    println!("client_id = \"{client_id}\"");
    println!(
        "webhook_cert_url_prefixes = [\"{url}{}\"]",
        crate::emulated::PC_CERT_PATH
    );
    println!("webhook_trust_anchors_file = \"{}\"", ca_file.display());
    // Dashboard sign-in against the emulated tenant (pick a user on its page).
    print!("{}", crate::emulated::sign_in_section(&emulator));
    println!("\n# environment");
    println!("export {}={client_secret}", secrets::PC_CLIENT_SECRET);
    println!("export {}={client_secret}", secrets::SIGN_IN_CLIENT_SECRET);
    println!("export {}={refresh_token}", secrets::PC_REFRESH_TOKEN);
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "partner center emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}

/// Saves the emulator's CA certificate, which `webhook_trust_anchors_file`
/// must name for cosell to accept the emulator's signed webhooks.
fn write_ca(emulator: &PartnerCenterEmulator) -> anyhow::Result<PathBuf> {
    let port = url::Url::parse(&emulator.url())
        .ok()
        .and_then(|u| u.port())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("cosell-pc-emulator-{port}-ca.pem"));
    std::fs::write(&path, emulator.ca_pem())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
