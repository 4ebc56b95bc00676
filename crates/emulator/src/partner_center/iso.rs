//! ISO 3166-1 alpha-2 country codes and ISO 4217 currency codes, the values
//! Partner Center accepts for `customerProfile.address.country` and
//! `details.currency` (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).

/// Active ISO 4217 currency codes (precious metals, funds units and test
/// codes left out: a deal is never valued in them).
const CURRENCIES: &str = "\
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB \
BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK \
DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG \
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT \
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR \
MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB \
RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS \
TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD \
XCG XOF XPF YER ZAR ZMW ZWG ZWL";

/// Whether `code` is an assigned ISO 3166-1 alpha-2 country code (upper case).
pub(crate) fn is_country(code: &str) -> bool {
    // isocountry holds the 249 officially assigned codes, upper case only.
    code.len() == 2 && isocountry::CountryCode::for_alpha2(code).is_ok()
}

/// Whether `code` is an active ISO 4217 currency code (upper case).
pub(crate) fn is_currency(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code)
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
        assert!(CURRENCIES.split(' ').count() > 150);
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
