//! Syntax: the AST built for each construct.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::salesforce::soql::{
    parse, CompareOp, Condition, DateRange, FieldPath, LikeElem, Literal, OrderKey, SelectItem,
};

fn path(dotted: &str) -> FieldPath {
    FieldPath {
        segments: dotted.split('.').map(str::to_string).collect(),
        at: 0,
    }
}

fn filter(soql: &str) -> Condition {
    parse(soql)
        .unwrap()
        .filter
        .expect("query has a WHERE clause")
}

fn value(soql_value: &str) -> Literal {
    match filter(&format!("SELECT Id FROM X WHERE F = {soql_value}")) {
        Condition::Compare { value, .. } => value,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn full_statement() {
    let q = parse(
        "select Id, Account.Owner.Name, count(Id) n from Opportunity where Name = 'a' \
         order by CloseDate desc nulls last, Id limit 10 offset 5",
    )
    .unwrap();
    assert_eq!(
        q.select,
        [
            SelectItem::Field(path("Id")),
            SelectItem::Field(path("Account.Owner.Name")),
            SelectItem::Count {
                field: path("Id"),
                alias: Some("n".into())
            },
        ]
    );
    assert_eq!(q.from, "Opportunity");
    assert_eq!(
        q.order_by,
        [
            OrderKey {
                field: path("CloseDate"),
                descending: true,
                nulls_first: false
            },
            OrderKey {
                field: path("Id"),
                descending: false,
                nulls_first: true
            },
        ]
    );
    assert_eq!((q.limit, q.offset), (Some(10), Some(5)));
    assert!(!q.is_count_only());
    assert!(parse("SELECT COUNT() FROM X").unwrap().is_count_only());
}

#[test]
fn literals() {
    assert_eq!(value("'x'"), Literal::String("x".into()));
    assert_eq!(value("-12.5"), Literal::Number(-12.5));
    assert_eq!(value("42"), Literal::Number(42.0));
    assert_eq!(value("TRUE"), Literal::Boolean(true));
    assert_eq!(value("false"), Literal::Boolean(false));
    assert_eq!(value("Null"), Literal::Null);
    assert_eq!(
        value("2024-05-01"),
        Literal::Date(NaiveDate::from_ymd_opt(2024, 5, 1).unwrap())
    );
    let utc = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    for text in [
        "2024-05-01T00:00:00Z",
        "2024-05-01T00:00:00.000Z",
        "2024-05-01T01:00:00+01:00",
        "2024-04-30T19:00:00.000-05:00",
    ] {
        match value(text) {
            Literal::DateTime(dt) => assert_eq!(dt, utc, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(value("TODAY"), Literal::DateRange(DateRange::Today));
    assert_eq!(
        value("LAST_N_DAYS:30"),
        Literal::DateRange(DateRange::LastNDays(30))
    );
    assert_eq!(
        value("next_n_days : 7"),
        Literal::DateRange(DateRange::NextNDays(7))
    );
    assert_eq!(
        value("N_DAYS_AGO:3"),
        Literal::DateRange(DateRange::NDaysAgo(3))
    );
}

#[test]
fn string_escapes_decode() {
    assert_eq!(
        value(r#"'a\'b\"c\\d\ne\rf\tg\bh\fi\u00e9\N'"#),
        Literal::String("a'b\"c\\d\ne\rf\tg\u{8}h\u{c}i\u{e9}\n".into())
    );
    assert_eq!(
        value(r"'\ud83d\ude00'"),
        Literal::String("\u{1F600}".into())
    );
}

#[test]
fn boolean_structure_and_precedence() {
    let c = filter("SELECT Id FROM X WHERE NOT A = 1 AND (B = 2 OR C != 3) AND D <> 4");
    let cmp = |f: &str, op, n: f64| Condition::Compare {
        field: path(f),
        op,
        value: Literal::Number(n),
    };
    assert_eq!(
        c,
        Condition::And(vec![
            Condition::Not(Box::new(cmp("A", CompareOp::Eq, 1.0))),
            Condition::Or(vec![
                cmp("B", CompareOp::Eq, 2.0),
                cmp("C", CompareOp::Ne, 3.0)
            ]),
            cmp("D", CompareOp::Ne, 4.0),
        ])
    );
}

#[test]
fn in_not_in_and_like() {
    assert_eq!(
        filter("SELECT Id FROM X WHERE F NOT IN ('a', 'b')"),
        Condition::In {
            field: path("F"),
            negated: true,
            values: vec![Literal::String("a".into()), Literal::String("b".into())],
        }
    );
    assert_eq!(
        filter(r"SELECT Id FROM X WHERE F LIKE 'a%\%_\_'"),
        Condition::Like {
            field: path("F"),
            pattern: vec![
                LikeElem::Char('a'),
                LikeElem::Many,
                LikeElem::Char('%'),
                LikeElem::One,
                LikeElem::Char('_'),
            ],
        }
    );
}

#[test]
fn operators() {
    for (text, op) in [
        ("=", CompareOp::Eq),
        ("!=", CompareOp::Ne),
        ("<>", CompareOp::Ne),
        ("<", CompareOp::Lt),
        ("<=", CompareOp::Le),
        (">", CompareOp::Gt),
        (">=", CompareOp::Ge),
    ] {
        match filter(&format!("SELECT Id FROM X WHERE F {text} 1")) {
            Condition::Compare { op: got, .. } => assert_eq!(got, op, "{text}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn whitespace_and_case_are_free() {
    let a = parse("SELECT Id,Name FROM Opportunity WHERE Amount>=5 ORDER BY Name LIMIT 1").unwrap();
    let b = parse(
        "  select\n\tId ,  Name\nfrom Opportunity\r\nwhere Amount >= 5 order  by Name limit 1 ",
    )
    .unwrap();
    assert_eq!(a, b);
}
