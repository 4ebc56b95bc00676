//! `cosell emulator partner-center|salesforce|aws`: runs one strict emulator on
//! its own until Ctrl-C, printing its URLs, its demo credentials (they exist
//! only in the emulator, so showing them is the point) and the configuration
//! that points cosell at it.

pub mod aws;
pub mod partner_center;
pub mod salesforce;

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use tokio::net::TcpListener;

/// `cosell emulator ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum EmulatorCommand {
    /// Emulate Partner Center: Entra ID token endpoint, Referrals API, Webhooks API.
    PartnerCenter(partner_center::PartnerCenterEmulatorArgs),
    /// Emulate a Salesforce org: OAuth token endpoint, REST API, Tooling API.
    Salesforce(salesforce::SalesforceEmulatorArgs),
    /// Emulate AWS Partner Central: the Selling API (SigV4) and EventBridge-shaped events.
    Aws(aws::AwsEmulatorArgs),
}

/// Runs `cosell emulator ...`.
pub async fn run(command: EmulatorCommand) -> anyhow::Result<()> {
    match command {
        EmulatorCommand::PartnerCenter(args) => partner_center::run(args).await,
        EmulatorCommand::Salesforce(args) => salesforce::run(args).await,
        EmulatorCommand::Aws(args) => aws::run(args).await,
    }
}

/// Binds the listen address, saying which one failed.
async fn bind(addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Saves the CA of the emulator's HTTPS side (same port as HTTP) for
/// clients that only speak `https://`, such as simple-salesforce and MSAL.
fn write_pem(url: &str, emulator: &str, pem: &str) -> anyhow::Result<PathBuf> {
    let port = url::Url::parse(url)
        .ok()
        .and_then(|u| u.port())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!("cosell-{emulator}-emulator-{port}-tls-ca.pem"));
    std::fs::write(&path, pem).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
