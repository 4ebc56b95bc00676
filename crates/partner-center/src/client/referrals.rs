//! `ReferralsClient`: list (with OData paging), get, create, patch and put referrals.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue, IF_MATCH};
use reqwest::Method;
use url::Url;

use super::core::{Call, Core, Idempotency};
use crate::auth::TokenSource;
use crate::error::Error;
use crate::observer::{Api, CallObserver};
use crate::odata::ReferralQuery;
use crate::retry::RetryPolicy;
use crate::wire::{Listing, PatchOperation, RawReferralPage, Referral, ReferralPage};

/// The production Referrals API base URL (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
pub const DEFAULT_REFERRALS_BASE_URL: &str = "https://api.partner.microsoft.com/v1.0/engagements";

/// Route labels (templates) for call records.
const ROUTE_COLLECTION: &str = "/referrals";
const ROUTE_ITEM: &str = "/referrals/{id}";
/// `Prefer` value asking PATCH to return the updated referral (200) instead of 204.
const PREFER_REPRESENTATION: HeaderValue = HeaderValue::from_static("return=representation");

/// Options of a PATCH.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchOptions {
    /// eTag for optimistic concurrency (sent verbatim in `If-Match`); 412 on mismatch.
    pub if_match: Option<String>,
    /// Send `Prefer: return=representation` to get the updated referral back.
    pub return_representation: bool,
}

/// Client of the Partner Center Referrals API.
#[derive(Clone)]
pub struct ReferralsClient {
    core: Core,
    /// What the service does with undocumented filters, shared by clones.
    pub(super) learnt: Arc<super::lookups::Learnt>,
}

