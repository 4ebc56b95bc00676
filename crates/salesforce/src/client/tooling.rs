//! Tooling API calls used by `cosell setup salesforce` (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>).
//!
//! Permission sets, field permissions and assignments are ordinary sObjects:
//! create them with [`SalesforceClient::create`].

use reqwest::Method;
use serde_json::Value;

use super::query::Resource;
use super::transport::Call;
use super::{validate_object, SalesforceClient};
use crate::error::Error;
use crate::soql::Soql;
use crate::types::{CreateResponse, QueryPage};

const ROUTE_CREATE: &str = "/tooling/sobjects/{object}";

impl SalesforceClient {
    /// First page of a Tooling SOQL query (e.g. `CustomField` by `DeveloperName`);
    /// later pages via [`query_more`](Self::query_more).
    #[tracing::instrument(level = "debug", skip(self, soql), fields(object = soql.object()))]
    pub async fn tooling_query(&self, soql: &Soql) -> Result<QueryPage, Error> {
        self.query_page(soql, Resource::Tooling).await
    }

    /// Creates a Tooling object such as `CustomField` or `CustomObject`
    /// (`{"FullName": …, "Metadata": {…}}`); returns its id.
    #[tracing::instrument(level = "debug", skip(self, body))]
    pub async fn tooling_create(&self, object: &str, body: &Value) -> Result<String, Error> {
        validate_object(object)?;
        let call = Call::new(
            Method::POST,
            self.api_path(&format!("tooling/sobjects/{object}")),
            ROUTE_CREATE,
        )
        .json(body.clone());
        let created: CreateResponse = self.execute(call).await?.json(ROUTE_CREATE)?;
        Ok(created.id)
    }
}
