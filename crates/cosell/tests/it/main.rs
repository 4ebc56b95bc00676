//! Integration tests of the cosell binary crate (one test binary, modules per area).

mod config;
mod config_check;
mod config_support;
mod setup_sfdx;
mod setup_salesforce;
mod setup_support;
mod backfill;
mod dashboard;
mod dashboard_api;
mod dashboard_support;
mod service_support;
mod service_sync;
mod dashboard_browser;
mod dashboard_cdp;
mod service_webhooks;
mod service_resilience;
mod service_bench;
