//! Clinics and their staff. Tokens, passwords and sign-in state are in `db::accounts`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{clinics, staff};
use super::Conn;
use crate::domain::ids::{ClinicId, StaffId};
use crate::domain::role::Role;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = clinics)]
pub struct Clinic {
    pub id: ClinicId,
    pub name: String,
    pub expiry_warning_days: i64,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    /// The clinic's own patient code pattern; `None` is the built-in one.
    pub patient_code_pattern: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff)]
pub struct Staff {
    pub id: StaffId,
    pub clinic_id: Option<ClinicId>,
    pub name: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    /// Trimmed and lower-case; unique.
    pub email: Option<String>,
    pub active: bool,
}

pub fn insert_clinic(conn: &mut Conn, clinic: &Clinic) -> QueryResult<()> {
    diesel::insert_into(clinics::table)
        .values((
            clinics::id.eq(&clinic.id),
            clinics::name.eq(&clinic.name),
            clinics::expiry_warning_days.eq(clinic.expiry_warning_days),
            clinics::created_at.eq(clinic.created_at),
            clinics::patient_code_pattern.eq(&clinic.patient_code_pattern),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_clinic(conn: &mut Conn, id: &ClinicId) -> QueryResult<Option<Clinic>> {
    clinics::table
        .find(id)
        .select(Clinic::as_select())
        .first(conn)
        .optional()
}

pub fn list_clinics(conn: &mut Conn) -> QueryResult<Vec<Clinic>> {
    clinics::table
        .select(Clinic::as_select())
        .order(clinics::name)
        .load(conn)
}

pub fn insert_staff(conn: &mut Conn, member: &Staff) -> QueryResult<()> {
    diesel::insert_into(staff::table)
        .values((
            staff::id.eq(&member.id),
            staff::clinic_id.eq(&member.clinic_id),
            staff::name.eq(&member.name),
            staff::role.eq(&member.role),
            // Retired column (tokens live in `tokens`); it only needs a unique value.
            staff::token_hash.eq(format!("moved:{}", member.id)),
            staff::created_at.eq(member.created_at),
            staff::email.eq(&member.email),
            staff::active.eq(member.active),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn any_staff(conn: &mut Conn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(staff::table.select(staff::id))).get_result(conn)
}

pub fn list_staff(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<Staff>> {
    staff::table
        .filter(staff::clinic_id.eq(clinic_id))
        .select(Staff::as_select())
        .order(staff::created_at)
        .load(conn)
}

pub fn update_clinic(conn: &mut Conn, clinic: &Clinic) -> QueryResult<()> {
    diesel::update(clinics::table.find(&clinic.id))
        .set((
            clinics::name.eq(&clinic.name),
            clinics::expiry_warning_days.eq(clinic.expiry_warning_days),
            clinics::patient_code_pattern.eq(&clinic.patient_code_pattern),
        ))
        .execute(conn)
        .map(|_| ())
}
