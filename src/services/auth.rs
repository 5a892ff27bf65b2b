//! Tokens, the bootstrap admin, clinics and staff.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::accounts;
use super::audit::{self, Subject};
use super::Actor;
use crate::db::accounts as accounts_repo;
use crate::db::staff::{self as repo, Clinic, Staff};
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, StaffId};
use crate::domain::role::{assignable, Action, Role};
use crate::domain::stock::DEFAULT_EXPIRY_WARNING_DAYS;
use crate::domain::treatment::PatientCodePattern;
use crate::domain::{required_text, Checks};
use crate::error::{AppError, AppResult};

/// A new bearer token: 256 random bits. Only its hash is stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("msl_{}", hex::encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The person behind a bearer token: the token must not be revoked and its owner must be
/// active.
pub fn authenticate(conn: &mut Conn, token: &str) -> AppResult<Actor> {
    let (token, member) = accounts_repo::find_live_token(conn, &hash_token(token))?
        .filter(|(_, member)| member.active)
        .ok_or_else(|| AppError::Unauthenticated("the bearer token is not valid".into()))?;
    accounts_repo::touch_token(conn, &token.id, db::now())?;
    let role = member.role;
    Ok(Actor {
        staff_id: member.id,
        name: member.name,
        role,
        clinic_id: member.clinic_id,
    })
}

/// On an empty database, creates the admin. Returns the token to print when it was made
/// up here (it is shown once and never again).
pub fn bootstrap_admin(conn: &mut Conn, configured: Option<&str>) -> AppResult<Option<String>> {
    db::write_tx(conn, |conn| {
        if repo::any_staff(conn)? {
            return Ok(None);
        }
        let (token, generated) = match configured.filter(|t| !t.trim().is_empty()) {
            Some(t) => (t.trim().to_string(), false),
            None => (new_token(), true),
        };
        let admin = Staff {
            id: StaffId::generate(),
            clinic_id: None,
            name: "admin".into(),
            role: Role::Admin,
            created_at: db::now(),
            email: None,
            active: true,
        };
        repo::insert_staff(conn, &admin)?;
        accounts_repo::insert_token(
            conn,
            &accounts_repo::Token {
                id: db::new_id(),
                staff_id: admin.id.clone(),
                name: "bootstrap".into(),
                prefix: token.chars().take(12).collect(),
                token_hash: hash_token(&token),
                created_at: admin.created_at,
                last_used_at: None,
                revoked_at: None,
            },
        )?;
        Ok(generated.then_some(token))
    })
}

pub fn create_clinic(conn: &mut Conn, actor: &Actor, name: &str) -> AppResult<Clinic> {
    actor.require(Action::ManageClinics)?;
    let name = required_text(name, crate::domain::limits::NAME)
        .map_err(|e| AppError::invalid("name", e))?;
    let clinic = Clinic {
        id: ClinicId::generate(),
        name,
        expiry_warning_days: DEFAULT_EXPIRY_WARNING_DAYS,
        created_at: db::now(),
        patient_code_pattern: None,
    };
    db::write_tx(conn, |conn| {
        repo::insert_clinic(conn, &clinic)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic.id, "clinic", &clinic.id, "create"),
            None::<&()>,
            Some(&clinic),
        )
    })?;
    Ok(clinic)
}

/// A new staff member and their token, which the caller sees this once.
pub fn create_staff(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
    name: &str,
    role: &str,
) -> AppResult<(Staff, String)> {
    create_member(conn, actor, clinic_id, name, role, None)
}

/// A new staff member, optionally with the email they will sign in with, and their first
/// token, which the caller sees this once.
pub fn create_member(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
    name: &str,
    role: &str,
    email: Option<&str>,
) -> AppResult<(Staff, String)> {
    db::write_tx(conn, |conn| {
        let member = add_member(conn, actor, clinic_id, name, role, email)?;
        let (_, token) = accounts::issue_token(conn, &member.id, "first token")?;
        Ok((member, token))
    })
}

