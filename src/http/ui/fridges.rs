//! The cold chain's pages: `/fridges` (the fridges, a manager adds one) and
//! `/fridges/{id}?hours=|from=&to=` (the temperature chart over a period with the range
//! and the excursions shaded, the lots inside, the excursions and a manager's manual
//! reading). Every clinic role may read them, like `/stock`; writing is the manager's
//! (the services refuse the others with a 403). Rules and numbers are
//! `services::cold_chain`'s.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::chart::{self, Plot, Rect};
use super::session::WebConfig;
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::db::cold_chain::{Excursion, Fridge};
use crate::domain::cold_chain::is_silent;
use crate::domain::ids::LotId;
use crate::domain::quantity::parse_decimal;
use crate::domain::requests::{FridgeInput, ReadingInput};
use crate::domain::role::{allows, Action};
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::cold_chain::{self};
use crate::services::lots;

/// Times on these pages are UTC, as typed and as shown.
const MINUTE: &str = "%Y-%m-%d %H:%M";
/// The `datetime-local` input's form.
const LOCAL: &str = "%Y-%m-%dT%H:%M";

fn celsius_range(f: &Fridge) -> String {
    format!("{} to {} °C", f.min_celsius, f.max_celsius)
}

/// An optional number typed in a form: empty is "not given" (the service's default).
fn typed<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    error: &mut Option<String>,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match parse(text) {
        Ok(v) => Some(v),
        Err(e) => {
            *error = Some(e);
            None
        }
    }
}

fn decimal(text: &str) -> Result<Decimal, String> {
    parse_decimal(text).map_err(|e| e.to_string())
}

// ---- /fridges

struct FridgeRow {
    id: String,
    name: String,
    range: String,
    tolerance: String,
    last_reading: String,
    silent: bool,
}

/// The add-a-fridge form as typed, with each field's error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FridgeBody {
    name: String,
    min_celsius: String,
    max_celsius: String,
    tolerance_minutes: String,
}

#[derive(Default)]
struct FridgeErrors {
    name: Option<String>,
    min_celsius: Option<String>,
    max_celsius: Option<String>,
    tolerance_minutes: Option<String>,
    alert: Option<String>,
}

#[derive(Template)]
#[template(path = "stock/fridges.html")]
struct FridgesPage {
    frame: Frame,
    csrf_token: String,
    rows: Vec<FridgeRow>,
    manages: bool,
    form: FridgeBody,
    errors: FridgeErrors,
}

