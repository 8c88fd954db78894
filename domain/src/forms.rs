//! The five-level satisfaction scale and its formulas (客户满意度).

/// One level of the scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    VerySatisfied,
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    pub fn points(self) -> i64 {
        match self {
            Level::VerySatisfied => 10,
            Level::Satisfied => 8,
            Level::BasicallySatisfied => 6,
            Level::Dissatisfied => 4,
            Level::VeryDissatisfied => 2,
        }
    }

    pub fn from_points(points: i64) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.points() == points)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "很满意",
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "很不满意",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very satisfied",
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically satisfied",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very dissatisfied",
        }
    }

    /// "Basically satisfied or better" counts towards the satisfaction rate.
    pub fn is_satisfied(self) -> bool {
        self.points() >= 6
    }

    /// Dissatisfied answers open a corrective action (纠正措施).
    pub fn needs_corrective_action(self) -> bool {
        self.points() <= 4
    }
}

/// Satisfaction degree (满意度) and rate (满意率) of a set of answers, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Satisfaction {
    pub answered: u64,
    pub degree_pct: f64,
    pub rate_pct: f64,
}

/// Degree = Σ points / (answered × 10) × 100 %; rate = answers ≥ basically satisfied / answered × 100 %.
pub fn satisfaction(levels: impl IntoIterator<Item = Level>) -> Option<Satisfaction> {
    let t = tally(levels.into_iter().map(Level::points));
    Satisfaction::from_totals(t.answered, t.points, t.satisfied)
}

/// What a set of answers adds to the satisfaction sums. The server stores each submitted
/// form's tally, so that a report sums one row per form rather than one per answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub answered: u64,
    pub points: i64,
    /// Answers basically satisfied or better.
    pub satisfied: u64,
}

/// The tally of answers given as their points.
pub fn tally(points: impl IntoIterator<Item = i64>) -> Tally {
    let satisfied_from = Level::BasicallySatisfied.points();
    points.into_iter().fold(Tally::default(), |t, p| Tally {
        answered: t.answered + 1,
        points: t.points + p,
        satisfied: t.satisfied + u64::from(p >= satisfied_from),
    })
}

impl Satisfaction {
    /// The formulas applied to totals already summed elsewhere (e.g. by SQL over the query
    /// tables): `answered` items, their `points`, and how many were basically satisfied or
    /// better. `None` when nothing was answered: 0 % would be a lie.
    pub fn from_totals(answered: u64, points: i64, satisfied: u64) -> Option<Satisfaction> {
        if answered == 0 {
            return None;
        }
        Some(Satisfaction {
            answered,
            degree_pct: points as f64 / (answered as f64 * 10.0) * 100.0,
            rate_pct: satisfied as f64 / answered as f64 * 100.0,
        })
    }
}

/// Overall = self-assessment × 40 % + survey × 60 %, for degree and rate alike.
pub fn overall(self_assessment: f64, survey: f64) -> f64 {
    self_assessment * 0.4 + survey * 0.6
}

/// An item of a form template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateItem {
    pub id: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

pub const DEFAULT_TEMPLATE_ID: &str = "csat-onsite";
pub const DEFAULT_TEMPLATE_VERSION: i64 = 1;

/// The built-in on-site template, csat-onsite v1, in the order of the after-sales procedure.
pub const DEFAULT_TEMPLATE_ITEMS: [TemplateItem; 11] = [
    item("overall", "整体满意度", "Overall satisfaction"),
    item("quality", "质量", "Product quality"),
    item("performance", "性能", "Product performance"),
    item("after_sales", "售后服务", "After-sales service"),
    item("response_speed", "响应速度", "Response speed"),
    item("price", "价格合理性", "Price reasonableness"),
    item("delivery_time", "交付时间", "Delivery / completion time"),
    item("pre_sales", "售前咨询", "Pre-sales advice"),
    item("customer_care", "客户关怀", "Customer care"),
    item("professionalism", "员工专业素质", "Staff professionalism"),
    item("company_image", "公司形象", "Company image"),
];

const fn item(id: &'static str, label_zh: &'static str, label_en: &'static str) -> TemplateItem {
    TemplateItem {
        id,
        label_zh,
        label_en,
    }
}

/// The labels of an item of the built-in template, if it is one.
pub fn item_labels(item_id: &str) -> Option<&'static TemplateItem> {
    DEFAULT_TEMPLATE_ITEMS.iter().find(|i| i.id == item_id)
}

/// Whether `item_id` belongs to the given template version.
pub fn template_has_item(template_id: &str, version: i64, item_id: &str) -> bool {
    template_id == DEFAULT_TEMPLATE_ID
        && version == DEFAULT_TEMPLATE_VERSION
        && DEFAULT_TEMPLATE_ITEMS.iter().any(|i| i.id == item_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_of_domain_md() {
        // 25 answers: 10 very satisfied, 5 satisfied, 6 basically, 3 dissatisfied, 1 very dissatisfied.
        let counts = [(Level::VerySatisfied, 10), (Level::Satisfied, 5)];
        let rest = [
            (Level::BasicallySatisfied, 6),
            (Level::Dissatisfied, 3),
            (Level::VeryDissatisfied, 1),
        ];
        let levels = counts
            .into_iter()
            .chain(rest)
            .flat_map(|(l, n)| std::iter::repeat_n(l, n));
        let s = satisfaction(levels).expect("answers");
        assert_eq!(s.answered, 25);
        assert!((s.degree_pct - 76.0).abs() < 1e-9);
        assert!((s.rate_pct - 84.0).abs() < 1e-9);
        assert_eq!(Satisfaction::from_totals(25, 190, 21), Some(s));
        assert_eq!(Satisfaction::from_totals(0, 0, 0), None);
    }

    #[test]
    fn a_tally_counts_basically_satisfied_and_better_as_satisfied() {
        assert_eq!(tally([]), Tally::default());
        assert_eq!(
            tally([10, 6, 4, 2, 8]),
            Tally {
                answered: 5,
                points: 30,
                satisfied: 3
            }
        );
    }
}
