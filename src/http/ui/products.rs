//! The manager's product page: `/products/{id}` with its details, an edit form
//! (`services::catalog::update_product`, errors next to their fields) and its lots.

use crate::domain::ids::{LotId, ProductId, SupplierId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::session::WebConfig;
use super::stock::amount;
use super::treatment::{human, select_options, Opt};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::db::products::Product;
use crate::db::suppliers::Supplier;
use crate::domain::product::{ProductKind, StockUnit, Storage};
use crate::domain::quantity;
use crate::domain::requests::{ProductInput, ProductPatch};
use crate::domain::role::{allows, Action};
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::catalog::{self};
use crate::services::{formulations, lots};

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
    kind: Option<String>,
    ingredients: Option<String>,
    stock_unit: Option<String>,
    content: Option<String>,
    single_use: Option<String>,
    beyond_use_days: Option<String>,
    storage: Option<String>,
    other: Vec<String>,
}

impl Errors {
    /// Places a service's field errors next to their fields; a conflict (a taken SKU or
    /// GTIN) goes above the form in the API's words.
    fn place(&mut self, e: AppError) {
        let AppError::Invalid(errs) = e else {
            self.other.push(e.to_string());
            return;
        };
        for f in errs {
            let slot = match f.field.as_str() {
                "name" => &mut self.name,
                "sku" => &mut self.sku,
                "gtin" => &mut self.gtin,
                "reorder_point" => &mut self.reorder_point,
                "reorder_quantity" => &mut self.reorder_quantity,
                "unit_cost" => &mut self.unit_cost,
                "supplier_id" => &mut self.supplier_id,
                "kind" => &mut self.kind,
                "ingredients" => &mut self.ingredients,
                "stock_unit" => &mut self.stock_unit,
                "content" => &mut self.content,
                "single_use" => &mut self.single_use,
                "beyond_use_days" => &mut self.beyond_use_days,
                "storage" => &mut self.storage,
                _ => {
                    self.other
                        .push(format!("{}: {}", human(&f.field), f.message));
                    continue;
                }
            };
            *slot = Some(f.message);
        }
    }
}

/// A typed decimal, or its error in `slot`.
fn decimal(v: &str, slot: &mut Option<String>) -> Option<Decimal> {
    match quantity::parse_decimal(v.trim()) {
        Ok(d) => Some(d),
        Err(e) => {
            *slot = Some(e.to_string());
            None
        }
    }
}

/// A typed whole number, or `message` in `slot`.
fn whole(v: &str, slot: &mut Option<String>, message: &str) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            *slot = Some(message.into());
            None
        }
    }
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
    /// Ingredients no screening rule knows (`formulations::ingredient_warnings`).
    warnings: Vec<String>,
    lots: Vec<LotRow>,
    archived: bool,
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

/// The supplier select: none, or one of the clinic's suppliers.
fn supplier_options(suppliers: &[Supplier], selected: &str) -> Vec<Opt> {
    select_options(
        "None",
        selected,
        suppliers.iter().map(|s| (s.id.to_string(), s.name.clone())),
    )
}

