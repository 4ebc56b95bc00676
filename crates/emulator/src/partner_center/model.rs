//! The Referral resource as a typed model: which members each nested type
//! has (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, from the connector swagger's
//! `Microsoft.Partner.Service.PartnerReferrals.Contracts.V3.*` definitions
//! and the referral-resources page).
//!
//! The service is ASP.NET Web API over those typed contracts, so:
//! - a member the contract does not have is dropped when the body is read
//!   (the default of both Newtonsoft.Json, `MissingMemberHandling.Ignore`,
//!   <https://www.newtonsoft.com/json/help/html/T_Newtonsoft_Json_MissingMemberHandling.htm>,
//!   and System.Text.Json, "by default, extra properties are ignored",
//!   <https://learn.microsoft.com/en-us/dotnet/standard/serialization/system-text-json/missing-members>);
//! - a JSON Patch path that names no member of the typed object is refused
//!   with 400 (ASP.NET Core JsonPatch on a typed object reports "The target
//!   location specified by path segment '…' was not found",
//!   <https://learn.microsoft.com/en-us/aspnet/core/web-api/jsonpatch>).

use serde_json::Value;

/// What a member holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A string, number, boolean or null.
    Scalar,
    /// Anything (the contract types it loosely, e.g. `lastRunId`, `offers`).
    Any,
    /// A nested object of this type.
    Object(&'static Type),
    /// An array of scalars.
    Scalars,
    /// An array of objects of this type.
    Objects(&'static Type),
}

/// One contract type: its members, camelCase.
#[derive(Debug, PartialEq)]
pub(crate) struct Type {
    members: &'static [(&'static str, Kind)],
}

use Kind::{Any, Object, Objects, Scalar, Scalars};

