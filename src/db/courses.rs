//! Planned courses and their sessions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{course_sessions as planned, courses};
use super::Conn;
use crate::domain::course::CourseStatus;
use crate::domain::ids::{ClinicId, CourseId, FormulationId, SessionId, StaffId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = courses)]
pub struct Course {
    pub id: CourseId,
    pub clinic_id: ClinicId,
    pub patient_ref: String,
    pub formulation_id: FormulationId,
    pub area: String,
    pub start_on: NaiveDate,
    pub sessions: i64,
    pub interval_days: i64,
    pub status: CourseStatus,
    pub created_by: StaffId,
    #[serde(serialize_with = "crate::db::utc::ser")]
    pub created_at: NaiveDateTime,
    /// Days between maintenance sessions after the last one; 0 none; `None` (courses
    /// planned before maintenance existed) the area's default.
    pub maintenance_every_days: Option<i64>,
}

impl Course {
    /// Days between maintenance sessions, the area's default filled in; 0 means none.
    pub fn maintenance_days(&self) -> i64 {
        crate::domain::course::maintenance_days(self.maintenance_every_days, &self.area)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = planned)]
pub struct PlannedSession {
    pub id: String,
    pub clinic_id: ClinicId,
    pub course_id: CourseId,
    pub seq: i64,
    pub planned_on: NaiveDate,
    pub session_id: Option<SessionId>,
}

pub fn insert(conn: &mut Conn, c: &Course, dates: &[NaiveDate]) -> QueryResult<()> {
    diesel::insert_into(courses::table)
        .values(c)
        .execute(conn)?;
    for (i, d) in dates.iter().enumerate() {
        diesel::insert_into(planned::table)
            .values((
                planned::id.eq(super::new_id()),
                planned::clinic_id.eq(&c.clinic_id),
                planned::course_id.eq(&c.id),
                planned::seq.eq(i as i64 + 1),
                planned::planned_on.eq(*d),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &CourseId) -> QueryResult<Option<Course>> {
    courses::table
        .filter(courses::clinic_id.eq(clinic_id))
        .filter(courses::id.eq(id))
        .select(Course::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    patient_ref: Option<&str>,
) -> QueryResult<Vec<Course>> {
    let mut q = courses::table
        .filter(courses::clinic_id.eq(clinic_id))
        .select(Course::as_select())
        .order(courses::created_at.desc())
        .limit(1000)
        .into_boxed();
    if let Some(p) = patient_ref {
        q = q.filter(courses::patient_ref.eq(p.to_string()));
    }
    q.load(conn)
}

pub fn sessions_of(conn: &mut Conn, course_id: &CourseId) -> QueryResult<Vec<PlannedSession>> {
    planned::table
        .filter(planned::course_id.eq(course_id))
        .order(planned::seq)
        .select(PlannedSession::as_select())
        .load(conn)
}

pub fn set_status(conn: &mut Conn, id: &CourseId, status: CourseStatus) -> QueryResult<()> {
    diesel::update(courses::table.find(id))
        .set(courses::status.eq(status))
        .execute(conn)
        .map(|_| ())
}

/// Marks the next open planned session of the patient's active course for this
/// cocktail as done by `session_id`; completes the course when it was the last one.
/// True when the session now belongs to a course.
pub fn mark_next_done(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    patient_ref: &str,
    formulation_id: &FormulationId,
    session_id: &SessionId,
) -> QueryResult<bool> {
    let active: Vec<CourseId> = courses::table
        .filter(courses::clinic_id.eq(clinic_id))
        .filter(courses::patient_ref.eq(patient_ref))
        .filter(courses::formulation_id.eq(formulation_id))
        .filter(courses::status.eq(CourseStatus::Active))
        .order(courses::created_at)
        .select(courses::id)
        .load(conn)?;
    let Some(course_id) = active.first() else {
        return Ok(false);
    };
    let next: Option<String> = planned::table
        .filter(planned::course_id.eq(course_id))
        .filter(planned::session_id.is_null())
        .order(planned::seq)
        .select(planned::id)
        .first(conn)
        .optional()?;
    let Some(id) = next else {
        return Ok(false);
    };
    diesel::update(planned::table.find(&id))
        .set(planned::session_id.eq(session_id))
        .execute(conn)?;
    let left: i64 = planned::table
        .filter(planned::course_id.eq(course_id))
        .filter(planned::session_id.is_null())
        .count()
        .get_result(conn)?;
    if left == 0 {
        set_status(conn, course_id, CourseStatus::Completed)?;
    }
    Ok(true)
}

/// A voided session no longer fulfils its planned date; a course it completed is
/// active again. True when the session belonged to a course.
pub fn unmark_session(conn: &mut Conn, session_id: &SessionId) -> QueryResult<bool> {
    let course_ids: Vec<String> = planned::table
        .filter(planned::session_id.eq(session_id))
        .select(planned::course_id)
        .load(conn)?;
    diesel::update(planned::table.filter(planned::session_id.eq(session_id)))
        .set(planned::session_id.eq(None::<String>))
        .execute(conn)?;
    let linked = !course_ids.is_empty();
    for id in course_ids {
        diesel::update(
            courses::table
                .find(&id)
                .filter(courses::status.eq(CourseStatus::Completed)),
        )
        .set(courses::status.eq(CourseStatus::Active))
        .execute(conn)?;
    }
    Ok(linked)
}
