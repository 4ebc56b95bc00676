//! sObject Collections: up to 200 records per call (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>).
//!
//! Larger inputs are split into chunks of [`COLLECTION_LIMIT`] and sent one
//! chunk after another; results come back in input order. `all_or_none`
//! therefore holds per chunk: a failure in one chunk does not roll back
//! chunks already committed.

use reqwest::Method;
use serde_json::{json, Value};

use super::transport::Call;
use super::{validate_field_name, validate_id, validate_object, SalesforceClient};
use crate::error::Error;
use crate::record::{Record, ATTRIBUTES};
use crate::types::SaveResult;

/// Most records (or ids) one Collections call accepts.
pub const COLLECTION_LIMIT: usize = 200;

const ROUTE: &str = "/composite/sobjects";
const ROUTE_TYPED: &str = "/composite/sobjects/{object}";
const ROUTE_UPSERT: &str = "/composite/sobjects/{object}/{field}";

/// Checks that Salesforce answered one result per record.
fn expect_len<T>(results: Vec<T>, sent: usize, route: &'static str) -> Result<Vec<T>, Error> {
    if results.len() == sent {
        Ok(results)
    } else {
        Err(Error::UnexpectedResponse {
            route,
            reason: format!("{} results for {sent} records", results.len()),
        })
    }
}

/// The record as Collections expects it: `attributes.type` present and valid.
fn typed_record(record: &Record, index: usize, default_type: Option<&str>) -> Result<Value, Error> {
    let mut r = record.clone();
    match (r.object_type().map(str::to_owned), default_type) {
        (Some(t), _) => validate_object(&t)?,
        (None, Some(t)) => {
            r.set_type(t);
        }
        (None, None) => {
            return Err(Error::InvalidInput(format!(
                "record {index} has no attributes.type"
            )))
        }
    }
    // Only `type` is meaningful in a request; drop any `url` echoed from a read.
    if let Some(Value::Object(attrs)) = r.as_map_mut().get_mut(ATTRIBUTES) {
        attrs.retain(|k, _| k == "type");
    }
    Ok(r.into())
}

