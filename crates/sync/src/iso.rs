//! ISO code lists the connector validates against before it sends a referral,
//! so a bad country or currency is reported on the opportunity instead of
//! being rejected by Partner Center.

/// True for an assigned ISO 3166-1 alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    // isocountry holds the 249 officially assigned codes, upper case only.
    code.len() == 2 && isocountry::CountryCode::for_alpha2(code).is_ok()
}

/// True for an ISO 4217 code a deal can be valued in (upper case): the
/// `iso_currency` crate's list without funds units and special codes
/// (precious metals, test codes).
pub fn is_currency(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && iso_currency::Currency::from_code(code).is_some_and(|c| !c.is_fund() && !c.is_special())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_pass_and_lookalikes_fail() {
        assert!(is_country("US") && is_country("DE"));
        assert!(!is_country("USA") && !is_country("XX") && !is_country("us"));
        assert!(is_currency("EUR") && is_currency("USD"));
        assert!(!is_currency("EURO") && !is_currency("ABC"));
        assert!(!is_currency("eur") && !is_currency("XAU") && !is_currency("XXX"));
    }
}
