//! The manager's product page: `/products/{id}` with its details, an edit form
//! (`services::catalog::update_product`, errors next to their fields) and its lots.

use crate::domain::ids::{LotId, ProductId, SupplierId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::session::WebConfig;
use super::treatment::{human, Opt};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::db::products::Product;
use crate::domain::quantity;
use crate::domain::role::{allows, Action};
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::catalog::{self, ProductPatch};
use crate::services::lots;

/// The edit form's values (as typed) and their errors.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductForm {
    name: String,
    sku: String,
    gtin: String,
    reorder_point: String,
    reorder_quantity: String,
    unit_cost: String,
    supplier_id: SupplierId,
}

#[derive(Default)]
struct Errors {
    name: Option<String>,
    sku: Option<String>,
    gtin: Option<String>,
    reorder_point: Option<String>,
    reorder_quantity: Option<String>,
    unit_cost: Option<String>,
    supplier_id: Option<String>,
    other: Vec<String>,
}

struct LotRow {
    id: LotId,
    number: String,
    expires_on: String,
    status: String,
    on_hand: String,
}

#[derive(Template)]
#[template(path = "products/show.html")]
struct ProductPage {
    frame: Frame,
    csrf_token: String,
    id: ProductId,
    title: String,
    details: Vec<(&'static str, String)>,
    manages: bool,
    form: ProductForm,
    suppliers: Vec<Opt>,
    errors: Errors,
    notice: Option<String>,
    lots: Vec<LotRow>,
}

fn amount(d: Decimal) -> String {
    d.normalize().to_string()
}

fn form_of(p: &Product) -> ProductForm {
    ProductForm {
        name: p.name.clone(),
        sku: p.sku.clone(),
        gtin: p.gtin.clone().unwrap_or_default(),
        reorder_point: amount(p.reorder_point),
        reorder_quantity: p.reorder_quantity.to_string(),
        unit_cost: amount(p.unit_cost),
        supplier_id: p.supplier_id.clone().unwrap_or_default(),
    }
}

async fn product_view(
    state: &AppState,
    session: &WebSession,
    id: ProductId,
    edited: Option<(ProductForm, Errors)>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let manages = allows(session.actor.role, Action::ManageStock);
    let (product, lots, suppliers) = run(state, move |conn| {
        let product = catalog::get_product(conn, &actor, &id)?;
        let lots = lots::list_lots(conn, &actor, Some(product.id.clone()), None, None, None)?;
        let suppliers = if manages {
            catalog::list_suppliers(conn, &actor)?
        } else {
            Vec::new()
        };
        Ok((product, lots, suppliers))
    })
    .await?;
    let (form, errors) = edited.unwrap_or_else(|| (form_of(&product), Errors::default()));
    let unit = product.stock_unit.to_string();
    let supplier_name = product
        .supplier_id
        .as_ref()
        .and_then(|sid| suppliers.iter().find(|s| &s.id == sid))
        .map_or_else(String::new, |s| s.name.clone());
    let mut options = vec![Opt {
        value: String::new(),
        label: "None".into(),
        selected: form.supplier_id.is_empty(),
    }];
    options.extend(suppliers.iter().map(|s| Opt {
        value: s.id.to_string(),
        label: s.name.clone(),
        selected: s.id == form.supplier_id,
    }));
    Ok(page(
        status,
        &ProductPage {
            frame: Frame::at(&product.name, "", Some(session)),
            csrf_token: session.csrf_token.clone(),
            title: format!("{} ({})", product.name, product.sku),
            details: vec![
                ("SKU", product.sku.clone()),
                ("GTIN", product.gtin.clone().unwrap_or_default()),
                ("Kind", human(&product.kind.to_string())),
                ("Content", format!("{} {unit}", amount(product.content))),
                ("Ingredients", product.ingredients.join(", ")),
                (
                    "Single use",
                    if product.single_use { "yes" } else { "no" }.into(),
                ),
                ("Storage", human(&product.storage.to_string())),
                (
                    "Reorder point",
                    format!("{} {unit}", amount(product.reorder_point)),
                ),
                (
                    "Reorder quantity",
                    format!("{} containers", product.reorder_quantity),
                ),
                ("Unit cost", amount(product.unit_cost)),
                ("Supplier", supplier_name),
            ],
            id: product.id,
            manages,
            form,
            suppliers: options,
            errors,
            notice,
            lots: lots
                .into_iter()
                .map(|l| LotRow {
                    id: l.id,
                    number: l.lot_number,
                    expires_on: l.expires_on.to_string(),
                    status: human(l.status.as_str()),
                    on_hand: format!("{} {unit}", amount(l.on_hand)),
                })
                .collect(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductQuery {
    done: String,
}

/// The product, its lots, and for a manager the edit form.
#[get("/products/{id}")]
pub async fn product_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<ProductId>,
    q: web::Query<ProductQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = (q.done == "edit").then(|| "Product saved.".to_string());
    product_view(
        &state,
        &session,
        id.into_inner(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

/// Saves the edit form through the API's use case, then back to the product.
#[post("/products/{id}")]
pub async fn edit_product(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<ProductId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ProductForm = posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let id = id.into_inner();
    let mut errors = Errors::default();
    let decimal = |v: &str, slot: &mut Option<String>| match quantity::parse_decimal(v.trim()) {
        Ok(d) => Some(d),
        Err(e) => {
            *slot = Some(e.to_string());
            None
        }
    };
    let reorder_point = decimal(&form.reorder_point, &mut errors.reorder_point);
    let unit_cost = decimal(&form.unit_cost, &mut errors.unit_cost);
    let reorder_quantity = match form.reorder_quantity.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.reorder_quantity = Some("must be a whole number of containers".into());
            None
        }
    };
    let (Some(reorder_point), Some(unit_cost), Some(reorder_quantity)) =
        (reorder_point, unit_cost, reorder_quantity)
    else {
        return product_view(
            &state,
            &session,
            id,
            Some((form, errors)),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let patch = ProductPatch {
        name: Some(form.name.clone()),
        sku: Some(form.sku.clone()),
        // An empty string clears the value, as in the API.
        gtin: Some(form.gtin.trim().to_string()),
        reorder_point: Some(reorder_point),
        reorder_quantity: Some(reorder_quantity),
        unit_cost: Some(unit_cost),
        supplier_id: Some(form.supplier_id.clone()),
        ..ProductPatch::default()
    };
    let (actor, target) = (session.actor.clone(), id.clone());
    match run(&state, move |conn| {
        catalog::update_product(conn, &actor, &target, patch)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("/products/{id}?done=edit"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        let slot = match f.field.as_str() {
                            "name" => &mut errors.name,
                            "sku" => &mut errors.sku,
                            "gtin" => &mut errors.gtin,
                            "reorder_point" => &mut errors.reorder_point,
                            "reorder_quantity" => &mut errors.reorder_quantity,
                            "unit_cost" => &mut errors.unit_cost,
                            "supplier_id" => &mut errors.supplier_id,
                            _ => {
                                errors
                                    .other
                                    .push(format!("{}: {}", human(&f.field), f.message));
                                continue;
                            }
                        };
                        *slot = Some(f.message);
                    }
                }
                other => errors.other.push(other.to_string()),
            }
            product_view(&state, &session, id, Some((form, errors)), None, status).await
        }
        Err(e) => Err(e.into()),
    }
}
