//! The `Cosell_Connector` permission set: field-level security on every
//! connector field, object permissions on the solutions object, and its
//! assignment to the integration user. Salesforce does not grant field-level
//! security on new fields automatically; without it the integration user
//! cannot see them (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>).

use std::collections::HashMap;

use anyhow::{Context, Result};
use salesforce::{Condition, ErrorCode, Record, Soql};

use super::plan::{
    Plan, PERMISSION_SET_DESCRIPTION, PERMISSION_SET_LABEL, PERMISSION_SET_NAME,
    SOLUTION_OBJECT_PERMISSIONS,
};
use super::report::Status;
use super::Installer;

/// sObject of permission sets.
const PERMISSION_SET: &str = "PermissionSet";
/// sObject of field-level security rows.
const FIELD_PERMISSIONS: &str = "FieldPermissions";
/// sObject of object permission rows.
const OBJECT_PERMISSIONS: &str = "ObjectPermissions";
/// sObject of permission set assignments.
const ASSIGNMENT: &str = "PermissionSetAssignment";
/// Field-level security the connector needs on each of its fields.
const FIELD_RIGHTS: &[&str] = &["PermissionsRead", "PermissionsEdit"];

/// An existing permission row and the rights it lacks.
struct Row {
    id: String,
    lacking: Vec<&'static str>,
}

impl Row {
    fn from_record(record: &Record, rights: &[&'static str]) -> Option<Row> {
        Some(Row {
            id: record.id()?.to_owned(),
            lacking: rights
                .iter()
                .copied()
                .filter(|r| record.bool(r) != Some(true))
                .collect(),
        })
    }
}

impl Installer<'_> {
    /// Ensures the permission set, its rows and its assignment.
    pub(super) async fn ensure_permissions(&mut self, plan: &Plan) -> Result<()> {
        let set_id = self.ensure_permission_set().await?;
        let set_id = set_id.as_deref();
        self.ensure_object_permissions(plan, set_id).await?;
        let mut fields: HashMap<String, Row> = match set_id {
            Some(id) => self
                .query(
                    Soql::select(["Id", "Field", "PermissionsRead", "PermissionsEdit"])
                        .from(FIELD_PERMISSIONS)
                        .where_(Condition::eq("ParentId", id)),
                )
                .await
                .context("could not read the permission set's field permissions")?
                .iter()
                .filter_map(|r| {
                    let field = r.str("Field")?.to_ascii_lowercase();
                    Some((field, Row::from_record(r, FIELD_RIGHTS)?))
                })
                .collect(),
            None => HashMap::new(),
        };
        for field in plan
            .fields
            .iter()
            .filter(|f| f.spec.field_type.takes_field_permissions())
        {
            let full_name = field.full_name();
            let existing = fields.remove(&full_name.to_ascii_lowercase());
            self.ensure_row(
                &format!("field permissions {full_name}"),
                FIELD_PERMISSIONS,
                existing,
                set_id,
                &[
                    ("SobjectType", field.object.as_str()),
                    ("Field", &full_name),
                ],
                FIELD_RIGHTS,
            )
            .await?;
        }
        self.ensure_assignment(set_id).await
    }

    /// Read, create, edit and delete on the solutions object.
    async fn ensure_object_permissions(&mut self, plan: &Plan, set_id: Option<&str>) -> Result<()> {
        let item = format!("object permissions {}", plan.solution_object);
        let existing = match set_id {
            Some(id) => {
                let soql = Soql::select([
                    "Id",
                    "SobjectType",
                    "PermissionsRead",
                    "PermissionsCreate",
                    "PermissionsEdit",
                    "PermissionsDelete",
                ])
                .from(OBJECT_PERMISSIONS)
                .where_(
                    Condition::eq("ParentId", id)
                        .and(Condition::eq("SobjectType", plan.solution_object.as_str())),
                );
                match self.query(soql).await {
                    Ok(rows) => rows
                        .first()
                        .and_then(|r| Row::from_record(r, SOLUTION_OBJECT_PERMISSIONS)),
                    // An org whose API does not expose ObjectPermissions:
                    // report what the admin must grant instead of stopping.
                    Err(e) if matches!(e.code(), Some(ErrorCode::InvalidType)) => {
                        self.report.push_detail(
                            Status::Warning,
                            item,
                            format!(
                                "this org's API does not offer ObjectPermissions; grant Read, Create, Edit and Delete on it in the {PERMISSION_SET_NAME} permission set in Setup"
                            ),
                        );
                        return Ok(());
                    }
                    Err(e) => {
                        return Err(e)
                            .context("could not read the permission set's object permissions")
                    }
                }
            }
            None => None,
        };
        self.ensure_row(
            &item,
            OBJECT_PERMISSIONS,
            existing,
            set_id,
            &[("SobjectType", plan.solution_object.as_str())],
            SOLUTION_OBJECT_PERMISSIONS,
        )
        .await
    }

