//! Salesforce record ids. An id is 15 case-sensitive base-62 characters, or
//! those 15 followed by a 3-character case-safety suffix (the 18-character
//! form the API returns): both name the same record, so ids compare on their
//! first 15 characters. The first 3 characters are the key prefix naming the
//! object type, e.g. `006` for Opportunity
//! (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>,
//! "ID"). The suffix encodes which of the 15 characters are upper case, five
//! at a time, so an 18-character id survives a system that changes its case:
//! the suffix restores it (the algorithm is spelled out in
//! <https://help.salesforce.com/s/articleView?id=000385008&type=1>).

use std::fmt;
use std::hash::{Hash, Hasher};

/// Length of the case-sensitive form.
const ID15_LEN: usize = 15;
/// Length of the form with the case-safety suffix.
const ID18_LEN: usize = 18;
/// Length of the key prefix.
const PREFIX_LEN: usize = 3;

/// The characters of the case-safety suffix, by the 5-bit upper-case mask.
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// Characters of the 15 whose case one suffix character encodes.
const SUFFIX_CHUNK: usize = 5;

/// Key prefix of Opportunity ids.
pub const OPPORTUNITY_PREFIX: &str = "006";

/// A well-formed Salesforce record id, 15 or 18 characters. An 18-character
/// id is kept in its true case (restored from its suffix); equality and
/// hashing use the 15-character form.
#[derive(Debug, Clone, Eq)]
pub struct SalesforceId(String);

/// Why a text is not a Salesforce id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a Salesforce id (15 letters and digits, or 18 with a valid case-safety suffix)"
)]
pub struct InvalidId(pub String);

impl SalesforceId {
    /// Checks the length (15 or 18) and the characters (ASCII letters and
    /// digits); an 18-character id must carry a suffix, in either case, that
    /// restores a case of its first 15 characters.
    pub fn parse(text: &str) -> Result<Self, InvalidId> {
        let invalid = || InvalidId(text.to_owned());
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        match text.len() {
            ID15_LEN => Ok(Self(text.to_owned())),
            ID18_LEN => {
                let (body, suffix) = text.split_at(ID15_LEN);
                let id15 = restore_case(body, suffix).ok_or_else(invalid)?;
                Ok(Self(format!("{id15}{}", case_suffix(&id15))))
            }
            _ => Err(invalid()),
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

/// The 3-character case-safety suffix of a 15-character id.
fn case_suffix(id15: &str) -> String {
    id15.as_bytes()
        .chunks(SUFFIX_CHUNK)
        .map(|chunk| {
            let mask = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0, |mask, (bit, _)| mask | 1 << bit);
            char::from(SUFFIX_ALPHABET[mask])
        })
        .collect()
}

/// `body` with the case `suffix` encodes, or `None` when a suffix
/// character is not one of the 32 the encoding uses.
fn restore_case(body: &str, suffix: &str) -> Option<String> {
    let masks = suffix
        .bytes()
        .map(|c| {
            SUFFIX_ALPHABET
                .iter()
                .position(|a| *a == c.to_ascii_uppercase())
        })
        .collect::<Option<Vec<usize>>>()?;
    let restored = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let upper = masks[i / SUFFIX_CHUNK] & (1 << (i % SUFFIX_CHUNK)) != 0;
            char::from(if upper {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            })
        })
        .collect();
    Some(restored)
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
        // `9` is not a suffix character (the alphabet ends at 5).
        assert!(SalesforceId::parse("0065g00000AbCdEAA9").is_err());
    }

    #[test]
    fn the_suffix_restores_the_case_of_an_id_whose_case_was_lost() {
        // Documented example pair: 15 characters and their 18-character form.
        let documented = SalesforceId::parse("001A0000006Vm9rIAC").unwrap();
        assert_eq!(documented, SalesforceId::parse("001A0000006Vm9r").unwrap());
        assert_eq!(case_suffix("001A0000006Vm9r"), "IAC");
        for lost in ["001a0000006vm9riac", "001A0000006VM9RIAC"] {
            let restored = SalesforceId::parse(lost).unwrap();
            assert_eq!(restored.as_str(), "001A0000006Vm9rIAC");
            assert_eq!(restored, documented);
        }
        // An 18-character id whose suffix disagrees with its case is the id
        // the suffix names: the suffix wins.
        assert_eq!(
            SalesforceId::parse("0065g00000AbCdEAAA").unwrap().id15(),
            "0065g00000abcde"
        );
    }
}
