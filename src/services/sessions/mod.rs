//! Logging a treatment session: the whole story, in the order it happens.
//!
//! 1. `resolve` turns the request into products, quantities and lots (items default to
//!    the cocktail's components; scanned codes name product and lot), collecting every
//!    field error, then screens the patient's conditions against every product used: a
//!    finding refuses the session (409) unless an override reason is given.
//! 2. In one write transaction `write_session` stores the session and `take` plans each
//!    item first-expiry-first-out on fresh balances (open multi-dose vials first,
//!    single-use leftovers wasted; see `domain::usage`) and writes its movements through
//!    the ledger. Any refusal rolls everything back.
//! 3. An `Idempotency-Key` makes a retry answer the first session and record nothing.

mod resolve;
mod take;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::ledger::{record_all, Entry};
use super::Actor;
use crate::db::balances;
use crate::db::idempotency::{self, IdempotencyRecord};
use crate::db::movements::Movement;
use crate::db::products::Product;
use crate::db::sessions::{self as repo, Session, SessionFilter};
use crate::db::usage::{self, Line, Usage};
use crate::db::{self, Conn, Writer};
use crate::domain::ids::{ClinicId, ProductId, SessionId};
use crate::domain::ledger::MovementKind;
use crate::domain::requests::SessionInput;
use crate::domain::required_text;
use crate::domain::role::Action;
use crate::domain::screening::Contraindication;
use crate::domain::treatment::SessionStatus;
use crate::error::{AppError, AppResult, ConflictKind};
use resolve::Resolved;

/// A session with everything shown about it.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub session: Session,
    pub practitioner: String,
    pub conditions: Vec<String>,
    pub contraindications: Vec<Contraindication>,
    pub usage: Vec<Usage>,
    pub lines: Vec<Line>,
}

/// A request made with an `Idempotency-Key`: the key and the hash of the body it came
/// with. The hash is of the JSON with keys sorted, so whitespace and key order do not make
/// a retry look different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

impl Idempotency {
    pub fn new(key: String, body: &serde_json::Value) -> Self {
        Idempotency {
            key,
            request_hash: hex::encode(Sha256::digest(body.to_string().as_bytes())),
        }
    }
}

/// What `log` answers: the session, and whether it answers an earlier request.
pub struct Logged {
    pub detail: SessionDetail,
    pub replayed: bool,
}

/// Logs a session. `writer` takes the write transaction (on SQLite, grouped with other
/// sessions logged at the same time); the reads before it run on `conn`.
pub fn log(
    conn: &mut Conn,
    writer: &Writer,
    actor: &Actor,
    input: SessionInput,
    idempotency: Option<Idempotency>,
) -> AppResult<Logged> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    if let Some(idem) = &idempotency {
        if let Some(found) = replay(conn, actor, &clinic, idem)? {
            return Ok(found);
        }
    }
    let resolved = resolve::resolve(conn, &clinic, input)?;
    let (by, at, key) = (actor.clone(), clinic.clone(), idempotency.clone());
    let result = writer.write(conn, move |conn| {
        let (actor, clinic) = (&by, &at);
        let session_id = SessionId::generate();
        if let Some(idem) = &key {
            idempotency::insert(
                conn,
                &IdempotencyRecord {
                    clinic_id: clinic.clone(),
                    staff_id: actor.staff_id.clone(),
                    idem_key: idem.key.clone(),
                    request_hash: idem.request_hash.clone(),
                    status: 201,
                    response: session_id.to_string(),
                    created_at: db::now(),
                },
            )?;
        }
        write_session(conn, actor, clinic, &session_id, resolved)
    });
    match (result, &idempotency) {
        (Ok(detail), _) => Ok(Logged {
            detail,
            replayed: false,
        }),
        // The same key raced in from another request: answer what that one recorded.
        (
            Err(AppError::Conflict {
                kind: ConflictKind::Duplicate,
                ..
            }),
            Some(idem),
        ) => replay(conn, actor, &clinic, idem)?
            .ok_or_else(|| AppError::Internal("idempotency record vanished".into())),
        (Err(e), _) => Err(e),
    }
}