    /// The permission set's id; None only in a dry run that would create it.
    async fn ensure_permission_set(&mut self) -> Result<Option<String>> {
        let item = format!("permission set {PERMISSION_SET_NAME}");
        let found = self
            .query(
                Soql::select(["Id", "Name"])
                    .from(PERMISSION_SET)
                    .where_(Condition::eq("Name", PERMISSION_SET_NAME)),
            )
            .await
            .context("could not read permission sets")?;
        if let Some(id) = found.first().and_then(Record::id) {
            self.report.push(Status::Present, item);
            return Ok(Some(id.to_owned()));
        }
        if self.dry_run {
            self.report.push(Status::WouldCreate, item);
            return Ok(None);
        }
        let record = Record::new()
            .with("Name", PERMISSION_SET_NAME)
            .with("Label", PERMISSION_SET_LABEL)
            .with("Description", PERMISSION_SET_DESCRIPTION);
        let id = self
            .sf
            .create(PERMISSION_SET, &record)
            .await
            .with_context(|| format!("could not create {item}"))?;
        self.report.push(Status::Created, item);
        Ok(Some(id))
    }

    /// Creates a permission row, or widens an existing one that lacks rights.
    async fn ensure_row(
        &mut self,
        item: &str,
        object: &str,
        existing: Option<Row>,
        set_id: Option<&str>,
        keys: &[(&str, &str)],
        rights: &[&'static str],
    ) -> Result<()> {
        match (existing, set_id) {
            (Some(row), _) if row.lacking.is_empty() => self.report.push(Status::Present, item),
            (Some(row), _) => {
                let lacking = row.lacking.join(", ");
                if self.dry_run {
                    self.report
                        .push_detail(Status::WouldUpdate, item, format!("grant {lacking}"));
                } else {
                    let mut record = Record::new();
                    for right in &row.lacking {
                        record.set(right, true);
                    }
                    self.sf
                        .update(object, &row.id, &record)
                        .await
                        .with_context(|| format!("could not update {item}"))?;
                    self.report
                        .push_detail(Status::Updated, item, format!("granted {lacking}"));
                }
            }
            (None, Some(set_id)) if !self.dry_run => {
                let mut record = Record::new().with("ParentId", set_id);
                for (key, value) in keys {
                    record.set(key, *value);
                }
                for right in rights {
                    record.set(right, true);
                }
                self.sf
                    .create(object, &record)
                    .await
                    .with_context(|| format!("could not create {item}"))?;
                self.report.push(Status::Created, item);
            }
            (None, _) => self.report.push(Status::WouldCreate, item),
        }
        Ok(())
    }

    /// Assigns the permission set to the integration user.
    async fn ensure_assignment(&mut self, set_id: Option<&str>) -> Result<()> {
        let Some(user_id) = self.integration_user().await? else {
            self.report.push_detail(
                Status::Missing,
                "permission set assignment",
                "cannot tell which user cosell signs in as; assign the Cosell_Connector permission set to it in Setup",
            );
            return Ok(());
        };
        let item = format!("permission set assignment to user {user_id}");
        let assigned = match set_id {
            Some(set_id) => !self
                .query(
                    Soql::select(["Id"]).from(ASSIGNMENT).where_(
                        Condition::eq("PermissionSetId", set_id)
                            .and(Condition::eq("AssigneeId", user_id.as_str())),
                    ),
                )
                .await
                .context("could not read permission set assignments")?
                .is_empty(),
            None => false,
        };
        match (assigned, set_id) {
            (true, _) => self.report.push(Status::Present, item),
            (false, Some(set_id)) if !self.dry_run => {
                let record = Record::new()
                    .with("PermissionSetId", set_id)
                    .with("AssigneeId", user_id.as_str());
                self.sf
                    .create(ASSIGNMENT, &record)
                    .await
                    .with_context(|| format!("could not create {item}"))?;
                self.report.push(Status::Created, item);
            }
            (false, _) => self.report.push(Status::WouldCreate, item),
        }
        Ok(())
    }

    /// The id of the user the token belongs to: from the token's identity
    /// URL (`…/id/<orgId>/<userId>`), else by the configured username.
    async fn integration_user(&self) -> Result<Option<String>> {
        let token = self
            .sf
            .access_token()
            .await
            .context("could not sign in to Salesforce")?;
        if let Some(id) = token.user_id().filter(|id| id.starts_with(USER_PREFIX)) {
            return Ok(Some(id.to_owned()));
        }
        let Some(username) = self.username else {
            return Ok(None);
        };
        let users = self
            .query(
                Soql::select(["Id"])
                    .from("User")
                    .where_(Condition::eq("Username", username)),
            )
            .await
            .context("could not look up the integration user")?;
        Ok(users.first().and_then(Record::id).map(str::to_owned))
    }

    /// Every record of a REST query.
    async fn query(&self, soql: Soql) -> Result<Vec<Record>, salesforce::Error> {
        self.sf.query_all_records(&soql).await
    }
}

/// Key prefix of User ids (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>).
const USER_PREFIX: &str = "005";
