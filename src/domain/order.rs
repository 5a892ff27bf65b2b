//! Purchase orders: the states an order moves through and which moves are allowed.

use super::product::text_enum;

text_enum!(
    PurchaseOrderStatus {
        Draft => "draft",
        Sent => "sent",
        PartiallyReceived => "partially_received",
        Received => "received",
    }
);

/// Why an order cannot move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderStateError {
    #[error("only a draft can be sent; this order is {0}")]
    NotDraft(PurchaseOrderStatus),
    #[error("this order is {0}; nothing more can be received")]
    Complete(PurchaseOrderStatus),
}

impl PurchaseOrderStatus {
    /// draft → sent; nothing else can be sent.
    pub fn send(self) -> Result<Self, OrderStateError> {
        match self {
            Self::Draft => Ok(Self::Sent),
            other => Err(OrderStateError::NotDraft(other)),
        }
    }

    /// Boxes may arrive before the order is marked sent, never after it is complete.
    pub fn can_receive(self) -> Result<(), OrderStateError> {
        match self {
            Self::Draft | Self::Sent | Self::PartiallyReceived => Ok(()),
            Self::Received => Err(OrderStateError::Complete(self)),
        }
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
}
