//! Links from the dashboard to the records themselves: the referral in the
//! Partner Center portal and the opportunity in Salesforce.

use url::Url;

/// Base URLs the dashboard builds record links from; a missing base means
/// the id is shown without a link.
#[derive(Debug, Clone, Default)]
pub struct Links {
    partner_center: Option<Url>,
    salesforce: Option<Url>,
}

impl Links {
    /// Links under the Partner Center referrals portal (e.g.
    /// `https://partner.microsoft.com/dashboard/v2/referrals/cosell`, the
    /// same base as `partner_center.portal_url`) and the Salesforce
    /// instance (e.g. `https://acme.my.salesforce.com`).
    pub fn new(partner_center_portal: Option<Url>, salesforce_instance: Option<Url>) -> Self {
        Self {
            partner_center: partner_center_portal,
            salesforce: salesforce_instance,
        }
    }

    /// No links at all (ids shown as text).
    pub fn none() -> Self {
        Self::default()
    }

    /// The referral in Partner Center: `<portal>/<referral id>`, as the
    /// connector writes into the opportunity's Referral link field.
    pub fn referral(&self, referral_id: &str) -> Option<String> {
        let base = self.partner_center.as_ref()?;
        append(base, &[referral_id])
    }

    /// The opportunity's Lightning record page,
    /// `<instance>/lightning/r/Opportunity/<id>/view` (Salesforce's
    /// documented record URL format for Lightning Experience).
    pub fn opportunity(&self, opportunity_id: &str) -> Option<String> {
        let base = self.salesforce.as_ref()?;
        append(
            base,
            &["lightning", "r", "Opportunity", opportunity_id, "view"],
        )
    }
}

/// `base` with path segments added (each percent-encoded), or None when the
/// base cannot carry a path (e.g. `mailto:`).
fn append(base: &Url, segments: &[&str]) -> Option<String> {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().ok()?;
        path.pop_if_empty();
        path.extend(segments);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links::new(
            Some(
                Url::parse("https://partner.microsoft.com/dashboard/v2/referrals/cosell/").unwrap(),
            ),
            Some(Url::parse("https://acme.my.salesforce.com").unwrap()),
        )
    }

    #[test]
    fn referral_link_is_portal_slash_id() {
        assert_eq!(
            links().referral("abc-1").as_deref(),
            Some("https://partner.microsoft.com/dashboard/v2/referrals/cosell/abc-1")
        );
    }

    #[test]
    fn opportunity_link_is_the_lightning_record_page() {
        assert_eq!(
            links().opportunity("006000000000001AAA").as_deref(),
            Some("https://acme.my.salesforce.com/lightning/r/Opportunity/006000000000001AAA/view")
        );
    }

    #[test]
    fn ids_are_percent_encoded_in_the_path() {
        let link = links().referral("a/b?c#d").unwrap();
        assert!(link.ends_with("/a%2Fb%3Fc%23d"), "{link}");
    }

    #[test]
    fn no_base_no_link() {
        assert_eq!(Links::none().referral("x"), None);
        assert_eq!(Links::none().opportunity("x"), None);
    }
}
