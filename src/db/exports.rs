//! Export queries. Each is one statement whose rows are handed over as the database
//! produces them (SQLite steps the statement; PostgreSQL sends rows in row-by-row mode),
//! so an export of any size is planned once and holds one row in memory. Run them inside
//! `read_snapshot` to see one consistent state.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::DefaultLoadingMode;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
use rust_decimal::Decimal;

use super::types::{Scaled, ScaledOpt};
use super::{Conn, DbError};
use crate::domain::ids::{ClinicId, ProductId, SessionId};

/// Export filters. Empty strings mean "any".
#[derive(Debug, Clone)]
pub struct ExportFilter {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub product_id: ProductId,
    pub lot_number: String,
}

impl Default for ExportFilter {
    fn default() -> Self {
        ExportFilter {
            from: NaiveDate::from_ymd_opt(1900, 1, 1)
                .unwrap_or_default()
                .and_time(chrono::NaiveTime::MIN),
            to: NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap_or_default()
                .and_time(chrono::NaiveTime::MIN),
            product_id: ProductId::default(),
            lot_number: String::new(),
        }
    }
}

/// Runs `$sql` (written with `$n` placeholders) with the binds `$bind` makes of `$q`, and
/// calls `$each` with every row in order. One expansion per backend, because each
/// streams with its own loading mode.
macro_rules! stream {
    ($conn:expr, $sql:expr, $row:ty, $each:expr, |$q:ident| $bind:expr) => {{
        match $conn {
            Conn::Sqlite(c) => {
                let $q = diesel::sql_query($sql.replace('$', "?"));
                for row in ($bind).load_iter::<$row, DefaultLoadingMode>(c)? {
                    ($each)(row?)?;
                }
            }
            Conn::Pg(c) => {
                let $q = diesel::sql_query($sql);
                for row in ($bind).load_iter::<$row, PgRowByRowLoadingMode>(c)? {
                    ($each)(row?)?;
                }
            }
        }
        Ok(())
    }};
}

#[derive(Debug, QueryableByName)]
pub struct TraceRow {
    #[diesel(sql_type = Text)]
    pub session_id: SessionId,
    #[diesel(sql_type = Timestamp)]
    pub performed_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub patient_ref: String,
    #[diesel(sql_type = Text)]
    pub practitioner: String,
    #[diesel(sql_type = Text)]
    pub area: String,
    #[diesel(sql_type = Text)]
    pub method: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub formulation: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub formulation_version: Option<i64>,
    #[diesel(sql_type = Text)]
    pub product_sku: String,
    #[diesel(sql_type = Text)]
    pub product_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub gtin: Option<String>,
    #[diesel(sql_type = Text)]
    pub lot_number: String,
    #[diesel(sql_type = Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub quantity: Decimal,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub session_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub override_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gs1_serial: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gs1_raw: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub area_override_reason: Option<String>,
    /// Cold-chain excursions the lot went through.
    #[diesel(sql_type = BigInt)]
    pub excursions: i64,
}

/// One row per lot used per session, in time order (the `sessions_keyset` index gives
/// the order).
pub fn traceability<E: From<DbError>>(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    each: &mut dyn FnMut(TraceRow) -> Result<(), E>,
) -> Result<(), E> {
    let sql = "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, s.area, s.method, \
           fv.name AS formulation, s.formulation_version, p.sku AS product_sku, p.name AS product_name, p.gtin, \
           l.lot_number, l.expires_on, u.quantity, p.stock_unit AS unit, s.status AS session_status, \
           s.override_reason, u.gs1_serial, u.gs1_raw, s.area_override_reason, \
           (SELECT COUNT(*) FROM excursion_lots x WHERE x.lot_id = l.id) AS excursions \
         FROM sessions s \
         JOIN session_usage u ON u.session_id = s.id \
         JOIN staff st ON st.id = s.practitioner_id \
         JOIN products p ON p.id = u.product_id \
         JOIN lots l ON l.id = u.lot_id \
         LEFT JOIN formulation_versions fv ON fv.formulation_id = s.formulation_id AND fv.version = s.formulation_version \
         WHERE s.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3 \
           AND ($4 = '' OR u.product_id = $4) AND ($5 = '' OR l.lot_number = $5) \
         ORDER BY s.performed_at, s.id, u.position";
    stream!(conn, sql, TraceRow, each, |q| q
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id)
        .bind::<Text, _>(&f.lot_number))
}

#[derive(Debug, QueryableByName)]
pub struct MovementRow {
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub product_sku: String,
    #[diesel(sql_type = Text)]
    pub product_name: String,
    #[diesel(sql_type = Text)]
    pub lot_number: String,
    #[diesel(sql_type = Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub quantity: Decimal,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub session_id: Option<SessionId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reverses_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gs1_serial: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gs1_raw: Option<String>,
}

/// The ledger in time order (the `movements_keyset` index gives the order).
pub fn movements<E: From<DbError>>(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    each: &mut dyn FnMut(MovementRow) -> Result<(), E>,
) -> Result<(), E> {
    let sql = "SELECT m.created_at, m.id, m.kind, p.sku AS product_sku, p.name AS product_name, l.lot_number, \
           l.expires_on, m.quantity, p.stock_unit AS unit, st.name AS actor, m.reason, m.session_id, m.reverses_id, \
           m.gs1_serial, m.gs1_raw \
         FROM movements m \
         JOIN lots l ON l.id = m.lot_id \
         JOIN products p ON p.id = m.product_id \
         JOIN staff st ON st.id = m.actor_id \
         WHERE m.clinic_id = $1 AND m.created_at >= $2 AND m.created_at < $3 \
           AND ($4 = '' OR m.product_id = $4) AND ($5 = '' OR l.lot_number = $5) \
         ORDER BY m.created_at, m.id";
    stream!(conn, sql, MovementRow, each, |q| q
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id)
        .bind::<Text, _>(&f.lot_number))
}

#[derive(Debug, QueryableByName)]
pub struct VarianceRow {
    #[diesel(sql_type = Text)]
    pub session_id: SessionId,
    #[diesel(sql_type = Timestamp)]
    pub performed_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub patient_ref: String,
    #[diesel(sql_type = Text)]
    pub practitioner: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub formulation: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub formulation_version: Option<i64>,
    #[diesel(sql_type = Text)]
    pub product_sku: String,
    #[diesel(sql_type = Text)]
    pub product_name: String,
    #[diesel(sql_type = Nullable<BigInt>, deserialize_as = ScaledOpt)]
    pub planned: Option<Decimal>,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub actual: Decimal,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub session_status: String,
}

/// Planned against actual per session and product, for sessions logged from a cocktail.
pub fn variance<E: From<DbError>>(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    each: &mut dyn FnMut(VarianceRow) -> Result<(), E>,
) -> Result<(), E> {
    let sql = "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, \
           fv.name AS formulation, s.formulation_version, p.sku AS product_sku, p.name AS product_name, \
           sl.planned, sl.actual, p.stock_unit AS unit, s.status AS session_status \
         FROM sessions s \
         JOIN session_lines sl ON sl.session_id = s.id \
         JOIN staff st ON st.id = s.practitioner_id \
         JOIN products p ON p.id = sl.product_id \
         LEFT JOIN formulation_versions fv ON fv.formulation_id = s.formulation_id AND fv.version = s.formulation_version \
         WHERE s.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3 \
           AND s.formulation_id IS NOT NULL AND ($4 = '' OR sl.product_id = $4) \
         ORDER BY s.performed_at, s.id, sl.position";
    stream!(conn, sql, VarianceRow, each, |q| q
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id))
}
