//! The manager's forecast: `/forecast?days=` draws each product's projected stock, its
//! reorder point and its planned sessions as server-side SVG, with the table of days of
//! cover, stock-out dates and stock that will expire unused. The numbers are
//! `services::planning::forecast`'s, the same as `GET /api/v1/forecast`.

use crate::domain::ids::ProductId;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use super::chart::{self, Plot};
use super::{page, Frame, Signed, UiError};
use crate::db::products::Product;
use crate::domain::product::StockUnit;
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::planning::{self, ProductForecast};

/// The horizons offered; another one typed into the address is kept and offered too.
const HORIZONS: [i64; 3] = [30, 60, 90];
const DEFAULT_DAYS: i64 = 30;

struct Horizon {
    days: i64,
    selected: bool,
}

/// One product: its table row and its chart.
struct Line {
    id: ProductId,
    name: String,
    available: String,
    projected_use: String,
    cover: String,
    stock_out: String,
    expiring: String,
    /// The chart's text alternative.
    summary: String,
    stock_path: String,
    reorder_path: String,
    planned_path: String,
    /// The y axis' top label and the x axis' last date.
    top: String,
    until: String,
}

#[derive(Template)]
#[template(path = "planning/forecast.html")]
struct ForecastPage {
    frame: Frame,
    days: i64,
    horizons: Vec<Horizon>,
    days_error: Option<String>,
    lines: Vec<Line>,
    width: i64,
    height: i64,
    labels: chart::Labels,
    axes: String,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ForecastQuery {
    days: Option<String>,
}

/// "ml" reads well after a number; "piece" does not.
pub(super) fn unit_label(unit: StockUnit) -> &'static str {
    if unit == StockUnit::Piece {
        "pcs"
    } else {
        unit.as_str()
    }
}

/// A quantity as it can be used: ml to a tenth, pieces whole.
fn quantity(d: Decimal, unit: StockUnit) -> String {
    let places = if unit == StockUnit::Piece { 0 } else { 1 };
    let q = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    format!("{} {}", q.normalize(), unit_label(unit))
}

fn line(p: &Product, f: ProductForecast, days: i64, today: chrono::NaiveDate) -> Line {
    let unit = p.stock_unit;
    let stock_by_day = f.stock_by_day();
    let plot = Plot::new(
        days,
        stock_by_day
            .iter()
            .copied()
            .chain([f.available, p.reorder_point]),
    );
    let planned_days: Vec<i64> = f
        .planned
        .iter()
        .map(|(d, _)| (*d - today).num_days())
        .collect();
    let end = stock_by_day.last().copied().unwrap_or(f.available);
    let until = today + chrono::Duration::days(days);
    let stock_out = f.projection.stock_out_on.map(|d| d.to_string());
    let planned_dates: Vec<String> = f.planned.iter().map(|(d, _)| d.to_string()).collect();
    let summary = format!(
        "{}: {} available today; {} projected on {until}, reorder point {}. {} {}",
        p.name,
        quantity(f.available, unit),
        quantity(end.max(Decimal::ZERO), unit),
        quantity(p.reorder_point, unit),
        match &stock_out {
            Some(d) => format!("Runs out on {d}."),
            None => format!("Does not run out within {days} days."),
        },
        if planned_dates.is_empty() {
            "No planned session.".to_string()
        } else {
            format!(
                "{} planned session(s): {}.",
                planned_dates.len(),
                planned_dates.join(", ")
            )
        }
    );
    Line {
        id: p.id.clone(),
        name: format!("{} ({})", p.name, p.sku),
        available: quantity(f.available, unit),
        projected_use: quantity(f.projection.use_ahead, unit),
        // Whole days, rounded down: a part-day of cover does not last the day.
        cover: f.projection.days_of_cover.map_or_else(
            || "no use expected".to_string(),
            |c| format!("{} days", c.floor().normalize()),
        ),
        stock_out: stock_out.unwrap_or_else(|| "—".into()),
        expiring: if f.expiring_unused.is_empty() {
            "—".into()
        } else {
            f.expiring_unused
                .iter()
                .map(|(on, q)| format!("{} on {on}", quantity(*q, unit)))
                .collect::<Vec<_>>()
                .join("; ")
        },
        summary,
        stock_path: plot.steps(f.available, &stock_by_day),
        reorder_path: plot.level(p.reorder_point),
        planned_path: plot.marks(&planned_days),
        top: quantity(plot.top(), unit),
        until: until.to_string(),
    }
}

/// The forecast over the chosen horizon (30 days unless `days` says otherwise).
#[get("/forecast")]
pub async fn forecast_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<ForecastQuery>,
) -> Result<HttpResponse, UiError> {
    let typed = q.into_inner().days.unwrap_or_default();
    let parsed = if typed.trim().is_empty() {
        Ok(DEFAULT_DAYS)
    } else {
        typed.trim().parse::<i64>().map_err(|_| {
            AppError::invalid(
                "days",
                "give the horizon as a whole number of days, e.g. 30",
            )
        })
    };
    let actor = session.actor.clone();
    let answer = match parsed {
        Ok(days) => run(&state, move |conn| planning::forecast(conn, &actor, days))
            .await
            .map(|a| (days, a)),
        Err(e) => Err(e),
    };
    let days = answer.as_ref().map_or(DEFAULT_DAYS, |(d, _)| *d);
    let (lines, days_error, today, status) = match answer {
        Ok((days, (outlook, forecasts))) => (
            outlook
                .planned_products()
                .map(|p| p.product)
                .zip(forecasts)
                .map(|(p, f)| line(p, f, days, outlook.today))
                .collect(),
            None,
            outlook.today.to_string(),
            StatusCode::OK,
        ),
        // A horizon the service refuses is shown next to the selector.
        Err(AppError::Invalid(errs)) => (
            Vec::new(),
            Some(
                errs.into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let mut offered: Vec<i64> = HORIZONS.to_vec();
    if days_error.is_none() && !offered.contains(&days) {
        offered.push(days);
        offered.sort_unstable();
    }
    let plot = Plot::new(days, []);
    Ok(page(
        status,
        &ForecastPage {
            frame: Frame::at("Forecast", "/forecast", Some(&session)),
            days,
            horizons: offered
                .into_iter()
                .map(|d| Horizon {
                    days: d,
                    selected: d == days,
                })
                .collect(),
            days_error,
            lines,
            width: chart::WIDTH,
            height: chart::HEIGHT,
            labels: plot.labels(),
            axes: plot.axes(),
            today,
        },
    ))
}
