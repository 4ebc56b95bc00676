//! Encoding values for PostgreSQL statements written per backend (rows are
//! read through [`crate::statement::DbRow`]).

/// JSON as bound (text, cast to `json` in SQL so key order is kept).
pub(super) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}
