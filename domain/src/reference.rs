//! Reference data the server owns and devices read: the parts catalog, versioned form
//! templates and a technician's van stock (Parts and Satisfaction).
//!
//! These types travel down in the sync protocol (`onsite_sync::wire::ReferenceDelta`) and
//! are what the client core keeps and shows; the rules that make one valid live here so
//! that the back-office API and the device agree on them.

use serde::{Deserialize, Serialize};

use crate::forms::{DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_ITEMS, DEFAULT_TEMPLATE_VERSION};

/// One part of the catalog (配件目录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    /// `true`: billed to the customer; `false`: covered by warranty.
    pub billable: bool,
    /// An inactive part stays in the catalog (old jobs name it) but is no longer used.
    pub active: bool,
}

/// A versioned satisfaction form template. A published version never changes; an answered
/// form names the template id and version it was answered on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormTemplate {
    pub id: String,
    pub version: i64,
    pub title_zh: String,
    pub title_en: String,
    /// The items, in the order they are asked; each is answered on the five-level scale.
    pub items: Vec<FormItem>,
    /// Label of the free-text suggestion that closes the form.
    pub suggestion_zh: String,
    pub suggestion_en: String,
}

/// One item of a [`FormTemplate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormItem {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A technician's van stock of one part, as the server counts it: everything restocked
/// minus every parts line the technician recorded. Negative when more was used than
/// restocked (possible offline); shown, never clamped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub sku: String,
    pub balance: i64,
}

impl FormTemplate {
    /// The built-in csat-onsite v1: eleven items, then a suggestion. Every
    /// server and device knows it without syncing.
    pub fn builtin() -> FormTemplate {
        FormTemplate {
            id: DEFAULT_TEMPLATE_ID.into(),
            version: DEFAULT_TEMPLATE_VERSION,
            title_zh: "现场服务满意度调查".into(),
            title_en: "On-site service satisfaction".into(),
            items: DEFAULT_TEMPLATE_ITEMS
                .iter()
                .map(|i| FormItem {
                    id: i.id.into(),
                    label_zh: i.label_zh.into(),
                    label_en: i.label_en.into(),
                })
                .collect(),
            suggestion_zh: "意见和建议".into(),
            suggestion_en: "Suggestions".into(),
        }
    }

    pub fn is_builtin(id: &str, version: i64) -> bool {
        id == DEFAULT_TEMPLATE_ID && version == DEFAULT_TEMPLATE_VERSION
    }

    pub fn has_item(&self, item_id: &str) -> bool {
        self.items.iter().any(|i| i.id == item_id)
    }

    pub fn item(&self, item_id: &str) -> Option<&FormItem> {
        self.items.iter().find(|i| i.id == item_id)
    }

    /// Checks a template before it is published: a well-formed id, labels, and at least
    /// one item, item ids unique. The version is the publisher's to assign.
    pub fn validate(&self) -> Result<(), String> {
        if !is_key(&self.id, 64) {
            return Err("a template id is 1–64 lowercase letters, digits, '-' or '_'".into());
        }
        label(&self.title_zh, "title_zh", true)?;
        label(&self.title_en, "title_en", true)?;
        label(&self.suggestion_zh, "suggestion_zh", false)?;
        label(&self.suggestion_en, "suggestion_en", false)?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(format!("a template has 1 to {MAX_ITEMS} items"));
        }
        for (n, item) in self.items.iter().enumerate() {
            if !is_key(&item.id, 64) {
                return Err(format!(
                    "item {n}: an item id is 1–64 lowercase letters, digits, '-' or '_'"
                ));
            }
            if self.items[..n].iter().any(|i| i.id == item.id) {
                return Err(format!("item id '{}' appears twice", item.id));
            }
            label(&item.label_zh, "label_zh", true)?;
            label(&item.label_en, "label_en", true)?;
        }
        Ok(())
    }
}

/// Most items a template may have.
pub const MAX_ITEMS: usize = 100;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// Identifiers the system makes up for templates and items: stable, URL- and SQL-safe.
fn is_key(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn label(s: &str, what: &str, required: bool) -> Result<(), String> {
    if required && s.trim().is_empty() {
        return Err(format!("{what} is required"));
    }
    if s.chars().count() > MAX_LABEL_CHARS {
        return Err(format!(
            "{what} is longer than {MAX_LABEL_CHARS} characters"
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} holds control characters"));
    }
    Ok(())
}

/// A SKU as the catalog accepts it: 1–64 letters (of any script) or digits, and `-`, `_`,
/// `.`, `#`, `+`. No spaces or slashes, so that a SKU is one path segment of the API.
pub fn valid_sku(sku: &str) -> bool {
    !sku.is_empty()
        && sku.chars().count() <= 64
        && sku
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '#' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_template_is_csat_onsite_v1_in_domain_order() {
        let t = FormTemplate::builtin();
        assert_eq!((t.id.as_str(), t.version), ("csat-onsite", 1));
        assert_eq!(t.items.len(), 11);
        assert_eq!(t.items[0].id, "overall");
        assert_eq!(t.items[0].label_zh, "整体满意度");
        assert_eq!(t.items[10].id, "company_image");
        assert!(t.has_item("price") && !t.has_item("suggestion"));
        assert_eq!(t.validate(), Ok(()));
        assert!(FormTemplate::is_builtin("csat-onsite", 1));
        assert!(!FormTemplate::is_builtin("csat-onsite", 2));
    }

    #[test]
    fn templates_are_validated() {
        let ok = FormTemplate::builtin();
        let mut t = ok.clone();
        t.id = "CSAT".into();
        assert!(t.validate().is_err());
        let mut t = ok.clone();
        t.items.push(t.items[0].clone());
        assert!(t.validate().unwrap_err().contains("twice"));
        let mut t = ok.clone();
        t.items.clear();
        assert!(t.validate().is_err());
        let mut t = ok.clone();
        t.items[3].label_en = " ".into();
        assert!(t.validate().is_err());
        let mut t = ok;
        t.title_zh = "x".repeat(MAX_LABEL_CHARS + 1);
        assert!(t.validate().is_err());
    }

    #[test]
    fn skus_are_one_path_segment() {
        assert!(valid_sku("RLY-12"));
        assert!(valid_sku("继电器.01"));
        assert!(!valid_sku(""));
        assert!(!valid_sku("A/B"));
        assert!(!valid_sku("A B"));
        assert!(!valid_sku("x' OR 1=1"));
        assert!(!valid_sku(&"A".repeat(65)));
    }
}
