//! Planned treatment courses: a patient's series of sessions with one cocktail. Logging
//! a session for that patient and cocktail marks the next planned date done.

use crate::domain::ids::CourseId;

use super::audit::{self, Subject};
use super::formulations::get_in as get_formulation;
use super::Actor;
use crate::db::courses::{self as repo, Course, PlannedSession};
use crate::db::{self, Conn};
use crate::domain::course::{
    check_maintenance, check_schedule, default_maintenance_days, default_schedule, planned_dates,
    CourseStatus,
};
use crate::domain::requests::CourseInput;
use crate::domain::role::Action;
use crate::domain::treatment::{parse_patient_code, Area};
use crate::domain::Checks;
use crate::error::{AppError, AppResult, ConflictKind};

pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    input: CourseInput,
) -> AppResult<(Course, Vec<PlannedSession>)> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    let mut c = Checks::new();
    let pattern = super::auth::patient_code_pattern(conn, &clinic)?;
    let patient_ref = c.take(
        "patient_ref",
        parse_patient_code(&input.patient_ref, &pattern),
    );
    let area = c.take("area", Area::parse(&input.area));
    match get_formulation(conn, &clinic, &input.formulation_id, None) {
        Ok(_) => {}
        Err(AppError::NotFound(what)) => {
            c.fail("formulation_id", format!("{what} not found in this clinic"))
        }
        Err(e) => return Err(e),
    }
    let (sessions, interval_days, maintenance) = match area {
        Some(a) => {
            let (n, every) = default_schedule(a);
            (
                input.sessions.unwrap_or(n),
                input.interval_days.unwrap_or(every),
                input
                    .maintenance_every_days
                    .unwrap_or(default_maintenance_days(a)),
            )
        }
        None => (1, 1, 0),
    };
    if let Err(e) = check_schedule(sessions, interval_days) {
        c.fail(e.field(), e);
    }
    if let Err(e) = check_maintenance(maintenance) {
        c.fail(e.field(), e);
    }
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(patient_ref), Some(area)) = (patient_ref, area) else {
        return Err(AppError::invalid("body", "invalid course"));
    };
    let course = Course {
        id: CourseId::generate(),
        clinic_id: clinic.clone(),
        patient_ref,
        formulation_id: input.formulation_id,
        area: area.as_str().into(),
        start_on: input.start_on,
        sessions,
        interval_days,
        status: CourseStatus::Active,
        created_by: actor.staff_id.clone(),
        created_at: db::now(),
        maintenance_every_days: Some(maintenance),
    };
    db::write_tx(conn, |conn| {
        repo::insert(
            conn,
            &course,
            &planned_dates(course.start_on, sessions, interval_days),
        )?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "course", &course.id, "create"),
            None::<&()>,
            Some(&course),
        )?;
        let planned = repo::sessions_of(conn, &course.id)?;
        Ok((course, planned))
    })
}

pub fn get(
    conn: &mut Conn,
    actor: &Actor,
    id: &CourseId,
) -> AppResult<(Course, Vec<PlannedSession>)> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let course =
        repo::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("course {id}")))?;
    let planned = repo::sessions_of(conn, &course.id)?;
    Ok((course, planned))
}

pub fn list(
    conn: &mut Conn,
    actor: &Actor,
    patient_ref: Option<&str>,
) -> AppResult<Vec<(Course, Vec<PlannedSession>)>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    repo::list(conn, clinic, patient_ref)?
        .into_iter()
        .map(|c| {
            let planned = repo::sessions_of(conn, &c.id)?;
            Ok((c, planned))
        })
        .collect()
}

pub fn cancel(
    conn: &mut Conn,
    actor: &Actor,
    id: &CourseId,
) -> AppResult<(Course, Vec<PlannedSession>)> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    db::write_tx(conn, |conn| {
        let course = repo::get(conn, &clinic, id)?
            .ok_or_else(|| AppError::not_found(format!("course {id}")))?;
        let next = course
            .status
            .cancel()
            .map_err(|e| AppError::conflict(ConflictKind::InvalidState, e))?;
        repo::set_status(conn, &course.id, next)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "course", &course.id, "cancel"),
            Some(&serde_json::json!({"status": course.status})),
            Some(&serde_json::json!({"status": next})),
        )?;
        let course = Course {
            status: next,
            ..course
        };
        let planned = repo::sessions_of(conn, &course.id)?;
        Ok((course, planned))
    })
}
