//! The stock ledger's vocabulary and the sign rules of hand-entered movements.

use rust_decimal::Decimal;

use super::product::text_enum;
use super::quantity::{self, QuantityError};

text_enum!(
    MovementKind {
        Receive => "receive",
        Consume => "consume",
        Waste => "waste",
        Adjust => "adjust",
        Reversal => "reversal",
    }
);

impl MovementKind {
    /// What a session takes from stock (a session's movements of these kinds, outside
    /// courses, make the forecast's recent rate of use).
    pub fn is_use(self) -> bool {
        matches!(self, MovementKind::Consume | MovementKind::Waste)
    }
}

/// The kinds a manager records by hand (`POST /movements`).
pub const MANUAL: &[MovementKind] = &[MovementKind::Waste, MovementKind::Adjust];

/// The signed change a manager's movement makes. Waste is given as the amount thrown
/// away (positive) and lowers stock; an adjustment is signed (a count found 2 ml short
/// is `-2`). Other kinds come only from receiving, sessions and voids.
pub fn manual_delta(kind: MovementKind, quantity: Decimal) -> Result<Decimal, ManualError> {
    match kind {
        MovementKind::Waste => quantity::positive(quantity)
            .map(|q| -q)
            .map_err(ManualError::Wasted),
        MovementKind::Adjust => quantity::non_zero(quantity).map_err(ManualError::Adjusted),
        other => Err(ManualError::ServiceOnly(other)),
    }
}

/// Why a hand-entered movement is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManualError {
    #[error("{0} (the amount wasted)")]
    Wasted(QuantityError),
    #[error("{0}")]
    Adjusted(QuantityError),
    #[error("{0} movements are made by the service; record waste or adjust")]
    ServiceOnly(MovementKind),
}

impl ManualError {
    /// The request field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            ManualError::Wasted(_) | ManualError::Adjusted(_) => "quantity",
            ManualError::ServiceOnly(_) => "kind",
        }
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
