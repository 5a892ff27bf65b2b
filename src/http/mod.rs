//! HTTP: actix-web handlers, one file per resource, the error mapping, and the OpenAPI
//! document built from the handlers' annotations.

pub mod accounts;
pub mod audit;
pub mod clinics;
pub mod contract;
pub mod courses;
pub mod edge;
pub mod error;
pub mod exports;
pub mod extract;
pub mod formulations;
pub mod fridges;
pub mod imports;
pub mod lots;
pub mod meta;
pub mod movements;
pub mod open_vials;
pub mod orders;
pub mod planning;
pub mod products;
pub mod recalls;
pub mod rules;
pub mod scan;
pub mod sessions;
pub mod stock;
pub mod suppliers;
pub mod ui;

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::AppError;
use contract::Contract;

/// Each JSON handler is listed once: the list makes both the routes under `/api/v1` (in
/// this order, which matters where paths overlap) and the OpenAPI document, so a route can
/// never be missing from the document.
macro_rules! api_handlers {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        #[derive(OpenApi)]
        #[openapi(
            info(title = "mesoledger", description = "Stock, lot traceability and cocktail formulations for a mesotherapy clinic."),
            servers((url = "/api/v1")),
            components(schemas(error::Problem, crate::domain::FieldError)),
            modifiers(&Operations, &BearerAuth, &Limits, &Contract),
        )]
        pub struct ApiDoc;

        /// Adds every handler's operation to the document, named `module_handler`: utoipa
        /// names an operation after its function alone, and several modules have a
        /// `list` or a `get`, which tools refuse (operation ids must be unique).
        struct Operations;

        impl Modify for Operations {
            fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                $({
                    #[derive(OpenApi)]
                    #[openapi(paths($module::$handler))]
                    struct One;
                    let mut one = One::openapi();
                    contract::name_operations(
                        &mut one,
                        concat!(stringify!($module), "_", stringify!($handler)),
                    );
                    openapi.merge(one);
                })+
            }
        }

        /// Routes under `/api/v1`.
        pub fn api(cfg: &mut web::ServiceConfig) {
            $(cfg.service($module::$handler);)+
        }
    };
}

api_handlers!(
    clinics::create_clinic,
    clinics::create_staff,
    clinics::me,
    suppliers::create,
    suppliers::list,
    suppliers::get,
    suppliers::update,
    products::create,
    products::list,
    products::get,
    products::update,
    lots::receive,
    lots::list,
    lots::get,
    lots::update,
    lots::trace,
    lots::quarantine,
    lots::release,
    lots::recall,
    lots::waste_unusable,
    open_vials::list,
    open_vials::discard,
    fridges::create,
    fridges::list,
    fridges::get,
    fridges::add_readings,
    fridges::readings,
    fridges::excursions,
    fridges::move_lot,
    movements::list,
    movements::create,
    stock::list,
    formulations::create,
    formulations::update,
    formulations::list,
    formulations::get,
    formulations::check,
    rules::list,
    rules::create,
    rules::update,
    rules::conditions,
    sessions::create,
    sessions::list,
    sessions::get,
    sessions::void,
    lots::trace_by_number,
    exports::traceability,
    exports::movements,
    exports::variance,
    exports::recall,
    recalls::list,
    recalls::get,
    recalls::contact,
    recalls::close,
    audit::list,
    imports::products,
    imports::lots,
    imports::readings,
    planning::forecast,
    planning::reorder_suggestions,
    planning::alerts,
    courses::create,
    courses::list,
    courses::get,
    courses::cancel,
    orders::create,
    orders::list,
    orders::csv,
    orders::get,
    orders::update,
    orders::send,
    orders::cancel,
    orders::receive,
    scan::scan,
    clinics::update_clinic,
    accounts::list_staff,
    accounts::update_staff,
    accounts::invite,
    accounts::invite_member,
    accounts::accept,
    accounts::my_tokens,
    accounts::create_token,
    accounts::revoke_token,
    accounts::staff_tokens,
    accounts::revoke_staff_token,
);

/// The document, built once: the served JSON, the docs page and the edge's table of
/// operations all read it.
pub static API_DOC: std::sync::LazyLock<utoipa::openapi::OpenApi> =
    std::sync::LazyLock::new(ApiDoc::openapi);

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// States `domain::limits` in the document: `maxLength` on every text and `maxItems` on
/// every list of every JSON request body (and the schemas it refers to), read from the
/// same table the edge enforces, so the two cannot drift.
struct Limits;

impl Modify for Limits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        contract::edit_json(openapi, bound_requests);
    }
}

/// `maxLength` and `maxItems` on every request body and the schemas it refers to.
fn bound_requests(doc: &mut serde_json::Value) {
    let mut requests = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            let Some(ops) = item.as_object_mut() else {
                continue;
            };
            for op in ops.values_mut() {
                if let Some(schema) =
                    op.pointer_mut("/requestBody/content/application~1json/schema")
                {
                    bound(schema, "", &mut requests);
                }
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = requests.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let pointer = format!(
            "/components/schemas/{}",
            name.replace('~', "~0").replace('/', "~1")
        );
        if let Some(schema) = doc.pointer_mut(&pointer) {
            bound(schema, "", &mut requests);
        }
    }
}

/// Adds the limits of field `key` to `schema`, and of every property under it; names the
/// component schemas it refers to in `refs`.
fn bound(schema: &mut serde_json::Value, key: &str, refs: &mut Vec<String>) {
    use crate::domain::limits;
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(name) = obj
        .get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        refs.push(name.to_string());
    }
    let types: Vec<String> = match obj.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.clone()],
        Some(serde_json::Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let is = |t: &str| types.iter().any(|x| x == t);
    if is("string") && obj.get("format").and_then(|f| f.as_str()) != Some("binary") {
        obj.entry("maxLength")
            .or_insert_with(|| limits::max_chars(key).into());
    }
    if is("array") {
        obj.entry("maxItems")
            .or_insert_with(|| limits::max_items(key).into());
        if let Some(items) = obj.get_mut("items") {
            bound(items, key, refs);
        }
    }
    for combined in ["oneOf", "anyOf", "allOf"] {
        if let Some(serde_json::Value::Array(parts)) = obj.get_mut(combined) {
            for part in parts {
                bound(part, key, refs);
            }
        }
    }
    if let Some(serde_json::Value::Object(props)) = obj.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            bound(prop, name, refs);
        }
    }
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let wants_html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if let Some(e) = edge::method_not_allowed(&req) {
        return Err(e);
    }
    if wants_html && !req.path().starts_with("/api/") {
        return Ok(ui::not_found_page());
    }
    Err(AppError::not_found(format!(
        "{} {}",
        req.method(),
        req.path()
    )))
}
