//! SOQL string literals: decoding the documented escape sequences (SOQL and
//! SOSL Reference, "Quoted String Escape Sequences") and encoding values so
//! clients and tests can build queries safely.

use super::ast::LikeElem;
use super::errors::SoqlError;

/// Hex digits after `\u`.
const UNICODE_ESCAPE_DIGITS: usize = 4;

/// Where a string literal is used: `\%` and `\_` are legal only in `LIKE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringContext {
    /// A plain comparison value.
    Value,
    /// A `LIKE` pattern.
    Like,
}

/// One decoded character of a literal; `escaped` marks `\%` and `\_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decoded {
    ch: char,
    escaped: bool,
}

/// Decodes the text between the quotes of a comparison value.
pub(crate) fn decode_value(raw: &str) -> Result<String, SoqlError> {
    Ok(decode(raw, StringContext::Value)?
        .into_iter()
        .map(|d| d.ch)
        .collect())
}

/// Decodes the text between the quotes of a `LIKE` pattern.
pub(crate) fn decode_like(raw: &str) -> Result<Vec<LikeElem>, SoqlError> {
    Ok(decode(raw, StringContext::Like)?
        .into_iter()
        .map(|d| match (d.ch, d.escaped) {
            ('%', false) => LikeElem::Many,
            ('_', false) => LikeElem::One,
            (c, _) => LikeElem::Char(c),
        })
        .collect())
}

fn illegal(raw: &str, seq: &str) -> SoqlError {
    SoqlError::malformed(format!(
        "Invalid string literal '{raw}'. Illegal character sequence '{seq}' in string literal."
    ))
}

fn decode(raw: &str, context: StringContext) -> Result<Vec<Decoded>, SoqlError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(Decoded {
                ch: c,
                escaped: false,
            });
            continue;
        }
        let Some(e) = chars.next() else {
            return Err(illegal(raw, "\\"));
        };
        let plain = |ch| Decoded { ch, escaped: false };
        let decoded = match e {
            'n' | 'N' => plain('\n'),
            'r' | 'R' => plain('\r'),
            't' | 'T' => plain('\t'),
            'b' | 'B' => plain('\u{8}'),
            'f' | 'F' => plain('\u{c}'),
            '"' | '\'' | '\\' => plain(e),
            // "LIKE expression only"; elsewhere "If you use a backslash character in any other
            // context, an error occurs."
            '%' | '_' if context == StringContext::Like => Decoded {
                ch: e,
                escaped: true,
            },
            'u' => plain(decode_unicode(raw, &mut chars)?),
            other => return Err(illegal(raw, &format!("\\{other}"))),
        };
        out.push(decoded);
    }
    Ok(out)
}

fn read_hex4(
    raw: &str,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<u32, SoqlError> {
    let mut digits = String::with_capacity(UNICODE_ESCAPE_DIGITS);
    for _ in 0..UNICODE_ESCAPE_DIGITS {
        match chars.next() {
            Some(d) if d.is_ascii_hexdigit() => digits.push(d),
            _ => return Err(illegal(raw, &format!("\\u{digits}"))),
        }
    }
    u32::from_str_radix(&digits, 16).map_err(|_| illegal(raw, &format!("\\u{digits}")))
}

/// Decodes `\uXXXX`, joining a UTF-16 surrogate pair written as two escapes.
fn decode_unicode(
    raw: &str,
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<char, SoqlError> {
    let high = read_hex4(raw, chars)?;
    if (0xD800..0xDC00).contains(&high) {
        if chars.next() != Some('\\') || chars.next() != Some('u') {
            return Err(illegal(raw, &format!("\\u{high:04x}")));
        }
        let low = read_hex4(raw, chars)?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(illegal(raw, &format!("\\u{low:04x}")));
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        return char::from_u32(code).ok_or_else(|| illegal(raw, &format!("\\u{high:04x}")));
    }
    char::from_u32(high).ok_or_else(|| illegal(raw, &format!("\\u{high:04x}")))
}

/// Quotes `value` as a SOQL string literal for `=`, `IN` and similar.
pub fn escape_string(value: &str) -> String {
    escape(value, false)
}

/// Quotes `value` as a `LIKE` pattern that matches `value` exactly
/// (`%` and `_` escaped); append `%` inside the quotes for a prefix match.
pub fn escape_like(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, like: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' | '_' if like => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
