//! Fridges, their temperature readings, where each lot was kept, and excursions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{excursion_lots, excursions, fridge_readings, fridges, lot_places, lots};
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, StaffId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = fridges)]
pub struct Fridge {
    pub id: String,
    pub clinic_id: ClinicId,
    pub name: String,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub min_celsius: Decimal,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub max_celsius: Decimal,
    pub tolerance_minutes: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, f: &Fridge) -> QueryResult<()> {
    diesel::insert_into(fridges::table)
        .values(f.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<Fridge>> {
    fridges::table
        .filter(fridges::clinic_id.eq(clinic_id))
        .order(fridges::name)
        .select(Fridge::as_select())
        .load(conn)
}

pub fn get(conn: &mut Conn, clinic_id: &ClinicId, id: &str) -> QueryResult<Option<Fridge>> {
    fridges::table
        .filter(fridges::clinic_id.eq(clinic_id))
        .filter(fridges::id.eq(id))
        .select(Fridge::as_select())
        .first(conn)
        .optional()
}

pub fn by_name(conn: &mut Conn, clinic_id: &ClinicId, name: &str) -> QueryResult<Option<Fridge>> {
    fridges::table
        .filter(fridges::clinic_id.eq(clinic_id))
        .filter(fridges::name.eq(name))
        .select(Fridge::as_select())
        .first(conn)
        .optional()
}

/// Stores readings, one multi-row statement per 5,000; a reading the fridge already has
/// at that time is kept as it was. Answers how many were new.
pub fn add_readings(
    conn: &mut Conn,
    fridge_id: &str,
    readings: &[(NaiveDateTime, Decimal)],
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let mut added = 0;
    for chunk in readings.chunks(5000) {
        let sql = super::portable_sql(
            conn,
            &format!(
                "INSERT INTO fridge_readings (fridge_id, at, celsius) VALUES {} \
                 ON CONFLICT (fridge_id, at) DO NOTHING",
                super::values_list(chunk.len(), 3)
            ),
        );
        let mut q = diesel::sql_query(sql).into_boxed::<super::Backend>();
        for (at, c) in chunk {
            q = q
                .bind::<Text, _>(fridge_id)
                .bind::<Timestamp, _>(*at)
                .bind::<BigInt, _>(Scaled(*c));
        }
        added += q.execute(conn)?;
    }
    Ok(added)
}

/// A fridge's readings from `from` to `to` (both included), oldest first.
pub fn readings(
    conn: &mut Conn,
    fridge_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, Decimal)>> {
    fridge_readings::table
        .filter(fridge_readings::fridge_id.eq(fridge_id))
        .filter(fridge_readings::at.ge(from))
        .filter(fridge_readings::at.le(to))
        .order(fridge_readings::at)
        .select((fridge_readings::at, fridge_readings::celsius))
        .load::<(NaiveDateTime, Scaled)>(conn)
        .map(|rows| rows.into_iter().map(|(at, c)| (at, c.0)).collect())
}

/// The nearest reading in `[min, max]` strictly before `at` (`after` false) or strictly
/// after it (`after` true), if any: where a run of out-of-range readings around `at`
/// begins or ends.
pub fn nearest_in_range(
    conn: &mut Conn,
    fridge_id: &str,
    at: NaiveDateTime,
    (min, max): (Decimal, Decimal),
    after: bool,
) -> QueryResult<Option<NaiveDateTime>> {
    let q = fridge_readings::table
        .filter(fridge_readings::fridge_id.eq(fridge_id))
        .filter(fridge_readings::celsius.ge(Scaled(min)))
        .filter(fridge_readings::celsius.le(Scaled(max)))
        .select(fridge_readings::at)
        .into_boxed();
    let q = if after {
        q.filter(fridge_readings::at.gt(at))
            .order(fridge_readings::at)
    } else {
        q.filter(fridge_readings::at.lt(at))
            .order(fridge_readings::at.desc())
    };
    q.first(conn).optional()
}

/// The time of one fridge's latest reading.
pub fn last_reading_of(conn: &mut Conn, fridge_id: &str) -> QueryResult<Option<NaiveDateTime>> {
    use diesel::dsl::max;
    fridge_readings::table
        .filter(fridge_readings::fridge_id.eq(fridge_id))
        .select(max(fridge_readings::at))
        .first(conn)
}

/// The time of each fridge's latest reading.
pub fn last_reading_at(
    conn: &mut Conn,
    clinic_id: &ClinicId,
) -> QueryResult<Vec<(String, Option<NaiveDateTime>)>> {
    use diesel::dsl::max;
    fridges::table
        .left_join(fridge_readings::table.on(fridge_readings::fridge_id.eq(fridges::id)))
        .filter(fridges::clinic_id.eq(clinic_id))
        .group_by(fridges::id)
        .select((fridges::id, max(fridge_readings::at.nullable())))
        .load(conn)
}

// ---- where lots are kept

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lot_places)]
pub struct Place {
    pub id: String,
    pub clinic_id: ClinicId,
    pub lot_id: LotId,
    pub fridge_id: String,
    pub from_at: NaiveDateTime,
    pub to_at: Option<NaiveDateTime>,
    pub moved_by: StaffId,
    pub reason: Option<String>,
}

/// Ends the lot's current place at `at` and starts the new one.
pub fn place(conn: &mut Conn, p: &Place) -> QueryResult<()> {
    diesel::update(
        lot_places::table
            .filter(lot_places::clinic_id.eq(&p.clinic_id))
            .filter(lot_places::lot_id.eq(&p.lot_id))
            .filter(lot_places::to_at.is_null()),
    )
    .set(lot_places::to_at.eq(p.from_at))
    .execute(conn)?;
    diesel::insert_into(lot_places::table)
        .values(p.clone())
        .execute(conn)
        .map(|_| ())
}

