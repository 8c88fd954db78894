//! Routine surveys (定期满意度调查): key customers every quarter, general
//! customers every half year; a round is reported as valid only with enough returned forms,
//! and a competitor is compared side by side only with enough forms about it.

/// Returned forms (about us) a round needs before its figures count as valid.
pub const MIN_VALID_FORMS: u64 = 100;
/// Forms about one competitor that allow a side-by-side comparison with it.
pub const MIN_COMPETITOR_FORMS: u64 = 10;

/// How often a tier is surveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Quarterly,
    HalfYearly,
}

impl Cadence {
    /// Key customers (重点客户) quarterly, general customers half-yearly. Tiers of other
    /// schemes (diamond / gold / silver) are the company's choice: `None` lets either
    /// kind of round through.
    pub fn of_tier(tier: &str) -> Option<Cadence> {
        match tier {
            "key" => Some(Cadence::Quarterly),
            "general" => Some(Cadence::HalfYearly),
            _ => None,
        }
    }
}

/// One survey round: a quarter (`2026-Q3`) or a half year (`2026-H2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub year: i32,
    pub cadence: Cadence,
    /// 1–4 for a quarter, 1–2 for a half.
    pub index: u32,
}

impl Round {
    pub fn parse(s: &str) -> Result<Round, String> {
        let bad = || {
            format!("a round looks like 2026-Q3 (a quarter) or 2026-H2 (a half year), not {s:?}")
        };
        let (year, rest) = s.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || rest.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let (kind, index) = rest.split_at(1);
        let index: u32 = index.parse().map_err(|_| bad())?;
        let cadence = match (kind, index) {
            ("Q", 1..=4) => Cadence::Quarterly,
            ("H", 1..=2) => Cadence::HalfYearly,
            _ => return Err(bad()),
        };
        if !(2000..=2999).contains(&year) {
            return Err(bad());
        }
        Ok(Round {
            year,
            cadence,
            index,
        })
    }

    /// First and last month (1–12) of the round.
    pub fn months(&self) -> (u32, u32) {
        let len = match self.cadence {
            Cadence::Quarterly => 3,
            Cadence::HalfYearly => 6,
        };
        let first = (self.index - 1) * len + 1;
        (first, first + len - 1)
    }

    /// The round before, of the same cadence.
    pub fn previous(&self) -> Round {
        let per_year = match self.cadence {
            Cadence::Quarterly => 4,
            Cadence::HalfYearly => 2,
        };
        if self.index == 1 {
            Round {
                year: self.year - 1,
                index: per_year,
                ..*self
            }
        } else {
            Round {
                index: self.index - 1,
                ..*self
            }
        }
    }

    /// Refuses a round whose cadence is not the tier's.
    pub fn check_tier(&self, tier: &str) -> Result<(), String> {
        match Cadence::of_tier(tier) {
            Some(Cadence::Quarterly) if self.cadence != Cadence::Quarterly => Err(format!(
                "key customers are surveyed every quarter: give a round like {}-Q1",
                self.year
            )),
            Some(Cadence::HalfYearly) if self.cadence != Cadence::HalfYearly => Err(format!(
                "general customers are surveyed every half year: give a round like {}-H1",
                self.year
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.cadence {
            Cadence::Quarterly => 'Q',
            Cadence::HalfYearly => 'H',
        };
        write!(f, "{}-{kind}{}", self.year, self.index)
    }
}

/// Whether a round with `returned` forms about us may be reported as valid.
pub fn is_valid(returned: u64) -> bool {
    returned >= MIN_VALID_FORMS
}

/// Whether `forms` about a competitor allow comparing with it.
pub fn is_comparable(forms: u64) -> bool {
    forms >= MIN_COMPETITOR_FORMS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_parse_print_and_step_back() {
        let q = Round::parse("2026-Q1").unwrap();
        assert_eq!(q.months(), (1, 3));
        assert_eq!(q.previous().to_string(), "2025-Q4");
        let h = Round::parse("2026-H2").unwrap();
        assert_eq!(h.months(), (7, 12));
        assert_eq!(h.previous().to_string(), "2026-H1");
        for bad in [
            "2026-Q5", "2026-H3", "2026-Q0", "26-Q1", "2026Q1", "2026-X1", "", "2026-Q1x",
        ] {
            assert!(Round::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cadence_follows_the_tier_and_the_thresholds_are_inclusive() {
        let q = Round::parse("2026-Q3").unwrap();
        let h = Round::parse("2026-H1").unwrap();
        assert!(q.check_tier("key").is_ok() && h.check_tier("key").is_err());
        assert!(h.check_tier("general").is_ok() && q.check_tier("general").is_err());
        assert!(q.check_tier("gold").is_ok() && h.check_tier("gold").is_ok());
        assert!(!is_valid(99) && is_valid(100));
        assert!(!is_comparable(9) && is_comparable(10));
    }
}
