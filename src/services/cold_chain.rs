//! The cold chain: fridges, their readings, where lots are kept, and the excursions that
//! quarantine every lot that was inside.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use super::Actor;
use crate::db::cold_chain::{self as repo, Excursion, Fridge, Place};
use crate::db::products::Product;
use crate::db::{self, lots as lot_rows, Conn};
use crate::domain::cold_chain::{self as rules, Run};
use crate::domain::ids::{ClinicId, LotId};
use crate::domain::lot::{LotStatus, StatusChange};
use crate::domain::product::Storage;
use crate::domain::requests::{FridgeInput, ReadingInput};
use crate::domain::role::Action;
use crate::domain::{limits, optional_text, required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

pub fn create_fridge(conn: &mut Conn, actor: &Actor, input: FridgeInput) -> AppResult<Fridge> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut c = Checks::new();
    let name = c.take("name", required_text(&input.name, limits::NAME));
    let range = rules::range(input.min_celsius, input.max_celsius);
    let range = match range {
        Err(rules::ColdChainError::EmptyRange) => c.take("max_celsius", range),
        Err(_)
            if input
                .min_celsius
                .is_some_and(|m| rules::celsius(m).is_err()) =>
        {
            c.take("min_celsius", range)
        }
        _ => c.take("max_celsius", range),
    };
    let tolerance = c.take(
        "tolerance_minutes",
        rules::tolerance(input.tolerance_minutes),
    );
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(name), Some((min, max)), Some(tolerance)) = (name, range, tolerance) else {
        return Err(AppError::invalid("body", "invalid fridge"));
    };
    db::write_tx(conn, |conn| {
        if repo::by_name(conn, &clinic, &name)?.is_some() {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                format!("the clinic already has a fridge named {name:?}"),
            ));
        }
        let fridge = Fridge {
            id: db::new_id(),
            clinic_id: clinic.clone(),
            name,
            min_celsius: min,
            max_celsius: max,
            tolerance_minutes: tolerance,
            created_at: db::now(),
        };
        repo::insert(conn, &fridge)?;
        super::audit::record(
            conn,
            actor,
            super::audit::Subject::of(&clinic, "fridge", &fridge.id, "create"),
            None::<&()>,
            Some(&serde_json::json!({
                "name": fridge.name, "min_celsius": fridge.min_celsius.to_string(),
                "max_celsius": fridge.max_celsius.to_string(),
                "tolerance_minutes": fridge.tolerance_minutes,
            })),
        )?;
        Ok(fridge)
    })
}

/// A fridge with when it last reported.
pub struct FridgeState {
    pub fridge: Fridge,
    pub last_reading_at: Option<NaiveDateTime>,
}

pub fn list_fridges(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<FridgeState>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let last = repo::last_reading_at(conn, clinic)?;
    Ok(repo::list(conn, clinic)?
        .into_iter()
        .map(|fridge| FridgeState {
            last_reading_at: last
                .iter()
                .find(|(id, _)| *id == fridge.id)
                .and_then(|(_, at)| *at),
            fridge,
        })
        .collect())
}

pub fn get_fridge(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<Fridge> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    fridge_in(conn, clinic, id)
}

fn fridge_in(conn: &mut Conn, clinic: &ClinicId, id: &str) -> AppResult<Fridge> {
    repo::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("fridge {id}")))
}

/// One fridge with when it last reported.
pub fn fridge_state(conn: &mut Conn, actor: &Actor, id: &str) -> AppResult<FridgeState> {
    let fridge = get_fridge(conn, actor, id)?;
    Ok(FridgeState {
        last_reading_at: repo::last_reading_of(conn, &fridge.id)?,
        fridge,
    })
}

/// The lots in a fridge (read with the caller's rights) now: (lot id, lot number).
pub fn lots_inside(conn: &mut Conn, fridge: &Fridge) -> AppResult<Vec<(LotId, String)>> {
    Ok(repo::lots_in_fridge(conn, &fridge.id)?)
}

/// What storing readings found: how many were new, and the excursions they are part of,
/// each with every lot that was in the fridge during it.
pub struct ReadingsStored {
    pub stored: usize,
    pub excursions: Vec<(Excursion, Vec<LotId>)>,
}

