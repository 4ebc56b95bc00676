//! The commands that drive the sync engine. Each takes its parsed arguments
//! and returns when the command is done.

pub mod backfill;
mod pass;

use anyhow::bail;

use crate::cli::{
    BackfillArgs, ConfigArgs, DemoArgs, RetryArgs, SetupSalesforceArgs, StatusArgs,
    WebhooksRegisterArgs,
};

/// `cosell demo`.
pub async fn demo(_args: DemoArgs) -> anyhow::Result<()> {
    bail!("`cosell demo` lands with the sync engine")
}

/// `cosell run`.
pub async fn run(_args: ConfigArgs) -> anyhow::Result<()> {
    bail!("`cosell run` lands with the sync engine")
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
pub async fn webhooks_show(_args: ConfigArgs) -> anyhow::Result<()> {
    bail!("`cosell webhooks show` lands with the sync engine")
}

/// `cosell webhooks register`.
pub async fn webhooks_register(_args: WebhooksRegisterArgs) -> anyhow::Result<()> {
    bail!("`cosell webhooks register` lands with the sync engine")
}

/// `cosell status`.
pub async fn status(_args: StatusArgs) -> anyhow::Result<()> {
    bail!("`cosell status` lands with the sync engine")
}

/// `cosell retry`.
pub async fn retry(_args: RetryArgs) -> anyhow::Result<()> {
    bail!("`cosell retry` lands with the sync engine")
}
