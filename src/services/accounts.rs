//! People and their ways in: staff management, invitations and passwords, named bearer
//! tokens, browser sessions (sign-in, sign-out) and the sign-in rate limit. Every
//! sign-in, failure, sign-out, invitation, token creation or revocation and deactivation
//! goes to the audit log with who did it and from which client address.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use serde_json::json;

use super::audit::{self, Subject};
use super::auth::{hash_token, new_token};
use super::Actor;
use crate::db::accounts::{self as repo, BrowserSession, Invitation, Token};
use crate::db::staff::{self as staff_repo, Staff};
use crate::db::{self, Conn};
use crate::domain::accounts::{
    check_password, keeps_a_manager, normalize_email, SessionLimits, INVITATION_HOURS, PER_ADDRESS,
    PER_EMAIL,
};
use crate::domain::ids::{ClinicId, StaffId};
use crate::domain::requests::StaffPatch;
use crate::domain::role::{assignable, Action, Role};
use crate::domain::{required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

// ---- secrets and passwords

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// argon2id with OWASP's parameters: 19 MiB, 2 passes, 1 lane.
fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash_password(password: &str) -> AppResult<String> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), hash).is_ok())
}

/// A hash nobody knows the password of: an unknown email is checked against it, so it
/// costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&random_hex(16)).unwrap_or_default());

/// Computes the dummy hash now, so the first unknown email is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

fn actor_of(member: &Staff) -> AppResult<Actor> {
    Ok(Actor {
        staff_id: member.id.clone(),
        name: member.name.clone(),
        role: member.role,
        clinic_id: member.clinic_id.clone(),
    })
}

/// The audit log's "nobody in particular" (a failed sign-in, an invitation accepted).
fn nobody() -> Actor {
    Actor {
        staff_id: StaffId::default(),
        name: "anonymous".into(),
        role: Role::Auditor,
        clinic_id: None,
    }
}

fn record(
    conn: &mut Conn,
    actor: &Actor,
    member: &Staff,
    entity: &str,
    entity_id: &str,
    action: &str,
    facts: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        actor,
        Subject {
            clinic_id: member.clinic_id.as_ref(),
            entity,
            entity_id,
            action,
        },
        None::<&()>,
        Some(&facts),
    )
}

// ---- staff

/// A staff member as managers see them: never a secret.
#[derive(Debug, Clone)]
pub struct Account {
    pub staff: Staff,
    pub has_password: bool,
}

fn may_manage(actor: &Actor, member: &Staff) -> bool {
    match actor.role {
        Role::Admin => true,
        _ => member.clinic_id.is_some() && member.clinic_id == actor.clinic_id,
    }
}

/// The staff member `id` if the actor may manage them; otherwise "not found".
fn managed(conn: &mut Conn, actor: &Actor, id: &StaffId) -> AppResult<Staff> {
    actor.require(Action::ManageStaff)?;
    match repo::find_staff(conn, id)? {
        Some(m) if may_manage(actor, &m) => Ok(m),
        _ => Err(AppError::not_found(format!("staff member {id}"))),
    }
}

fn email_taken(conn: &mut Conn, email: &str, except: Option<&str>) -> AppResult<bool> {
    Ok(repo::find_by_email(conn, email)?.is_some_and(|(m, _)| Some(m.id.as_str()) != except))
}

fn duplicate_email(email: &str) -> AppError {
    AppError::conflict(
        ConflictKind::Duplicate,
        format!("the email {email} already belongs to another person"),
    )
}

/// Checks a new member's email (optional) and that nobody has it yet.
pub fn check_new_email(conn: &mut Conn, email: Option<&str>) -> AppResult<Option<String>> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => {
            let email = normalize_email(e).map_err(|m| AppError::invalid("email", m))?;
            if email_taken(conn, &email, None)? {
                return Err(duplicate_email(&email));
            }
            Ok(Some(email))
        }
    }
}

