//! Suppliers and products: create, change, read. Every query is scoped to the caller's
//! clinic; a row of another clinic is "not found".

use super::audit::{self, Subject};
use super::Actor;
use crate::db::products::{self, Product};
use crate::db::suppliers::{self, Supplier};
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, ProductId, SupplierId};
use crate::domain::product::ValidProduct;
use crate::domain::requests::{ProductInput, ProductPatch, SupplierInput, SupplierPatch};
use crate::domain::role::Action;
use crate::domain::supplier::ValidSupplier;
use crate::error::{AppError, AppResult};

pub fn create_supplier(
    conn: &mut Conn,
    actor: &Actor,
    input: SupplierInput,
) -> AppResult<Supplier> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let valid = ValidSupplier::try_from(input).map_err(AppError::Invalid)?;
    let now = db::now();
    let s = Supplier {
        id: SupplierId::generate(),
        clinic_id: clinic.clone(),
        name: valid.name,
        email: valid.email,
        lead_time_days: valid.lead_time_days,
        created_at: now,
        updated_at: now,
        archived: false,
    };
    db::write_tx(conn, |conn| {
        suppliers::insert(conn, &s)
            .map_err(|e| duplicate_as(e, "name", "a supplier with this name already exists"))?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic, "supplier", &s.id, "create"),
            None::<&()>,
            Some(&s),
        )?;
        Ok(s)
    })
}

pub fn update_supplier(
    conn: &mut Conn,
    actor: &Actor,
    id: &SupplierId,
    patch: SupplierPatch,
) -> AppResult<Supplier> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let existing = get_supplier_in(conn, clinic, id)?;
    let input = SupplierInput {
        name: patch.name.unwrap_or(existing.name.clone()),
        lead_time_days: patch.lead_time_days.unwrap_or(existing.lead_time_days),
        email: patch.email.or(existing.email.clone()),
    };
    let valid = ValidSupplier::try_from(input).map_err(AppError::Invalid)?;
    let s = Supplier {
        name: valid.name,
        email: valid.email,
        lead_time_days: valid.lead_time_days,
        updated_at: db::now(),
        archived: patch.archived.unwrap_or(existing.archived),
        ..existing.clone()
    };
    db::write_tx(conn, |conn| {
        suppliers::update(conn, &s)
            .map_err(|e| duplicate_as(e, "name", "a supplier with this name already exists"))?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic, "supplier", &s.id, "update"),
            Some(&existing),
            Some(&s),
        )?;
        Ok(s)
    })
}

pub fn get_supplier(conn: &mut Conn, actor: &Actor, id: &SupplierId) -> AppResult<Supplier> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_supplier_in(conn, clinic, id)
}

fn get_supplier_in(conn: &mut Conn, clinic: &ClinicId, id: &SupplierId) -> AppResult<Supplier> {
    suppliers::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("supplier {id}")))
}

/// `archived`: only the archived suppliers, only the others, or (None) all of them (to
/// name the supplier of past orders and lots).
pub fn list_suppliers(
    conn: &mut Conn,
    actor: &Actor,
    archived: Option<bool>,
) -> AppResult<Vec<Supplier>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    Ok(suppliers::list(conn, clinic, archived)?)
}

pub fn create_product(conn: &mut Conn, actor: &Actor, input: ProductInput) -> AppResult<Product> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let valid = validate_product(conn, clinic, input)?;
    create_valid_product(conn, actor, clinic, valid)
}

/// Writes a product already checked (by `validate_product` or an import).
pub fn create_valid_product(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    valid: ValidProduct,
) -> AppResult<Product> {
    db::write_tx(conn, |conn| {
        let p = products::insert(conn, &ProductId::generate(), clinic, &valid)
            .map_err(product_duplicate)?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic, "product", &p.id, "create"),
            None::<&()>,
            Some(&p),
        )?;
        Ok(p)
    })
}

