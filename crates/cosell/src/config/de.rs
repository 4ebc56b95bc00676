//! Deserializes a parsed TOML tree into the configuration's types with an
//! error type that keeps what serde knows as data (the unknown key and the
//! valid ones, the expected type, the missing field) instead of an English
//! sentence, so the issues built from it never parse message text.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// What went wrong at one place of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeError {
    /// A key the type does not have.
    UnknownField {
        /// The key as written.
        field: String,
        /// The keys the type has.
        expected: &'static [&'static str],
    },
    /// A value that is none of an enum's.
    UnknownVariant {
        /// The value as written.
        variant: String,
        /// The values allowed.
        expected: &'static [&'static str],
    },
    /// A value of the wrong type.
    InvalidType {
        /// What was found, as serde shows it (e.g. `string "many"`).
        found: String,
        /// What was expected, as serde names it (e.g. `i64`).
        expected: String,
    },
    /// A key without a default is absent.
    MissingField(&'static str),
    /// Anything else a type's own `Deserialize` reports.
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::UnknownField { field, .. } => write!(f, "unknown key `{field}`"),
            DeError::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            DeError::InvalidType { found, expected } => {
                write!(f, "expected {expected}, found {found}")
            }
            DeError::MissingField(field) => write!(f, "missing key `{field}`"),
            DeError::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::InvalidType {
            found: unexpected.to_string(),
            expected: expected.to_string(),
        }
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::invalid_type(unexpected, expected)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::UnknownVariant {
            variant: variant.to_owned(),
            expected,
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::UnknownField {
            field: field.to_owned(),
            expected,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::MissingField(field)
    }
}

/// A TOML value as a serde deserializer with [`DeError`].
pub(crate) struct Node(pub toml::Value);

impl<'de> IntoDeserializer<'de, DeError> for Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Node {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            toml::Value::String(s) => visitor.visit_string(s),
            toml::Value::Integer(i) => visitor.visit_i64(i),
            toml::Value::Float(f) => visitor.visit_f64(f),
            toml::Value::Boolean(b) => visitor.visit_bool(b),
            toml::Value::Datetime(d) => visitor.visit_string(d.to_string()),
            toml::Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Node));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            toml::Value::Table(table) => {
                let mut map = MapDeserializer::new(table.into_iter().map(|(k, v)| (k, Node(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // A key that is written always has a value: TOML has no null.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            toml::Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Node(other).deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Section {
        size: i64,
        on: Option<bool>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        First,
        Second,
    }

    fn de(text: &str) -> Result<Section, DeError> {
        let table: toml::Table = toml::from_str(text).unwrap();
        Section::deserialize(Node(toml::Value::Table(table)))
    }

    #[test]
    fn errors_carry_serde_facts_not_sentences() {
        assert_eq!(
            de("size = 1\nsise = 2").unwrap_err(),
            DeError::UnknownField {
                field: "sise".into(),
                expected: &["size", "on", "kind"]
            }
        );
        assert_eq!(
            de("size = 1\nkind = \"thrid\"").unwrap_err(),
            DeError::UnknownVariant {
                variant: "thrid".into(),
                expected: &["first", "second"]
            }
        );
        assert_eq!(
            de("size = \"many\"").unwrap_err(),
            DeError::InvalidType {
                found: "string \"many\"".into(),
                expected: "i64".into()
            }
        );
        assert_eq!(de("on = true").unwrap_err(), DeError::MissingField("size"));
        assert!(de("size = 3\nkind = \"second\"").is_ok());
    }
}
