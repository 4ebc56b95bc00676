//! Every error the module produces: exact code and message.

use serde_json::json;

use super::fixtures::error;
use crate::salesforce::soql::SoqlErrorCode;

fn assert_error(soql: &str, code: SoqlErrorCode, message: &str) {
    let e = error(soql);
    assert_eq!((e.code, e.message.as_str()), (code, message), "{soql}");
}

#[test]
fn errors_point_at_row_and_column_as_salesforce_prints_them() {
    let cases = [
        (
            "SELECT Id, Nme FROM Opportunity",
            "\nSELECT Id, Nme FROM Opportunity\n           ^\nERROR at Row:1:Column:12\nNo such column 'Nme' on entity 'Opportunity'.",
        ),
        (
            "SELECT Id FROM Nope__c",
            "\nSELECT Id FROM Nope__c\n               ^\nERROR at Row:1:Column:16\nsObject type 'Nope__c' is not supported.",
        ),
        (
            "SELECT Id\nFORM Opportunity",
            "\nFORM Opportunity\n^\nERROR at Row:2:Column:1\nunexpected token: 'FORM'",
        ),
    ];
    for (soql, start) in cases {
        let rendered = error(soql).rendered(soql);
        assert!(rendered.starts_with(start), "{soql}: {rendered:?}");
    }
}

#[test]
fn misspelled_keyword_is_malformed() {
    assert_error(
        "SELECT Id FORM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "unexpected token: 'FORM'",
    );
}

#[test]
fn other_syntax_errors_are_malformed() {
    use SoqlErrorCode::MalformedQuery as M;
    assert_error("SELECT Id FROM", M, "unexpected token: '<EOF>'");
    assert_error("SELECT FROM Opportunity", M, "unexpected token: 'FROM'");
    assert_error("SELECT Id, FROM Opportunity", M, "unexpected token: 'FROM'");
    assert_error("UPDATE Opportunity", M, "unexpected token: 'UPDATE'");
    assert_error(
        "SELECT Id FROM Opportunity WHERE",
        M,
        "unexpected token: '<EOF>'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name",
        M,
        "unexpected token: '<EOF>'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name == 'x'",
        M,
        "unexpected token: '='",
    );
    assert_error(
        "SELECT Id FROM Opportunity LIMIT -1",
        M,
        "unexpected token: '-1'",
    );
    assert_error(
        "SELECT Id FROM Opportunity LIMIT 1.5",
        M,
        "unexpected token: '1.5'",
    );
    assert_error(
        "SELECT Id FROM Opportunity OFFSET 1 LIMIT 1",
        M,
        "unexpected token: 'LIMIT'",
    );
    assert_error("SELECT Id FROM Opportunity;", M, "unexpected token: ';'");
    assert_error(
        "SELECT Id FROM Opportunity WHERE Id IN ()",
        M,
        "unexpected token: ')'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name LIKE 5",
        M,
        "unexpected token: '5'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE CloseDate = FOO_DAYS",
        M,
        "unexpected token: 'FOO_DAYS'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS",
        M,
        "unexpected token: '<EOF>'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE CloseDate = 2024-13-01",
        M,
        "unexpected token: '2024-13-01'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-01T00:00:00",
        M,
        "unexpected token: '2024-05-01T00:00:00'",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-01T00:00:00+0100",
        M,
        "unexpected token: '2024-05-01T00:00:00+0100'",
    );
}

#[test]
fn mixing_and_with_or_needs_parentheses() {
    assert_error(
        "SELECT Id FROM Opportunity WHERE IsWon = true AND Amount > 1 OR Name = 'x'",
        SoqlErrorCode::MalformedQuery,
        "unexpected token: 'OR'",
    );
}

#[test]
fn count_all_must_stand_alone() {
    assert_error(
        "SELECT COUNT(), Id FROM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "unexpected token: ','",
    );
    assert_error(
        "SELECT Id, COUNT() FROM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "unexpected token: 'COUNT'",
    );
    assert_error(
        "SELECT Name, COUNT(Id) FROM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "Field must be grouped or aggregated: Name",
    );
}

#[test]
fn duplicate_field_is_malformed() {
    assert_error(
        "SELECT Id, Name, name FROM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "duplicate field selected: name",
    );
}

#[test]
fn unterminated_string_is_malformed() {
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name = 'abc",
        SoqlErrorCode::MalformedQuery,
        "line 1:44 mismatched character '<EOF>' expecting '''",
    );
}

