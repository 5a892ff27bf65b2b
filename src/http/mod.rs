//! HTTP: actix-web handlers, one file per resource, the error mapping, and the OpenAPI
//! document built from the handlers' annotations.

pub mod accounts;
pub mod audit;
pub mod clinics;
pub mod courses;
pub mod edge;
pub mod error;
pub mod exports;
pub mod extract;
pub mod formulations;
pub mod imports;
pub mod lots;
pub mod meta;
pub mod movements;
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

/// Each JSON handler is listed once: the list makes both the routes under `/api/v1` (in
/// this order, which matters where paths overlap) and the OpenAPI document, so a route can
/// never be missing from the document.
macro_rules! api_handlers {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        #[derive(OpenApi)]
        #[openapi(
            info(title = "mesoledger", description = "Stock, lot traceability and cocktail formulations for a mesotherapy clinic."),
            servers((url = "/api/v1")),
            paths($($module::$handler),+),
            components(schemas(error::Problem, crate::domain::FieldError)),
            modifiers(&BearerAuth),
        )]
        pub struct ApiDoc;

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
    lots::trace,
    lots::quarantine,
    lots::release,
    lots::recall,
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
    orders::send,
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
