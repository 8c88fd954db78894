//! The OpenAPI description of the HTTP API, served at `/openapi.json`.
//!
//! Each handler carries its own `#[utoipa::path]` (method, path, parameters, body,
//! every status it answers); the router is built from those same attributes
//! (`utoipa_axum::routes!` in `routes/mod.rs`), so a route's method and path exist once.
//! This list of paths is the one thing kept by hand: the tests below fail when it and the
//! router differ.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Onsite",
        description = "Offline-first field service: sync, accounts, back office, reports."
    ),
    paths(
        crate::routes::auth::login,
        crate::routes::auth::refresh,
        crate::routes::auth::logout,
        crate::routes::admin::create,
        crate::routes::admin::list,
        crate::routes::admin::get,
        crate::routes::admin::update,
        crate::routes::admin::delete,
        crate::routes::admin::disable,
        crate::routes::admin::enable,
        crate::routes::admin::reset_password,
        crate::routes::admin::devices,
        crate::routes::admin::revoke_device,
        crate::routes::audit::list,
        crate::routes::jobs::create,
        crate::routes::jobs::list,
        crate::routes::jobs::get,
        crate::routes::jobs::assign,
        crate::routes::jobs::review,
        crate::routes::jobs::classify,
        crate::routes::jobs::cancel,
        crate::routes::surveys::record,
        crate::routes::review::list,
        crate::routes::review::detail,
        crate::routes::quarantine::list,
        crate::routes::reports::satisfaction,
        crate::routes::reports::service_levels,
        crate::routes::reports::parts_report,
        crate::routes::reports::add_batch,
        crate::routes::corrective::list,
        crate::routes::corrective::update,
        crate::routes::surveys::sample,
        crate::routes::routine_surveys::create,
        crate::routes::routine_surveys::list,
        crate::routes::routine_surveys::report,
        crate::routes::routine_surveys::record,
        crate::routes::registry::create_customer,
        crate::routes::registry::list_customers,
        crate::routes::registry::get_customer,
        crate::routes::registry::update_customer,
        crate::routes::registry::create_product,
        crate::routes::registry::list_products,
        crate::routes::registry::get_product,
        crate::routes::registry::update_product,
        crate::routes::catalog::create,
        crate::routes::catalog::list,
        crate::routes::catalog::get,
        crate::routes::catalog::update,
        crate::routes::templates::publish,
        crate::routes::templates::list,
        crate::routes::templates::get,
        crate::routes::stock::list,
        crate::routes::stock::technician,
        crate::routes::stock::restock,
        crate::routes::sync::sync,
        crate::routes::live::live,
        crate::routes::healthz,
        crate::routes::readyz,
        crate::metrics::render,
        crate::routes::openapi,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Sign-in and tokens"),
        (name = "admin", description = "Accounts and devices (administrators)"),
        (name = "jobs", description = "Back-office jobs"),
        (name = "review", description = "Reviewing submitted jobs"),
        (name = "reports", description = "Reports, with csv and xlsx exports"),
        (name = "corrective actions", description = "Corrective actions (纠正措施)"),
        (name = "surveys", description = "Callback and routine satisfaction surveys"),
        (name = "registry", description = "Customers and products"),
        (name = "parts", description = "Parts catalog and van stock"),
        (name = "forms", description = "Form templates"),
        (name = "sync", description = "The devices' binary sync protocol and live notices"),
        (name = "meta", description = "Liveness and this document")
    )
)]
pub struct ApiDoc;

/// The `bearer` scheme the secured operations name: an access token from `/v1/auth/login`.
#[derive(Debug)]
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document, as JSON text.
pub fn document() -> Result<String, serde_json::Error> {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    let mut doc = serde_json::to_value(doc)?;
    allow_empty_query_values(&mut doc);
    serde_json::to_string(&doc)
}

/// `Params::take` reads an empty value as absent (forms send `?tier=`), which OpenAPI says
/// with `allowEmptyValue`: a field utoipa does not have. A required parameter is not
/// there when empty, so it keeps refusing "".
fn allow_empty_query_values(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|i| i.as_object_mut())
        .flat_map(|i| i.values_mut())
    {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(|p| p.as_array_mut())
        else {
            continue;
        };
        for parameter in parameters {
            let optional = parameter.get("required").and_then(|r| r.as_bool()) != Some(true);
            if let Some(fields) = parameter.as_object_mut()
                && fields.get("in").and_then(|i| i.as_str()) == Some("query")
                && optional
            {
                fields.insert("allowEmptyValue".into(), true.into());
            }
        }
    }
}

