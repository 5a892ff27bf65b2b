//! Suppliers of a clinic.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::suppliers;
use super::Conn;
use crate::domain::ids::{ClinicId, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = suppliers, treat_none_as_null = true)]
pub struct Supplier {
    pub id: SupplierId,
    pub clinic_id: ClinicId,
    pub name: String,
    pub email: Option<String>,
    pub lead_time_days: i64,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub updated_at: NaiveDateTime,
    /// Hidden from pickers and orders; its history stays.
    pub archived: bool,
}

pub fn insert(conn: &mut Conn, s: &Supplier) -> QueryResult<()> {
    diesel::insert_into(suppliers::table)
        .values(s)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut Conn, s: &Supplier) -> QueryResult<()> {
    diesel::update(
        suppliers::table
            .find(&s.id)
            .filter(suppliers::clinic_id.eq(&s.clinic_id)),
    )
    .set(s)
    .execute(conn)
    .map(|_| ())
}

pub fn get(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &SupplierId,
) -> QueryResult<Option<Supplier>> {
    suppliers::table
        .filter(suppliers::clinic_id.eq(clinic_id))
        .filter(suppliers::id.eq(id))
        .select(Supplier::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_name(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    name: &str,
) -> QueryResult<Option<Supplier>> {
    suppliers::table
        .filter(suppliers::clinic_id.eq(clinic_id))
        .filter(suppliers::name.eq(name))
        .select(Supplier::as_select())
        .first(conn)
        .optional()
}

/// The clinic's suppliers by name: only the archived ones, only the others, or (None) all.
pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    archived: Option<bool>,
) -> QueryResult<Vec<Supplier>> {
    let mut q = suppliers::table
        .filter(suppliers::clinic_id.eq(clinic_id))
        .select(Supplier::as_select())
        .order(suppliers::name)
        .into_boxed();
    if let Some(a) = archived {
        q = q.filter(suppliers::archived.eq(a));
    }
    q.load(conn)
}
