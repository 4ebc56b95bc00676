//! ISO 3166-1 alpha-2 country codes and ISO 4217 currency codes, the values
//! Partner Center accepts for `customerProfile.address.country` and
//! `details.currency` (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).

/// Whether `code` is an assigned ISO 3166-1 alpha-2 country code (upper case).
pub(crate) fn is_country(code: &str) -> bool {
    // isocountry holds the 249 officially assigned codes, upper case only.
    code.len() == 2 && isocountry::CountryCode::for_alpha2(code).is_ok()
}

/// Whether `code` is an ISO 4217 currency code a deal can be valued in
/// (upper case): the `iso_currency` crate's list without funds units and
/// special codes (precious metals, test codes).
pub(crate) fn is_currency(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && iso_currency::Currency::from_code(code).is_some_and(|c| !c.is_fund() && !c.is_special())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_the_expected_sizes() {
        let letters = || b'A'..=b'Z';
        let countries = letters()
            .flat_map(|a| letters().map(move |b| String::from_utf8(vec![a, b]).unwrap()))
            .filter(|code| is_country(code))
            .count();
        assert_eq!(countries, 249);
        let currencies = letters()
            .flat_map(|a| letters().flat_map(move |b| letters().map(move |c| [a, b, c])))
            .filter(|code| is_currency(std::str::from_utf8(code).unwrap()))
            .count();
        assert!(currencies > 150, "{currencies}");
    }

    #[test]
    fn real_codes_pass_and_lookalikes_do_not() {
        assert!(is_country("US") && is_country("DE") && is_country("ZW"));
        assert!(!is_country("XX") && !is_country("UK") && !is_country("us"));
        assert!(!is_country("USA"));
        assert!(is_currency("USD") && is_currency("EUR") && is_currency("JPY"));
        assert!(!is_currency("ABC") && !is_currency("usd") && !is_currency("XXX"));
    }
}
