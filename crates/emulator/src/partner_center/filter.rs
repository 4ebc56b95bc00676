//! The OData `$filter` subset the Referrals API documents (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>):
//! `eq ne gt ge lt le`, `and or not`, parentheses, string literals with `''`
//! escaping, unquoted GUIDs, datetimes, numbers, `true/false/null`, nested
//! paths such as `customerProfile/address/country`, and `any`/`all` lambdas
//! such as `team/any(t:t/email eq 'x')`.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::schema::{canonical_key, BOOL_KEYS};
use super::store::parse_datetime;

/// A filter the parser could not accept; rendered as 400 invalidRequest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Invalid $filter: {0}")]
pub(super) struct FilterError(String);

impl FilterError {
    /// A refusal with this explanation.
    pub(super) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError::new(message))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Colon,
    Slash,
    Word(String),
    Str(String),
    Num(f64),
    Guid(String),
    Time(DateTime<Utc>),
}

/// A literal value in a filter.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Guid(String),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Lit(Literal),
    /// A property path; the first segment may be a lambda variable.
    Path(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, CmpOp, Operand),
    Truthy(Operand),
    Lambda {
        all: bool,
        path: Vec<String>,
        var: Option<String>,
        body: Option<Box<Expr>>,
    },
}

fn is_guid(word: &str) -> bool {
    let parts: Vec<&str> = word.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_date_prefix(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            '/' => {
                tokens.push(Token::Slash);
                i += 1;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return err("unterminated string literal"),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            text.push(*ch);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Str(text));
            }
            c if c.is_ascii_alphanumeric()
                || c == '_'
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                {
                    i += 1;
                }
                let mut word: String = chars[start..i].iter().collect();
                if is_guid(&word) {
                    tokens.push(Token::Guid(word));
                } else if is_date_prefix(&word) {
                    while i < chars.len()
                        && (chars[i].is_ascii_alphanumeric()
                            || matches!(chars[i], ':' | '.' | '+' | '-'))
                    {
                        word.push(chars[i]);
                        i += 1;
                    }
                    match parse_datetime(&word) {
                        Some(at) => tokens.push(Token::Time(at)),
                        None => return err(format!("'{word}' is not a valid datetime")),
                    }
                } else if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                    match word.parse::<f64>() {
                        Ok(n) => tokens.push(Token::Num(n)),
                        Err(_) => return err(format!("'{word}' is not a valid literal")),
                    }
                } else if word.contains(['-', '.']) {
                    return err(format!("unexpected token '{word}'"));
                } else {
                    tokens.push(Token::Word(word));
                }
            }
            other => return err(format!("unexpected character '{other}' at position {i}")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    vars: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), FilterError> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            _ => err(format!("expected {what}")),
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or()?;
            self.expect(Token::Close, "')'")?;
            return Ok(inner);
        }
        let left = match self.operand()? {
            Term::Lambda(expr) => return Ok(expr),
            Term::Operand(op) => op,
        };
        let op = match self.peek() {
            Some(Token::Word(w)) => match w.as_str() {
                "eq" => Some(CmpOp::Eq),
                "ne" => Some(CmpOp::Ne),
                "gt" => Some(CmpOp::Gt),
                "ge" => Some(CmpOp::Ge),
                "lt" => Some(CmpOp::Lt),
                "le" => Some(CmpOp::Le),
                _ => None,
            },
            _ => None,
        };
        let Some(op) = op else {
            return self.truthy(left);
        };
        self.pos += 1;
        match self.operand()? {
            Term::Operand(right) => Ok(Expr::Cmp(left, op, right)),
            Term::Lambda(_) => err("a lambda cannot be compared"),
        }
    }

    fn truthy(&self, operand: Operand) -> Result<Expr, FilterError> {
        let boolean = match &operand {
            Operand::Lit(Literal::Bool(_)) => true,
            Operand::Path(path) => path.last().is_some_and(|k| BOOL_KEYS.contains(&k.as_str())),
            Operand::Lit(_) => false,
        };
        if boolean {
            Ok(Expr::Truthy(operand))
        } else {
            err("expected a comparison operator (eq, ne, gt, ge, lt, le)")
        }
    }

    fn operand(&mut self) -> Result<Term, FilterError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Term::Operand(Operand::Lit(Literal::Str(s)))),
            Some(Token::Num(n)) => Ok(Term::Operand(Operand::Lit(Literal::Num(n)))),
            Some(Token::Guid(g)) => Ok(Term::Operand(Operand::Lit(Literal::Guid(g)))),
            Some(Token::Time(t)) => Ok(Term::Operand(Operand::Lit(Literal::Time(t)))),
            Some(Token::Word(w)) => match w.as_str() {
                "null" => Ok(Term::Operand(Operand::Lit(Literal::Null))),
                "true" => Ok(Term::Operand(Operand::Lit(Literal::Bool(true)))),
                "false" => Ok(Term::Operand(Operand::Lit(Literal::Bool(false)))),
                _ => self.path(w),
            },
            Some(other) => err(format!("unexpected {other:?}")),
            None => err("unexpected end of expression"),
        }
    }

    fn segment(&self, word: &str) -> Result<String, FilterError> {
        match canonical_key(word) {
            Some(key) => Ok(key.to_owned()),
            None => err(format!(
                "could not find a property named '{word}' on type 'Referral'"
            )),
        }
    }

    fn path(&mut self, first: String) -> Result<Term, FilterError> {
        if self.peek() == Some(&Token::Open) {
            return err(format!("unknown or unsupported function '{first}'"));
        }
        let mut path = vec![if self.vars.contains(&first) {
            first
        } else {
            self.segment(&first)?
        }];
        while self.peek() == Some(&Token::Slash) {
            self.pos += 1;
            let Some(Token::Word(word)) = self.next() else {
                return err("expected a property name after '/'");
            };
            if (word == "any" || word == "all") && self.peek() == Some(&Token::Open) {
                self.pos += 1;
                return self.lambda(path, word == "all").map(Term::Lambda);
            }
            path.push(self.segment(&word)?);
        }
        Ok(Term::Operand(Operand::Path(path)))
    }

    fn lambda(&mut self, path: Vec<String>, all: bool) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Token::Close) {
            self.pos += 1;
            if all {
                return err("all() needs a lambda expression");
            }
            return Ok(Expr::Lambda {
                all,
                path,
                var: None,
                body: None,
            });
        }
        let Some(Token::Word(var)) = self.next() else {
            return err("expected a lambda variable");
        };
        self.expect(Token::Colon, "':' after the lambda variable")?;
        self.vars.push(var.clone());
        let body = self.or()?;
        self.vars.pop();
        self.expect(Token::Close, "')' to close the lambda")?;
        Ok(Expr::Lambda {
            all,
            path,
            var: Some(var),
            body: Some(Box::new(body)),
        })
    }
}

