//! What every report shares, whatever backend computes it: the reporting period, the
//! checks of filter values, and the table shape that every export writes.

use chrono::{Datelike, Months, NaiveDate};

pub mod callback;
pub mod corrective;
pub mod parts;
pub mod routine;
pub mod satisfaction;
pub mod service_levels;

/// A reporting period: whole days, `from` and `to` both included, in UTC.
///
/// UTC because the stored timestamps are UTC milliseconds and the server has no business
/// guessing a time zone; a company on UTC+8 that wants local months sees jobs done between
/// 00:00 and 08:00 local time on the first of a month counted in the previous month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Longest period a request may ask for: bounds the work of one report.
const MAX_PERIOD_DAYS: i64 = 366 * 10;

impl Period {
    /// `month=YYYY-MM`, or `from=YYYY-MM-DD` with `to=YYYY-MM-DD` (both included).
    /// `None` when no period was given.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        month: Option<&str>,
    ) -> Result<Option<Period>, String> {
        match (from, to, month) {
            (None, None, None) => Ok(None),
            (None, None, Some(m)) => Period::month(m).map(Some),
            (Some(f), Some(t), None) => {
                let from = parse_date(f, "from")?;
                let to = parse_date(t, "to")?;
                if to < from {
                    return Err("'to' is before 'from'".into());
                }
                if (to - from).num_days() > MAX_PERIOD_DAYS {
                    return Err("a period may span at most ten years".into());
                }
                Ok(Some(Period { from, to }))
            }
            (_, _, Some(_)) => Err("give either 'month' or 'from' and 'to', not both".into()),
            _ => Err("a period needs both 'from' and 'to' (dates like 2026-11-30)".into()),
        }
    }

    pub fn month(m: &str) -> Result<Period, String> {
        let bad = || format!("month must look like 2026-11, not {:?}", truncate(m));
        if m.len() != 7 {
            return Err(bad());
        }
        let from = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        let to = from
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .ok_or_else(bad)?;
        Ok(Period { from, to })
    }

    pub fn start_ms(&self) -> i64 {
        day_start_ms(self.from)
    }

    /// Exclusive end.
    pub fn end_ms(&self) -> i64 {
        self.to.succ_opt().map_or(i64::MAX, day_start_ms)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Whether the period is exactly one calendar month.
    fn is_month(&self) -> bool {
        self.from.day() == 1
            && self.to.succ_opt().is_some_and(|d| d.day() == 1)
            && self.days() <= 31
    }

    /// The period just before, of the same length (the previous month for a month).
    pub fn previous(&self) -> Option<Period> {
        if self.is_month() {
            let from = self.from.checked_sub_months(Months::new(1))?;
            return Some(Period {
                from,
                to: self.from.pred_opt()?,
            });
        }
        let to = self.from.pred_opt()?;
        let from = to.checked_sub_days(chrono::Days::new(self.days() as u64 - 1))?;
        Some(Period { from, to })
    }

    /// The `n` calendar months ending with the month of `to`, oldest first.
    pub fn trailing_months(&self, n: u32) -> Vec<Period> {
        let last = NaiveDate::from_ymd_opt(self.to.year(), self.to.month(), 1);
        (0..n)
            .rev()
            .filter_map(|back| {
                let from = last?.checked_sub_months(Months::new(back))?;
                let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
                Some(Period { from, to })
            })
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "from": self.from.to_string(), "to": self.to.to_string() })
    }
}

/// A period as the reports answer it: `{"from": "2026-11-01", "to": "2026-11-30"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Dates {
    pub from: String,
    pub to: String,
}

impl From<Period> for Dates {
    fn from(p: Period) -> Dates {
        Dates {
            from: p.from.to_string(),
            to: p.to.to_string(),
        }
    }
}

fn day_start_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

fn parse_date(s: &str, what: &str) -> Result<NaiveDate, String> {
    if s.len() != 10 {
        return Err(format!(
            "'{what}' must be a date like 2026-11-30, not {:?}",
            truncate(s)
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        format!(
            "'{what}' must be a date like 2026-11-30, not {:?}",
            truncate(s)
        )
    })
}

/// Echoing input back in an error is useful, echoing megabytes of it is not.
pub fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Values that name things (tiers, regions, models, categories) may hold letters of any
/// script, digits and a little punctuation; anything else in a filter is refused outright
/// rather than quietly matching nothing.
pub fn check_name(value: &str, what: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.chars().count() <= 100
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/' | '+' | '#'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} may hold letters, digits, spaces and - _ . / + # (at most 100)"
        ))
    }
}

/// One cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Num((v * 100.0).round() / 100.0))
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        v.map_or(Cell::Empty, Cell::Text)
    }
}

/// A report or list as rows and labelled columns: what the CSV and XLSX exports write.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (at most 31 characters, as spreadsheets require).
    pub title: String,
    /// Column headers as users see them: Chinese first, English after.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Rounds a percentage for JSON answers (two decimals is what a report shows).
pub fn pct(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_step_back() {
        let p = Period::parse(None, None, Some("2026-03")).unwrap().unwrap();
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        let prev = p.previous().unwrap();
        assert_eq!(prev.from, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!(prev.to, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        let q = Period::parse(Some("2026-03-10"), Some("2026-03-19"), None)
            .unwrap()
            .unwrap();
        let prev = q.previous().unwrap();
        assert_eq!(
            (prev.from.to_string(), prev.to.to_string()),
            ("2026-02-28".into(), "2026-03-09".into())
        );
        assert_eq!(q.end_ms() - q.start_ms(), 10 * 86_400_000);
        let months = p.trailing_months(3);
        assert_eq!(months[0].from.to_string(), "2026-01-01");
        assert_eq!(months[2].to.to_string(), "2026-03-31");
        for bad in [
            (Some("2026-13-01"), Some("2026-12-01"), None),
            (Some("2026-03-10"), Some("2026-03-01"), None),
            (Some("2026-03-10"), None, None),
            (None, None, Some("2026-3")),
            (None, None, Some("2026-01' OR 1=1 --")),
            (Some("2026-01-01"), Some("2026-01-31"), Some("2026-01")),
        ] {
            assert!(Period::parse(bad.0, bad.1, bad.2).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_refuse_sql_metacharacters() {
        assert!(check_name("key", "tier").is_ok());
        assert!(check_name("华东", "region").is_ok());
        assert!(check_name("AC-9000", "model").is_ok());
        assert!(check_name("key' OR '1'='1", "tier").is_err());
        assert!(check_name("x; DROP TABLE jobs", "tier").is_err());
        assert!(check_name("", "tier").is_err());
    }
}

#[cfg(test)]
mod json_tests;