pub fn update_product(
    conn: &mut Conn,
    actor: &Actor,
    id: &ProductId,
    patch: ProductPatch,
) -> AppResult<Product> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let existing = get_product_in(conn, clinic, id)?;
    let archived = patch.archived.unwrap_or(existing.archived);
    // Turning a product single-use drops its beyond-use days unless new ones are given.
    let beyond_use_days = match (patch.single_use, patch.beyond_use_days) {
        (_, Some(d)) => Some(d),
        (Some(true), None) => None,
        (_, None) => existing.beyond_use_days,
    };
    let input = ProductInput {
        sku: patch.sku.unwrap_or(existing.sku.clone()),
        name: patch.name.unwrap_or(existing.name.clone()),
        kind: patch.kind.unwrap_or_else(|| existing.kind.to_string()),
        ingredients: patch.ingredients.unwrap_or(existing.ingredients.clone()),
        gtin: patch.gtin.or(existing.gtin.clone()),
        stock_unit: patch
            .stock_unit
            .unwrap_or_else(|| existing.stock_unit.to_string()),
        content: patch.content.or(Some(existing.content)),
        single_use: patch.single_use.unwrap_or(existing.single_use),
        beyond_use_days,
        storage: patch
            .storage
            .unwrap_or_else(|| existing.storage.to_string()),
        reorder_point: patch.reorder_point.unwrap_or(existing.reorder_point),
        reorder_quantity: patch.reorder_quantity.unwrap_or(existing.reorder_quantity),
        supplier_id: patch.supplier_id.or(existing.supplier_id.clone()),
        unit_cost: patch.unit_cost.unwrap_or(existing.unit_cost),
    };
    let valid = validate_product(conn, clinic, input)?;
    if valid.stock_unit != existing.stock_unit || valid.content != existing.content {
        let has_lots = crate::db::lots::any_for_product(conn, clinic, &existing.id)?;
        if has_lots {
            return Err(AppError::invalid(
                "content",
                "the stock unit and content per container cannot change once lots were received; create a new product",
            ));
        }
    }
    db::write_tx(conn, |conn| {
        let p = products::update(conn, &existing, &valid, archived).map_err(product_duplicate)?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic, "product", &p.id, "update"),
            Some(&existing),
            Some(&p),
        )?;
        Ok(p)
    })
}

fn validate_product(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: ProductInput,
) -> AppResult<ValidProduct> {
    let valid = ValidProduct::try_from(input).map_err(AppError::Invalid)?;
    if let Some(sid) = &valid.supplier_id {
        if suppliers::get(conn, clinic, sid)?.is_none() {
            return Err(AppError::invalid(
                "supplier_id",
                format!("no supplier {sid} in this clinic"),
            ));
        }
    }
    Ok(valid)
}

fn product_duplicate(e: diesel::result::Error) -> AppError {
    duplicate_as(
        e,
        "sku",
        "another product of this clinic has the same sku or gtin",
    )
}

/// A unique violation on a named field reads better as a conflict that names it.
fn duplicate_as(e: diesel::result::Error, field: &str, message: &str) -> AppError {
    match AppError::from(e) {
        AppError::Conflict { kind, .. } => AppError::Conflict {
            kind,
            detail: format!("{message} ({field})"),
            extra: Some(serde_json::json!({ "field": field })),
        },
        other => other,
    }
}

pub fn get_product(conn: &mut Conn, actor: &Actor, id: &ProductId) -> AppResult<Product> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_product_in(conn, clinic, id)
}

pub fn get_product_in(conn: &mut Conn, clinic: &ClinicId, id: &ProductId) -> AppResult<Product> {
    products::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("product {id}")))
}

/// `archived`: only the archived products, only the others (the pickers), or (None) all
/// of them (to name the products of history).
pub fn list_products(
    conn: &mut Conn,
    actor: &Actor,
    archived: Option<bool>,
) -> AppResult<Vec<Product>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    Ok(products::list(conn, clinic, archived)?)
}
