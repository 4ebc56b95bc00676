//! Recursive-descent parser for the SOQL subset. It checks syntax only;
//! names are resolved later against the catalog.

use super::ast::{Condition, DateRange, FieldPath, Literal, OrderKey, Query, SelectItem};
use super::errors::SoqlError;
use super::lexer::{tokenize, Tok, Token};
use super::strings::{decode_like, decode_value};

/// Most parent levels a field path may climb (SOQL allows five).
const MAX_RELATIONSHIP_DEPTH: usize = 5;

/// Parses `src` into a [`Query`].
pub(crate) fn parse(src: &str) -> Result<Query, SoqlError> {
    let tokens = tokenize(src)?;
    let mut p = Parser { tokens, pos: 0 };
    let parsed = p.query().and_then(|query| {
        p.expect_eof()?;
        Ok(query)
    });
    // A syntax error points at the token the parser stopped on.
    parsed.map_err(|e| e.at(p.peek().start))
}

/// How the conditions at one level are joined; SOQL forbids mixing AND and OR
/// without parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Joiner {
    And,
    Or,
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_tok(&self) -> &Tok {
        &self.peek().tok
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn unexpected(&self) -> SoqlError {
        SoqlError::unexpected(&self.peek().text)
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek_tok(), Tok::Ident(s) if s.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.advance();
        }
        found
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), SoqlError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek_tok() == tok;
        if found {
            self.advance();
        }
        found
    }

    fn expect(&mut self, tok: &Tok) -> Result<(), SoqlError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect_eof(&self) -> Result<(), SoqlError> {
        if *self.peek_tok() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// An identifier that is not a reserved word of the clauses around it.
    fn name(&mut self) -> Result<String, SoqlError> {
        match self.peek_tok() {
            Tok::Ident(s) if !is_reserved(s) => {
                let s = s.clone();
                self.advance();
                Ok(s)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn query(&mut self) -> Result<Query, SoqlError> {
        self.expect_keyword("SELECT")?;
        let select = self.select_list()?;
        self.expect_keyword("FROM")?;
        let from_at = self.peek().start;
        let from = self.name()?;
        let filter = if self.eat_keyword("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                order_by.push(self.order_key()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.count_value()?)
        } else {
            None
        };
        let offset = if self.eat_keyword("OFFSET") {
            Some(self.count_value()?)
        } else {
            None
        };
        Ok(Query {
            select,
            from,
            from_at,
            filter,
            order_by,
            limit,
            offset,
        })
    }

    fn select_list(&mut self) -> Result<Vec<SelectItem>, SoqlError> {
        let mut items = Vec::new();
        loop {
            let item = self.select_item()?;
            let count_all = item == SelectItem::CountAll;
            // COUNT() must stand alone in the select list.
            if count_all && !items.is_empty() {
                return Err(SoqlError::unexpected("COUNT"));
            }
            items.push(item);
            if count_all || !self.eat(&Tok::Comma) {
                return Ok(items);
            }
        }
    }

    fn select_item(&mut self) -> Result<SelectItem, SoqlError> {
        let is_count = self.is_keyword("COUNT")
            && self.tokens.get(self.pos + 1).map(|t| &t.tok) == Some(&Tok::LParen);
        if !is_count {
            return Ok(SelectItem::Field(self.field_path()?));
        }
        self.advance();
        self.expect(&Tok::LParen)?;
        if self.eat(&Tok::RParen) {
            return Ok(SelectItem::CountAll);
        }
        let field = self.field_path()?;
        self.expect(&Tok::RParen)?;
        let alias = match self.peek_tok() {
            Tok::Ident(s) if !is_reserved(s) => Some(self.name()?),
            _ => None,
        };
        Ok(SelectItem::Count { field, alias })
    }

    fn field_path(&mut self) -> Result<FieldPath, SoqlError> {
        let at = self.peek().start;
        let mut segments = vec![self.name()?];
        while self.eat(&Tok::Dot) {
            segments.push(self.name()?);
        }
        // [I] The limit is documented (SOQL reference, relationship query limits); the text is ours.
        if segments.len() > MAX_RELATIONSHIP_DEPTH + 1 {
            return Err(SoqlError::malformed(format!(
                "SOQL statements cannot query more than {MAX_RELATIONSHIP_DEPTH} levels of \
                 relationships: {}",
                segments.join(".")
            )));
        }
        Ok(FieldPath { segments, at })
    }

    fn order_key(&mut self) -> Result<OrderKey, SoqlError> {
        let field = self.field_path()?;
        let descending = if self.eat_keyword("DESC") {
            true
        } else {
            self.eat_keyword("ASC");
            false
        };
        // SOQL reference, ORDER BY: "By default, null values are sorted first."
        let mut nulls_first = true;
        if self.eat_keyword("NULLS") {
            if self.eat_keyword("LAST") {
                nulls_first = false;
            } else {
                self.expect_keyword("FIRST")?;
            }
        }
        Ok(OrderKey {
            field,
            descending,
            nulls_first,
        })
    }

    fn count_value(&mut self) -> Result<u64, SoqlError> {
        match self.peek_tok() {
            Tok::Number(n) if *n >= 0.0 && n.fract() == 0.0 && !self.peek().text.contains('.') => {
                let n = *n as u64;
                self.advance();
                Ok(n)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn condition(&mut self) -> Result<Condition, SoqlError> {
        let first = self.condition_term()?;
        let mut joiner = None;
        let mut parts = vec![first];
        loop {
            let next = if self.is_keyword("AND") {
                Joiner::And
            } else if self.is_keyword("OR") {
                Joiner::Or
            } else {
                break;
            };
            if joiner.is_some_and(|j| j != next) {
                return Err(self.unexpected());
            }
            joiner = Some(next);
            self.advance();
            parts.push(self.condition_term()?);
        }
        Ok(match joiner {
            None => parts.pop().expect("one condition was parsed"),
            Some(Joiner::And) => Condition::And(parts),
            Some(Joiner::Or) => Condition::Or(parts),
        })
    }

    fn condition_term(&mut self) -> Result<Condition, SoqlError> {
        if self.eat_keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.condition_term()?)));
        }
        if self.eat(&Tok::LParen) {
            let inner = self.condition()?;
            self.expect(&Tok::RParen)?;
            return Ok(inner);
        }
        let field = self.field_path()?;
        if let Tok::Op(op) = *self.peek_tok() {
            self.advance();
            let value = self.literal()?;
            return Ok(Condition::Compare { field, op, value });
        }
        if self.eat_keyword("LIKE") {
            let pattern = match self.advance().tok {
                Tok::Str(raw) => decode_like(&raw)?,
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected());
                }
            };
            return Ok(Condition::Like { field, pattern });
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            self.expect(&Tok::LParen)?;
            let mut values = vec![self.literal()?];
            while self.eat(&Tok::Comma) {
                values.push(self.literal()?);
            }
            self.expect(&Tok::RParen)?;
            return Ok(Condition::In {
                field,
                negated,
                values,
            });
        }
        Err(self.unexpected())
    }

    fn literal(&mut self) -> Result<Literal, SoqlError> {
        let token = self.peek().clone();
        let value = match token.tok {
            Tok::Str(raw) => Literal::String(decode_value(&raw)?),
            Tok::Number(n) => Literal::Number(n),
            Tok::Date(d) => Literal::Date(d),
            Tok::DateTime(dt) => Literal::DateTime(dt),
            Tok::Ident(word) => {
                self.advance();
                return self.word_literal(&word, &token.text);
            }
            _ => return Err(self.unexpected()),
        };
        self.advance();
        Ok(value)
    }

    /// `true`, `false`, `null` and relative date literals such as `LAST_N_DAYS:30`.
    fn word_literal(&mut self, word: &str, text: &str) -> Result<Literal, SoqlError> {
        let upper = word.to_ascii_uppercase();
        let fixed = match upper.as_str() {
            "TRUE" => Some(Literal::Boolean(true)),
            "FALSE" => Some(Literal::Boolean(false)),
            "NULL" => Some(Literal::Null),
            "YESTERDAY" => Some(Literal::DateRange(DateRange::Yesterday)),
            "TODAY" => Some(Literal::DateRange(DateRange::Today)),
            "TOMORROW" => Some(Literal::DateRange(DateRange::Tomorrow)),
            "LAST_WEEK" => Some(Literal::DateRange(DateRange::LastWeek)),
            "THIS_WEEK" => Some(Literal::DateRange(DateRange::ThisWeek)),
            "NEXT_WEEK" => Some(Literal::DateRange(DateRange::NextWeek)),
            "LAST_MONTH" => Some(Literal::DateRange(DateRange::LastMonth)),
            "THIS_MONTH" => Some(Literal::DateRange(DateRange::ThisMonth)),
            "NEXT_MONTH" => Some(Literal::DateRange(DateRange::NextMonth)),
            "LAST_YEAR" => Some(Literal::DateRange(DateRange::LastYear)),
            "THIS_YEAR" => Some(Literal::DateRange(DateRange::ThisYear)),
            "NEXT_YEAR" => Some(Literal::DateRange(DateRange::NextYear)),
            "LAST_90_DAYS" => Some(Literal::DateRange(DateRange::LastNDays(90))),
            "NEXT_90_DAYS" => Some(Literal::DateRange(DateRange::NextNDays(90))),
            _ => None,
        };
        if let Some(literal) = fixed {
            return Ok(literal);
        }
        let make: fn(u32) -> DateRange = match upper.as_str() {
            "LAST_N_DAYS" => DateRange::LastNDays,
            "NEXT_N_DAYS" => DateRange::NextNDays,
            "N_DAYS_AGO" => DateRange::NDaysAgo,
            _ => return Err(SoqlError::unexpected(text)),
        };
        if !self.eat(&Tok::Colon) {
            return Err(self.unexpected());
        }
        let n = self.count_value()?;
        let n = u32::try_from(n).map_err(|_| SoqlError::unexpected(&n.to_string()))?;
        Ok(Literal::DateRange(make(n)))
    }
}

/// Words that end a field list or condition and so cannot be field names here.
fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC",
        "NULLS", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "GROUP", "HAVING", "WITH", "FOR",
        "USING", "INCLUDES", "EXCLUDES",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}