/// Stores a fridge's readings (a reading already known at that time is kept once) and
/// finds the excursions they make: each new one quarantines every lot that was in the
/// fridge during it.
pub fn add_readings(
    conn: &mut Conn,
    actor: &Actor,
    fridge_id: &str,
    readings: Vec<ReadingInput>,
) -> AppResult<ReadingsStored> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    limits::list_len("readings", readings.len())?;
    let mut c = Checks::new();
    let checked = check_readings(readings.iter().map(|r| (r.at, r.celsius)), |i, f, m| {
        c.fail(&format!("readings[{i}].{f}"), m)
    });
    c.into_result().map_err(AppError::Invalid)?;
    db::write_tx(conn, |conn| {
        let fridge = fridge_in(conn, &clinic, fridge_id)?;
        store(conn, actor, &fridge, checked)
    })
}

/// Readings checked one by one: a time not ahead of now, a temperature a probe can
/// read. A bad one is handed to `fail(index, field, message)` and left out; the rest
/// come back oldest first.
pub(crate) fn check_readings(
    readings: impl Iterator<Item = (DateTime<Utc>, Decimal)>,
    mut fail: impl FnMut(usize, &str, String),
) -> Vec<(NaiveDateTime, Decimal)> {
    let now = db::now();
    let mut out = Vec::new();
    for (i, (at, celsius)) in readings.enumerate() {
        let at = at.naive_utc();
        if at > now + Duration::minutes(5) {
            fail(i, "at", "is ahead of time: send readings once taken".into());
        }
        match rules::celsius(celsius) {
            Ok(celsius) => out.push((at, celsius)),
            Err(e) => fail(i, "celsius", e.to_string()),
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out
}

/// Writes checked readings and re-reads the stretch around them for excursions. Call in a
/// write transaction.
pub(crate) fn store(
    conn: &mut Conn,
    actor: &Actor,
    fridge: &Fridge,
    readings: Vec<(NaiveDateTime, Decimal)>,
) -> AppResult<ReadingsStored> {
    let (Some(first), Some(last)) = (readings.first(), readings.last()) else {
        return Ok(ReadingsStored {
            stored: 0,
            excursions: Vec::new(),
        });
    };
    let (lo, hi) = (first.0, last.0);
    let stored = repo::add_readings(conn, &fridge.id, &readings)?;
    let (min, max) = (fridge.min_celsius, fridge.max_celsius);
    // A run the new readings belong to may have begun before them and end after them:
    // read from the last reading in range before to the first in range after.
    let from =
        repo::nearest_in_range(conn, &fridge.id, lo, (min, max), false)?.unwrap_or_else(earliest);
    let to = repo::nearest_in_range(conn, &fridge.id, hi, (min, max), true)?.unwrap_or_else(latest);
    let stretch = repo::readings(conn, &fridge.id, from, to)?;
    let runs = rules::excursions(&stretch, min, max, fridge.tolerance_minutes);
    let known = repo::excursions_overlapping(conn, &fridge.id, from, to)?;
    let mut found = Vec::new();
    for run in runs {
        found.push(record_run(conn, actor, fridge, &known, run)?);
    }
    Ok(ReadingsStored {
        stored,
        excursions: found,
    })
}

/// Saves one excursion (new, or a known one that grew) and quarantines the lots that were
/// in the fridge during it and are not yet known to have been.
fn record_run(
    conn: &mut Conn,
    actor: &Actor,
    fridge: &Fridge,
    known: &[Excursion],
    run: Run,
) -> AppResult<(Excursion, Vec<LotId>)> {
    let run_end = run.ended_at.unwrap_or_else(latest);
    let same = known
        .iter()
        .find(|e| e.started_at <= run_end && e.ended_at.is_none_or(|end| end >= run.started_at));
    let excursion = Excursion {
        id: same.map_or_else(db::new_id, |e| e.id.clone()),
        clinic_id: fridge.clinic_id.clone(),
        fridge_id: fridge.id.clone(),
        started_at: run.started_at,
        ended_at: run.ended_at,
        min_celsius: run.min_celsius,
        max_celsius: run.max_celsius,
    };
    repo::save_excursion(conn, &excursion, same.is_none())?;
    let already = repo::lots_of_excursion(conn, &excursion.id)?;
    let inside: Vec<LotId> =
        repo::lots_in_fridge_during(conn, &fridge.id, excursion.started_at, excursion.ended_at)?
            .into_iter()
            .filter(|l| !already.contains(l))
            .collect();
    repo::add_excursion_lots(conn, &excursion.id, &inside)?;
    let reason = excursion_reason(fridge, &excursion);
    for lot_id in &inside {
        let lot = lot_rows::get(conn, &fridge.clinic_id, lot_id)?;
        if lot.is_some_and(|l| l.status == LotStatus::Available) {
            super::lots::change_status(conn, actor, lot_id, StatusChange::Quarantine, &reason)?;
        }
    }
    let mut lots = already;
    lots.extend(inside);
    lots.sort();
    Ok((excursion, lots))
}

/// The quarantine reason: which fridge, which excursion, how warm or cold.
fn excursion_reason(fridge: &Fridge, e: &Excursion) -> String {
    let end = e.ended_at.map_or("ongoing".to_string(), |t| {
        t.format("%Y-%m-%d %H:%M").to_string()
    });
    format!(
        "fridge {}: excursion {} from {} to {} UTC, {} to {} °C outside {} to {} °C",
        fridge.name,
        e.id,
        e.started_at.format("%Y-%m-%d %H:%M"),
        end,
        e.min_celsius,
        e.max_celsius,
        fridge.min_celsius,
        fridge.max_celsius
    )
}

/// Bounds of "all readings" that both databases store and compare as times (chrono's
/// own extremes are outside PostgreSQL's range and sort wrongly as SQLite text).
fn earliest() -> NaiveDateTime {
    chrono::DateTime::from_timestamp(0, 0)
        .unwrap_or_default()
        .naive_utc()
}

fn latest() -> NaiveDateTime {
    // 9999-12-31T00:00:00Z
    chrono::DateTime::from_timestamp(253_402_214_400, 0)
        .unwrap_or_default()
        .naive_utc()
}

/// The most readings one request returns.
pub const READINGS_PER_ANSWER: i64 = 50_000;

/// A fridge's readings between two times (default: the last 24 hours).
pub fn readings(
    conn: &mut Conn,
    actor: &Actor,
    fridge_id: &str,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> AppResult<Vec<(NaiveDateTime, Decimal)>> {
    let fridge = get_fridge(conn, actor, fridge_id)?;
    let to = to.unwrap_or_else(db::now);
    let from = from.unwrap_or(to - Duration::hours(24));
    if from > to {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    // A minute's readings for 35 days at most: a month's chart, never a year in one answer.
    if to - from > Duration::minutes(READINGS_PER_ANSWER) {
        return Err(AppError::invalid(
            "to",
            format!(
                "ask for at most {} days at a time",
                READINGS_PER_ANSWER / (24 * 60)
            ),
        ));
    }
    Ok(repo::readings(conn, &fridge.id, from, to)?)
}

pub fn excursions(
    conn: &mut Conn,
    actor: &Actor,
    fridge_id: &str,
) -> AppResult<Vec<(Excursion, Vec<LotId>)>> {
    let fridge = get_fridge(conn, actor, fridge_id)?;
    repo::excursions_of_fridge(conn, &fridge.id)?
        .into_iter()
        .map(|e| {
            let lots = repo::lots_of_excursion(conn, &e.id)?;
            Ok((e, lots))
        })
        .collect()
}

/// Puts a lot in a fridge (its first place, or a move), recorded with time and person.
pub fn move_lot(
    conn: &mut Conn,
    actor: &Actor,
    lot_id: &LotId,
    fridge_id: &str,
    reason: &str,
) -> AppResult<Place> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason =
        required_text(reason, limits::REASON).map_err(|e| AppError::invalid("reason", e))?;
    db::write_tx(conn, |conn| {
        let lot = super::lots::get_lot_in(conn, &clinic, lot_id)?;
        let fridge = repo::get(conn, &clinic, fridge_id)?.ok_or_else(|| {
            AppError::invalid("fridge_id", format!("no fridge {fridge_id} in this clinic"))
        })?;
        let current = repo::places_of_lot(conn, &clinic, &lot.id)?
            .into_iter()
            .find(|(p, _)| p.to_at.is_none());
        if current
            .as_ref()
            .is_some_and(|(p, _)| p.fridge_id == fridge.id)
        {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                format!("lot {} is already in {}", lot.lot_number, fridge.name),
            ));
        }
        place_lot(
            conn,
            actor,
            &clinic,
            &lot.id,
            &fridge,
            db::now(),
            Some(reason),
        )
    })
}

/// Records that a lot is in `fridge` from `at` on (receiving, or a move).
pub(crate) fn place_lot(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    lot_id: &LotId,
    fridge: &Fridge,
    at: NaiveDateTime,
    reason: Option<String>,
) -> AppResult<Place> {
    let place = Place {
        id: db::new_id(),
        clinic_id: clinic.clone(),
        lot_id: lot_id.clone(),
        fridge_id: fridge.id.clone(),
        from_at: at,
        to_at: None,
        moved_by: actor.staff_id.clone(),
        reason: optional_text(reason.as_deref(), limits::REASON)
            .ok()
            .flatten(),
    };
    repo::place(conn, &place)?;
    Ok(place)
}

/// Where a received lot goes: into `fridge_id` from `received_at` (a lot already there
/// stays). A refrigerated product must go into a fridge once the clinic has one. Call in
/// the receipt's transaction.
pub(crate) fn receive_into(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    product: &Product,
    lot_id: &LotId,
    fridge_id: Option<&str>,
    received_at: NaiveDateTime,
) -> AppResult<()> {
    let current = repo::places_of_lot(conn, clinic, lot_id)?
        .into_iter()
        .find(|(p, _)| p.to_at.is_none());
    let Some(fridge_id) = fridge_id else {
        if product.storage == Storage::Refrigerated
            && current.is_none()
            && !repo::list(conn, clinic)?.is_empty()
        {
            return Err(AppError::invalid(
                "fridge_id",
                format!(
                    "{} is kept refrigerated: give the fridge it goes into (GET /api/v1/fridges)",
                    product.sku
                ),
            ));
        }
        return Ok(());
    };
    let fridge = repo::get(conn, clinic, fridge_id)?.ok_or_else(|| {
        AppError::invalid("fridge_id", format!("no fridge {fridge_id} in this clinic"))
    })?;
    // A new lot was in the fridge from its arrival; a known lot put elsewhere moves now.
    let at = match current {
        Some((p, _)) if p.fridge_id == fridge.id => return Ok(()),
        Some(_) => db::now(),
        None => received_at,
    };
    place_lot(
        conn,
        actor,
        clinic,
        lot_id,
        &fridge,
        at,
        Some("received".into()),
    )?;
    Ok(())
}

/// Where a lot was kept (with each fridge's name) and the excursions it went through.
pub struct ColdChain {
    pub places: Vec<(Place, String)>,
    pub excursions: Vec<(Excursion, String)>,
}

pub fn of_lot(conn: &mut Conn, clinic: &ClinicId, lot_id: &LotId) -> AppResult<ColdChain> {
    Ok(ColdChain {
        places: repo::places_of_lot(conn, clinic, lot_id)?,
        excursions: repo::excursions_of_lot(conn, clinic, lot_id)?,
    })
}

/// What the alerts show of the cold chain.
pub struct FridgeAlerts {
    /// Excursions still going on or ended within the last 7 days.
    pub excursions: i64,
    /// Fridges with no reading for `SILENT_AFTER_MINUTES` (or none since they were added
    /// that long ago): (id, name, last reading).
    pub silent: Vec<(String, String, Option<NaiveDateTime>)>,
}

pub fn alerts(conn: &mut Conn, clinic: &ClinicId) -> AppResult<FridgeAlerts> {
    let now = db::now();
    let last = repo::last_reading_at(conn, clinic)?;
    let silent = repo::list(conn, clinic)?
        .into_iter()
        .filter_map(|f| {
            let at = last
                .iter()
                .find(|(id, _)| *id == f.id)
                .and_then(|(_, a)| *a);
            rules::is_silent(at, f.created_at, now).then_some((f.id, f.name, at))
        })
        .collect();
    Ok(FridgeAlerts {
        excursions: repo::excursions_since(conn, clinic, now - Duration::days(7))?,
        silent,
    })
}
