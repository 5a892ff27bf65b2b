//! Lots and their running balance. `on_hand` is kept in step with the movement ledger by
//! `apply_delta`, inside the same transaction as the movement it mirrors; every write that
//! changes a lot's stock or status moves its product's balance (`db::balances`) with it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::balances::{self, LotState};
use super::schema::lots;
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId, SupplierId};
use crate::domain::lot::LotStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lots)]
pub struct Lot {
    pub id: LotId,
    pub clinic_id: ClinicId,
    pub product_id: ProductId,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    pub supplier_id: Option<SupplierId>,
    pub containers: i64,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub received_quantity: Decimal,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub unit_cost: Decimal,
    pub status: LotStatus,
    pub status_reason: Option<String>,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub on_hand: Decimal,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The clinic's lot with this id: every read and write of one lot goes through here, so
/// none can forget the clinic.
#[diesel::dsl::auto_type(no_type_alias)]
fn one<'a>(clinic_id: &'a ClinicId, lot_id: &'a str) -> _ {
    lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .filter(lots::id.eq(lot_id))
}

/// Inserts a lot with `on_hand` 0; its receive movement then raises it through
/// `apply_delta`, like every other change of stock.
pub fn insert(conn: &mut Conn, lot: &Lot) -> QueryResult<()> {
    let row = Lot {
        on_hand: Decimal::ZERO,
        ..lot.clone()
    };
    diesel::insert_into(lots::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A lot's product and what it adds to the product's balance, as a write left it.
#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: LotId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    product_id: ProductId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: LotStatus,
    #[diesel(sql_type = diesel::sql_types::Date)]
    expires_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::BigInt, deserialize_as = Scaled)]
    on_hand: Decimal,
}

impl Written {
    fn state(&self) -> LotState {
        LotState {
            status: self.status,
            expires_on: self.expires_on,
            on_hand: self.on_hand,
        }
    }
}

/// Adds each lot's delta to its on-hand stock unless that would take it below zero, and
/// moves the products' balances with them. Answers the first lot refused, with nothing
/// changed by this call for it (the caller rolls the transaction back). Each check and
/// write is one statement, so concurrent writers on several instances can never oversell.
///
/// Order, so that no two writers wait on each other in a circle: the products' balance
/// rows (`balances::lock`, unless `locked` says the caller already holds them), then the
/// lots in id order, then the balances in product order.
pub fn apply_deltas(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_ids: &[&ProductId],
    deltas: &[(LotId, Decimal)],
    locked: bool,
) -> QueryResult<Result<(), LotId>> {
    if !locked {
        balances::lock(conn, clinic_id, product_ids)?;
    }
    let mut sorted: Vec<&(LotId, Decimal)> = deltas.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let written = add_on_hand(conn, clinic_id, &sorted)?;
    let mut shifts = Vec::with_capacity(sorted.len());
    for (lot_id, delta) in sorted {
        let Some(w) = written.iter().find(|w| &w.id == lot_id) else {
            return Ok(Err(lot_id.clone()));
        };
        let after = w.state();
        let before = LotState {
            on_hand: after.on_hand - *delta,
            ..after
        };
        shifts.push((w.product_id.clone(), lot_id, before, after));
    }
    shifts.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let shifts: Vec<(&ProductId, LotState, LotState)> =
        shifts.iter().map(|(p, _, b, a)| (p, *b, *a)).collect();
    balances::shift_all(conn, clinic_id, &shifts)?;
    Ok(Ok(()))
}

