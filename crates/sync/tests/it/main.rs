//! End-to-end stories of the sync engine against both emulators: every
//! behaviour of the original connector (<https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>), one module
//! per theme.

mod world;

mod accept_and_close;
mod aws;
mod aws_properties;
mod aws_world;
mod co_sell;
mod conflicts;
mod cost;
mod country_picklists;
mod duplicates;
mod edits;
mod faults;
mod feed;
mod fy26_rules;
mod invalid;
mod kept_edits;
mod odata_modes;
mod partner_center_to_salesforce;
mod profiles;
mod properties;
mod record_types;
mod related;
mod salesforce_to_partner_center;
mod settings;
mod validation_rules;
mod visibility;
