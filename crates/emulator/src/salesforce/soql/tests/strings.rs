//! Escaping round trips: any value quoted by `escape_string` parses back to itself.

use proptest::prelude::*;

use crate::salesforce::soql::{escape_like, escape_string, parse, Condition, LikeElem, Literal};

fn parsed_value(quoted: &str) -> Literal {
    match parse(&format!("SELECT Id FROM X WHERE F = {quoted}"))
        .unwrap()
        .filter
    {
        Some(Condition::Compare { value, .. }) => value,
        other => panic!("{other:?}"),
    }
}

#[test]
fn escape_string_examples() {
    assert_eq!(escape_string("plain"), "'plain'");
    assert_eq!(escape_string("a'b\\c\"d\ne"), r#"'a\'b\\c\"d\ne'"#);
    assert_eq!(escape_string("50%_"), "'50%_'");
    assert_eq!(escape_like("50%_"), r"'50\%\_'");
}

proptest! {
    #[test]
    fn escape_then_parse_is_identity(s in any::<String>()) {
        prop_assert_eq!(parsed_value(&escape_string(&s)), Literal::String(s));
    }

    #[test]
    fn escape_like_matches_only_literal_chars(s in any::<String>()) {
        let q = format!("SELECT Id FROM X WHERE F LIKE {}", escape_like(&s));
        let Some(Condition::Like { pattern, .. }) = parse(&q).unwrap().filter else {
            panic!("LIKE expected");
        };
        let expected: Vec<LikeElem> = s.chars().map(LikeElem::Char).collect();
        prop_assert_eq!(pattern, expected);
    }
}
