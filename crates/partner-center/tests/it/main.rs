//! Integration tests of the partner-center crate against small axum servers
//! started per test on 127.0.0.1:0.

mod auth;
mod referrals;
mod signature;
mod support;
mod webhooks;
