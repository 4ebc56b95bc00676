//! The SFDX project in `salesforce/` declares exactly what `cosell setup
//! salesforce` creates: its XML files are parsed and compared, element by
//! element, with the Tooling bodies built from `setup::plan`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cosell::setup::metadata;
use cosell::setup::plan::{
    Parent, Plan, AWS_FIELDS, CONNECTOR_FIELDS, PERMISSION_SET_DESCRIPTION, PERMISSION_SET_LABEL,
    PERMISSION_SET_NAME, SOLUTION_OBJECT, SOLUTION_OBJECT_PERMISSIONS,
};
use serde_json::Value;
use sync::aws::AwsFieldNames;
use sync::settings::FieldNames;

/// `salesforce/force-app/main/default`.
fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../salesforce/force-app/main/default")
}

fn object_dir(parent: Parent) -> PathBuf {
    let name = match parent {
        Parent::Opportunity => "Opportunity".to_owned(),
        Parent::SolutionObject => SOLUTION_OBJECT.default_name(),
    };
    source_root().join("objects").join(name)
}

fn parse_file(path: &Path) -> Element {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    xml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_field_file_matches_the_setup_plan() {
    let plan = Plan::new(&FieldNames::default(), Some(&AwsFieldNames::default()));
    for field in &plan.fields {
        let path = object_dir(field.spec.parent)
            .join("fields")
            .join(format!("{}.field-meta.xml", field.api_name));
        let root = parse_file(&path);
        assert_eq!(root.name, "CustomField", "{}", path.display());
        assert_eq!(root.text_of("fullName"), Some(field.api_name.as_str()));
        let body = metadata::custom_field(field);
        let expected = body["Metadata"].as_object().unwrap();
        let mut keys: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
        keys.insert("fullName");
        assert_eq!(
            root.child_names(),
            keys,
            "{}: elements differ from the setup plan",
            path.display()
        );
        for (key, value) in expected {
            assert_matches(&root, key, value, &format!("{}: {key}", path.display()));
        }
    }
}

#[test]
fn there_are_no_fields_the_plan_does_not_know() {
    for parent in [Parent::Opportunity, Parent::SolutionObject] {
        let mut on_disk: Vec<String> = std::fs::read_dir(object_dir(parent).join("fields"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut planned: Vec<String> = CONNECTOR_FIELDS
            .iter()
            .chain(AWS_FIELDS)
            .filter(|f| f.parent == parent)
            .map(|f| format!("{}.field-meta.xml", f.default_name()))
            .collect();
        planned.sort();
        assert_eq!(on_disk, planned, "{parent:?}");
    }
}

#[test]
fn the_object_file_matches_the_setup_plan() {
    let path = object_dir(Parent::SolutionObject).join(format!(
        "{}.object-meta.xml",
        SOLUTION_OBJECT.default_name()
    ));
    let root = parse_file(&path);
    assert_eq!(root.name, "CustomObject");
    let body = metadata::custom_object(&SOLUTION_OBJECT, &SOLUTION_OBJECT.default_name());
    for key in [
        "label",
        "pluralLabel",
        "description",
        "nameField",
        "deploymentStatus",
    ] {
        assert_matches(&root, key, &body["Metadata"][key], key);
    }
    // Tooling creates the object ReadWrite and Salesforce switches it to
    // ControlledByParent when the master-detail field is added; a deploy
    // states the end result directly.
    assert_eq!(root.text_of("sharingModel"), Some("ControlledByParent"));
}

#[test]
fn the_permission_set_grants_what_setup_grants() {
    let path = source_root()
        .join("permissionsets")
        .join(format!("{PERMISSION_SET_NAME}.permissionset-meta.xml"));
    let root = parse_file(&path);
    assert_eq!(root.name, "PermissionSet");
    assert_eq!(root.text_of("label"), Some(PERMISSION_SET_LABEL));
    assert_eq!(
        root.text_of("description"),
        Some(PERMISSION_SET_DESCRIPTION)
    );

    let plan = Plan::new(&FieldNames::default(), Some(&AwsFieldNames::default()));
    let expected: BTreeSet<String> = plan
        .fields
        .iter()
        .filter(|f| f.spec.field_type.takes_field_permissions())
        .map(|f| f.full_name())
        .collect();
    let mut granted = BTreeSet::new();
    for perm in root.children_named("fieldPermissions") {
        assert_eq!(perm.text_of("readable"), Some("true"));
        assert_eq!(perm.text_of("editable"), Some("true"));
        granted.insert(perm.text_of("field").unwrap().to_owned());
    }
    assert_eq!(granted, expected);

    let objects: Vec<&Element> = root.children_named("objectPermissions").collect();
    assert_eq!(objects.len(), 1);
    let object = objects[0];
    assert_eq!(
        object.text_of("object"),
        Some(SOLUTION_OBJECT.default_name().as_str())
    );
    for right in SOLUTION_OBJECT_PERMISSIONS {
        // PermissionsRead (sObject) is allowRead (metadata), and so on.
        let element = right.replace("Permissions", "allow");
        assert_eq!(object.text_of(&element), Some("true"), "{element}");
    }
    assert_eq!(object.text_of("modifyAllRecords"), Some("false"));
    assert_eq!(object.text_of("viewAllRecords"), Some("false"));
}

#[test]
fn the_project_file_points_at_force_app() {
    let path = source_root().join("../../../sfdx-project.json");
    let project: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(project["packageDirectories"][0]["path"], "force-app");
    assert_eq!(project["packageDirectories"][0]["default"], true);
}

/// Asserts the element(s) `key` under `parent` carry `value`: scalars as
/// text, objects as child elements, arrays as repeated elements.
fn assert_matches(parent: &Element, key: &str, value: &Value, context: &str) {
    let children: Vec<&Element> = parent.children_named(key).collect();
    match value {
        Value::Array(items) => {
            assert_eq!(children.len(), items.len(), "{context}: count");
            for (i, (child, item)) in children.iter().zip(items).enumerate() {
                assert_element(child, item, &format!("{context}[{i}]"));
            }
        }
        _ => {
            assert_eq!(children.len(), 1, "{context}: expected one <{key}>");
            assert_element(children[0], value, context);
        }
    }
}

fn assert_element(element: &Element, value: &Value, context: &str) {
    match value {
        Value::Object(map) => {
            let keys: BTreeSet<&str> = map.keys().map(String::as_str).collect();
            assert_eq!(element.child_names(), keys, "{context}: elements");
            for (key, value) in map {
                assert_matches(element, key, value, &format!("{context}.{key}"));
            }
        }
        Value::String(s) => assert_eq!(element.text.trim(), s, "{context}"),
        Value::Bool(_) | Value::Number(_) => {
            assert_eq!(element.text.trim(), value.to_string(), "{context}")
        }
        other => panic!("{context}: unexpected {other}"),
    }
}

use xml::Element;

/// The External Client App's API name.
const ECA: &str = "Cosell_Connector";

/// The root of `folder/file` under the source root, checked to name the app.
fn eca_part(folder: &str, file: &str, root_name: &str) -> Element {
    let root = parse_file(&source_root().join(folder).join(file));
    assert_eq!(root.name, root_name, "{folder}/{file}");
    if root_name != "ExternalClientApplication" {
        assert_eq!(
            root.text_of("externalClientApplication"),
            Some(ECA),
            "{folder}/{file} belongs to the app"
        );
    }
    assert!(
        root.text_of("label").is_some_and(|l| !l.is_empty()),
        "{folder}/{file}: label"
    );
    root
}

#[test]
fn the_external_client_app_preauthorizes_the_permission_set_for_every_flow_cosell_uses() {
    // Metadata API Developer Guide: ExternalClientApplication (.eca in
    // externalClientApps), ExtlClntAppOauthSettings (.ecaOauth in
    // extlClntAppOauthSettings), ExtlClntAppGlobalOauthSettings
    // (.ecaGlblOauth in extlClntAppGlobalOauthSets),
    // ExtlClntAppOauthConfigurablePolicies (.ecaOauthPlcy in
    // extlClntAppOauthPolicies), ExtlClntAppConfigurablePolicies (.ecaPlcy
    // in extlClntAppPolicies).
    let header = eca_part(
        "externalClientApps",
        &format!("{ECA}.eca-meta.xml"),
        "ExternalClientApplication",
    );
    assert_eq!(header.text_of("distributionState"), Some("Local"));

    let settings = eca_part(
        "extlClntAppOauthSettings",
        &format!("{ECA}_oauth.ecaOauth-meta.xml"),
        "ExtlClntAppOauthSettings",
    );
    let scopes: BTreeSet<&str> = settings
        .text_of("commaSeparatedOauthScopes")
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(
        scopes,
        BTreeSet::from(["Api", "RefreshToken"]),
        "the REST API and a refresh token"
    );

    let global = eca_part(
        "extlClntAppGlobalOauthSets",
        &format!("{ECA}_glbloauth.ecaGlblOauth-meta.xml"),
        "ExtlClntAppGlobalOauthSettings",
    );
    let callback = format!(
        "http://localhost:{}{}",
        cosell::commands::login::salesforce::DEFAULT_PORT,
        cosell::commands::login::salesforce::CALLBACK_PATH
    );
    assert_eq!(
        global.text_of("callbackUrl"),
        Some(callback.as_str()),
        "cosell login salesforce's redirect"
    );
    assert_eq!(
        emulator::salesforce::DEFAULT_CALLBACK_URL,
        callback,
        "the emulator's app agrees"
    );
    assert_eq!(global.text_of("isPkceRequired"), Some("true"));
    assert_eq!(
        global.text_of("isClientCredentialsFlowEnabled"),
        Some("true")
    );
    for secret in ["consumerKey", "consumerSecret"] {
        assert_eq!(
            global.text_of(secret),
            None,
            "{secret} stays out of source control"
        );
    }

    let policies = eca_part(
        "extlClntAppOauthPolicies",
        &format!("{ECA}_oauthPlcy.ecaOauthPlcy-meta.xml"),
        "ExtlClntAppOauthConfigurablePolicies",
    );
    assert_eq!(
        policies.text_of("permittedUsersPolicyType"),
        Some("AdminApprovedPreAuthorized"),
        "only pre-authorized users: JWT bearer needs it"
    );
    assert_eq!(
        policies.text_of("commaSeparatedPermissionSet"),
        Some(PERMISSION_SET_NAME)
    );
    assert!(source_root()
        .join("permissionsets")
        .join(format!("{PERMISSION_SET_NAME}.permissionset-meta.xml"))
        .exists());

    let plugins = eca_part(
        "extlClntAppPolicies",
        &format!("{ECA}_plcy.ecaPlcy-meta.xml"),
        "ExtlClntAppConfigurablePolicies",
    );
    assert_eq!(plugins.text_of("isOauthPluginEnabled"), Some("true"));
}

/// A small reader for the Metadata API's XML files: elements, text and the
/// five predefined entities; attributes, comments and the prolog are skipped.
mod xml {
    use std::collections::BTreeSet;

    /// One element with its children and its own text.
    #[derive(Debug, Default)]
    pub struct Element {
        pub name: String,
        pub text: String,
        pub children: Vec<Element>,
    }

    impl Element {
        pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
            self.children.iter().filter(move |c| c.name == name)
        }

        pub fn text_of(&self, name: &str) -> Option<&str> {
            self.children
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.text.trim())
        }

        pub fn child_names(&self) -> BTreeSet<&str> {
            self.children.iter().map(|c| c.name.as_str()).collect()
        }
    }

    /// Parses a document into its root element.
    pub fn parse(text: &str) -> Result<Element, String> {
        let mut stack: Vec<Element> = vec![Element::default()];
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let content = &rest[..start];
            stack.last_mut().unwrap().text.push_str(&unescape(content)?);
            rest = &rest[start..];
            if rest.starts_with("<?") {
                rest = &rest[rest.find("?>").ok_or("unclosed <?")? + 2..];
            } else if rest.starts_with("<!--") {
                rest = &rest[rest.find("-->").ok_or("unclosed comment")? + 3..];
            } else if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or("unclosed end tag")?;
                let name = after[..end].trim();
                let element = stack.pop().ok_or("unbalanced end tag")?;
                if element.name != name {
                    return Err(format!("</{name}> closes <{}>", element.name));
                }
                stack.last_mut().ok_or("unbalanced")?.children.push(element);
                rest = &after[end + 1..];
            } else {
                let end = rest.find('>').ok_or("unclosed tag")?;
                let tag = &rest[1..end];
                let self_closing = tag.ends_with('/');
                let tag = tag.trim_end_matches('/');
                let name = tag.split_whitespace().next().ok_or("empty tag")?.to_owned();
                let element = Element {
                    name,
                    ..Element::default()
                };
                if self_closing {
                    stack.last_mut().unwrap().children.push(element);
                } else {
                    stack.push(element);
                }
                rest = &rest[end + 1..];
            }
        }
        if !rest.trim().is_empty() || stack.len() != 1 {
            return Err("unbalanced document".into());
        }
        let mut document = stack.pop().unwrap();
        if document.children.len() != 1 {
            return Err("a document has one root element".into());
        }
        Ok(document.children.pop().unwrap())
    }

    fn unescape(text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let end = rest[amp..].find(';').ok_or("unterminated entity")? + amp;
            out.push(match &rest[amp + 1..end] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "apos" => '\'',
                "quot" => '"',
                other => return Err(format!("unknown entity &{other};")),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    #[test]
    fn reads_nested_elements_and_entities() {
        let root =
            parse("<?xml version=\"1.0\"?>\n<A x=\"1\"><b>t &amp; u</b><c><d>1</d></c><e/></A>")
                .unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.text_of("b"), Some("t & u"));
        assert_eq!(
            root.children_named("c").next().unwrap().text_of("d"),
            Some("1")
        );
        assert!(root.child_names().contains("e"));
        assert!(parse("<a><b></a>").is_err());
    }
}
