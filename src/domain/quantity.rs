//! Exact quantities and money. Everything is `rust_decimal::Decimal`; these checks bound
//! precision and size so values survive storage unchanged (see `db::types::Scaled`).

use rust_decimal::Decimal;

/// Digits after the decimal point that a quantity or amount of money may carry.
pub const MAX_DECIMALS: u32 = 6;
/// No clinic holds a billion ml of anything; the bound keeps sums far from overflow.
pub const MAX_MAGNITUDE: i64 = 1_000_000_000;
/// The most one container (a vial's ml, a box's pieces) may hold.
pub const MAX_CONTENT: i64 = 100_000;

/// Why a quantity or an amount of money is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("must have at most {MAX_DECIMALS} digits after the decimal point")]
    TooPrecise,
    #[error("must be smaller than {MAX_MAGNITUDE}")]
    TooLarge,
    #[error("must be greater than 0")]
    NotPositive,
    #[error("must not be negative")]
    Negative,
    #[error("must not be 0")]
    Zero,
    #[error("{0} is not a whole number of pieces")]
    NotWholePieces(Decimal),
    #[error("must be a whole number from {min} to {max}")]
    OutOfRange { min: i64, max: i64 },
}

fn bounded(value: Decimal) -> Result<Decimal, QuantityError> {
    if value.normalize().scale() > MAX_DECIMALS {
        return Err(QuantityError::TooPrecise);
    }
    if value.abs() >= Decimal::from(MAX_MAGNITUDE) {
        return Err(QuantityError::TooLarge);
    }
    Ok(value.normalize())
}

/// A strictly positive quantity (an amount used, wasted or received).
pub fn positive(value: Decimal) -> Result<Decimal, QuantityError> {
    let v = bounded(value)?;
    if v <= Decimal::ZERO {
        return Err(QuantityError::NotPositive);
    }
    Ok(v)
}

/// Zero or more (a reorder point, a price).
pub fn non_negative(value: Decimal) -> Result<Decimal, QuantityError> {
    let v = bounded(value)?;
    if v < Decimal::ZERO {
        return Err(QuantityError::Negative);
    }
    Ok(v)
}

/// A signed, non-zero change (a stock adjustment).
pub fn non_zero(value: Decimal) -> Result<Decimal, QuantityError> {
    let v = bounded(value)?;
    if v.is_zero() {
        return Err(QuantityError::Zero);
    }
    Ok(v)
}

/// Pieces (needles, rollers, kits) are counted whole; ml may be fractional.
pub fn in_unit(unit: super::product::StockUnit, value: Decimal) -> Result<Decimal, QuantityError> {
    if unit == super::product::StockUnit::Piece && !value.fract().is_zero() {
        return Err(QuantityError::NotWholePieces(value));
    }
    Ok(value)
}

/// A whole count such as containers received, at least `min`.
pub fn count(value: i64, min: i64, max: i64) -> Result<i64, QuantityError> {
    if value < min || value > max {
        return Err(QuantityError::OutOfRange { min, max });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimal_arithmetic_is_exact() {
        assert_eq!(d("12") - d("0.1") - d("0.2"), d("11.7"));
    }

    #[test]
    fn rejects_excess_precision_and_sign() {
        assert!(positive(d("0.0000001")).is_err());
        assert!(positive(d("0")).is_err());
        assert!(positive(d("-1")).is_err());
        assert!(non_negative(d("-0.5")).is_err());
        assert!(non_zero(d("0.000")).is_err());
        assert_eq!(positive(d("2.500")).unwrap().to_string(), "2.5");
        assert!(positive(d("1000000000")).is_err());
    }
}
