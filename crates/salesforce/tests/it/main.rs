//! Integration tests: the client against small axum servers that speak the
//! documented Salesforce wire format, and against the shared Salesforce
//! emulator (one server per test, 127.0.0.1:0).

mod against_emulator;
mod auth;
mod collections;
mod composite;
mod paging;
mod resilience;
mod sobjects;
mod support;