pub fn list_staff(conn: &mut Conn, actor: &Actor, clinic_id: &ClinicId) -> AppResult<Vec<Account>> {
    actor.require(Action::ManageStaff)?;
    let visible = actor.role == Role::Admin || actor.clinic_id.as_deref() == Some(clinic_id);
    if !visible || staff_repo::find_clinic(conn, clinic_id)?.is_none() {
        return Err(AppError::not_found(format!("clinic {clinic_id}")));
    }
    staff_repo::list_staff(conn, clinic_id)?
        .into_iter()
        .map(|staff| {
            let has_password = repo::has_password(conn, &staff.id)?;
            Ok(Account {
                staff,
                has_password,
            })
        })
        .collect()
}

/// The clinic's staff, each with the tokens that still work (for the staff page; one
/// token query for everyone, not one per person).
pub fn list_staff_with_tokens(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
) -> AppResult<Vec<(Account, Vec<Token>)>> {
    let people = list_staff(conn, actor, clinic_id)?;
    let ids: Vec<StaffId> = people.iter().map(|a| a.staff.id.clone()).collect();
    let mut by_person: std::collections::HashMap<StaffId, Vec<Token>> = Default::default();
    for t in repo::list_tokens_of(conn, &ids)? {
        by_person.entry(t.staff_id.clone()).or_default().push(t);
    }
    Ok(people
        .into_iter()
        .map(|a| {
            let tokens = by_person.remove(&a.staff.id).unwrap_or_default();
            (a, tokens)
        })
        .collect())
}

#[derive(serde::Serialize)]
struct StaffAudit<'a> {
    name: &'a str,
    role: Role,
    email: Option<&'a str>,
    active: bool,
}

fn audit_view(m: &Staff) -> StaffAudit<'_> {
    StaffAudit {
        name: &m.name,
        role: m.role,
        email: m.email.as_deref(),
        active: m.active,
    }
}

/// Changes a member's name, role, email or active flag. Deactivating ends their browser
/// sessions, tokens and pending invitations at once; their history stays.
pub fn update_staff(
    conn: &mut Conn,
    actor: &Actor,
    id: &StaffId,
    patch: StaffPatch,
    client_addr: &str,
) -> AppResult<Account> {
    db::write_tx(conn, |conn| {
        let before = managed(conn, actor, id)?;
        let after = patched(actor, &before, &patch)?;
        keeps_a_manager_in(conn, &before, &after)?;
        if let Some(e) = &after.email {
            if email_taken(conn, e, Some(id))? {
                return Err(duplicate_email(e));
            }
        }
        repo::update_staff(conn, &after)?;
        audit::record(
            conn,
            actor,
            Subject {
                clinic_id: after.clinic_id.as_ref(),
                entity: "staff",
                entity_id: &after.id,
                action: "update",
            },
            Some(&audit_view(&before)),
            Some(&audit_view(&after)),
        )?;
        if before.active && !after.active {
            end_access(conn, actor, &after, client_addr)?;
        }
        let has_password = repo::has_password(conn, &after.id)?;
        Ok(Account {
            staff: after,
            has_password,
        })
    })
}

fn is_active_manager(m: &Staff) -> bool {
    m.active && m.role == Role::Manager
}

/// Refuses (409) to demote or deactivate the clinic's last active manager.
fn keeps_a_manager_in(conn: &mut Conn, before: &Staff, after: &Staff) -> AppResult<()> {
    let Some(clinic_id) = &before.clinic_id else {
        return Ok(());
    };
    if !is_active_manager(before) || is_active_manager(after) {
        return Ok(());
    }
    let others = staff_repo::list_staff(conn, clinic_id)?
        .iter()
        .filter(|m| m.id != before.id && is_active_manager(m))
        .count();
    keeps_a_manager(true, false, others)
        .map_err(|m| AppError::conflict(ConflictKind::InvalidState, m))
}

