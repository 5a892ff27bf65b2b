//! Recall cases and the contact line of each affected patient.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{recall_cases as cases, recall_contacts as contacts};
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, RecallCaseId, StaffId};
use crate::domain::recall::{ContactStatus, RecallCaseStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases)]
pub struct RecallCase {
    pub id: RecallCaseId,
    pub clinic_id: ClinicId,
    pub lot_id: LotId,
    pub reason: String,
    pub status: RecallCaseStatus,
    pub opened_by: StaffId,
    pub opened_at: NaiveDateTime,
    pub closed_by: Option<StaffId>,
    pub closed_at: Option<NaiveDateTime>,
    pub closing_note: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = contacts)]
pub struct RecallContact {
    pub id: String,
    pub clinic_id: ClinicId,
    pub case_id: RecallCaseId,
    pub patient_ref: String,
    pub status: ContactStatus,
    pub note: Option<String>,
    pub updated_by: Option<StaffId>,
    #[serde(serialize_with = "crate::db::utc::ser_opt")]
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert_case(conn: &mut Conn, c: &RecallCase) -> QueryResult<()> {
    diesel::insert_into(cases::table)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

pub fn insert_contact(conn: &mut Conn, c: &RecallContact) -> QueryResult<()> {
    diesel::insert_into(contacts::table)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

pub fn get_case(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &str,
) -> QueryResult<Option<RecallCase>> {
    cases::table
        .filter(cases::clinic_id.eq(clinic_id))
        .filter(cases::id.eq(id))
        .select(RecallCase::as_select())
        .first(conn)
        .optional()
}

pub fn case_for_lot(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
) -> QueryResult<Option<RecallCase>> {
    cases::table
        .filter(cases::clinic_id.eq(clinic_id))
        .filter(cases::lot_id.eq(lot_id))
        .select(RecallCase::as_select())
        .first(conn)
        .optional()
}

pub fn list_cases(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<RecallCase>> {
    cases::table
        .filter(cases::clinic_id.eq(clinic_id))
        .order(cases::opened_at.desc())
        .select(RecallCase::as_select())
        .load(conn)
}

pub fn contacts_of(conn: &mut Conn, case_id: &RecallCaseId) -> QueryResult<Vec<RecallContact>> {
    contacts::table
        .filter(contacts::case_id.eq(case_id))
        .order(contacts::patient_ref)
        .select(RecallContact::as_select())
        .load(conn)
}

pub fn contacts_for_lot(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
) -> QueryResult<Vec<RecallContact>> {
    match case_for_lot(conn, clinic_id, lot_id)? {
        Some(c) => contacts_of(conn, &c.id),
        None => Ok(Vec::new()),
    }
}

pub fn get_contact(
    conn: &mut Conn,
    case_id: &RecallCaseId,
    id: &str,
) -> QueryResult<Option<RecallContact>> {
    contacts::table
        .filter(contacts::case_id.eq(case_id))
        .filter(contacts::id.eq(id))
        .select(RecallContact::as_select())
        .first(conn)
        .optional()
}

pub fn update_contact(
    conn: &mut Conn,
    id: &str,
    status: ContactStatus,
    note: Option<&str>,
    by: &str,
) -> QueryResult<()> {
    diesel::update(contacts::table.find(id))
        .set((
            contacts::status.eq(status),
            contacts::note.eq(note),
            contacts::updated_by.eq(by),
            contacts::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn close_case(conn: &mut Conn, id: &str, by: &str, note: Option<&str>) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((
            cases::status.eq(RecallCaseStatus::Closed),
            cases::closed_by.eq(by),
            cases::closed_at.eq(super::now()),
            cases::closing_note.eq(note),
        ))
        .execute(conn)
        .map(|_| ())
}
