//! String enumerations of the Referrals and Webhooks APIs.
//!
//! Every enum is "open": values this crate does not know (Microsoft adds new ones
//! over time, see the FY26 taxonomy note in the reference) are kept verbatim in an
//! `Other(String)` variant, so parsing never fails and a GET→PUT round trip never
//! loses or rewrites them.

/// Declares an open string enum with serde, `Display`, `FromStr` and `as_str`.
///
/// Parsing tries an exact match first and then an ASCII case-insensitive one,
/// because the service itself deserialises case-insensitively (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every value this crate knows, in documentation order.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The wire spelling of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Parses a wire value; never fails (unknown values become `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $wire => return $name::$variant, )+
                    _ => {}
                }
                $( if s.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::Other(s.to_owned())
            }

            /// True when the value is not one this crate knows.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::parse(&s))
            }
        }
    };
}

open_enum! {
    /// Lifecycle status of a referral (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
    ReferralStatus {
        /// No status.
        None => "None",
        /// Not yet acted on.
        New => "New",
        /// Accepted and being worked.
        Active => "Active",
        /// Terminal.
        Closed => "Closed",
    }
}

open_enum! {
    /// Sub-status of a referral; each belongs to one status (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
    ReferralSubstatus {
        /// No sub-status.
        None => "None",
        /// New: waiting for the receiver.
        Pending => "Pending",
        /// New: seen by the receiver.
        Received => "Received",
        /// Active: accepted.
        Accepted => "Accepted",
        /// Closed: won.
        Won => "Won",
        /// Closed: lost.
        Lost => "Lost",
        /// Closed: declined by the receiver.
        Declined => "Declined",
        /// Closed: not answered in time.
        Expired => "Expired",
    }
}

open_enum! {
    /// Visibility of a referral (JSON key `type`).
    ReferralType {
        /// Visible to one partner.
        Independent => "Independent",
        /// Visible to two collaborating parties.
        Shared => "Shared",
    }
}

open_enum! {
    /// How a referral was qualified.
    ReferralQualification {
        /// Not qualified.
        None => "None",
        /// Created by the customer (marketplace lead).
        Direct => "Direct",
        /// Marketing qualified.
        MarketingQualified => "MarketingQualified",
        /// Sales qualified.
        SalesQualified => "SalesQualified",
    }
}

open_enum! {
    /// Whether a referral was received or sent by the partner.
    Direction {
        /// Received from Microsoft or another partner.
        Incoming => "Incoming",
        /// Created by this partner.
        Outgoing => "Outgoing",
    }
}

open_enum! {
    /// The kind of help asked of Microsoft ("How can Microsoft help?").
    AssistanceRequestCode {
        /// Unknown.
        Unknown => "Unknown",
        /// General or other.
        GeneralOrOther => "GeneralOrOther",
        /// Customer technical architecture.
        CustomerTechnicalArchitecture => "CustomerTechnicalArchitecture",
        /// Proof of concept or demo.
        ProofOfConceptOrDemo => "ProofOfConceptOrDemo",
        /// Quotes or licensing.
        QuotesOrLicensing => "QuotesOrLicensing",
        /// Post-sales customer success.
        PostSalesCustomerSuccess => "PostSalesCustomerSuccess",
        /// Workload-specific value proposition.
        WorkloadSpecificValueProposition => "WorkloadSpecificValueProposition",
    }
}

open_enum! {
    /// Kind of a solution tag.
    SolutionTagType {
        /// No type.
        None => "None",
        /// Legacy predefined category name.
        Category => "Category",
        /// Catalog solution id.
        Name => "Name",
    }
}

open_enum! {
    /// Kind of a referral target.
    TargetType {
        /// No type.
        None => "None",
        /// A partner location (`msft` = Microsoft).
        BusinessProfileLocation => "BusinessProfileLocation",
        /// A solution profile.
        SolutionProfile => "SolutionProfile",
    }
}

open_enum! {
    /// Kind of a customer identifier.
    ProfileType {
        /// Dun & Bradstreet number.
        Duns => "Duns",
        /// An external (CRM) id.
        External => "External",
    }
}

open_enum! {
    /// Where a registered solution is deployed.
    PrimaryDeploymentOn {
        /// Customer tenant.
        Customer => "Customer",
        /// Partner tenant.
        Partner => "Partner",
    }
}

open_enum! {
    /// Pricing model of a registered solution.
    PricingModel {
        /// Pay as you go.
        PayAsYouGo => "PayAsYouGo",
        /// Any other model.
        OtherModel => "Other",
    }
}

open_enum! {
    /// Term of a deal-registration contract.
    ContractTerm {
        /// No end date.
        Perpetual => "Perpetual",
        /// Has an end date.
        Finite => "Finite",
    }
}

open_enum! {
    /// Name of a webhook event (`{resource}-{action}`, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhook-events>).
    WebhookEventName {
        /// A referral was created.
        ReferralCreated => "referral-created",
        /// A referral was updated.
        ReferralUpdated => "referral-updated",
        /// The counterpart referral of an engagement was created.
        RelatedReferralCreated => "related-referral-created",
        /// The counterpart referral of an engagement was updated.
        RelatedReferralUpdated => "related-referral-updated",
        /// A validation (test) event.
        TestCreated => "test-created",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_parse_and_serialise_verbatim() {
        for v in ReferralSubstatus::KNOWN {
            let json = serde_json::to_string(v).unwrap();
            let back: ReferralSubstatus = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, v);
        }
        assert_eq!(PricingModel::parse("Other"), PricingModel::OtherModel);
    }

    #[test]
    fn unknown_values_survive() {
        let v: ReferralStatus = serde_json::from_str("\"Archived\"").unwrap();
        assert_eq!(v, ReferralStatus::Other("Archived".into()));
        assert!(v.is_unknown());
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"Archived\"");
    }

    #[test]
    fn parsing_is_case_insensitive_for_known_values() {
        assert_eq!(Direction::parse("incoming"), Direction::Incoming);
        assert_eq!(
            WebhookEventName::parse("Referral-Created"),
            WebhookEventName::ReferralCreated
        );
    }
}
