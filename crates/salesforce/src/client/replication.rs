//! The replication resources: which records of an object were deleted in a
//! time window (getDeleted, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>). The only way to learn of rows
//! that skip the Recycle Bin, such as OpportunityTeamMember (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityteammember.htm>).

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;

use super::transport::Call;
use super::{validate_object, SalesforceClient};
use crate::error::Error;
use crate::types::DeletedRecords;

const ROUTE_DELETED: &str = "/sobjects/{object}/deleted";

/// A window bound as the resource wants it: UTC, RFC 3339 with a `+00:00`
/// offset (URL-encoded by the transport, so `+` travels as `%2B`).
fn bound(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl SalesforceClient {
    /// The records of `object` deleted from `start` to `end`
    /// (`GET /sobjects/{object}/deleted/?start=…&end=…`). Salesforce ignores
    /// the seconds (minute granularity), covers at most 15 days back, and
    /// answers `latestDateCovered`: the next window should start there.
    /// A bad window is an API error `INVALID_REPLICATION_DATE`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn deleted(
        &self,
        object: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<DeletedRecords, Error> {
        validate_object(object)?;
        if start >= end {
            return Err(Error::InvalidInput(format!(
                "getDeleted window for {object}: start {start} must precede end {end}"
            )));
        }
        let call = Call::new(
            Method::GET,
            self.api_path(&format!("sobjects/{object}/deleted/")),
            ROUTE_DELETED,
        )
        .query("start", bound(start))
        .query("end", bound(end));
        self.execute(call).await?.json(ROUTE_DELETED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_utc_with_an_explicit_offset() {
        let at = DateTime::parse_from_rfc3339("2025-05-06T07:08:09.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(bound(at), "2025-05-06T07:08:09+00:00");
    }
}
