//! Strict emulators of Microsoft Partner Center, Salesforce and AWS Partner
//! Central, for tests, the demo and benchmarks. They implement the documented
//! wire formats and reject what the real services reject, with the real error
//! shapes.
#![forbid(unsafe_code)]

pub mod aws;
pub mod control;
mod listener;
pub mod partner_center;
pub mod salesforce;
pub mod sellers;
