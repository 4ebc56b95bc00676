//! Salesforce record IDs: minting 15-character base-62 IDs with a key prefix,
//! the 3-character case-safety checksum that makes the 18-character form
//! (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>), and parsing IDs given as 15 or 18 characters.

/// Digits of the base-62 counter, in ASCII order so fixed-width IDs sort by age.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Alphabet of the checksum characters: one per 5-bit uppercase mask.
const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// Length of the case-sensitive form.
pub const ID15_LEN: usize = 15;
/// Length of the case-insensitive form every response uses.
pub const ID18_LEN: usize = 18;
/// Length of the key prefix naming the object type.
pub const PREFIX_LEN: usize = 3;
/// The pod/instance part of minted IDs (characters 4–5).
const POD: &str = "5g";
/// Width of the base-62 counter that ends a minted 15-char ID.
const COUNTER_WIDTH: usize = 9;

/// The checksum suffix of a 15-character ID.
pub fn checksum(id15: &str) -> String {
    let bytes = id15.as_bytes();
    (0..3)
        .map(|chunk| {
            let mask = (0..5).fold(0usize, |mask, i| {
                if bytes[chunk * 5 + i].is_ascii_uppercase() {
                    mask | (1 << i)
                } else {
                    mask
                }
            });
            CHECKSUM_ALPHABET[mask] as char
        })
        .collect()
}

/// Appends the checksum to a 15-character ID.
pub fn to_18(id15: &str) -> String {
    format!("{id15}{}", checksum(id15))
}

/// Mints the 18-character ID number `counter` for `prefix`.
pub fn mint(prefix: &str, counter: u64) -> String {
    let mut digits = [b'0'; COUNTER_WIDTH];
    let mut n = counter;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let body = String::from_utf8_lossy(&digits);
    to_18(&format!("{prefix}{POD}0{body}"))
}

/// Normalises an ID given as 15 or 18 characters to its 18-character form.
/// `None` when it is not a well-formed ID (wrong length, characters outside
/// base 62, or an 18-char form whose checksum does not match).
pub fn normalize(id: &str) -> Option<String> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        ID15_LEN => Some(to_18(id)),
        ID18_LEN => {
            let (head, tail) = id.split_at(ID15_LEN);
            // The suffix is compared case-insensitively: that is its purpose.
            checksum(head)
                .eq_ignore_ascii_case(tail)
                .then(|| to_18(head))
        }
        _ => None,
    }
}

/// The key prefix of a well-formed ID.
pub fn prefix(id: &str) -> &str {
    &id[..PREFIX_LEN.min(id.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_the_ids_in_the_official_guide() {
        assert_eq!(to_18("00190000001pPvH"), "00190000001pPvHAAU");
        assert_eq!(to_18("001D000000IqhSL"), "001D000000IqhSLIAZ");
    }

    #[test]
    fn fifteen_and_eighteen_char_forms_normalise_alike() {
        let id = mint("006", 4242);
        assert_eq!(id.len(), ID18_LEN);
        assert_eq!(normalize(&id).as_deref(), Some(id.as_str()));
        assert_eq!(normalize(&id[..ID15_LEN]).as_deref(), Some(id.as_str()));
        let lower_suffix = format!("{}{}", &id[..ID15_LEN], id[ID15_LEN..].to_ascii_lowercase());
        assert_eq!(normalize(&lower_suffix).as_deref(), Some(id.as_str()));
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert_eq!(normalize("006"), None);
        assert_eq!(normalize("00190000001pPvHAAX"), None);
        assert_eq!(normalize("0019000000-pPvH"), None);
    }

    #[test]
    fn minted_ids_sort_by_counter() {
        assert!(mint("001", 61) < mint("001", 62));
        assert!(mint("001", 9) < mint("001", 10));
    }
}
