//! The cold chain: fridges, their readings and excursions, and moving a lot between them.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::cold_chain::{Excursion, Fridge, Place};
use crate::domain::ids::{LotId, StaffId};
use crate::domain::requests::{FridgeInput, MoveInput, ReadingsInput, ReadingsQuery};
use crate::error::AppResult;
use crate::services::cold_chain::{self};
use crate::services::{optional_time, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct LotInside {
    pub lot_id: LotId,
    pub lot_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FridgeView {
    pub id: String,
    pub name: String,
    #[schema(value_type = String, example = "2")]
    pub min_celsius: Decimal,
    #[schema(value_type = String, example = "8")]
    pub max_celsius: Decimal,
    pub tolerance_minutes: i64,
    pub created_at: DateTime<Utc>,
    pub last_reading_at: Option<DateTime<Utc>>,
    /// The lots in the fridge now (on `GET /fridges/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lots: Option<Vec<LotInside>>,
}

fn fridge_view(
    f: Fridge,
    last: Option<NaiveDateTime>,
    lots: Option<Vec<(LotId, String)>>,
) -> FridgeView {
    FridgeView {
        id: f.id,
        name: f.name,
        min_celsius: f.min_celsius,
        max_celsius: f.max_celsius,
        tolerance_minutes: f.tolerance_minutes,
        created_at: f.created_at.and_utc(),
        last_reading_at: last.map(|t| t.and_utc()),
        lots: lots.map(|l| {
            l.into_iter()
                .map(|(lot_id, lot_number)| LotInside { lot_id, lot_number })
                .collect()
        }),
    }
}

/// Add a fridge (manager): a range of 2–8 °C and a 30-minute tolerance unless given.
#[utoipa::path(tag = "cold-chain", request_body = FridgeInput,
    responses((status = 201, body = FridgeView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/fridges")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<FridgeInput>,
) -> AppResult<HttpResponse> {
    let f = run(&state, move |conn| {
        cold_chain::create_fridge(conn, &actor, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(fridge_view(f, None, None)))
}

/// The clinic's fridges, by name, with when each last reported.
#[utoipa::path(tag = "cold-chain", responses((status = 200, body = Vec<FridgeView>)), security(("bearer" = [])))]
#[get("/fridges")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let fridges = run(&state, move |conn| cold_chain::list_fridges(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(
        fridges
            .into_iter()
            .map(|s| fridge_view(s.fridge, s.last_reading_at, None))
            .collect::<Vec<_>>(),
    ))
}

/// One fridge with the lots in it now.
#[utoipa::path(tag = "cold-chain", params(("id" = String, Path)),
    responses((status = 200, body = FridgeView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/fridges/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (state_of, lots) = run(&state, move |conn| {
        let one = cold_chain::fridge_state(conn, &actor, &id)?;
        let lots = cold_chain::lots_inside(conn, &one.fridge)?;
        Ok((one, lots))
    })
    .await?;
    Ok(HttpResponse::Ok().json(fridge_view(
        state_of.fridge,
        state_of.last_reading_at,
        Some(lots),
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExcursionView {
    pub id: String,
    pub fridge_id: String,
    pub started_at: DateTime<Utc>,
    /// The first reading back in range; null while it goes on.
    pub ended_at: Option<DateTime<Utc>>,
    #[schema(value_type = String, example = "11.5")]
    pub min_celsius: Decimal,
    #[schema(value_type = String, example = "14")]
    pub max_celsius: Decimal,
    /// Every lot that was in the fridge during it (quarantined when it was found).
    pub lots: Vec<LotId>,
}

fn excursion_view(e: Excursion, lots: Vec<LotId>) -> ExcursionView {
    ExcursionView {
        id: e.id,
        fridge_id: e.fridge_id,
        started_at: e.started_at.and_utc(),
        ended_at: e.ended_at.map(|t| t.and_utc()),
        min_celsius: e.min_celsius,
        max_celsius: e.max_celsius,
        lots,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingsStoredView {
    /// Readings that were new (one already stored at that time is kept once).
    pub stored: usize,
    /// The excursions these readings are part of.
    pub excursions: Vec<ExcursionView>,
}

/// Store a fridge's readings (manager). A run out of range longer than the fridge's
/// tolerance is an excursion: every lot that was in the fridge meanwhile is quarantined.
#[utoipa::path(tag = "cold-chain", params(("id" = String, Path)), request_body = ReadingsInput,
    responses((status = 200, body = ReadingsStoredView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[post("/fridges/{id}/readings")]
pub async fn add_readings(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: Json<ReadingsInput>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let sent = body.0.readings;
    let (stored, found) = run(&state, move |conn| {
        let done = cold_chain::add_readings(conn, &actor, &id, sent)?;
        Ok((done.stored, with_lots(done.excursions)))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReadingsStoredView {
        stored,
        excursions: found,
    }))
}

/// Excursions as answered, each with the lots it touched.
pub(super) fn with_lots(found: Vec<(Excursion, Vec<LotId>)>) -> Vec<ExcursionView> {
    found
        .into_iter()
        .map(|(e, lots)| excursion_view(e, lots))
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingView {
    pub at: DateTime<Utc>,
    #[schema(value_type = String, example = "4.5")]
    pub celsius: Decimal,
}

/// A fridge's readings, oldest first.
#[utoipa::path(tag = "cold-chain", params(("id" = String, Path), ReadingsQuery),
    responses((status = 200, body = Vec<ReadingView>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/fridges/{id}/readings")]
pub async fn readings(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    q: Query<ReadingsQuery>,
) -> AppResult<HttpResponse> {
    let from = optional_time("from", q.0.from.as_deref())?;
    let to = optional_time("to", q.0.to.as_deref())?;
    let id = id.into_inner();
    let rows = run(&state, move |conn| {
        cold_chain::readings(conn, &actor, &id, from, to)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|(at, celsius)| ReadingView {
                at: at.and_utc(),
                celsius,
            })
            .collect::<Vec<_>>(),
    ))
}

/// A fridge's excursions, oldest first, each with the lots it touched.
#[utoipa::path(tag = "cold-chain", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ExcursionView>), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/fridges/{id}/excursions")]
pub async fn excursions(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let found = run(&state, move |conn| {
        cold_chain::excursions(conn, &actor, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        found
            .into_iter()
            .map(|(e, l)| excursion_view(e, l))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    pub fridge_id: String,
    pub fridge: String,
    pub from: DateTime<Utc>,
    /// Null: the lot is there now.
    pub to: Option<DateTime<Utc>>,
    pub moved_by: StaffId,
    pub reason: Option<String>,
}

pub fn place_view(p: Place, fridge: String) -> PlaceView {
    PlaceView {
        fridge_id: p.fridge_id,
        fridge,
        from: p.from_at.and_utc(),
        to: p.to_at.map(|t| t.and_utc()),
        moved_by: p.moved_by,
        reason: p.reason,
    }
}

/// Put a lot in a fridge, or move it to another (manager), with a reason.
#[utoipa::path(tag = "cold-chain", params(("id" = String, Path)), request_body = MoveInput,
    responses((status = 200, body = PlaceView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[post("/lots/{id}/move")]
pub async fn move_lot(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
    body: Json<MoveInput>,
) -> AppResult<HttpResponse> {
    let (lot_id, input) = (id.into_inner(), body.0);
    let (place, name) = run(&state, move |conn| {
        let place = cold_chain::move_lot(conn, &actor, &lot_id, &input.fridge_id, &input.reason)?;
        let fridge = cold_chain::get_fridge(conn, &actor, &place.fridge_id)?;
        Ok((place, fridge.name))
    })
    .await?;
    Ok(HttpResponse::Ok().json(place_view(place, name)))
}
