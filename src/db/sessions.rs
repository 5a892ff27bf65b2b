//! Treatment sessions, the lots they used, planned-against-actual lines, open multi-dose
//! containers and idempotency records.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{
    idempotency_keys as idem, lots, open_containers as open, products, session_lines as lines,
    session_usage as usage, sessions, staff,
};
use super::types::{Scaled, ScaledOpt, TextList};
use super::Conn;
use crate::domain::treatment::{Area, Method, SessionStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub clinic_id: String,
    pub patient_ref: String,
    pub practitioner_id: String,
    pub performed_at: NaiveDateTime,
    pub area: Area,
    pub method: Method,
    pub formulation_id: Option<String>,
    pub formulation_version: Option<i64>,
    #[diesel(serialize_as = TextList, deserialize_as = TextList)]
    pub conditions: Vec<String>,
    /// JSON array of the contraindications found (overridden when recorded).
    pub contraindications: String,
    pub override_reason: Option<String>,
    pub status: SessionStatus,
    pub void_reason: Option<String>,
    pub voided_by: Option<String>,
    pub voided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A lot used by a session, as shown and exported.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = usage)]
pub struct Usage {
    pub product_id: String,
    #[diesel(select_expression = products::sku)]
    pub sku: String,
    pub lot_id: String,
    #[diesel(select_expression = lots::lot_number)]
    pub lot_number: String,
    #[diesel(select_expression = lots::expires_on)]
    pub expires_on: chrono::NaiveDate,
    #[diesel(deserialize_as = Scaled)]
    pub quantity: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub wasted: Decimal,
}

/// Planned (the cocktail) against actual (what was used), per product.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = lines)]
pub struct Line {
    pub product_id: String,
    #[diesel(deserialize_as = ScaledOpt)]
    pub planned: Option<Decimal>,
    #[diesel(deserialize_as = Scaled)]
    pub actual: Decimal,
}

