//! Describe, limits and versions (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm>).

use reqwest::Method;
use serde::Deserialize;

use super::transport::Call;
use super::{validate_object, SalesforceClient};
use crate::error::Error;
use crate::types::{ApiVersion, DescribeGlobal, Limits, SObjectDescribe};

const ROUTE_GLOBAL: &str = "/sobjects";
const ROUTE_DESCRIBE: &str = "/sobjects/{object}/describe";
const ROUTE_LIMITS: &str = "/limits";
const ROUTE_VERSIONS: &str = "/services/data";
const ROUTE_PICKLIST_VALUES: &str =
    "/ui-api/object-info/{object}/picklist-values/{recordTypeId}/{field}";

/// The User Interface API's picklist values of one field for one record type.
#[derive(Debug, Deserialize)]
struct PicklistValues {
    values: Vec<PicklistValue>,
}

#[derive(Debug, Deserialize)]
struct PicklistValue {
    value: String,
}

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

    /// The values of a picklist that a record type allows (for
    /// `Opportunity.StageName`: the stages of the record type's sales
    /// process), from the User Interface API
    /// (https://developer.salesforce.com/docs/atlas.en-us.uiapi.meta/uiapi/ui_api_resources_picklist_values.htm).
    pub async fn picklist_values(
        &self,
        object: &str,
        record_type_id: &str,
        field: &str,
    ) -> Result<Vec<String>, Error> {
        validate_object(object)?;
        validate_object(field)?;
        if !record_type_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::InvalidInput(format!(
                "not a record type id: {record_type_id:?}"
            )));
        }
        let call = Call::new(
            Method::GET,
            self.api_path(&format!(
                "ui-api/object-info/{object}/picklist-values/{record_type_id}/{field}"
            )),
            ROUTE_PICKLIST_VALUES,
        );
        let values: PicklistValues = self.execute(call).await?.json(ROUTE_PICKLIST_VALUES)?;
        Ok(values.values.into_iter().map(|v| v.value).collect())
    }

    /// API versions the instance serves (unauthenticated and free of limits).
    pub async fn versions(&self) -> Result<Vec<ApiVersion>, Error> {
        let mut call = Call::new(Method::GET, "/services/data/".to_owned(), ROUTE_VERSIONS);
        call.authenticated = false;
        self.execute(call).await?.json(ROUTE_VERSIONS)
    }
}
