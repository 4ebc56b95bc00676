//! The Partner Center checks of `cosell doctor`, read-only: the Referrals
//! API token (and, from one cheap listing, whether Partner Center applies
//! the undocumented `updatedDateTime` filter the reconcile poll uses), and
//! the Webhooks API token with the tenant's webhook registration compared
//! to this server's public URL.

use std::sync::Arc;

use chrono::Utc;
use partner_center::UndocumentedFilter;
use store::Store;

use super::findings::{Diagnosis, Finding};
use crate::commands::webhooks::same_url;
use crate::config::Config;
use crate::connect::{self, Observers};
use crate::service::webhook::REFERRAL_EVENTS;

/// Runs every Partner Center check.
pub async fn check(config: &Config, store: &Arc<dyn Store>, out: &mut Diagnosis) {
    referrals(config, store, out).await;
    webhooks(config, out).await;
}

/// The delegated token, by listing the referrals changed from now on (none,
/// usually: one small call).
async fn referrals(config: &Config, store: &Arc<dyn Store>, out: &mut Diagnosis) {
    let check = "Partner Center Referrals API";
    let fix = "sign in again with `cosell login partner-center` (or set COSELL_PC_REFRESH_TOKEN), \
               and check partner_center.client_id, token_url and COSELL_PC_CLIENT_SECRET";
    let client = match connect::referrals_client(config, &Observers::default(), store) {
        Ok(client) => client,
        Err(e) => {
            out.push(Finding::blocker(check, format!("{e:#}"), fix));
            return;
        }
    };
    match client.changed_since(Some(Utc::now())).await {
        Ok(_) => out.push(Finding::ok(
            check,
            format!(
                "token acquired; {} filter: {}",
                UndocumentedFilter::UpdatedSince.property(),
                client
                    .filter_support(UndocumentedFilter::UpdatedSince)
                    .describe()
            ),
        )),
        Err(e) => out.push(Finding::blocker(check, format!("{e:#}"), fix)),
    }
}

/// The app-only token and the tenant's registration.
async fn webhooks(config: &Config, out: &mut Diagnosis) {
    let check = "Partner Center webhook registration";
    let register = "run `cosell webhooks register`";
    let client = match connect::webhooks_client(config, &Observers::default()) {
        Ok(client) => client,
        Err(e) => {
            out.push(Finding::blocker(
                check,
                format!("{e:#}"),
                "set COSELL_PC_CLIENT_SECRET",
            ));
            return;
        }
    };
    let current = match client.registration().await {
        Ok(current) => current,
        Err(e) => {
            out.push(Finding::blocker(
                check,
                format!("{e:#}"),
                "check partner_center.client_id, token_url and COSELL_PC_CLIENT_SECRET: the Webhooks API takes an app-only token",
            ));
            return;
        }
    };
    let Some(ours) = config.server.webhook_url() else {
        out.push(Finding::warning(
            check,
            "server.public_url is not set: Partner Center changes arrive only with the reconcile poll",
            format!("set server.public_url to the https URL Partner Center reaches this server at, then {register}"),
        ));
        return;
    };
    let Some(current) = current else {
        out.push(Finding::warning(
            check,
            format!("nothing is registered: Partner Center changes reach {ours} only with the reconcile poll"),
            register,
        ));
        return;
    };
    let url = current.webhook_url.unwrap_or_default();
    if !same_url(&url, ours.as_str()) {
        out.push(Finding::warning(
            check,
            format!("Partner Center sends this tenant's events to {url}, not to {ours}"),
            "if that URL is an old cosell or the flow being replaced, run `cosell webhooks register --force`",
        ));
        return;
    }
    let events = current.webhook_events.unwrap_or_default();
    let missing: Vec<&str> = REFERRAL_EVENTS
        .iter()
        .copied()
        .filter(|e| !events.iter().any(|c| c.eq_ignore_ascii_case(e)))
        .collect();
    if missing.is_empty() {
        out.push(Finding::ok(
            check,
            format!("{ours} receives {}", REFERRAL_EVENTS.join(", ")),
        ));
    } else {
        out.push(Finding::warning(
            check,
            format!("{ours} is registered without {}", missing.join(", ")),
            format!("{register}: it adds them"),
        ));
    }
}
