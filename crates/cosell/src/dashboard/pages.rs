//! The HTML pages (askama templates under `templates/`) and the two form
//! posts behind the Retry buttons. Forms work without JavaScript: a post
//! answers `303 See Other` with a flash cookie, the next page shows it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY_HEADER, LOCATION,
    REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use store::PairState;

use super::aws::{self, LinkDetail, LinkList};
use super::error::{parse_id, DashboardError};
use super::flash::{self, Flash, FlashView};
use super::format::When;
use super::view::{self, state_label, DeadLetters, Overview, PairCounts, PairDetail, PairList};
use super::{guard, DashboardState, Viewer};

/// Where a form post lands when it names no page to return to.
const DEFAULT_RETURN: &str = "/dead-letters";
/// The pair list.
const PAIRS_PATH: &str = "/pairs";
/// The AWS link list.
const AWS_LINKS_PATH: &str = "/aws/links";
/// Longest search text accepted (longer is cut).
const MAX_QUERY_CHARS: usize = 200;
/// Pages load nothing from elsewhere, run no script, post forms only here
/// and cannot be framed (so a Retry button cannot be clickjacked).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Security headers every page carries.
fn harden(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_SECURITY_POLICY_HEADER,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// What every page shows around its content.
pub struct Chrome {
    pub title: String,
    /// Which navigation entry is current.
    pub active: &'static str,
    pub flash: Option<FlashView>,
    /// Who is signed in, when sign-in is on.
    pub viewer: Option<Viewer>,
}

/// A state filter choice in the pair and link lists' forms.
pub struct StateOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// A number tile on the overview.
pub struct StateTile {
    pub key: &'static str,
    pub label: &'static str,
    pub count: u64,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    o: Overview,
    tiles: Vec<StateTile>,
    /// AWS links per state; empty when there is no AWS link (no panel).
    aws_tiles: Vec<StateTile>,
    to_salesforce: When,
    to_partner_center: When,
}

/// The search form and pager every list page shows.
pub struct ListChrome {
    /// The search text, as given.
    pub q: String,
    pub states: Vec<StateOption>,
    /// True when a search text or state filter narrows the list.
    pub filtered: bool,
    pub page: u32,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

#[derive(Template)]
#[template(path = "pairs.html")]
struct PairsPage {
    chrome: Chrome,
    list: PairList,
    lc: ListChrome,
}

#[derive(Template)]
#[template(path = "aws_links.html")]
struct LinksPage {
    chrome: Chrome,
    list: LinkList,
    lc: ListChrome,
}

#[derive(Template)]
#[template(path = "aws_link.html")]
struct LinkPage {
    chrome: Chrome,
    d: LinkDetail,
    return_to: String,
}

#[derive(Template)]
#[template(path = "pair.html")]
struct PairPage {
    chrome: Chrome,
    d: PairDetail,
    facts: Vec<(String, String)>,
    return_to: String,
}

#[derive(Template)]
#[template(path = "dead_letters.html")]
struct DeadLettersPage {
    chrome: Chrome,
    d: DeadLetters,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    reason: String,
    message: String,
}

/// Query of the pair list (page and API), parsed by hand so a bad value
/// gets our error message rather than the extractor's.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
}

impl ListParams {
    /// The search text, the state filter and the page number (from 1).
    pub fn parse(self) -> Result<(Option<String>, Option<PairState>, u32), DashboardError> {
        let q = self
            .q
            .map(|q| q.trim().chars().take(MAX_QUERY_CHARS).collect::<String>())
            .filter(|q| !q.is_empty());
        let state = match self.state.as_deref().map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(s) => Some(PairState::parse(s).ok_or_else(|| DashboardError::BadState(s.into()))?),
        };
        let page = match self.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| DashboardError::BadPage(p.into()))?,
        };
        Ok((q, state, page))
    }
}

/// A page answer: the HTML, plus the header clearing a shown flash.
pub struct Page {
    html: String,
    clear_flash: Option<(HeaderName, HeaderValue)>,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = Html(self.html).into_response();
        let headers = response.headers_mut();
        // Pages show live state; a back button must not show a stale list.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        harden(headers);
        if let Some((name, value)) = self.clear_flash {
            headers.append(name, value);
        }
        response
    }
}

/// An error shown as a page with its status.
pub struct PageError(DashboardError);