/// Checks and inserts a new staff member of the clinic (no token, no invitation).
pub fn add_member(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
    name: &str,
    role: &str,
    email: Option<&str>,
) -> AppResult<Staff> {
    actor.require(Action::ManageStaff)?;
    // A manager works in their own clinic only; any other clinic does not exist for them.
    let visible = actor.role == Role::Admin || actor.clinic_id.as_deref() == Some(clinic_id);
    if !visible || repo::find_clinic(conn, clinic_id)?.is_none() {
        return Err(AppError::not_found(format!("clinic {clinic_id}")));
    }
    let mut c = Checks::new();
    let name = c.take("name", required_text(name, crate::domain::limits::NAME));
    let role = c.take("role", Role::parse(role));
    if let Some(r) = role.filter(|r| !assignable(*r)) {
        c.fail(
            "role",
            format!("{r} cannot be given to clinic staff; use manager, practitioner or auditor"),
        );
    }
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(name), Some(role)) = (name, role) else {
        return Err(AppError::invalid("body", "invalid staff member"));
    };
    db::write_tx(conn, |conn| {
        let email = accounts::check_new_email(conn, email)?;
        let member = Staff {
            id: StaffId::generate(),
            clinic_id: Some(clinic_id.clone()),
            name,
            role,
            created_at: db::now(),
            email,
            active: true,
        };
        repo::insert_staff(conn, &member)?;
        // Never a secret, not even its hash.
        let shown =
            serde_json::json!({"name": member.name, "role": member.role, "email": member.email});
        audit::record(
            conn,
            actor,
            Subject::of(clinic_id, "staff", &member.id, "create"),
            None::<&()>,
            Some(&shown),
        )?;
        Ok(member)
    })
}

pub fn update_clinic(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
    name: Option<String>,
    expiry_warning_days: Option<i64>,
    patient_code_pattern: Option<String>,
) -> AppResult<Clinic> {
    actor.require(Action::ManageStaff)?;
    let visible = actor.role == Role::Admin || actor.clinic_id.as_deref() == Some(clinic_id);
    let before = match repo::find_clinic(conn, clinic_id)? {
        Some(c) if visible => c,
        _ => return Err(AppError::not_found(format!("clinic {clinic_id}"))),
    };
    let mut c = Checks::new();
    let name = match name {
        Some(n) => c.take("name", required_text(&n, crate::domain::limits::NAME)),
        None => Some(before.name.clone()),
    };
    let days = c.take(
        "expiry_warning_days",
        crate::domain::quantity::count(
            expiry_warning_days.unwrap_or(before.expiry_warning_days),
            0,
            365,
        ),
    );
    // An empty pattern goes back to the built-in one.
    let pattern = match &patient_code_pattern {
        Some(p) => c
            .take("patient_code_pattern", PatientCodePattern::parse(p))
            .map(|p| p.stored()),
        None => Some(before.patient_code_pattern.clone()),
    };
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(name), Some(days), Some(pattern)) = (name, days, pattern) else {
        return Err(AppError::invalid("body", "invalid clinic"));
    };
    let after = Clinic {
        name,
        expiry_warning_days: days,
        patient_code_pattern: pattern,
        ..before.clone()
    };
    db::write_tx(conn, |conn| {
        repo::update_clinic(conn, &after)?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic_id, "clinic", clinic_id, "update"),
            Some(&before),
            Some(&after),
        )
    })?;
    Ok(after)
}

/// The clinic's patient code pattern (its own, or the built-in one).
pub fn patient_code_pattern(
    conn: &mut Conn,
    clinic_id: &ClinicId,
) -> AppResult<PatientCodePattern> {
    let stored = repo::find_clinic(conn, clinic_id)?.and_then(|c| c.patient_code_pattern);
    Ok(PatientCodePattern::of_clinic(stored.as_deref()))
}
