//! Single-record sObject calls: get, create, update, delete, upsert by external id
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm>).

use reqwest::Method;
use serde_json::Value;

use super::transport::Call;
use super::{validate_field_name, validate_id, validate_object, SalesforceClient};
use crate::error::Error;
use crate::record::{Record, ATTRIBUTES};
use crate::types::{CreateResponse, SaveResult, UpsertResult};

/// HTTP 201: created.
const CREATED: u16 = 201;
/// HTTP 300: the external id matched several records.
const MULTIPLE_CHOICES: u16 = 300;

/// The JSON body of a single-record write: the record without `attributes`,
/// `Id`, or any other keys in `strip` (jsforce strips the same for single writes).
pub(crate) fn write_body(record: &Record, strip: &[&str]) -> Value {
    let map = record
        .as_map()
        .iter()
        .filter(|(k, _)| {
            k.as_str() != ATTRIBUTES
                && !k.eq_ignore_ascii_case("Id")
                && !strip.iter().any(|s| k.eq_ignore_ascii_case(s))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(map)
}

/// Pulls record URLs out of a 300 body: an array of strings, or of objects with a URL.
fn multiple_match_urls(body: &Value) -> Vec<String> {
    body.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some(s.clone()),
                    other => other
                        .get("url")
                        .or_else(|| other.get(ATTRIBUTES).and_then(|a| a.get("url")))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl SalesforceClient {
    /// Reads one record, optionally only the given fields.
    #[tracing::instrument(level = "debug", skip(self, fields))]
    pub async fn get(
        &self,
        object: &str,
        id: &str,
        fields: Option<&[&str]>,
    ) -> Result<Record, Error> {
        validate_object(object)?;
        validate_id(id)?;
        let mut call = Call::new(
            Method::GET,
            self.api_path(&format!("sobjects/{object}/{id}")),
            "/sobjects/{object}/{id}",
        );
        if let Some(fields) = fields {
            for f in fields {
                validate_field_name(f)?;
            }
            call = call.query("fields", fields.join(","));
        }
        self.execute(call).await?.json(call_route::GET)
    }

    /// Creates one record; returns its id.
    #[tracing::instrument(level = "debug", skip(self, record))]
    pub async fn create(&self, object: &str, record: &Record) -> Result<String, Error> {
        validate_object(object)?;
        let call = Call::new(
            Method::POST,
            self.api_path(&format!("sobjects/{object}")),
            call_route::CREATE,
        )
        .json(write_body(record, &[]));
        let created: CreateResponse = self.execute(call).await?.json(call_route::CREATE)?;
        Ok(created.id)
    }

    /// Updates fields of one record (204); `null` values clear fields.
    #[tracing::instrument(level = "debug", skip(self, record))]
    pub async fn update(&self, object: &str, id: &str, record: &Record) -> Result<(), Error> {
        validate_object(object)?;
        validate_id(id)?;
        let call = Call::new(
            Method::PATCH,
            self.api_path(&format!("sobjects/{object}/{id}")),
            "/sobjects/{object}/{id}",
        )
        .json(write_body(record, &[]));
        self.execute(call).await?;
        Ok(())
    }

    /// Deletes one record (204).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn delete(&self, object: &str, id: &str) -> Result<(), Error> {
        validate_object(object)?;
        validate_id(id)?;
        let call = Call::new(
            Method::DELETE,
            self.api_path(&format!("sobjects/{object}/{id}")),
            "/sobjects/{object}/{id}",
        );
        self.execute(call).await?;
        Ok(())
    }

    /// Creates or updates the record whose `ext_field` equals `ext_value`
    /// (201 created, 200 updated; 300 → [`Error::MultipleMatches`]).
    #[tracing::instrument(level = "debug", skip(self, record))]
    pub async fn upsert(
        &self,
        object: &str,
        ext_field: &str,
        ext_value: &str,
        record: &Record,
    ) -> Result<UpsertResult, Error> {
        validate_object(object)?;
        crate::soql::validate_object(ext_field)?;
        if ext_value.is_empty() {
            return Err(Error::InvalidInput("external id value is empty".into()));
        }
        let path = self.api_path(&format!(
            "sobjects/{object}/{ext_field}/{}",
            urlencoding::encode(ext_value)
        ));
        let call = Call::new(Method::PATCH, path, call_route::UPSERT)
            .json(write_body(record, &[ext_field]));
        let reply = self.execute(call).await?;
        if reply.status == MULTIPLE_CHOICES {
            let body: Value = reply.json(call_route::UPSERT)?;
            return Err(Error::MultipleMatches {
                urls: multiple_match_urls(&body),
            });
        }
        if reply.body.is_empty() {
            // Versions before v46.0 answered 204 without a body on update.
            return Err(Error::UnexpectedResponse {
                route: call_route::UPSERT,
                reason: format!(
                    "HTTP {} without a body; use API v46.0 or later",
                    reply.status
                ),
            });
        }
        let result: SaveResult = reply.json(call_route::UPSERT)?;
        let id = result.id.ok_or_else(|| Error::UnexpectedResponse {
            route: call_route::UPSERT,
            reason: "upsert result without id".into(),
        })?;
        Ok(UpsertResult {
            id,
            created: result.created.unwrap_or(reply.status == CREATED),
        })
    }
}

/// Route templates reported to the observer.
mod call_route {
    pub const GET: &str = "/sobjects/{object}/{id}";
    pub const CREATE: &str = "/sobjects/{object}";
    pub const UPSERT: &str = "/sobjects/{object}/{field}/{value}";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_body_strips_metadata() {
        let r = Record::of_type("Opportunity")
            .with("Id", "006000000000001")
            .with("Name", "x")
            .with("referral_id__c", "R-1");
        assert_eq!(
            write_body(&r, &[]),
            json!({"Name":"x","referral_id__c":"R-1"})
        );
        assert_eq!(write_body(&r, &["Referral_Id__c"]), json!({"Name":"x"}));
    }

    #[test]
    fn multiple_match_shapes() {
        assert_eq!(
            multiple_match_urls(&json!(["/a", "/b"])),
            vec!["/a".to_owned(), "/b".to_owned()]
        );
        assert_eq!(
            multiple_match_urls(&json!([{"attributes":{"url":"/c"}}])),
            vec!["/c".to_owned()]
        );
        assert!(multiple_match_urls(&json!({})).is_empty());
    }
}
