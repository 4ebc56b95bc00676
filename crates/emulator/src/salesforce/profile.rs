//! Org profiles: ready-made kinds of org the emulator can start as, so the
//! connector meets what partners' orgs really have on their first day.
//!
//! - `demo`: today's permissive demo org (multi-currency, no duplicate or
//!   validation rules).
//! - `enterprise`: like a production Enterprise Edition org: the Standard
//!   Account and Standard Contact duplicate rules active (a matching create
//!   fails with `DUPLICATES_DETECTED` unless `Sforce-Duplicate-Rule-Header:
//!   allowSave=true`), validation rules on Opportunity, a required custom
//!   field with a default value, and field-level security and object
//!   permissions enforced per user (see [`super::security`]): custom fields
//!   and objects are invisible until a permission set or the user's profile
//!   grants them, and Account, Contact and Opportunity take object
//!   permissions. Bare, the integration user has the Minimum Access - API
//!   Only Integrations profile (no object permissions at all); otherwise it
//!   is a System Administrator and the connector's fields and object come
//!   granted to it by a `Cosell_Connector` permission set, as `cosell setup
//!   salesforce` leaves them. State and Country/Territory
//!   Picklists are on (see [`super::countries`]). Opportunity has the
//!   record types `Direct_Deal` (every user's default; its sales process
//!   lacks `On Hold`) and `Partner_Deal` (see [`super::record_types`]).
//! - `single-currency`: the demo org without multi-currency (no
//!   `CurrencyIsoCode` on any object).

use std::fmt;
use std::str::FromStr;

/// A kind of org the emulator can start as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The permissive demo org.
    #[default]
    Demo,
    /// Duplicate rules, a validation rule and a required custom field.
    Enterprise,
    /// No multi-currency.
    SingleCurrency,
}

impl Profile {
    /// Every profile, in documentation order.
    pub const ALL: [Profile; 3] = [Self::Demo, Self::Enterprise, Self::SingleCurrency];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Enterprise => "enterprise",
            Self::SingleCurrency => "single-currency",
        }
    }

    /// True when the org has the multi-currency feature.
    pub fn multi_currency(self) -> bool {
        self != Self::SingleCurrency
    }

    /// True when the org enforces the standard duplicate rules, the
    /// Opportunity validation rule and the required custom field.
    pub fn enforces_org_rules(self) -> bool {
        self == Self::Enterprise
    }
}

impl Profile {
    /// True when Opportunity has record types with sales processes.
    pub fn record_types(self) -> bool {
        self == Self::Enterprise
    }

    /// True when State and Country/Territory Picklists are on.
    pub fn country_picklists(self) -> bool {
        self == Self::Enterprise
    }

    /// True when field-level security and object permissions are enforced
    /// per user.
    pub fn enforces_field_security(self) -> bool {
        self == Self::Enterprise
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!("unknown org profile {s:?}; one of: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Profile;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_choices() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
        }
        let err = "prod".parse::<Profile>().unwrap_err();
        assert!(err.contains("demo, enterprise, single-currency"), "{err}");
    }
}
