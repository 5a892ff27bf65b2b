//! The product catalog.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::scaled::{from_db, to_db};
use super::schema::products;
use super::Conn;
use crate::domain::product::ValidProduct;

/// A product as stored, with decimals already exact.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Product {
    pub id: String,
    pub clinic_id: String,
    pub sku: String,
    pub name: String,
    pub kind: String,
    pub ingredients: Vec<String>,
    pub gtin: Option<String>,
    pub stock_unit: String,
    pub content: Decimal,
    pub single_use: bool,
    pub beyond_use_days: Option<i64>,
    pub storage: String,
    pub reorder_point: Decimal,
    pub reorder_quantity: i64,
    pub supplier_id: Option<String>,
    pub unit_cost: Decimal,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
struct Row {
    id: String,
    clinic_id: String,
    sku: String,
    name: String,
    kind: String,
    ingredients: String,
    gtin: Option<String>,
    stock_unit: String,
    content: i64,
    single_use: bool,
    beyond_use_days: Option<i64>,
    storage: String,
    reorder_point: i64,
    reorder_quantity: i64,
    supplier_id: Option<String>,
    unit_cost: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<Row> for Product {
    fn from(r: Row) -> Self {
        Product {
            ingredients: serde_json::from_str(&r.ingredients).unwrap_or_default(),
            content: from_db(r.content),
            reorder_point: from_db(r.reorder_point),
            unit_cost: from_db(r.unit_cost),
            id: r.id,
            clinic_id: r.clinic_id,
            sku: r.sku,
            name: r.name,
            kind: r.kind,
            gtin: r.gtin,
            stock_unit: r.stock_unit,
            single_use: r.single_use,
            beyond_use_days: r.beyond_use_days,
            storage: r.storage,
            reorder_quantity: r.reorder_quantity,
            supplier_id: r.supplier_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn row(
    id: &str,
    clinic_id: &str,
    p: &ValidProduct,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
) -> QueryResult<Row> {
    Ok(Row {
        id: id.to_string(),
        clinic_id: clinic_id.to_string(),
        sku: p.sku.clone(),
        name: p.name.clone(),
        kind: p.kind.as_str().to_string(),
        ingredients: serde_json::to_string(&p.ingredients)
            .map_err(|e| diesel::result::Error::SerializationError(e.into()))?,
        gtin: p.gtin.as_ref().map(|g| g.as_str().to_string()),
        stock_unit: p.stock_unit.as_str().to_string(),
        content: to_db(p.content)?,
        single_use: p.single_use,
        beyond_use_days: p.beyond_use_days,
        storage: p.storage.as_str().to_string(),
        reorder_point: to_db(p.reorder_point)?,
        reorder_quantity: p.reorder_quantity,
        supplier_id: p.supplier_id.clone(),
        unit_cost: to_db(p.unit_cost)?,
        created_at,
        updated_at,
    })
}

pub fn insert(
    conn: &mut Conn,
    id: &str,
    clinic_id: &str,
    p: &ValidProduct,
) -> QueryResult<Product> {
    let now = super::now();
    let r = row(id, clinic_id, p, now, now)?;
    diesel::insert_into(products::table)
        .values(&r)
        .execute(conn)?;
    Ok(r.into())
}

pub fn update(conn: &mut Conn, existing: &Product, p: &ValidProduct) -> QueryResult<Product> {
    let r = row(
        &existing.id,
        &existing.clinic_id,
        p,
        existing.created_at,
        super::now(),
    )?;
    diesel::update(
        products::table
            .find(&existing.id)
            .filter(products::clinic_id.eq(&existing.clinic_id)),
    )
    .set(&r)
    .execute(conn)?;
    Ok(r.into())
}

pub fn get(conn: &mut Conn, clinic_id: &str, id: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()
        .map(|r| r.map(Product::from))
}

pub fn find_by_sku(conn: &mut Conn, clinic_id: &str, sku: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::sku.eq(sku))
        .select(Row::as_select())
        .first(conn)
        .optional()
        .map(|r| r.map(Product::from))
}

pub fn list(conn: &mut Conn, clinic_id: &str) -> QueryResult<Vec<Product>> {
    let rows: Vec<Row> = products::table
        .filter(products::clinic_id.eq(clinic_id))
        .select(Row::as_select())
        .order(products::sku)
        .load(conn)?;
    Ok(rows.into_iter().map(Product::from).collect())
}

pub fn find_by_gtin(conn: &mut Conn, clinic_id: &str, gtin: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::clinic_id.eq(clinic_id))
        .filter(products::gtin.eq(gtin))
        .select(Row::as_select())
        .first(conn)
        .optional()
        .map(|r| r.map(Product::from))
}
