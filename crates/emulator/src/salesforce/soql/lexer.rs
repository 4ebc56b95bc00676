//! Splits a SOQL statement into tokens. Keywords are plain identifiers here;
//! the parser recognises them case-insensitively.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::ast::CompareOp;
use super::errors::SoqlError;

/// Text shown for the end of input in "unexpected token" messages.
pub(crate) const EOF_TEXT: &str = "<EOF>";

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Identifier or keyword.
    Ident(String),
    /// String literal: the raw text between the quotes, escapes not decoded.
    Str(String),
    /// Numeric literal as written.
    Number(f64),
    /// `YYYY-MM-DD`.
    Date(NaiveDate),
    /// `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`.
    DateTime(DateTime<FixedOffset>),
    /// A comparison operator.
    Op(CompareOp),
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `.`
    Dot,
    /// `:`
    Colon,
    /// End of input.
    Eof,
}

/// A token and the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// Kind and value.
    pub tok: Tok,
    /// Source text (or `<EOF>`), for error messages.
    pub text: String,
    /// Byte offset of the token in the query (its length at the end).
    pub start: usize,
}

/// Tokenises `src`, ending with [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, SoqlError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut out = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let done = token.tok == Tok::Eof;
        out.push(token);
        if done {
            return Ok(out);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn token(&mut self, tok: Tok, len: usize) -> Token {
        let text = self.src[self.pos..self.pos + len].to_string();
        let start = self.pos;
        self.pos += len;
        Token { tok, text, start }
    }

    fn next_token(&mut self) -> Result<Token, SoqlError> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += self.peek().map_or(0, char::len_utf8);
        }
        let Some(c) = self.peek() else {
            return Ok(Token {
                tok: Tok::Eof,
                text: EOF_TEXT.to_string(),
                start: self.src.len(),
            });
        };
        match c {
            ',' => Ok(self.token(Tok::Comma, 1)),
            '(' => Ok(self.token(Tok::LParen, 1)),
            ')' => Ok(self.token(Tok::RParen, 1)),
            '.' => Ok(self.token(Tok::Dot, 1)),
            ':' => Ok(self.token(Tok::Colon, 1)),
            '=' => Ok(self.token(Tok::Op(CompareOp::Eq), 1)),
            '!' if self.peek_at(1) == Some('=') => Ok(self.token(Tok::Op(CompareOp::Ne), 2)),
            '<' => Ok(match self.peek_at(1) {
                Some('>') => self.token(Tok::Op(CompareOp::Ne), 2),
                Some('=') => self.token(Tok::Op(CompareOp::Le), 2),
                _ => self.token(Tok::Op(CompareOp::Lt), 1),
            }),
            '>' => Ok(match self.peek_at(1) {
                Some('=') => self.token(Tok::Op(CompareOp::Ge), 2),
                _ => self.token(Tok::Op(CompareOp::Gt), 1),
            }),
            '\'' => self.string(),
            c if c.is_ascii_alphabetic() || c == '_' => Ok(self.ident()),
            c if c.is_ascii_digit() => self.number_or_date(),
            '-' | '+' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
            other => Err(SoqlError::unexpected(&other.to_string()).at(self.pos)),
        }
    }

    fn ident(&mut self) -> Token {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let name = self.rest()[..len].to_string();
        self.token(Tok::Ident(name), len)
    }

    fn string(&mut self) -> Result<Token, SoqlError> {
        let body = &self.rest()[1..];
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => {
                    let raw = body[..i].to_string();
                    return Ok(self.token(Tok::Str(raw), i + 2));
                }
                _ => {}
            }
        }
        // Salesforce reports an unterminated literal as a lexer mismatch at the end.
        Err(SoqlError::malformed(format!(
            "line 1:{} mismatched character '{EOF_TEXT}' expecting '''",
            self.src.chars().count()
        )))
    }

    fn digits_len(s: &str) -> usize {
        s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())
    }

    fn number(&mut self) -> Result<Token, SoqlError> {
        let rest = self.rest();
        let sign = usize::from(rest.starts_with(['-', '+']));
        let mut len = sign + Self::digits_len(&rest[sign..]);
        if rest[len..].starts_with('.') && rest[len + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            len += 1 + Self::digits_len(&rest[len + 1..]);
        }
        let text = &rest[..len];
        let value: f64 = text.parse().map_err(|_| SoqlError::unexpected(text))?;
        Ok(self.token(Tok::Number(value), len))
    }

    fn number_or_date(&mut self) -> Result<Token, SoqlError> {
        let rest = self.rest();
        let is_date_shape = rest.len() >= DATE_LEN
            && rest.as_bytes()[..DATE_LEN]
                .iter()
                .enumerate()
                .all(|(i, b)| {
                    if i == 4 || i == 7 {
                        *b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
        if !is_date_shape {
            return self.number();
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | ':' | '.')))
            .unwrap_or(rest.len());
        let text = &rest[..len];
        if len == DATE_LEN {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| SoqlError::unexpected(text))?;
            return Ok(self.token(Tok::Date(date), len));
        }
        let dt = parse_datetime_literal(text).ok_or_else(|| SoqlError::unexpected(text))?;
        Ok(self.token(Tok::DateTime(dt), len))
    }
}

/// Length of `YYYY-MM-DD`.
const DATE_LEN: usize = 10;

/// Parses a SOQL datetime literal: `YYYY-MM-DDThh:mm:ss[.SSS](Z|±hh:mm)`
/// (SOQL reference, "Date Formats and Date Literals").
fn parse_datetime_literal(text: &str) -> Option<DateTime<FixedOffset>> {
    let (body, zulu) = match text.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (text, false),
    };
    if zulu {
        let naive = chrono::NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        return Some(naive.and_utc().fixed_offset());
    }
    // The offset must carry a colon: `+01:00`.
    let offset_start = body.len().checked_sub("+hh:mm".len())?;
    let offset = body.get(offset_start..)?;
    if !(offset.starts_with(['+', '-']) && offset.as_bytes().get(3) == Some(&b':')) {
        return None;
    }
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%:z").ok()
}
