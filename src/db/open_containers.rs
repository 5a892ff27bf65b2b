//! Open multi-dose containers: a punctured vial's remaining volume and beyond-use time.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::open_containers as open;
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId};

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
    open::table
        .filter(open::clinic_id.eq(clinic_id))
        .filter(open::product_id.eq_any(product_ids.iter().map(|p| p.as_str())))
        .filter(open::closed_at.is_null())
        .order(open::beyond_use_at)
        .select(OpenContainer::as_select())
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