/// Bodies that handlers build with `json!`, described here for the document. Each keeps
/// the field names of its handler; the schemathesis run (tests/schemathesis) checks real
/// answers against them.
pub mod bodies {
    use onsite_domain::reference::{CatalogItem, FormTemplate};
    use onsite_store::repo::accounts::{Account, DeviceInfo};
    use onsite_store::repo::jobs::ReviewRow;
    use onsite_store::repo::reference::{Balance, CustomerRecord, ProductRecord, Restock};
    use utoipa::ToSchema;

    #[derive(Debug, ToSchema)]
    pub struct UserList {
        pub users: Vec<Account>,
    }

    #[derive(Debug, ToSchema)]
    pub struct DeviceList {
        pub devices: Vec<DeviceInfo>,
    }

    #[derive(Debug, ToSchema)]
    pub struct ReviewPage {
        pub jobs: Vec<ReviewRow>,
        /// Rows matching in all.
        pub total: u64,
        pub limit: u32,
        pub offset: u32,
    }

    #[derive(Debug, ToSchema)]
    pub struct CustomerPage {
        pub customers: Vec<CustomerRecord>,
        pub total: i64,
        pub limit: u32,
        pub offset: u32,
    }

    #[derive(Debug, ToSchema)]
    pub struct ProductPage {
        pub products: Vec<ProductRecord>,
        pub total: i64,
        pub limit: u32,
        pub offset: u32,
    }

    #[derive(Debug, ToSchema)]
    pub struct CatalogPage {
        pub parts: Vec<CatalogItem>,
        pub total: i64,
        pub limit: u32,
        pub offset: u32,
    }

    #[derive(Debug, ToSchema)]
    pub struct TemplateList {
        pub templates: Vec<FormTemplate>,
    }

    #[derive(Debug, ToSchema)]
    pub struct StockList {
        pub lines: Vec<Balance>,
        /// How many of the lines are negative.
        pub negative: u64,
    }

    #[derive(Debug, ToSchema)]
    pub struct TechnicianStock {
        pub technician_id: String,
        pub lines: Vec<Balance>,
        /// How many of the lines are negative.
        pub negative: u64,
        /// The latest restocks, newest first.
        pub restocks: Vec<Restock>,
    }

    #[derive(Debug, ToSchema)]
    pub struct Restocked {
        pub technician_id: String,
        /// Ids of the ledger rows written, one a line.
        pub restocks: Vec<i64>,
        /// The technician's balances after the restock.
        pub lines: Vec<Balance>,
    }

    #[derive(Debug, ToSchema)]
    pub struct RecordedResponse {
        pub id: String,
        pub survey_id: String,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    /// Operations a caller may use without an access token. Refresh and logout take the
    /// refresh token in the body: a bearer requirement there would be a lie.
    const PUBLIC: &[(&str, &str)] = &[
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/refresh"),
        ("post", "/v1/auth/logout"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
    ];

    fn json(doc: &utoipa::openapi::OpenApi) -> Value {
        serde_json::to_value(doc).expect("the document is JSON")
    }

    fn served() -> Value {
        serde_json::from_str(&super::document().expect("document")).expect("JSON")
    }

    fn operations(doc: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                out.insert((method.clone(), path.clone()));
            }
        }
        out
    }

    #[test]
    fn the_document_describes_exactly_the_routes_served() {
        let routed = operations(&json(crate::routes::table(1, 1).get_openapi()));
        let described = operations(&served());
        assert!(routed.len() > 50, "{routed:?}");
        let missing: Vec<_> = routed.difference(&described).collect();
        let extra: Vec<_> = described.difference(&routed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "routed but not in ApiDoc: {missing:?}; in ApiDoc but not routed: {extra:?}"
        );
    }

