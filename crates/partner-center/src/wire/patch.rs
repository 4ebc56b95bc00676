//! JSON Patch (RFC 6902) operations accepted by `PATCH /referrals/{id}` (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
//!
//! The service supports only `add` and `replace`, so those are the only
//! operations this type can represent.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One JSON Patch operation; only `add` and `replace` exist here by design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOperation {
    /// Adds a value (use path suffix `/-` to append to an array).
    Add {
        /// JSON Pointer to the target location.
        path: String,
        /// The value to add.
        value: Value,
    },
    /// Replaces the value at an existing location.
    Replace {
        /// JSON Pointer to the target location.
        path: String,
        /// The new value.
        value: Value,
    },
}

impl PatchOperation {
    /// `replace` at a JSON Pointer path such as `/details/notes`.
    pub fn replace(path: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Replace {
            path: path.into(),
            value: value.into(),
        }
    }

    /// `add` at a JSON Pointer path such as `/team/-`.
    pub fn add(path: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Add {
            path: path.into(),
            value: value.into(),
        }
    }

    /// `replace` at a path built from raw segments, escaped per RFC 6901 (`~`→`~0`, `/`→`~1`).
    pub fn replace_at(segments: &[&str], value: impl Into<Value>) -> Self {
        Self::replace(json_pointer(segments), value)
    }

    /// `add` at a path built from raw segments, escaped per RFC 6901.
    pub fn add_at(segments: &[&str], value: impl Into<Value>) -> Self {
        Self::add(json_pointer(segments), value)
    }

    /// The JSON Pointer this operation targets.
    pub fn path(&self) -> &str {
        match self {
            Self::Add { path, .. } | Self::Replace { path, .. } => path,
        }
    }
}

/// Builds an RFC 6901 JSON Pointer from unescaped segments.
pub fn json_pointer(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_rfc6902() {
        let ops = vec![
            PatchOperation::replace("/details/dealValue", "10000"),
            PatchOperation::add("/team/-", json!({"email": "jane@partner.example"})),
        ];
        assert_eq!(
            serde_json::to_value(&ops).unwrap(),
            json!([
                {"op": "replace", "path": "/details/dealValue", "value": "10000"},
                {"op": "add", "path": "/team/-", "value": {"email": "jane@partner.example"}}
            ])
        );
    }

    #[test]
    fn other_operations_are_not_representable() {
        let err = serde_json::from_value::<PatchOperation>(json!({"op": "remove", "path": "/x"}));
        assert!(err.is_err());
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(json_pointer(&["a/b", "c~d", "-"]), "/a~1b/c~0d/-");
    }
}