impl std::fmt::Debug for ReferralsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferralsClient")
            .field("base_url", &self.core.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ReferralsClient {
    /// A client for `base_url` (e.g. [`DEFAULT_REFERRALS_BASE_URL`] or an emulator).
    pub fn new(base_url: Url, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            core: Core::new(Api::Referrals, base_url, tokens),
            learnt: Arc::default(),
        }
    }

    /// Uses this HTTP client (timeouts, proxies); redirects should stay disabled.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.core.http = http;
        self
    }

    /// Uses this retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.core.retry = retry;
        self
    }

    /// Reports every HTTP attempt to `observer`.
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.core.observer = Some(observer);
        self
    }

    /// A copy that sends `MS-CorrelationId: id` on every call.
    pub fn with_correlation_id(&self, id: &str) -> Result<Self, Error> {
        let mut copy = self.clone();
        copy.core.correlation_id = Some(HeaderValue::from_str(id).map_err(|_| {
            Error::InvalidInput("correlation id is not a valid header value".into())
        })?);
        Ok(copy)
    }

    /// The configured base URL.
    pub fn base_url(&self) -> &Url {
        &self.core.base_url
    }

    /// `GET /referrals` with OData options: one page.
    #[tracing::instrument(skip_all, fields(query = %query.to_query_string()))]
    pub async fn list(&self, query: &ReferralQuery) -> Result<ReferralPage, Error> {
        let url = self.core.url(ROUTE_COLLECTION, &query.to_query_string())?;
        self.get_page(url).await
    }

    /// Follows an `@odata.nextLink` exactly as the service returned it (the documented
    /// links even lack `/engagements`, so rebuilding them would be wrong, <https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>).
    ///
    /// The link must point at the configured host, so the bearer token never goes
    /// elsewhere; an `http` link is upgraded to `https` when the base URL is `https`
    /// (the doc samples show `http://` links; a token must not travel in clear).
    #[tracing::instrument(skip_all)]
    pub async fn next_page(&self, next_link: &str) -> Result<ReferralPage, Error> {
        let url = self.resolve_link(next_link)?;
        self.get_page(url).await
    }

    /// Every referral matching `query`, following `@odata.nextLink` until absent.
    /// A referral that does not decode fails the whole listing; see
    /// [`Self::list_all_lenient`] to set it aside instead.
    #[tracing::instrument(skip_all, fields(query = %query.to_query_string()))]
    pub async fn list_all(&self, query: &ReferralQuery) -> Result<Vec<Referral>, Error> {
        let listing = self.list_all_lenient(query).await?;
        match listing.undecodable.into_iter().next() {
            Some(bad) => Err(Error::Decode {
                message: bad.reason,
                request_id: None,
            }),
            None => Ok(listing.referrals),
        }
    }

    /// Every referral matching `query`, following `@odata.nextLink` until
    /// absent; a referral that does not decode is set aside with its reason
    /// and the rest of its page still comes back.
    #[tracing::instrument(skip_all, fields(query = %query.to_query_string()))]
    pub async fn list_all_lenient(&self, query: &ReferralQuery) -> Result<Listing, Error> {
        let url = self.core.url(ROUTE_COLLECTION, &query.to_query_string())?;
        let mut page: RawReferralPage = self.get_page(url).await?;
        let mut listing = Listing::default();
        listing.add_page(std::mem::take(&mut page.value));
        let mut seen = HashSet::new();
        while let Some(link) = page.next_link.take() {
            if !seen.insert(link.clone()) {
                return Err(Error::Decode {
                    message: "@odata.nextLink repeats an earlier page".into(),
                    request_id: None,
                });
            }
            page = self.get_page(self.resolve_link(&link)?).await?;
            listing.add_page(std::mem::take(&mut page.value));
        }
        Ok(listing)
    }

    /// `GET /referrals/{id}`.
    #[tracing::instrument(skip(self), fields(referral_id = %id))]
    pub async fn get(&self, id: &str) -> Result<Referral, Error> {
        let call = Call {
            method: Method::GET,
            url: self.item_url(id)?,
            route: ROUTE_ITEM,
            body: None,
            headers: HeaderMap::new(),
            idempotency: Idempotency::Idempotent,
        };
        self.core.execute(call).await?.json()
    }

    /// `POST /referrals`; the service answers 200 (connector swagger) or 201
    /// (response-codes page), both accepted (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
    ///
    /// A create is not idempotent, so it is retried only when the service cannot
    /// have acted on it (429, 503, connect failure).
    #[tracing::instrument(skip_all, fields(external_reference_id = ?referral.external_reference_id))]
    pub async fn create(&self, referral: &Referral) -> Result<Referral, Error> {
        let call = Call {
            method: Method::POST,
            url: self.core.url(ROUTE_COLLECTION, "")?,
            route: ROUTE_COLLECTION,
            body: Some(to_json(referral)?),
            headers: HeaderMap::new(),
            idempotency: Idempotency::NonIdempotent,
        };
        self.core.execute(call).await?.json()
    }

    /// `PATCH /referrals/{id}` with JSON Patch `add`/`replace` operations.
    /// Returns the updated referral when the service sends one (200 with
    /// `Prefer: return=representation`), `None` on `204 No Content`.
    #[tracing::instrument(skip(self, ops), fields(referral_id = %id, ops = ops.len()))]
    pub async fn patch(
        &self,
        id: &str,
        ops: &[PatchOperation],
        options: PatchOptions,
    ) -> Result<Option<Referral>, Error> {
        if ops.is_empty() {
            return Err(Error::InvalidInput(
                "a PATCH needs at least one operation".into(),
            ));
        }
        let mut headers = HeaderMap::new();
        if let Some(etag) = &options.if_match {
            headers.insert(IF_MATCH, etag_header(etag)?);
        }
        if options.return_representation {
            headers.insert(
                reqwest::header::HeaderName::from_static("prefer"),
                PREFER_REPRESENTATION,
            );
        }
        // Replaces are idempotent; appends (`add` on `/-`) are not unless If-Match guards them.
        let idempotency = if options.if_match.is_some()
            || ops
                .iter()
                .all(|op| matches!(op, PatchOperation::Replace { .. }))
        {
            Idempotency::Idempotent
        } else {
            Idempotency::NonIdempotent
        };
        let call = Call {
            method: Method::PATCH,
            url: self.item_url(id)?,
            route: ROUTE_ITEM,
            body: Some(to_json(ops)?),
            headers,
            idempotency,
        };
        let success = self.core.execute(call).await?;
        if success.status == 204 || success.is_empty() {
            return Ok(None);
        }
        success.json().map(Some)
    }

    /// `PUT /referrals/{id}` (legacy full replace): `links` is removed from the body
    /// and `If-Match` is required (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>). Returns the referral if the service sends it.
    #[tracing::instrument(skip(self, referral, if_match), fields(referral_id = ?referral.id))]
    pub async fn put(
        &self,
        referral: &Referral,
        if_match: &str,
    ) -> Result<Option<Referral>, Error> {
        let id = referral
            .id
            .as_deref()
            .ok_or_else(|| Error::InvalidInput("a PUT needs the referral id".into()))?;
        let mut headers = HeaderMap::new();
        headers.insert(IF_MATCH, etag_header(if_match)?);
        let call = Call {
            method: Method::PUT,
            url: self.item_url(id)?,
            route: ROUTE_ITEM,
            body: Some(to_json(&referral.without_links())?),
            headers,
            idempotency: Idempotency::Idempotent,
        };
        let success = self.core.execute(call).await?;
        if success.is_empty() {
            return Ok(None);
        }
        success.json().map(Some)
    }

    async fn get_page<T: serde::de::DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        let call = Call {
            method: Method::GET,
            url,
            route: ROUTE_COLLECTION,
            body: None,
            headers: HeaderMap::new(),
            idempotency: Idempotency::Idempotent,
        };
        self.core.execute(call).await?.json()
    }

    fn item_url(&self, id: &str) -> Result<Url, Error> {
        if id.is_empty() {
            return Err(Error::InvalidInput("empty referral id".into()));
        }
        self.core.url(
            &format!("{ROUTE_COLLECTION}/{}", urlencoding::encode(id)),
            "",
        )
    }

    fn resolve_link(&self, link: &str) -> Result<Url, Error> {
        let base = &self.core.base_url;
        let mut url = base
            .join(link)
            .map_err(|e| Error::InvalidInput(format!("bad @odata.nextLink: {e}")))?;
        if url.host_str().map(str::to_ascii_lowercase)
            != base.host_str().map(str::to_ascii_lowercase)
        {
            return Err(Error::InvalidInput(
                "@odata.nextLink points at another host; refusing to send credentials there".into(),
            ));
        }
        if url.scheme() == "http" && base.scheme() == "https" {
            url.set_scheme("https").map_err(|_| {
                Error::InvalidInput("cannot upgrade @odata.nextLink to https".into())
            })?;
            if url.port() == Some(80) {
                let _ = url.set_port(None);
            }
        }
        if url.port_or_known_default() != base.port_or_known_default() {
            return Err(Error::InvalidInput(
                "@odata.nextLink points at another port; refusing to send credentials there".into(),
            ));
        }
        Ok(url)
    }
}

