//! OData query options of the list operation (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>): `$filter`,
//! `$orderby`, `$top`, `$skip`, `$count`, `$select`, `$expand`, and paging
//! with an opaque `$skiptoken` carried in `@odata.nextLink`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::filter;
use super::schema::canonical_key;
use super::Rules;

/// Properties `$orderby` accepts (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>: createdDateTime / updatedDateTime).
const ORDERABLE: &[&str] = &["createdDateTime", "updatedDateTime"];

/// System query options this emulator knows.
const KNOWN_OPTIONS: &[&str] = &[
    "$filter",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$select",
    "$expand",
    "$skiptoken",
];

/// The list request, as given by the client or restored from a skiptoken.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct ListQuery {
    #[serde(rename = "f", skip_serializing_if = "Option::is_none")]
    filter: Option<String>,
    #[serde(rename = "o", skip_serializing_if = "Option::is_none")]
    orderby: Option<String>,
    #[serde(rename = "s", skip_serializing_if = "Option::is_none")]
    select: Option<String>,
    #[serde(rename = "c")]
    count: bool,
    /// Results still owed under `$top` (None = unlimited).
    #[serde(rename = "t", skip_serializing_if = "Option::is_none")]
    remaining: Option<usize>,
    /// Position in the filtered, ordered result set.
    #[serde(rename = "p")]
    offset: usize,
}

fn bad(option: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_at(option, message)
}

fn parse_count(text: &str) -> Result<usize, ApiError> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| bad("query", format!("'{text}' is not a non-negative integer.")))
}

