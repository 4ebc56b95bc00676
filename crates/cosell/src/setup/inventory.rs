//! What the org already has of the plan, read through the Tooling API
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>: query first so setup is idempotent).

use std::collections::HashSet;

use salesforce::{Condition, Record, SalesforceClient, Soql};

use super::plan::{developer_name, OPPORTUNITY};

/// Tooling object of custom fields.
pub const CUSTOM_FIELD: &str = "CustomField";
/// Tooling object of custom objects.
pub const CUSTOM_OBJECT: &str = "CustomObject";

/// The connector's schema as the org has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// `DeveloperName`s (lowercase) of Opportunity's custom fields.
    pub opportunity_fields: HashSet<String>,
    /// The solutions object's Tooling id, when it exists.
    pub solution_object_id: Option<String>,
    /// `DeveloperName`s (lowercase) of the solutions object's custom fields.
    pub solution_fields: HashSet<String>,
}

impl Inventory {
    /// Reads the custom fields of Opportunity and of the solutions object.
    pub async fn read(
        sf: &SalesforceClient,
        solution_object: &str,
    ) -> Result<Inventory, salesforce::Error> {
        let opportunity_fields = custom_fields(sf, OPPORTUNITY).await?;
        let solution_object_id = custom_object_id(sf, solution_object).await?;
        let solution_fields = match &solution_object_id {
            // Fields of a custom object are listed under the object's id
            // (TableEnumOrId holds the id for custom objects, the name for standard ones).
            Some(id) => custom_fields(sf, id).await?,
            None => HashSet::new(),
        };
        Ok(Inventory {
            opportunity_fields,
            solution_object_id,
            solution_fields,
        })
    }
}

/// Whether a set of developer names holds the field's API name.
pub fn has_field(fields: &HashSet<String>, api_name: &str) -> bool {
    fields.contains(&developer_name(api_name).1.to_ascii_lowercase())
}

/// `DeveloperName`s (lowercase) of the custom fields on `table` (an object
/// name for standard objects, the object's id for custom ones).
async fn custom_fields(
    sf: &SalesforceClient,
    table: &str,
) -> Result<HashSet<String>, salesforce::Error> {
    let soql = Soql::select(["Id", "DeveloperName", "TableEnumOrId"])
        .from(CUSTOM_FIELD)
        .where_(Condition::eq("TableEnumOrId", table));
    Ok(tooling_records(sf, &soql)
        .await?
        .iter()
        .filter_map(|r| r.str("DeveloperName"))
        .map(str::to_ascii_lowercase)
        .collect())
}

/// The Tooling id of a custom object, by its API name.
async fn custom_object_id(
    sf: &SalesforceClient,
    api_name: &str,
) -> Result<Option<String>, salesforce::Error> {
    let soql = Soql::select(["Id", "DeveloperName"])
        .from(CUSTOM_OBJECT)
        .where_(Condition::eq("DeveloperName", developer_name(api_name).1));
    Ok(tooling_records(sf, &soql)
        .await?
        .iter()
        .find_map(|r| r.id().map(str::to_owned)))
}

/// Every record of a Tooling query, across pages.
async fn tooling_records(
    sf: &SalesforceClient,
    soql: &Soql,
) -> Result<Vec<Record>, salesforce::Error> {
    let mut page = sf.tooling_query(soql).await?;
    let mut records = std::mem::take(&mut page.records);
    let mut seen = HashSet::new();
    while let (false, Some(next)) = (page.done, page.next_records_url.take()) {
        if !seen.insert(next.clone()) {
            return Err(salesforce::Error::UnexpectedResponse {
                route: "/tooling/query",
                reason: "nextRecordsUrl repeated; paging would loop".into(),
            });
        }
        page = sf.query_more(&next).await?;
        records.append(&mut page.records);
    }
    Ok(records)
}
