//! The SOAP `login()` call (`POST /services/Soap/u/{version}`), which
//! jsforce's `conn.login(user, pass)` and simple-salesforce's username/password
//! login use when no OAuth client is configured. It answers the partner API
//! envelope with `serverUrl`, `sessionId`, `userId` and `organizationId`, or an
//! `INVALID_LOGIN` fault; the session is then valid on the REST API.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::state::{Session, Shared};
use crate::listener::Connection;

/// Content type of SOAP 1.1 answers.
const SOAP_CONTENT_TYPE: &str = "text/xml;charset=UTF-8";
/// Message of the login fault.
const INVALID_LOGIN: &str = "Invalid username, password, security token; or user locked out.";

/// Text of the first `<…:name>` or `<name>` element.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = xml
        .find(&format!(":{name}>"))
        .or_else(|| xml.find(&format!("<{name}>")))?;
    let start = xml[open..].find('>')? + open + 1;
    let end = xml[start..].find("</")? + start;
    Some(unescape(&xml[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn fault() -> Response {
    let body = format!(
        r#"<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: {INVALID_LOGIN}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>{INVALID_LOGIN}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>"#
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [("content-type", SOAP_CONTENT_TYPE)],
        envelope(&body),
    )
        .into_response()
}

/// Handles `POST /services/Soap/u/{version}`.
pub async fn login(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    body: Bytes,
) -> Response {
    let xml = String::from_utf8_lossy(&body);
    let (Some(username), Some(password)) = (element(&xml, "username"), element(&xml, "password"))
    else {
        return fault();
    };
    let options = &shared.options;
    if !username.eq_ignore_ascii_case(&options.username) || password != options.password {
        return fault();
    }
    let mut state = shared.lock();
    let org_id = state.org.org_id.clone();
    let user = state.org.admin_id.clone();
    let token = format!(
        "{}!AQ{}",
        &org_id[..super::ids::ID15_LEN],
        super::auth::random_token(96)
    );
    state.sessions.insert(
        token.clone(),
        Session {
            user_id: user.clone(),
            issued: Instant::now(),
        },
    );
    let seconds = state.token_lifetime.as_secs();
    drop(state);
    // The server URL keeps the scheme the client logged in with.
    let base = &connection.origin(&shared.base_url);
    let result = format!(
        "<loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{version}/{org_id}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{base}/services/Soap/u/{version}/{org_id}</serverUrl><sessionId>{}</sessionId><userId>{user}</userId><userInfo><organizationId>{org_id}</organizationId><organizationName>Cosell Demo</organizationName><sessionSecondsValid>{seconds}</sessionSecondsValid><userEmail>{}</userEmail><userFullName>Cosell Admin</userFullName><userId>{user}</userId><userName>{}</userName></userInfo></result></loginResponse>",
        escape(&token),
        escape(&options.username),
        escape(&options.username),
    );
    (
        StatusCode::OK,
        [("content-type", SOAP_CONTENT_TYPE)],
        envelope(&result),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::element;

    #[test]
    fn elements_are_read_with_or_without_a_prefix() {
        let xml = "<se:Body><n1:login><n1:username>a@b.c</n1:username><password>p&amp;q</password></n1:login></se:Body>";
        assert_eq!(element(xml, "username").as_deref(), Some("a@b.c"));
        assert_eq!(element(xml, "password").as_deref(), Some("p&q"));
    }
}
