//! The parsed form of a SOQL query. Names are kept as written; the evaluator
//! resolves them against a [`super::Catalog`].

use chrono::{DateTime, FixedOffset, NaiveDate};

/// A parsed `SELECT … FROM …` statement. Positions are only for error
/// messages: two queries written with other spacing are equal.
#[derive(Debug, Clone)]
pub struct Query {
    /// The select list, in order.
    pub select: Vec<SelectItem>,
    /// The object named after `FROM`, as written.
    pub from: String,
    /// Byte offset of that name in the query.
    pub from_at: usize,
    /// The `WHERE` condition, if any.
    pub filter: Option<Condition>,
    /// `ORDER BY` keys, most significant first.
    pub order_by: Vec<OrderKey>,
    /// `LIMIT n`.
    pub limit: Option<u64>,
    /// `OFFSET n`.
    pub offset: Option<u64>,
}

impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.select == other.select
            && self.from == other.from
            && self.filter == other.filter
            && self.order_by == other.order_by
            && self.limit == other.limit
            && self.offset == other.offset
    }
}

impl Query {
    /// True for `SELECT COUNT() FROM …`, whose answer is only a total.
    pub fn is_count_only(&self) -> bool {
        matches!(self.select.as_slice(), [SelectItem::CountAll])
    }
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// A field, possibly through parent relationships (`Account.Owner.Name`).
    Field(FieldPath),
    /// `COUNT()`: the query answers with a total and no records.
    CountAll,
    /// `COUNT(field) [alias]`: an aggregate over non-null values.
    Count {
        /// The counted field.
        field: FieldPath,
        /// The alias, if one was written (otherwise `expr0`, `expr1`, …).
        alias: Option<String>,
    },
}

/// A dotted field path as written: relationship names then a field name.
/// Two paths are equal when their segments are; where they were written is
/// only for error messages.
#[derive(Debug, Clone)]
pub struct FieldPath {
    /// The segments, at least one.
    pub segments: Vec<String>,
    /// Byte offset of the path in the query.
    pub at: usize,
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for FieldPath {}

impl FieldPath {
    /// The path as written, dot-joined.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

/// A `WHERE` condition tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// All must hold.
    And(Vec<Condition>),
    /// One must hold.
    Or(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
    /// `field op value`.
    Compare {
        /// Left-hand field.
        field: FieldPath,
        /// Operator.
        op: CompareOp,
        /// Right-hand literal.
        value: Literal,
    },
    /// `field [NOT] IN (v, …)`.
    In {
        /// Left-hand field.
        field: FieldPath,
        /// True for `NOT IN`.
        negated: bool,
        /// The listed literals.
        values: Vec<Literal>,
    },
    /// `field LIKE 'pattern'`.
    Like {
        /// Left-hand field.
        field: FieldPath,
        /// The decoded pattern.
        pattern: Vec<LikeElem>,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=` or `<>`
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

/// One element of a `LIKE` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeElem {
    /// A character matched case-insensitively (including escaped `%`/`_`).
    Char(char),
    /// `_`: exactly one character.
    One,
    /// `%`: any run of characters.
    Many,
}

/// A literal value on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A quoted string, escapes decoded.
    String(String),
    /// A number.
    Number(f64),
    /// `true` / `false`.
    Boolean(bool),
    /// `null`.
    Null,
    /// `2024-05-01`.
    Date(NaiveDate),
    /// `2024-05-01T00:00:00Z` and offset forms.
    DateTime(DateTime<FixedOffset>),
    /// A relative date range such as `TODAY` or `LAST_N_DAYS:30`.
    DateRange(DateRange),
}

/// Relative date literals (evaluated in UTC against the current day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRange {
    /// `YESTERDAY`
    Yesterday,
    /// `TODAY`
    Today,
    /// `TOMORROW`
    Tomorrow,
    /// `LAST_WEEK` (weeks start on Sunday, the en_US locale)
    LastWeek,
    /// `THIS_WEEK`
    ThisWeek,
    /// `NEXT_WEEK`
    NextWeek,
    /// `LAST_MONTH`
    LastMonth,
    /// `THIS_MONTH`
    ThisMonth,
    /// `NEXT_MONTH`
    NextMonth,
    /// `LAST_YEAR`
    LastYear,
    /// `THIS_YEAR`
    ThisYear,
    /// `NEXT_YEAR`
    NextYear,
    /// `LAST_N_DAYS:n` (and `LAST_90_DAYS`): today and the n days before.
    LastNDays(u32),
    /// `NEXT_N_DAYS:n` (and `NEXT_90_DAYS`): the n days after today.
    NextNDays(u32),
    /// `N_DAYS_AGO:n`: the single day n days ago.
    NDaysAgo(u32),
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// The sort field.
    pub field: FieldPath,
    /// True for `DESC`.
    pub descending: bool,
    /// True when nulls sort first (`NULLS FIRST`, the default).
    pub nulls_first: bool,
}
