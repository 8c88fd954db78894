//! Query-string parameters of the back-office lists and reports, validated by hand so that
//! every mistake (unknown parameter, repeated one, bad value) is a clear JSON 400.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::error::ApiError;
use onsite_store::report::{Period, check_name, truncate};

// The document gives [`check_name`]'s values no pattern, only their length: letters and
// digits of any script are `\p{L}` and `\p{N}`, which not every tool reads (schemathesis
// does not), and any other spelling would be wider or narrower than the check.
#[derive(Debug)]
pub struct Params {
    values: BTreeMap<String, String>,
    /// The company's time zone: the calendar days of a period are its days.
    zone: onsite_store::report::Tz,
}

impl FromRequestParts<crate::app::AppState> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad_request(format!(
                    "parameter '{}' is given twice",
                    truncate(&k)
                )));
            }
        }
        Ok(Params {
            values: map,
            zone: state.config.timezone,
        })
    }
}

impl Params {
    /// No parameters (a page that shows a list unfiltered beside its own).
    pub fn empty(zone: onsite_store::report::Tz) -> Params {
        Params {
            values: BTreeMap::new(),
            zone,
        }
    }

    /// A parameter's value, left in place.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Sets a parameter the request did not give.
    pub fn or_insert(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.values.insert(key.to_string(), value.to_string());
        }
    }

    /// The parameters as a query string, in key order (a page's links to its exports).
    pub fn query_string(&self) -> String {
        self.values
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
    /// Takes a parameter; an empty value counts as absent (forms send `?tier=`).
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.values.remove(key).filter(|v| !v.is_empty())
    }

    /// A value that names something (tier, region, model…), checked by [`check_name`].
    pub fn name(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        check_name(&v, key).map_err(ApiError::bad_request)?;
        Ok(Some(v))
    }

    /// A value from a fixed list.
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        if allowed.contains(&v.as_str()) {
            Ok(Some(v))
        } else {
            Err(ApiError::bad_request(format!(
                "'{key}' must be one of {}",
                allowed.join(", ")
            )))
        }
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.take(key).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::bad_request(format!(
                "'{key}' must be true or false"
            ))),
        }
    }

    pub fn number(&mut self, key: &str, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
        let Some(v) = self.take(key) else {
            return Ok(default);
        };
        match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "'{key}' must be a whole number from {min} to {max}"
            ))),
        }
    }

    /// A positive duration; `None` keeps the configured value.
    pub fn positive_f64(&mut self, key: &str) -> Result<Option<f64>, ApiError> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 && n <= 24.0 * 365.0 * 60.0 => Ok(Some(n)),
            _ => Err(ApiError::bad_request(format!(
                "'{key}' must be a positive number"
            ))),
        }
    }

    /// `month`, or `from` and `to`.
    pub fn period(&mut self) -> Result<Option<Period>, ApiError> {
        let from = self.take("from");
        let to = self.take("to");
        let month = self.take("month");
        Period::parse(from.as_deref(), to.as_deref(), month.as_deref())
            .map(|p| p.map(|p| p.in_zone(self.zone)))
            .map_err(|m| ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_period", m))
    }

    /// `month=YYYY-MM` alone, in the company's time zone.
    pub fn month(&mut self) -> Result<Period, ApiError> {
        let bad = |m: String| ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_period", m);
        let month = self
            .take("month")
            .ok_or_else(|| bad("give month=2026-11".into()))?;
        Ok(Period::month(&month).map_err(bad)?.in_zone(self.zone))
    }

    /// Like [`Params::period`], but a report needs one.
    pub fn required_period(&mut self) -> Result<Period, ApiError> {
        self.period()?.ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "bad_period",
                "give a period: month=2026-11, or from=2026-11-01&to=2026-11-30",
            )
        })
    }

    /// Refuses parameters nobody took: a misspelt filter must not silently match everything.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(k) => Err(ApiError::bad_request(format!(
                "unknown parameter '{}'",
                truncate(k)
            ))),
        }
    }
}

/// A technician filter must name an existing technician account.
pub fn check_technician(
    unit: &mut dyn onsite_store::Unit,
    id: &Option<String>,
) -> Result<(), ApiError> {
    let Some(id) = id else {
        return Ok(());
    };
    match unit.account(id)? {
        Some(a) if a.role == onsite_domain::Role::Technician => Ok(()),
        _ => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_technician",
            "no technician account has that id",
        )),
    }
}

/// Percent-encodes a query component.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
