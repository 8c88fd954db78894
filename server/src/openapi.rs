//! The OpenAPI description of the JSON API, served at `/openapi.json`.
//!
//! Built from one table rather than annotations on each handler: the handlers validate
//! their query strings by hand (to refuse unknown parameters), so the parameter lists live
//! here, next to each other, where a reviewer can compare them with the README.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, Paths};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApiBuilder, Required, Response};

/// A period: `month`, or `from` and `to`.
const PERIOD: &[(&str, &str)] = &[
    ("month", "a calendar month, 2026-11 (UTC)"),
    ("from", "first day included, 2026-11-01"),
    ("to", "last day included, 2026-11-30"),
];
const PAGE: &[(&str, &str)] = &[
    ("limit", "1–500, default 50"),
    ("offset", "rows to skip"),
    ("format", "json (default), csv or xlsx"),
];

struct Endpoint {
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    query: &'static [&'static [(&'static str, &'static str)]],
}

const fn ep(
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    query: &'static [&'static [(&'static str, &'static str)]],
) -> Endpoint {
    Endpoint {
        method,
        path,
        tag,
        summary,
        query,
    }
}

use HttpMethod::{Delete, Get, Patch, Post};

const ENDPOINTS: &[Endpoint] = &[
    ep(
        Post,
        "/v1/auth/login",
        "auth",
        "sign in: username, password, device_id",
        &[],
    ),
    ep(
        Post,
        "/v1/auth/refresh",
        "auth",
        "rotate a refresh token",
        &[],
    ),
    ep(Post, "/v1/auth/logout", "auth", "end a sign-in", &[]),
    ep(Post, "/v1/admin/users", "admin", "create an account", &[]),
    ep(Get, "/v1/admin/users", "admin", "list accounts", &[]),
    ep(Get, "/v1/admin/users/{id}", "admin", "one account", &[]),
    ep(
        Patch,
        "/v1/admin/users/{id}",
        "admin",
        "change display name or role",
        &[],
    ),
    ep(
        Delete,
        "/v1/admin/users/{id}",
        "admin",
        "delete an account",
        &[],
    ),
    ep(
        Post,
        "/v1/admin/users/{id}/disable",
        "admin",
        "disable an account",
        &[],
    ),
    ep(
        Post,
        "/v1/admin/users/{id}/enable",
        "admin",
        "enable an account",
        &[],
    ),
    ep(
        Post,
        "/v1/admin/users/{id}/password",
        "admin",
        "reset a password",
        &[],
    ),
    ep(
        Get,
        "/v1/admin/users/{id}/devices",
        "admin",
        "an account's devices",
        &[],
    ),
    ep(
        Post,
        "/v1/admin/users/{id}/devices/{device_id}/revoke",
        "admin",
        "revoke a device, optionally wiping it",
        &[],
    ),
    ep(
        Post,
        "/v1/sync",
        "sync",
        "the sync protocol (binary frames, docs/protocol.md)",
        &[],
    ),
    ep(Post, "/v1/jobs", "jobs", "create a job", &[]),
    ep(
        Get,
        "/v1/jobs",
        "jobs",
        "list jobs",
        &[&[
            ("status", ""),
            ("review_state", ""),
            ("assignee", ""),
            ("limit", ""),
            ("offset", ""),
        ]],
    ),
    ep(
        Get,
        "/v1/jobs/{id}",
        "jobs",
        "one job with its whole document",
        &[],
    ),
    ep(
        Post,
        "/v1/jobs/{id}/assign",
        "jobs",
        "assign or reassign",
        &[],
    ),
    ep(
        Post,
        "/v1/jobs/{id}/review",
        "review",
        "approve, or return with a comment",
        &[],
    ),
    ep(
        Post,
        "/v1/jobs/{id}/classify",
        "jobs",
        "set the feedback category and responsible department",
        &[],
    ),
    ep(
        Post,
        "/v1/jobs/{id}/cancel",
        "jobs",
        "cancel a job not yet completed",
        &[],
    ),
    ep(
        Post,
        "/v1/jobs/{id}/callback",
        "surveys",
        "record a callback survey (回访) form",
        &[],
    ),
    ep(
        Get,
        "/v1/review/jobs",
        "review",
        "the review list",
        &[
            &[
                ("status", "derived status"),
                ("review_state", "not_submitted, pending, approved, returned"),
                ("technician", "technician account id"),
                ("complaint", "true or false"),
                ("dap", "true or false"),
                ("feedback_category", "product, service or process"),
                ("customer_tier", "key, general, …"),
            ],
            PERIOD,
            PAGE,
        ],
    ),
    ep(
        Get,
        "/v1/review/jobs/{id}",
        "review",
        "a job's detail, timeline (with each event's receipt and time flags) and edit history",
        &[],
    ),
    ep(
        Get,
        "/v1/quarantine",
        "jobs",
        "jobs set aside because their stored document cannot be used",
        &[],
    ),
    ep(
        Get,
        "/v1/reports/satisfaction",
        "reports",
        "satisfaction degree, rate and overall (满意度)",
        &[
            PERIOD,
            &[
                (
                    "group_by",
                    "none, technician, customer_tier, product_model, region, month",
                ),
                ("technician", ""),
                ("customer_tier", ""),
                ("product_model", ""),
                ("region", ""),
                ("trend_months", "1–60, default 12"),
                ("lowest", "1–20, default 3"),
                ("export", "groups, items or trend"),
                ("format", "json, csv or xlsx"),
            ],
        ],
    ),
    ep(
        Get,
        "/v1/reports/service-levels",
        "reports",
        "share of jobs meeting each clock, and jobs whose device times are in doubt",
        &[
            PERIOD,
            &[
                ("group_by", "none, technician, month"),
                ("technician", ""),
                ("complaint", "true or false"),
                ("response_hours", "target override"),
                ("arrival_near_hours", ""),
                ("arrival_far_hours", ""),
                ("diagnosis_hours", ""),
                ("handling_minutes", "average handling target"),
                ("format", "json, csv or xlsx"),
            ],
        ],
    ),
    ep(
        Get,
        "/v1/reports/parts",
        "reports",
        "parts consumption and remaining coefficient (剩余系数)",
        &[
            PERIOD,
            &[
                ("product_model", ""),
                ("sku", ""),
                ("export", "consumption or remaining"),
                ("format", "json, csv or xlsx"),
            ],
        ],
    ),
    ep(
        Post,
        "/v1/parts/batches",
        "reports",
        "record a purchased batch of a part for a model",
        &[],
    ),
    ep(
        Get,
        "/v1/corrective-actions",
        "corrective actions",
        "corrective actions (纠正措施)",
        &[
            &[
                ("status", "open, in_progress, done, verified"),
                ("department", ""),
                ("job", "job id"),
                ("overdue", "true: past due and not verified"),
            ],
            PERIOD,
            PAGE,
        ],
    ),
    ep(
        Patch,
        "/v1/corrective-actions/{id}",
        "corrective actions",
        "update owner, department, due date, status, verification",
        &[],
    ),
    ep(
        Get,
        "/v1/surveys/callback-sample",
        "surveys",
        "the month's reproducible callback sample",
        &[&[
            ("month", "2026-11, required"),
            ("size", "1–10000, default 100"),
            ("format", "json, csv or xlsx"),
        ]],
    ),
    ep(
        Post,
        "/v1/customers",
        "registry",
        "register a customer (id optional: a UUID is made)",
        &[],
    ),
    ep(
        Get,
        "/v1/customers",
        "registry",
        "list customers by name",
        &[
            &[
                ("q", "text in the name or phone"),
                ("tier", "key, general, …"),
                ("region", ""),
            ],
            PAGE,
        ],
    ),
    ep(Get, "/v1/customers/{id}", "registry", "one customer", &[]),
    ep(
        Patch,
        "/v1/customers/{id}",
        "registry",
        "change a customer (jobs keep their own copy)",
        &[],
    ),
    ep(
        Post,
        "/v1/products",
        "registry",
        "register a customer's product (model, serial, purchase date)",
        &[],
    ),
    ep(
        Get,
        "/v1/products",
        "registry",
        "list products",
        &[
            &[
                ("customer", "customer id"),
                ("model", ""),
                ("serial", "text in the serial number"),
            ],
            PAGE,
        ],
    ),
    ep(Get, "/v1/products/{id}", "registry", "one product", &[]),
    ep(
        Patch,
        "/v1/products/{id}",
        "registry",
        "change a product",
        &[],
    ),
    ep(
        Post,
        "/v1/parts/catalog",
        "parts",
        "add a part to the catalog (syncs to devices)",
        &[],
    ),
    ep(
        Get,
        "/v1/parts/catalog",
        "parts",
        "the parts catalog by SKU",
        &[&[
            ("active", "true or false"),
            ("q", "text in the SKU or name"),
            ("limit", "1–1000, default 100"),
            ("offset", "rows to skip"),
            ("format", "json (default), csv or xlsx"),
        ]],
    ),
    ep(Get, "/v1/parts/catalog/{sku}", "parts", "one part", &[]),
    ep(
        Patch,
        "/v1/parts/catalog/{sku}",
        "parts",
        "change name, unit price, billable or active (syncs to devices)",
        &[],
    ),
    ep(
        Post,
        "/v1/form-templates",
        "forms",
        "publish the next version of a template, or a new template (syncs to devices)",
        &[],
    ),
    ep(
        Get,
        "/v1/form-templates",
        "forms",
        "every version of every template, the built-in csat-onsite v1 first",
        &[&[("id", "one template's versions")]],
    ),
    ep(
        Get,
        "/v1/form-templates/{id}/{version}",
        "forms",
        "one version of a template",
        &[],
    ),
    ep(
        Get,
        "/v1/van-stock",
        "parts",
        "van stock of every technician, negative balances flagged",
        &[&[
            ("technician", "technician account id"),
            ("sku", ""),
            ("negative", "true: only negative balances"),
            ("format", "json (default), csv or xlsx"),
        ]],
    ),
    ep(
        Get,
        "/v1/van-stock/{technician}",
        "parts",
        "one technician's van stock and latest restocks",
        &[&[("format", "json (default), csv or xlsx")]],
    ),
    ep(
        Post,
        "/v1/van-stock/{technician}/restock",
        "parts",
        "restock a van: {\"lines\": [{\"sku\", \"quantity\" > 0}], \"note\"?}",
        &[],
    ),
    ep(
        Post,
        "/v1/surveys/routine",
        "surveys",
        "open a routine survey (定期满意度调查) round: tier, round (key 2026-Q3, general 2026-H2), title",
        &[],
    ),
    ep(
        Get,
        "/v1/surveys/routine",
        "surveys",
        "routine survey rounds with returned forms and validity",
        &[&[("tier", "customer tier"), ("format", "json, csv or xlsx")]],
    ),
    ep(
        Get,
        "/v1/surveys/routine/{id}",
        "surveys",
        "a round's report: validity (100 forms), items, competitors (10 forms), previous round",
        &[&[("format", "json, csv or xlsx")]],
    ),
    ep(
        Post,
        "/v1/surveys/routine/{id}/responses",
        "surveys",
        "record a returned form: customer, competitor?, respondent?, answers, comments, suggestion",
        &[],
    ),
    ep(
        Get,
        "/v1/sync/live",
        "sync",
        "WebSocket of live notices: `ready`, then `changed` when a sync would bring something",
        &[],
    ),
    ep(Get, "/healthz", "health", "liveness", &[]),
];

fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// The document, as JSON text.
pub fn document() -> Result<String, serde_json::Error> {
    let mut paths = Paths::new();
    for e in ENDPOINTS {
        let mut op = OperationBuilder::new()
            .tag(e.tag)
            .summary(Some(e.summary))
            .response(
                "200",
                Response::new("success (201 for creations, 204 for no content)"),
            )
            .response(
                "400",
                Response::new("bad input: {\"error\": {\"code\", \"message\"}}; nothing changed"),
            )
            .response("401", Response::new("no valid access token"))
            .response("403", Response::new("the role may not do this"))
            .response("404", Response::new("unknown id"));
        if e.path != "/healthz" && e.path != "/v1/auth/login" {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        for name in path_params(e.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .build(),
            );
        }
        for (name, description) in e.query.iter().flat_map(|group| group.iter()) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description((!description.is_empty()).then_some(*description))
                    .build(),
            );
        }
        paths.add_path_operation(e.path, vec![e.method.clone()], op.build());
    }
    let components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Onsite")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Offline-first field service: sync, accounts, back office, reports.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
        .to_json()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every (method, path) the router serves, read from its source.
    fn routed() -> BTreeSet<(String, String)> {
        let source = include_str!("routes/mod.rs");
        let mut out = BTreeSet::new();
        for chunk in source.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).unwrap().to_string();
            for method in ["get", "post", "patch", "delete", "put"] {
                let call = format!("{method}(");
                let mut rest = chunk;
                while let Some(at) = rest.find(&call) {
                    let before = rest[..at].chars().next_back();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        out.insert((method.to_uppercase(), path.clone()));
                    }
                    rest = &rest[at + call.len()..];
                }
            }
        }
        out
    }

    #[test]
    fn the_document_describes_exactly_the_routes_served() {
        let doc: serde_json::Value = serde_json::from_str(&super::document().unwrap()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                described.insert((method.to_uppercase(), path.clone()));
            }
        }
        let mut served = routed();
        // The document itself.
        assert!(served.remove(&("GET".to_string(), "/openapi.json".to_string())));
        assert!(served.len() > 50, "{served:?}");
        assert_eq!(served, described);
    }

    #[test]
    fn every_endpoint_is_described_once() {
        let doc: serde_json::Value = serde_json::from_str(&super::document().unwrap()).unwrap();
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with('3')),
            Some(true)
        );
        let sat = &doc["paths"]["/v1/reports/satisfaction"]["get"];
        let names: Vec<&str> = sat["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"group_by") && names.contains(&"month"));
        let detail = &doc["paths"]["/v1/review/jobs/{id}"]["get"];
        assert_eq!(detail["parameters"][0]["in"], "path");
        let stock = &doc["paths"]["/v1/van-stock"]["get"];
        assert!(
            stock["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "negative")
        );
        assert!(doc["paths"]["/v1/van-stock/{technician}/restock"]["post"].is_object());
        assert!(doc["paths"]["/v1/parts/catalog/{sku}"]["patch"].is_object());
        assert!(doc["paths"]["/v1/form-templates/{id}/{version}"]["get"].is_object());
        assert!(doc["paths"]["/v1/customers/{id}"]["patch"].is_object());
    }
}
