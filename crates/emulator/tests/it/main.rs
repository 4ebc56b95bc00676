//! Integration tests of the emulator crate (one binary, one module per emulator).

mod aws;
mod client_discovery;
mod dual_mode;
mod partner_center;
mod salesforce;
mod salesforce_auth;
mod salesforce_bulk;
mod salesforce_clients;
mod salesforce_collections;
mod salesforce_composite;
mod salesforce_crud;
mod salesforce_profiles;
mod salesforce_query;
mod salesforce_security;
mod salesforce_tooling;
mod salesforce_tree;
mod salesforce_web_flow;
