//! Recall cases: opened by a lot's recall with one contact line per affected patient;
//! a manager records each contact, and closes the case when nobody is pending.

use super::audit::{self, Subject};
use super::Actor;
use crate::db::recalls::{self as repo, RecallCase, RecallContact};
use crate::db::sessions::LotUse;
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, LotId, RecallCaseId};
use crate::domain::optional_text;
use crate::domain::recall::{can_close, ContactStatus, RecallCaseStatus};
use crate::domain::role::Action;
use crate::domain::treatment::SessionStatus;
use crate::error::{AppError, AppResult, ConflictKind};

/// Opens the case of a lot just recalled; patients of voided sessions need no contact.
pub fn open(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    lot_id: &LotId,
    reason: &str,
    uses: &[LotUse],
) -> AppResult<RecallCase> {
    let case = RecallCase {
        id: RecallCaseId::generate(),
        clinic_id: clinic.clone(),
        lot_id: lot_id.clone(),
        reason: reason.to_string(),
        status: RecallCaseStatus::Open,
        opened_by: actor.staff_id.clone(),
        opened_at: db::now(),
        closed_by: None,
        closed_at: None,
        closing_note: None,
    };
    repo::insert_case(conn, &case)?;
    let mut patients: Vec<(&str, bool)> = Vec::new();
    for u in uses {
        let recorded = u.status == SessionStatus::Recorded;
        match patients.iter_mut().find(|(p, _)| *p == u.patient_ref) {
            Some(p) => p.1 |= recorded,
            None => patients.push((&u.patient_ref, recorded)),
        }
    }
    for (patient_ref, recorded) in patients {
        let status = if recorded {
            ContactStatus::Pending
        } else {
            ContactStatus::NotRequired
        };
        repo::insert_contact(
            conn,
            &RecallContact {
                id: db::new_id(),
                clinic_id: clinic.clone(),
                case_id: case.id.clone(),
                patient_ref: patient_ref.to_string(),
                status,
                note: (!recorded).then(|| "only voided sessions used this lot".to_string()),
                updated_by: None,
                updated_at: None,
            },
        )?;
    }
    audit::record(
        conn,
        actor,
        Subject::of(clinic, "recall", &case.id, "open"),
        None::<&()>,
        Some(
            &serde_json::json!({"lot_id": lot_id, "reason": reason, "affected_sessions": uses.len()}),
        ),
    )?;
    Ok(case)
}

pub fn get(
    conn: &mut Conn,
    actor: &Actor,
    id: &RecallCaseId,
) -> AppResult<(RecallCase, Vec<RecallContact>)> {
    let clinic = actor.clinic_for(Action::Audit)?;
    let case = repo::get_case(conn, clinic, id)?
        .ok_or_else(|| AppError::not_found(format!("recall case {id}")))?;
    let contacts = repo::contacts_of(conn, &case.id)?;
    Ok((case, contacts))
}

pub fn list(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<RecallCase>> {
    let clinic = actor.clinic_for(Action::Audit)?;
    Ok(repo::list_cases(conn, clinic)?)
}

pub fn update_contact(
    conn: &mut Conn,
    actor: &Actor,
    case_id: &RecallCaseId,
    contact_id: &str,
    status: &str,
    note: Option<&str>,
) -> AppResult<(RecallCase, Vec<RecallContact>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let status = ContactStatus::parse(status).map_err(|e| AppError::invalid("status", e))?;
    let note = optional_text(note, crate::domain::limits::NOTE)
        .map_err(|e| AppError::invalid("note", e))?;
    db::write_tx(conn, |conn| {
        let case = repo::get_case(conn, &clinic, case_id)?
            .ok_or_else(|| AppError::not_found(format!("recall case {case_id}")))?;
        if case.status == RecallCaseStatus::Closed {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                "the recall case is closed",
            ));
        }
        let before = repo::get_contact(conn, &case.id, contact_id)?.ok_or_else(|| {
            AppError::not_found(format!("contact {contact_id} of recall case {case_id}"))
        })?;
        repo::update_contact(conn, &before.id, status, note.as_deref(), &actor.staff_id)?;
        let after = repo::get_contact(conn, &case.id, contact_id)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "recall", &case.id, "contact"),
            Some(&before),
            after.as_ref(),
        )?;
        let contacts = repo::contacts_of(conn, &case.id)?;
        Ok((case, contacts))
    })
}

pub fn close(
    conn: &mut Conn,
    actor: &Actor,
    case_id: &RecallCaseId,
    note: Option<&str>,
) -> AppResult<(RecallCase, Vec<RecallContact>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let note = optional_text(note, crate::domain::limits::NOTE)
        .map_err(|e| AppError::invalid("note", e))?;
    db::write_tx(conn, |conn| {
        let case = repo::get_case(conn, &clinic, case_id)?
            .ok_or_else(|| AppError::not_found(format!("recall case {case_id}")))?;
        if case.status == RecallCaseStatus::Closed {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                "the recall case is already closed",
            ));
        }
        let contacts = repo::contacts_of(conn, &case.id)?;
        let statuses: Vec<ContactStatus> = contacts.iter().map(|c| c.status).collect();
        can_close(&statuses).map_err(|e| {
            AppError::conflict(ConflictKind::InvalidState, format!("cannot close: {e}"))
        })?;
        repo::close_case(conn, &case.id, &actor.staff_id, note.as_deref())?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "recall", &case.id, "close"),
            Some(&serde_json::json!({"status": case.status})),
            Some(&serde_json::json!({"status": RecallCaseStatus::Closed, "closing_note": note})),
        )?;
        let case = repo::get_case(conn, &clinic, &case.id)?
            .ok_or_else(|| AppError::not_found("recall case"))?;
        Ok((case, contacts))
    })
}
