//! One-shot messages after a form post ("post, redirect, get"): the POST
//! handler sets a short-lived cookie holding a code, the next page shows the
//! matching sentence and clears the cookie. Only codes travel, never text, so
//! a forged cookie can at most pick one of our own sentences.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use uuid::Uuid;

/// Cookie carrying the flash code.
const COOKIE_NAME: &str = "cosell_flash";
/// A flash not shown within this many seconds is dropped.
const MAX_AGE_SECS: u32 = 60;

/// A message to show once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    /// One dead job is pending again.
    Retried(Uuid),
    /// Every dead job is pending again.
    RetriedAll(u64),
    /// The job was not dead (someone retried it already, or it recovered).
    NotDead(Uuid),
    /// The job no longer exists.
    Gone(Uuid),
}

/// A flash as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashView {
    /// `success` or `warning`, for the CSS class.
    pub level: &'static str,
    pub text: String,
}

impl Flash {
    fn code(&self) -> String {
        match self {
            Self::Retried(id) => format!("retried.{id}"),
            Self::RetriedAll(n) => format!("retried-all.{n}"),
            Self::NotDead(id) => format!("not-dead.{id}"),
            Self::Gone(id) => format!("gone.{id}"),
        }
    }

    fn parse(code: &str) -> Option<Self> {
        let (kind, arg) = code.split_once('.')?;
        match kind {
            "retried" => Uuid::parse_str(arg).ok().map(Self::Retried),
            "retried-all" => arg.parse().ok().map(Self::RetriedAll),
            "not-dead" => Uuid::parse_str(arg).ok().map(Self::NotDead),
            "gone" => Uuid::parse_str(arg).ok().map(Self::Gone),
            _ => None,
        }
    }

    /// The sentence shown.
    pub fn view(&self) -> FlashView {
        match self {
            Self::Retried(id) => FlashView {
                level: "success",
                text: format!(
                    "Job {} was queued again and will run within moments.",
                    short(id)
                ),
            },
            Self::RetriedAll(0) => FlashView {
                level: "warning",
                text: "There were no dead letters to retry.".to_owned(),
            },
            Self::RetriedAll(n) => FlashView {
                level: "success",
                text: format!(
                    "{n} job{} queued again and will run within moments.",
                    if *n == 1 { " was" } else { "s were" }
                ),
            },
            Self::NotDead(id) => FlashView {
                level: "warning",
                text: format!(
                    "Job {} is no longer a dead letter (it was already retried or has recovered).",
                    short(id)
                ),
            },
            Self::Gone(id) => FlashView {
                level: "warning",
                text: format!("Job {} no longer exists.", short(id)),
            },
        }
    }

    /// The `Set-Cookie` value that carries this flash to the next page.
    pub fn set_cookie(&self) -> HeaderValue {
        let cookie = format!(
            "{COOKIE_NAME}={}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax",
            self.code()
        );
        HeaderValue::from_str(&cookie).expect("flash codes are ASCII")
    }

    /// Reads the flash a request carries, if any.
    pub fn from_request(headers: &HeaderMap) -> Option<Self> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE_NAME)
            .and_then(|(_, value)| Self::parse(value))
    }
}

/// Takes the flash from a request: what to show, and the header that clears it.
pub fn take(
    headers: &HeaderMap,
) -> (
    Option<FlashView>,
    Option<(axum::http::HeaderName, HeaderValue)>,
) {
    let present = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(COOKIE_NAME));
    let clear = present.then(|| {
        (
            SET_COOKIE,
            HeaderValue::from_static("cosell_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        )
    });
    (Flash::from_request(headers).map(|f| f.view()), clear)
}

/// The first block of a UUID, enough to tell jobs apart on screen.
fn short(id: &Uuid) -> String {
    id.to_string().chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn a_flash_survives_the_round_trip() {
        let id = Uuid::now_v7();
        for flash in [
            Flash::Retried(id),
            Flash::RetriedAll(3),
            Flash::NotDead(id),
            Flash::Gone(id),
        ] {
            let set = flash.set_cookie();
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let back = Flash::from_request(&request_with(&format!("other=1; {pair}")));
            assert_eq!(back, Some(flash));
        }
    }

    #[test]
    fn forged_cookies_show_nothing() {
        let headers = request_with("cosell_flash=<script>alert(1)</script>");
        assert_eq!(Flash::from_request(&headers), None);
        let (view, clear) = take(&headers);
        assert!(view.is_none());
        assert!(clear.is_some(), "a bad cookie is still cleared");
    }

    #[test]
    fn sentences() {
        assert_eq!(
            Flash::RetriedAll(2).view().text,
            "2 jobs were queued again and will run within moments."
        );
        assert_eq!(Flash::RetriedAll(0).view().level, "warning");
    }
}
