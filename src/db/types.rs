//! How domain types meet the database, in one place: text enums are stored as TEXT and
//! read back as the enum (a bad stored value is a deserialisation error, never a silent
//! default); exact decimals are stored as BIGINT holding the value × 10^6 (`Scaled`).
//!
//! Each type implements `ToSql` for PostgreSQL and SQLite, and for the multi-connection
//! backend by handing the value to whichever of the two runs the query (diesel's recipe for
//! custom types in a `MultiConnection`). `FromSql` goes through the backend's own `String`
//! or `i64`.

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use diesel::sqlite::Sqlite;
use rust_decimal::Decimal;

use super::MultiBackend;
use crate::domain::course::CourseStatus;
use crate::domain::ids::{
    ClinicId, CourseId, FormulationId, LotId, ProductId, PurchaseOrderId, RecallCaseId, SessionId,
    StaffId, SupplierId,
};
use crate::domain::ledger::MovementKind;
use crate::domain::lot::LotStatus;
use crate::domain::order::PurchaseOrderStatus;
use crate::domain::product::{ProductKind, StockUnit, Storage};
use crate::domain::recall::{ContactStatus, RecallCaseStatus};
use crate::domain::role::Role;
use crate::domain::treatment::{Area, Method, SessionStatus};

/// Implements the TEXT mapping for the enums of `domain::text_enum!` and the ids of
/// `domain::ids` (both derive `AsExpression` and `FromSqlRow` and have `as_str` and
/// `parse`; the rest needs the database backends, so it is here).
macro_rules! text_columns {
    ($($t:ty),+ $(,)?) => {$(
        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }
        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(IsNull::No)
            }
        }
        impl ToSql<Text, MultiBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self.as_str()));
                Ok(IsNull::No)
            }
        }
        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                <$t>::parse(&s).map_err(|e| format!("stored {}: {e}", stringify!($t)).into())
            }
        }
    )+};
}

text_columns!(
    ClinicId,
    LotId,
    ProductId,
    SessionId,
    SupplierId,
    FormulationId,
    CourseId,
    RecallCaseId,
    PurchaseOrderId,
    StaffId,
    ContactStatus,
    MovementKind,
    LotStatus,
    ProductKind,
    PurchaseOrderStatus,
    RecallCaseStatus,
    CourseStatus,
    Role,
    SessionStatus,
    StockUnit,
    Storage,
    Area,
    Method,
);

/// Digits kept after the decimal point in the database.
pub const SCALE: u32 = crate::domain::quantity::MAX_DECIMALS;

/// An exact decimal as the database keeps it: BIGINT × 10^6, so both SQLite and
/// PostgreSQL add and compare exactly (diesel's `Numeric` is not shared by both backends,
/// and SQLite's would go through a binary float). Rows keep `Decimal` fields and name this
/// type in `#[diesel(serialize_as = Scaled, deserialize_as = Scaled)]`; queries bind
/// `Scaled(d)`. Writing a value with more than six decimals is an error, never a rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct Scaled(pub Decimal);

impl Scaled {
    pub fn to_i64(self) -> Result<i64, String> {
        let mut v = self.0;
        v.rescale(SCALE);
        if v != self.0 {
            return Err(format!("{} has more than {SCALE} decimal places", self.0));
        }
        i64::try_from(v.mantissa()).map_err(|_| format!("{} is too large", self.0))
    }

    pub fn from_i64(value: i64) -> Scaled {
        Scaled(Decimal::new(value, SCALE).normalize())
    }
}

impl From<Decimal> for Scaled {
    fn from(d: Decimal) -> Self {
        Scaled(d)
    }
}

impl From<Scaled> for Decimal {
    fn from(s: Scaled) -> Self {
        s.0
    }
}

impl ToSql<BigInt, Pg> for Scaled {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let v = self.to_i64()?;
        <i64 as ToSql<BigInt, Pg>>::to_sql(&v, &mut out.reborrow())
    }
}

impl ToSql<BigInt, Sqlite> for Scaled {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.to_i64()?);
        Ok(IsNull::No)
    }
}

impl ToSql<BigInt, MultiBackend> for Scaled {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((BigInt, self));
        Ok(IsNull::No)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for Scaled
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Scaled::from_i64(i64::from_sql(bytes)?))
    }
}

