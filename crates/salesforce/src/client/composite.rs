//! `POST /composite`: up to 25 dependent subrequests in one API call (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>).
//!
//! `@{ref.field}` references are left for the server to resolve.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::transport::Call;
use super::SalesforceClient;
use crate::error::Error;
use crate::types::{CompositeRequest, SubResponse};

/// Most subrequests one composite call may carry.
pub const MAX_SUBREQUESTS: usize = 25;

const ROUTE: &str = "/composite";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompositeResponse {
    composite_response: Vec<SubResponse>,
}

/// `referenceId`: letters, digits and `_`, starting with a letter or digit.
fn valid_reference_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn validate(request: &CompositeRequest) -> Result<(), Error> {
    let n = request.subrequests.len();
    if n == 0 {
        return Err(Error::InvalidInput(
            "composite request has no subrequests".into(),
        ));
    }
    if n > MAX_SUBREQUESTS {
        return Err(Error::InvalidInput(format!(
            "composite request has {n} subrequests; at most {MAX_SUBREQUESTS} are allowed"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for sub in &request.subrequests {
        if !valid_reference_id(&sub.reference_id) {
            return Err(Error::InvalidInput(format!(
                "invalid composite referenceId {:?}",
                sub.reference_id
            )));
        }
        if !seen.insert(sub.reference_id.as_str()) {
            return Err(Error::InvalidInput(format!(
                "duplicate composite referenceId {:?}",
                sub.reference_id
            )));
        }
        if !sub.url.starts_with("/services/data/v") {
            return Err(Error::InvalidInput(format!(
                "subrequest {:?} url must start with /services/data/vXX.X/",
                sub.reference_id
            )));
        }
    }
    Ok(())
}

impl SalesforceClient {
    /// Runs a composite request; one result per subrequest, in the server's order.
    #[tracing::instrument(level = "debug", skip(self, request), fields(count = request.subrequests.len(), all_or_none = request.all_or_none))]
    pub async fn composite(&self, request: &CompositeRequest) -> Result<Vec<SubResponse>, Error> {
        validate(request)?;
        let mut body = json!({
            "allOrNone": request.all_or_none,
            "compositeRequest": request.subrequests,
        });
        if let (Some(collate), Value::Object(m)) = (request.collate_subrequests, &mut body) {
            m.insert("collateSubrequests".into(), Value::Bool(collate));
        }
        let call = Call::new(Method::POST, self.api_path("composite"), ROUTE).json(body);
        let response: CompositeResponse = self.execute(call).await?.json(ROUTE)?;
        Ok(response.composite_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Subrequest, SubrequestMethod};

    fn sub(r: &str) -> Subrequest {
        Subrequest::new(SubrequestMethod::Get, "/services/data/v62.0/limits", r)
    }

    #[test]
    fn validation() {
        let ok = CompositeRequest::new(true).push(sub("a1")).push(sub("B_2"));
        assert!(validate(&ok).is_ok());
        assert!(validate(&CompositeRequest::new(true)).is_err());
        let mut many = CompositeRequest::new(false);
        for i in 0..=MAX_SUBREQUESTS {
            many = many.push(sub(&format!("r{i}")));
        }
        assert!(validate(&many).is_err());
        assert!(validate(&CompositeRequest::new(true).push(sub("_x"))).is_err());
        assert!(validate(&CompositeRequest::new(true).push(sub("a")).push(sub("a"))).is_err());
        let bad_url = Subrequest::new(SubrequestMethod::Get, "https://evil.example/x", "a");
        assert!(validate(&CompositeRequest::new(true).push(bad_url)).is_err());
    }
}