static LINK: Type = Type {
    members: &[("uri", Scalar), ("method", Scalar)],
};
static LINKS: Type = Type {
    members: &[("relatedReferrals", Object(&LINK)), ("self", Object(&LINK))],
};
static CONTACT_PREFERENCE: Type = Type {
    members: &[("locale", Scalar), ("disableNotifications", Scalar)],
};
static MEMBER: Type = Type {
    members: &[
        ("firstName", Scalar),
        ("lastName", Scalar),
        ("phoneNumber", Scalar),
        ("email", Scalar),
        ("title", Scalar),
        ("contactPreference", Object(&CONTACT_PREFERENCE)),
        ("emailValidationStatus", Scalar),
        ("phoneValidationStatus", Scalar),
    ],
};
static ADDRESS: Type = Type {
    members: &[
        ("addressLine1", Scalar),
        ("addressLine2", Scalar),
        ("city", Scalar),
        ("state", Scalar),
        ("postalCode", Scalar),
        ("country", Scalar),
        ("region", Scalar),
    ],
};
static CUSTOMER_PROFILE_ID: Type = Type {
    members: &[("profileType", Scalar), ("id", Scalar)],
};
static CUSTOMER_PROFILE: Type = Type {
    members: &[
        ("name", Scalar),
        ("size", Scalar),
        ("isMatchingComplete", Scalar),
        ("address", Object(&ADDRESS)),
        ("team", Objects(&MEMBER)),
        ("ids", Objects(&CUSTOMER_PROFILE_ID)),
    ],
};
static CONSENT: Type = Type {
    members: &[
        ("consentToToShareInfoWithOthers", Scalar),
        ("consentToContact", Scalar),
        ("consentToShareReferralWithMicrosoftSellers", Scalar),
        ("consentToMicrosoftToContactSpecificPartners", Scalar),
    ],
};
static TAG: Type = Type {
    members: &[("id", Scalar), ("name", Scalar)],
};
static SOLUTION_TAG: Type = Type {
    members: &[
        ("id", Scalar),
        ("name", Scalar),
        ("type", Scalar),
        ("price", Scalar),
        ("quantity", Scalar),
        ("currency", Scalar),
        ("publisherName", Scalar),
        ("solutionType", Scalar),
        ("closingDateTime", Scalar),
    ],
};
static IOT: Type = Type {
    members: &[
        ("customerLicenseAgreementNumber", Scalar),
        ("deviceCategory", Scalar),
        ("siliconType", Scalar),
        ("azureCertifiedDevice", Scalar),
        ("attachServices", Scalar),
    ],
};
static ATTRIBUTE: Type = Type {
    members: &[("type", Scalar), ("id", Scalar)],
};
static ADDITIONAL_REQUIREMENTS: Type = Type {
    members: &[("iot", Object(&IOT)), ("attributes", Objects(&ATTRIBUTE))],
};
static REQUIREMENTS: Type = Type {
    members: &[
        ("industries", Objects(&TAG)),
        ("products", Objects(&TAG)),
        ("services", Objects(&TAG)),
        ("solutions", Objects(&SOLUTION_TAG)),
        ("offers", Any),
        ("salesPlays", Any),
        ("additionalRequirements", Object(&ADDITIONAL_REQUIREMENTS)),
    ],
};
static DETAILS: Type = Type {
    members: &[
        ("notes", Scalar),
        ("dealValue", Scalar),
        ("currency", Scalar),
        ("closingDateTime", Scalar),
        ("customerRequestedContact", Scalar),
        ("customerAction", Scalar),
        ("incentiveLevel", Scalar),
        ("requirements", Object(&REQUIREMENTS)),
    ],
};
static TARGET: Type = Type {
    members: &[("type", Scalar), ("id", Scalar)],
};
static INVITED_BY: Type = Type {
    members: &[("organizationId", Scalar), ("organizationName", Scalar)],
};
static INVITE_CONTEXT: Type = Type {
    members: &[
        ("notes", Scalar),
        ("assistanceRequestCode", Scalar),
        ("invitedMpnId", Scalar),
        ("invitedBy", Object(&INVITED_BY)),
    ],
};
static TRACKING_INFO: Type = Type {
    members: &[
        ("microsoftMsxId", Scalar),
        ("microsoftUSFedOpportunityId", Scalar),
        ("microsoftUSFedLeadId", Scalar),
        ("migratedPSCDealId", Scalar),
        ("migratedPSCPartnerDealId", Scalar),
    ],
};
static MARKETPLACE_TRANSACTION: Type = Type {
    members: &[
        ("isMarketplaceTransacted", Scalar),
        ("marketplaceTransactionDateTime", Scalar),
    ],
};
static SOLUTION_DETAIL: Type = Type {
    members: &[
        ("id", Scalar),
        ("currency", Scalar),
        ("value", Scalar),
        ("isDeployedOnAzure", Scalar),
        ("primaryDeploymentOn", Scalar),
        ("pricingModel", Scalar),
        (
            "marketplaceTransactionDetails",
            Object(&MARKETPLACE_TRANSACTION),
        ),
    ],
};
static CONTRACT: Type = Type {
    members: &[
        ("currency", Scalar),
        ("value", Scalar),
        ("term", Scalar),
        ("startDateTime", Scalar),
        ("endDateTime", Scalar),
        ("signDateTime", Scalar),
    ],
};
static STATUS_HISTORY: Type = Type {
    members: &[
        ("reviewPendingDateTime", Scalar),
        ("actionRequiredDateTime", Scalar),
        ("passedDateTime", Scalar),
        ("failedDateTime", Scalar),
        ("approvedDateTime", Scalar),
    ],
};
static REGISTRATION: Type = Type {
    members: &[
        ("id", Scalar),
        ("type", Scalar),
        ("registrationDateTime", Scalar),
        ("status", Scalar),
        ("statusReason", Scalar),
        ("statusHistory", Object(&STATUS_HISTORY)),
        ("solutionDetails", Objects(&SOLUTION_DETAIL)),
        ("contract", Object(&CONTRACT)),
    ],
};

/// The Referral contract (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) static REFERRAL: Type = Type {
    members: &[
        ("id", Scalar),
        ("engagementId", Scalar),
        ("name", Scalar),
        ("organizationId", Scalar),
        ("organizationName", Scalar),
        ("mpnId", Scalar),
        ("externalReferenceId", Scalar),
        ("createdDateTime", Scalar),
        ("updatedDateTime", Scalar),
        ("expirationDateTime", Scalar),
        ("acceptedDateTime", Scalar),
        ("closedDateTime", Scalar),
        ("status", Scalar),
        ("substatus", Scalar),
        ("statusReason", Scalar),
        ("qualification", Scalar),
        ("type", Scalar),
        ("direction", Scalar),
        ("referralSource", Scalar),
        ("callToAction", Scalar),
        ("referralProgram", Scalar),
        ("campaignId", Scalar),
        ("salesStage", Scalar),
        ("quality", Scalar),
        ("isSpam", Scalar),
        ("favorite", Scalar),
        ("dealSensitivity", Scalar),
        ("createdVia", Scalar),
        ("lastModifiedVia", Scalar),
        ("lastRunId", Any),
        ("tags", Scalars),
        ("registrationStatus", Scalar),
        ("registrations", Objects(&REGISTRATION)),
        ("target", Objects(&TARGET)),
        ("customerProfile", Object(&CUSTOMER_PROFILE)),
        ("consent", Object(&CONSENT)),
        ("details", Object(&DETAILS)),
        ("team", Objects(&MEMBER)),
        ("inviteContext", Object(&INVITE_CONTEXT)),
        ("links", Object(&LINKS)),
        ("trackingInfo", Object(&TRACKING_INFO)),
        ("eTag", Scalar),
        ("partnerRole", Scalar),
        ("solutionArea", Scalar),
        ("solutionPlay", Scalar),
        ("customerMarketplaceIntent", Scalar),
    ],
};

