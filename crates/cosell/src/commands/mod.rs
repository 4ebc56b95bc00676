//! The commands that drive the sync engine. Each takes its parsed arguments
//! and returns when the command is done.

pub mod backfill;
pub mod doctor;
pub mod login;
pub mod login_salesforce;
mod pass;
pub mod retry;
pub mod run;
pub mod salesforce_app;
pub mod status;
pub mod store_key;
pub mod webhooks;

use crate::cli::{
    BackfillArgs, ConfigArgs, RetryArgs, SetupSalesforceArgs, StatusArgs, WebhooksRegisterArgs,
};

pub use crate::demo::run as demo;

/// `cosell run`.
pub async fn run(args: ConfigArgs) -> anyhow::Result<()> {
    run::run(args).await
}

pub use pass::{plan, sync};

/// `cosell backfill`.
pub async fn backfill(args: BackfillArgs) -> anyhow::Result<()> {
    backfill::run(args).await
}

/// `cosell setup salesforce`.
pub async fn setup_salesforce(args: SetupSalesforceArgs) -> anyhow::Result<()> {
    crate::setup::run_command(args).await
}

/// `cosell webhooks show`.
pub async fn webhooks_show(args: ConfigArgs) -> anyhow::Result<()> {
    webhooks::show(args).await
}

/// `cosell webhooks register`.
pub async fn webhooks_register(args: WebhooksRegisterArgs) -> anyhow::Result<()> {
    webhooks::run_register(args).await
}

/// `cosell status`.
pub async fn status(args: StatusArgs) -> anyhow::Result<()> {
    status::run(args).await
}

/// `cosell retry`.
pub async fn retry(args: RetryArgs) -> anyhow::Result<()> {
    retry::run(args).await
}
