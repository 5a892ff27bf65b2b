//! GS1 scanning: what a box's barcode says, and which product and lot it is here.

use actix_web::{post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json};
use super::lots::LotView;
use super::products::ProductView;
use crate::domain::requests::ScanInput;
use crate::error::AppResult;
use crate::services::{scan as scanning, Actor};

/// A company-internal AI (90)–(99), value as given.
#[derive(Debug, Serialize, ToSchema)]
pub struct InternalAi {
    #[schema(example = "91")]
    pub ai: String,
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanAnswer {
    pub gtin: Option<String>,
    pub lot_number: Option<String>,
    /// AI (17), or the date of AI (7003).
    pub expires_on: Option<NaiveDate>,
    /// AI (11).
    pub production_date: Option<NaiveDate>,
    /// AI (15).
    pub best_before: Option<NaiveDate>,
    /// AI (21).
    pub serial: Option<String>,
    /// AIs (90)–(99), in the order of the code.
    pub internal: Vec<InternalAi>,
    /// The clinic's product with this GTIN, if any.
    pub product: Option<ProductView>,
    /// The clinic's lot with this number, if received.
    pub lot: Option<LotView>,
}

#[utoipa::path(tag = "scan", request_body = ScanInput,
    responses((status = 200, body = ScanAnswer), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/scan")]
pub async fn scan(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<ScanInput>,
) -> AppResult<HttpResponse> {
    let r = run(&state, move |conn| {
        scanning::scan(conn, &actor, &body.0.code)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ScanAnswer {
        gtin: r.scan.gtin.map(|g| g.to_string()),
        lot_number: r.scan.lot_number,
        expires_on: r.scan.expires_on,
        production_date: r.scan.production_date,
        best_before: r.scan.best_before,
        serial: r.scan.serial,
        internal: r
            .scan
            .internal
            .into_iter()
            .map(|(ai, value)| InternalAi { ai, value })
            .collect(),
        lot: r.lot.map(|l| {
            let labels = r
                .product
                .iter()
                .map(|p| (p.id.clone(), (p.sku.clone(), p.name.clone())))
                .collect();
            LotView::new(l, &labels)
        }),
        product: r.product.map(ProductView::from),
    }))
}