/// The staff member after the patch, or every field error of it.
fn patched(actor: &Actor, before: &Staff, patch: &StaffPatch) -> AppResult<Staff> {
    let mut c = Checks::new();
    let name = match &patch.name {
        Some(n) => c.take("name", required_text(n, crate::domain::limits::NAME)),
        None => Some(before.name.clone()),
    };
    let role = match &patch.role {
        Some(r) => c.take("role", Role::parse(r)),
        None => Some(before.role),
    };
    if patch.role.is_some() {
        if before.role == Role::Admin {
            c.fail("role", "the admin's role cannot be changed");
        } else if let Some(r) = role.filter(|r| !assignable(*r)) {
            c.fail(
                "role",
                format!(
                    "{r} cannot be given to clinic staff; use manager, practitioner or auditor"
                ),
            );
        }
    }
    let email = match patch.email.as_deref().map(str::trim) {
        None => Some(before.email.clone()),
        Some("") => Some(None),
        Some(e) => c.take("email", normalize_email(e)).map(Some),
    };
    let active = patch.active.unwrap_or(before.active);
    if !active && before.id == actor.staff_id {
        c.fail(
            "active",
            "you cannot deactivate yourself; ask another manager or the admin",
        );
    }
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(name), Some(role), Some(email)) = (name, role, email) else {
        return Err(AppError::invalid("body", "invalid staff member"));
    };
    Ok(Staff {
        name,
        role,
        email,
        active,
        ..before.clone()
    })
}

/// Someone who left: their tokens, browser sessions and open invitations end at once;
/// their history stays.
fn end_access(conn: &mut Conn, actor: &Actor, staff: &Staff, client_addr: &str) -> AppResult<()> {
    let now = db::now();
    let tokens = repo::revoke_all_tokens(conn, &staff.id, now)?;
    let sessions = repo::delete_sessions_of(conn, &staff.id)?;
    repo::withdraw_invitations(conn, &staff.id, now)?;
    record(
        conn,
        actor,
        staff,
        "staff",
        &staff.id,
        "deactivate",
        json!({"from": client_addr, "tokens_revoked": tokens, "sessions_ended": sessions}),
    )
}

// ---- invitations and passwords

/// A one-time code to set a password, valid for 72 hours. It withdraws the person's
/// earlier invitations and ends their browser sessions.
pub fn invite(
    conn: &mut Conn,
    actor: &Actor,
    staff_id: &StaffId,
    client_addr: &str,
) -> AppResult<(String, NaiveDateTime)> {
    db::write_tx(conn, |conn| {
        let member = managed(conn, actor, staff_id)?;
        issue_invitation(conn, actor, &member, client_addr)
    })
}

/// A new member of the clinic and their invitation, in one transaction: they will sign
/// in with the password they set, so no bearer token is made for them.
pub fn invite_member(
    conn: &mut Conn,
    actor: &Actor,
    clinic_id: &ClinicId,
    new: NewMember<'_>,
    client_addr: &str,
) -> AppResult<(Staff, String, NaiveDateTime)> {
    actor.require(Action::ManageStaff)?;
    if new.email.trim().is_empty() {
        return Err(AppError::invalid(
            "email",
            "the email is needed: the person signs in with it",
        ));
    }
    db::write_tx(conn, |conn| {
        let member =
            super::auth::add_member(conn, actor, clinic_id, new.name, new.role, Some(new.email))?;
        let (code, expires_at) = issue_invitation(conn, actor, &member, client_addr)?;
        Ok((member, code, expires_at))
    })
}

/// Who to invite, as typed.
#[derive(Debug, Clone, Copy)]
pub struct NewMember<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub email: &'a str,
}

fn issue_invitation(
    conn: &mut Conn,
    actor: &Actor,
    member: &Staff,
    client_addr: &str,
) -> AppResult<(String, NaiveDateTime)> {
    if member.email.is_none() {
        return Err(AppError::invalid(
            "email",
            "this person has no email yet; set one with PATCH /api/v1/staff/{id} first, so they can sign in",
        ));
    }
    if !member.active {
        return Err(AppError::conflict(
            ConflictKind::InvalidState,
            "this person is deactivated; reactivate them first",
        ));
    }
    let now = db::now();
    let code = format!("inv_{}", random_hex(32));
    let expires_at = now + Duration::hours(INVITATION_HOURS);
    repo::withdraw_invitations(conn, &member.id, now)?;
    repo::insert_invitation(
        conn,
        &Invitation {
            code_hash: hash_token(&code),
            staff_id: member.id.clone(),
            created_by: Some(actor.staff_id.clone()).filter(|s| !s.is_empty()),
            created_at: now,
            expires_at,
            used_at: None,
        },
    )?;
    let sessions = repo::delete_sessions_of(conn, &member.id)?;
    record(
        conn,
        actor,
        member,
        "staff",
        &member.id,
        "invite",
        json!({"from": client_addr, "expires_at": expires_at.and_utc(), "sessions_ended": sessions}),
    )?;
    Ok((code, expires_at))
}

