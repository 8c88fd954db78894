//! What every report shares, whatever backend computes it: the reporting period, the
//! checks of filter values, and the table shape that every export writes.

use chrono::{Datelike, Months, NaiveDate, TimeZone};
pub use chrono_tz::Tz;

pub mod callback;
pub mod corrective;
pub mod parts;
pub mod routine;
pub mod satisfaction;
pub mod service_levels;

/// A reporting period: whole calendar days, `from` and `to` both included, in the
/// company's time zone (`onsite serve --timezone`, UTC unless set).
///
/// Timestamps are stored as UTC milliseconds; a day of the period begins at local
/// midnight, so a form submitted at 01:30 Beijing time on the 1st belongs to that month
/// for a company on Asia/Shanghai. Durations (the service-level clocks) stay elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub zone: Tz,
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
                Ok(Some(Period {
                    from,
                    to,
                    zone: Tz::UTC,
                }))
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
        Ok(Period {
            from,
            to,
            zone: Tz::UTC,
        })
    }

    /// The same days in the time zone `zone`.
    pub fn in_zone(self, zone: Tz) -> Period {
        Period { zone, ..self }
    }

    pub fn start_ms(&self) -> i64 {
        day_start_ms(self.zone, self.from)
    }

    /// Exclusive end.
    pub fn end_ms(&self) -> i64 {
        self.to
            .succ_opt()
            .map_or(i64::MAX, |d| day_start_ms(self.zone, d))
    }

    /// The calendar months the period touches, as (`YYYY-MM`, the exclusive end of that
    /// month within the period, in ms), in order: how a backend labels timestamps by
    /// local month.
    pub fn month_ends(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        let mut first = NaiveDate::from_ymd_opt(self.from.year(), self.from.month(), 1);
        while let Some(month) = first.filter(|m| *m <= self.to) {
            let next = month.checked_add_months(Months::new(1));
            let end = next
                .filter(|n| *n <= self.to)
                .map_or(self.end_ms(), |n| day_start_ms(self.zone, n));
            out.push((month.format("%Y-%m").to_string(), end));
            first = next;
        }
        out
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
                zone: self.zone,
            });
        }
        let to = self.from.pred_opt()?;
        let from = to.checked_sub_days(chrono::Days::new(self.days() as u64 - 1))?;
        Some(Period {
            from,
            to,
            zone: self.zone,
        })
    }

    /// The `n` calendar months ending with the month of `to`, oldest first.
    pub fn trailing_months(&self, n: u32) -> Vec<Period> {
        let last = NaiveDate::from_ymd_opt(self.to.year(), self.to.month(), 1);
        (0..n)
            .rev()
            .filter_map(|back| {
                let from = last?.checked_sub_months(Months::new(back))?;
                let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
                Some(Period {
                    from,
                    to,
                    zone: self.zone,
                })
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

/// Local midnight of `d` in `zone`, in UTC ms. Where a zone skips midnight (a daylight
/// saving change at 00:00), the day begins at the first instant it has.
fn day_start_ms(zone: Tz, d: NaiveDate) -> i64 {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    match zone.from_local_datetime(&midnight).earliest() {
        Some(t) => t.timestamp_millis(),
        None => (0..24 * 60)
            .filter_map(|m| {
                zone.from_local_datetime(&(midnight + chrono::Duration::minutes(m)))
                    .earliest()
            })
            .next()
            .map_or_else(
                || midnight.and_utc().timestamp_millis(),
                |t| t.timestamp_millis(),
            ),
    }
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

    #[test]
    fn a_period_in_a_time_zone_begins_at_local_midnight() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let utc = Period::parse(Some("2026-11-15"), Some("2026-12-02"), None)
            .unwrap()
            .unwrap();
        let local = utc.in_zone(shanghai);
        let hours = 3_600_000;
        assert_eq!(local.start_ms(), utc.start_ms() - 8 * hours);
        assert_eq!(local.end_ms(), utc.end_ms() - 8 * hours);
        let december = day_start_ms(shanghai, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(
            local.month_ends(),
            [
                ("2026-11".to_string(), december),
                ("2026-12".to_string(), local.end_ms())
            ]
        );
        assert_eq!(local.previous().map(|p| p.zone), Some(shanghai));
        // A day that has no midnight (São Paulo, 2018-11-04: 00:00 at UTC−3 became 01:00
        // at UTC−2) begins at its first instant, 01:00 local, 03:00 UTC.
        let sao_paulo: Tz = "America/Sao_Paulo".parse().unwrap();
        let skipped = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        let begins = day_start_ms(sao_paulo, skipped);
        assert_eq!(begins, day_start_ms(Tz::UTC, skipped) + 3 * hours);
    }
}
