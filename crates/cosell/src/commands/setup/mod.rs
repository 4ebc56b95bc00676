//! `cosell setup salesforce | salesforce-app | store-key`: prepare a remote
//! system, or a key, for the connector.

pub mod salesforce;
pub mod salesforce_app;
pub mod store_key;

use anyhow::Result;
use clap::Subcommand;

/// `cosell setup ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SetupCommand {
    /// Create the connector's custom fields and object in the Salesforce org.
    Salesforce(salesforce::SetupSalesforceArgs),
    /// Write the JWT bearer key pair: a private key (0600) and a certificate for the External Client App.
    SalesforceApp(salesforce_app::SalesforceAppArgs),
    /// Write a new key for the credentials sealed in the store (COSELL_STORE_KEY_FILE).
    StoreKey(store_key::StoreKeyArgs),
}

/// Runs `cosell setup ...`.
pub async fn run(command: SetupCommand) -> Result<()> {
    match command {
        SetupCommand::Salesforce(args) => salesforce::run(args).await,
        SetupCommand::SalesforceApp(args) => salesforce_app::run(args),
        SetupCommand::StoreKey(args) => store_key::run(args),
    }
}
