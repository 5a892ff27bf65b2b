//! The one place where exact decimals meet the database. Quantities and money are stored
//! as BIGINT holding the value times 10^6, so both SQLite and PostgreSQL add and compare
//! them exactly (diesel's `Numeric` is not shared by both backends, and SQLite's would go
//! through a binary float). The domain refuses values with more than six decimal places, so
//! conversion never rounds.

use diesel::result::Error as DbError;
use rust_decimal::Decimal;

pub const SCALE: u32 = crate::domain::quantity::MAX_DECIMALS;

pub fn to_db(value: Decimal) -> Result<i64, DbError> {
    let mut v = value;
    v.rescale(SCALE);
    if v != value {
        return Err(DbError::SerializationError(
            format!("{value} has more than {SCALE} decimal places").into(),
        ));
    }
    i64::try_from(v.mantissa())
        .map_err(|_| DbError::SerializationError(format!("{value} is too large").into()))
}

pub fn from_db(value: i64) -> Decimal {
    Decimal::new(value, SCALE).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn round_trips_exactly() {
        for s in ["0", "11.7", "0.000001", "-3.5", "123456789.123456"] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(from_db(to_db(d).unwrap()), d);
        }
    }

    #[test]
    fn refuses_to_round() {
        assert!(to_db(Decimal::from_str("0.0000001").unwrap()).is_err());
    }
}
