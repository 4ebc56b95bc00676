//! The AWS Partner Central side of the sync: a Salesforce opportunity shared
//! with AWS becomes an AWS opportunity and is submitted for review; AWS's
//! review reaches Salesforce; AWS invitations become on-hold opportunities.

pub mod settings;

pub use settings::{AwsFieldNames, AwsSettings};