/// eTags are sent verbatim, inner quotes included (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
fn etag_header(etag: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(etag)
        .map_err(|_| Error::InvalidInput("eTag is not a valid header value".into()))
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value)
        .map_err(|e| Error::InvalidInput(format!("cannot serialise body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaticToken;
    use secrecy::SecretString;

    fn client(base: &str) -> ReferralsClient {
        ReferralsClient::new(
            Url::parse(base).unwrap(),
            Arc::new(StaticToken::new(SecretString::from("t"))),
        )
    }

    #[test]
    fn next_links_are_used_verbatim_on_the_same_host() {
        let c = client("https://api.partner.microsoft.com/v1.0/engagements");
        let url = c
            .resolve_link(
                "http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=k181pEdP0ykypkieJfcxX",
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.partner.microsoft.com/v1.0/referrals?$skiptoken=k181pEdP0ykypkieJfcxX"
        );
        assert!(c
            .resolve_link("https://evil.example/v1.0/referrals?$skiptoken=x")
            .is_err());
        let local = client("http://127.0.0.1:8080/v1.0/engagements/");
        assert_eq!(
            local
                .resolve_link("http://127.0.0.1:8080/x/y?$skiptoken=a")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/x/y?$skiptoken=a"
        );
        assert!(local.resolve_link("http://127.0.0.1:9999/x").is_err());
    }

    #[test]
    fn item_urls_encode_ids() {
        let c = client("https://h/v1.0/engagements/");
        assert_eq!(
            c.item_url("a/b?c").unwrap().as_str(),
            "https://h/v1.0/engagements/referrals/a%2Fb%3Fc"
        );
        assert!(c.item_url("").is_err());
    }
}