impl<E: Into<DashboardError>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let page = ErrorPage {
            chrome: Chrome {
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                active: "",
                flash: None,
                viewer: None,
            },
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error").to_owned(),
            message: self.0.public_message(),
        };
        match page.render() {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                harden(response.headers_mut());
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "dashboard: error page failed to render");
                (status, self.0.public_message()).into_response()
            }
        }
    }
}

pub type PageResult = Result<Page, PageError>;

/// The signed-in person, if sign-in put one in the request.
type MaybeViewer = Option<Extension<Viewer>>;

fn chrome(
    title: impl Into<String>,
    active: &'static str,
    headers: &HeaderMap,
    viewer: MaybeViewer,
) -> (Chrome, Option<(HeaderName, HeaderValue)>) {
    let (flash, clear) = flash::take(headers);
    (
        Chrome {
            title: title.into(),
            active,
            flash,
            viewer: viewer.map(|Extension(v)| v),
        },
        clear,
    )
}

/// `GET /`.
pub async fn overview(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
) -> PageResult {
    let o = view::overview(&state).await?;
    let tiles = state_tiles(&o.pairs);
    let aws_tiles = o.aws_links.as_ref().map(state_tiles).unwrap_or_default();
    let (chrome, clear_flash) = chrome("Overview", "overview", &headers, viewer);
    let page = OverviewPage {
        chrome,
        aws_tiles,
        to_salesforce: o.last_sync.to_salesforce(),
        to_partner_center: o.last_sync.to_partner_center(),
        o,
        tiles,
    };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

/// `GET /pairs?q=&state=&page=`.
pub async fn pairs(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> PageResult {
    let (q, filter, page) = params.parse()?;
    let list = view::pair_list(&state, q.clone(), filter, page).await?;
    let lc = ListChrome::new(PAIRS_PATH, q, filter, list.page, list.has_more);
    let (chrome, clear_flash) = chrome(list_title("Pairs", &lc.q), "pairs", &headers, viewer);
    let page = PairsPage { chrome, list, lc };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

/// `GET /aws/links?q=&state=&page=`.
pub async fn aws_links(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> PageResult {
    let (q, filter, page) = params.parse()?;
    let list = aws::link_list(&state, q.clone(), filter, page).await?;
    let lc = ListChrome::new(AWS_LINKS_PATH, q, filter, list.page, list.has_more);
    let title = list_title("AWS links", &lc.q);
    let (chrome, clear_flash) = chrome(title, "aws", &headers, viewer);
    let page = LinksPage { chrome, list, lc };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

/// `GET /aws/links/{id}`.
pub async fn aws_link(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    let d = aws::link_detail(&state, id).await?;
    let (chrome, clear_flash) = chrome(d.link.name.clone(), "aws", &headers, viewer);
    let page = LinkPage {
        chrome,
        return_to: format!("{AWS_LINKS_PATH}/{id}"),
        d,
    };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

impl ListChrome {
    /// The form and pager of the list at `path` with these filters.
    fn new(
        path: &str,
        q: Option<String>,
        filter: Option<PairState>,
        page: u32,
        has_more: bool,
    ) -> Self {
        let href = |page: u32| list_href(path, q.as_deref(), filter, page);
        Self {
            prev_href: (page > 1).then(|| href(page - 1)),
            next_href: has_more.then(|| href(page + 1)),
            states: PairState::ALL
                .into_iter()
                .map(|s| StateOption {
                    value: s.as_str(),
                    label: state_label(s),
                    selected: filter == Some(s),
                })
                .collect(),
            filtered: q.is_some() || filter.is_some(),
            q: q.unwrap_or_default(),
            page,
        }
    }
}

/// A list page's title, naming the search.
fn list_title(what: &str, q: &str) -> String {
    if q.is_empty() {
        what.to_owned()
    } else {
        format!("{what} matching “{q}”")
    }
}

/// The overview's number tile per state.
fn state_tiles(counts: &PairCounts) -> Vec<StateTile> {
    PairState::ALL
        .into_iter()
        .map(|s| StateTile {
            key: s.as_str(),
            label: state_label(s),
            count: counts.of(s),
        })
        .collect()
}

/// `GET /pairs/{id}`.
pub async fn pair(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    let d = view::pair_detail(&state, id).await?;
    let (chrome, clear_flash) = chrome(d.pair.name.clone(), "pairs", &headers, viewer);
    let page = PairPage {
        chrome,
        facts: d.deal_facts(),
        return_to: format!("/pairs/{id}"),
        d,
    };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

/// `GET /dead-letters`.
pub async fn dead_letters(
    State(state): State<DashboardState>,
    viewer: MaybeViewer,
    headers: HeaderMap,
) -> PageResult {
    let d = view::dead_letters(&state).await?;
    let (chrome, clear_flash) = chrome("Dead letters", "dead-letters", &headers, viewer);
    let page = DeadLettersPage { chrome, d };
    Ok(Page {
        html: page.render()?,
        clear_flash,
    })
}

/// `POST /dead-letters/{id}/retry` (form): back to the page with a flash.
pub async fn retry_one(
    State(state): State<DashboardState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    guard::same_origin(&headers)?;
    let id = parse_id(&id)?;
    let back = return_to(&body);
    let flash = match view::retry_one(&state, id).await {
        Ok(_) => {
            tracing::info!(job = %id, "dead letter retried from the dashboard");
            Flash::Retried(id)
        }
        Err(DashboardError::NotDead { .. }) => Flash::NotDead(id),
        Err(DashboardError::JobNotFound(_)) => Flash::Gone(id),
        Err(e) => return Err(e.into()),
    };
    Ok(see_other(&back, &flash))
}

/// `POST /dead-letters/retry-all` (form).
pub async fn retry_all(
    State(state): State<DashboardState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    guard::same_origin(&headers)?;
    let back = return_to(&body);
    let n = view::retry_all(&state).await?;
    tracing::info!(retried = n, "all dead letters retried from the dashboard");
    Ok(see_other(&back, &Flash::RetriedAll(n)))
}

fn see_other(location: &str, flash: &Flash) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static(DEFAULT_RETURN));
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, location), (SET_COOKIE, flash.set_cookie())],
    )
        .into_response()
}

/// The form's `return_to`, if it is a path on this site; else the dead
/// letters page (an absolute or scheme-relative URL would be an open redirect).
fn return_to(body: &[u8]) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .filter(|v| is_local_path(v))
        .unwrap_or_else(|| DEFAULT_RETURN.to_owned())
}

/// True for a path on this site (not an absolute or scheme-relative URL).
pub(crate) fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

/// A link to a page of the list at `path` with the same filters.
fn list_href(path: &str, q: Option<&str>, state: Option<PairState>, page: u32) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = q {
        query.append_pair("q", q);
    }
    if let Some(s) = state {
        query.append_pair("state", s.as_str());
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_only_local_paths() {
        assert_eq!(return_to(b"return_to=%2Fpairs%2Fabc"), "/pairs/abc");
        for bad in [
            "return_to=https%3A%2F%2Fevil.example",
            "return_to=%2F%2Fevil.example",
            "return_to=%2F%5Cevil.example",
            "return_to=%2Fa%0D%0ASet-Cookie%3A+x",
            "",
        ] {
            assert_eq!(return_to(bad.as_bytes()), DEFAULT_RETURN, "{bad}");
        }
    }

    #[test]
    fn list_links_keep_the_filters() {
        assert_eq!(list_href(PAIRS_PATH, None, None, 1), "/pairs");
        assert_eq!(
            list_href(PAIRS_PATH, Some("a&b c"), Some(PairState::OnHold), 2),
            "/pairs?q=a%26b+c&state=on_hold&page=2"
        );
        assert_eq!(
            list_href(AWS_LINKS_PATH, None, Some(PairState::Failed), 1),
            "/aws/links?state=failed"
        );
    }

    #[test]
    fn list_params_are_checked() {
        let p = |q: Option<&str>, s: Option<&str>, page: Option<&str>| {
            ListParams {
                q: q.map(Into::into),
                state: s.map(Into::into),
                page: page.map(Into::into),
            }
            .parse()
        };
        assert_eq!(
            p(Some("  x "), Some(""), None).unwrap(),
            (Some("x".into()), None, 1)
        );
        assert_eq!(
            p(None, Some("failed"), Some("3")).unwrap().1,
            Some(PairState::Failed)
        );
        assert!(matches!(
            p(None, Some("nope"), None),
            Err(DashboardError::BadState(_))
        ));
        assert!(matches!(
            p(None, None, Some("0")),
            Err(DashboardError::BadPage(_))
        ));
        assert!(matches!(
            p(None, None, Some("x")),
            Err(DashboardError::BadPage(_))
        ));
    }
}
