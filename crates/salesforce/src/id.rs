//! Salesforce record ids. An id is 15 case-sensitive base-62 characters, or
//! those 15 followed by a 3-character case-safety suffix (the 18-character
//! form the API returns): both name the same record, so ids compare on their
//! first 15 characters. The first 3 characters are the key prefix naming the
//! object type, e.g. `006` for Opportunity
//! (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>,
//! "ID").

use std::fmt;
use std::hash::{Hash, Hasher};

/// Length of the case-sensitive form.
const ID15_LEN: usize = 15;
/// Length of the form with the case-safety suffix.
const ID18_LEN: usize = 18;
/// Length of the key prefix.
const PREFIX_LEN: usize = 3;

/// Key prefix of Opportunity ids.
pub const OPPORTUNITY_PREFIX: &str = "006";

/// A well-formed Salesforce record id, 15 or 18 characters, kept as given.
/// Equality and hashing use the 15-character form.
#[derive(Debug, Clone, Eq)]
pub struct SalesforceId(String);

/// Why a text is not a Salesforce id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Salesforce id (15 or 18 letters and digits)")]
pub struct InvalidId(pub String);

impl SalesforceId {
    /// Checks the length (15 or 18) and the characters (ASCII letters and digits).
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        let well_formed = matches!(text.len(), ID15_LEN | ID18_LEN)
            && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidId(text.to_owned()))
        }
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 15-character, case-sensitive form.
    pub fn id15(&self) -> &str {
        &self.0[..ID15_LEN]
    }

    /// The key prefix naming the object type, e.g. `006`.
    pub fn key_prefix(&self) -> &str {
        &self.0[..PREFIX_LEN]
    }

    /// Whether this is an Opportunity's id.
    pub fn is_opportunity(&self) -> bool {
        self.key_prefix() == OPPORTUNITY_PREFIX
    }

    /// Whether two texts are well-formed ids of the same record.
    pub fn same(a: &str, b: &str) -> bool {
        matches!((Self::parse(a), Self::parse(b)), (Ok(a), Ok(b)) if a == b)
    }
}

impl PartialEq for SalesforceId {
    fn eq(&self, other: &Self) -> bool {
        self.id15() == other.id15()
    }
}

impl Hash for SalesforceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id15().hash(state);
    }
}

impl fmt::Display for SalesforceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SalesforceId {
    type Err = InvalidId;

    fn from_str(text: &str) -> Result<Self, InvalidId> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_15_and_18_character_forms_name_the_same_record() {
        let long = SalesforceId::parse("0065g00000AbCdEAAV").unwrap();
        let short = SalesforceId::parse("0065g00000AbCdE").unwrap();
        assert_eq!(long, short);
        assert!(SalesforceId::same("0065g00000AbCdEAAV", "0065g00000AbCdE"));
        // The 15-character form is case-sensitive.
        assert!(!SalesforceId::same("0065g00000AbCdE", "0065g00000ABCDE"));
        assert_eq!(long.to_string(), "0065g00000AbCdEAAV");
    }

    #[test]
    fn the_key_prefix_names_the_object() {
        assert!(SalesforceId::parse("0065g00000AbCdE")
            .unwrap()
            .is_opportunity());
        let account = SalesforceId::parse("0015g00000AbCdE").unwrap();
        assert_eq!(account.key_prefix(), "001");
        assert!(!account.is_opportunity());
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "006",
            "0065g00000AbCd",
            "0065g00000AbCdE-",
            "0065g00000AbCdEAAVX",
        ] {
            assert_eq!(SalesforceId::parse(bad), Err(InvalidId(bad.to_owned())));
        }
        assert!(!SalesforceId::same("not an id at all", "not an id at all"));
    }
}
