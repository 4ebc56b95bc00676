//! Field-level security and object permissions, per user, in orgs that
//! enforce them (the enterprise profile, see [`super::profile`]).
//!
//! - A user's access is the union of the permission sets assigned to them
//!   (`PermissionSetAssignment`), the set their profile owns included
//!   (`IsOwnedByProfile`): "Users can have only one profile, but they can
//!   have multiple permission sets"
//!   (https://help.salesforce.com/s/articleView?id=sf.perm_sets_overview.htm).
//! - A custom field is invisible to every user until a `FieldPermissions`
//!   row of one of their sets grants `PermissionsRead` (edit needs
//!   `PermissionsEdit`); fields created through the API get no field-level
//!   security of their own
//!   (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_fieldpermissions.htm).
//!   Required fields and master-detail fields take no field permissions and
//!   are visible to whoever sees the object. Describe and reads leave an
//!   invisible field out; writes and SOQL naming it fail with
//!   `INVALID_FIELD` as for a field that does not exist; a read-only field
//!   is `INVALID_FIELD_FOR_INSERT_UPDATE`
//!   (https://developer.salesforce.com/docs/atlas.en-us.securityImplGuide.meta/securityImplGuide/admin_fls.htm).
//! - A custom object, and each of the standard objects Account, Contact and
//!   Opportunity, is invisible (404 `NOT_FOUND`, SOQL `INVALID_TYPE`) to a
//!   user without `PermissionsRead` in an `ObjectPermissions` row of one of
//!   their sets, and its describe says `createable`, `updateable` and
//!   `deletable` as the rows grant
//!   (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_objectpermissions.htm).
//!   Opportunity contact roles and team members follow their opportunity:
//!   reading them takes Read on Opportunity, changing them Edit. A create,
//!   edit or delete the user's object permissions do not allow is refused
//!   with `INSUFFICIENT_ACCESS_OR_READONLY` ("You can't perform the
//!   specified action because you don't have sufficient permissions",
//!   https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm#statuscode;
//!   the message text is the one a real org sends, "insufficient access
//!   rights on object id" [I]). The other standard objects stay as the
//!   profile has them: fully usable.
//! - Salesforce refuses permission rows it cannot hold, in every org: a
//!   `FieldPermissions.Field` that names no field taking field permissions
//!   (a required field, say) is not a value of that restricted picklist; a
//!   row without `PermissionsRead` is refused on create and deleted when an
//!   edit clears it ("must have at minimum PermissionsRead set to true, or
//!   it will be deleted"); a permission that depends on others needs them
//!   (`PermissionsEdit` requires `PermissionsRead`, object Create, Edit and
//!   View All need Read, Delete needs Edit, Modify All needs all).

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Map, Value};

use super::errors::ErrorItem;
use super::org::{Org, RecordErrors};
use super::schema::{FieldDef, FieldType, ObjectDef};

/// Field-level security rows.
pub const FIELD_PERMISSIONS: &str = "FieldPermissions";
/// Object permission rows.
pub const OBJECT_PERMISSIONS: &str = "ObjectPermissions";

/// Each object permission and the ones it depends on.
const OBJECT_RIGHTS: &[(&str, &[&str])] = &[
    ("PermissionsRead", &[]),
    ("PermissionsCreate", &["PermissionsRead"]),
    ("PermissionsEdit", &["PermissionsRead"]),
    ("PermissionsDelete", &["PermissionsRead", "PermissionsEdit"]),
    ("PermissionsViewAllRecords", &["PermissionsRead"]),
    (
        "PermissionsModifyAllRecords",
        &[
            "PermissionsRead",
            "PermissionsEdit",
            "PermissionsDelete",
            "PermissionsViewAllRecords",
        ],
    ),
];
/// Each field permission and the ones it depends on.
const FIELD_RIGHTS: &[(&str, &[&str])] = &[
    ("PermissionsRead", &[]),
    ("PermissionsEdit", &["PermissionsRead"]),
];

/// What a user may do with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAccess {
    /// Not visible at all.
    Hidden,
    /// Visible, not editable.
    Read,
    /// Visible and editable.
    Edit,
}