/// A select of a vocabulary's names, `selected` chosen.
fn choices(names: impl Iterator<Item = &'static str>, selected: &str) -> Vec<Opt> {
    names
        .map(|n| Opt {
            value: n.to_string(),
            label: human(n),
            selected: n == selected,
        })
        .collect()
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
    let (product, lots, suppliers, warnings) = run(state, move |conn| {
        let product = catalog::get_product(conn, &actor, &id)?;
        let lots = lots::list_lots(conn, &actor, Some(product.id.clone()), None, None, None)?;
        let suppliers = if manages {
            // The picker: suppliers in use, and the product's own even if archived.
            let mut all = catalog::list_suppliers(conn, &actor, None)?;
            all.retain(|s| !s.archived || product.supplier_id.as_ref() == Some(&s.id));
            all
        } else {
            Vec::new()
        };
        // The API's answer to a create or update carries these; the page shows them as
        // long as they hold.
        let warnings = formulations::ingredient_warnings(conn, &actor, &product.ingredients)?;
        Ok((product, lots, suppliers, warnings))
    })
    .await?;
    let (form, errors) = edited.unwrap_or_else(|| (form_of(&product), Errors::default()));
    let unit = product.stock_unit.to_string();
    let supplier_name = product
        .supplier_id
        .as_ref()
        .and_then(|sid| suppliers.iter().find(|s| &s.id == sid))
        .map_or_else(String::new, |s| s.name.clone());
    let options = supplier_options(&suppliers, &form.supplier_id);
    Ok(page(
        status,
        &ProductPage {
            frame: Frame::under(&product.name, "/stock", Some(session)),
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
            archived: product.archived,
            id: product.id,
            manages,
            form,
            suppliers: options,
            errors,
            notice,
            warnings,
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
    let notice = match q.done.as_str() {
        "edit" => Some("Product saved.".to_string()),
        "archive" => Some(
            "Product archived: hidden from choices, suggestions and the forecast; its stock can still be used up."
                .to_string(),
        ),
        "unarchive" => Some("Product back in use.".to_string()),
        "new" => Some("Product created. Receive its first lot from Receive.".to_string()),
        _ => None,
    };
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
    let reorder_point = decimal(&form.reorder_point, &mut errors.reorder_point);
    let unit_cost = decimal(&form.unit_cost, &mut errors.unit_cost);
    let reorder_quantity = whole(
        &form.reorder_quantity,
        &mut errors.reorder_quantity,
        "must be a whole number of containers",
    );
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
            errors.place(e);
            product_view(&state, &session, id, Some((form, errors)), None, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `archived=true|false` as posted by the archive button.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ArchiveBody {
    archived: bool,
}

/// Archives the product, or brings it back, through the API's use case.
#[post("/products/{id}/archive")]
pub async fn archive_product(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<ProductId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ArchiveBody = posted(&req, &cfg, &session, &body)?;
    let (actor, id) = (session.actor.clone(), id.into_inner());
    let target = id.clone();
    let patch = ProductPatch {
        archived: Some(form.archived),
        ..ProductPatch::default()
    };
    run(&state, move |conn| {
        catalog::update_product(conn, &actor, &target, patch)
    })
    .await?;
    let done = if form.archived {
        "archive"
    } else {
        "unarchive"
    };
    Ok(see_other(&format!("/products/{id}?done={done}")))
}

// ---- a new product

/// The new product form as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewProductForm {
    sku: String,
    name: String,
    kind: String,
    ingredients: String,
    gtin: String,
    stock_unit: String,
    content: String,
    single_use: String,
    beyond_use_days: String,
    storage: String,
    reorder_point: String,
    reorder_quantity: String,
    unit_cost: String,
    supplier_id: String,
}

#[derive(Template)]
#[template(path = "products/new.html")]
struct NewProductPage {
    frame: Frame,
    csrf_token: String,
    form: NewProductForm,
    kinds: Vec<Opt>,
    units: Vec<Opt>,
    storages: Vec<Opt>,
    suppliers: Vec<Opt>,
    errors: Errors,
}

async fn new_product_view(
    state: &AppState,
    session: &WebSession,
    form: NewProductForm,
    errors: Errors,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    session.actor.clinic_for(Action::ManageStock)?;
    let actor = session.actor.clone();
    let suppliers = run(state, move |conn| {
        catalog::list_suppliers(conn, &actor, Some(false))
    })
    .await?;
    Ok(page(
        status,
        &NewProductPage {
            frame: Frame::under("New product", "/stock", Some(session)),
            csrf_token: session.csrf_token.clone(),
            kinds: choices(ProductKind::ALL.iter().map(|k| k.as_str()), &form.kind),
            units: choices(StockUnit::ALL.iter().map(|u| u.as_str()), &form.stock_unit),
            storages: choices(Storage::ALL.iter().map(|s| s.as_str()), &form.storage),
            suppliers: supplier_options(&suppliers, &form.supplier_id),
            form,
            errors,
        },
    ))
}

/// The form for a new product (managers only).
#[get("/products/new")]
pub async fn new_product_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    let form = NewProductForm {
        kind: ProductKind::Vial.as_str().into(),
        stock_unit: StockUnit::Ml.as_str().into(),
        storage: Storage::Room.as_str().into(),
        ..NewProductForm::default()
    };
    new_product_view(&state, &session, form, Errors::default(), StatusCode::OK).await
}

/// An optional typed field: empty is "not given", as a missing JSON field.
fn optional<T>(v: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<Option<T>> {
    if v.trim().is_empty() {
        Some(None)
    } else {
        parse(v).map(Some)
    }
}

/// Creates the product through the API's use case (`services::catalog::create_product`),
/// then shows it; every refused field is named next to it.
#[post("/products/new")]
pub async fn new_product(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: NewProductForm = posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let mut errors = Errors::default();
    let content = optional(&form.content, |v| decimal(v, &mut errors.content));
    let beyond_use_days = optional(&form.beyond_use_days, |v| {
        whole(
            v,
            &mut errors.beyond_use_days,
            "must be a whole number of days",
        )
    });
    let reorder_point = optional(&form.reorder_point, |v| {
        decimal(v, &mut errors.reorder_point)
    });
    let reorder_quantity = optional(&form.reorder_quantity, |v| {
        whole(
            v,
            &mut errors.reorder_quantity,
            "must be a whole number of containers",
        )
    });
    let unit_cost = optional(&form.unit_cost, |v| decimal(v, &mut errors.unit_cost));
    let (
        Some(content),
        Some(beyond_use_days),
        Some(reorder_point),
        Some(reorder_quantity),
        Some(unit_cost),
    ) = (
        content,
        beyond_use_days,
        reorder_point,
        reorder_quantity,
        unit_cost,
    )
    else {
        return new_product_view(
            &state,
            &session,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let blank = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let input = ProductInput {
        sku: form.sku.clone(),
        name: form.name.clone(),
        kind: form.kind.clone(),
        ingredients: form
            .ingredients
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect(),
        gtin: blank(&form.gtin),
        stock_unit: form.stock_unit.clone(),
        content,
        single_use: form.single_use == "yes",
        beyond_use_days,
        storage: form.storage.clone(),
        reorder_point: reorder_point.unwrap_or_default(),
        reorder_quantity: reorder_quantity.unwrap_or_default(),
        supplier_id: blank(&form.supplier_id).map(SupplierId::from),
        unit_cost: unit_cost.unwrap_or_default(),
    };
    let actor = session.actor.clone();
    match run(&state, move |conn| {
        catalog::create_product(conn, &actor, input)
    })
    .await
    {
        Ok(p) => Ok(see_other(&format!("/products/{}?done=new", p.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            errors.place(e);
            new_product_view(&state, &session, form, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}
