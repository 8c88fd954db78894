//! Every list and report answers JSON by default, or `format=csv` / `format=xlsx`.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;
use crate::export;
use onsite_store::report::Table;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn take(params: &mut super::params::Params) -> Result<Format, ApiError> {
        Ok(
            match params
                .one_of("format", &["json", "csv", "xlsx"])?
                .as_deref()
            {
                Some("csv") => Format::Csv,
                Some("xlsx") => Format::Xlsx,
                _ => Format::Json,
            },
        )
    }
}

/// Answers `json` as is, or `table()` as a file named `name`.csv / `name`.xlsx.
pub fn respond(
    format: Format,
    name: &str,
    json: Value,
    table: impl FnOnce() -> Table,
) -> Result<Response, ApiError> {
    match format {
        Format::Json => Ok(Json(json).into_response()),
        Format::Csv => {
            let bytes = export::csv(&table()).map_err(ApiError::internal)?;
            Ok(file(
                bytes,
                "text/csv; charset=utf-8",
                &format!("{name}.csv"),
            ))
        }
        Format::Xlsx => {
            let bytes = export::xlsx(&table()).map_err(ApiError::internal)?;
            Ok(file(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{name}.xlsx"),
            ))
        }
    }
}

/// Answers a typed read model as JSON, or `table()` as a file named `name`.csv / `name`.xlsx.
///
/// The body goes through a JSON value so that its keys come out sorted, as the reports
/// built as JSON values always answered them.
pub fn respond_with<T: serde::Serialize>(
    format: Format,
    name: &str,
    body: &T,
    table: impl FnOnce() -> Table,
) -> Result<Response, ApiError> {
    let json = match format {
        Format::Json => serde_json::to_value(body).map_err(ApiError::internal)?,
        Format::Csv | Format::Xlsx => Value::Null,
    };
    respond(format, name, json, table)
}

fn file(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
