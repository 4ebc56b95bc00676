//! Integration tests of the partner-center crate against small axum servers
//! and against the Partner Center emulator, each started per test on 127.0.0.1:0.

mod against_emulator;
mod auth;
mod referrals;
mod signature;
mod support;
mod webhooks;
