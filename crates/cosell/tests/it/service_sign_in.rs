//! Sign-in on the admin listener, end to end against the Partner Center
//! emulator playing Entra ID: anonymous people are sent to sign in and
//! scripts get 401, the bearer token still reads `/api` and `/metrics`, only
//! allowed people get in, a changed cookie signs its holder out, and every
//! write of a session needs the session's CSRF token.

use emulator::partner_center::{DEMO_ADMIN, DEMO_SELLER};
use reqwest::{Method, StatusCode};

use crate::service_support::{spawn_app_with, AppOptions, TestApp};
use crate::sign_in_support::{csrf_token, location, Visitor};

const TOKEN: &str = "scraper-token-7f3e";

async fn app() -> TestApp {
    spawn_app_with(AppOptions {
        sign_in: true,
        admin_token: Some(TOKEN.to_owned()),
        ..Default::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_people_are_sent_to_sign_in_and_scripts_need_the_token() {
    let app = app().await;
    let admin = app.admin_url();
    let mut anonymous = Visitor::new();

    for path in ["/", "/pairs?q=a", "/dead-letters"] {
        let page = anonymous.get(&format!("{admin}{path}")).await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{path}");
        let to = location(&page);
        let expected = format!(
            "/auth/sign-in?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", path)
                .finish()
        );
        assert_eq!(to, expected, "{path}");
    }
    let post = anonymous
        .post_form(&format!("{admin}/dead-letters/retry-all"), &[])
        .await;
    assert_eq!(
        post.status(),
        StatusCode::SEE_OTHER,
        "an anonymous form post signs in first"
    );

    for (method, path) in [
        (Method::GET, "/api/overview"),
        (Method::GET, "/metrics"),
        (Method::POST, "/api/dead-letters/retry-all"),
    ] {
        let request = anonymous.request(method.clone(), &format!("{admin}{path}"));
        let answer = anonymous.send(request).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("sign-in required"),
            "{body}"
        );
    }

    // Scrapers with the bearer token read /metrics and the API.
    for path in ["/metrics", "/api/overview"] {
        let answer = app
            .http
            .get(format!("{admin}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path} with the token");
    }
    // The readiness probe needs nothing.
    assert_ne!(app.get("/readyz").await.status(), StatusCode::UNAUTHORIZED);

    // A rebinding page's Host is refused before anything else.
    for path in ["/", "/auth/sign-in", "/api/overview"] {
        let forged = app
            .http
            .get(format!("{admin}{path}"))
            .header("host", "rebind.attacker.example")
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_person_signs_in_and_writes_only_with_the_csrf_token() {
    let app = app().await;
    let admin = app.admin_url();
    let mut ada = Visitor::new();

    let signed_in = ada.sign_in(&admin, DEMO_ADMIN).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/dead-letters"),
        "back where she started"
    );
    let session = ada
        .jar
        .keys()
        .find(|k| k.contains("cosell_session"))
        .cloned()
        .expect("a session cookie");
    assert!(
        !ada.jar.keys().any(|k| k.contains("cosell_sign_in")),
        "the in-flight cookie is gone"
    );

    let page = ada.get(&format!("{admin}/dead-letters")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Ada Admin"),
        "the page names who is signed in"
    );
    let token = csrf_token(&html);
    let api = ada.get(&format!("{admin}/api/overview")).await;
    assert_eq!(api.status(), StatusCode::OK, "a session reads the API too");

    // Writes without the session's token are refused.
    let retry = format!("{admin}/dead-letters/retry-all");
    for form in [vec![], vec![("csrf_token", "guess")]] {
        let refused = ada.post_form(&retry, &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    let api_retry = format!("{admin}/api/dead-letters/retry-all");
    let request = ada.request(Method::POST, &api_retry);
    assert_eq!(ada.send(request).await.status(), StatusCode::FORBIDDEN);

    // With it they go through.
    let done = ada.post_form(&retry, &[("csrf_token", &token)]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/dead-letters");
    let request = ada
        .request(Method::POST, &api_retry)
        .header("x-csrf-token", &token);
    assert_eq!(ada.send(request).await.status(), StatusCode::OK);

    // Sign-out needs the token as well, then ends the session.
    let refused = ada.post_form(&format!("{admin}/auth/sign-out"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = ada
        .post_form(&format!("{admin}/auth/sign-out"), &[("csrf_token", &token)])
        .await;
    assert_eq!(location(&out), "/auth/signed-out");
    assert!(
        !ada.jar.contains_key(&session),
        "the session cookie is cleared"
    );
    let after = ada.get(&format!("{admin}/")).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_not_on_the_allow_list_and_changed_cookies_are_refused() {
    let app = app().await;
    let admin = app.admin_url();

    // Sam signs in at Entra ID but is in no allowed group.
    let mut sam = Visitor::new();
    let refused = sam.sign_in(&admin, DEMO_SELLER).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains(&format!(
            "{DEMO_SELLER} is not allowed to use this dashboard"
        )),
        "{}",
        refused.body
    );
    assert!(
        !sam.jar.keys().any(|k| k.contains("cosell_session")),
        "no session for Sam"
    );
    assert_eq!(
        sam.get(&format!("{admin}/")).await.status(),
        StatusCode::SEE_OTHER
    );

    // Ada's cookie with one character changed is no session at all.
    let mut ada = Visitor::new();
    assert_eq!(
        ada.sign_in(&admin, DEMO_ADMIN).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(ada.get(&format!("{admin}/")).await.status(), StatusCode::OK);
    let (name, value) = ada
        .jar
        .iter()
        .find(|(k, _)| k.contains("cosell_session"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    let mut changed = value.into_bytes();
    let i = changed.len() / 2;
    changed[i] = if changed[i] == b'x' { b'y' } else { b'x' };
    ada.jar.insert(name, String::from_utf8(changed).unwrap());
    assert_eq!(
        ada.get(&format!("{admin}/")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ada.get(&format!("{admin}/api/overview")).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_does_not_belong_to_the_sign_in_is_refused() {
    let app = app().await;
    let admin = app.admin_url();
    let mut visitor = Visitor::new();
    let start = visitor.get(&format!("{admin}/auth/sign-in")).await;
    let authorize = location(&start);
    let chosen = visitor
        .post_form(
            &authorize,
            &[(emulator::partner_center::USERNAME_FIELD, DEMO_ADMIN)],
        )
        .await;
    let callback = location(&chosen);

    // Another state than the one sent: refused, and the code is not redeemed.
    let forged = callback.replace("state=", "state=x");
    let refused = visitor.get(&forged).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("does not belong to this sign-in"));

    // Without the in-flight cookie (another browser): refused.
    let mut stranger = Visitor::new();
    assert_eq!(
        stranger.get(&callback).await.status(),
        StatusCode::BAD_REQUEST
    );
}
