//! The demo behind `cosell demo`: the remote APIs (Partner Center,
//! Salesforce, AWS Partner Central) emulated in-process, a throwaway SQLite
//! store, the real service (the same code path as `cosell run`) with both
//! co-sell clouds on, seeded deals and simulated sellers changing them every
//! few seconds.

mod seed;
mod sellers;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result};
use emulator::aws::{AwsEmulator, Options as AwsOptions, Quotas};
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::commands::webhooks::register_with;
use crate::config::{Config, WEBHOOK_PATH};
use crate::connect::{self, Observers};
use crate::emulated;
use crate::service::{self, webhook_aws, Service, Tuning};

/// A running demo: the emulators, the service and the simulated sellers' state.
pub struct Demo {
    /// The Partner Center emulator.
    pub pc: PartnerCenterEmulator,
    /// The Salesforce emulator.
    pub sf: SalesforceEmulator,
    /// The AWS Partner Central emulator.
    pub aws: AwsEmulator,
    /// The running `cosell run` service.
    pub service: Service,
    /// The opportunity that is invalid on purpose.
    pub invalid_opportunity: String,
    sellers: sellers::Sellers,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// Starts everything; the dashboard listens on `listen`, the webhook on a free port.
    pub async fn start(listen: SocketAddr, seed: u64) -> Result<Self> {
        let pc =
            PartnerCenterEmulator::start(bind("127.0.0.1:0").await?, PcOptions::default()).await?;
        let sf =
            SalesforceEmulator::start(bind("127.0.0.1:0").await?, SfOptions::default()).await?;
        let aws = AwsEmulator::start(
            bind("127.0.0.1:0").await?,
            AwsOptions {
                quotas: Quotas::UNLIMITED,
                ..AwsOptions::default()
            },
        )
        .await?;
        let dir = tempfile::tempdir().context("cannot create the demo's temporary folder")?;
        let mut rng = StdRng::seed_from_u64(seed);
        let invalid_opportunity = seed::seed(&pc, &sf, &mut rng)?;
        seed::seed_aws(&sf, &aws)?;
        // Bound first, so sign-in knows the dashboard's real address when
        // `listen` names port 0.
        let listeners = service::Listeners {
            public: bind("127.0.0.1:0").await?,
            admin: bind(&listen.to_string()).await?,
        };
        let mut config = demo_config(&pc, &sf, &aws, dir.path(), listeners.admin.local_addr()?)?;
        emulated::use_emulator_keys(&mut config, &aws);
        let events = format!(
            "http://{}{}",
            listeners.public.local_addr()?,
            webhook_aws::PATH
        );
        emulated::route_aws_events(&aws, &events);
        let service = service::start(config, Tuning::default(), Some(listeners)).await?;
        register_webhooks(&service).await?;
        Ok(Self {
            pc,
            sf,
            aws,
            service,
            invalid_opportunity,
            sellers: sellers::Sellers::new(rng, 12),
            _dir: dir,
        })
    }

    /// One simulated seller action.
    pub fn tick(&mut self) -> Option<String> {
        self.sellers.act(&self.pc, &self.sf, &self.aws)
    }

    /// Lets the simulated sellers act every few seconds until `shutdown`
    /// resolves, then stops the service.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(sellers::TICK);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticker.tick() => {
                    if let Some(action) = self.tick() {
                        tracing::info!(target: "cosell::demo", "{action}");
                    }
                }
            }
        }
        self.service.stop().await
    }
}

/// A `cosell.toml` pointing at the emulators, with a store in `dir`.
fn demo_config(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    aws: &AwsEmulator,
    dir: &Path,
    listen: SocketAddr,
) -> Result<Config> {
    let ca = emulated::write_ca(pc, dir).context("cannot write the emulator's CA certificate")?;
    let text = format!(
        r#"{connections}
[store]
url = "sqlite://{store}"

[server]
# The webhook listener takes any free port; the emulator is told which.
listen = "127.0.0.1:0"
admin_listen = "{listen}"
{sign_in}
[worker]
salesforce_poll_seconds = 2
partner_center_reconcile_seconds = 60
{aws}"#,
        connections = emulated::connection_sections(pc, sf, &ca),
        aws = emulated::aws_section(aws, 60),
        sign_in = emulated::sign_in_section(pc),
        store = dir.join("demo.db").display(),
    );
    Config::from_toml_str(&text, dir, &emulated::secrets_env())
        .context("the demo configuration is invalid")
}

/// Points the emulator's webhooks at the demo service, as `cosell webhooks register` does.
async fn register_webhooks(service: &Service) -> Result<()> {
    let client = connect::webhooks_client(&service.state().config, &Observers::default())?;
    let url = format!("{}{WEBHOOK_PATH}", service.url());
    register_with(&client, &url, true)
        .await
        .context("could not register the demo's webhook")?;
    Ok(())
}

/// Binds an address for an emulator.
async fn bind(addr: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}