/// Sets the password of the invited person. The code works once, for 72 hours. Ends the
/// person's browser sessions.
pub fn accept_invitation(
    conn: &mut Conn,
    code: &str,
    password: &str,
    client_addr: &str,
) -> AppResult<Staff> {
    let unusable = || {
        AppError::invalid(
            "code",
            "this invitation code is unknown, already used or expired; ask for a new one",
        )
    };
    let hash = hash_token(code.trim());
    let now = db::now();
    let invitation = repo::find_invitation(conn, &hash)?.ok_or_else(unusable)?;
    if invitation.used_at.is_some() || invitation.expires_at <= now {
        return Err(unusable());
    }
    let member = repo::find_staff(conn, &invitation.staff_id)?.ok_or_else(unusable)?;
    if !member.active {
        return Err(unusable());
    }
    check_password(password, member.email.as_deref(), &member.name)
        .map_err(|m| AppError::invalid("password", m))?;
    // Hash outside the write transaction: it takes a while and SQLite has one writer.
    let password_hash = hash_password(password)?;
    db::write_tx(conn, |conn| {
        if !repo::use_invitation(conn, &hash, now)? {
            return Err(unusable());
        }
        repo::set_password_hash(conn, &member.id, &password_hash)?;
        let sessions = repo::delete_sessions_of(conn, &member.id)?;
        record(
            conn,
            &actor_of(&member)?,
            &member,
            "staff",
            &member.id,
            "set-password",
            json!({"from": client_addr, "sessions_ended": sessions}),
        )?;
        Ok(member.clone())
    })
}

/// `mesoledger invite --email E`: gives the (first) admin account this email and a fresh
/// invitation code, so the admin can set a password and sign in.
pub fn invite_admin(conn: &mut Conn, email: &str) -> AppResult<(String, NaiveDateTime)> {
    let email = normalize_email(email).map_err(|m| AppError::invalid("email", m))?;
    db::write_tx(conn, |conn| {
        let admin = repo::first_admin(conn)?.ok_or_else(|| {
            AppError::not_found("an admin account (start the service once to create it)")
        })?;
        if email_taken(conn, &email, Some(&admin.id))? {
            return Err(duplicate_email(&email));
        }
        let admin = Staff {
            email: Some(email.clone()),
            ..admin
        };
        repo::update_staff(conn, &admin)?;
        let system = Actor {
            name: "command line".into(),
            ..actor_of(&admin)?
        };
        issue_invitation(conn, &system, &admin, "command line")
    })
}

/// Sets a password straight away (the demo loader's printed logins). Ends sessions.
pub fn set_password(conn: &mut Conn, member: &Staff, password: &str) -> AppResult<()> {
    check_password(password, member.email.as_deref(), &member.name)
        .map_err(|m| AppError::invalid("password", m))?;
    let hash = hash_password(password)?;
    repo::set_password_hash(conn, &member.id, &hash)?;
    repo::delete_sessions_of(conn, &member.id)?;
    Ok(())
}

/// A random password of 20 letters and digits (the demo's printed logins).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

// ---- tokens

/// A new named token for a person: the secret is answered once, only its hash is kept.
pub fn issue_token(conn: &mut Conn, staff_id: &StaffId, name: &str) -> AppResult<(Token, String)> {
    let secret = new_token();
    let token = Token {
        id: db::new_id(),
        staff_id: staff_id.clone(),
        name: name.to_string(),
        prefix: secret.chars().take(12).collect(),
        token_hash: hash_token(&secret),
        created_at: db::now(),
        last_used_at: None,
        revoked_at: None,
    };
    repo::insert_token(conn, &token)?;
    Ok((token, secret))
}