    #[test]
    fn every_operation_documents_its_success_and_401_where_secured() {
        let doc = served();
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with('3')),
            Some(true)
        );
        assert!(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
        for (method, path) in operations(&doc) {
            let op = &doc["paths"][&path][&method];
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "101"),
                "{method} {path}: no success status"
            );
            assert!(op["summary"].is_string(), "{method} {path}: no summary");
            assert!(op["tags"][0].is_string(), "{method} {path}: no tag");
            let public = PUBLIC.contains(&(method.as_str(), path.as_str()));
            let security = op["security"].as_array().map(Vec::len).unwrap_or(0);
            if public {
                assert_eq!(security, 0, "{method} {path} is public");
            } else {
                assert_eq!(
                    op["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{method} {path}: not bearer-secured"
                );
                assert!(
                    responses.contains_key("401"),
                    "{method} {path}: secured without 401"
                );
            }
            for name in path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            {
                let described = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                assert!(described, "{method} {path}: path parameter {name}");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: a JSON body without {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn errors_are_described_by_the_error_body() {
        let doc = served();
        let error = &doc["components"]["schemas"]["ErrorBody"];
        assert_eq!(error["required"], serde_json::json!(["error"]));
        for (method, path) in operations(&doc) {
            for (status, response) in doc["paths"][&path][&method]["responses"]
                .as_object()
                .expect("responses")
            {
                let Some(schema) = response["content"]["application/json"]["schema"].as_object()
                else {
                    continue;
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        schema.get("$ref").and_then(Value::as_str),
                        Some("#/components/schemas/ErrorBody"),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn sync_is_described_with_its_wire_content_type() {
        let doc = served();
        let sync = &doc["paths"]["/v1/sync"]["post"];
        let ct = onsite_sync::wire::CONTENT_TYPE;
        assert!(sync["requestBody"]["content"][ct].is_object(), "{sync}");
        assert!(
            sync["responses"]["200"]["content"][ct].is_object(),
            "{sync}"
        );
        assert!(doc["paths"]["/v1/sync/live"]["get"]["responses"]["101"].is_object());
    }

    #[test]
    fn the_query_parameters_the_handlers_take_are_described() {
        let doc = served();
        let names = |method: &str, path: &str| -> BTreeSet<String> {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect()
        };
        let sat = names("get", "/v1/reports/satisfaction");
        for n in [
            "month", "from", "to", "group_by", "export", "format", "lowest",
        ] {
            assert!(sat.contains(n), "satisfaction lacks {n}");
        }
        assert!(names("get", "/v1/van-stock").contains("negative"));
        let month = &doc["paths"]["/v1/surveys/callback-sample"]["get"]["parameters"][0];
        assert_eq!(
            (&month["name"], &month["required"]),
            (&"month".into(), &true.into())
        );
        assert!(
            month["allowEmptyValue"].is_null(),
            "a required parameter is not there empty"
        );
        let limit = &doc["paths"]["/v1/jobs"]["get"]["parameters"];
        let limit = limit
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "limit");
        assert_eq!(
            limit.map(|p| &p["allowEmptyValue"]),
            Some(&Value::Bool(true))
        );
        assert!(names("get", "/v1/jobs").contains("review_state"));
        let csv = &doc["paths"]["/v1/reports/parts"]["get"]["responses"]["200"]["content"];
        assert!(csv["text/csv"].is_object() && csv["application/json"].is_object());
    }

    /// The fixed lists the document spells out in patterns are the lists the code checks.
    #[test]
    fn fixed_lists_in_the_document_are_the_ones_checked() {
        let doc = served();
        let exactly = |list: &[&str]| format!("^({})$", list.join("|"));
        let or_empty = |list: &[&str]| format!("^({})?$", list.join("|"));
        let field = |schema: &str, name: &str| {
            doc["components"]["schemas"][schema]["properties"][name]["pattern"].clone()
        };
        let query = |path: &str, name: &str| {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"]["pattern"].clone())
                .unwrap_or_default()
        };
        use crate::routes::review::{REVIEW_STATES, STATUSES};
        use onsite_domain::job::{DEPARTMENTS, FEEDBACK_CATEGORIES};
        use onsite_store::report::corrective::STATUSES as ACTION_STATUSES;
        assert_eq!(
            field("ClassifyRequest", "feedback_category"),
            exactly(&FEEDBACK_CATEGORIES)
        );
        assert_eq!(
            field("ClassifyRequest", "responsible_department"),
            exactly(&DEPARTMENTS)
        );
        assert_eq!(field("UpdateRequest", "status"), exactly(&ACTION_STATUSES));
        assert_eq!(
            field("CreateUser", "role"),
            exactly(&["technician", "back_office", "admin"])
        );
        for path in ["/v1/jobs", "/v1/review/jobs"] {
            assert_eq!(query(path, "status"), or_empty(&STATUSES), "{path}");
            assert_eq!(
                query(path, "review_state"),
                or_empty(&REVIEW_STATES),
                "{path}"
            );
        }
        assert_eq!(
            query("/v1/review/jobs", "feedback_category"),
            or_empty(&FEEDBACK_CATEGORIES)
        );
        assert_eq!(
            query("/v1/corrective-actions", "status"),
            or_empty(&ACTION_STATUSES)
        );
        for role in ["technician", "back_office", "admin"] {
            assert!(onsite_domain::Role::parse(role).is_some());
        }
    }
}
