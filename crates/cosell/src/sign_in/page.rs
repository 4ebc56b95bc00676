//! The few pages of sign-in itself: refused (403), signed out, and a
//! sign-in that could not be completed.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    title: &'a str,
    message: &'a str,
    link: Option<(&'a str, &'a str)>,
}

/// A sign-in page with `status`, a message and an optional link.
pub fn page(
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(&str, &str)>,
) -> Response {
    match (SignInPage {
        title,
        message,
        link,
    })
    .render()
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "sign-in: page failed to render");
            (status, message.to_owned()).into_response()
        }
    }
}
