//! The states State and Country/Territory Picklists enable by default, as
//! (code, integration value = name), per country
//! (https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_overview.htm).
//! The codes are the ISO 3166-2 subdivision codes without the country
//! prefix (https://www.iso.org/obp/ui/#search/code/) for US, CA, AU and BR;
//! for MX they are the two-letter codes Salesforce lists [I]. Only
//! the countries listed here have states in the emulated org: US, CA, AU,
//! BR and MX. India, China, Ireland and Italy, which Salesforce also
//! enables, are not listed yet [gap]; their addresses take no state code.

/// Country code → its states.
pub const STATES: &[(&str, &[(&str, &str)])] =
    &[("US", US), ("CA", CA), ("AU", AU), ("BR", BR), ("MX", MX)];

/// The states of `country`, when the org has any.
pub fn of(country: &str) -> Option<&'static [(&'static str, &'static str)]> {
    STATES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(country))
        .map(|(_, states)| *states)
}

const US: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

const CA: &[(&str, &str)] = &[
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon Territories"),
];

const AU: &[(&str, &str)] = &[
    ("ACT", "Australian Capital Territory"),
    ("NSW", "New South Wales"),
    ("NT", "Northern Territory"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("TAS", "Tasmania"),
    ("VIC", "Victoria"),
    ("WA", "Western Australia"),
];

const BR: &[(&str, &str)] = &[
    ("AC", "Acre"),
    ("AL", "Alagoas"),
    ("AP", "Amapá"),
    ("AM", "Amazonas"),
    ("BA", "Bahia"),
    ("CE", "Ceará"),
    ("DF", "Distrito Federal"),
    ("ES", "Espírito Santo"),
    ("GO", "Goiás"),
    ("MA", "Maranhão"),
    ("MT", "Mato Grosso"),
    ("MS", "Mato Grosso do Sul"),
    ("MG", "Minas Gerais"),
    ("PA", "Pará"),
    ("PB", "Paraíba"),
    ("PR", "Paraná"),
    ("PE", "Pernambuco"),
    ("PI", "Piauí"),
    ("RJ", "Rio de Janeiro"),
    ("RN", "Rio Grande do Norte"),
    ("RS", "Rio Grande do Sul"),
    ("RO", "Rondônia"),
    ("RR", "Roraima"),
    ("SC", "Santa Catarina"),
    ("SP", "São Paulo"),
    ("SE", "Sergipe"),
    ("TO", "Tocantins"),
];

const MX: &[(&str, &str)] = &[
    ("AG", "Aguascalientes"),
    ("BC", "Baja California"),
    ("BS", "Baja California Sur"),
    ("CH", "Chihuahua"),
    ("CL", "Colima"),
    ("CM", "Campeche"),
    ("CO", "Coahuila"),
    ("CS", "Chiapas"),
    ("DF", "Federal District"),
    ("DG", "Durango"),
    ("GR", "Guerrero"),
    ("GT", "Guanajuato"),
    ("HG", "Hidalgo"),
    ("JA", "Jalisco"),
    ("ME", "Mexico State"),
    ("MI", "Michoacán"),
    ("MO", "Morelos"),
    ("NA", "Nayarit"),
    ("NL", "Nuevo León"),
    ("OA", "Oaxaca"),
    ("PB", "Puebla"),
    ("QE", "Querétaro"),
    ("QR", "Quintana Roo"),
    ("SI", "Sinaloa"),
    ("SL", "San Luis Potosí"),
    ("SO", "Sonora"),
    ("TB", "Tabasco"),
    ("TL", "Tlaxcala"),
    ("TM", "Tamaulipas"),
    ("VE", "Veracruz"),
    ("YU", "Yucatán"),
    ("ZA", "Zacatecas"),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_within_each_country() {
        for (country, states) in STATES {
            let codes: HashSet<&str> = states.iter().map(|s| s.0).collect();
            assert_eq!(codes.len(), states.len(), "{country}");
        }
        assert_eq!(of("us").map(<[_]>::len), Some(51));
        assert!(of("FR").is_none());
    }
}
