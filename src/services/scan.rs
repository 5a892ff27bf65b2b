//! Scanning: what a GS1 code names in this clinic.

use super::{today, Actor};
use crate::db::lots::Lot;
use crate::db::products::{self, Product};
use crate::db::Conn;
use crate::domain::gs1::Scan;
use crate::domain::ids::ClinicId;
use crate::domain::role::Action;
use crate::error::{AppError, AppResult};

/// What a scanned GS1 code names in this clinic.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub scan: Scan,
    pub product: Option<Product>,
    pub lot: Option<Lot>,
}

/// Parses a scanned code and finds its product by GTIN: what a receipt needs, since its
/// lot may not exist yet (nor its number's other spellings matter).
pub fn product_of_code(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    code: &str,
) -> AppResult<(Scan, Option<Product>)> {
    let scan = crate::domain::gs1::parse(code, today())
        .map_err(|e| AppError::invalid(field, e.to_string()))?;
    let product = match &scan.gtin {
        Some(g) => products::find_by_gtin(conn, clinic, g.as_str())?,
        None => None,
    };
    Ok((scan, product))
}

/// Parses a scanned code and finds its product (by GTIN) and lot (by number, exact or
/// else ignoring case).
pub fn scan_in(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    code: &str,
) -> AppResult<ScanResult> {
    let (scan, product) = product_of_code(conn, clinic, field, code)?;
    let lot = match (&product, &scan.lot_number) {
        (Some(p), Some(n)) => super::lots::find_by_number(conn, clinic, &p.id, n)?,
        _ => None,
    };
    Ok(ScanResult { scan, product, lot })
}

pub fn scan(conn: &mut Conn, actor: &Actor, code: &str) -> AppResult<ScanResult> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    scan_in(conn, clinic, "code", code)
}
