//! The errors a SOQL query can fail with, carrying Salesforce's own error codes
//! so the server can render them as the REST API's array error body.

use std::fmt;

/// HTTP status Salesforce answers every SOQL error below with.
pub const SOQL_ERROR_STATUS: u16 = 400;

/// Salesforce `errorCode` values a query can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoqlErrorCode {
    /// Syntax error, or a construct the grammar does not allow.
    MalformedQuery,
    /// Unknown field or relationship, or a literal of the wrong type for a field.
    InvalidField,
    /// Unknown sObject in `FROM`.
    InvalidType,
    /// An operator or value a filter cannot use (e.g. a malformed record ID).
    InvalidQueryFilterOperator,
    /// A number outside the range the clause accepts (e.g. `OFFSET` above 2000).
    NumberOutsideValidRange,
}

impl SoqlErrorCode {
    /// The wire spelling, e.g. `"MALFORMED_QUERY"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedQuery => "MALFORMED_QUERY",
            Self::InvalidField => "INVALID_FIELD",
            Self::InvalidType => "INVALID_TYPE",
            Self::InvalidQueryFilterOperator => "INVALID_QUERY_FILTER_OPERATOR",
            Self::NumberOutsideValidRange => "NUMBER_OUTSIDE_VALID_RANGE",
        }
    }
}

impl fmt::Display for SoqlErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected query: the server answers it with HTTP 400 and
/// `[{"message": message, "errorCode": code}]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SoqlError {
    /// Salesforce error code.
    pub code: SoqlErrorCode,
    /// Human-readable message, worded like Salesforce's.
    pub message: String,
    /// Byte offset in the query of the token the error points at, when known.
    pub at: Option<usize>,
}

impl SoqlError {
    /// Points the error at byte `offset` of the query, unless it already points somewhere.
    #[must_use]
    pub fn at(mut self, offset: usize) -> Self {
        self.at.get_or_insert(offset);
        self
    }

    /// The message as the REST API words it: when the position is known, the
    /// query line, a caret under the offending token and
    /// `ERROR at Row:R:Column:C` (1-based) come first, as a real org answers
    /// (e.g. `\nSELECT Nme FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column …`).
    pub fn rendered(&self, query: &str) -> String {
        let Some(at) = self
            .at
            .filter(|at| *at <= query.len() && query.is_char_boundary(*at))
        else {
            return self.message.clone();
        };
        let before = &query[..at];
        let row = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = query[at..].find('\n').map_or(query.len(), |i| at + i);
        let column = query[line_start..at].chars().count() + 1;
        format!(
            "\n{}\n{}^\nERROR at Row:{row}:Column:{column}\n{}",
            &query[line_start..line_end],
            " ".repeat(column - 1),
            self.message
        )
    }

    /// A syntax error at the token `token` as written (`<EOF>` at the end).
    pub fn unexpected(token: &str) -> Self {
        Self::malformed(format!("unexpected token: '{token}'"))
    }

    /// A `MALFORMED_QUERY` error with a free message.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self {
            code: SoqlErrorCode::MalformedQuery,
            message: message.into(),
            at: None,
        }
    }

    /// Unknown sObject in `FROM`.
    pub fn invalid_type(object: &str) -> Self {
        Self {
            code: SoqlErrorCode::InvalidType,
            message: format!(
                "sObject type '{object}' is not supported. If you are attempting to use a custom \
                 object, be sure to append the '__c' after the entity name. Please reference your \
                 WSDL or the describe call for the appropriate names."
            ),
            at: None,
        }
    }

    /// Unknown field `field` (as written) on `entity` (canonical name).
    pub fn no_such_column(field: &str, entity: &str) -> Self {
        Self::invalid_field(format!(
            "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom \
             field, be sure to append the '__c' after the custom field name. Please reference your \
             WSDL or the describe call for the appropriate names."
        ))
    }

    /// Unknown parent relationship `name` (as written) in a field path.
    pub fn unknown_relationship(name: &str) -> Self {
        Self::invalid_field(format!(
            "Didn't understand relationship '{name}' in field path. If you are attempting to use \
             a custom relationship, be sure to append the '__r' after the custom relationship \
             name. Please reference your WSDL or the describe call for the appropriate names."
        ))
    }

    /// A literal whose type does not fit the field it is compared with.
    pub fn wrong_value_type(field: &str, type_name: &str, quoted: bool) -> Self {
        let quotes = if quoted {
            "should be enclosed in quotes"
        } else {
            "should not be enclosed in quotes"
        };
        Self::invalid_field(format!(
            "value of filter criterion for field '{field}' must be of type {type_name} and {quotes}"
        ))
    }

    /// An `INVALID_FIELD` error with a free message.
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self {
            code: SoqlErrorCode::InvalidField,
            message: message.into(),
            at: None,
        }
    }

    /// A filter that cannot be applied as written.
    pub fn invalid_filter(message: impl Into<String>) -> Self {
        Self {
            code: SoqlErrorCode::InvalidQueryFilterOperator,
            message: message.into(),
            at: None,
        }
    }

    /// HTTP status for this error (always 400 for SOQL).
    pub fn http_status(&self) -> u16 {
        SOQL_ERROR_STATUS
    }

    /// The REST error body: `[{"message": …, "errorCode": …}]`.
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::json!([{ "message": self.message, "errorCode": self.code.as_str() }])
    }
}
