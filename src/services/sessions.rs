//! Logging a treatment session: the whole story in one place.
//!
//! 1. Parse the request; items default to the formulation's components.
//! 2. Screen the patient's conditions against every product used: a finding refuses the
//!    session (409) unless an override reason is given, which is then recorded.
//! 3. In one write transaction: plan each item first-expiry-first-out (open multi-dose
//!    vials first, single-use leftovers wasted; see `domain::usage`), write the session,
//!    its usage and its consume/waste movements. Any refusal rolls everything back.
//! 4. An `Idempotency-Key` makes a retry answer the first session and record nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDateTime, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::formulations::{get_in as get_formulation, screen_products};
use super::stock::{record, Entry};
use super::Actor;
use crate::db::lots::{self, LotFilter};
use crate::db::products::Product;
use crate::db::sessions::{self as repo, IdempotencyRecord, Line, Session, SessionFilter, Usage};
use crate::db::{self, Conn};
use crate::domain::ledger::MovementKind;
use crate::domain::lot::LotStatus;
use crate::domain::product::StockUnit;
use crate::domain::role::Action;
use crate::domain::screening::Contraindication;
use crate::domain::treatment::{parse_patient_ref, Area, Method};
use crate::domain::usage::{self, LotStock, OpenVial, PlanError, ProductUse, Source};
use crate::domain::{optional_text, quantity, required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

/// How far back a session may be entered after the fact.
pub const MAX_BACKDATE_DAYS: i64 = 90;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Or give `code`.
    #[serde(default)]
    pub product_id: String,
    /// In the product's stock unit.
    #[schema(value_type = String, example = "2")]
    pub quantity: Decimal,
    /// A lot to use; otherwise the service chooses first-expiry-first-out.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// The GS1 code scanned from the vial or box: names the product and the lot.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// The clinic's pseudonymous patient code: never a name.
    pub patient_ref: String,
    pub area: String,
    pub method: String,
    /// RFC 3339; defaults to now. At most 90 days back, never in the future.
    #[serde(default)]
    pub performed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub formulation_id: Option<String>,
    /// Defaults to the formulation's current version.
    #[serde(default)]
    pub formulation_version: Option<i64>,
    /// Screening answers: the conditions present (e.g. `diabetes`).
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Replace the formulation's components, or list what was used without one.
    #[serde(default)]
    pub items: Option<Vec<ItemInput>>,
    /// Proceed despite contraindications; recorded with the session.
    #[serde(default)]
    pub override_reason: Option<String>,
}

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

/// What `log` answers: the session and whether it was a replay of an earlier request.
pub struct Logged {
    pub session_id: String,
    pub replayed: bool,
    /// What was just written (absent for a replay, which reads it back).
    pub detail: Option<SessionDetail>,
}

