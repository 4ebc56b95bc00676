//! Refuses state-changing requests that a browser sent on behalf of another
//! site (cross-site request forgery), so a web page elsewhere cannot press
//! Retry for an admin who has the dashboard open.
//!
//! Browsers mark such requests: `Sec-Fetch-Site: cross-site` (Fetch Metadata)
//! and an `Origin` header naming the other site. Clients that are not
//! browsers (curl, scripts) send neither and are let through.

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;

use super::error::DashboardError;

/// Header of the Fetch Metadata request headers naming the request's origin relation.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Ok when the request comes from the dashboard itself or from a non-browser client.
pub fn same_origin(headers: &HeaderMap) -> Result<(), DashboardError> {
    if let Some(site) = headers.get(SEC_FETCH_SITE).and_then(|v| v.to_str().ok()) {
        // `same-origin` and `none` (typed by the user) are fine; `same-site`
        // may be a sibling host, so it is judged by Origin below.
        if site.eq_ignore_ascii_case("cross-site") {
            return Err(DashboardError::CrossSite);
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| DashboardError::CrossSite)?;
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or(DashboardError::CrossSite)?;
    let origin_host = url::Url::parse(origin)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .ok_or(DashboardError::CrossSite)?;
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(DashboardError::CrossSite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn scripts_without_browser_headers_pass() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")])).is_ok());
    }

    #[test]
    fn the_dashboards_own_forms_pass() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(same_origin(&h).is_ok());
    }

    #[test]
    fn other_sites_are_refused() {
        let cross = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(same_origin(&cross).is_err());
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(same_origin(&other).is_err());
        let opaque = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(same_origin(&opaque).is_err());
    }
}
