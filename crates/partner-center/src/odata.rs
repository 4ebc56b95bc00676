//! OData query builder for `GET /referrals` (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>): `$filter` expressions,
//! `$orderby`, `$top`, `$skip`, `$count`, `$select`, `$expand`.
//!
//! String literals are always quoted with embedded `'` doubled (OData ABNF
//! `SQUOTE-in-string`), so data can never change the shape of a query; field
//! paths and lambda variables are checked against a strict identifier grammar.

use chrono::{DateTime, Utc};

use crate::wire::{
    self, Direction, ReferralQualification, ReferralStatus, ReferralSubstatus, ReferralType,
};

/// A literal on the right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string, rendered quoted and escaped.
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A UTC instant, rendered unquoted ISO 8601 (`2024-01-01T00:00:00Z`).
    DateTime(DateTime<Utc>),
}

impl Literal {
    fn render(&self, out: &mut String) {
        match self {
            Literal::Str(s) => {
                out.push('\'');
                out.push_str(&s.replace('\'', "''"));
                out.push('\'');
            }
            Literal::Int(n) => out.push_str(&n.to_string()),
            Literal::Float(f) => out.push_str(&f.to_string()),
            Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Literal::Null => out.push_str("null"),
            Literal::DateTime(dt) => out.push_str(&wire::odata_datetime(dt)),
        }
    }
}

macro_rules! literal_from {
    ($($t:ty => |$v:ident| $e:expr),+ $(,)?) => {
        $(impl From<$t> for Literal {
            fn from($v: $t) -> Self { $e }
        })+
    };
}

literal_from! {
    &str => |v| Literal::Str(v.to_owned()),
    String => |v| Literal::Str(v),
    &String => |v| Literal::Str(v.clone()),
    i64 => |v| Literal::Int(v),
    i32 => |v| Literal::Int(v.into()),
    u32 => |v| Literal::Int(v.into()),
    f64 => |v| Literal::Float(v),
    bool => |v| Literal::Bool(v),
    DateTime<Utc> => |v| Literal::DateTime(v),
    ReferralStatus => |v| Literal::Str(v.as_str().to_owned()),
    ReferralSubstatus => |v| Literal::Str(v.as_str().to_owned()),
    ReferralType => |v| Literal::Str(v.as_str().to_owned()),
    ReferralQualification => |v| Literal::Str(v.as_str().to_owned()),
    Direction => |v| Literal::Str(v.as_str().to_owned()),
}

impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(v: Option<T>) -> Self {
        v.map_or(Literal::Null, Into::into)
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater than.
    Gt,
    /// Greater or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less or equal.
    Le,
}

impl CmpOp {
    fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }
}

