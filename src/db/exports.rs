//! Export queries, read page by page with keyset pagination so an export of any size
//! holds one page in memory. Run them inside `read_snapshot` to see one consistent state.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
use rust_decimal::Decimal;

use super::types::{Scaled, ScaledOpt};
use super::{portable_sql, Conn};
use crate::domain::ids::{ClinicId, ProductId, SessionId};

/// Where the next page starts: (time, id, position) of the last row sent.
pub type Cursor = (NaiveDateTime, String, i64);

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

fn start(f: &ExportFilter, after: Option<&Cursor>) -> Cursor {
    after.cloned().unwrap_or((f.from, String::new(), -1))
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
    #[diesel(sql_type = BigInt)]
    pub position: i64,
}

impl TraceRow {
    pub fn cursor(&self) -> Cursor {
        (
            self.performed_at,
            self.session_id.to_string(),
            self.position,
        )
    }
}

/// One row per lot used per session, in time order. The row-value `>=` lets the
/// `sessions_keyset` index start each page at the previous page's last session; an OR
/// chain of comparisons could not use it and rescanned from the start on PostgreSQL.
pub fn traceability_page(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<TraceRow>> {
    let (t, id, pos) = start(f, after);
    let sql = portable_sql(
        conn,
        "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, s.area, s.method, \
           fv.name AS formulation, s.formulation_version, p.sku AS product_sku, p.name AS product_name, p.gtin, \
           l.lot_number, l.expires_on, u.quantity, p.stock_unit AS unit, s.status AS session_status, \
           s.override_reason, u.position \
         FROM sessions s \
         JOIN session_usage u ON u.session_id = s.id \
         JOIN staff st ON st.id = s.practitioner_id \
         JOIN products p ON p.id = u.product_id \
         JOIN lots l ON l.id = u.lot_id \
         LEFT JOIN formulation_versions fv ON fv.formulation_id = s.formulation_id AND fv.version = s.formulation_version \
         WHERE s.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3 \
           AND ($4 = '' OR u.product_id = $4) AND ($5 = '' OR l.lot_number = $5) \
           AND (s.performed_at, s.id) >= ($6, $7) AND ((s.performed_at, s.id) > ($6, $7) OR u.position > $8) \
         ORDER BY s.performed_at, s.id, u.position LIMIT $9",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id)
        .bind::<Text, _>(&f.lot_number)
        .bind::<Timestamp, _>(t)
        .bind::<Text, _>(id)
        .bind::<BigInt, _>(pos)
        .bind::<BigInt, _>(limit)
        .load(conn)
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
}

impl MovementRow {
    pub fn cursor(&self) -> Cursor {
        (self.created_at, self.id.clone(), 0)
    }
}

/// The ledger in time order; pages start at the previous page's last movement through
/// the `movements_keyset` index, as traceability pages do.
pub fn movements_page(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<MovementRow>> {
    let (t, id, _) = start(f, after);
    let sql = portable_sql(
        conn,
        "SELECT m.created_at, m.id, m.kind, p.sku AS product_sku, p.name AS product_name, l.lot_number, \
           l.expires_on, m.quantity, p.stock_unit AS unit, st.name AS actor, m.reason, m.session_id, m.reverses_id \
         FROM movements m \
         JOIN lots l ON l.id = m.lot_id \
         JOIN products p ON p.id = m.product_id \
         JOIN staff st ON st.id = m.actor_id \
         WHERE m.clinic_id = $1 AND m.created_at >= $2 AND m.created_at < $3 \
           AND ($4 = '' OR m.product_id = $4) AND ($5 = '' OR l.lot_number = $5) \
           AND (m.created_at, m.id) > ($6, $7) \
         ORDER BY m.created_at, m.id LIMIT $8",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id)
        .bind::<Text, _>(&f.lot_number)
        .bind::<Timestamp, _>(t)
        .bind::<Text, _>(id)
        .bind::<BigInt, _>(limit)
        .load(conn)
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
    #[diesel(sql_type = BigInt)]
    pub position: i64,
}

impl VarianceRow {
    pub fn cursor(&self) -> Cursor {
        (
            self.performed_at,
            self.session_id.to_string(),
            self.position,
        )
    }
}

/// Planned against actual per session and product, for sessions logged from a cocktail.
pub fn variance_page(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &ExportFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<VarianceRow>> {
    let (t, id, pos) = start(f, after);
    let sql = portable_sql(
        conn,
        "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, \
           fv.name AS formulation, s.formulation_version, p.sku AS product_sku, p.name AS product_name, \
           sl.planned, sl.actual, p.stock_unit AS unit, s.status AS session_status, sl.position \
         FROM sessions s \
         JOIN session_lines sl ON sl.session_id = s.id \
         JOIN staff st ON st.id = s.practitioner_id \
         JOIN products p ON p.id = sl.product_id \
         LEFT JOIN formulation_versions fv ON fv.formulation_id = s.formulation_id AND fv.version = s.formulation_version \
         WHERE s.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3 \
           AND s.formulation_id IS NOT NULL AND ($4 = '' OR sl.product_id = $4) \
           AND (s.performed_at, s.id) >= ($5, $6) AND ((s.performed_at, s.id) > ($5, $6) OR sl.position > $7) \
         ORDER BY s.performed_at, s.id, sl.position LIMIT $8",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(f.from)
        .bind::<Timestamp, _>(f.to)
        .bind::<Text, _>(&f.product_id)
        .bind::<Timestamp, _>(t)
        .bind::<Text, _>(id)
        .bind::<BigInt, _>(pos)
        .bind::<BigInt, _>(limit)
        .load(conn)
}