fn replay(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    idem: &Idempotency,
) -> AppResult<Option<Logged>> {
    match idempotency::find(conn, clinic, &actor.staff_id, &idem.key)? {
        None => Ok(None),
        Some(r) if r.request_hash == idem.request_hash => Ok(Some(Logged {
            detail: get_in(conn, clinic, &SessionId::from(r.response))?,
            replayed: true,
        })),
        Some(_) => Err(AppError::conflict(
            ConflictKind::IdempotencyKeyReused,
            format!(
                "Idempotency-Key {:?} was already used with a different body; use a new key for a new session",
                idem.key
            ),
        )),
    }
}

fn write_session(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    session_id: &SessionId,
    r: Resolved,
) -> AppResult<SessionDetail> {
    let session = Session {
        id: session_id.clone(),
        clinic_id: clinic.clone(),
        patient_ref: r.patient_ref.clone(),
        practitioner_id: actor.staff_id.clone(),
        performed_at: r.performed_at,
        area: r.area,
        method: r.method,
        formulation_id: r.formulation.as_ref().map(|f| f.0.clone()),
        formulation_version: r.formulation.as_ref().map(|f| f.1),
        conditions: r.conditions.clone(),
        contraindications: serde_json::to_string(&r.contraindications)?,
        override_reason: r.override_reason.clone(),
        area_override_reason: r.area_override_reason.clone(),
        status: SessionStatus::Recorded,
        void_reason: None,
        voided_by: None,
        voided_at: None,
        created_at: db::now(),
    };
    repo::insert(conn, &session)?;
    // Sessions of the same products take turns from here to commit (balance rows in
    // product order; see `db::balances::lock`), so the plan below is made on balances no
    // one else is changing.
    let products: Vec<&ProductId> = r.items.iter().map(|i| &i.product.id).collect();
    balances::lock(conn, clinic, &products)?;
    let mut take = take::Take::new(conn, clinic, session_id, r.performed_at, &products)?;
    let mut used: Vec<Usage> = Vec::new();
    for item in &r.items {
        take.item(conn, item, &mut used)?;
    }
    let entries = take
        .entries
        .iter()
        .map(|(p, l, e)| (p, l.clone(), e.clone()))
        .collect();
    let moves = record_all(conn, actor, clinic, entries, true)?;
    usage::insert_usage_all(conn, clinic, session_id, &used)?;
    let lines: Vec<Line> = r.lines.into_iter().map(Line::from).collect();
    usage::insert_lines_all(conn, clinic, session_id, &lines)?;
    let in_course = match &r.formulation {
        Some((formulation_id, _)) => {
            db::courses::mark_next_done(conn, clinic, &r.patient_ref, formulation_id, session_id)?
        }
        None => false,
    };
    if !in_course {
        balances::add_daily_use(conn, clinic, &unplanned_use(&moves, Decimal::ONE))?;
    }
    Ok(SessionDetail {
        session,
        practitioner: actor.name.clone(),
        conditions: r.conditions,
        contraindications: r.contraindications,
        usage: used,
        lines,
    })
}

pub fn get(conn: &mut Conn, actor: &Actor, id: &SessionId) -> AppResult<SessionDetail> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_in(conn, clinic, id)
}

pub fn get_in(conn: &mut Conn, clinic: &ClinicId, id: &SessionId) -> AppResult<SessionDetail> {
    let session =
        repo::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("session {id}")))?;
    detail(conn, session)
}

fn detail(conn: &mut Conn, session: Session) -> AppResult<SessionDetail> {
    Ok(SessionDetail {
        practitioner: repo::practitioner_name(conn, &session.practitioner_id)?,
        conditions: session.conditions.clone(),
        contraindications: serde_json::from_str(&session.contraindications)?,
        usage: usage::usage_of(conn, &session.id)?,
        lines: usage::lines_of(conn, &session.id)?,
        session,
    })
}

pub fn list(
    conn: &mut Conn,
    actor: &Actor,
    filter: SessionFilter,
) -> AppResult<Vec<SessionDetail>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    repo::list(conn, clinic, &filter)?
        .into_iter()
        .map(|s| detail(conn, s))
        .collect()
}