/// A nullable exact decimal, for `deserialize_as` on `Option<Decimal>` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct ScaledOpt(pub Option<Decimal>);

impl<DB: Backend> FromSql<diesel::sql_types::Nullable<BigInt>, DB> for ScaledOpt
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(ScaledOpt(Some(Scaled::from_i64(i64::from_sql(bytes)?).0)))
    }

    fn from_nullable_sql(bytes: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        bytes.map_or(Ok(ScaledOpt(None)), Self::from_sql)
    }
}

impl From<ScaledOpt> for Option<Decimal> {
    fn from(s: ScaledOpt) -> Self {
        s.0
    }
}

/// A date, read through a fast path for the `YYYY-MM-DD` text SQLite stores: the stock
/// views read thousands of dates a request, and chrono's general format parser was a
/// twentieth of a view. Anything else falls back to that parser. For `deserialize_as` on
/// `NaiveDate` fields; `DayOpt` on `Option<NaiveDate>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct Day(pub NaiveDate);

/// `YYYY-MM-DD` exactly, or none.
fn ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

impl FromSql<Date, Sqlite> for Day {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = value.read_text();
        match ymd(text) {
            Some(d) => Ok(Day(d)),
            None => Ok(Day(NaiveDate::parse_from_str(text, "%F")?)),
        }
    }
}

impl FromSql<Date, Pg> for Day {
    fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDate as FromSql<Date, Pg>>::from_sql(bytes).map(Day)
    }
}

impl FromSql<Date, MultiBackend> for Day {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<Day, Date>()
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> Self {
        d.0
    }
}

/// A nullable `Day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct DayOpt(pub Option<NaiveDate>);

impl FromSql<Nullable<Date>, MultiBackend> for DayOpt {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(DayOpt(Some(
            <Day as FromSql<Date, MultiBackend>>::from_sql(bytes)?.0,
        )))
    }

    fn from_nullable_sql(
        bytes: Option<<MultiBackend as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        bytes.map_or(Ok(DayOpt(None)), Self::from_sql)
    }
}

impl From<DayOpt> for Option<NaiveDate> {
    fn from(d: DayOpt) -> Self {
        d.0
    }
}

/// A list of strings kept as a JSON array in one TEXT column (ingredients, conditions).
/// The schema stays on types both backends share; nobody queries inside the list.
#[derive(Debug, Clone, PartialEq, Eq, Default, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct TextList(pub Vec<String>);

impl TextList {
    fn json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.0)
    }
}

impl From<Vec<String>> for TextList {
    fn from(v: Vec<String>) -> Self {
        TextList(v)
    }
}

impl From<TextList> for Vec<String> {
    fn from(l: TextList) -> Self {
        l.0
    }
}

impl ToSql<Text, Pg> for TextList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let json = self.json()?;
        <str as ToSql<Text, Pg>>::to_sql(&json, &mut out.reborrow())
    }
}

impl ToSql<Text, Sqlite> for TextList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.json()?);
        Ok(IsNull::No)
    }
}

impl ToSql<Text, MultiBackend> for TextList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl<DB: Backend> FromSql<Text, DB> for TextList
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
        Ok(TextList(serde_json::from_str(&s)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use std::str::FromStr;

    #[test]
    fn round_trips_exactly() {
        for s in ["0", "11.7", "0.000001", "-3.5", "123456789.123456"] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(Scaled::from_i64(Scaled(d).to_i64().unwrap()).0, d);
        }
    }

    #[test]
    fn refuses_to_round() {
        assert!(Scaled(Decimal::from_str("0.0000001").unwrap())
            .to_i64()
            .is_err());
    }

    #[test]
    fn dates_as_sqlite_stores_them_read_fast_and_exactly() {
        // Every day of four years, leap day included, as chrono writes them.
        let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        while day.year() < 2028 {
            assert_eq!(ymd(&day.format("%F").to_string()), Some(day));
            day = day.succ_opt().unwrap();
        }
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-0x",
            "",
            "2026-01-01T",
        ] {
            assert_eq!(ymd(bad), None, "{bad}");
        }
    }
}
