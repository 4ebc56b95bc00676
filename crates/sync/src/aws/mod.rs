//! The AWS Partner Central side of the sync: a Salesforce opportunity shared
//! with AWS becomes an AWS opportunity and is submitted for review; AWS's
//! review reaches Salesforce and the Audit; edits AWS's review locks are kept
//! and sent when it unlocks; AWS invitations become on-hold opportunities
//! the seller accepts or rejects; a close in Salesforce closes the AWS
//! opportunity. Links live in the store as [`store::CloudLink`]s.

pub mod deal;
mod engine;
pub mod events;
pub mod feed;
mod invitations;
pub mod link;
pub mod review;
pub mod settings;
mod share;
mod step;

pub use engine::AwsSync;
pub use settings::{AwsFieldNames, AwsSettings};