/// Voids a session: every movement it made is reversed by a new movement; nothing is
/// deleted. Open vials keep their state (the liquid is not back in the bottle).
pub fn void(
    conn: &mut Conn,
    actor: &Actor,
    id: &SessionId,
    reason: &str,
) -> AppResult<SessionDetail> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason = required_text(reason, crate::domain::limits::REASON)
        .map_err(|e| AppError::invalid("reason", e))?;
    db::write_tx(conn, |conn| {
        let session = repo::get(conn, &clinic, id)?
            .ok_or_else(|| AppError::not_found(format!("session {id}")))?;
        // Only a recorded session can be marked, so a refusal means it is voided, even
        // when `session` was read before a concurrent void committed.
        if !repo::mark_voided(conn, &clinic, id, &reason, &actor.staff_id)? {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                format!(
                    "session {} is already {}",
                    session.id,
                    SessionStatus::Voided
                ),
            ));
        }
        let in_course = db::courses::unmark_session(conn, id)?;
        let moves = repo::movements_of(conn, &clinic, id)?;
        if !in_course {
            balances::add_daily_use(conn, &clinic, &unplanned_use(&moves, -Decimal::ONE))?;
        }
        let ids: Vec<&ProductId> = moves.iter().map(|m| &m.product_id).collect();
        let products: BTreeMap<ProductId, Product> = db::products::get_many(conn, &clinic, &ids)?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        // One batch, so the void locks like a session does (see `db::balances::lock`).
        let mut entries = Vec::new();
        for m in moves.iter().filter(|m| m.kind != MovementKind::Reversal) {
            let product = products
                .get(&m.product_id)
                .ok_or_else(|| AppError::Internal(format!("product {} vanished", m.product_id)))?;
            let entry = Entry {
                kind: MovementKind::Reversal,
                delta: -m.quantity,
                reason: Some(format!("void: {reason}")),
                session_id: Some(id.clone()),
                reverses_id: Some(m.id.clone()),
                // The reversal points at the scanned movement; the code stays there.
                scanned: None,
            };
            entries.push((product, m.lot_id.clone(), entry));
        }
        record_all(conn, actor, &clinic, entries, false)?;
        get_in(conn, &clinic, id)
    })
}

/// What a session outside any course consumed and wasted, per product and UTC day of
/// its movements, times `sign` (-1 takes a voided session's use back out): the
/// forecast's recent rate counts it (`db::balances::add_daily_use`).
fn unplanned_use(moves: &[Movement], sign: Decimal) -> Vec<(ProductId, NaiveDate, Decimal)> {
    let mut by_day: BTreeMap<(ProductId, NaiveDate), Decimal> = BTreeMap::new();
    for m in moves {
        if m.session_id.is_some() && m.kind.is_use() {
            *by_day
                .entry((m.product_id.clone(), m.created_at.date()))
                .or_default() -= m.quantity * sign;
        }
    }
    by_day.into_iter().map(|((p, d), q)| (p, d, q)).collect()
}

/// What logging a session would do, with nothing written: the screening result and the
/// lots that would be used.
#[derive(Debug, Clone)]
pub struct Plan {
    /// False when screening found a contraindication and no override reason was given.
    pub ok: bool,
    pub contraindications: Vec<Contraindication>,
    /// The session as it would be recorded (its id is not kept).
    pub detail: SessionDetail,
}

/// Carries the planned session out of a transaction that is always rolled back.
enum DryRun {
    Planned(Box<SessionDetail>),
    Failed(AppError),
}

impl From<crate::db::DbError> for DryRun {
    fn from(e: crate::db::DbError) -> Self {
        DryRun::Failed(e.into())
    }
}

/// Runs the same resolving, screening and planning as `log` inside a transaction that is
/// rolled back, so the answer is exactly what `log` would do now and nothing is written.
/// A contraindication does not stop the plan: it is reported with `ok: false`.
pub fn dry_run(conn: &mut Conn, actor: &Actor, mut input: SessionInput) -> AppResult<Plan> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    let overridden = input
        .override_reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    if !overridden {
        input.override_reason = Some("dry run".into());
    }
    let resolved = resolve::resolve(conn, &clinic, input)?;
    let found = resolved.contraindications.clone();
    let outcome = db::write_tx(conn, |conn| -> Result<(), DryRun> {
        let detail = write_session(conn, actor, &clinic, &SessionId::generate(), resolved)
            .map_err(DryRun::Failed)?;
        Err(DryRun::Planned(Box::new(detail)))
    });
    match outcome {
        Err(DryRun::Planned(detail)) => {
            let mut detail = *detail;
            if !overridden {
                detail.session.override_reason = None;
            }
            Ok(Plan {
                ok: overridden || found.is_empty(),
                contraindications: found,
                detail,
            })
        }
        Err(DryRun::Failed(e)) => Err(e),
        Ok(()) => Err(AppError::Internal("a dry run must roll back".into())),
    }
}
