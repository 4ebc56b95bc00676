//! How much of OData `$filter` the emulated service honours.
//!
//! Partner Center documents `$filter` on a handful of properties only
//! (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>:
//! `engagementId`, `status`, `substatus`, and in its examples `type`,
//! `direction`, `qualification`, `customerProfile/address/country` and
//! `team/any(t:t/email eq …)`; <https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>). Whether the service also
//! filters on anything else is not documented, so the emulator offers three
//! answers and the connector must be right under each:
//!
//! - [`ODataMode::Permissive`]: every property filters (the emulator's
//!   historical behaviour);
//! - [`ODataMode::Documented`]: a filter on an undocumented property is
//!   refused with 400 `invalidRequest`, as ASP.NET OData refuses a property
//!   that is not marked filterable;
//! - [`ODataMode::IgnoreUnknown`]: comparisons on undocumented properties are
//!   ignored (treated as true), as lenient OData services do.

use std::fmt;
use std::str::FromStr;

use super::filter::{Expr, FilterError, Literal, Operand};

/// Property paths `$filter` may use in [`ODataMode::Documented`]; a lambda
/// over `team` reaches its members as `team/email`.
const DOCUMENTED: &[&[&str]] = &[
    &["id"],
    &["engagementId"],
    &["status"],
    &["substatus"],
    &["type"],
    &["direction"],
    &["qualification"],
    &["customerProfile", "address", "country"],
    &["team"],
    &["team", "email"],
];

/// Which `$filter` properties the emulated service honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ODataMode {
    /// Every property of the referral filters.
    #[default]
    Permissive,
    /// Only the documented properties filter; others are a 400.
    Documented,
    /// Only the documented properties filter; others are silently ignored.
    IgnoreUnknown,
}

impl ODataMode {
    /// Every mode, for tests that run in each.
    pub const ALL: [ODataMode; 3] = [Self::Permissive, Self::Documented, Self::IgnoreUnknown];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permissive => "permissive",
            Self::Documented => "documented",
            Self::IgnoreUnknown => "ignore-unknown",
        }
    }
}

impl fmt::Display for ODataMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ODataMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown OData mode '{s}': use permissive, documented or ignore-unknown")
            })
    }
}

/// Lambda variables in scope and the collection path each ranges over.
type Scope = Vec<(String, Vec<String>)>;

/// The full property path of `path`, with a lambda variable replaced by its collection.
fn full_path(path: &[String], scope: &Scope) -> Vec<String> {
    match scope.iter().rev().find(|(var, _)| *var == path[0]) {
        Some((_, collection)) => collection.iter().chain(&path[1..]).cloned().collect(),
        None => path.to_vec(),
    }
}

fn is_documented(path: &[String]) -> bool {
    DOCUMENTED
        .iter()
        .any(|d| d.len() == path.len() && d.iter().zip(path).all(|(a, b)| a == b))
}

/// The first undocumented property path an operand uses, if any.
fn undocumented(operand: &Operand, scope: &Scope) -> Option<String> {
    let Operand::Path(path) = operand else {
        return None;
    };
    let full = full_path(path, scope);
    (!is_documented(&full)).then(|| full.join("/"))
}

fn always_true() -> Expr {
    Expr::Truthy(Operand::Lit(Literal::Bool(true)))
}

impl ODataMode {
    /// The filter as this mode evaluates it: unchanged, refused, or with
    /// comparisons on undocumented properties replaced by `true`.
    pub(super) fn restrict(self, expr: Expr) -> Result<Expr, FilterError> {
        match self {
            Self::Permissive => Ok(expr),
            Self::Documented | Self::IgnoreUnknown => self.walk(expr, &mut Vec::new()),
        }
    }

    fn refuse_or_ignore(self, property: String) -> Result<Expr, FilterError> {
        match self {
            Self::Documented => Err(FilterError::new(format!(
                "the property '{property}' cannot be used in the $filter query option"
            ))),
            _ => Ok(always_true()),
        }
    }

