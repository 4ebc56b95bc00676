//! Tooling API bodies for the plan: `{"FullName": …, "Metadata": {…}}` where
//! `Metadata` is the Metadata API `CustomField` / `CustomObject` type in JSON
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customobject.htm>). The SFDX project's XML files carry
//! the same elements.

use serde_json::{json, Map, Value};

use super::plan::{FieldType, ObjectSpec, PicklistValues, PlannedField, MANAGED_BY};

/// Deployment status of a usable custom object.
const DEPLOYED: &str = "Deployed";
/// Sharing model the object is created with. Adding the master-detail field
/// then makes Salesforce control its sharing by the parent opportunity
/// (`ControlledByParent`, as the SFDX object file declares), which a detail
/// object must have; an object cannot be created `ControlledByParent` before
/// its master-detail field exists.
const INITIAL_SHARING_MODEL: &str = "ReadWrite";
/// Type of the object's Name field.
const NAME_FIELD_TYPE: &str = "Text";

/// The Tooling `CustomField` body for a planned field.
pub fn custom_field(field: &PlannedField) -> Value {
    let spec = &field.spec;
    let mut metadata = Map::new();
    metadata.insert("label".into(), json!(spec.label));
    metadata.insert("description".into(), json!(MANAGED_BY));
    metadata.insert("inlineHelpText".into(), json!(spec.help));
    metadata.insert("type".into(), json!(spec.field_type.metadata_name()));
    match spec.field_type {
        FieldType::Checkbox { default } => {
            // The Metadata API takes a checkbox default as the text "true"/"false".
            metadata.insert("defaultValue".into(), json!(default.to_string()));
        }
        FieldType::Text {
            length,
            external_id,
            unique,
        } => {
            metadata.insert("length".into(), json!(length));
            metadata.insert("externalId".into(), json!(external_id));
            metadata.insert("unique".into(), json!(unique));
            if unique {
                metadata.insert("caseSensitive".into(), json!(false));
            }
            metadata.insert("required".into(), json!(false));
        }
        FieldType::Url => {
            metadata.insert("required".into(), json!(false));
        }
        FieldType::Picklist { values } => {
            metadata.insert("required".into(), json!(false));
            metadata.insert("valueSet".into(), value_set(values));
        }
        FieldType::MultiPicklist {
            values,
            visible_lines,
        } => {
            metadata.insert("required".into(), json!(false));
            metadata.insert("visibleLines".into(), json!(visible_lines));
            metadata.insert("valueSet".into(), value_set(values));
        }
        FieldType::Currency { precision, scale } => {
            metadata.insert("precision".into(), json!(precision));
            metadata.insert("scale".into(), json!(scale));
            metadata.insert("required".into(), json!(false));
        }
        FieldType::LongTextArea {
            length,
            visible_lines,
        } => {
            metadata.insert("length".into(), json!(length));
            metadata.insert("visibleLines".into(), json!(visible_lines));
        }
        FieldType::MasterDetail {
            reference_to,
            relationship_name,
            relationship_label,
        } => {
            metadata.insert("referenceTo".into(), json!(reference_to));
            metadata.insert("relationshipName".into(), json!(relationship_name));
            metadata.insert("relationshipLabel".into(), json!(relationship_label));
            metadata.insert("relationshipOrder".into(), json!(0));
            metadata.insert("reparentableMasterDetail".into(), json!(false));
            metadata.insert("writeRequiresMasterRead".into(), json!(false));
        }
    }
    json!({"FullName": field.full_name(), "Metadata": metadata})
}

/// A restricted picklist's `valueSet`: the values in order, labels equal
/// to API names, the default (if any) flagged.
fn value_set(values: PicklistValues) -> Value {
    let default = values.default_value();
    let values: Vec<Value> = values
        .labels()
        .into_iter()
        .map(|v| json!({"fullName": v, "label": v, "default": Some(v) == default}))
        .collect();
    json!({
        "restricted": true,
        "valueSetDefinition": {"sorted": false, "value": values}
    })
}

/// The Tooling `CustomObject` body for the solutions object.
pub fn custom_object(spec: &ObjectSpec, api_name: &str) -> Value {
    json!({
        "FullName": api_name,
        "Metadata": {
            "label": spec.label,
            "pluralLabel": spec.plural_label,
            "description": MANAGED_BY,
            "nameField": {"type": NAME_FIELD_TYPE, "label": spec.name_field_label},
            "deploymentStatus": DEPLOYED,
            "sharingModel": INITIAL_SHARING_MODEL,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::plan::{Plan, SOLUTION_OBJECT};
    use super::*;
    use sync::settings::FieldNames;

    #[test]
    fn fields_carry_their_type_settings() {
        let plan = Plan::new(&FieldNames::default(), None);
        let body = |name: &str| {
            let field = plan.fields.iter().find(|f| f.api_name == name).unwrap();
            custom_field(field)
        };
        let referral = body("Referral_Identifier__c");
        assert_eq!(referral["FullName"], "Opportunity.Referral_Identifier__c");
        assert_eq!(referral["Metadata"]["type"], "Text");
        assert_eq!(referral["Metadata"]["length"], 100);
        assert_eq!(referral["Metadata"]["externalId"], true);
        assert_eq!(referral["Metadata"]["unique"], true);

        let sync = body("Sync_with_Partner_Center__c");
        assert_eq!(sync["Metadata"]["defaultValue"], "false");

        let help = body("How_can_Microsoft_help__c");
        let values = help["Metadata"]["valueSet"]["valueSetDefinition"]["value"]
            .as_array()
            .unwrap();
        assert_eq!(values.len(), 6);
        assert_eq!(values[2]["fullName"], "Proof of concept or demo");

        let intent = body("Marketplace_Purchase_Intent__c");
        let values = &intent["Metadata"]["valueSet"]["valueSetDefinition"]["value"];
        assert_eq!(values[0]["fullName"], "Yes");
        assert_eq!(values[2]["fullName"], "Have not decided");
        assert_eq!(values[2]["default"], true);
        assert_eq!(values[0]["default"], false);

        let audit = body("Audit__c");
        assert_eq!(audit["Metadata"]["length"], 131_072);
        assert_eq!(audit["Metadata"]["visibleLines"], 10);

        let master = body("Opportunity__c");
        assert_eq!(master["FullName"], "Microsoft_Solution__c.Opportunity__c");
        assert_eq!(master["Metadata"]["type"], "MasterDetail");
        assert_eq!(
            master["Metadata"]["relationshipName"],
            "Microsoft_Solutions"
        );
    }

    #[test]
    fn the_object_has_a_text_name_field() {
        let body = custom_object(&SOLUTION_OBJECT, "Microsoft_Solution__c");
        assert_eq!(body["FullName"], "Microsoft_Solution__c");
        assert_eq!(body["Metadata"]["label"], "Microsoft Solution");
        assert_eq!(body["Metadata"]["nameField"]["type"], "Text");
        assert_eq!(body["Metadata"]["deploymentStatus"], "Deployed");
    }
}