/// Where a lot was kept, oldest first, with each fridge's name.
pub fn places_of_lot(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
) -> QueryResult<Vec<(Place, String)>> {
    lot_places::table
        .inner_join(fridges::table.on(fridges::id.eq(lot_places::fridge_id)))
        .filter(lot_places::clinic_id.eq(clinic_id))
        .filter(lot_places::lot_id.eq(lot_id))
        .order((lot_places::from_at, lot_places::id))
        .select((Place::as_select(), fridges::name))
        .load(conn)
}

/// The lots that were in the fridge at some time between `from` and `to` (None: still).
pub fn lots_in_fridge_during(
    conn: &mut Conn,
    fridge_id: &str,
    from: NaiveDateTime,
    to: Option<NaiveDateTime>,
) -> QueryResult<Vec<LotId>> {
    let mut q = lot_places::table
        .filter(lot_places::fridge_id.eq(fridge_id))
        .filter(lot_places::to_at.is_null().or(lot_places::to_at.gt(from)))
        .into_boxed();
    if let Some(to) = to {
        q = q.filter(lot_places::from_at.lt(to));
    }
    let mut ids: Vec<LotId> = q.select(lot_places::lot_id).load(conn)?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The lots in a fridge now, with their number.
pub fn lots_in_fridge(conn: &mut Conn, fridge_id: &str) -> QueryResult<Vec<(LotId, String)>> {
    lot_places::table
        .inner_join(lots::table.on(lots::id.eq(lot_places::lot_id)))
        .filter(lot_places::fridge_id.eq(fridge_id))
        .filter(lot_places::to_at.is_null())
        .order(lots::lot_number)
        .select((lots::id, lots::lot_number))
        .load(conn)
}

// ---- excursions

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = excursions)]
pub struct Excursion {
    pub id: String,
    pub clinic_id: ClinicId,
    pub fridge_id: String,
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub min_celsius: Decimal,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub max_celsius: Decimal,
}

/// The fridge's excursions that overlap `[from, to]`, oldest first.
pub fn excursions_overlapping(
    conn: &mut Conn,
    fridge_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Excursion>> {
    excursions::table
        .filter(excursions::fridge_id.eq(fridge_id))
        .filter(excursions::started_at.le(to))
        .filter(
            excursions::ended_at
                .is_null()
                .or(excursions::ended_at.ge(from)),
        )
        .order(excursions::started_at)
        .select(Excursion::as_select())
        .load(conn)
}

pub fn excursions_of_fridge(conn: &mut Conn, fridge_id: &str) -> QueryResult<Vec<Excursion>> {
    excursions::table
        .filter(excursions::fridge_id.eq(fridge_id))
        .order(excursions::started_at)
        .select(Excursion::as_select())
        .load(conn)
}

/// Writes an excursion as found: a new one, or a known one that grew or ended.
pub fn save_excursion(conn: &mut Conn, e: &Excursion, new: bool) -> QueryResult<()> {
    if new {
        diesel::insert_into(excursions::table)
            .values(e.clone())
            .execute(conn)?;
    } else {
        diesel::update(excursions::table.find(&e.id))
            .set((
                excursions::started_at.eq(e.started_at),
                excursions::ended_at.eq(e.ended_at),
                excursions::min_celsius.eq(Scaled(e.min_celsius)),
                excursions::max_celsius.eq(Scaled(e.max_celsius)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records lots an excursion touched; the caller passes only lots not yet recorded.
pub fn add_excursion_lots(
    conn: &mut Conn,
    excursion_id: &str,
    lot_ids: &[LotId],
) -> QueryResult<()> {
    use diesel::sql_types::Text;
    if lot_ids.is_empty() {
        return Ok(());
    }
    // One multi-row statement (diesel's batch insert does not run on both backends).
    let sql = super::portable_sql(
        conn,
        &format!(
            "INSERT INTO excursion_lots (excursion_id, lot_id) VALUES {}",
            super::values_list(lot_ids.len(), 2)
        ),
    );
    let mut q = diesel::sql_query(sql).into_boxed::<super::Backend>();
    for lot_id in lot_ids {
        q = q.bind::<Text, _>(excursion_id).bind::<Text, _>(lot_id);
    }
    q.execute(conn).map(|_| ())
}

pub fn lots_of_excursion(conn: &mut Conn, excursion_id: &str) -> QueryResult<Vec<LotId>> {
    excursion_lots::table
        .filter(excursion_lots::excursion_id.eq(excursion_id))
        .order(excursion_lots::lot_id)
        .select(excursion_lots::lot_id)
        .load(conn)
}

/// The excursions a lot went through, with the fridge's name.
pub fn excursions_of_lot(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    lot_id: &LotId,
) -> QueryResult<Vec<(Excursion, String)>> {
    excursion_lots::table
        .inner_join(excursions::table.on(excursions::id.eq(excursion_lots::excursion_id)))
        .inner_join(fridges::table.on(fridges::id.eq(excursions::fridge_id)))
        .filter(excursions::clinic_id.eq(clinic_id))
        .filter(excursion_lots::lot_id.eq(lot_id))
        .order(excursions::started_at)
        .select((Excursion::as_select(), fridges::name))
        .load(conn)
}

/// How many excursions the clinic had since `since`.
pub fn excursions_since(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    excursions::table
        .filter(excursions::clinic_id.eq(clinic_id))
        .filter(
            excursions::ended_at
                .is_null()
                .or(excursions::ended_at.ge(since)),
        )
        .count()
        .get_result(conn)
}
