//! The product catalog.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::products;
use super::types::{Scaled, TextList};
use super::Conn;
use crate::domain::ids::{ClinicId, ProductId, SupplierId};
use crate::domain::product::{ProductKind, StockUnit, Storage, ValidProduct};

/// A product as stored, with decimals already exact.
#[derive(Debug, Clone, serde::Serialize, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
pub struct Product {
    pub id: ProductId,
    pub clinic_id: ClinicId,
    pub sku: String,
    pub name: String,
    pub kind: ProductKind,
    #[diesel(serialize_as = TextList, deserialize_as = TextList)]
    pub ingredients: Vec<String>,
    pub gtin: Option<String>,
    pub stock_unit: StockUnit,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub content: Decimal,
    pub single_use: bool,
    pub beyond_use_days: Option<i64>,
    pub storage: Storage,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub reorder_point: Decimal,
    pub reorder_quantity: i64,
    pub supplier_id: Option<SupplierId>,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub unit_cost: Decimal,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub updated_at: NaiveDateTime,
    /// Hidden from pickers, suggestions and the forecast; its history stays.
    pub archived: bool,
}

fn row(
    id: &ProductId,
    clinic_id: &ClinicId,
    p: &ValidProduct,
    (created_at, updated_at): (NaiveDateTime, NaiveDateTime),
    archived: bool,
) -> Product {
    Product {
        id: id.clone(),
        clinic_id: clinic_id.clone(),
        sku: p.sku.clone(),
        name: p.name.clone(),
        kind: p.kind,
        ingredients: p.ingredients.clone(),
        gtin: p.gtin.as_ref().map(|g| g.as_str().to_string()),
        stock_unit: p.stock_unit,
        content: p.content,
        single_use: p.single_use,
        beyond_use_days: p.beyond_use_days,
        storage: p.storage,
        reorder_point: p.reorder_point,
        reorder_quantity: p.reorder_quantity,
        supplier_id: p.supplier_id.clone(),
        unit_cost: p.unit_cost,
        created_at,
        updated_at,
        archived,
    }
}

pub fn insert(
    conn: &mut Conn,
    id: &ProductId,
    clinic_id: &ClinicId,
    p: &ValidProduct,
) -> QueryResult<Product> {
    let now = super::now();
    let r = row(id, clinic_id, p, (now, now), false);
    diesel::insert_into(products::table)
        .values(r.clone())
        .execute(conn)?;
    super::balances::create(conn, clinic_id, id, now.date())?;
    Ok(r)
}

pub fn update(
    conn: &mut Conn,
    existing: &Product,
    p: &ValidProduct,
    archived: bool,
) -> QueryResult<Product> {
    let r = row(
        &existing.id,
        &existing.clinic_id,
        p,
        (existing.created_at, super::now()),
        archived,
    );
    diesel::update(
        products::table
            .find(&existing.id)
            .filter(products::clinic_id.eq(&existing.clinic_id)),
    )
    .set(r.clone())
    .execute(conn)?;
    Ok(r)
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &ProductId) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::id.eq(id))
        .select(Product::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_sku(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    sku: &str,
) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::sku.eq(sku))
        .select(Product::as_select())
        .first(conn)
        .optional()
}

/// The clinic's products by sku: only the archived ones, only the others, or (None) all.
pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    archived: Option<bool>,
) -> QueryResult<Vec<Product>> {
    let mut q = products::table
        .filter(products::clinic_id.eq(clinic_id))
        .select(Product::as_select())
        .order(products::sku)
        .into_boxed();
    if let Some(a) = archived {
        q = q.filter(products::archived.eq(a));
    }
    q.load(conn)
}

/// The clinic's products with these ids, in one statement.
pub fn get_many(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    ids: &[&ProductId],
) -> QueryResult<Vec<Product>> {
    super::prepared(
        ids.len(),
        products::table
            .filter(products::clinic_id.eq(clinic_id))
            .filter(products::id.eq_any(ids.iter().map(|p| p.as_str())))
            .select(Product::as_select()),
    )
    .load(conn)
}

pub fn find_by_gtin(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    gtin: &str,
) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::gtin.eq(gtin))
        .select(Product::as_select())
        .first(conn)
        .optional()
}
