//! Treatment sessions, their voids, and the sessions that used a lot.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{sessions, staff};
use super::types::{Scaled, TextList};
use super::Conn;
use crate::domain::ids::{ClinicId, FormulationId, LotId, SessionId, StaffId};
use crate::domain::treatment::{Area, Method, SessionStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: SessionId,
    pub clinic_id: ClinicId,
    pub patient_ref: String,
    pub practitioner_id: StaffId,
    pub performed_at: NaiveDateTime,
    pub area: Area,
    pub method: Method,
    pub formulation_id: Option<FormulationId>,
    pub formulation_version: Option<i64>,
    #[diesel(serialize_as = TextList, deserialize_as = TextList)]
    pub conditions: Vec<String>,
    /// JSON array of the contraindications found (overridden when recorded).
    pub contraindications: String,
    pub override_reason: Option<String>,
    pub status: SessionStatus,
    pub void_reason: Option<String>,
    pub voided_by: Option<StaffId>,
    pub voided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Why the cocktail was used on an area it is not for.
    pub area_override_reason: Option<String>,
}

pub fn insert(conn: &mut Conn, s: &Session) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(s.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &SessionId) -> QueryResult<Option<Session>> {
    sessions::table
        .filter(sessions::clinic_id.eq(clinic_id))
        .filter(sessions::id.eq(id))
        .select(Session::as_select())
        .first(conn)
        .optional()
}

pub fn practitioner_name(conn: &mut Conn, staff_id: &StaffId) -> QueryResult<String> {
    staff::table.find(staff_id).select(staff::name).first(conn)
}

#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    pub patient_ref: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: i64,
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId, f: &SessionFilter) -> QueryResult<Vec<Session>> {
    let mut q = sessions::table
        .filter(sessions::clinic_id.eq(clinic_id))
        .select(Session::as_select())
        .order((sessions::performed_at.desc(), sessions::id))
        .limit(f.limit)
        .into_boxed();
    if let Some(p) = &f.patient_ref {
        q = q.filter(sessions::patient_ref.eq(p.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(sessions::performed_at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(sessions::performed_at.lt(t));
    }
    q.load(conn)
}

pub fn mark_voided(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    id: &SessionId,
    reason: &str,
    by: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::clinic_id.eq(clinic_id))
            .filter(sessions::id.eq(id))
            .filter(sessions::status.eq(SessionStatus::Recorded)),
    )
    .set((
        sessions::status.eq(SessionStatus::Voided),
        sessions::void_reason.eq(reason),
        sessions::voided_by.eq(by),
        sessions::voided_at.eq(super::now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The ids of the movements a session made (for voiding).
pub fn movements_of(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    session_id: &SessionId,
) -> QueryResult<Vec<super::movements::Movement>> {
    let all = super::movements::list(
        conn,
        clinic_id,
        &super::movements::MovementFilter {
            session_id: Some(session_id.clone()),
            ..Default::default()
        },
    )?;
    Ok(all.into_iter().map(|(m, _)| m).collect())
}

/// A session that used a lot, for traces and recalls.
#[derive(Debug, Clone, QueryableByName)]
pub struct LotUse {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub session_id: SessionId,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub performed_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub patient_ref: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub practitioner: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: SessionStatus,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    pub quantity: Decimal,
}

/// Every session that used the lot, oldest first.
pub fn sessions_using_lot(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
) -> QueryResult<Vec<LotUse>> {
    let sql = super::portable_sql(
        conn,
        "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, s.status, \
           CAST(SUM(u.quantity) AS BIGINT) AS quantity \
         FROM session_usage u JOIN sessions s ON s.id = u.session_id JOIN staff st ON st.id = s.practitioner_id \
         WHERE u.clinic_id = $1 AND u.lot_id = $2 \
         GROUP BY s.id, s.performed_at, s.patient_ref, st.name, s.status \
         ORDER BY s.performed_at, s.id",
    );
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(clinic_id)
        .bind::<diesel::sql_types::Text, _>(lot_id)
        .load(conn)
}
