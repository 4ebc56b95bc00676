//! WHERE, ORDER BY, LIMIT and OFFSET semantics.

use super::fixtures::{id, run, serials};
use crate::salesforce::soql::QueryOutput;

#[test]
fn no_filter_returns_all_rows_in_stored_order() {
    assert_eq!(serials("SELECT Id FROM Opportunity"), [1, 2, 3]);
}

#[test]
fn text_equality_ignores_case() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name = 'ACME RENEWAL'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE StageName = 'closed won'"),
        [2]
    );
}

#[test]
fn not_equal_includes_nulls_and_both_spellings_work() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Referral_Id__c != 'R-1'"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Referral_Id__c <> 'r-1'"),
        [2, 3]
    );
}

#[test]
fn null_comparisons() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE AccountId = null"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE AccountId != NULL"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount > 0"),
        [1, 2]
    );
}

#[test]
fn numeric_comparisons() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount >= 1000"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount > 1000"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount < 5000.5"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount <= 5000.5"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Probability = -1"),
        Vec::<u32>::new()
    );
}

#[test]
fn boolean_comparisons() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE IsWon = true"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE IsDeleted = FALSE"),
        [1, 2]
    );
}

#[test]
fn date_and_datetime_literals() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = 2024-05-14"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate > 2024-05-14"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp >= 2024-05-14T23:59:59Z"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-14T23:59:59.000Z"),
        [3]
    );
    // 2024-05-15T01:00:00+02:00 is 2024-05-14T23:00:00Z.
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-15T01:00:00+02:00"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp < 2024-05-14T20:00:00.5-04:00"),
        [1, 2]
    );
}

#[test]
fn relative_date_literals() {
    // "Now" is 2024-05-15.
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp = TODAY"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = YESTERDAY"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate < TODAY"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate > TODAY"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:1"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = last_n_days:14"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE SystemModstamp >= LAST_N_DAYS:1"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:46"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:45"),
        Vec::<u32>::new()
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = N_DAYS_AGO:14"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = THIS_MONTH"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_MONTH"),
        [3]
    );
    // The week of Wednesday 2024-05-15 runs Sunday 12 to Saturday 18.
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate = THIS_WEEK"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE CloseDate != THIS_YEAR"),
        Vec::<u32>::new()
    );
}

#[test]
fn in_and_not_in() {
    let q = format!(
        "SELECT Id FROM Opportunity WHERE Id IN ('{}', '{}')",
        id("006", 1),
        &id("006", 3)[..15]
    );
    assert_eq!(serials(&q), [1, 3]);
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE StageName NOT IN ('prospecting', 'Closed Won')"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Referral_Id__c IN (null, 'R-2')"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Amount IN (1000, 42)"),
        [1]
    );
}

#[test]
fn fifteen_char_id_matches_its_eighteen_char_form() {
    let q = format!(
        "SELECT Id FROM Opportunity WHERE Id = '{}'",
        &id("006", 2)[..15]
    );
    assert_eq!(serials(&q), [2]);
    let q = format!(
        "SELECT Id FROM Opportunity WHERE AccountId = '{}'",
        id("001", 1)
    );
    assert_eq!(serials(&q), [1]);
}

#[test]
fn like_wildcards_and_escapes() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name LIKE 'acme%'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name LIKE '%EXPANSION'"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name LIKE '_cme renewal'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name LIKE '%e%e%e%'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Description LIKE '50\\%%'"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Description LIKE '5%off%'"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Description LIKE '%off\\_%'"),
        [2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Description LIKE '5000 off\\_'"),
        Vec::<u32>::new()
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Name LIKE 'acme'"),
        Vec::<u32>::new()
    );
}

#[test]
fn and_or_not_and_parentheses() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE IsWon = false AND Amount > 10"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE IsWon = true OR Amount = null OR Name = 'x'"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE NOT IsWon = true"),
        [1, 3]
    );
    assert_eq!(
        serials(
            "SELECT Id FROM Opportunity WHERE (IsWon = true OR Amount = null) AND NOT (IsDeleted = true)"
        ),
        [2]
    );
    assert_eq!(
        serials("select id from opportunity where ((name like 'a%') or (name like 'g%'))"),
        [1, 3]
    );
}

#[test]
fn filters_through_parent_relationships() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Account.Name = 'acme'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Account.Owner.Name LIKE 'Ada%'"),
        [1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Account.Name = null"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity WHERE Account.NumberOfEmployees > 10"),
        [1]
    );
}

#[test]
fn order_by_directions_and_nulls() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY CloseDate DESC"),
        [3, 2, 1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Amount"),
        [3, 1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Amount ASC NULLS LAST"),
        [1, 2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Amount DESC NULLS FIRST"),
        [3, 2, 1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Amount DESC NULLS LAST"),
        [2, 1, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Name"),
        [1, 3, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY SystemModstamp DESC, Id"),
        [3, 2, 1]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY IsWon, Id DESC"),
        [3, 1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Account.Name NULLS LAST"),
        [1, 2, 3]
    );
}

#[test]
fn limit_and_offset() {
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Id LIMIT 2"),
        [1, 2]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Id LIMIT 2 OFFSET 2"),
        [3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity ORDER BY Id OFFSET 1"),
        [2, 3]
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity LIMIT 0"),
        Vec::<u32>::new()
    );
    assert_eq!(
        serials("SELECT Id FROM Opportunity OFFSET 2000"),
        Vec::<u32>::new()
    );
}

#[test]
fn count_all_counts_matches_after_limit() {
    assert_eq!(
        run("SELECT COUNT() FROM Opportunity"),
        Ok(QueryOutput::Count(3))
    );
    assert_eq!(
        run("select count() from Opportunity where IsDeleted = false"),
        Ok(QueryOutput::Count(2))
    );
    assert_eq!(
        run("SELECT COUNT() FROM Opportunity LIMIT 1"),
        Ok(QueryOutput::Count(1))
    );
}

#[test]
fn hostile_string_matches_as_data() {
    assert_eq!(
        serials(r"SELECT Id FROM Opportunity WHERE Name = 'O\'Brien\'s \\ deal'"),
        [2]
    );
    // An injection attempt is just an unmatched value.
    assert_eq!(
        serials(r"SELECT Id FROM Opportunity WHERE Name = 'x\' OR Name != \'x'"),
        Vec::<u32>::new()
    );
    let escaped = crate::salesforce::soql::escape_string("O'Brien's \\ deal");
    assert_eq!(escaped, r"'O\'Brien\'s \\ deal'");
    assert_eq!(
        serials(&format!(
            "SELECT Id FROM Opportunity WHERE Name = {escaped}"
        )),
        [2]
    );
}
