//! A SOQL builder: statements are built from validated identifiers and typed
//! literals, never concatenated from strings.
//!
//! ```
//! use salesforce::soql::{Condition, Direction, Soql};
//! let q = Soql::select(["Id", "Name", "Account.Name"])
//!     .from("Opportunity")
//!     .where_(Condition::eq("Name", "O'Brien's \\ deal").and(Condition::not_null("AccountId")))
//!     .order_by("SystemModstamp", Direction::Asc)
//!     .limit(200);
//! assert_eq!(
//!     q.render().unwrap(),
//!     r"SELECT Id, Name, Account.Name FROM Opportunity WHERE (Name = 'O\'Brien\'s \\ deal' AND AccountId != null) ORDER BY SystemModstamp ASC LIMIT 200"
//! );
//! ```
//!
//! Escaping follows the SOQL "Quoted String Escape Sequences" table:
//! `\n \r \t \b \f \" \' \\`, plus `\_` and `\%` inside `LIKE` patterns.
//! Date and dateTime literals are unquoted (`2024-05-01`, `2024-05-01T00:00:00Z`),
//! in the formats of "Date Formats and Date Literals in WHERE".

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

/// Longest identifier text echoed back in an error.
const MAX_IDENT_IN_ERROR: usize = 80;

/// SOQL's documented dateTime literal format (whole seconds, UTC `Z`).
const DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// SOQL's date literal format.
const DATE_FORMAT: &str = "%Y-%m-%d";

/// Why a statement could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoqlError {
    /// A field or object name is not a plain identifier.
    #[error("invalid SOQL identifier {0:?}")]
    InvalidIdentifier(String),
    /// `SELECT` had no fields.
    #[error("SOQL statement selects no fields")]
    NoFields,
    /// `FROM` was not given.
    #[error("SOQL statement has no FROM object")]
    NoObject,
    /// `IN ()` with no values is not valid SOQL.
    #[error("IN list for {0} is empty")]
    EmptyIn(String),
    /// `AND`/`OR` over no conditions.
    #[error("empty AND/OR condition group")]
    EmptyGroup,
    /// NaN or infinity has no SOQL spelling.
    #[error("number literal is not finite")]
    NonFiniteNumber,
}

/// Checks a field path such as `Account.Owner.Name` or `Referral_Id__c`.
pub fn validate_field(name: &str) -> Result<(), SoqlError> {
    if !name.is_empty() && name.split('.').all(is_ident_segment) {
        Ok(())
    } else {
        Err(invalid_ident(name))
    }
}

/// Checks an sObject name such as `Opportunity` or `Referral_Link__c` (no dots).
pub fn validate_object(name: &str) -> Result<(), SoqlError> {
    if is_ident_segment(name) {
        Ok(())
    } else {
        Err(invalid_ident(name))
    }
}

fn is_ident_segment(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn invalid_ident(name: &str) -> SoqlError {
    SoqlError::InvalidIdentifier(name.chars().take(MAX_IDENT_IN_ERROR).collect())
}

/// Appends `s` to `out` with SOQL string escapes (no surrounding quotes).
fn escape_into(out: &mut String, s: &str, in_like: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' if in_like => out.push_str("\\%"),
            '_' if in_like => out.push_str("\\_"),
            other => out.push(other),
        }
    }
}

/// Renders `s` as one quoted SOQL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    escape_into(&mut out, s, false);
    out.push('\'');
    out
}

/// A typed value on the right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Quoted, escaped text.
    String(String),
    /// A whole number.
    Integer(i64),
    /// A decimal number (must be finite).
    Decimal(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An unquoted `YYYY-MM-DD` date.
    Date(NaiveDate),
    /// An unquoted `YYYY-MM-DDThh:mm:ssZ` dateTime (sub-second part dropped).
    DateTime(DateTime<Utc>),
}