impl ListQuery {
    /// Parses the raw query string; a `$skiptoken` restores the original options.
    pub(crate) fn from_query(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut seen: Map<String, Value> = Map::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !key.starts_with('$') {
                continue;
            }
            let key = key.to_ascii_lowercase();
            if !KNOWN_OPTIONS.contains(&key.as_str()) {
                return Err(bad(
                    &key,
                    format!("The query parameter '{key}' is not supported."),
                ));
            }
            if seen
                .insert(key.clone(), Value::String(value.into_owned()))
                .is_some()
            {
                return Err(bad(
                    &key,
                    format!("The query option '{key}' was specified more than once."),
                ));
            }
        }
        let get = |k: &str| seen.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(token) = get("$skiptoken") {
            return Self::from_token(&token);
        }
        if let Some(expand) = get("$expand").filter(|e| !e.trim().is_empty()) {
            return Err(bad(
                "$expand",
                format!(
                    "Could not find a navigation property named '{expand}' on type 'Referral'."
                ),
            ));
        }
        let count = match get("$count").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(bad(
                    "$count",
                    format!("'{other}' is not a valid value for $count; use true or false."),
                ))
            }
        };
        let query = Self {
            filter: get("$filter"),
            orderby: get("$orderby"),
            select: get("$select"),
            count,
            remaining: get("$top").map(|t| parse_count(&t)).transpose()?,
            offset: get("$skip")
                .map(|s| parse_count(&s))
                .transpose()?
                .unwrap_or(0),
        };
        query.validate()?;
        Ok(query)
    }

    fn from_token(token: &str) -> Result<Self, ApiError> {
        let invalid = || bad("$skiptoken", "The $skiptoken is invalid or expired.");
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| invalid())?;
        let query: Self = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        query.validate().map_err(|_| invalid())?;
        Ok(query)
    }

    fn token(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn validate(&self) -> Result<(), ApiError> {
        if let Some(f) = &self.filter {
            filter::parse(f).map_err(|e| bad("$filter", e.to_string()))?;
        }
        self.order_keys()?;
        self.select_keys()?;
        Ok(())
    }

    fn order_keys(&self) -> Result<Vec<(&'static str, bool)>, ApiError> {
        let Some(orderby) = &self.orderby else {
            return Ok(vec![("createdDateTime", false)]);
        };
        let mut keys = Vec::new();
        for clause in orderby.split(',') {
            let mut words = clause.split_whitespace();
            let field = words
                .next()
                .ok_or_else(|| bad("$orderby", "Empty $orderby clause."))?;
            let key = canonical_key(field)
                .filter(|k| ORDERABLE.contains(k))
                .ok_or_else(|| {
                    bad(
                        "$orderby",
                        format!(
                            "'{field}' cannot be used in $orderby; use {}.",
                            ORDERABLE.join(" or ")
                        ),
                    )
                })?;
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(bad("$orderby", format!("'{other}' is not asc or desc.")))
                }
            };
            if words.next().is_some() {
                return Err(bad(
                    "$orderby",
                    format!("Malformed $orderby clause '{clause}'."),
                ));
            }
            keys.push((key, desc));
        }
        Ok(keys)
    }

    fn select_keys(&self) -> Result<Option<Vec<&'static str>>, ApiError> {
        let Some(select) = &self.select else {
            return Ok(None);
        };
        select
            .split(',')
            .map(|field| {
                let field = field.trim();
                canonical_key(field)
                    .filter(|_| !field.contains('/'))
                    .ok_or_else(|| {
                        bad(
                            "$select",
                            format!(
                                "Could not find a property named '{field}' on type 'Referral'."
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Answers a list request over `referrals` (already rendered, server fields included).
pub(crate) fn list(
    query: &ListQuery,
    mut referrals: Vec<Value>,
    page_size: usize,
    rules: &Rules,
    list_url: &str,
    context: &str,
) -> Result<Value, ApiError> {
    if let Some(f) = &query.filter {
        let expr = filter::parse(f)
            .and_then(|expr| rules.odata.restrict(expr))
            .map_err(|e| bad("$filter", e.to_string()))?;
        referrals.retain(|r| expr.matches(r));
    }
    let keys = query.order_keys()?;
    referrals.sort_by(|a, b| {
        keys.iter()
            .map(|(key, desc)| {
                let ord = a[*key]
                    .as_str()
                    .unwrap_or("")
                    .cmp(b[*key].as_str().unwrap_or(""));
                if *desc {
                    ord.reverse()
                } else {
                    ord
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let total = referrals.len();
    let page_size = page_size.max(1);
    let (take, remaining_after) = match (query.remaining, rules.top_limits_total) {
        (Some(top), true) => {
            let take = top.min(page_size);
            (take, Some(top - take))
        }
        (Some(top), false) => (top.min(page_size), None),
        (None, _) => (page_size, None),
    };
    let page: Vec<Value> = referrals
        .iter()
        .skip(query.offset)
        .take(take)
        .cloned()
        .collect();
    let next_offset = query.offset + page.len();
    let more = next_offset < total && remaining_after != Some(0) && !page.is_empty();
    let select = query.select_keys()?;
    let value: Vec<Value> = page
        .into_iter()
        .map(|r| project(r, select.as_deref()))
        .collect();
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context));
    if query.count {
        body.insert("@odata.count".into(), json!(total));
    }
    body.insert("value".into(), Value::Array(value));
    if more {
        let next = ListQuery {
            offset: next_offset,
            remaining: if rules.top_limits_total {
                remaining_after
            } else {
                query.remaining
            },
            ..query.clone()
        };
        body.insert(
            "@odata.nextLink".into(),
            json!(format!("{list_url}?$skiptoken={}", next.token())),
        );
    }
    Ok(Value::Object(body))
}

/// Keeps only the `$select`ed properties.
pub(crate) fn project(referral: Value, select: Option<&[&str]>) -> Value {
    let (Some(fields), Value::Object(map)) = (select, &referral) else {
        return referral;
    };
    Value::Object(
        map.iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        assert!(ListQuery::from_query(Some("$top=abc")).is_err());
        assert!(ListQuery::from_query(Some("$top=-1")).is_err());
        assert!(ListQuery::from_query(Some("$orderby=name")).is_err());
        assert!(ListQuery::from_query(Some("$orderby=createdDateTime%20sideways")).is_err());
        assert!(ListQuery::from_query(Some("$count=maybe")).is_err());
        assert!(ListQuery::from_query(Some("$select=id,nope")).is_err());
        assert!(ListQuery::from_query(Some("$bogus=1")).is_err());
        assert!(ListQuery::from_query(Some("$top=1&$top=2")).is_err());
        assert!(ListQuery::from_query(Some("$skiptoken=%%%")).is_err());
        assert!(ListQuery::from_query(Some(
            "$orderby=updatedDateTime%20desc&$top=5&$count=true&other=1"
        ))
        .is_ok());
    }

    #[test]
    fn skiptoken_round_trips() {
        let q = ListQuery::from_query(Some("$filter=status%20eq%20'New'&$top=3")).unwrap();
        let restored = ListQuery::from_token(&q.token()).unwrap();
        assert_eq!(q, restored);
    }
}
