//! Stored answers to requests made with an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys as idem;
use super::Conn;
use crate::domain::ids::{ClinicId, StaffId};

/// A stored answer to a request made with an `Idempotency-Key`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idem)]
pub struct IdempotencyRecord {
    pub clinic_id: ClinicId,
    pub staff_id: StaffId,
    pub idem_key: String,
    pub request_hash: String,
    pub status: i64,
    /// The id of what the request created.
    pub response: String,
    pub created_at: NaiveDateTime,
}

pub fn find(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    staff_id: &StaffId,
    key: &str,
) -> QueryResult<Option<IdempotencyRecord>> {
    idem::table
        .filter(idem::clinic_id.eq(clinic_id))
        .filter(idem::staff_id.eq(staff_id))
        .filter(idem::idem_key.eq(key))
        .select(IdempotencyRecord::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut Conn, r: &IdempotencyRecord) -> QueryResult<()> {
    diesel::insert_into(idem::table)
        .values(r)
        .execute(conn)
        .map(|_| ())
}
