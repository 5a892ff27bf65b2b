//! HTTP: actix-web handlers, one file per resource, the error mapping, and the OpenAPI
//! document built from the handlers' annotations.

pub mod accounts;
pub mod audit;
pub mod clinics;
pub mod courses;
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

#[derive(OpenApi)]
#[openapi(
    info(title = "mesoledger", description = "Stock, lot traceability and cocktail formulations for a mesotherapy clinic."),
    servers((url = "/api/v1")),
    paths(
        clinics::create_clinic, clinics::create_staff, clinics::me,
        suppliers::create, suppliers::list, suppliers::get, suppliers::update,
        products::create, products::list, products::get, products::update,
        lots::receive, lots::list, lots::get, lots::trace, lots::quarantine, lots::release, lots::recall,
        movements::list, movements::create,
        stock::list,
        formulations::create, formulations::update, formulations::get, formulations::list, formulations::check,
        rules::list, rules::create, rules::update,
        sessions::create, sessions::get, sessions::list, sessions::void,
        lots::trace_by_number,
        exports::traceability, exports::movements, exports::variance, exports::recall,
        recalls::list, recalls::get, recalls::contact, recalls::close,
        audit::list,
        imports::products, imports::lots,
        planning::forecast, planning::reorder_suggestions, planning::alerts,
        courses::create, courses::get, courses::list, courses::cancel,
        orders::create, orders::list, orders::csv, orders::get, orders::send, orders::receive,
        scan::scan, clinics::update_clinic,
        accounts::list_staff, accounts::update_staff, accounts::invite, accounts::accept,
        accounts::my_tokens, accounts::create_token, accounts::revoke_token,
        accounts::staff_tokens, accounts::revoke_staff_token,
    ),
    components(schemas(error::Problem, crate::domain::FieldError)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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

/// Routes under `/api/v1`.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(clinics::create_clinic)
        .service(clinics::create_staff)
        .service(clinics::me)
        .service(suppliers::create)
        .service(suppliers::list)
        .service(suppliers::get)
        .service(suppliers::update)
        .service(products::create)
        .service(products::list)
        .service(products::get)
        .service(products::update)
        .service(lots::receive)
        .service(lots::list)
        .service(lots::get)
        .service(lots::trace)
        .service(lots::quarantine)
        .service(lots::release)
        .service(lots::recall)
        .service(movements::list)
        .service(movements::create)
        .service(stock::list)
        .service(formulations::create)
        .service(formulations::update)
        .service(formulations::list)
        .service(formulations::get)
        .service(formulations::check)
        .service(rules::list)
        .service(rules::create)
        .service(rules::update)
        .service(sessions::create)
        .service(sessions::list)
        .service(sessions::get)
        .service(sessions::void)
        .service(lots::trace_by_number)
        .service(exports::traceability)
        .service(exports::movements)
        .service(exports::variance)
        .service(exports::recall)
        .service(recalls::list)
        .service(recalls::get)
        .service(recalls::contact)
        .service(recalls::close)
        .service(audit::list)
        .service(imports::products)
        .service(imports::lots)
        .service(planning::forecast)
        .service(planning::reorder_suggestions)
        .service(planning::alerts)
        .service(courses::create)
        .service(courses::list)
        .service(courses::get)
        .service(courses::cancel)
        .service(orders::create)
        .service(orders::list)
        .service(orders::csv)
        .service(orders::get)
        .service(orders::send)
        .service(orders::receive)
        .service(scan::scan)
        .service(clinics::update_clinic)
        .service(accounts::list_staff)
        .service(accounts::update_staff)
        .service(accounts::invite)
        .service(accounts::accept)
        .service(accounts::my_tokens)
        .service(accounts::create_token)
        .service(accounts::revoke_token)
        .service(accounts::staff_tokens)
        .service(accounts::revoke_staff_token);
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found(format!(
        "{} {}",
        req.method(),
        req.path()
    )))
}