pub fn insert(conn: &mut Conn, s: &Session) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(s.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn insert_usage(
    conn: &mut Conn,
    clinic_id: &str,
    session_id: &str,
    position: i64,
    u: &Usage,
) -> QueryResult<()> {
    diesel::insert_into(usage::table)
        .values((
            usage::id.eq(super::new_id()),
            usage::clinic_id.eq(clinic_id),
            usage::session_id.eq(session_id),
            usage::product_id.eq(&u.product_id),
            usage::lot_id.eq(&u.lot_id),
            usage::quantity.eq(Scaled(u.quantity)),
            usage::wasted.eq(Scaled(u.wasted)),
            usage::position.eq(position),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_line(
    conn: &mut Conn,
    clinic_id: &str,
    session_id: &str,
    position: i64,
    l: &Line,
) -> QueryResult<()> {
    diesel::insert_into(lines::table)
        .values((
            lines::id.eq(super::new_id()),
            lines::clinic_id.eq(clinic_id),
            lines::session_id.eq(session_id),
            lines::product_id.eq(&l.product_id),
            lines::planned.eq(l.planned.map(Scaled)),
            lines::actual.eq(Scaled(l.actual)),
            lines::position.eq(position),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut Conn, clinic_id: &str, id: &str) -> QueryResult<Option<Session>> {
    sessions::table
        .filter(sessions::clinic_id.eq(clinic_id))
        .filter(sessions::id.eq(id))
        .select(Session::as_select())
        .first(conn)
        .optional()
}

pub fn practitioner_name(conn: &mut Conn, staff_id: &str) -> QueryResult<String> {
    staff::table.find(staff_id).select(staff::name).first(conn)
}

#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    pub patient_ref: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: i64,
}

pub fn list(conn: &mut Conn, clinic_id: &str, f: &SessionFilter) -> QueryResult<Vec<Session>> {
    let mut q = sessions::table
        .filter(sessions::clinic_id.eq(clinic_id))
        .select(Session::as_select())
        .order((sessions::performed_at.desc(), sessions::id))
        .limit(f.limit)
        .into_boxed();
    if let Some(p) = &f.patient_ref {
        q = q.filter(sessions::patient_ref.eq(p.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(sessions::performed_at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(sessions::performed_at.lt(t));
    }
    q.load(conn)
}

pub fn usage_of(conn: &mut Conn, session_id: &str) -> QueryResult<Vec<Usage>> {
    usage::table
        .inner_join(lots::table.on(lots::id.eq(usage::lot_id)))
        .inner_join(products::table.on(products::id.eq(usage::product_id)))
        .filter(usage::session_id.eq(session_id))
        .order(usage::position)
        .select(Usage::as_select())
        .load(conn)
}

pub fn lines_of(conn: &mut Conn, session_id: &str) -> QueryResult<Vec<Line>> {
    lines::table
        .filter(lines::session_id.eq(session_id))
        .order(lines::position)
        .select(Line::as_select())
        .load(conn)
}

pub fn mark_voided(
    conn: &mut Conn,
    clinic_id: &str,
    id: &str,
    reason: &str,
    by: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::clinic_id.eq(clinic_id))
            .filter(sessions::id.eq(id))
            .filter(sessions::status.eq(SessionStatus::Recorded)),
    )
    .set((
        sessions::status.eq(SessionStatus::Voided),
        sessions::void_reason.eq(reason),
        sessions::voided_by.eq(by),
        sessions::voided_at.eq(super::now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// An open multi-dose vial.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = open)]
pub struct OpenContainer {
    pub id: String,
    pub lot_id: String,
    #[diesel(deserialize_as = Scaled)]
    pub remaining: Decimal,
    pub beyond_use_at: NaiveDateTime,
    pub opened_at: NaiveDateTime,
}

pub fn open_containers(
    conn: &mut Conn,
    clinic_id: &str,
    product_id: &str,
) -> QueryResult<Vec<OpenContainer>> {
    open::table
        .filter(open::clinic_id.eq(clinic_id))
        .filter(open::product_id.eq(product_id))
        .filter(open::closed_at.is_null())
        .order(open::beyond_use_at)
        .select(OpenContainer::as_select())
        .load(conn)
}

pub fn open_container(
    conn: &mut Conn,
    clinic_id: &str,
    lot_id: &str,
    product_id: &str,
    opened_at: NaiveDateTime,
    beyond_use_at: NaiveDateTime,
    remaining: Decimal,
    session_id: &str,
) -> QueryResult<()> {
    diesel::insert_into(open::table)
        .values((
            open::id.eq(super::new_id()),
            open::clinic_id.eq(clinic_id),
            open::lot_id.eq(lot_id),
            open::product_id.eq(product_id),
            open::opened_at.eq(opened_at),
            open::beyond_use_at.eq(beyond_use_at),
            open::remaining.eq(Scaled(remaining)),
            open::opened_in_session.eq(session_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Draws from an open vial; false when it no longer holds that much. Closes it when empty.
pub fn draw_from_container(
    conn: &mut Conn,
    clinic_id: &str,
    id: &str,
    amount: Decimal,
) -> QueryResult<bool> {
    let a = Scaled(amount);
    let n = diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::id.eq(id))
            .filter(open::closed_at.is_null())
            .filter(open::remaining.ge(a)),
    )
    .set(open::remaining.eq(open::remaining - a))
    .execute(conn)?;
    if n == 1 {
        diesel::update(open::table.find(id).filter(open::remaining.eq(0)))
            .set(open::closed_at.eq(super::now()))
            .execute(conn)?;
    }
    Ok(n == 1)
}

pub fn close_container(conn: &mut Conn, clinic_id: &str, id: &str) -> QueryResult<()> {
    diesel::update(
        open::table
            .filter(open::clinic_id.eq(clinic_id))
            .filter(open::id.eq(id)),
    )
    .set((open::remaining.eq(0), open::closed_at.eq(super::now())))
    .execute(conn)
    .map(|_| ())
}

/// A stored answer to a request made with an `Idempotency-Key`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idem)]
pub struct IdempotencyRecord {
    pub clinic_id: String,
    pub staff_id: String,
    pub idem_key: String,
    pub request_hash: String,
    pub status: i64,
    /// The id of what the request created.
    pub response: String,
    pub created_at: NaiveDateTime,
}

pub fn find_idempotency(
    conn: &mut Conn,
    clinic_id: &str,
    staff_id: &str,
    key: &str,
) -> QueryResult<Option<IdempotencyRecord>> {
    idem::table
        .filter(idem::clinic_id.eq(clinic_id))
        .filter(idem::staff_id.eq(staff_id))
        .filter(idem::idem_key.eq(key))
        .select(IdempotencyRecord::as_select())
        .first(conn)
        .optional()
}

pub fn insert_idempotency(conn: &mut Conn, r: &IdempotencyRecord) -> QueryResult<()> {
    diesel::insert_into(idem::table)
        .values(r)
        .execute(conn)
        .map(|_| ())
}

/// Locks the product's lots for the rest of the transaction (PostgreSQL), so concurrent
/// sessions plan one after another on fresh balances. SQLite needs nothing: its write
/// transactions already run one at a time.
pub fn lock_product_lots(conn: &mut Conn, clinic_id: &str, product_id: &str) -> QueryResult<()> {
    if let Conn::Pg(_) = conn {
        diesel::sql_query(
            "SELECT id FROM lots WHERE clinic_id = $1 AND product_id = $2 ORDER BY id FOR UPDATE",
        )
        .bind::<diesel::sql_types::Text, _>(clinic_id)
        .bind::<diesel::sql_types::Text, _>(product_id)
        .execute(conn)?;
    }
    Ok(())
}

/// The ids of the movements a session made (for voiding).
pub fn movements_of(
    conn: &mut Conn,
    clinic_id: &str,
    session_id: &str,
) -> QueryResult<Vec<super::movements::Movement>> {
    let all = super::movements::list(
        conn,
        clinic_id,
        &super::movements::MovementFilter {
            session_id: Some(session_id.to_string()),
            ..Default::default()
        },
    )?;
    Ok(all.into_iter().map(|(m, _)| m).collect())
}

/// A session that used a lot, for traces and recalls.
#[derive(Debug, Clone)]
pub struct LotUse {
    pub session_id: String,
    pub performed_at: NaiveDateTime,
    pub patient_ref: String,
    pub practitioner: String,
    pub status: SessionStatus,
    pub quantity: Decimal,
}

#[derive(QueryableByName)]
struct LotUseRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    session_id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    performed_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    patient_ref: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    practitioner: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: SessionStatus,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    quantity: Decimal,
}

/// Every session that used the lot, oldest first.
pub fn sessions_using_lot(
    conn: &mut Conn,
    clinic_id: &str,
    lot_id: &str,
) -> QueryResult<Vec<LotUse>> {
    let sql = super::portable_sql(
        conn,
        "SELECT s.id AS session_id, s.performed_at, s.patient_ref, st.name AS practitioner, s.status, \
           CAST(SUM(u.quantity) AS BIGINT) AS quantity \
         FROM session_usage u JOIN sessions s ON s.id = u.session_id JOIN staff st ON st.id = s.practitioner_id \
         WHERE u.clinic_id = $1 AND u.lot_id = $2 \
         GROUP BY s.id, s.performed_at, s.patient_ref, st.name, s.status \
         ORDER BY s.performed_at, s.id",
    );
    let rows: Vec<LotUseRow> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(clinic_id)
        .bind::<diesel::sql_types::Text, _>(lot_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| LotUse {
            session_id: r.session_id,
            performed_at: r.performed_at,
            patient_ref: r.patient_ref,
            practitioner: r.practitioner,
            status: r.status,
            quantity: r.quantity,
        })
        .collect())
}
