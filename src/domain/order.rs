//! Purchase orders: the states an order moves through and which moves are allowed.

use super::product::text_enum;

text_enum!(
    PurchaseOrderStatus {
        Draft => "draft",
        Sent => "sent",
        PartiallyReceived => "partially_received",
        Received => "received",
        Cancelled => "cancelled",
    }
);

/// Why an order cannot move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderStateError {
    #[error("only a draft can be sent; this order is {0}")]
    NotDraft(PurchaseOrderStatus),
    #[error("this order is {0}; nothing more can be received")]
    Complete(PurchaseOrderStatus),
    #[error("only a draft can be changed; this order is {0}")]
    NotEditable(PurchaseOrderStatus),
    #[error("only an order with nothing received can be cancelled; this order is {0}")]
    NotCancellable(PurchaseOrderStatus),
}

/// Why a receipt is held back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverReceipt {
    #[error("{sku}: {receiving} container(s) would make {total} received of {ordered} ordered; check the delivery, or confirm with confirm_over_receipt: true")]
    MoreThanOrdered {
        sku: String,
        ordered: i64,
        receiving: i64,
        total: i64,
    },
}

/// Receiving more containers than a line ordered needs the manager's confirmation: a
/// typo in the count would otherwise inflate the stock silently.
pub fn check_receipt(
    sku: &str,
    ordered: i64,
    already: i64,
    receiving: i64,
    confirmed: bool,
) -> Result<(), OverReceipt> {
    let total = already.saturating_add(receiving);
    if total > ordered && !confirmed {
        return Err(OverReceipt::MoreThanOrdered {
            sku: sku.to_string(),
            ordered,
            receiving,
            total,
        });
    }
    Ok(())
}

impl PurchaseOrderStatus {
    /// draft → sent; nothing else can be sent.
    pub fn send(self) -> Result<Self, OrderStateError> {
        match self {
            Self::Draft => Ok(Self::Sent),
            other => Err(OrderStateError::NotDraft(other)),
        }
    }

    /// Boxes may arrive before the order is marked sent, never after it is complete or
    /// cancelled.
    pub fn can_receive(self) -> Result<(), OrderStateError> {
        match self {
            Self::Draft | Self::Sent | Self::PartiallyReceived => Ok(()),
            Self::Received | Self::Cancelled => Err(OrderStateError::Complete(self)),
        }
    }

    /// Only a draft's lines change: once sent, the supplier has what it says.
    pub fn can_edit(self) -> Result<(), OrderStateError> {
        match self {
            Self::Draft => Ok(()),
            other => Err(OrderStateError::NotEditable(other)),
        }
    }

    /// draft | sent → cancelled, while nothing was received: a receipt is stock in the
    /// ledger, which a cancel could not take back.
    pub fn cancel(self, anything_received: bool) -> Result<Self, OrderStateError> {
        match self {
            Self::Draft | Self::Sent if !anything_received => Ok(Self::Cancelled),
            other => Err(OrderStateError::NotCancellable(other)),
        }
    }

    /// Still expected from the supplier: counted as "on order" by the forecast, the
    /// suggestions and the home page.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Draft | Self::Sent | Self::PartiallyReceived)
    }

    /// The state after a receipt: complete when every line got all its containers.
    pub fn after_receipt(all_lines_complete: bool) -> Self {
        if all_lines_complete {
            Self::Received
        } else {
            Self::PartiallyReceived
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PurchaseOrderStatus as S;

    #[test]
    fn only_a_draft_is_sent_and_a_received_order_takes_nothing() {
        assert_eq!(S::Draft.send(), Ok(S::Sent));
        assert!(S::Sent.send().is_err());
        assert!(S::Received.can_receive().is_err());
        for s in [S::Draft, S::Sent, S::PartiallyReceived] {
            assert!(s.can_receive().is_ok());
        }
        assert_eq!(S::after_receipt(true), S::Received);
        assert_eq!(S::after_receipt(false), S::PartiallyReceived);
    }

    #[test]
    fn drafts_edit_and_unreceived_orders_cancel() {
        assert!(S::Draft.can_edit().is_ok());
        assert!(S::Sent.can_edit().is_err());
        assert_eq!(S::Draft.cancel(false), Ok(S::Cancelled));
        assert_eq!(S::Sent.cancel(false), Ok(S::Cancelled));
        assert!(S::Sent.cancel(true).is_err());
        for s in [S::PartiallyReceived, S::Received, S::Cancelled] {
            assert!(s.cancel(false).is_err());
        }
        assert!(S::Cancelled.can_receive().is_err());
        assert!(!S::Cancelled.is_open() && !S::Received.is_open() && S::Sent.is_open());
    }

    #[test]
    fn more_than_ordered_needs_confirmation() {
        assert!(super::check_receipt("X", 2, 1, 1, false).is_ok());
        assert!(super::check_receipt("X", 2, 1, 2, false).is_err());
        assert!(super::check_receipt("X", 2, 1, 2, true).is_ok());
    }
}
