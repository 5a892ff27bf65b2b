//! Per-product stock and daily use, kept in step with the lots and the ledger so the stock
//! views read one row per product (issue 12) instead of every lot and movement.
//!
//! `product_balances` holds each product's on hand, split into available, expired,
//! quarantined and recalled. Expiry depends on the day, so a row is split at its
//! `swept_on` date; `sweep` rebuilds a clinic's rows from its lots on the first read of a
//! new day. Between sweeps `shift` moves a row by a lot's change, in the transaction of
//! that change; its SQL adds and subtracts only, so concurrent writers never lose an
//! update whatever order they commit in.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text};
use rust_decimal::Decimal;

use super::schema::{product_balances, product_daily_use};
use super::types::{DayOpt, Scaled};
use super::{portable_sql, Conn};
use crate::domain::ids::{ClinicId, ProductId};
use crate::domain::ledger::MovementKind;
use crate::domain::lot::LotStatus;
use crate::domain::treatment::SessionStatus;

/// What a lot adds to its product's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotState {
    pub status: LotStatus,
    pub expires_on: NaiveDate,
    pub on_hand: Decimal,
}

/// A product's balance as the views read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = product_balances)]
pub struct Balance {
    pub product_id: ProductId,
    #[diesel(deserialize_as = Scaled)]
    pub on_hand: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub available: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub expired: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub quarantined: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub recalled: Decimal,
    #[diesel(deserialize_as = DayOpt)]
    pub next_expiry: Option<NaiveDate>,
    pub next_stale: bool,
    /// Used by sessions outside courses over the forecast's window (`use_since` to the
    /// row's `swept_on`, neither read here: every read sweeps first, and parsing two
    /// dates per product was a tenth of a stock view).
    #[diesel(deserialize_as = Scaled)]
    pub recent_use: Decimal,
}

/// The first day of the forecast's rate window for a row swept on `day`.
fn window_start(day: NaiveDate) -> NaiveDate {
    day - chrono::Duration::days(crate::domain::forecast::RATE_WINDOW_DAYS)
}

/// The zero balance of a new product, as of `today`.
pub fn create(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
    today: NaiveDate,
) -> QueryResult<()> {
    diesel::insert_into(product_balances::table)
        .values((
            product_balances::clinic_id.eq(clinic_id),
            product_balances::product_id.eq(product_id),
            empty_as_of(today),
        ))
        .execute(conn)
        .map(|_| ())
}

type Set<C, T> = diesel::dsl::Eq<C, T>;

/// The assignments of an empty row.
type EmptyRow = (
    Set<product_balances::on_hand, Scaled>,
    Set<product_balances::available, Scaled>,
    Set<product_balances::expired, Scaled>,
    Set<product_balances::quarantined, Scaled>,
    Set<product_balances::recalled, Scaled>,
    Set<product_balances::next_expiry, Option<NaiveDate>>,
    Set<product_balances::next_stale, bool>,
    Set<product_balances::swept_on, NaiveDate>,
    Set<product_balances::recent_use, Scaled>,
    Set<product_balances::use_since, NaiveDate>,
);

/// A row with nothing in it, swept on `today`: a new product's, and every row before a
/// sweep refills it.
fn empty_as_of(today: NaiveDate) -> EmptyRow {
    let zero = Scaled(Decimal::ZERO);
    (
        product_balances::on_hand.eq(zero),
        product_balances::available.eq(zero),
        product_balances::expired.eq(zero),
        product_balances::quarantined.eq(zero),
        product_balances::recalled.eq(zero),
        product_balances::next_expiry.eq(None::<NaiveDate>),
        product_balances::next_stale.eq(false),
        product_balances::swept_on.eq(today),
        product_balances::recent_use.eq(zero),
        product_balances::use_since.eq(window_start(today)),
    )
}