impl Literal {
    fn render_into(&self, out: &mut String) -> Result<(), SoqlError> {
        match self {
            Literal::String(s) => {
                out.push('\'');
                escape_into(out, s, false);
                out.push('\'');
            }
            Literal::Integer(n) => {
                let _ = write!(out, "{n}");
            }
            Literal::Decimal(n) if n.is_finite() => {
                let _ = write!(out, "{n}");
            }
            Literal::Decimal(_) => return Err(SoqlError::NonFiniteNumber),
            Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Literal::Null => out.push_str("null"),
            Literal::Date(d) => {
                let _ = write!(out, "{}", d.format(DATE_FORMAT));
            }
            // The documented dateTime formats carry whole seconds; dropping
            // the fraction only widens `>=` watermark queries (safe overlap).
            Literal::DateTime(t) => {
                let _ = write!(out, "{}", t.format(DATETIME_FORMAT));
            }
        }
        Ok(())
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::String(s.to_owned())
    }
}
impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::String(s)
    }
}
impl From<&String> for Literal {
    fn from(s: &String) -> Self {
        Literal::String(s.clone())
    }
}
impl From<i64> for Literal {
    fn from(n: i64) -> Self {
        Literal::Integer(n)
    }
}
impl From<i32> for Literal {
    fn from(n: i32) -> Self {
        Literal::Integer(n.into())
    }
}
impl From<u32> for Literal {
    fn from(n: u32) -> Self {
        Literal::Integer(n.into())
    }
}
impl From<f64> for Literal {
    fn from(n: f64) -> Self {
        Literal::Decimal(n)
    }
}
impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}
impl From<NaiveDate> for Literal {
    fn from(d: NaiveDate) -> Self {
        Literal::Date(d)
    }
}
impl From<DateTime<Utc>> for Literal {
    fn from(t: DateTime<Utc>) -> Self {
        Literal::DateTime(t)
    }
}
impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(v: Option<T>) -> Self {
        v.map_or(Literal::Null, Into::into)
    }
}

/// One piece of a `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LikePart {
    Text(String),
    AnyRun,
    AnyChar,
}

/// A `LIKE` pattern whose text parts are data (their `%`/`_` are escaped) and
/// whose wildcards are explicit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LikePattern(Vec<LikePart>);

impl LikePattern {
    /// An empty pattern, to extend with [`text`](Self::text) and wildcards.
    pub fn new() -> Self {
        Self::default()
    }
    /// Literal text, matched as is.
    pub fn text(mut self, s: impl Into<String>) -> Self {
        self.0.push(LikePart::Text(s.into()));
        self
    }
    /// The `%` wildcard (any run of characters).
    pub fn any(mut self) -> Self {
        self.0.push(LikePart::AnyRun);
        self
    }
    /// The `_` wildcard (exactly one character).
    pub fn one(mut self) -> Self {
        self.0.push(LikePart::AnyChar);
        self
    }
    /// `%text%`.
    pub fn contains(s: impl Into<String>) -> Self {
        Self::new().any().text(s).any()
    }
    /// `text%`.
    pub fn starts_with(s: impl Into<String>) -> Self {
        Self::new().text(s).any()
    }
    /// `%text`.
    pub fn ends_with(s: impl Into<String>) -> Self {
        Self::new().any().text(s)
    }