#[get("/fridges")]
pub async fn fridges_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    fridges_view(
        &state,
        &session,
        FridgeBody::default(),
        FridgeErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn fridges_view(
    state: &AppState,
    session: &WebSession,
    form: FridgeBody,
    errors: FridgeErrors,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let fridges = run(state, move |conn| cold_chain::list_fridges(conn, &actor)).await?;
    let now = crate::db::now();
    Ok(page(
        status,
        &FridgesPage {
            frame: Frame::at("Fridges", "/fridges", Some(session)),
            csrf_token: session.csrf_token.clone(),
            rows: fridges
                .into_iter()
                .map(|s| FridgeRow {
                    silent: is_silent(s.last_reading_at, s.fridge.created_at, now),
                    last_reading: s
                        .last_reading_at
                        .map_or_else(|| "never".into(), |t| t.format(MINUTE).to_string()),
                    range: celsius_range(&s.fridge),
                    tolerance: format!("{} min", s.fridge.tolerance_minutes),
                    id: s.fridge.id,
                    name: s.fridge.name,
                })
                .collect(),
            manages: allows(session.actor.role, Action::ManageStock),
            form,
            errors,
        },
    ))
}

/// Adds a fridge through `services::cold_chain::create_fridge`, then shows it.
#[post("/fridges")]
pub async fn add_fridge(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: FridgeBody = posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let mut errors = FridgeErrors::default();
    let input = FridgeInput {
        name: form.name.clone(),
        min_celsius: typed(&form.min_celsius, decimal, &mut errors.min_celsius),
        max_celsius: typed(&form.max_celsius, decimal, &mut errors.max_celsius),
        tolerance_minutes: typed(
            &form.tolerance_minutes,
            |t| {
                t.parse::<i64>()
                    .map_err(|_| "must be a whole number of minutes".to_string())
            },
            &mut errors.tolerance_minutes,
        ),
    };
    let unreadable = errors.min_celsius.is_some()
        || errors.max_celsius.is_some()
        || errors.tolerance_minutes.is_some();
    if unreadable {
        return fridges_view(
            &state,
            &session,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let actor = session.actor.clone();
    match run(&state, move |conn| {
        cold_chain::create_fridge(conn, &actor, input)
    })
    .await
    {
        Ok(fridge) => Ok(see_other(&format!("/fridges/{}", fridge.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        let slot = match f.field.as_str() {
                            "name" => &mut errors.name,
                            "min_celsius" => &mut errors.min_celsius,
                            "max_celsius" => &mut errors.max_celsius,
                            "tolerance_minutes" => &mut errors.tolerance_minutes,
                            _ => &mut errors.alert,
                        };
                        *slot = Some(f.message);
                    }
                }
                other => errors.alert = Some(other.to_string()),
            }
            fridges_view(&state, &session, form, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- /fridges/{id}

/// The most readings listed as a table: a month of a logger's minutes would weigh
/// megabytes; the chart still draws them all.
const TABLE_READINGS: usize = 500;

/// The period presets offered, in hours: a day, a week, a month.
const PRESETS: [(i64, &str); 3] = [
    (24, "Last 24 h"),
    (168, "Last 7 days"),
    (720, "Last 30 days"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PeriodQuery {
    hours: String,
    /// Dates (UTC): from the start of `from` to the end of `to`.
    from: String,
    to: String,
    /// Set by the redirect after a manual reading: how many excursions it is part of.
    stored: String,
}

struct Preset {
    hours: i64,
    label: &'static str,
    current: bool,
}

/// One point of the chart's text alternative and the readings table.
struct ReadingRow {
    at: String,
    celsius: String,
}

struct Shade {
    rect: Rect,
    title: String,
}

struct ExcursionRow {
    from: String,
    to: String,
    temperatures: String,
    lots: Vec<(LotId, String)>,
}

/// The manual reading form as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReadingBody {
    at: String,
    celsius: String,
}

#[derive(Default)]
struct ReadingErrors {
    at: Option<String>,
    celsius: Option<String>,
}

#[derive(Template)]
#[template(path = "stock/fridge.html")]
struct FridgePage {
    frame: Frame,
    csrf_token: String,
    id: String,
    name: String,
    range: String,
    tolerance: String,
    presets: Vec<Preset>,
    from_date: String,
    to_date: String,
    from_error: Option<String>,
    to_error: Option<String>,
    /// The period shown, in words, and the chart (none when the period was refused).
    period: String,
    chart: Option<Chart>,
    readings: Vec<ReadingRow>,
    /// How many readings the period has (the table lists at most `TABLE_READINGS`).
    reading_count: usize,
    inside: Vec<(LotId, String)>,
    excursions: Vec<ExcursionRow>,
    manages: bool,
    reading: ReadingBody,
    reading_errors: ReadingErrors,
    notice: Option<String>,
}

struct Chart {
    width: i64,
    height: i64,
    axes: String,
    line: String,
    range: Rect,
    shades: Vec<Shade>,
    labels: chart::Labels,
    top: String,
    bottom: String,
    start: String,
    end: String,
}

/// The period asked for: presets in hours, or dates typed (either may be left empty).
/// A date that does not read is the error of its field.
fn period(
    q: &PeriodQuery,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, NaiveDateTime, i64), AppError> {
    let date = |field: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(|d| d.and_time(chrono::NaiveTime::MIN))
            .map_err(|_| AppError::invalid(field, "give a date as YYYY-MM-DD"))
    };
    if q.from.trim().is_empty() && q.to.trim().is_empty() {
        let hours = match q.hours.trim() {
            "" => 24,
            h => h
                .parse::<i64>()
                .map_err(|_| AppError::invalid("from", "choose one of the periods offered"))?,
        };
        return Ok((now - Duration::hours(hours), now, hours));
    }
    // `to` is a whole day: up to the end of it (or now, when empty).
    let to = match q.to.trim() {
        "" => now,
        t => date("to", t)? + Duration::days(1),
    };
    let from = match q.from.trim() {
        "" => to - Duration::hours(24),
        f => date("from", f)?,
    };
    Ok((from, to, 0))
}

#[get("/fridges/{id}")]
pub async fn fridge_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, UiError> {
    let q = q.into_inner();
    let notice = (!q.stored.is_empty()).then(|| match q.stored.as_str() {
        "0" => "Reading stored.".to_string(),
        n => format!(
            "Reading stored: part of {n} excursion(s); the lots inside during it are quarantined."
        ),
    });
    fridge_view(
        &state,
        &session,
        id.into_inner(),
        q,
        (ReadingBody::default(), ReadingErrors::default()),
        notice,
        StatusCode::OK,
    )
    .await
}

/// What the fridge page reads in one go.
struct Loaded {
    fridge: Fridge,
    readings: Result<Vec<(NaiveDateTime, Decimal)>, AppError>,
    inside: Vec<(LotId, String)>,
    excursions: Vec<(Excursion, Vec<(LotId, String)>)>,
}

async fn fridge_view(
    state: &AppState,
    session: &WebSession,
    id: String,
    q: PeriodQuery,
    (reading, reading_errors): (ReadingBody, ReadingErrors),
    notice: Option<String>,
    mut status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let now = crate::db::now();
    let asked = period(&q, now);
    let actor = session.actor.clone();
    let window = asked.as_ref().ok().map(|(f, t, _)| (*f, *t));
    let loaded = run(state, move |conn| {
        let fridge = cold_chain::get_fridge(conn, &actor, &id)?;
        let readings = match window {
            Some((from, to)) => {
                // A refused period is shown next to its field; anything else fails the page.
                match cold_chain::readings(conn, &actor, &id, Some(from), Some(to)) {
                    Err(e @ AppError::Invalid(_)) => Err(e),
                    other => Ok(other?),
                }
            }
            None => Ok(Vec::new()),
        };
        let inside = cold_chain::lots_inside(conn, &fridge)?;
        // Lot numbers of the excursions' lots, each read once.
        let mut numbers: HashMap<LotId, String> = inside.iter().cloned().collect();
        let excursions = cold_chain::excursions(conn, &actor, &id)?
            .into_iter()
            .map(|(e, lot_ids)| {
                let lots = lot_ids
                    .into_iter()
                    .map(|l| {
                        if let Some(n) = numbers.get(&l) {
                            return Ok((l, n.clone()));
                        }
                        let n = lots::get_lot(conn, &actor, &l)?.lot_number;
                        numbers.insert(l.clone(), n.clone());
                        Ok((l, n))
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                Ok((e, lots))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Loaded {
            fridge,
            readings,
            inside,
            excursions,
        })
    })
    .await?;
    let (mut from_error, mut to_error) = (None, None);
    let refused = match (&asked, &loaded.readings) {
        (Err(AppError::Invalid(errs)), _) | (_, Err(AppError::Invalid(errs))) => Some(errs),
        _ => None,
    };
    for f in refused.into_iter().flatten() {
        let slot = if f.field == "to" {
            &mut to_error
        } else {
            &mut from_error
        };
        *slot = Some(f.message.clone());
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let fridge = &loaded.fridge;
    let reading_count = loaded.readings.as_ref().map_or(0, Vec::len);
    let (chart, readings, period_text, hours) = match (&asked, &loaded.readings) {
        (Ok((from, to, hours)), Ok(readings)) => (
            Some(draw(fridge, *from, *to, readings, &loaded.excursions)),
            readings
                .iter()
                .take(TABLE_READINGS)
                .map(|(at, c)| ReadingRow {
                    at: at.format(MINUTE).to_string(),
                    celsius: format!("{} °C", c.normalize()),
                })
                .collect(),
            format!(
                "{} to {} UTC, {} reading(s)",
                from.format(MINUTE),
                to.format(MINUTE),
                readings.len()
            ),
            *hours,
        ),
        _ => (None, Vec::new(), String::new(), 0),
    };
    Ok(page(
        status,
        &FridgePage {
            frame: Frame::under(
                &format!("Fridge {}", fridge.name),
                "/fridges",
                Some(session),
            ),
            csrf_token: session.csrf_token.clone(),
            id: fridge.id.clone(),
            name: fridge.name.clone(),
            range: celsius_range(fridge),
            tolerance: format!("{} min", fridge.tolerance_minutes),
            presets: PRESETS
                .iter()
                .map(|(h, label)| Preset {
                    hours: *h,
                    label,
                    current: *h == hours,
                })
                .collect(),
            from_date: q.from,
            to_date: q.to,
            from_error,
            to_error,
            period: period_text,
            chart,
            readings,
            reading_count,
            inside: loaded.inside,
            excursions: loaded
                .excursions
                .into_iter()
                .rev()
                .map(|(e, lots)| ExcursionRow {
                    from: e.started_at.format(MINUTE).to_string(),
                    to: e
                        .ended_at
                        .map_or_else(|| "ongoing".into(), |t| t.format(MINUTE).to_string()),
                    temperatures: format!("{} to {} °C", e.min_celsius, e.max_celsius),
                    lots,
                })
                .collect(),
            manages: allows(session.actor.role, Action::ManageStock),
            reading,
            reading_errors,
            notice,
        },
    ))
}

/// The chart: x in minutes from `from`, the range as a band, each excursion that
/// overlaps the period as a shaded column with its title.
fn draw(
    fridge: &Fridge,
    from: NaiveDateTime,
    to: NaiveDateTime,
    readings: &[(NaiveDateTime, Decimal)],
    excursions: &[(Excursion, Vec<(LotId, String)>)],
) -> Chart {
    let minutes = |t: NaiveDateTime| (t - from).num_minutes();
    let plot = Plot::spanning(
        minutes(to),
        readings
            .iter()
            .map(|(_, c)| *c)
            .chain([fridge.min_celsius, fridge.max_celsius]),
    );
    let points: Vec<(i64, Decimal)> = readings.iter().map(|(at, c)| (minutes(*at), *c)).collect();
    let shades = excursions
        .iter()
        .filter(|(e, _)| e.started_at <= to && e.ended_at.is_none_or(|end| end >= from))
        .map(|(e, _)| {
            let end = e.ended_at.unwrap_or(to);
            Shade {
                rect: plot.column(minutes(e.started_at), minutes(end)),
                title: format!(
                    "Excursion from {} to {} UTC: {} to {} °C",
                    e.started_at.format(MINUTE),
                    e.ended_at
                        .map_or_else(|| "now".into(), |t| t.format(MINUTE).to_string()),
                    e.min_celsius,
                    e.max_celsius
                ),
            }
        })
        .collect();
    Chart {
        width: chart::WIDTH,
        height: chart::HEIGHT,
        axes: plot.axes(),
        line: plot.line(&points),
        range: plot.band(fridge.min_celsius, fridge.max_celsius),
        shades,
        labels: plot.labels(),
        top: format!("{} °C", plot.top()),
        bottom: format!("{} °C", plot.bottom()),
        start: format!("{} UTC", from.format(MINUTE)),
        end: format!("{} UTC", to.format(MINUTE)),
    }
}

/// A manager's manual reading through `services::cold_chain::add_readings` (a logger
/// posts through the API); an excursion it completes quarantines the lots inside.
#[post("/fridges/{id}/readings")]
pub async fn add_reading(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ReadingBody = posted(&req, &cfg, &session, &body)?;
    session.actor.clinic_for(Action::ManageStock)?;
    let id = id.into_inner();
    let mut errors = ReadingErrors::default();
    // Empty is now: a reading taken while standing at the fridge.
    let at = match form.at.trim() {
        "" => Some(chrono::Utc::now()),
        t => typed(
            t,
            |t| {
                NaiveDateTime::parse_from_str(t, LOCAL)
                    .map(|t| t.and_utc())
                    .map_err(|_| format!("{t:?} is not a date and time; use YYYY-MM-DDTHH:MM"))
            },
            &mut errors.at,
        ),
    };
    let celsius = if form.celsius.trim().is_empty() {
        errors.celsius = Some("give the temperature read, e.g. 4.5".into());
        None
    } else {
        typed(&form.celsius, decimal, &mut errors.celsius)
    };
    let (Some(at), Some(celsius)) = (at, celsius) else {
        return refused_reading(&state, &session, id, form, errors).await;
    };
    let (actor, fridge) = (session.actor.clone(), id.clone());
    match run(&state, move |conn| {
        cold_chain::add_readings(conn, &actor, &fridge, vec![ReadingInput { at, celsius }])
    })
    .await
    {
        Ok(stored) => Ok(see_other(&format!(
            "/fridges/{id}?stored={}",
            stored.excursions.len()
        ))),
        Err(AppError::Invalid(errs)) => {
            for f in errs {
                if f.field.ends_with(".at") {
                    errors.at = Some(f.message);
                } else {
                    errors.celsius = Some(f.message);
                }
            }
            refused_reading(&state, &session, id, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused_reading(
    state: &AppState,
    session: &WebSession,
    id: String,
    form: ReadingBody,
    errors: ReadingErrors,
) -> Result<HttpResponse, UiError> {
    fridge_view(
        state,
        session,
        id,
        PeriodQuery::default(),
        (form, errors),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, MINUTE).unwrap()
    }

    #[test]
    fn the_period_is_a_preset_or_whole_days() {
        let now = t("2026-11-20 10:30");
        let q = |hours: &str, from: &str, to: &str| PeriodQuery {
            hours: hours.into(),
            from: from.into(),
            to: to.into(),
            stored: String::new(),
        };
        let (from, to, h) = period(&q("", "", ""), now).unwrap();
        assert_eq!((from, to, h), (t("2026-11-19 10:30"), now, 24));
        assert_eq!(
            period(&q("168", "", ""), now).unwrap().0,
            t("2026-11-13 10:30")
        );
        let (from, to, h) = period(&q("24", "2026-11-01", "2026-11-02"), now).unwrap();
        assert_eq!(
            (from, to, h),
            (t("2026-11-01 00:00"), t("2026-11-03 00:00"), 0)
        );
        assert!(period(&q("", "1 Nov", ""), now).is_err());
        assert!(period(&q("many", "", ""), now).is_err());
    }
}
