//! Purchase orders and their lines.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{products, purchase_order_lines as lines, purchase_orders as orders};
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, ProductId, PurchaseOrderId, StaffId, SupplierId};
use crate::domain::order::PurchaseOrderStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = orders)]
pub struct PurchaseOrder {
    pub id: PurchaseOrderId,
    pub clinic_id: ClinicId,
    pub supplier_id: SupplierId,
    pub status: PurchaseOrderStatus,
    pub created_by: StaffId,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub updated_at: NaiveDateTime,
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, Queryable, Selectable)]
#[diesel(table_name = lines)]
pub struct OrderLine {
    pub id: String,
    pub product_id: ProductId,
    #[diesel(select_expression = products::sku)]
    pub sku: String,
    #[diesel(select_expression = products::name)]
    pub name: String,
    #[diesel(select_expression = products::gtin)]
    pub gtin: Option<String>,
    pub containers: i64,
    #[diesel(deserialize_as = Scaled)]
    pub unit_cost: Decimal,
    pub received_containers: i64,
    pub reason: Option<String>,
}

impl OrderLine {
    pub fn total(&self) -> Decimal {
        (self.unit_cost * Decimal::from(self.containers)).normalize()
    }
}

pub fn insert(conn: &mut Conn, o: &PurchaseOrder) -> QueryResult<()> {
    diesel::insert_into(orders::table)
        .values(o)
        .execute(conn)
        .map(|_| ())
}

/// A line of a new order: how many containers of a product, at what price, and why.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = lines)]
pub struct NewLine {
    pub id: String,
    pub clinic_id: ClinicId,
    pub order_id: PurchaseOrderId,
    pub position: i64,
    pub product_id: ProductId,
    pub containers: i64,
    #[diesel(serialize_as = Scaled)]
    pub unit_cost: Decimal,
    pub received_containers: i64,
    pub reason: Option<String>,
}

pub fn insert_line(conn: &mut Conn, line: NewLine) -> QueryResult<()> {
    diesel::insert_into(lines::table)
        .values(line)
        .execute(conn)
        .map(|_| ())
}

/// A draft's lines go before it is given new ones; a draft has no receipts to keep.
pub fn delete_lines(conn: &mut Conn, order_id: &PurchaseOrderId) -> QueryResult<()> {
    diesel::delete(lines::table.filter(lines::order_id.eq(order_id)))
        .execute(conn)
        .map(|_| ())
}

pub fn get(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &PurchaseOrderId,
) -> QueryResult<Option<PurchaseOrder>> {
    orders::table
        .filter(orders::clinic_id.eq(clinic_id))
        .filter(orders::id.eq(id))
        .select(PurchaseOrder::as_select())
        .first(conn)
        .optional()
}

/// The supplier's oldest draft order, if one is open.
pub fn open_draft(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    supplier_id: &SupplierId,
) -> QueryResult<Option<PurchaseOrder>> {
    orders::table
        .filter(orders::clinic_id.eq(clinic_id))
        .filter(orders::supplier_id.eq(supplier_id))
        .filter(orders::status.eq(PurchaseOrderStatus::Draft))
        .order(orders::created_at.asc())
        .select(PurchaseOrder::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<PurchaseOrder>> {
    orders::table
        .filter(orders::clinic_id.eq(clinic_id))
        .order(orders::created_at.desc())
        .limit(500)
        .select(PurchaseOrder::as_select())
        .load(conn)
}

pub fn lines_of(conn: &mut Conn, order_id: &PurchaseOrderId) -> QueryResult<Vec<OrderLine>> {
    lines::table
        .inner_join(products::table.on(products::id.eq(lines::product_id)))
        .filter(lines::order_id.eq(order_id))
        .order(lines::position)
        .select(OrderLine::as_select())
        .load(conn)
}

pub fn add_received(conn: &mut Conn, line_id: &str, containers: i64) -> QueryResult<()> {
    diesel::update(lines::table.find(line_id))
        .set(lines::received_containers.eq(lines::received_containers + containers))
        .execute(conn)
        .map(|_| ())
}

/// Marks an order cancelled, with why.
pub fn cancel(conn: &mut Conn, id: &PurchaseOrderId, reason: &str) -> QueryResult<()> {
    diesel::update(orders::table.find(id))
        .set((
            orders::status.eq(PurchaseOrderStatus::Cancelled),
            orders::cancel_reason.eq(reason),
            orders::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn set_status(
    conn: &mut Conn,
    id: &PurchaseOrderId,
    status: PurchaseOrderStatus,
) -> QueryResult<()> {
    diesel::update(orders::table.find(id))
        .set((
            orders::status.eq(status),
            orders::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|_| ())
}