enum Term {
    Operand(Operand),
    Lambda(Expr),
}

/// Parses a `$filter` value.
pub(super) fn parse(input: &str) -> Result<Expr, FilterError> {
    let tokens = lex(input)?;
    if tokens.is_empty() {
        return err("the expression is empty");
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        vars: Vec::new(),
    };
    let expr = parser.or()?;
    if let Some(extra) = parser.peek() {
        return err(format!("unexpected {extra:?} after the expression"));
    }
    Ok(expr)
}

/// A resolved value during evaluation.
enum Val<'a> {
    Lit(&'a Literal),
    Json(Option<&'a Value>),
}

type Scope<'a> = Vec<(&'a str, &'a Value)>;

fn resolve<'a>(root: &'a Value, scope: &Scope<'a>, path: &[String]) -> Option<&'a Value> {
    let (start, rest) = match scope.iter().rev().find(|(name, _)| *name == path[0]) {
        Some((_, value)) => (*value, &path[1..]),
        None => (root, path),
    };
    rest.iter().try_fold(start, |v, key| v.get(key.as_str()))
}

fn literal_of(value: Option<&Value>) -> Option<Literal> {
    Some(match value {
        None | Some(Value::Null) => Literal::Null,
        Some(Value::Bool(b)) => Literal::Bool(*b),
        Some(Value::Number(n)) => Literal::Num(n.as_f64()?),
        Some(Value::String(s)) => Literal::Str(s.clone()),
        Some(_) => return None,
    })
}

fn compare(a: &Literal, b: &Literal) -> Option<Ordering> {
    use Literal::*;
    match (a, b) {
        (Null, Null) => Some(Ordering::Equal),
        (Null, _) | (_, Null) => None,
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Num(x), Num(y)) => x.partial_cmp(y),
        (Str(x), Str(y)) => {
            match (
                parse_datetime(x).filter(|_| x.len() > 10),
                parse_datetime(y).filter(|_| y.len() > 10),
            ) {
                (Some(tx), Some(ty)) if x.contains('T') && y.contains('T') => Some(tx.cmp(&ty)),
                _ => Some(x.as_str().cmp(y.as_str())),
            }
        }
        (Guid(x), Str(y)) | (Str(x), Guid(y)) | (Guid(x), Guid(y)) => {
            Some(x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()))
        }
        (Time(x), Str(y)) => parse_datetime(y).map(|ty| x.cmp(&ty)),
        (Str(x), Time(y)) => parse_datetime(x).map(|tx| tx.cmp(y)),
        (Time(x), Time(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn value_of<'a>(operand: &'a Operand, root: &'a Value, scope: &Scope<'a>) -> Val<'a> {
    match operand {
        Operand::Lit(lit) => Val::Lit(lit),
        Operand::Path(path) => Val::Json(resolve(root, scope, path)),
    }
}

fn to_literal(val: Val<'_>) -> Option<Literal> {
    match val {
        Val::Lit(lit) => Some(lit.clone()),
        Val::Json(json) => literal_of(json),
    }
}

fn eval<'a>(expr: &'a Expr, root: &'a Value, scope: &mut Scope<'a>) -> bool {
    match expr {
        Expr::Or(a, b) => eval(a, root, scope) || eval(b, root, scope),
        Expr::And(a, b) => eval(a, root, scope) && eval(b, root, scope),
        Expr::Not(a) => !eval(a, root, scope),
        Expr::Truthy(operand) => {
            matches!(
                to_literal(value_of(operand, root, scope)),
                Some(Literal::Bool(true))
            )
        }
        Expr::Cmp(left, op, right) => {
            let (Some(a), Some(b)) = (
                to_literal(value_of(left, root, scope)),
                to_literal(value_of(right, root, scope)),
            ) else {
                return false;
            };
            let ord = compare(&a, &b);
            match op {
                CmpOp::Eq => ord == Some(Ordering::Equal),
                CmpOp::Ne => ord != Some(Ordering::Equal),
                CmpOp::Gt => ord == Some(Ordering::Greater),
                CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                CmpOp::Lt => ord == Some(Ordering::Less),
                CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Expr::Lambda {
            all,
            path,
            var,
            body,
        } => {
            let items: &'a [Value] = resolve(root, scope, path)
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice);
            let (Some(var), Some(body)) = (var, body) else {
                return !items.is_empty();
            };
            let mut test = |item: &'a Value| {
                scope.push((var.as_str(), item));
                let hit = eval(body, root, scope);
                scope.pop();
                hit
            };
            if *all {
                items.iter().all(&mut test)
            } else {
                items.iter().any(&mut test)
            }
        }
    }
}

