//! Back-office reports and lists, computed in SQL over the query tables (never by loading
//! documents).

pub mod callback;
pub mod corrective;
pub mod parts;
pub mod review;
pub mod routine;
pub mod satisfaction;
pub mod service_levels;

pub use onsite_store::report::*;

/// The local calendar month (`YYYY-MM`) of a millisecond timestamp column, as a `CASE`
/// over the ends of the period's months in its time zone: exact in any zone, daylight
/// saving included. The SQL holds only numbers and labels made by [`Period::month_ends`].
pub(crate) fn month_of(col: &str, period: &Period) -> String {
    let months = period.month_ends();
    let mut sql = String::from("CASE");
    for (label, end) in &months {
        sql.push_str(&format!(" WHEN {col} < {end} THEN '{label}'"));
    }
    let last = months.last().map_or("", |(label, _)| label.as_str());
    sql.push_str(&format!(" ELSE '{last}' END"));
    sql
}