impl Type {
    fn member(&self, name: &str) -> Option<Kind> {
        self.members
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, kind)| *kind)
    }

    /// Drops, at every depth, members this type does not have.
    pub(crate) fn prune(&self, value: &mut Value) {
        let Value::Object(map) = value else {
            return;
        };
        map.retain(|key, _| self.member(key).is_some());
        for (key, inner) in map.iter_mut() {
            match self.member(key) {
                Some(Object(ty)) => ty.prune(inner),
                Some(Objects(ty)) => {
                    if let Value::Array(items) = inner {
                        items.iter_mut().for_each(|item| ty.prune(item));
                    }
                }
                _ => {}
            }
        }
    }

    /// The first segment of a JSON Pointer (already split) that names no
    /// member; array indexes and the `-` append marker are positions, not members.
    pub(crate) fn unknown_segment<'p>(&self, path: &'p [String]) -> Option<&'p str> {
        let (first, rest) = path.split_first()?;
        match self.member(first) {
            None => Some(first),
            Some(Object(ty)) => ty.unknown_segment(rest),
            Some(Objects(ty)) => {
                let (position, rest) = rest.split_first()?;
                if position != "-" && position.parse::<usize>().is_err() {
                    return Some(position);
                }
                ty.unknown_segment(rest)
            }
            Some(Scalars) => match rest.split_first() {
                Some((position, _)) if position != "-" && position.parse::<usize>().is_err() => {
                    Some(position)
                }
                Some((_, deeper)) if !deeper.is_empty() => Some(&deeper[0]),
                _ => None,
            },
            Some(Scalar) => rest.first().map(String::as_str),
            Some(Any) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segments(pointer: &str) -> Vec<String> {
        pointer[1..].split('/').map(str::to_owned).collect()
    }

    #[test]
    fn unknown_members_are_dropped_at_every_depth() {
        let mut referral = json!({
            "name": "x",
            "color": "blue",
            "consent": {"consentToContact": true, "consentToShareInfo": true},
            "details": {"dealValu": 1, "requirements": {"solutions": [{"id": "SOL-1", "rank": 2}]}},
            "team": [{"email": "a@b.c", "nickname": "al"}],
            "lastRunId": {"anything": "goes"}
        });
        REFERRAL.prune(&mut referral);
        assert_eq!(
            referral,
            json!({
                "name": "x",
                "consent": {"consentToContact": true},
                "details": {"requirements": {"solutions": [{"id": "SOL-1"}]}},
                "team": [{"email": "a@b.c"}],
                "lastRunId": {"anything": "goes"}
            })
        );
    }

    #[test]
    fn patch_paths_must_name_members() {
        for good in [
            "/details/dealValue",
            "/team/-",
            "/team/0/email",
            "/registrations/0/solutionDetails/0/marketplaceTransactionDetails/isMarketplaceTransacted",
            "/tags/-",
            "/trackingInfo/microsoftMsxId",
        ] {
            assert_eq!(REFERRAL.unknown_segment(&segments(good)), None, "{good}");
        }
        for (bad, segment) in [
            ("/details/dealValu", "dealValu"),
            ("/consent/consentToShareInfo", "consentToShareInfo"),
            ("/team/first/email", "first"),
            ("/name/first", "first"),
            ("/colour", "colour"),
        ] {
            assert_eq!(
                REFERRAL.unknown_segment(&segments(bad)),
                Some(segment),
                "{bad}"
            );
        }
    }
}
