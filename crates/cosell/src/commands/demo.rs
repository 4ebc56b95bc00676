//! `cosell demo`: both remote APIs emulated in-process, seeded deals,
//! simulated sellers and the real service with its dashboard (see
//! [`crate::demo`]), until Ctrl-C.

use std::net::SocketAddr;

use anyhow::Result;
use clap::Args;
use emulator::partner_center::DEMO_ADMIN;

use crate::demo::Demo;
use crate::service::shutdown;
use crate::sign_in::SIGN_IN_PATH;

/// Address the demo serves its dashboard on.
pub const DEFAULT_DEMO_LISTEN: &str = "127.0.0.1:8080";
/// The demo's default seed, so two runs show the same deals.
const DEFAULT_SEED: u64 = 2026;

/// `cosell demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Address of the dashboard.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_DEMO_LISTEN)]
    pub listen: SocketAddr,
    /// Random seed for the generated demo deals: the same seed gives the same deals.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `cosell demo`: runs until Ctrl-C.
pub async fn run(args: DemoArgs) -> Result<()> {
    let demo = Demo::start(args.listen, args.seed.unwrap_or(DEFAULT_SEED)).await?;
    println!("cosell demo is running.");
    println!("  dashboard            {}/", demo.service.admin_url());
    println!(
        "  sign in              {}{SIGN_IN_PATH} as {DEMO_ADMIN} (pick \"Ada Admin\" on the emulated Entra ID page)",
        demo.service.admin_url()
    );
    println!("  Partner Center (emu) {}", demo.pc.url());
    println!("  Salesforce (emu)     {}", demo.sf.url());
    println!("A Microsoft seller and a Salesforce seller change deals every few seconds. Press Ctrl-C to stop.");
    demo.run_until(shutdown::signal()).await
}