/// Takes a lot's old contribution out of its product's row and puts its new one in.
/// The split between expired and available follows the row's own `swept_on`, so a row not
/// yet swept today stays consistent until its sweep moves what expired since.
fn shift_set() -> String {
    let (available, quarantined, recalled) = (
        LotStatus::Available,
        LotStatus::Quarantined,
        LotStatus::Recalled,
    );
    format!(
        "\
    on_hand = on_hand + v.a_on - v.b_on, \
    expired = expired + CASE WHEN v.a_exp < swept_on THEN v.a_on ELSE 0 END \
                      - CASE WHEN v.b_exp < swept_on THEN v.b_on ELSE 0 END, \
    available = available + CASE WHEN v.a_st = '{available}' AND v.a_exp >= swept_on THEN v.a_on ELSE 0 END \
                          - CASE WHEN v.b_st = '{available}' AND v.b_exp >= swept_on THEN v.b_on ELSE 0 END, \
    quarantined = quarantined + CASE WHEN v.a_st = '{quarantined}' THEN v.a_on ELSE 0 END \
                              - CASE WHEN v.b_st = '{quarantined}' THEN v.b_on ELSE 0 END, \
    recalled = recalled + CASE WHEN v.a_st = '{recalled}' THEN v.a_on ELSE 0 END \
                        - CASE WHEN v.b_st = '{recalled}' THEN v.b_on ELSE 0 END, \
    next_expiry = CASE WHEN v.a_on > 0 AND v.a_st = '{available}' AND v.a_exp >= swept_on \
                        AND (next_expiry IS NULL OR v.a_exp < next_expiry) THEN v.a_exp ELSE next_expiry END, \
    next_stale = CASE WHEN next_expiry = v.b_exp AND v.b_on > 0 AND v.b_st = '{available}' \
                       AND NOT (v.a_on > 0 AND v.a_st = '{available}' AND v.a_exp = v.b_exp) THEN v.stale ELSE next_stale END"
    )
}