    fn render_into(&self, out: &mut String) {
        out.push('\'');
        for part in &self.0 {
            match part {
                LikePart::Text(s) => escape_into(out, s, true),
                LikePart::AnyRun => out.push('%'),
                LikePart::AnyChar => out.push('_'),
            }
        }
        out.push('\'');
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A `WHERE` condition tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `field <op> literal`.
    Compare {
        /// Field path.
        field: String,
        /// Operator.
        op: Op,
        /// Right-hand value.
        value: Literal,
    },
    /// `field [NOT] IN (values…)`.
    In {
        /// Field path.
        field: String,
        /// Values (at least one).
        values: Vec<Literal>,
        /// `NOT IN` when true.
        negated: bool,
    },
    /// `field LIKE 'pattern'`.
    Like {
        /// Field path.
        field: String,
        /// The pattern.
        pattern: LikePattern,
    },
    /// All of these.
    And(Vec<Condition>),
    /// Any of these.
    Or(Vec<Condition>),
    /// `NOT (…)`.
    Not(Box<Condition>),
}

impl Condition {
    fn compare(field: impl Into<String>, op: Op, value: impl Into<Literal>) -> Self {
        Condition::Compare {
            field: field.into(),
            op,
            value: value.into(),
        }
    }
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Eq, value)
    }
    /// `field != value`.
    pub fn ne(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Ne, value)
    }
    /// `field < value`.
    pub fn lt(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Lt, value)
    }
    /// `field <= value`.
    pub fn le(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Le, value)
    }
    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Gt, value)
    }
    /// `field >= value`.
    pub fn ge(field: impl Into<String>, value: impl Into<Literal>) -> Self {
        Self::compare(field, Op::Ge, value)
    }
    /// `field = null`.
    pub fn is_null(field: impl Into<String>) -> Self {
        Self::compare(field, Op::Eq, Literal::Null)
    }
    /// `field != null`.
    pub fn not_null(field: impl Into<String>) -> Self {
        Self::compare(field, Op::Ne, Literal::Null)
    }
    /// `field LIKE pattern`.
    pub fn like(field: impl Into<String>, pattern: LikePattern) -> Self {
        Condition::Like {
            field: field.into(),
            pattern,
        }
    }
    /// `field IN (values…)`.
    pub fn in_<I, V>(field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Literal>,
    {
        Condition::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
            negated: false,
        }
    }
    /// `field NOT IN (values…)`.
    pub fn not_in<I, V>(field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Literal>,
    {
        Condition::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
            negated: true,
        }
    }
    /// All of the given conditions.
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition::And(conditions.into_iter().collect())
    }
    /// Any of the given conditions.
    pub fn any(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition::Or(conditions.into_iter().collect())
    }
    /// `NOT (condition)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(condition: Condition) -> Self {
        Condition::Not(Box::new(condition))
    }
    /// `self AND other` (flattening nested ANDs).
    pub fn and(self, other: Condition) -> Self {
        match self {
            Condition::And(mut v) => {
                v.push(other);
                Condition::And(v)
            }
            first => Condition::And(vec![first, other]),
        }
    }
    /// `self OR other` (flattening nested ORs).
    pub fn or(self, other: Condition) -> Self {
        match self {
            Condition::Or(mut v) => {
                v.push(other);
                Condition::Or(v)
            }
            first => Condition::Or(vec![first, other]),
        }
    }

    fn render_into(&self, out: &mut String) -> Result<(), SoqlError> {
        match self {
            Condition::Compare { field, op, value } => {
                validate_field(field)?;
                let _ = write!(out, "{field} {} ", op.as_str());
                value.render_into(out)?;
            }
            Condition::In {
                field,
                values,
                negated,
            } => {
                validate_field(field)?;
                if values.is_empty() {
                    return Err(SoqlError::EmptyIn(field.clone()));
                }
                out.push_str(field);
                out.push_str(if *negated { " NOT IN (" } else { " IN (" });
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render_into(out)?;
                }
                out.push(')');
            }
            Condition::Like { field, pattern } => {
                validate_field(field)?;
                out.push_str(field);
                out.push_str(" LIKE ");
                pattern.render_into(out);
            }
            Condition::And(items) | Condition::Or(items) => {
                if items.is_empty() {
                    return Err(SoqlError::EmptyGroup);
                }
                let joiner = if matches!(self, Condition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                out.push('(');
                for (i, c) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(joiner);
                    }
                    c.render_into(out)?;
                }
                out.push(')');
            }
            Condition::Not(inner) => {
                out.push_str("(NOT ");
                inner.render_into(out)?;
                out.push(')');
            }
        }
        Ok(())
    }
}

