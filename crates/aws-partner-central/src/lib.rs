//! AWS Partner Central Selling API client for cosell: the official SDK
//! (`aws-sdk-partnercentralselling`) with credentials from the standard AWS
//! chain, paced within the per-account quotas, `ClientToken`s the caller
//! stores before a create (no duplicate after a crash), and read-modify-write
//! updates over the whole opportunity (no AWS field nulled by accident).
#![forbid(unsafe_code)]

mod client;
mod error;
mod fields;
mod intake;
mod pace;
mod token;

pub use client::{Catalog, Config, Created, Opportunity, PartnerCentral, REGION};
pub use error::{Error, ErrorCode, FieldError};
pub use fields::OpportunityFields;
pub use intake::api_key_matches;
pub use token::ClientToken;

/// `GetAwsOpportunitySummary`'s answer: AWS's side of an opportunity.
pub use aws_sdk_partnercentralselling::operation::get_aws_opportunity_summary::GetAwsOpportunitySummaryOutput as AwsSummary;
/// The SDK's timestamp type.
pub use aws_sdk_partnercentralselling::primitives::DateTime;
/// The SDK's types (opportunity members, enums), for callers building requests.
pub use aws_sdk_partnercentralselling::types;
