//! Strict emulators of Microsoft Partner Center and Salesforce, for tests, the
//! demo and benchmarks. They implement the documented wire formats and reject
//! what the real services reject, with the real error shapes.
#![forbid(unsafe_code)]

pub mod control;
mod listener;
pub mod partner_center;
pub mod salesforce;
pub mod sellers;
