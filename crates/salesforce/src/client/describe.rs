//! Describe, limits and versions (reference §0, §2.12, §2.13).

use reqwest::Method;

use super::transport::Call;
use super::{validate_object, SalesforceClient};
use crate::error::Error;
use crate::types::{ApiVersion, DescribeGlobal, Limits, SObjectDescribe};

const ROUTE_GLOBAL: &str = "/sobjects";
const ROUTE_DESCRIBE: &str = "/sobjects/{object}/describe";
const ROUTE_LIMITS: &str = "/limits";
const ROUTE_VERSIONS: &str = "/services/data";

impl SalesforceClient {
    /// Lists the org's objects.
    pub async fn describe_global(&self) -> Result<DescribeGlobal, Error> {
        let call = Call::new(Method::GET, self.api_path("sobjects/"), ROUTE_GLOBAL);
        self.execute(call).await?.json(ROUTE_GLOBAL)
    }

    /// Fields and metadata of one object.
    pub async fn describe(&self, object: &str) -> Result<SObjectDescribe, Error> {
        validate_object(object)?;
        let call = Call::new(
            Method::GET,
            self.api_path(&format!("sobjects/{object}/describe")),
            ROUTE_DESCRIBE,
        );
        self.execute(call).await?.json(ROUTE_DESCRIBE)
    }

    /// The org's limits (costs one API call; prefer [`api_usage`](Self::api_usage)).
    pub async fn limits(&self) -> Result<Limits, Error> {
        let call = Call::new(Method::GET, self.api_path("limits"), ROUTE_LIMITS);
        self.execute(call).await?.json(ROUTE_LIMITS)
    }

    /// API versions the instance serves (unauthenticated and free of limits).
    pub async fn versions(&self) -> Result<Vec<ApiVersion>, Error> {
        let mut call = Call::new(Method::GET, "/services/data/".to_owned(), ROUTE_VERSIONS);
        call.authenticated = false;
        self.execute(call).await?.json(ROUTE_VERSIONS)
    }
}
