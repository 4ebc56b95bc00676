//! Integration tests of the cosell binary crate (one test binary, modules per area).

mod backfill;
mod config;
mod config_check;
mod config_support;
mod credentials_health;
mod credentials_story;
mod dashboard;
mod dashboard_api;
mod dashboard_browser;
mod dashboard_cdp;
mod dashboard_support;
mod demo;
mod pass_commands;
mod scale;
mod service_bench;
mod service_feed;
mod service_health;
mod service_listeners;
mod service_resilience;
mod service_support;
mod service_sync;
mod service_webhooks;
mod setup_salesforce;
mod setup_sfdx;
mod setup_support;
mod token_outage;