/// Locks the products' rows, in product order, until the transaction ends. Every writer
/// of lots takes these first (sessions for all their products at once), so writers of
/// one product take turns and no two ever wait on each other in a circle: balance rows
/// in product order, then lots, then open vials. A no-op on SQLite, whose write
/// transaction already excludes every other writer.
pub fn lock(conn: &mut Conn, clinic_id: &ClinicId, products: &[&ProductId]) -> QueryResult<()> {
    if let Conn::Pg(pg) = conn {
        let mut sorted: Vec<&str> = products.iter().map(|p| p.as_str()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        product_balances::table
            .filter(product_balances::clinic_id.eq(clinic_id.as_str()))
            .filter(product_balances::product_id.eq_any(sorted))
            .order(product_balances::product_id)
            .select(product_balances::product_id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// The clinic's products with expired or recalled units on the shelf, as of the rows'
/// last sweep.
pub fn with_unusable_stock(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<ProductId>> {
    product_balances::table
        .filter(product_balances::clinic_id.eq(clinic_id))
        .filter(
            product_balances::expired
                .gt(0)
                .or(product_balances::recalled.gt(0)),
        )
        .select(product_balances::product_id)
        .load(conn)
}

/// Moves the product's balance from a lot's `before` to its `after` (a new lot's
/// `before` has nothing on hand). Call in the transaction that changed the lot.
pub fn shift(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
    before: LotState,
    after: LotState,
) -> QueryResult<()> {
    shift_all(conn, clinic_id, &[(product_id, before, after)])
}

#[derive(QueryableByName)]
struct Shifted {
    #[diesel(sql_type = Text)]
    product_id: ProductId,
}

/// `shift` for several lots in as few statements as it can: one for all the products, and
/// one more round for each further lot of a product already in the statement (a row's
/// `next_expiry` must see the shift before it).
pub fn shift_all(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    shifts: &[(&ProductId, LotState, LotState)],
) -> QueryResult<()> {
    let mut pending: Vec<&(&ProductId, LotState, LotState)> =
        shifts.iter().filter(|(_, b, a)| b != a).collect();
    // PostgreSQL types a VALUES list from its first row; SQLite needs no casts (and
    // `CAST(… AS DATE)` would make its text dates numbers).
    let pg = matches!(conn, Conn::Pg(_));
    let cast = |n: usize, ty: &str| {
        if pg {
            format!("CAST(${n} AS {ty})")
        } else {
            format!("${n}")
        }
    };
    while !pending.is_empty() {
        let mut round: Vec<&(&ProductId, LotState, LotState)> = Vec::new();
        let mut rest = Vec::new();
        for s in pending {
            if round.iter().any(|r| r.0 == s.0) {
                rest.push(s);
            } else {
                round.push(s);
            }
        }
        let rows: Vec<String> = (0..round.len())
            .map(|i| {
                let n = 8 * i + 2;
                let types = [
                    "TEXT", "BIGINT", "BIGINT", "DATE", "DATE", "TEXT", "TEXT", "BOOLEAN",
                ];
                let cols: Vec<String> = types
                    .iter()
                    .enumerate()
                    .map(|(k, ty)| cast(n + k, ty))
                    .collect();
                format!("({})", cols.join(", "))
            })
            .collect();
        let sql = portable_sql(
            conn,
            &format!(
                "WITH v (product, b_on, a_on, b_exp, a_exp, b_st, a_st, stale) AS (VALUES {}) \
                 UPDATE product_balances SET {} FROM v \
                 WHERE clinic_id = $1 AND product_id = v.product RETURNING product_id",
                rows.join(", "),
                shift_set()
            ),
        );
        let mut q = super::raw(sql, round.len()).bind::<Text, _>(clinic_id);
        for (product_id, before, after) in &round {
            q = q
                .bind::<Text, _>(*product_id)
                .bind::<BigInt, _>(Scaled(before.on_hand))
                .bind::<BigInt, _>(Scaled(after.on_hand))
                .bind::<Date, _>(before.expires_on)
                .bind::<Date, _>(after.expires_on)
                .bind::<Text, _>(before.status)
                .bind::<Text, _>(after.status)
                .bind::<Bool, _>(true);
        }
        let shifted: Vec<Shifted> = q.load(conn)?;
        for (product_id, _, _) in &round {
            if !shifted.iter().any(|s| &s.product_id == *product_id) {
                // Only rows written straight to the database (the benchmark seeder) can
                // lack a balance; a missing row must not lose stock. An old `swept_on`
                // makes the next reader rebuild the row from the lots, which already
                // hold this change.
                create(conn, clinic_id, product_id, NaiveDate::default())?;
            }
        }
        pending = rest;
    }
    Ok(())
}

/// The rows of a clinic's products as they should be on `today`, from the lots with
/// stock. The same sums the migration backfilled with.
pub fn rebuild_sql() -> String {
    let (available, quarantined, recalled) = (
        LotStatus::Available,
        LotStatus::Quarantined,
        LotStatus::Recalled,
    );
    format!(
        "SELECT product_id, \
       CAST(SUM(on_hand) AS BIGINT) AS on_hand, \
       CAST(SUM(CASE WHEN status = '{available}' AND expires_on >= $2 THEN on_hand ELSE 0 END) AS BIGINT) AS available, \
       CAST(SUM(CASE WHEN expires_on < $2 THEN on_hand ELSE 0 END) AS BIGINT) AS expired, \
       CAST(SUM(CASE WHEN status = '{quarantined}' THEN on_hand ELSE 0 END) AS BIGINT) AS quarantined, \
       CAST(SUM(CASE WHEN status = '{recalled}' THEN on_hand ELSE 0 END) AS BIGINT) AS recalled, \
       MIN(CASE WHEN status = '{available}' AND expires_on >= $2 THEN expires_on END) AS next_expiry \
     FROM lots WHERE clinic_id = $1 AND on_hand > 0 GROUP BY product_id"
    )
}

/// One product's balance recomputed from its lots.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Computed {
    #[diesel(sql_type = Text)]
    pub product_id: ProductId,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub on_hand: Decimal,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub available: Decimal,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub expired: Decimal,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub quarantined: Decimal,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    pub recalled: Decimal,
    #[diesel(sql_type = Nullable<Date>)]
    pub next_expiry: Option<NaiveDate>,
}

/// Every product with stock of the clinic, summed from its lots as of `today`: what the
/// balances must equal (the sweep writes it, a test compares it).
pub fn compute(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    today: NaiveDate,
) -> QueryResult<Vec<Computed>> {
    let sql = portable_sql(conn, &rebuild_sql());
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(today)
        .load(conn)
}

/// Rewrites every row of the clinic from its lots as of `today`. Call in a write
/// transaction that holds `lock_for_sweep`.
pub fn rebuild(conn: &mut Conn, clinic_id: &ClinicId, today: NaiveDate) -> QueryResult<()> {
    diesel::update(product_balances::table.filter(product_balances::clinic_id.eq(clinic_id)))
        .set(empty_as_of(today))
        .execute(conn)?;
    let sql = portable_sql(
        conn,
        &format!(
            "UPDATE product_balances SET recent_use = u.total FROM ({USE_SINCE_SQL}) AS u \
             WHERE product_balances.clinic_id = $1 AND product_balances.product_id = u.product_id"
        ),
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(window_start(today))
        .execute(conn)?;
    let sql = portable_sql(
        conn,
        &format!(
            "UPDATE product_balances SET on_hand = c.on_hand, available = c.available, \
             expired = c.expired, quarantined = c.quarantined, recalled = c.recalled, \
             next_expiry = c.next_expiry \
             FROM ({}) AS c \
             WHERE product_balances.clinic_id = $1 AND product_balances.product_id = c.product_id",
            rebuild_sql()
        ),
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(today)
        .execute(conn)?;
    Ok(())
}

/// Makes writers of balances wait while a sweep rebuilds them. On PostgreSQL the lock
/// waits for transactions that already moved a balance and holds off new ones until
/// commit, so the rebuild reads lots no open transaction is changing; a writer that
/// changed a lot and waits here moves the rebuilt row afterwards, by its new `swept_on`.
/// SQLite's write transaction already excludes every other writer.
fn lock_for_sweep(conn: &mut Conn) -> QueryResult<()> {
    if let Conn::Pg(_) = conn {
        diesel::sql_query("LOCK TABLE product_balances IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)?;
    }
    Ok(())
}

/// True when some row of the clinic was last swept before `today`.
fn needs_sweep(conn: &mut Conn, clinic_id: &ClinicId, today: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        product_balances::table
            .filter(product_balances::clinic_id.eq(clinic_id))
            .filter(product_balances::swept_on.lt(today)),
    ))
    .get_result(conn)
}

/// Rebuilds the clinic's rows for `today` unless another request already did.
pub fn sweep(conn: &mut Conn, clinic_id: &ClinicId, today: NaiveDate) -> QueryResult<()> {
    if !needs_sweep(conn, clinic_id, today)? {
        return Ok(());
    }
    super::write_tx(conn, |conn| {
        lock_for_sweep(conn)?;
        if needs_sweep(conn, clinic_id, today)? {
            rebuild(conn, clinic_id, today)?;
        }
        Ok(())
    })
}

/// The clinic's balances as of `today`, with a stale next expiry looked up from the lots.
pub fn read(conn: &mut Conn, clinic_id: &ClinicId, today: NaiveDate) -> QueryResult<Vec<Balance>> {
    sweep(conn, clinic_id, today)?;
    let mut rows: Vec<Balance> = product_balances::table
        .filter(product_balances::clinic_id.eq(clinic_id))
        .select(Balance::as_select())
        .load(conn)?;
    let stale: Vec<ProductId> = rows
        .iter()
        .filter(|b| b.next_stale)
        .map(|b| b.product_id.clone())
        .collect();
    if !stale.is_empty() {
        use super::schema::lots;
        let firsts: std::collections::HashMap<ProductId, Option<NaiveDate>> = lots::table
            .filter(lots::clinic_id.eq(clinic_id))
            .filter(lots::product_id.eq_any(&stale))
            .filter(lots::status.eq(LotStatus::Available))
            .filter(lots::on_hand.gt(0))
            .filter(lots::expires_on.ge(today))
            .group_by(lots::product_id)
            .select((lots::product_id, diesel::dsl::min(lots::expires_on)))
            .load::<(ProductId, Option<NaiveDate>)>(conn)?
            .into_iter()
            .collect();
        for b in rows.iter_mut().filter(|b| b.next_stale) {
            b.next_expiry = firsts.get(&b.product_id).copied().flatten();
        }
    }
    Ok(rows)
}

/// Adds what sessions outside courses used, per (product, UTC day); negative to take a
/// voided session's use back out.
pub fn add_daily_use(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    uses: &[(ProductId, NaiveDate, Decimal)],
) -> QueryResult<()> {
    if uses.is_empty() {
        return Ok(());
    }
    // One multi-row upsert for the whole session.
    let sql = portable_sql(
        conn,
        &format!(
            "INSERT INTO product_daily_use (clinic_id, product_id, day, quantity) VALUES {} \
             ON CONFLICT (clinic_id, day, product_id) \
             DO UPDATE SET quantity = product_daily_use.quantity + excluded.quantity",
            super::values_list(uses.len(), 4)
        ),
    );
    let mut q = super::raw(sql, uses.len());
    for (product_id, day, quantity) in uses {
        q = q
            .bind::<Text, _>(clinic_id)
            .bind::<Text, _>(product_id)
            .bind::<Date, _>(*day)
            .bind::<BigInt, _>(Scaled(*quantity));
    }
    q.execute(conn)?;
    // The same use moves the rows' running window sums, when its day is in their window:
    // one statement for all the session's products.
    let terms: Vec<String> = (0..uses.len())
        .map(|i| {
            let n = 3 * i + 2;
            format!(
                "CASE WHEN product_id = ${} AND ${} >= use_since THEN ${} ELSE 0 END",
                n,
                n + 1,
                n + 2
            )
        })
        .collect();
    let ids: Vec<String> = (0..uses.len()).map(|i| format!("${}", 3 * i + 2)).collect();
    let sql = portable_sql(
        conn,
        &format!(
            "UPDATE product_balances SET recent_use = recent_use + {} \
             WHERE clinic_id = $1 AND product_id IN ({})",
            terms.join(" + "),
            ids.join(", ")
        ),
    );
    let mut q = super::raw(sql, uses.len()).bind::<Text, _>(clinic_id);
    for (product_id, day, quantity) in uses {
        q = q
            .bind::<Text, _>(product_id)
            .bind::<Date, _>(*day)
            .bind::<BigInt, _>(Scaled(*quantity));
    }
    q.execute(conn).map(|_| ())
}

/// Reads the window's days only, through the primary key.
pub const USE_SINCE_SQL: &str = "SELECT product_id, CAST(SUM(quantity) AS BIGINT) AS total \
     FROM product_daily_use WHERE clinic_id = $1 AND day >= $2 GROUP BY product_id";

/// Use per product since `since` (a UTC day), from the daily rows.
pub fn use_since(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    since: NaiveDate,
) -> QueryResult<Vec<(ProductId, Decimal)>> {
    let sql = portable_sql(conn, USE_SINCE_SQL);
    Ok(super::planning::sums(
        diesel::sql_query(sql)
            .bind::<Text, _>(clinic_id)
            .bind::<Date, _>(since)
            .load(conn)?,
    ))
}

/// Session use per (product, UTC day) summed from the movements: what the daily rows must
/// equal. Sessions of a course and voided sessions do not count.
pub fn daily_use_from_movements(
    conn: &mut Conn,
    clinic_id: &ClinicId,
) -> QueryResult<Vec<(ProductId, NaiveDate, Decimal)>> {
    #[derive(QueryableByName)]
    struct DayUse {
        #[diesel(sql_type = Text)]
        product_id: ProductId,
        #[diesel(sql_type = Date)]
        day: NaiveDate,
        #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
        total: Decimal,
    }
    let day = match conn {
        Conn::Sqlite(_) => "date(m.created_at)",
        Conn::Pg(_) => "CAST(m.created_at AS DATE)",
    };
    let uses = super::names_sql(MovementKind::ALL.iter().filter(|k| k.is_use()));
    let voided = SessionStatus::Voided;
    let sql = portable_sql(
        conn,
        &format!(
            "SELECT m.product_id, {day} AS day, CAST(SUM(-m.quantity) AS BIGINT) AS total \
             FROM movements m \
             WHERE m.clinic_id = $1 AND m.kind IN ({uses}) AND m.session_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM course_sessions cs WHERE cs.session_id = m.session_id) \
               AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = m.session_id AND s.status = '{voided}') \
             GROUP BY m.product_id, {day}"
        ),
    );
    let rows: Vec<DayUse> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.product_id, r.day, r.total))
        .collect())
}

/// The daily rows as stored, leaving out days a void took back to nothing.
pub fn daily_use(
    conn: &mut Conn,
    clinic_id: &ClinicId,
) -> QueryResult<Vec<(ProductId, NaiveDate, Decimal)>> {
    let rows: Vec<(ProductId, NaiveDate, Scaled)> = product_daily_use::table
        .filter(product_daily_use::clinic_id.eq(clinic_id))
        .filter(product_daily_use::quantity.ne(0))
        .select((
            product_daily_use::product_id,
            product_daily_use::day,
            product_daily_use::quantity,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(p, d, q)| (p, d, q.0)).collect())
}

/// Fills both tables for data written straight to the database (the benchmark seeder):
/// a row per product, rebuilt from the lots by the next read, and the daily use summed
/// from the movements.
pub fn backfill(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<()> {
    let sql = portable_sql(
        conn,
        "INSERT INTO product_balances \
           (clinic_id, product_id, on_hand, available, expired, quarantined, recalled, \
            next_expiry, next_stale, swept_on, recent_use, use_since) \
         SELECT p.clinic_id, p.id, 0, 0, 0, 0, 0, NULL, $2, $3, 0, $3 FROM products p \
         WHERE p.clinic_id = $1 AND NOT EXISTS (SELECT 1 FROM product_balances b \
           WHERE b.clinic_id = p.clinic_id AND b.product_id = p.id)",
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Bool, _>(false)
        .bind::<Date, _>(NaiveDate::default())
        .execute(conn)?;
    diesel::delete(product_daily_use::table.filter(product_daily_use::clinic_id.eq(clinic_id)))
        .execute(conn)?;
    let uses = daily_use_from_movements(conn, clinic_id)?;
    // Four binds a row: well under SQLite's 32,766 and PostgreSQL's 65,535.
    for chunk in uses.chunks(500) {
        add_daily_use(conn, clinic_id, chunk)?;
    }
    Ok(())
}
