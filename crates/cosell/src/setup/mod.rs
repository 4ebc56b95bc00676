//! The work of `cosell setup salesforce`: installs the connector's schema in a Salesforce
//! org through the Tooling API
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>) — the custom
//! fields on Opportunity, the `Microsoft_Solution__c` object and its fields,
//! the `Cosell_Connector` permission set with its field and object
//! permissions, assigned to the integration user — and checks the org
//! prerequisites it cannot install.
//!
//! It reads what exists first and creates only what is missing, so running it
//! twice changes nothing the second time; `--dry-run` only reports.

pub mod inventory;
pub mod metadata;
mod permissions;
pub mod plan;
pub mod prerequisites;
pub mod report;

use anyhow::{Context, Result};
use salesforce::SalesforceClient;

use crate::config::Config;
use inventory::{has_field, Inventory, CUSTOM_FIELD, CUSTOM_OBJECT};
use plan::{developer_name, Parent, Plan, PlannedField, SOLUTION_OBJECT};
pub use report::{Line, Report, Status};

/// Installs (or, with `dry_run`, plans) the connector's schema and checks the
/// org's prerequisites.
pub async fn salesforce(sf: &SalesforceClient, config: &Config, dry_run: bool) -> Result<Report> {
    let plan = Plan::for_config(config);
    let mut installer = Installer {
        sf,
        dry_run,
        username: config.salesforce.username(),
        report: Report::default(),
    };
    installer.ensure_schema(&plan).await?;
    installer.ensure_permissions(&plan).await?;
    prerequisites::check(sf, &config.sync, &mut installer.report).await?;
    Ok(installer.report)
}

/// Carries out the plan, one report line per item.
struct Installer<'a> {
    sf: &'a SalesforceClient,
    dry_run: bool,
    username: Option<&'a str>,
    report: Report,
}

impl Installer<'_> {
    /// Fields on Opportunity, then the object, then its fields.
    async fn ensure_schema(&mut self, plan: &Plan) -> Result<()> {
        let inventory = Inventory::read(self.sf, &plan.solution_object)
            .await
            .context("could not read the org's custom fields and objects (Tooling API)")?;
        for field in plan.fields_of(Parent::Opportunity) {
            let present = has_field(&inventory.opportunity_fields, &field.api_name);
            self.ensure_field(field, present).await?;
        }
        let object_exists = self
            .ensure_object(plan, inventory.solution_object_id.is_some())
            .await?;
        for field in plan.fields_of(Parent::SolutionObject) {
            let present = object_exists && has_field(&inventory.solution_fields, &field.api_name);
            self.ensure_field(field, present).await?;
        }
        Ok(())
    }

    /// The solutions object; returns whether it existed before.
    async fn ensure_object(&mut self, plan: &Plan, present: bool) -> Result<bool> {
        let name = &plan.solution_object;
        let item = format!("object {name}");
        if present {
            self.report.push(Status::Present, item);
        } else if let Some(namespace) = developer_name(name).0 {
            self.report
                .push_detail(Status::Missing, item, foreign(namespace));
        } else if self.dry_run {
            self.report.push(Status::WouldCreate, item);
        } else {
            self.sf
                .tooling_create(
                    CUSTOM_OBJECT,
                    &metadata::custom_object(&SOLUTION_OBJECT, name),
                )
                .await
                .with_context(|| format!("could not create {item}"))?;
            self.report.push(Status::Created, item);
        }
        Ok(present)
    }

    /// One custom field.
    async fn ensure_field(&mut self, field: &PlannedField, present: bool) -> Result<()> {
        let item = format!("field {}", field.full_name());
        if present {
            self.report.push(Status::Present, item);
        } else if let Some(namespace) = developer_name(&field.api_name).0 {
            self.report
                .push_detail(Status::Missing, item, foreign(namespace));
        } else if self.dry_run {
            self.report.push(Status::WouldCreate, item);
        } else {
            self.sf
                .tooling_create(CUSTOM_FIELD, &metadata::custom_field(field))
                .await
                .with_context(|| format!("could not create {item}"))?;
            self.report.push(Status::Created, item);
        }
        Ok(())
    }
}

/// Why setup does not create a name with a namespace prefix.
fn foreign(namespace: &str) -> String {
    format!(
        "the name belongs to the `{namespace}` package, which setup cannot add to: install that package, or change [sync.fields] to names without a prefix"
    )
}