impl SalesforceClient {
    /// Creates records (types may be mixed; each needs `attributes.type`).
    #[tracing::instrument(level = "debug", skip(self, records), fields(count = records.len()))]
    pub async fn create_many(
        &self,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveResult>, Error> {
        let mut out = Vec::with_capacity(records.len());
        for (chunk_no, chunk) in records.chunks(COLLECTION_LIMIT).enumerate() {
            let base = chunk_no * COLLECTION_LIMIT;
            let body: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    if r.id().is_some() {
                        return Err(Error::InvalidInput(format!(
                            "record {} already has an Id",
                            base + i
                        )));
                    }
                    typed_record(r, base + i, None)
                })
                .collect::<Result<_, _>>()?;
            let call = Call::new(Method::POST, self.api_path("composite/sobjects"), ROUTE)
                .json(json!({"allOrNone": all_or_none, "records": body}));
            let results: Vec<SaveResult> = self.execute(call).await?.json(ROUTE)?;
            out.extend(expect_len(results, chunk.len(), ROUTE)?);
        }
        Ok(out)
    }

    /// Updates records (each needs `attributes.type` and `Id`).
    #[tracing::instrument(level = "debug", skip(self, records), fields(count = records.len()))]
    pub async fn update_many(
        &self,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveResult>, Error> {
        let mut out = Vec::with_capacity(records.len());
        for (chunk_no, chunk) in records.chunks(COLLECTION_LIMIT).enumerate() {
            let base = chunk_no * COLLECTION_LIMIT;
            let body: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = r.id().ok_or_else(|| {
                        Error::InvalidInput(format!("record {} has no Id", base + i))
                    })?;
                    validate_id(id)?;
                    // The documented update body spells the key `id`.
                    let mut r = r.clone();
                    let id = r.remove("Id").unwrap_or_default();
                    r.set("id", id);
                    typed_record(&r, base + i, None)
                })
                .collect::<Result<_, _>>()?;
            let call = Call::new(Method::PATCH, self.api_path("composite/sobjects"), ROUTE)
                .json(json!({"allOrNone": all_or_none, "records": body}));
            let results: Vec<SaveResult> = self.execute(call).await?.json(ROUTE)?;
            out.extend(expect_len(results, chunk.len(), ROUTE)?);
        }
        Ok(out)
    }

    /// Upserts records of one type by external id; each record carries `ext_field`.
    #[tracing::instrument(level = "debug", skip(self, records), fields(count = records.len()))]
    pub async fn upsert_many(
        &self,
        object: &str,
        ext_field: &str,
        records: &[Record],
        all_or_none: bool,
    ) -> Result<Vec<SaveResult>, Error> {
        validate_object(object)?;
        crate::soql::validate_object(ext_field)?;
        let path = self.api_path(&format!("composite/sobjects/{object}/{ext_field}"));
        let mut out = Vec::with_capacity(records.len());
        for (chunk_no, chunk) in records.chunks(COLLECTION_LIMIT).enumerate() {
            let base = chunk_no * COLLECTION_LIMIT;
            let body: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    if !r.has(ext_field) {
                        return Err(Error::InvalidInput(format!(
                            "record {} has no value for {ext_field}",
                            base + i
                        )));
                    }
                    match r.object_type() {
                        Some(t) if t != object => Err(Error::InvalidInput(format!(
                            "record {} is a {t}, not a {object}",
                            base + i
                        ))),
                        _ => typed_record(r, base + i, Some(object)),
                    }
                })
                .collect::<Result<_, _>>()?;
            let call = Call::new(Method::PATCH, path.clone(), ROUTE_UPSERT)
                .json(json!({"allOrNone": all_or_none, "records": body}));
            let results: Vec<SaveResult> = self.execute(call).await?.json(ROUTE_UPSERT)?;
            out.extend(expect_len(results, chunk.len(), ROUTE_UPSERT)?);
        }
        Ok(out)
    }

    /// Deletes records by id (types may be mixed).
    #[tracing::instrument(level = "debug", skip(self, ids), fields(count = ids.len()))]
    pub async fn delete_many<S: AsRef<str>>(
        &self,
        ids: &[S],
        all_or_none: bool,
    ) -> Result<Vec<SaveResult>, Error> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(COLLECTION_LIMIT) {
            let list = join_ids(chunk)?;
            let call = Call::new(Method::DELETE, self.api_path("composite/sobjects"), ROUTE)
                .query("ids", list)
                .query("allOrNone", all_or_none.to_string());
            let results: Vec<SaveResult> = self.execute(call).await?.json(ROUTE)?;
            out.extend(expect_len(results, chunk.len(), ROUTE)?);
        }
        Ok(out)
    }

    /// Reads records of one type by id; `None` where an id matched nothing.
    #[tracing::instrument(level = "debug", skip(self, ids, fields), fields(count = ids.len()))]
    pub async fn retrieve_many<S: AsRef<str>>(
        &self,
        object: &str,
        ids: &[S],
        fields: &[&str],
    ) -> Result<Vec<Option<Record>>, Error> {
        validate_object(object)?;
        if fields.is_empty() {
            return Err(Error::InvalidInput(
                "retrieve_many needs at least one field".into(),
            ));
        }
        for f in fields {
            validate_field_name(f)?;
        }
        let path = self.api_path(&format!("composite/sobjects/{object}"));
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(COLLECTION_LIMIT) {
            let call = Call::new(Method::GET, path.clone(), ROUTE_TYPED)
                .query("ids", join_ids(chunk)?)
                .query("fields", fields.join(","));
            let results: Vec<Option<Record>> = self.execute(call).await?.json(ROUTE_TYPED)?;
            out.extend(expect_len(results, chunk.len(), ROUTE_TYPED)?);
        }
        Ok(out)
    }
}

fn join_ids<S: AsRef<str>>(ids: &[S]) -> Result<String, Error> {
    let mut list = String::new();
    for (i, id) in ids.iter().enumerate() {
        validate_id(id.as_ref())?;
        if i > 0 {
            list.push(',');
        }
        list.push_str(id.as_ref());
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_record_rules() {
        let r = Record::new().with("Name", "x");
        assert!(typed_record(&r, 0, None).is_err());
        let v = typed_record(&r, 0, Some("Account")).unwrap();
        assert_eq!(v["attributes"]["type"], "Account");
        let mut read = Record::of_type("Account");
        read.as_map_mut()["attributes"]["url"] = "/services/data/v62.0/sobjects/Account/x".into();
        let v = typed_record(&read, 0, None).unwrap();
        assert!(v["attributes"].get("url").is_none());
        assert!(typed_record(&Record::of_type("Bad Type"), 0, None).is_err());
    }
}
