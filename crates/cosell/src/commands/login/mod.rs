//! `cosell login partner-center | salesforce`: sign in once and keep the
//! refresh token sealed in the store, where `cosell run` picks it up.

pub mod partner_center;
pub mod salesforce;

use anyhow::Result;
use clap::Subcommand;

/// `cosell login ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum LoginCommand {
    /// Sign the Referrals admin in (device code flow) and store the refresh token.
    PartnerCenter(partner_center::LoginPartnerCenterArgs),
    /// Sign the integration user in to Salesforce (web server flow with PKCE
    /// on a localhost redirect) and store the refresh token.
    Salesforce(salesforce::LoginSalesforceArgs),
}

/// Runs `cosell login ...`.
pub async fn run(command: LoginCommand) -> Result<()> {
    match command {
        LoginCommand::PartnerCenter(args) => partner_center::run(args).await,
        LoginCommand::Salesforce(args) => salesforce::run(args).await,
    }
}
