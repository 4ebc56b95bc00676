//! The co-sell domain: the canonical [`Deal`], the mappings between it and
//! each side, the three-way merge, the lifecycle rules, the validation a
//! referral must pass, and the engine that runs sync passes and jobs.
#![forbid(unsafe_code)]

pub mod aws;
pub mod deal;
pub mod decide;
pub mod engagement;
pub mod iso;
pub mod lifecycle;
pub mod merge;
pub mod settings;
pub mod snapshot;
pub mod validate;
pub mod won_wait;

pub use deal::Deal;
pub use decide::{decide, Plan};
pub use settings::Settings;
pub mod engine;
pub mod feed;
pub mod opportunity_map;
pub mod referral_map;
pub mod salesforce_fit;
pub mod stages;

pub use engine::{Engine, EngineError, Outcome, Summary, Target};
