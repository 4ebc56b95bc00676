//! cosell: keeps Microsoft Partner Center referrals and Salesforce
//! opportunities in sync. The binary (`main.rs`) is a thin shell over this
//! library, so tests can start the real application.
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod connect;
pub mod credential_health;
pub mod credentials;
pub mod dashboard;
pub mod demo;
pub mod emulated;
pub mod salesforce_token;
pub mod service;
pub mod setup;
pub mod sign_in;
pub mod telemetry;