pub fn my_tokens(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<Token>> {
    Ok(repo::list_tokens(conn, &actor.staff_id)?)
}

pub fn create_my_token(
    conn: &mut Conn,
    actor: &Actor,
    name: &str,
    client_addr: &str,
) -> AppResult<(Token, String)> {
    let name = required_text(name, 100).map_err(|m| AppError::invalid("name", m))?;
    db::write_tx(conn, |conn| {
        let member = repo::find_staff(conn, &actor.staff_id)?
            .ok_or_else(|| AppError::Unauthenticated("the account is gone".into()))?;
        let (token, secret) = issue_token(conn, &member.id, &name)?;
        record(
            conn,
            actor,
            &member,
            "token",
            &token.id,
            "create",
            json!({"from": client_addr, "name": token.name, "prefix": token.prefix, "staff_id": member.id}),
        )?;
        Ok((token, secret))
    })
}

/// Revokes one of the actor's own tokens. Answers its hash, so this instance's token
/// cache can drop it at once.
pub fn revoke_my_token(
    conn: &mut Conn,
    actor: &Actor,
    token_id: &str,
    client_addr: &str,
) -> AppResult<String> {
    db::write_tx(conn, |conn| {
        let member = repo::find_staff(conn, &actor.staff_id)?
            .ok_or_else(|| AppError::Unauthenticated("the account is gone".into()))?;
        revoke(conn, actor, &member, token_id, client_addr)
    })
}

/// A manager (or the admin) sees the tokens of their staff, never a secret.
pub fn staff_tokens(conn: &mut Conn, actor: &Actor, staff_id: &StaffId) -> AppResult<Vec<Token>> {
    let member = managed(conn, actor, staff_id)?;
    Ok(repo::list_tokens(conn, &member.id)?)
}

/// A manager (or the admin) revokes a token of their staff.
pub fn revoke_staff_token(
    conn: &mut Conn,
    actor: &Actor,
    staff_id: &StaffId,
    token_id: &str,
    client_addr: &str,
) -> AppResult<String> {
    db::write_tx(conn, |conn| {
        let member = managed(conn, actor, staff_id)?;
        revoke(conn, actor, &member, token_id, client_addr)
    })
}

fn revoke(
    conn: &mut Conn,
    actor: &Actor,
    member: &Staff,
    token_id: &str,
    client_addr: &str,
) -> AppResult<String> {
    let token = repo::find_live_token_of(conn, &member.id, token_id)?
        .ok_or_else(|| AppError::not_found(format!("token {token_id}")))?;
    repo::revoke_token(conn, &token.id, db::now())?;
    record(
        conn,
        actor,
        member,
        "token",
        &token.id,
        "revoke",
        json!({"from": client_addr, "name": token.name, "prefix": token.prefix, "staff_id": member.id}),
    )?;
    Ok(token.token_hash)
}

// ---- browser sessions

/// What a sign-in attempt came to. Unknown email, wrong password, no password yet and a
/// deactivated account are all `Failed`: the same answer, after the same work.
pub enum SignIn {
    Ok {
        /// The cookie's value: 256 random bits. Only its hash is stored.
        cookie: String,
        actor: Actor,
    },
    Failed,
    Limited {
        retry_after_secs: i64,
    },
}

/// A failed sign-in counts toward the rate limit and goes to the audit log, under the
/// person when the email is known.
fn record_failure(
    conn: &mut Conn,
    key: &str,
    member: Option<&Staff>,
    client_addr: &str,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    db::write_tx(conn, |conn| {
        repo::insert_failure(conn, key, client_addr, now)?;
        match member {
            Some(member) => record(
                conn,
                &nobody(),
                member,
                "staff",
                &member.id,
                "sign-in-failed",
                json!({"from": client_addr}),
            ),
            None => audit::record(
                conn,
                &nobody(),
                Subject {
                    clinic_id: None,
                    entity: "sign-in",
                    entity_id: key,
                    action: "sign-in-failed",
                },
                None::<&()>,
                Some(&json!({"from": client_addr})),
            ),
        }
    })
}

pub fn sign_in(
    conn: &mut Conn,
    email: &str,
    password: &str,
    client_addr: &str,
    limits: SessionLimits,
) -> AppResult<SignIn> {
    let now = db::now();
    // The rate limit's key: the normalised email, or what was typed, bounded.
    let key: String = normalize_email(email)
        .unwrap_or_else(|_| email.trim().to_lowercase())
        .chars()
        .take(254)
        .collect();
    let by_email = repo::failures_for_email(conn, &key, PER_EMAIL.since(now))?;
    let by_addr = repo::failures_from_addr(conn, client_addr, PER_ADDRESS.since(now))?;
    let wait = PER_EMAIL
        .retry_after(&by_email, now)
        .max(PER_ADDRESS.retry_after(&by_addr, now));
    if let Some(retry_after_secs) = wait {
        tracing::warn!(client_addr, "sign-in refused by the rate limit");
        return Ok(SignIn::Limited { retry_after_secs });
    }
    let found = repo::find_by_email(conn, &key)?;
    let stored = found
        .as_ref()
        .filter(|(m, _)| m.active)
        .and_then(|(_, h)| h.clone());
    // Exactly one argon2 verification whatever the case, so timing tells nothing.
    let verified = verify_password(password, stored.as_deref().unwrap_or(&DUMMY_HASH));
    let member = match found {
        Some((member, _)) if verified && stored.is_some() => member,
        found => {
            record_failure(conn, &key, found.as_ref().map(|(m, _)| m), client_addr, now)?;
            return Ok(SignIn::Failed);
        }
    };
    let actor = actor_of(&member)?;
    let cookie = random_hex(32);
    db::write_tx(conn, |conn| {
        repo::clear_failures(conn, &key, now - PER_EMAIL.window.max(PER_ADDRESS.window))?;
        repo::insert_session(
            conn,
            &BrowserSession {
                id_hash: hash_token(&cookie),
                staff_id: member.id.clone(),
                csrf_token: random_hex(32),
                client_addr: client_addr.to_string(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + limits.absolute,
            },
        )?;
        record(
            conn,
            &actor,
            &member,
            "staff",
            &member.id,
            "sign-in",
            json!({"from": client_addr}),
        )
    })?;
    Ok(SignIn::Ok { cookie, actor })
}

/// A live browser session: who, their clinic's name and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub actor: Actor,
    pub email: Option<String>,
    pub clinic_name: Option<String>,
    pub csrf_token: String,
}

/// The session behind a cookie value, if it is live and its person active. An expired
/// session is deleted.
pub fn session(
    conn: &mut Conn,
    cookie: &str,
    limits: SessionLimits,
) -> AppResult<Option<WebSession>> {
    let id_hash = hash_token(cookie);
    let Some((session, member)) = repo::find_session(conn, &id_hash)? else {
        return Ok(None);
    };
    let now = db::now();
    if !member.active || !limits.is_live(now, session.last_seen_at, session.expires_at) {
        repo::delete_session(conn, &id_hash)?;
        return Ok(None);
    }
    // Recording every request would make every page a write; a minute is precise enough.
    if now - session.last_seen_at > Duration::seconds(60) {
        repo::touch_session(conn, &id_hash, now)?;
    }
    let clinic_name = match &member.clinic_id {
        Some(id) => staff_repo::find_clinic(conn, id)?.map(|c| c.name),
        None => None,
    };
    Ok(Some(WebSession {
        actor: actor_of(&member)?,
        email: member.email.clone(),
        clinic_name,
        csrf_token: session.csrf_token,
    }))
}

pub fn sign_out(conn: &mut Conn, cookie: &str, client_addr: &str) -> AppResult<()> {
    let id_hash = hash_token(cookie);
    db::write_tx(conn, |conn| {
        let Some((_, member)) = repo::find_session(conn, &id_hash)? else {
            return Ok(());
        };
        repo::delete_session(conn, &id_hash)?;
        record(
            conn,
            &actor_of(&member)?,
            &member,
            "staff",
            &member.id,
            "sign-out",
            json!({"from": client_addr}),
        )
    })
}