    fn walk(self, expr: Expr, scope: &mut Scope) -> Result<Expr, FilterError> {
        Ok(match expr {
            Expr::Or(a, b) => Expr::Or(
                Box::new(self.walk(*a, scope)?),
                Box::new(self.walk(*b, scope)?),
            ),
            Expr::And(a, b) => Expr::And(
                Box::new(self.walk(*a, scope)?),
                Box::new(self.walk(*b, scope)?),
            ),
            Expr::Not(a) => Expr::Not(Box::new(self.walk(*a, scope)?)),
            Expr::Cmp(left, op, right) => {
                match undocumented(&left, scope).or_else(|| undocumented(&right, scope)) {
                    Some(property) => return self.refuse_or_ignore(property),
                    None => Expr::Cmp(left, op, right),
                }
            }
            Expr::Truthy(operand) => match undocumented(&operand, scope) {
                Some(property) => return self.refuse_or_ignore(property),
                None => Expr::Truthy(operand),
            },
            Expr::Lambda {
                all,
                path,
                var,
                body,
            } => {
                let collection = full_path(&path, scope);
                if !is_documented(&collection) {
                    return self.refuse_or_ignore(collection.join("/"));
                }
                let body = match (&var, body) {
                    (Some(var), Some(body)) => {
                        scope.push((var.clone(), collection));
                        let walked = self.walk(*body, scope);
                        scope.pop();
                        Some(Box::new(walked?))
                    }
                    (_, body) => body,
                };
                Expr::Lambda {
                    all,
                    path,
                    var,
                    body,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::filter::parse;
    use super::*;
    use serde_json::json;

    fn referral() -> serde_json::Value {
        json!({
            "id": "c5fbb3b6-0000-4000-8000-000000000001",
            "status": "Active", "direction": "Outgoing",
            "externalReferenceId": "006A",
            "updatedDateTime": "2024-03-01T10:00:00.0000000Z",
            "team": [{"email": "r2d2@contoso.com", "firstName": "R2"}]
        })
    }

    fn run(mode: ODataMode, filter: &str) -> Result<bool, FilterError> {
        Ok(mode.restrict(parse(filter)?)?.matches(&referral()))
    }

    #[test]
    fn documented_filters_work_the_same_in_every_mode() {
        for mode in ODataMode::ALL {
            assert_eq!(run(mode, "status eq 'Active'"), Ok(true), "{mode}");
            assert_eq!(run(mode, "status eq 'New'"), Ok(false), "{mode}");
            assert_eq!(
                run(mode, "team/any(t:t/email eq 'r2d2@contoso.com')"),
                Ok(true),
                "{mode}"
            );
        }
    }

    #[test]
    fn undocumented_filters_filter_fail_or_are_ignored_by_mode() {
        let undocumented = "externalReferenceId eq 'other'";
        assert_eq!(run(ODataMode::Permissive, undocumented), Ok(false));
        assert!(run(ODataMode::Documented, undocumented).is_err());
        assert_eq!(run(ODataMode::IgnoreUnknown, undocumented), Ok(true));
        let dated = "updatedDateTime ge 2030-01-01T00:00:00Z and status eq 'Active'";
        assert_eq!(run(ODataMode::Permissive, dated), Ok(false));
        assert!(run(ODataMode::Documented, dated).is_err());
        assert_eq!(run(ODataMode::IgnoreUnknown, dated), Ok(true));
        assert!(run(ODataMode::Documented, "team/any(t:t/firstName eq 'R2')").is_err());
    }

    #[test]
    fn modes_parse_from_their_cli_names() {
        for mode in ODataMode::ALL {
            assert_eq!(mode.as_str().parse::<ODataMode>(), Ok(mode));
        }
        assert!("strict-ish".parse::<ODataMode>().is_err());
    }
}
