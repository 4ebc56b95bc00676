//! `cosell emulator aws`: the AWS Partner Central emulator (the Selling API
//! with SigV4, EventBridge-shaped events) on its own until Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use emulator::aws::{AwsEmulator, EventTarget, Options as AwsOptions};

use super::{bind, write_pem};
use crate::service::shutdown;

/// Default address of `cosell emulator aws`.
pub const DEFAULT_AWS_EMULATOR_LISTEN: &str = "127.0.0.1:9083";

/// `cosell emulator aws`.
#[derive(Debug, Clone, Args)]
pub struct AwsEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_AWS_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// Where to deliver events (an API destination's endpoint), e.g. cosell's `/webhooks/aws`.
    #[arg(long, value_name = "URL")]
    pub events_url: Option<String>,
    /// The API-key header sent with each event.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "x-api-key",
        requires = "events_url"
    )]
    pub events_header: String,
    /// Its value [env: COSELL_AWS_EVENTS_API_KEY].
    #[arg(
        long,
        value_name = "KEY",
        env = "COSELL_AWS_EVENTS_API_KEY",
        hide_env_values = true,
        requires = "events_url"
    )]
    pub events_api_key: Option<String>,
}

/// Runs the AWS Partner Central emulator until Ctrl-C.
pub async fn run(args: AwsEmulatorArgs) -> anyhow::Result<()> {
    let event_target = args.events_url.map(|url| EventTarget {
        url,
        header_name: args.events_header,
        header_value: args.events_api_key.unwrap_or_default(),
    });
    let options = AwsOptions {
        event_target,
        ..AwsOptions::default()
    };
    let listener = bind(args.listen).await?;
    let emulator = AwsEmulator::start(listener, options)
        .await
        .context("cannot start the AWS Partner Central emulator")?;
    let url = emulator.url();
    let tls_ca_file = write_pem(&url, "aws", &emulator.tls_ca_pem())?;
    let shown = emulator.options();
    println!("AWS Partner Central emulator on {url}");
    println!(
        "  also HTTPS      {} (CA {})",
        emulator.https_url(),
        tls_ca_file.display()
    );
    println!(
        "  Selling API     POST {url}/ (AWS JSON 1.0, SigV4 service {}, region {})",
        emulator::aws::SIGNING_NAME,
        shown.region
    );
    println!("  catalogs        AWS, Sandbox");
    println!("  AWS side        {url}/_emulator/aws/... (review, aws-update, invitations)");
    match &shown.event_target {
        Some(t) => println!(
            "  events          POST {} (header {})",
            t.url, t.header_name
        ),
        None => println!("  events          not delivered (use --events-url)"),
    }
    println!("demo credentials (valid only against this emulator):");
    for c in &shown.credentials {
        println!("  account {}", c.account_id);
        println!("  export AWS_ACCESS_KEY_ID={}", c.access_key_id);
        println!("  export AWS_SECRET_ACCESS_KEY={}", c.secret_access_key);
    }
    println!("  export AWS_REGION={}", shown.region);
    println!("  export AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING={url}");
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(%url, "aws partner central emulator started");
    shutdown::signal().await;
    drop(emulator);
    Ok(())
}
