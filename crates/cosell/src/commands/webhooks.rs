//! `cosell webhooks show | register [--force]`: the tenant's Partner Center
//! webhook registration. Partner Center keeps one registration per tenant
//! and "only one URL can be registered for a given webhook event"
//! (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>), so registering over another URL
//! would silently take events away from whatever receives them now: that
//! needs `--force`.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use partner_center::wire::WebhookRegistration;
use partner_center::WebhooksClient;

use super::ConfigArgs;
use crate::config::Config;
use crate::connect::{self, Observers};
use crate::service::webhook::REFERRAL_EVENTS;

/// What `register` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// There was no registration; ours was created.
    Created,
    /// Ours was already there with every referral event; nothing changed.
    AlreadyRegistered,
    /// Ours was there without some referral events; they were added.
    EventsAdded(Vec<String>),
    /// Another URL was registered and `--force` replaced it.
    Replaced {
        /// The URL that no longer receives the events.
        previous_url: String,
    },
}

/// URLs compare without a trailing slash and with the host's case folded
/// (the URL parser normalises scheme and host).
fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        url::Url::parse(s.trim())
            .map(|u| u.to_string())
            .unwrap_or_else(|_| s.trim().to_owned())
            .trim_end_matches('/')
            .to_owned()
    };
    norm(a) == norm(b)
}

/// Our registration: the webhook URL with the four referral events.
fn registration(url: &str, events: Vec<String>) -> WebhookRegistration {
    WebhookRegistration {
        webhook_url: Some(url.to_owned()),
        webhook_events: Some(events),
        ..WebhookRegistration::default()
    }
}

fn referral_events() -> Vec<String> {
    REFERRAL_EVENTS.iter().map(|e| (*e).to_owned()).collect()
}

/// Registers `url` for the referral events, refusing to take over another
/// URL unless `force`.
pub async fn register_with(client: &WebhooksClient, url: &str, force: bool) -> Result<Registered> {
    let existing = client
        .registration()
        .await
        .context("could not read the webhook registration")?;
    let Some(existing) = existing else {
        client
            .register(&registration(url, referral_events()))
            .await
            .context("could not register the webhook")?;
        return Ok(Registered::Created);
    };
    let current_url = existing.webhook_url.clone().unwrap_or_default();
    let current_events = existing.webhook_events.clone().unwrap_or_default();
    if same_url(&current_url, url) {
        let missing: Vec<String> = referral_events()
            .into_iter()
            .filter(|e| !current_events.iter().any(|c| c.eq_ignore_ascii_case(e)))
            .collect();
        if missing.is_empty() {
            return Ok(Registered::AlreadyRegistered);
        }
        let mut events = current_events;
        events.extend(missing.iter().cloned());
        client
            .update_registration(&registration(url, events))
            .await
            .context("could not update the webhook registration")?;
        return Ok(Registered::EventsAdded(missing));
    }
    if !force {
        bail!(
            "Partner Center already sends this tenant's webhook events ({}) to {current_url}, and allows only one URL per event. \
             Registering {url} would take them away from it. If that URL is an old cosell or the Power Automate co-sell flow \
             you are replacing, run `cosell webhooks register --force`; otherwise leave it.",
            if current_events.is_empty() { "none listed".to_owned() } else { current_events.join(", ") }
        );
    }
    client
        .update_registration(&registration(url, referral_events()))
        .await
        .context("could not replace the webhook registration")?;
    Ok(Registered::Replaced {
        previous_url: current_url,
    })
}

/// Registers this configuration's webhook URL (`server.public_url` + the intake path).
pub async fn register(config: &Config, force: bool) -> Result<(String, Registered)> {
    let url = config.server.webhook_url().context(
        "server.public_url is not set: set it to the public https URL Partner Center can reach this server at",
    )?;
    let client = connect::webhooks_client(config, &Observers::default())?;
    let outcome = register_with(&client, url.as_str(), force).await?;
    Ok((url.to_string(), outcome))
}

/// The current registration, as text.
pub async fn show_text(config: &Config) -> Result<String> {
    let client = connect::webhooks_client(config, &Observers::default())?;
    let current = client
        .registration()
        .await
        .context("could not read the webhook registration")?;
    let ours = config.server.webhook_url().map(|u| u.to_string());
    Ok(match current {
        None => "no webhook registration: run `cosell webhooks register`".to_owned(),
        Some(r) => {
            let url = r.webhook_url.unwrap_or_default();
            let events = r.webhook_events.unwrap_or_default();
            let whose = match &ours {
                Some(o) if same_url(o, &url) => "this server (server.public_url)",
                Some(_) => "another receiver, not this server",
                None => "unknown (server.public_url is not set)",
            };
            format!(
                "URL:    {url}\nEvents: {}\nOwner:  {whose}",
                if events.is_empty() {
                    "none".to_owned()
                } else {
                    events.join(", ")
                }
            )
        }
    })
}

/// `cosell webhooks ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum WebhooksCommand {
    /// Show the tenant's current webhook registration.
    Show(ConfigArgs),
    /// Register this server's webhook URL for the referral events.
    Register(WebhooksRegisterArgs),
}

/// `cosell webhooks register`.
#[derive(Debug, Clone, Args)]
pub struct WebhooksRegisterArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Replace an existing registration that points elsewhere (Partner Center allows one URL per event).
    #[arg(long)]
    pub force: bool,
}

/// Runs `cosell webhooks ...`.
pub async fn run(command: WebhooksCommand) -> Result<()> {
    match command {
        WebhooksCommand::Show(args) => show(args).await,
        WebhooksCommand::Register(args) => run_register(args).await,
    }
}

/// `cosell webhooks show`.
async fn show(args: ConfigArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    println!("{}", show_text(&config).await?);
    Ok(())
}

/// `cosell webhooks register`.
async fn run_register(args: WebhooksRegisterArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let (url, outcome) = register(&config, args.force).await?;
    match outcome {
        Registered::Created => println!("registered {url} for {}", REFERRAL_EVENTS.join(", ")),
        Registered::AlreadyRegistered => println!("already registered: {url}; nothing changed"),
        Registered::EventsAdded(events) => {
            println!("{url} was registered; added {}", events.join(", "))
        }
        Registered::Replaced { previous_url } => {
            println!(
                "replaced {previous_url} with {url} for {}",
                REFERRAL_EVENTS.join(", ")
            )
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_loosely() {
        assert!(same_url(
            "https://Cosell.example.com/webhooks/partner-center",
            "https://cosell.example.com/webhooks/partner-center/"
        ));
        assert!(!same_url(
            "https://a.example.com/webhooks/partner-center",
            "https://b.example.com/webhooks/partner-center"
        ));
    }

    #[test]
    fn registers_the_four_referral_events() {
        let r = registration("https://h/webhooks/partner-center", referral_events());
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({
                "WebhookUrl": "https://h/webhooks/partner-center",
                "WebhookEvents": ["referral-created", "referral-updated", "related-referral-created", "related-referral-updated"]
            })
        );
    }
}