/// The lots' guarded `on_hand` changes in one statement, read back; a lot missing from
/// the answer would have left the bounds and was not changed.
fn add_on_hand(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    deltas: &[&(LotId, Decimal)],
) -> QueryResult<Vec<Written>> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    if deltas.is_empty() {
        return Ok(Vec::new());
    }
    let max = Decimal::from(crate::domain::quantity::MAX_MAGNITUDE);
    // The bounds keep the balance far from 64-bit overflow (SQLite would turn it into a
    // float) and never below zero. PostgreSQL types a VALUES list by its first row: the
    // casts say what each column is.
    let rows: Vec<String> = (0..deltas.len())
        .map(|i| {
            let n = 4 * i + 3;
            format!(
                "(CAST(${} AS TEXT), CAST(${} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                n,
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect();
    let sql = super::portable_sql(
        conn,
        &format!(
            "WITH v (lot, delta, hi, lo) AS (VALUES {}) \
             UPDATE lots SET on_hand = on_hand + v.delta, updated_at = $2 FROM v \
             WHERE lots.clinic_id = $1 AND lots.id = v.lot \
             AND lots.on_hand <= v.hi AND lots.on_hand >= v.lo \
             RETURNING id, product_id, status, expires_on, on_hand",
            rows.join(", ")
        ),
    );
    let mut q = super::raw(sql, deltas.len())
        .bind::<Text, _>(clinic_id)
        .bind::<Timestamp, _>(super::now());
    for (lot_id, delta) in deltas {
        q = q
            .bind::<Text, _>(lot_id)
            .bind::<BigInt, _>(Scaled(*delta))
            .bind::<BigInt, _>(Scaled(max - *delta))
            .bind::<BigInt, _>(Scaled(-*delta));
    }
    q.load(conn)
}

/// Records another delivery of a lot that is already known.
pub fn add_received(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    containers: i64,
    quantity: Decimal,
) -> QueryResult<()> {
    diesel::update(one(clinic_id, lot_id))
        .set((
            lots::containers.eq(lots::containers + containers),
            lots::received_quantity.eq(lots::received_quantity + Scaled(quantity)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Moves a lot from status `from` to `to`, and its stock between the product's balance
/// columns (its balance row locked first, as `apply_deltas` does). Returns false (and
/// changes nothing) when the lot is no longer in `from`.
pub fn set_status(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot: (&ProductId, &LotId),
    from: LotStatus,
    to: LotStatus,
    reason: &str,
) -> QueryResult<bool> {
    use diesel::sql_types::{Text, Timestamp};
    let (product_id, lot_id) = lot;
    balances::lock(conn, clinic_id, &[product_id])?;
    let sql = super::portable_sql(
        conn,
        "UPDATE lots SET status = $4, status_reason = $5, updated_at = $6 \
         WHERE clinic_id = $1 AND id = $2 AND status = $3 \
         RETURNING id, product_id, status, expires_on, on_hand",
    );
    let written: Option<Written> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Text, _>(lot_id)
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .bind::<Text, _>(reason)
        .bind::<Timestamp, _>(super::now())
        .get_result(conn)
        .optional()?;
    let Some(w) = written else {
        return Ok(false);
    };
    let after = w.state();
    let before = LotState {
        status: from,
        ..after
    };
    balances::shift(conn, clinic_id, &w.product_id, before, after)?;
    Ok(true)
}

/// Corrects a lot's number and expiry as a manager typed them, and moves its stock in the
/// product's balance by the new expiry (its balance row locked first, as `set_status`
/// does). Movements stay with the lot: they name it by id.
pub fn correct(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot: &Lot,
    lot_number: &str,
    expires_on: NaiveDate,
) -> QueryResult<()> {
    use diesel::sql_types::{Date, Text, Timestamp};
    balances::lock(conn, clinic_id, &[&lot.product_id])?;
    let sql = super::portable_sql(
        conn,
        "UPDATE lots SET lot_number = $3, expires_on = $4, updated_at = $5 \
         WHERE clinic_id = $1 AND id = $2 \
         RETURNING id, product_id, status, expires_on, on_hand",
    );
    let w: Written = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Text, _>(&lot.id)
        .bind::<Text, _>(lot_number)
        .bind::<Date, _>(expires_on)
        .bind::<Timestamp, _>(super::now())
        .get_result(conn)?;
    let after = w.state();
    let before = LotState {
        expires_on: lot.expires_on,
        ..after
    };
    balances::shift(conn, clinic_id, &w.product_id, before, after)
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &LotId) -> QueryResult<Option<Lot>> {
    one(clinic_id, id)
        .select(Lot::as_select())
        .first(conn)
        .optional()
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn find_by_number(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
    lot_number: &str,
) -> QueryResult<Option<Lot>> {
    lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .filter(lots::product_id.eq(product_id))
        .filter(lots::lot_number.eq(lot_number))
        .select(Lot::as_select())
        .first(conn)
        .optional()
}

/// The product's lots whose number is `lot_number` ignoring case (`lower()` reads the
/// same on both backends for the ASCII of GS1 lot numbers).
pub fn find_by_number_any_case(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
    lot_number: &str,
) -> QueryResult<Vec<Lot>> {
    lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .filter(lots::product_id.eq(product_id))
        .filter(lower(lots::lot_number).eq(lower(lot_number)))
        .order(lots::lot_number)
        .select(Lot::as_select())
        .load(conn)
}

pub fn any_for_product(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_id: &ProductId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        lots::table
            .filter(lots::clinic_id.eq(clinic_id))
            .filter(lots::product_id.eq(product_id)),
    ))
    .get_result(conn)
}

/// Every lot of these products, for planning a session (one statement).
pub fn list_of_products(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    product_ids: &[&ProductId],
) -> QueryResult<Vec<Lot>> {
    super::prepared(
        product_ids.len(),
        lots::table
            .filter(lots::clinic_id.eq(clinic_id))
            .filter(lots::product_id.eq_any(product_ids.iter().map(|p| p.as_str())))
            .order((lots::expires_on, lots::lot_number))
            .select(Lot::as_select()),
    )
    .load(conn)
}

/// Filters of `GET /lots`; every one optional.
#[derive(Debug, Default, Clone)]
pub struct LotFilter {
    pub product_id: Option<ProductId>,
    pub lot_number: Option<String>,
    /// Match `lot_number` ignoring case.
    pub any_case: bool,
    pub status: Option<LotStatus>,
    /// Only lots that still hold stock.
    pub in_stock: bool,
    pub expires_from: Option<NaiveDate>,
    pub expires_before: Option<NaiveDate>,
    pub expires_to: Option<NaiveDate>,
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId, f: &LotFilter) -> QueryResult<Vec<Lot>> {
    let mut q = lots::table
        .filter(lots::clinic_id.eq(clinic_id))
        .select(Lot::as_select())
        .order((lots::expires_on, lots::lot_number))
        .into_boxed();
    if let Some(p) = &f.product_id {
        q = q.filter(lots::product_id.eq(p.clone()));
    }
    match &f.lot_number {
        Some(n) if f.any_case => q = q.filter(lower(lots::lot_number).eq(lower(n.clone()))),
        Some(n) => q = q.filter(lots::lot_number.eq(n.clone())),
        None => {}
    }
    if let Some(s) = &f.status {
        q = q.filter(lots::status.eq(*s));
    }
    if f.in_stock {
        q = q.filter(lots::on_hand.gt(0));
    }
    if let Some(d) = f.expires_from {
        q = q.filter(lots::expires_on.ge(d));
    }
    if let Some(d) = f.expires_before {
        q = q.filter(lots::expires_on.lt(d));
    }
    if let Some(d) = f.expires_to {
        q = q.filter(lots::expires_on.le(d));
    }
    q.load(conn)
}

/// Moves a lot's receipt earlier, when a box of it is entered as delivered before the
/// first one recorded.
pub fn set_received_at(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
    received_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(one(clinic_id, lot_id))
        .set(lots::received_at.eq(received_at))
        .execute(conn)
        .map(|_| ())
}
