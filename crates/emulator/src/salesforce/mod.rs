//! Emulator of a Salesforce org: OAuth token endpoint, REST API, Tooling API.

pub mod soql;
