//! SOQL queries and paging through `nextRecordsUrl` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).

use std::collections::HashSet;

use reqwest::Method;

use super::transport::Call;
use super::SalesforceClient;
use crate::error::Error;
use crate::record::Record;
use crate::soql::{Direction, Soql};
use crate::types::{OpportunityStage, QueryPage, OPPORTUNITY_STAGE_FIELDS};

const ROUTE_QUERY: &str = "/query";
const ROUTE_QUERY_ALL: &str = "/queryAll";
const ROUTE_MORE: &str = "/query/{locator}";
pub(crate) const ROUTE_TOOLING_QUERY: &str = "/tooling/query";

/// Path prefix every `nextRecordsUrl` must have; anything else is refused so
/// the bearer token only ever goes to the instance's REST API.
const DATA_PREFIX: &str = "/services/data/";

/// Which query resource to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Query,
    QueryAll,
    Tooling,
}

impl Resource {
    fn path(self) -> &'static str {
        match self {
            Resource::Query => "query",
            Resource::QueryAll => "queryAll",
            Resource::Tooling => "tooling/query",
        }
    }
    fn route(self) -> &'static str {
        match self {
            Resource::Query => ROUTE_QUERY,
            Resource::QueryAll => ROUTE_QUERY_ALL,
            Resource::Tooling => ROUTE_TOOLING_QUERY,
        }
    }
}

impl SalesforceClient {
    pub(crate) async fn query_page(
        &self,
        soql: &Soql,
        resource: Resource,
    ) -> Result<QueryPage, Error> {
        let q = soql.render()?;
        let mut call = Call::new(
            Method::GET,
            self.api_path(resource.path()),
            resource.route(),
        )
        .query("q", q);
        call.is_query = true;
        self.execute(call).await?.json(resource.route())
    }

    /// First page of a SOQL query.
    #[tracing::instrument(level = "debug", skip(self, soql), fields(object = soql.object()))]
    pub async fn query(&self, soql: &Soql) -> Result<QueryPage, Error> {
        self.query_page(soql, Resource::Query).await
    }

    /// First page of a `queryAll` (includes deleted and archived rows).
    #[tracing::instrument(level = "debug", skip(self, soql), fields(object = soql.object()))]
    pub async fn query_including_deleted(&self, soql: &Soql) -> Result<QueryPage, Error> {
        self.query_page(soql, Resource::QueryAll).await
    }

    /// The page at a `nextRecordsUrl` (from `/query`, `/queryAll` or Tooling).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn query_more(&self, next_records_url: &str) -> Result<QueryPage, Error> {
        let safe = next_records_url.starts_with(DATA_PREFIX)
            && !next_records_url.contains("..")
            && !next_records_url.contains("//")
            && !next_records_url.contains(['?', '#', '\\']);
        if !safe {
            return Err(Error::InvalidInput(format!(
                "nextRecordsUrl {next_records_url:?} is not a {DATA_PREFIX} path"
            )));
        }
        let mut call = Call::new(Method::GET, next_records_url.to_owned(), ROUTE_MORE);
        call.is_query = true;
        self.execute(call).await?.json(ROUTE_MORE)
    }

    /// Follows `nextRecordsUrl` from `first` until `done`, collecting every record.
    pub(crate) async fn drain(&self, first: QueryPage) -> Result<Vec<Record>, Error> {
        let mut records = first.records;
        let mut next = if first.done {
            None
        } else {
            first.next_records_url
        };
        let mut seen = HashSet::new();
        while let Some(url) = next {
            if !seen.insert(url.clone()) {
                return Err(Error::UnexpectedResponse {
                    route: ROUTE_MORE,
                    reason: "nextRecordsUrl repeated; paging would loop".into(),
                });
            }
            let page = self.query_more(&url).await?;
            records.extend(page.records);
            next = if page.done {
                None
            } else {
                page.next_records_url
            };
        }
        Ok(records)
    }

    /// Every record of a query, across all pages.
    #[tracing::instrument(level = "debug", skip(self, soql), fields(object = soql.object()))]
    pub async fn query_all_records(&self, soql: &Soql) -> Result<Vec<Record>, Error> {
        let first = self.query(soql).await?;
        self.drain(first).await
    }

    /// Every record of a `queryAll` (deleted rows included), across all pages.
    #[tracing::instrument(level = "debug", skip(self, soql), fields(object = soql.object()))]
    pub async fn query_all_records_including_deleted(
        &self,
        soql: &Soql,
    ) -> Result<Vec<Record>, Error> {
        let first = self.query_including_deleted(soql).await?;
        self.drain(first).await
    }

    /// The org's opportunity stages in sales-path order (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm>).
    pub async fn opportunity_stages(&self) -> Result<Vec<OpportunityStage>, Error> {
        let soql = Soql::select(OPPORTUNITY_STAGE_FIELDS.iter().copied())
            .from("OpportunityStage")
            .order_by("SortOrder", Direction::Asc);
        self.query_all_records(&soql)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.without_attributes().into()).map_err(|e| {
                    Error::UnexpectedResponse {
                        route: ROUTE_QUERY,
                        reason: format!("OpportunityStage row: {e}"),
                    }
                })
            })
            .collect()
    }
}
