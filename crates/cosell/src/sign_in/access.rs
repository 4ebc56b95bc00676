//! Who may use the dashboard: a person named in `allowed_users` (by sign-in
//! name, email or object id) or a member of a group in `allowed_groups`
//! (the ID token's `groups` claim, which the app registration must be set to
//! emit: Token configuration > Add groups claim > Security groups).

use super::provider::IdClaims;
use crate::config::SignInConfig;

/// Why a signed-in person is not let in; shown on the 403 page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Ok when `claims` name a person the configuration allows.
pub fn check(config: &SignInConfig, claims: &IdClaims) -> Result<(), Refused> {
    let names = [&claims.preferred_username, &claims.email, &claims.oid];
    let by_name = names.iter().filter_map(|n| n.as_deref()).any(|n| {
        config
            .allowed_users
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(n.trim()))
    });
    let by_group = claims.groups.iter().any(|g| {
        config
            .allowed_groups
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(g.trim()))
    });
    if by_name || by_group {
        return Ok(());
    }
    let who = claims
        .preferred_username
        .as_deref()
        .or(claims.email.as_deref())
        .unwrap_or("this account");
    let overage = claims
        .claim_names
        .as_ref()
        .is_some_and(|names| names.get("groups").is_some());
    Err(Refused(if overage && !config.allowed_groups.is_empty() {
        format!("{who} is in too many groups for Entra ID to list them in the sign-in, so group membership could not be checked. Ask an administrator to add {who} to server.sign_in.allowed_users, or to emit only the groups assigned to the application.")
    } else {
        format!("{who} is not allowed to use this dashboard. Ask an administrator to add {who} to server.sign_in.allowed_users, or to one of the groups in server.sign_in.allowed_groups.")
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config(users: &[&str], groups: &[&str]) -> SignInConfig {
        SignInConfig {
            authority: "https://login.microsoftonline.com/t".parse().unwrap(),
            client_id: "c".into(),
            client_secret: "s".to_owned().into(),
            redirect_url: "http://127.0.0.1:8081/auth/callback".parse().unwrap(),
            allowed_users: users.iter().map(|u| (*u).to_owned()).collect(),
            allowed_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            session_lifetime: Duration::from_secs(3600),
        }
    }

    fn claims(username: &str, oid: &str, groups: &[&str]) -> IdClaims {
        IdClaims {
            oid: Some(oid.into()),
            preferred_username: Some(username.into()),
            email: None,
            name: None,
            nonce: None,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            claim_names: None,
        }
    }

    #[test]
    fn users_are_let_in_by_name_object_id_or_group() {
        let c = config(&["ada@contoso.example", "0000-oid"], &["admins-id"]);
        assert!(check(&c, &claims("Ada@Contoso.example", "x", &[])).is_ok());
        assert!(check(&c, &claims("bob@contoso.example", "0000-OID", &[])).is_ok());
        assert!(check(&c, &claims("eve@contoso.example", "y", &["admins-id"])).is_ok());
        let refused = check(&c, &claims("mallory@contoso.example", "z", &["other"])).unwrap_err();
        assert!(
            refused.0.contains("mallory@contoso.example is not allowed"),
            "{refused:?}"
        );
    }

    #[test]
    fn group_overage_is_explained() {
        let c = config(&[], &["admins-id"]);
        let mut many = claims("eve@contoso.example", "y", &[]);
        many.claim_names = Some(serde_json::json!({"groups": "src1"}));
        assert!(check(&c, &many).unwrap_err().0.contains("too many groups"));
    }
}
