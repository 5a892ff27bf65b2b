//! The stock ledger's vocabulary and the sign rules of hand-entered movements.

use rust_decimal::Decimal;

use super::product::text_enum;
use super::quantity;

text_enum!(
    MovementKind {
        Receive => "receive",
        Consume => "consume",
        Waste => "waste",
        Adjust => "adjust",
        Reversal => "reversal",
    }
);

/// The signed change a manager's movement makes. Waste is given as the amount thrown
/// away (positive) and lowers stock; an adjustment is signed (a count found 2 ml short
/// is `-2`). Other kinds come only from receiving, sessions and voids.
pub fn manual_delta(
    kind: MovementKind,
    quantity: Decimal,
) -> Result<Decimal, (&'static str, String)> {
    match kind {
        MovementKind::Waste => quantity::positive(quantity)
            .map(|q| -q)
            .map_err(|e| ("quantity", format!("{e} (the amount wasted)"))),
        MovementKind::Adjust => quantity::non_zero(quantity).map_err(|e| ("quantity", e)),
        other => Err((
            "kind",
            format!("{other} movements are made by the service; record waste or adjust"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waste_lowers_stock_and_adjust_keeps_its_sign() {
        assert_eq!(
            manual_delta(MovementKind::Waste, Decimal::from(2)),
            Ok(Decimal::from(-2))
        );
        assert!(manual_delta(MovementKind::Waste, Decimal::from(-2)).is_err());
        assert_eq!(
            manual_delta(MovementKind::Adjust, Decimal::from(-2)),
            Ok(Decimal::from(-2))
        );
        assert!(manual_delta(MovementKind::Adjust, Decimal::ZERO).is_err());
        assert!(manual_delta(MovementKind::Consume, Decimal::ONE).is_err());
    }
}
