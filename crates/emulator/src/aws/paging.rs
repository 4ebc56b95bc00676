//! `MaxResults` / `NextToken` paging of the list operations. The token is
//! opaque to clients; the emulator encodes the offset and a digest of the
//! request's other members, and refuses a token reused with other filters.

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::error::{AwsError, FieldCode, Reason};
use super::shape::Checker;

/// Largest `MaxResults` (`PageSize` is 1..=100 in the model).
const MAX_PAGE: i64 = 100;

/// One page of `items` for `body`, and the token of the next page.
pub(crate) fn page<T: Clone>(
    body: &Map<String, Value>,
    items: &[T],
    default_size: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let mut c = Checker::default();
    let size = c.integer(body, "MaxResults", 1, MAX_PAGE);
    if !c.errors.is_empty() {
        return Err(AwsError::validation(Reason::Request, c.errors));
    }
    let size = size.map_or(default_size, |n| n as usize);
    let digest = filters_digest(body);
    let start = match body.get("NextToken") {
        None | Some(Value::Null) => 0,
        Some(Value::String(token)) => decode(token, &digest).ok_or_else(|| {
            AwsError::field(
                Reason::Request,
                "NextToken",
                FieldCode::Value,
                "The NextToken is not valid for this request.",
            )
        })?,
        Some(_) => {
            return Err(AwsError::field(
                Reason::Request,
                "NextToken",
                FieldCode::Value,
                "NextToken must be a string.",
            ))
        }
    };
    let end = (start + size).min(items.len());
    let page = items.get(start..end).unwrap_or_default().to_vec();
    let next = (end < items.len()).then(|| encode(end, &digest));
    Ok((page, next))
}

fn filters_digest(body: &Map<String, Value>) -> String {
    let mut rest = body.clone();
    rest.remove("NextToken");
    rest.remove("MaxResults");
    let d = digest::digest(&digest::SHA256, Value::Object(rest).to_string().as_bytes());
    hex::encode(&d.as_ref()[..8])
}

fn encode(offset: usize, digest: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{digest}"))
}

fn decode(token: &str, digest: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (offset, d) = raw.split_once(':')?;
    (d == digest).then(|| offset.parse().ok()).flatten()
}
