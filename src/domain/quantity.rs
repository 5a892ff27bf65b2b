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

/// Why a decimal's text is refused: only `-?digits(.digits)?` is read, exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalSyntaxError {
    #[error("{0:?} is not a decimal: write digits with an optional leading - and a dot, e.g. \"2.5\" or \"-1\" (no +, exponent, _ or comma)")]
    Form(String),
    #[error("{0:?} has more than {MAX_DECIMALS} digits after the decimal point")]
    TooPrecise(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
}

/// The one reader of decimal text (JSON bodies, CSV imports, forms). Lenient forms such
/// as `+1`, `1e2` or `1_000` are refused. The value is exact and keeps the scale it was
/// written with, so `bounded` refuses a seventh decimal (even a `0`) together with the
/// request's other field errors; what `Decimal` cannot hold exactly (more than 28
/// decimals, which `Decimal::from_str` would round to 0) is refused here.
pub fn parse_decimal(text: &str) -> Result<Decimal, DecimalSyntaxError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return Err(DecimalSyntaxError::Form(text.to_string()));
    }
    Decimal::from_str_exact(text).map_err(|_| {
        if fraction.is_some_and(|f| f.len() > MAX_DECIMALS as usize) {
            DecimalSyntaxError::TooPrecise(text.to_string())
        } else {
            DecimalSyntaxError::TooLarge(text.to_string())
        }
    })
}

/// Serde reader of a decimal sent as a string, through `parse_decimal`:
/// `#[serde(deserialize_with = "quantity::strict")]`.
pub fn strict<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal; send decimals as strings, e.g. \"2.5\"")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            parse_decimal(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Text)
}

/// `strict` for an optional field (absent or `null` is `None`); use with
/// `#[serde(default, deserialize_with = "quantity::strict_opt")]`.
pub fn strict_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "strict")] Decimal);
    let v: Option<Wrapped> = serde::Deserialize::deserialize(d)?;
    Ok(v.map(|Wrapped(d)| d))
}

/// The scale as written counts (`parse_decimal` keeps it): `2.0000000` has seven
/// decimals. Values read back from storage never have more than six.
fn bounded(value: Decimal) -> Result<Decimal, QuantityError> {
    if value.scale() > MAX_DECIMALS {
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
    fn reads_only_plain_decimals_exactly() {
        for ok in ["0", "2.5", "-1", "007", "0.000001", "123456789.123456"] {
            assert_eq!(parse_decimal(ok).unwrap(), d(ok), "{ok}");
        }
        // Read exactly, then refused by the bounds with the other field errors.
        assert_eq!(parse_decimal("2.0000000").unwrap().scale(), 7);
        assert_eq!(
            positive(parse_decimal("2.0000000").unwrap()),
            Err(QuantityError::TooPrecise)
        );
        for bad in [
            "", "-", "+1", "1e2", "1_000", "1,5", " 1", "1.", ".5", "--1", "0x10", "NaN", "1.2.3",
            "١",
        ] {
            assert!(
                matches!(parse_decimal(bad), Err(DecimalSyntaxError::Form(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_decimal("0.000000000000000000000000000001"),
            Err(DecimalSyntaxError::TooPrecise(_))
        ));
        assert!(matches!(
            parse_decimal("99999999999999999999999999999999"),
            Err(DecimalSyntaxError::TooLarge(_))
        ));
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