/// A `$filter` expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `path op literal`.
    Compare {
        /// Field path, e.g. `customerProfile/address/country`.
        path: String,
        /// Operator.
        op: CmpOp,
        /// Right-hand side.
        value: Literal,
    },
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not a`.
    Not(Box<Filter>),
    /// Explicit parentheses around an expression.
    Group(Box<Filter>),
    /// `collection/any(var:predicate)`.
    Any {
        /// Collection path, e.g. `team`.
        collection: String,
        /// Lambda variable, e.g. `t`.
        var: String,
        /// Predicate over the variable, e.g. `t/email eq '…'`.
        predicate: Box<Filter>,
    },
}

/// Binding strength used to decide where parentheses are needed.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_UNARY: u8 = 3;

impl Filter {
    /// `path op value`.
    ///
    /// # Panics
    /// If `path` is not a valid OData member path (letters, digits, `_`, `/`-separated);
    /// paths come from code, never from data.
    pub fn cmp(path: impl Into<String>, op: CmpOp, value: impl Into<Literal>) -> Self {
        let path = path.into();
        assert!(is_member_path(&path), "invalid OData member path: {path:?}");
        Filter::Compare {
            path,
            op,
            value: value.into(),
        }
    }

    /// `path eq value`.
    pub fn eq(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Eq, value)
    }

    /// `path ne value`.
    pub fn ne(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Ne, value)
    }

    /// `path gt value`.
    pub fn gt(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Gt, value)
    }

    /// `path ge value`.
    pub fn ge(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Ge, value)
    }

    /// `path lt value`.
    pub fn lt(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Lt, value)
    }

    /// `path le value`.
    pub fn le(path: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::cmp(path, CmpOp::Le, value)
    }

    /// `self and other`.
    pub fn and(self, other: Filter) -> Self {
        Filter::And(Box::new(self), Box::new(other))
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Self {
        Filter::Or(Box::new(self), Box::new(other))
    }

    /// `not (self)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Filter::Not(Box::new(self))
    }

    /// Wraps the expression in explicit parentheses.
    pub fn grouped(self) -> Self {
        Filter::Group(Box::new(self))
    }

    /// `collection/any(var:predicate)`, e.g. `team/any(t:t/email eq '…')`.
    ///
    /// # Panics
    /// If `collection` or `var` is not a valid identifier path (they come from code).
    pub fn any(collection: impl Into<String>, var: impl Into<String>, predicate: Filter) -> Self {
        let (collection, var) = (collection.into(), var.into());
        assert!(
            is_member_path(&collection),
            "invalid OData collection path: {collection:?}"
        );
        assert!(
            is_identifier(&var),
            "invalid OData lambda variable: {var:?}"
        );
        Filter::Any {
            collection,
            var,
            predicate: Box::new(predicate),
        }
    }

    /// Joins filters with `and`; `None` when the list is empty.
    pub fn all_of(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::and)
    }

    /// Joins filters with `or`; `None` when the list is empty.
    pub fn any_of(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::or)
    }

    /// Renders the expression as `$filter` text (not yet percent-encoded).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0);
        out
    }

    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => PREC_OR,
            Filter::And(..) => PREC_AND,
            _ => PREC_UNARY,
        }
    }

    fn render_into(&self, out: &mut String, parent: u8) {
        let own = self.precedence();
        let wrap = own < parent;
        if wrap {
            out.push('(');
        }
        match self {
            Filter::Compare { path, op, value } => {
                out.push_str(path);
                out.push(' ');
                out.push_str(op.as_str());
                out.push(' ');
                value.render(out);
            }
            Filter::And(a, b) => {
                a.render_into(out, PREC_AND);
                out.push_str(" and ");
                b.render_into(out, PREC_AND);
            }
            Filter::Or(a, b) => {
                a.render_into(out, PREC_OR);
                out.push_str(" or ");
                b.render_into(out, PREC_OR);
            }
            Filter::Not(a) => {
                out.push_str("not ");
                // Always parenthesise the operand so `not` binds as the reader expects.
                out.push('(');
                a.render_into(out, 0);
                out.push(')');
            }
            Filter::Group(a) => {
                out.push('(');
                a.render_into(out, 0);
                out.push(')');
            }
            Filter::Any {
                collection,
                var,
                predicate,
            } => {
                out.push_str(collection);
                out.push_str("/any(");
                out.push_str(var);
                out.push(':');
                predicate.render_into(out, 0);
                out.push(')');
            }
        }
        if wrap {
            out.push(')');
        }
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_member_path(s: &str) -> bool {
    !s.is_empty() && s.split('/').all(is_identifier)
}

/// Sort direction for `$orderby`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// Query options for listing referrals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferralQuery {
    filter: Option<Filter>,
    order_by: Vec<(String, SortOrder)>,
    top: Option<u32>,
    skip: Option<u32>,
    count: Option<bool>,
    select: Vec<String>,
    expand: Vec<String>,
}

impl ReferralQuery {
    /// An empty query (all referrals, server defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// The referrals of one engagement (what `links.relatedReferrals` points at, <https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
    pub fn related(engagement_id: &str) -> Self {
        Self::new().filter(Filter::eq("engagementId", engagement_id))
    }

