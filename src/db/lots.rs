//! Lots and their running balance. `on_hand` is kept in step with the movement ledger by
//! `apply_delta`, inside the same transaction as the movement it mirrors.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::lots;
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId, SupplierId};
use crate::domain::lot::LotStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lots)]
pub struct Lot {
    pub id: LotId,
    pub clinic_id: ClinicId,
    pub product_id: ProductId,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    pub supplier_id: Option<SupplierId>,
    pub containers: i64,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub received_quantity: Decimal,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub unit_cost: Decimal,
    pub status: LotStatus,
    pub status_reason: Option<String>,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub on_hand: Decimal,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The clinic's lot with this id: every read and write of one lot goes through here, so
/// none can forget the clinic.
#[diesel::dsl::auto_type(no_type_alias)]
fn one<'a>(clinic_id: &'a ClinicId, lot_id: &'a str) -> _ {
    lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .filter(lots::id.eq(lot_id))
}

/// Inserts a lot with `on_hand` 0; its receive movement then raises it through
/// `apply_delta`, like every other change of stock.
pub fn insert(conn: &mut Conn, lot: &Lot) -> QueryResult<()> {
    let row = Lot {
        on_hand: Decimal::ZERO,
        ..lot.clone()
    };
    diesel::insert_into(lots::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Adds `delta` to a lot's on-hand stock unless that would take it below zero. Returns
/// false (and changes nothing) when there is not enough. The check and the write are one
/// statement, so concurrent writers on several instances can never oversell.
pub fn apply_delta(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    delta: Decimal,
) -> QueryResult<bool> {
    let max = Decimal::from(crate::domain::quantity::MAX_MAGNITUDE);
    let n = diesel::update(
        one(clinic_id, lot_id)
            // Keeps the balance far from 64-bit overflow (SQLite would turn it into a float).
            .filter(lots::on_hand.le(Scaled(max - delta)))
            .filter(lots::on_hand.ge(Scaled(-delta))),
    )
    .set((
        lots::on_hand.eq(lots::on_hand + Scaled(delta)),
        lots::updated_at.eq(super::now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records another delivery of a lot that is already known.
pub fn add_received(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    containers: i64,
    quantity: Decimal,
) -> QueryResult<()> {
    diesel::update(one(clinic_id, lot_id))
        .set((
            lots::containers.eq(lots::containers + containers),
            lots::received_quantity.eq(lots::received_quantity + Scaled(quantity)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn set_status(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    status: LotStatus,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(one(clinic_id, lot_id))
        .set((
            lots::status.eq(status),
            lots::status_reason.eq(reason),
            lots::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &LotId) -> QueryResult<Option<Lot>> {
    one(clinic_id, id)
        .select(Lot::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_number(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
    lot_number: &str,
) -> QueryResult<Option<Lot>> {
    lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .filter(lots::product_id.eq(product_id))
        .filter(lots::lot_number.eq(lot_number))
        .select(Lot::as_select())
        .first(conn)
        .optional()
}

pub fn any_for_product(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        lots::table
            .filter(lots::clinic_id.eq(clinic_id))
            .filter(lots::product_id.eq(product_id)),
    ))
    .get_result(conn)
}

/// Filters of `GET /lots`; every one optional.
#[derive(Debug, Default, Clone)]
pub struct LotFilter {
    pub product_id: Option<ProductId>,
    pub lot_number: Option<String>,
    pub status: Option<LotStatus>,
    /// Only lots that still hold stock.
    pub in_stock: bool,
    pub expires_from: Option<NaiveDate>,
    pub expires_before: Option<NaiveDate>,
    pub expires_to: Option<NaiveDate>,
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId, f: &LotFilter) -> QueryResult<Vec<Lot>> {
    let mut q = lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .select(Lot::as_select())
        .order((lots::expires_on, lots::lot_number))
        .into_boxed();
    if let Some(p) = &f.product_id {
        q = q.filter(lots::product_id.eq(p.clone()));
    }
    if let Some(n) = &f.lot_number {
        q = q.filter(lots::lot_number.eq(n.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(lots::status.eq(*s));
    }
    if f.in_stock {
        q = q.filter(lots::on_hand.gt(0));
    }
    if let Some(d) = f.expires_from {
        q = q.filter(lots::expires_on.ge(d));
    }
    if let Some(d) = f.expires_before {
        q = q.filter(lots::expires_on.lt(d));
    }
    if let Some(d) = f.expires_to {
        q = q.filter(lots::expires_on.le(d));
    }
    q.load(conn)
}

/// Per-product sums for the stock view, one query over the running balances.
#[derive(Debug, QueryableByName)]
pub struct StockRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub product_id: ProductId,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    pub on_hand: Decimal,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    pub available: Decimal,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    pub expired_on_hand: Decimal,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    pub next_expiry: Option<NaiveDate>,
}

/// Reads only lots with stock, through the partial index `lots_in_stock` (a test checks
/// the plan), so empty lots never cost anything.
pub const STOCK_BY_PRODUCT_SQL: &str = "SELECT product_id, \
           CAST(SUM(on_hand) AS BIGINT) AS on_hand, \
           CAST(SUM(CASE WHEN status = 'available' AND expires_on >= $2 THEN on_hand ELSE 0 END) AS BIGINT) AS available, \
           CAST(SUM(CASE WHEN expires_on < $2 THEN on_hand ELSE 0 END) AS BIGINT) AS expired_on_hand, \
           MIN(CASE WHEN status = 'available' AND expires_on >= $2 THEN expires_on END) AS next_expiry \
         FROM lots WHERE clinic_id = $1 AND on_hand > 0 GROUP BY product_id";

pub fn stock_by_product(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    today: NaiveDate,
) -> QueryResult<Vec<StockRow>> {
    use diesel::sql_types::{Date, Text};
    let sql = super::portable_sql(conn, STOCK_BY_PRODUCT_SQL);
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(today)
        .load(conn)
}

/// Moves a lot's receipt earlier, when a box of it is entered as delivered before the
/// first one recorded.
pub fn set_received_at(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    received_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(one(clinic_id, lot_id))
        .set(lots::received_at.eq(received_at))
        .execute(conn)
        .map(|_| ())
}