impl Expr {
    /// Whether `referral` satisfies the filter.
    pub(super) fn matches(&self, referral: &Value) -> bool {
        eval(self, referral, &mut Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "id": "c5fbb3b6-0000-4000-8000-000000000001",
            "engagementId": "1352E03D-1111-4222-8333-444455556666",
            "status": "Active", "substatus": "Accepted", "type": "Shared", "direction": "Outgoing",
            "isSpam": false,
            "name": "O'Brien deal",
            "createdDateTime": "2024-03-01T10:00:00.0000000Z",
            "customerProfile": {"address": {"country": "US"}},
            "details": {"dealValue": 5000},
            "team": [{"email": "r2d2@contoso.com"}, {"email": "c3po@contoso.com"}]
        })
    }

    fn hit(filter: &str) -> bool {
        parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&sample())
    }

    #[test]
    fn documented_examples_match() {
        assert!(hit("status eq 'Active' and direction eq 'Outgoing' and type eq 'Shared' and team/any(t:t/email eq 'r2d2@contoso.com')"));
        assert!(hit(
            "customerProfile/address/country eq 'US' and direction eq 'Outgoing'"
        ));
        assert!(hit("(type eq 'Shared' and direction eq 'Outgoing')"));
        assert!(hit("engagementId eq 1352e03d-1111-4222-8333-444455556666"));
        assert!(hit(
            "engagementId eq '1352E03D-1111-4222-8333-444455556666'"
        ));
        assert!(!hit("status eq 'New' or substatus eq 'Pending'"));
    }

    #[test]
    fn operators_literals_and_lambdas() {
        assert!(hit("name eq 'O''Brien deal'"));
        assert!(hit(
            "details/dealValue gt 4999.5 and details/dealValue le 5000"
        ));
        assert!(hit("createdDateTime gt 2024-02-29T00:00:00Z"));
        assert!(hit("createdDateTime lt 2024-03-01T10:00:01.5Z"));
        assert!(hit("not (status ne 'Active')"));
        assert!(hit("externalReferenceId eq null"));
        assert!(hit("not isSpam"));
        assert!(hit("team/any()"));
        assert!(hit("team/all(m:m/email ne 'x@y.z')"));
        assert!(!hit("team/any(t:t/email eq 'nobody@contoso.com')"));
    }

    #[test]
    fn malformed_filters_are_rejected() {
        for bad in [
            "",
            "status eq",
            "status eq 'Active",
            "status equals 'Active'",
            "bogus eq 1",
            "status eq 'Active' and",
            "(status eq 'Active'",
            "status",
            "contains(name,'x')",
            "status eq 'A' extra",
            "createdDateTime gt 2024-13-45T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