/// The hash an idempotent request is remembered by: its JSON with keys sorted, so
/// whitespace and key order do not make a retry look different.
pub fn request_hash(body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

pub fn log(
    conn: &mut Conn,
    actor: &Actor,
    input: NewSession,
    idempotency: Option<(String, String)>,
) -> AppResult<Logged> {
    let clinic = actor.clinic_for(Action::Treat)?.to_string();
    if let Some((key, hash)) = &idempotency {
        if let Some(found) = replay(conn, actor, &clinic, key, hash)? {
            return Ok(found);
        }
    }
    let parsed = parse(conn, &clinic, input)?;
    let result = db::write_tx(conn, |conn| {
        let session_id = db::new_id();
        if let Some((key, hash)) = &idempotency {
            repo::insert_idempotency(
                conn,
                &IdempotencyRecord {
                    clinic_id: clinic.clone(),
                    staff_id: actor.staff_id.clone(),
                    idem_key: key.clone(),
                    request_hash: hash.clone(),
                    status: 201,
                    response: session_id.clone(),
                    created_at: db::now(),
                },
            )?;
        }
        write_session(conn, actor, &clinic, &session_id, parsed)
    });
    match result {
        Ok(detail) => Ok(Logged {
            session_id: detail.session.id.clone(),
            replayed: false,
            detail: Some(detail),
        }),
        // The same key raced in from another request: answer what that one recorded.
        Err(AppError::Conflict {
            kind: ConflictKind::Duplicate,
            ..
        }) if idempotency.is_some() => {
            let (key, hash) = idempotency.unwrap_or_default();
            replay(conn, actor, &clinic, &key, &hash)?
                .ok_or_else(|| AppError::Internal("idempotency record vanished".into()))
        }
        Err(e) => Err(e),
    }
}

fn replay(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &str,
    key: &str,
    hash: &str,
) -> AppResult<Option<Logged>> {
    match repo::find_idempotency(conn, clinic, &actor.staff_id, key)? {
        None => Ok(None),
        Some(r) if r.request_hash == hash => Ok(Some(Logged {
            session_id: r.response,
            replayed: true,
            detail: None,
        })),
        Some(_) => Err(AppError::conflict(
            ConflictKind::IdempotencyKeyReused,
            format!("Idempotency-Key {key:?} was already used with a different body; use a new key for a new session"),
        )),
    }
}

/// A session request that passed every check that needs no stock.
struct Parsed {
    patient_ref: String,
    area: Area,
    method: Method,
    performed_at: NaiveDateTime,
    formulation: Option<(String, i64)>,
    conditions: Vec<String>,
    contraindications: Vec<Contraindication>,
    override_reason: Option<String>,
    /// (product, quantity, named lot)
    items: Vec<(Product, Decimal, Option<String>)>,
    lines: Vec<Line>,
}

fn parse(conn: &mut Conn, clinic: &str, input: NewSession) -> AppResult<Parsed> {
    let mut c = Checks::new();
    let patient_ref = c.take("patient_ref", parse_patient_ref(&input.patient_ref));
    let area = c.take("area", Area::parse(&input.area));
    let method = c.take("method", Method::parse(&input.method));
    let override_reason = c.take(
        "override_reason",
        optional_text(input.override_reason.as_deref(), 500),
    );
    let now = db::now();
    let performed_at = input
        .performed_at
        .map(|t| t.naive_utc().trunc_subsecs(6))
        .unwrap_or(now);
    if performed_at > now + Duration::minutes(5) {
        c.fail("performed_at", "a session cannot be logged ahead of time");
    } else if performed_at < now - Duration::days(MAX_BACKDATE_DAYS) {
        c.fail(
            "performed_at",
            format!("sessions can be entered at most {MAX_BACKDATE_DAYS} days after the fact"),
        );
    }
    let formulation = match &input.formulation_id {
        Some(id) => match get_formulation(conn, clinic, id, input.formulation_version) {
            Ok(f) => Some(f),
            Err(AppError::NotFound(what)) => {
                c.fail("formulation_id", format!("{what} not found in this clinic"));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    if let (Some(f), Some(m)) = (&formulation, method) {
        if f.method != m.as_str() {
            c.fail(
                "method",
                format!("formulation {} is for {}, not {m}", f.name, f.method),
            );
        }
    }
    if input.items.as_ref().is_some_and(Vec::is_empty) {
        c.fail("items", "a session uses at least one product");
    }
    let raw_items: Vec<ItemInput> = match (input.items, &formulation) {
        (Some(items), _) => items,
        (None, Some(f)) => f
            .components
            .iter()
            .map(|(product_id, amount)| ItemInput {
                product_id: product_id.clone(),
                quantity: *amount,
                lot_id: None,
                code: None,
            })
            .collect(),
        (None, None) => {
            if input.formulation_id.is_none() {
                c.fail("items", "give a formulation_id or the items used");
            }
            Vec::new()
        }
    };
    let mut items = Vec::new();
    for (i, mut item) in raw_items.into_iter().enumerate() {
        let field = format!("items[{i}]");
        if let Some(code) = item.code.take() {
            let found = match crate::services::stock::scan_in(
                conn,
                clinic,
                &format!("{field}.code"),
                &code,
            ) {
                Ok(f) => f,
                Err(AppError::Invalid(errs)) => {
                    errs.into_iter().for_each(|e| c.fail(&e.field, e.message));
                    continue;
                }
                Err(e) => return Err(e),
            };
            match (found.product, found.lot) {
                (Some(p), Some(l)) => {
                    item.product_id = p.id;
                    item.lot_id = Some(l.id);
                }
                (Some(p), None) => {
                    let lot = found
                        .scan
                        .lot_number
                        .unwrap_or_else(|| "(none in the code)".into());
                    c.fail(
                        &format!("{field}.code"),
                        format!("lot {lot} of {} was never received", p.sku),
                    );
                    continue;
                }
                (None, _) => {
                    c.fail(
                        &format!("{field}.code"),
                        "no product of this clinic has the scanned GTIN",
                    );
                    continue;
                }
            }
        }
        let Some(product) = crate::db::products::get(conn, clinic, &item.product_id)? else {
            c.fail(
                &format!("{field}.product_id"),
                format!("no product {} in this clinic", item.product_id),
            );
            continue;
        };
        let unit = StockUnit::parse(&product.stock_unit).map_err(AppError::Internal)?;
        let q = c.take(
            &format!("{field}.quantity"),
            quantity::positive(item.quantity).and_then(|q| quantity::in_unit(unit, q)),
        );
        if let Some(lot_id) = &item.lot_id {
            match lots::get(conn, clinic, lot_id)? {
                Some(l) if l.product_id == product.id => {}
                Some(l) => c.fail(
                    &format!("{field}.lot_id"),
                    format!("lot {} is not a lot of {}", l.lot_number, product.sku),
                ),
                None => c.fail(
                    &format!("{field}.lot_id"),
                    format!("no lot {lot_id} in this clinic"),
                ),
            }
        }
        if let Some(q) = q {
            items.push((product, q, item.lot_id));
        }
    }
    // Screening needs valid products; unknown conditions are a field error like any other.
    let used: Vec<Product> = items.iter().map(|(p, _, _)| p.clone()).collect();
    let screening = match screen_products(conn, clinic, &input.conditions, &used) {
        Ok(s) => Some(s),
        Err(AppError::Invalid(errs)) => {
            for e in errs {
                c.fail(&e.field, e.message);
            }
            None
        }
        Err(e) => return Err(e),
    };
    c.into_result().map_err(AppError::Invalid)?;
    let (
        Some(patient_ref),
        Some(area),
        Some(method),
        Some(override_reason),
        Some((conditions, found)),
    ) = (patient_ref, area, method, override_reason, screening)
    else {
        return Err(AppError::invalid("body", "invalid session"));
    };
    if !found.is_empty() && override_reason.is_none() {
        let list: Vec<String> = found
            .iter()
            .map(|f| format!("{} with {}: {}", f.ingredient, f.condition, f.message))
            .collect();
        return Err(AppError::Conflict {
            kind: ConflictKind::Contraindicated,
            detail: format!(
                "contraindicated: {}. Do not treat, or give override_reason to proceed on your responsibility",
                list.join("; ")
            ),
            extra: Some(serde_json::json!({ "contraindications": found })),
        });
    }
    let lines = variance_lines(
        formulation.as_ref().map(|f| f.components.as_slice()),
        &items,
    );
    Ok(Parsed {
        patient_ref,
        area,
        method,
        performed_at,
        formulation: formulation.map(|f| (f.formulation_id, f.version)),
        conditions,
        contraindications: found,
        override_reason,
        items,
        lines,
    })
}

/// Planned (the formulation) against actual (the items), per product.
fn variance_lines(
    planned: Option<&[(String, Decimal)]>,
    items: &[(Product, Decimal, Option<String>)],
) -> Vec<Line> {
    let mut lines: Vec<Line> = planned
        .unwrap_or(&[])
        .iter()
        .map(|(p, amount)| Line {
            product_id: p.clone(),
            planned: Some(*amount),
            actual: Decimal::ZERO,
        })
        .collect();
    for (product, q, _) in items {
        match lines.iter_mut().find(|l| l.product_id == product.id) {
            Some(l) => l.actual = (l.actual + *q).normalize(),
            None => lines.push(Line {
                product_id: product.id.clone(),
                planned: planned.map(|_| Decimal::ZERO),
                actual: *q,
            }),
        }
    }
    lines
}

fn write_session(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &str,
    session_id: &str,
    p: Parsed,
) -> AppResult<SessionDetail> {
    let now = db::now();
    let session = Session {
        id: session_id.to_string(),
        clinic_id: clinic.to_string(),
        patient_ref: p.patient_ref.clone(),
        practitioner_id: actor.staff_id.clone(),
        performed_at: p.performed_at,
        area: p.area.as_str().into(),
        method: p.method.as_str().into(),
        formulation_id: p.formulation.as_ref().map(|f| f.0.clone()),
        formulation_version: p.formulation.as_ref().map(|f| f.1),
        conditions: serde_json::to_string(&p.conditions)?,
        contraindications: serde_json::to_string(&p.contraindications)?,
        override_reason: p.override_reason.clone(),
        status: "recorded".into(),
        void_reason: None,
        voided_by: None,
        voided_at: None,
        created_at: now,
    };
    repo::insert(conn, &session)?;
    // Lock every product's lots in one order, so two sessions never wait on each other
    // in a circle.
    let products: BTreeSet<&str> = p
        .items
        .iter()
        .map(|(prod, _, _)| prod.id.as_str())
        .collect();
    for product_id in products {
        repo::lock_product_lots(conn, clinic, product_id)?;
    }
    let mut usage: Vec<Usage> = Vec::new();
    for (product, q, named) in &p.items {
        take(
            conn,
            actor,
            clinic,
            session_id,
            product,
            *q,
            named.as_deref(),
            p.performed_at,
            &mut usage,
        )?;
    }
    for (i, u) in usage.iter().enumerate() {
        repo::insert_usage(conn, clinic, session_id, i as i64, u)?;
    }
    for (i, l) in p.lines.iter().enumerate() {
        repo::insert_line(conn, clinic, session_id, i as i64, l)?;
    }
    if let Some((formulation_id, _)) = &p.formulation {
        crate::db::courses::mark_next_done(
            conn,
            clinic,
            &p.patient_ref,
            formulation_id,
            session_id,
        )?;
    }
    Ok(SessionDetail {
        session,
        practitioner: actor.name.clone(),
        conditions: p.conditions,
        contraindications: p.contraindications,
        usage,
        lines: p.lines,
    })
}

/// Takes one item from stock: plans it on fresh balances and writes the movements.
#[allow(clippy::too_many_arguments)]
fn take(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &str,
    session_id: &str,
    product: &Product,
    need: Decimal,
    named_lot: Option<&str>,
    performed_at: NaiveDateTime,
    usage: &mut Vec<Usage>,
) -> AppResult<()> {
    let lots = lots::list(
        conn,
        clinic,
        &LotFilter {
            product_id: Some(product.id.clone()),
            ..Default::default()
        },
    )?;
    let stock: Vec<LotStock> = lots
        .iter()
        .map(|l| {
            Ok(LotStock {
                lot_id: l.id.clone(),
                lot_number: l.lot_number.clone(),
                expires_on: l.expires_on,
                status: LotStatus::parse(&l.status).map_err(AppError::Internal)?,
                on_hand: l.on_hand,
                received_at: l.received_at,
            })
        })
        .collect::<AppResult<_>>()?;
    let open: Vec<OpenVial> = repo::open_containers(conn, clinic, &product.id)?
        .into_iter()
        .map(|c| OpenVial {
            container_id: c.id,
            lot_id: c.lot_id,
            remaining: c.remaining,
            beyond_use_at: c.beyond_use_at,
        })
        .collect();
    let rules = ProductUse {
        sku: product.sku.clone(),
        stock_unit: StockUnit::parse(&product.stock_unit).map_err(AppError::Internal)?,
        content: product.content,
        single_use: product.single_use,
        beyond_use_days: product.beyond_use_days,
    };
    let plan = usage::plan(&rules, need, &stock, &open, named_lot, db::now(), performed_at).map_err(|e| {
        let kind = match e {
            PlanError::Blocked { .. } => ConflictKind::LotBlocked,
            PlanError::NotEnough { .. } => ConflictKind::NotEnoughStock,
        };
        let extra = match &e {
            PlanError::Blocked { lot_number, reason } => {
                serde_json::json!({ "product_id": product.id, "lot_number": lot_number, "reason": reason })
            }
            PlanError::NotEnough { skipped, .. } => serde_json::json!({
                "product_id": product.id,
                "skipped_lots": skipped.iter().map(|(l, r)| serde_json::json!({"lot_number": l, "reason": r})).collect::<Vec<_>>(),
            }),
        };
        AppError::Conflict {
            kind,
            detail: e.to_string(),
            extra: Some(extra),
        }
    })?;

    // Vials past their beyond-use time: their remainder is waste, whatever this session
    // does, so these movements are not part of the session (a void does not undo them).
    for s in &plan.sweeps {
        repo::close_container(conn, clinic, &s.container_id)?;
        record(
            conn,
            actor,
            clinic,
            product,
            &s.lot_id,
            Entry::new(MovementKind::Waste, -s.wasted, &s.reason),
        )?;
    }
    for d in &plan.draws {
        match &d.source {
            Source::OpenVial { container_id } => {
                if !repo::draw_from_container(conn, clinic, container_id, d.consumed)? {
                    return Err(AppError::conflict(
                        ConflictKind::NotEnoughStock,
                        format!(
                            "the open vial of {} changed meanwhile; try again",
                            product.sku
                        ),
                    ));
                }
            }
            Source::NewVial {
                left,
                beyond_use_at,
            } => {
                repo::open_container(
                    conn,
                    clinic,
                    &d.lot_id,
                    &product.id,
                    performed_at,
                    *beyond_use_at,
                    *left,
                    session_id,
                )?;
            }
            Source::Sealed => {}
        }
    }
    // One consume and at most one waste movement per lot.
    let mut per_lot: Vec<(String, Decimal, Decimal)> = Vec::new();
    for d in &plan.draws {
        match per_lot.iter_mut().find(|(l, _, _)| *l == d.lot_id) {
            Some(e) => {
                e.1 += d.consumed;
                e.2 += d.wasted;
            }
            None => per_lot.push((d.lot_id.clone(), d.consumed, d.wasted)),
        }
    }
    for (lot_id, consumed, wasted) in per_lot {
        record(
            conn,
            actor,
            clinic,
            product,
            &lot_id,
            Entry::new(MovementKind::Consume, -consumed, "session").in_session(session_id),
        )?;
        if wasted > Decimal::ZERO {
            record(
                conn,
                actor,
                clinic,
                product,
                &lot_id,
                Entry::new(
                    MovementKind::Waste,
                    -wasted,
                    "single-use container: the rest is discarded",
                )
                .in_session(session_id),
            )?;
        }
        let lot = lots.iter().find(|l| l.id == lot_id);
        match usage
            .iter_mut()
            .find(|u| u.lot_id == lot_id && u.product_id == product.id)
        {
            Some(u) => {
                u.quantity = (u.quantity + consumed).normalize();
                u.wasted = (u.wasted + wasted).normalize();
            }
            None => usage.push(Usage {
                product_id: product.id.clone(),
                sku: product.sku.clone(),
                lot_id: lot_id.clone(),
                lot_number: lot.map(|l| l.lot_number.clone()).unwrap_or_default(),
                expires_on: lot.map(|l| l.expires_on).unwrap_or_default(),
                quantity: consumed,
                wasted,
            }),
        }
    }
    Ok(())
}

pub fn get(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<SessionDetail> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_in(conn, clinic, id)
}

pub fn get_in(conn: &mut Conn, clinic: &str, id: &str) -> AppResult<SessionDetail> {
    let session =
        repo::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("session {id}")))?;
    detail(conn, session)
}

fn detail(conn: &mut Conn, session: Session) -> AppResult<SessionDetail> {
    Ok(SessionDetail {
        practitioner: repo::practitioner_name(conn, &session.practitioner_id)?,
        conditions: serde_json::from_str(&session.conditions)?,
        contraindications: serde_json::from_str(&session.contraindications)?,
        usage: repo::usage_of(conn, &session.id)?,
        lines: repo::lines_of(conn, &session.id)?,
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
pub fn void(conn: &mut Conn, actor: &Actor, id: &str, reason: &str) -> AppResult<SessionDetail> {
    let clinic = actor.clinic_for(Action::ManageStock)?.to_string();
    let reason = required_text(reason, 500).map_err(|e| AppError::invalid("reason", e))?;
    db::write_tx(conn, |conn| {
        let session = repo::get(conn, &clinic, id)?
            .ok_or_else(|| AppError::not_found(format!("session {id}")))?;
        if !repo::mark_voided(conn, &clinic, id, &reason, &actor.staff_id)? {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                format!("session {} is already {}", session.id, session.status),
            ));
        }
        crate::db::courses::unmark_session(conn, id)?;
        for m in repo::movements_of(conn, &clinic, id)? {
            if m.kind == MovementKind::Reversal.as_str() {
                continue;
            }
            let product = crate::services::catalog::get_product_in(conn, &clinic, &m.product_id)?;
            let entry = Entry {
                kind: MovementKind::Reversal,
                delta: -m.quantity,
                reason: Some(format!("void: {reason}")),
                session_id: Some(id.to_string()),
                reverses_id: Some(m.id.clone()),
            };
            record(conn, actor, &clinic, &product, &m.lot_id, entry)?;
        }
        get_in(conn, &clinic, id)
    })
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

/// Runs the same parse, screening and planning as `log` inside a transaction that is
/// rolled back, so the answer is exactly what `log` would do now and nothing is written.
/// A contraindication does not stop the plan: it is reported with `ok: false`.
pub fn dry_run(conn: &mut Conn, actor: &Actor, mut input: NewSession) -> AppResult<Plan> {
    let clinic = actor.clinic_for(Action::Treat)?.to_string();
    let overridden = input
        .override_reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    if !overridden {
        input.override_reason = Some("dry run".into());
    }
    let parsed = parse(conn, &clinic, input)?;
    let found = parsed.contraindications.clone();
    let outcome = db::write_tx(conn, |conn| -> Result<(), DryRun> {
        let detail =
            write_session(conn, actor, &clinic, &db::new_id(), parsed).map_err(DryRun::Failed)?;
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
