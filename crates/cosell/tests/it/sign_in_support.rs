//! Signing in without a browser: a client that keeps cookies (by name, as a
//! browser does for one host) and follows the OpenID Connect redirects by
//! hand, through the Partner Center emulator's authorize page.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

/// A cookie-keeping client that follows no redirects.
pub struct Visitor {
    http: reqwest::Client,
    /// Cookies by name.
    pub jar: BTreeMap<String, String>,
}

/// What a sign-in ended with.
pub struct SignedIn {
    /// Status of the callback's answer (303 when let in, 403 when refused).
    pub status: StatusCode,
    /// Where the callback sent the browser.
    pub location: Option<String>,
    /// The page shown (refusals).
    pub body: String,
}

impl Visitor {
    /// A visitor with no cookies.
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies `response` sets; a `Max-Age=0` one is dropped.
    fn keep(&mut self, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if text.contains("Max-Age=0") || value.is_empty() {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// Sends `request` with the cookies, keeps the new ones.
    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Response {
        let request = if self.jar.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookie_header())
        };
        let response = request.send().await.unwrap();
        self.keep(&response);
        response
    }

    /// GET with the cookies.
    pub async fn get(&mut self, url: &str) -> Response {
        let request = self.http.get(url);
        self.send(request).await
    }

    /// POST a form with the cookies.
    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Response {
        let request = self.http.post(url).form(form);
        self.send(request).await
    }

    /// A request builder on this visitor's client (send it with [`Self::send`]).
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }

    /// Signs in to the dashboard at `admin` as `user`, picking the user on
    /// the emulated Entra ID page.
    pub async fn sign_in(&mut self, admin: &str, user: &str) -> SignedIn {
        let start = self
            .get(&format!("{admin}/auth/sign-in?return_to=%2Fdead-letters"))
            .await;
        assert_eq!(
            start.status(),
            StatusCode::SEE_OTHER,
            "sign-in starts with a redirect"
        );
        let authorize = location(&start);
        assert!(authorize.contains("/oauth2/v2.0/authorize?"), "{authorize}");
        for part in [
            "code_challenge_method=S256",
            "nonce=",
            "state=",
            "scope=openid",
        ] {
            assert!(
                authorize.contains(part),
                "the authorize request has {part}: {authorize}"
            );
        }
        let page = self.get(&authorize).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text().await.unwrap().contains(user),
            "the page offers {user}"
        );
        let chosen = self
            .post_form(
                &authorize,
                &[(emulator::partner_center::USERNAME_FIELD, user)],
            )
            .await;
        assert_eq!(
            chosen.status(),
            StatusCode::FOUND,
            "Entra ID sends the browser back"
        );
        let callback = location(&chosen);
        assert!(
            callback.starts_with(&format!("{admin}/auth/callback?code=")),
            "{callback}"
        );
        let done = self.get(&callback).await;
        SignedIn {
            status: done.status(),
            location: done
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_owned()),
            body: done.text().await.unwrap(),
        }
    }
}

/// The `Location` of a redirect.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The CSRF token a page's forms carry.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}