#[test]
fn unknown_escape_is_malformed() {
    assert_error(
        r"SELECT Id FROM Opportunity WHERE Name = 'a\qb'",
        SoqlErrorCode::MalformedQuery,
        r"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.",
    );
    // \% and \_ are legal only in LIKE patterns.
    assert_error(
        r"SELECT Id FROM Opportunity WHERE Name = '50\%'",
        SoqlErrorCode::MalformedQuery,
        r"Invalid string literal '50\%'. Illegal character sequence '\%' in string literal.",
    );
    assert_error(
        r"SELECT Id FROM Opportunity WHERE Name = 'bad \u12'",
        SoqlErrorCode::MalformedQuery,
        r"Invalid string literal 'bad \u12'. Illegal character sequence '\u12' in string literal.",
    );
}

#[test]
fn unknown_object_is_invalid_type() {
    assert_error(
        "SELECT Id FROM Foo",
        SoqlErrorCode::InvalidType,
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be \
         sure to append the '__c' after the entity name. Please reference your WSDL or the \
         describe call for the appropriate names.",
    );
}

#[test]
fn unknown_field_is_invalid_field() {
    let message =
        "No such column 'Foo__c' on entity 'Opportunity'. If you are attempting to use a \
                   custom field, be sure to append the '__c' after the custom field name. Please \
                   reference your WSDL or the describe call for the appropriate names.";
    assert_error(
        "SELECT Id, Foo__c FROM Opportunity",
        SoqlErrorCode::InvalidField,
        message,
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Foo__c = 1",
        SoqlErrorCode::InvalidField,
        message,
    );
    assert_error(
        "SELECT Id FROM Opportunity ORDER BY Foo__c",
        SoqlErrorCode::InvalidField,
        message,
    );
    assert_error(
        "SELECT Account.Bogus FROM Opportunity",
        SoqlErrorCode::InvalidField,
        "No such column 'Bogus' on entity 'Account'. If you are attempting to use a custom field, \
         be sure to append the '__c' after the custom field name. Please reference your WSDL or \
         the describe call for the appropriate names.",
    );
}

#[test]
fn unknown_relationship_is_invalid_field() {
    assert_error(
        "SELECT Partner.Name FROM Opportunity",
        SoqlErrorCode::InvalidField,
        "Didn't understand relationship 'Partner' in field path. If you are attempting to use a \
         custom relationship, be sure to append the '__r' after the custom relationship name. \
         Please reference your WSDL or the describe call for the appropriate names.",
    );
}

#[test]
fn literal_of_the_wrong_type_is_invalid_field() {
    use SoqlErrorCode::InvalidField as F;
    assert_error(
        "SELECT Id FROM Opportunity WHERE CloseDate = '2024-05-01'",
        F,
        "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE CloseDate > 2024-05-01T00:00:00Z",
        F,
        "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE SystemModstamp >= 2024-05-01",
        F,
        "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE IsWon = 1",
        F,
        "value of filter criterion for field 'IsWon' must be of type boolean and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE IsWon = 'true'",
        F,
        "value of filter criterion for field 'IsWon' must be of type boolean and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Amount > '5'",
        F,
        "value of filter criterion for field 'Amount' must be of type double and should not be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name = 5",
        F,
        "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE StageName IN ('a', true)",
        F,
        "value of filter criterion for field 'StageName' must be of type string and should be enclosed in quotes",
    );
    assert_error(
        "SELECT Id FROM Opportunity WHERE Name = TODAY",
        F,
        "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
    );
}

#[test]
fn malformed_id_value_is_an_invalid_filter() {
    assert_error(
        "SELECT Id FROM Opportunity WHERE Id = 'abc'",
        SoqlErrorCode::InvalidQueryFilterOperator,
        "invalid ID field: abc",
    );
}

#[test]
fn like_on_a_non_text_field_is_rejected() {
    assert_error(
        "SELECT Id FROM Opportunity WHERE Amount LIKE '1%'",
        SoqlErrorCode::InvalidQueryFilterOperator,
        "invalid operator on double field: Amount",
    );
}

#[test]
fn offset_above_2000_is_out_of_range() {
    assert_error(
        "SELECT Id FROM Opportunity OFFSET 2001",
        SoqlErrorCode::NumberOutsideValidRange,
        "Maximum SOQL offset allowed is 2000",
    );
}

#[test]
fn relationship_paths_deeper_than_five_levels_are_malformed() {
    assert_error(
        "SELECT a.b.c.d.e.f.Name FROM Opportunity",
        SoqlErrorCode::MalformedQuery,
        "SOQL statements cannot query more than 5 levels of relationships: a.b.c.d.e.f.Name",
    );
}

#[test]
fn error_body_is_the_rest_array_shape() {
    let err = error("SELECT Id FROM Foo");
    assert_eq!(err.http_status(), 400);
    let body = err.to_body();
    assert_eq!(body[0]["errorCode"], json!("INVALID_TYPE"));
    assert_eq!(body[0]["message"], json!(err.message));
    assert_eq!(body.as_array().map(Vec::len), Some(1));
}
