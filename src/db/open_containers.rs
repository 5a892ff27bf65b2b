//! Open multi-dose containers: a punctured vial's remaining volume and beyond-use time.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::open_containers as open;
use super::schema::{lots, products, sessions};
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId, StaffId};

/// An open multi-dose vial.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = open)]
pub struct OpenContainer {
    pub id: String,
    pub lot_id: LotId,
    pub product_id: ProductId,
    #[diesel(deserialize_as = Scaled)]
    pub remaining: Decimal,
    pub beyond_use_at: NaiveDateTime,
    pub opened_at: NaiveDateTime,
}

pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
) -> QueryResult<Vec<OpenContainer>> {
    open::table
        .filter(open::clinic_id.eq(clinic_id))
        .filter(open::product_id.eq(product_id))
        .filter(open::closed_at.is_null())
        .order(open::beyond_use_at)
        .select(OpenContainer::as_select())
        .load(conn)
}

/// The open vials of these products (one statement).
pub fn list_of_products(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_ids: &[&ProductId],
) -> QueryResult<Vec<OpenContainer>> {
    super::prepared(
        product_ids.len(),
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::product_id.eq_any(product_ids.iter().map(|p| p.as_str())))
            .filter(open::closed_at.is_null())
            .order(open::beyond_use_at)
            .select(OpenContainer::as_select()),
    )
    .load(conn)
}

/// A vial punctured by a session: what is left in it and until when it may be used.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = open)]
pub struct NewOpenContainer<'a> {
    pub id: String,
    pub clinic_id: &'a ClinicId,
    pub lot_id: &'a str,
    pub product_id: &'a str,
    pub opened_at: NaiveDateTime,
    pub beyond_use_at: NaiveDateTime,
    #[diesel(serialize_as = Scaled)]
    pub remaining: Decimal,
    pub opened_in_session: &'a str,
}

pub fn insert(conn: &mut Conn, c: NewOpenContainer<'_>) -> QueryResult<()> {
    diesel::insert_into(open::table)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

/// Draws from an open vial; false when it no longer holds that much. Closes it when empty.
pub fn draw(conn: &mut Conn, clinic_id: &ClinicId, id: &str, amount: Decimal) -> QueryResult<bool> {
    let a = Scaled(amount);
    let n = diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::id.eq(id))
            .filter(open::closed_at.is_null())
            .filter(open::remaining.ge(a)),
    )
    .set(open::remaining.eq(open::remaining - a))
    .execute(conn)?;
    if n == 1 {
        diesel::update(open::table.find(id).filter(open::remaining.eq(0)))
            .set(open::closed_at.eq(super::now()))
            .execute(conn)?;
    }
    Ok(n == 1)
}

pub fn close(conn: &mut Conn, clinic_id: &ClinicId, id: &str) -> QueryResult<()> {
    diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::id.eq(id)),
    )
    .set((open::remaining.eq(0), open::closed_at.eq(super::now())))
    .execute(conn)
    .map(|_| ())
}

/// An open vial as `GET /open-vials` shows it: who punctured it (the practitioner of the
/// session that opened it) and what it is.
#[derive(Debug, Clone, Queryable)]
pub struct OpenVialRow {
    pub id: String,
    pub product_id: ProductId,
    pub sku: String,
    pub lot_id: LotId,
    pub lot_number: String,
    pub remaining: Decimal,
    pub opened_at: NaiveDateTime,
    pub beyond_use_at: NaiveDateTime,
    pub opened_by: Option<StaffId>,
}

type RowTuple = (
    String,
    ProductId,
    String,
    LotId,
    String,
    Scaled,
    NaiveDateTime,
    NaiveDateTime,
    Option<StaffId>,
);

fn from_tuple(r: RowTuple) -> OpenVialRow {
    OpenVialRow {
        id: r.0,
        product_id: r.1,
        sku: r.2,
        lot_id: r.3,
        lot_number: r.4,
        remaining: r.5 .0,
        opened_at: r.6,
        beyond_use_at: r.7,
        opened_by: r.8,
    }
}

/// The clinic's open vials (all, or only the one `id`), the first to go stale first.
pub fn list_open(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: Option<&str>,
) -> QueryResult<Vec<OpenVialRow>> {
    let mut q = open::table
        .inner_join(products::table.on(products::id.eq(open::product_id)))
        .inner_join(lots::table.on(lots::id.eq(open::lot_id)))
        .left_join(sessions::table.on(sessions::id.nullable().eq(open::opened_in_session)))
        .filter(open::clinic_id.eq(clinic_id))
        .filter(open::closed_at.is_null())
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(open::id.eq(id.to_string()));
    }
    q.order((open::beyond_use_at, open::id))
        .select((
            open::id,
            open::product_id,
            products::sku,
            open::lot_id,
            lots::lot_number,
            open::remaining,
            open::opened_at,
            open::beyond_use_at,
            sessions::practitioner_id.nullable(),
        ))
        .load::<RowTuple>(conn)
        .map(|rows| rows.into_iter().map(from_tuple).collect())
}

/// Clinics and products with open vials past their beyond-use time at `now`, at most
/// `limit` vials' worth; the sweep then locks and re-reads each clinic's.
pub fn stale_products(
    conn: &mut Conn,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(ClinicId, ProductId)>> {
    open::table
        .filter(open::closed_at.is_null())
        .filter(open::beyond_use_at.le(now))
        .select((open::clinic_id, open::product_id))
        .order((open::clinic_id, open::product_id))
        .limit(limit)
        .load::<(ClinicId, ProductId)>(conn)
}

/// Closes a vial that is still open; false when another writer closed it first.
pub fn close_if_open(conn: &mut Conn, clinic_id: &ClinicId, id: &str) -> QueryResult<bool> {
    diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::id.eq(id))
            .filter(open::closed_at.is_null()),
    )
    .set((open::remaining.eq(0), open::closed_at.eq(super::now())))
    .execute(conn)
    .map(|n| n == 1)
}

/// Closes every open vial of these lots (their stock was wasted as a whole).
pub fn close_of_lots(conn: &mut Conn, clinic_id: &ClinicId, lot_ids: &[&LotId]) -> QueryResult<()> {
    diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::lot_id.eq_any(lot_ids.iter().map(|l| l.as_str())))
            .filter(open::closed_at.is_null()),
    )
    .set((open::remaining.eq(0), open::closed_at.eq(super::now())))
    .execute(conn)
    .map(|_| ())
}