/// True when field permissions can be granted on the field: neither
/// required (checkboxes never are) nor master-detail nor the record ID.
pub fn takes_field_permissions(field: &FieldDef) -> bool {
    field.name != "Id"
        && !field.master_detail
        && (field.nillable || field.ftype == FieldType::Boolean)
}

/// True when the field is hidden until granted: a custom field taking
/// field permissions (standard fields stay as the profile has them).
fn secured(field: &FieldDef) -> bool {
    field.custom && takes_field_permissions(field)
}

impl Org {
    /// The permission sets assigned to `user`, its profile's included.
    fn sets_of(&self, user: &str) -> HashSet<String> {
        self.live_rows("PermissionSetAssignment")
            .filter(|r| r.get("AssigneeId").and_then(Value::as_str) == Some(user))
            .filter_map(|r| r.get("PermissionSetId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }

    /// The rows of `object` not in the recycle bin.
    fn live_rows<'a>(
        &'a self,
        object: &'a str,
    ) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
        self.rows(object)
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
    }

    /// The user the current call acts as, when the org enforces security.
    fn secured_caller(&self) -> Option<&str> {
        self.call.user.as_deref().filter(|_| self.field_security)
    }

    /// The rows of `object` (a permission object) in the caller's sets
    /// whose `key` is `value` (case-insensitively).
    fn granted_rows<'a>(
        &'a self,
        sets: &'a HashSet<String>,
        object: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
        self.live_rows(object)
            .filter(move |r| {
                r.get("ParentId")
                    .and_then(Value::as_str)
                    .is_some_and(|p| sets.contains(p))
            })
            .filter(move |r| {
                r.get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
    }

    /// What the current caller may do with `field` of `object`.
    pub fn field_access(&self, object: &ObjectDef, field: &FieldDef) -> FieldAccess {
        let edit = if field.createable || field.updateable {
            FieldAccess::Edit
        } else {
            FieldAccess::Read
        };
        let Some(user) = self.secured_caller() else {
            return edit;
        };
        if !secured(field) {
            return edit;
        }
        let sets = self.sets_of(user);
        let full = format!("{}.{}", object.name, field.name);
        let flag = |name: &str| {
            self.granted_rows(&sets, FIELD_PERMISSIONS, "Field", &full)
                .any(|r| r.get(name) == Some(&Value::Bool(true)))
        };
        if flag("PermissionsEdit") {
            edit
        } else if flag("PermissionsRead") {
            FieldAccess::Read
        } else {
            FieldAccess::Hidden
        }
    }

    /// True when the current caller holds `right` on `object` (on the
    /// object that governs it).
    fn object_right(&self, object: &ObjectDef, right: &str) -> bool {
        let Some(user) = self.secured_caller() else {
            return true;
        };
        let Some((governing, right)) = governed_by(object, right) else {
            return true;
        };
        let sets = self.sets_of(user);
        let granted = self
            .granted_rows(&sets, OBJECT_PERMISSIONS, "SobjectType", governing)
            .any(|r| r.get(right) == Some(&Value::Bool(true)));
        granted
    }

    /// Refuses a create (`PermissionsCreate`), edit (`PermissionsEdit`) or
    /// delete (`PermissionsDelete`) the caller's object permissions do not
    /// allow.
    pub(super) fn check_object_right(
        &self,
        object: &ObjectDef,
        right: &str,
    ) -> Result<(), ErrorItem> {
        if self.object_right(object, right) {
            return Ok(());
        }
        Err(ErrorItem::with_fields(
            "INSUFFICIENT_ACCESS_OR_READONLY",
            "insufficient access rights on object id",
            Vec::new(),
        ))
    }

    /// The object as the current caller sees it: None when they may not
    /// read it; fields they may not see left out, fields they may only read
    /// neither createable nor updateable, and the object's own flags as
    /// their object permissions say.
    pub fn object_for_caller(&self, name: &str) -> Option<Cow<'_, ObjectDef>> {
        let def = self.object(name)?;
        if self.secured_caller().is_none() {
            return Some(Cow::Borrowed(def));
        }
        if !self.object_right(def, "PermissionsRead") {
            return None;
        }
        let mut view = def.clone();
        view.createable &= self.object_right(def, "PermissionsCreate");
        view.updateable &= self.object_right(def, "PermissionsEdit");
        view.deletable &= self.object_right(def, "PermissionsDelete");
        view.fields = def
            .fields
            .iter()
            .filter_map(|f| match self.field_access(def, f) {
                FieldAccess::Hidden => None,
                FieldAccess::Read => {
                    let mut f = f.clone();
                    f.createable = false;
                    f.updateable = false;
                    Some(f)
                }
                FieldAccess::Edit => Some(f.clone()),
            })
            .collect();
        Some(Cow::Owned(view))
    }

    /// Refuses a permission row Salesforce cannot hold (`row` as it would
    /// be saved).
    pub(super) fn check_permission_row(
        &self,
        def: &ObjectDef,
        row: &Map<String, Value>,
    ) -> Result<(), RecordErrors> {
        let rights = match def.name.as_str() {
            FIELD_PERMISSIONS => FIELD_RIGHTS,
            OBJECT_PERMISSIONS => OBJECT_RIGHTS,
            _ => return Ok(()),
        };
        if def.name == FIELD_PERMISSIONS {
            let named = row.get("Field").and_then(Value::as_str).unwrap_or("");
            if !self.permissionable_field(named) {
                return Err(vec![ErrorItem::with_fields(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    format!("Field Name: bad value for restricted picklist field: {named}"),
                    vec!["Field".into()],
                )]);
            }
        }
        let granted = |name: &str| row.get(name) == Some(&Value::Bool(true));
        if !granted("PermissionsRead") {
            return Err(vec![ErrorItem::with_fields(
                "FIELD_INTEGRITY_EXCEPTION",
                format!(
                    "A {} record must have at minimum PermissionsRead set to true.",
                    def.name
                ),
                vec!["PermissionsRead".into()],
            )]);
        }
        for (right, needs) in rights {
            let missing: Vec<&str> = needs.iter().copied().filter(|n| !granted(n)).collect();
            if granted(right) && !missing.is_empty() {
                return Err(vec![ErrorItem::with_fields(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Permission {} depends on permission(s): {}",
                        label(right),
                        missing
                            .iter()
                            .map(|m| label(m))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    vec![(*right).into()],
                )]);
            }
        }
        Ok(())
    }

    /// True when an edit leaves a permission row granting nothing (it is
    /// deleted instead of saved).
    pub(super) fn permission_row_emptied(&self, def: &ObjectDef, row: &Map<String, Value>) -> bool {
        matches!(def.name.as_str(), FIELD_PERMISSIONS | OBJECT_PERMISSIONS)
            && row.get("PermissionsRead") != Some(&Value::Bool(true))
    }

    /// True when `Object.Field` names a field that takes field permissions.
    fn permissionable_field(&self, full_name: &str) -> bool {
        let Some((object, field)) = full_name.split_once('.') else {
            return false;
        };
        self.object(object)
            .and_then(|o| o.field(field))
            .is_some_and(takes_field_permissions)
    }
}

/// Standard objects whose access object permissions grant.
const SECURED_STANDARD: &[&str] = &["Account", "Contact", "Opportunity"];
/// Standard objects whose access follows their opportunity's.
const OPPORTUNITY_CHILDREN: &[&str] = &["OpportunityContactRole", "OpportunityTeamMember"];

/// The object whose permissions govern `right` on `object`, and the right
/// needed there; None when object permissions do not apply.
fn governed_by<'a>(object: &'a ObjectDef, right: &'a str) -> Option<(&'a str, &'a str)> {
    if object.custom || SECURED_STANDARD.contains(&object.name.as_str()) {
        return Some((object.name.as_str(), right));
    }
    if OPPORTUNITY_CHILDREN.contains(&object.name.as_str()) {
        let needed = if right == "PermissionsRead" {
            "PermissionsRead"
        } else {
            "PermissionsEdit"
        };
        return Some(("Opportunity", needed));
    }
    None
}

/// A permission's name as Salesforce's messages show it (`Edit`, `Read`).
fn label(right: &str) -> &str {
    right.strip_prefix("Permissions").unwrap_or(right)
}