/// Sort direction for `ORDER BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A SOQL `SELECT` statement; rendering validates every identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Soql {
    fields: Vec<String>,
    object: Option<String>,
    condition: Option<Condition>,
    order: Vec<(String, Direction)>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl Soql {
    /// Starts a statement selecting these field paths.
    pub fn select<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Soql {
            fields: fields.into_iter().map(Into::into).collect(),
            object: None,
            condition: None,
            order: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    /// Sets the sObject to query.
    pub fn from(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// Adds a `WHERE` condition; a second call is ANDed with the first.
    pub fn where_(mut self, condition: Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// Appends an `ORDER BY` key.
    pub fn order_by(mut self, field: impl Into<String>, direction: Direction) -> Self {
        self.order.push((field.into(), direction));
        self
    }

    /// Sets `LIMIT`.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets `OFFSET`.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// The queried sObject, if set.
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }

    /// Renders the statement, validating identifiers and literals.
    pub fn render(&self) -> Result<String, SoqlError> {
        if self.fields.is_empty() {
            return Err(SoqlError::NoFields);
        }
        let object = self.object.as_deref().ok_or(SoqlError::NoObject)?;
        validate_object(object)?;
        let mut out = String::from("SELECT ");
        for (i, f) in self.fields.iter().enumerate() {
            validate_field(f)?;
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(f);
        }
        out.push_str(" FROM ");
        out.push_str(object);
        if let Some(c) = &self.condition {
            out.push_str(" WHERE ");
            c.render_into(&mut out)?;
        }
        for (i, (field, dir)) in self.order.iter().enumerate() {
            validate_field(field)?;
            out.push_str(if i == 0 { " ORDER BY " } else { ", " });
            out.push_str(field);
            out.push_str(match dir {
                Direction::Asc => " ASC",
                Direction::Desc => " DESC",
            });
        }
        if let Some(n) = self.limit {
            let _ = write!(out, " LIMIT {n}");
        }
        if let Some(n) = self.offset {
            let _ = write!(out, " OFFSET {n}");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    /// Reads one quoted SOQL literal from the start of `s`, undoing escapes;
    /// returns the decoded text and the unread rest.
    fn read_literal(s: &str) -> Option<(String, &str)> {
        let mut chars = s.char_indices();
        if chars.next()?.1 != '\'' {
            return None;
        }
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => return Some((out, &s[i + 1..])),
                '\\' => {
                    let (_, e) = chars.next()?;
                    out.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '"' | '\'' | '\\' => e,
                        _ => return None,
                    });
                }
                other => out.push(other),
            }
        }
        None
    }

    #[test]
    fn obrien_deal_round_trips_as_data() {
        let name = r"O'Brien's \ deal";
        let q = Soql::select(["Id"])
            .from("Opportunity")
            .where_(Condition::eq("Name", name));
        let rendered = q.render().unwrap();
        assert_eq!(
            rendered,
            r"SELECT Id FROM Opportunity WHERE Name = 'O\'Brien\'s \\ deal'"
        );
        let literal = rendered.split_once("= ").unwrap().1;
        assert_eq!(read_literal(literal), Some((name.to_owned(), "")));
    }

    #[test]
    fn escapes_every_documented_sequence() {
        assert_eq!(
            quote("a\nb\rc\td\u{8}e\u{c}f\"g'h\\"),
            r#"'a\nb\rc\td\be\ff\"g\'h\\'"#
        );
    }

    #[test]
    fn full_statement() {
        let since = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let q = Soql::select(["Id", "Name", "Account.Name"])
            .from("Opportunity")
            .where_(Condition::ge("SystemModstamp", since))
            .where_(Condition::any([
                Condition::in_("StageName", ["Prospecting", "Closed Won"]),
                Condition::not(Condition::eq("IsWon", true)),
            ]))
            .where_(Condition::lt(
                "CloseDate",
                NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            ))
            .where_(Condition::gt("Amount", 10.5).and(Condition::le("Probability", 90)))
            .order_by("SystemModstamp", Direction::Asc)
            .order_by("Id", Direction::Desc)
            .limit(200)
            .offset(10);
        assert_eq!(
            q.render().unwrap(),
            "SELECT Id, Name, Account.Name FROM Opportunity WHERE (SystemModstamp >= 2024-05-01T00:00:00Z \
             AND (StageName IN ('Prospecting', 'Closed Won') OR (NOT IsWon = true)) \
             AND CloseDate < 2025-12-31 AND (Amount > 10.5 AND Probability <= 90)) \
             ORDER BY SystemModstamp ASC, Id DESC LIMIT 200 OFFSET 10"
        );
    }

    #[test]
    fn datetime_drops_subseconds() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 5).unwrap()
            + chrono::Duration::milliseconds(123);
        let q = Soql::select(["Id"])
            .from("Opportunity")
            .where_(Condition::gt("SystemModstamp", t));
        assert!(q.render().unwrap().ends_with("> 2024-05-01T12:30:05Z"));
    }

    #[test]
    fn null_checks_and_option_literals() {
        let q = Soql::select(["Id"]).from("Contact").where_(Condition::all([
            Condition::is_null("Email"),
            Condition::not_null("AccountId"),
            Condition::eq("Title", Option::<String>::None),
            Condition::not_in("Id", ["003000000000001"]),
        ]));
        assert_eq!(
            q.render().unwrap(),
            "SELECT Id FROM Contact WHERE (Email = null AND AccountId != null AND Title = null AND Id NOT IN ('003000000000001'))"
        );
    }

    #[test]
    fn like_escapes_wildcards_in_data_only() {
        let q = Soql::select(["Id"]).from("Account").where_(Condition::like(
            "Name",
            LikePattern::contains("50%_off 'x'").one(),
        ));
        assert_eq!(
            q.render().unwrap(),
            r"SELECT Id FROM Account WHERE Name LIKE '%50\%\_off \'x\'%_'"
        );
    }

    #[test]
    fn rejects_bad_identifiers() {
        for bad in [
            "",
            "Name; DELETE",
            "Name,Id",
            "1Name",
            "Account..Name",
            "Name'",
            "Account.",
            "Na me",
            "Name)",
        ] {
            let q = Soql::select([bad]).from("Opportunity");
            assert!(
                matches!(q.render(), Err(SoqlError::InvalidIdentifier(_))),
                "{bad:?}"
            );
            let q = Soql::select(["Id"])
                .from("Opportunity")
                .where_(Condition::eq(bad, 1));
            assert!(q.render().is_err(), "{bad:?}");
        }
        assert!(Soql::select(["Id"]).from("Account.Name").render().is_err());
        assert!(Soql::select(["Id"])
            .from("Account")
            .order_by("Name DESC", Direction::Asc)
            .render()
            .is_err());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            Soql::select(Vec::<String>::new()).from("A").render(),
            Err(SoqlError::NoFields)
        );
        assert_eq!(Soql::select(["Id"]).render(), Err(SoqlError::NoObject));
        assert_eq!(
            Soql::select(["Id"])
                .from("A")
                .where_(Condition::in_("Id", Vec::<String>::new()))
                .render(),
            Err(SoqlError::EmptyIn("Id".into()))
        );
        assert_eq!(
            Soql::select(["Id"])
                .from("A")
                .where_(Condition::all([]))
                .render(),
            Err(SoqlError::EmptyGroup)
        );
        assert_eq!(
            Soql::select(["Id"])
                .from("A")
                .where_(Condition::eq("Amount", f64::NAN))
                .render(),
            Err(SoqlError::NonFiniteNumber)
        );
    }

    #[test]
    fn custom_and_relationship_fields_are_accepted() {
        for ok in [
            "Referral_Id__c",
            "ns__Field__c",
            "Account.Owner.Name",
            "Referral__r.Name",
        ] {
            assert!(validate_field(ok).is_ok(), "{ok}");
        }
    }

    proptest! {
        #[test]
        fn any_string_renders_as_exactly_one_literal(s in any::<String>()) {
            let rendered = quote(&s);
            let (decoded, rest) = read_literal(&rendered).expect("one literal");
            prop_assert_eq!(decoded, s);
            prop_assert_eq!(rest, "");
        }

        #[test]
        fn any_string_in_a_where_clause_stays_data(s in any::<String>()) {
            let q = Soql::select(["Id"]).from("Opportunity")
                .where_(Condition::eq("Name", s.as_str()))
                .limit(1);
            let rendered = q.render().unwrap();
            let tail = rendered.strip_prefix("SELECT Id FROM Opportunity WHERE Name = ").unwrap();
            let (decoded, rest) = read_literal(tail).expect("one literal");
            prop_assert_eq!(decoded, s);
            prop_assert_eq!(rest, " LIMIT 1");
        }
    }
}