    /// Sets `$filter`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Appends an `$orderby` key, e.g. `updatedDateTime desc`.
    ///
    /// # Panics
    /// If `field` is not a valid member path.
    pub fn order_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        let field = field.into();
        assert!(
            is_member_path(&field),
            "invalid OData member path: {field:?}"
        );
        self.order_by.push((field, order));
        self
    }

    /// Sets `$top` (page size).
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// Sets `$skip`.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = Some(n);
        self
    }

    /// Sets `$count` (adds `@odata.count` to the response).
    pub fn count(mut self, count: bool) -> Self {
        self.count = Some(count);
        self
    }

    /// Sets `$select`.
    ///
    /// # Panics
    /// If a field is not a valid member path.
    pub fn select<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select = fields.into_iter().map(Into::into).collect();
        for f in &self.select {
            assert!(is_member_path(f), "invalid OData member path: {f:?}");
        }
        self
    }

    /// Sets `$expand`.
    ///
    /// # Panics
    /// If a field is not a valid member path.
    pub fn expand<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expand = fields.into_iter().map(Into::into).collect();
        for f in &self.expand {
            assert!(is_member_path(f), "invalid OData member path: {f:?}");
        }
        self
    }

    /// The query options as (name, unencoded value) pairs, in a stable order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(f) = &self.filter {
            pairs.push(("$filter", f.render()));
        }
        if !self.select.is_empty() {
            pairs.push(("$select", self.select.join(",")));
        }
        if !self.expand.is_empty() {
            pairs.push(("$expand", self.expand.join(",")));
        }
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self
                .order_by
                .iter()
                .map(|(f, o)| match o {
                    SortOrder::Asc => format!("{f} asc"),
                    SortOrder::Desc => format!("{f} desc"),
                })
                .collect();
            pairs.push(("$orderby", keys.join(",")));
        }
        if let Some(n) = self.top {
            pairs.push(("$top", n.to_string()));
        }
        if let Some(n) = self.skip {
            pairs.push(("$skip", n.to_string()));
        }
        if let Some(c) = self.count {
            pairs.push(("$count", c.to_string()));
        }
        pairs
    }

    /// The percent-encoded query string without the leading `?` (empty when no options).
    pub fn to_query_string(&self) -> String {
        self.pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn documented_filters_render_exactly() {
        let f = Filter::eq("status", ReferralStatus::New)
            .and(Filter::eq("qualification", "SalesQualified"));
        assert_eq!(
            f.render(),
            "status eq 'New' and qualification eq 'SalesQualified'"
        );

        let f = Filter::eq("customerProfile/address/country", "US")
            .and(Filter::eq("direction", Direction::Incoming));
        assert_eq!(
            f.render(),
            "customerProfile/address/country eq 'US' and direction eq 'Incoming'"
        );

        let f = Filter::eq("type", "Shared")
            .and(Filter::eq("direction", "Incoming"))
            .grouped();
        assert_eq!(f.render(), "(type eq 'Shared' and direction eq 'Incoming')");

        let f = Filter::all_of([
            Filter::eq("status", "Active"),
            Filter::eq("direction", "Outgoing"),
            Filter::eq("type", "Shared"),
            Filter::any("team", "t", Filter::eq("t/email", "r2d2@contoso.com")),
        ])
        .unwrap();
        assert_eq!(
            f.render(),
            "status eq 'Active' and direction eq 'Outgoing' and type eq 'Shared' and team/any(t:t/email eq 'r2d2@contoso.com')"
        );
    }

    #[test]
    fn precedence_adds_parentheses_only_where_needed() {
        let a = || Filter::eq("a", 1);
        let b = || Filter::eq("b", 2);
        let c = || Filter::eq("c", 3);
        assert_eq!(
            a().or(b()).and(c()).render(),
            "(a eq 1 or b eq 2) and c eq 3"
        );
        assert_eq!(a().and(b()).or(c()).render(), "a eq 1 and b eq 2 or c eq 3");
        assert_eq!(a().or(b()).not().render(), "not (a eq 1 or b eq 2)");
        assert_eq!(Filter::ne("x", Literal::Null).render(), "x ne null");
        assert_eq!(Filter::eq("isSpam", false).render(), "isSpam eq false");
    }

    #[test]
    fn string_literals_are_escaped_so_data_cannot_change_the_query() {
        let f = Filter::eq("name", "O'Brien");
        assert_eq!(f.render(), "name eq 'O''Brien'");
        let evil = "x' or 1 eq 1 or name eq '";
        let f = Filter::eq("name", evil);
        assert_eq!(f.render(), "name eq 'x'' or 1 eq 1 or name eq '''");
        // Outside the literal there is exactly one operator.
        let outside: String = f.render().split('\'').step_by(2).collect();
        assert_eq!(outside.trim(), "name eq");
    }

    #[test]
    fn datetimes_are_unquoted_iso() {
        let dt = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            Filter::ge("updatedDateTime", dt).render(),
            "updatedDateTime ge 2024-01-01T00:00:00Z"
        );
    }

    #[test]
    #[should_panic(expected = "invalid OData member path")]
    fn field_paths_cannot_carry_expressions() {
        let _ = Filter::eq("status eq 'x' or id", "y");
    }

    #[test]
    fn query_string_is_percent_encoded() {
        let q = ReferralQuery::new()
            .filter(Filter::eq("name", "A&B 'c'"))
            .order_by("createdDateTime", SortOrder::Desc)
            .top(10)
            .skip(20)
            .count(true)
            .select(["id", "status", "customerProfile"]);
        assert_eq!(
            q.to_query_string(),
            "$filter=name%20eq%20%27A%26B%20%27%27c%27%27%27\
             &$select=id%2Cstatus%2CcustomerProfile\
             &$orderby=createdDateTime%20desc&$top=10&$skip=20&$count=true"
        );
        assert_eq!(ReferralQuery::new().to_query_string(), "");
    }
}
