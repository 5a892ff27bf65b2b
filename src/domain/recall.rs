//! Recall cases: after a recall every affected patient is contacted (or marked as not
//! needing it) before the case may close.

use super::product::text_enum;

text_enum!(
    ContactStatus {
        Pending => "pending",
        Contacted => "contacted",
        Unreachable => "unreachable",
        NotRequired => "not_required",
    }
);

text_enum!(
    /// A recall case stays open until every affected patient has a contact status.
    RecallCaseStatus {
        Open => "open",
        Closed => "closed",
    }
);

/// Patients still waiting to be told, which keeps a recall case open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} patient(s) still pending; record a contact status for each first")]
pub struct StillPending(pub usize);

/// A case closes only when no patient is still pending.
pub fn can_close(statuses: &[ContactStatus]) -> Result<(), StillPending> {
    let pending = statuses
        .iter()
        .filter(|s| **s == ContactStatus::Pending)
        .count();
    if pending == 0 {
        Ok(())
    } else {
        Err(StillPending(pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_only_without_pending() {
        assert!(can_close(&[]).is_ok());
        assert!(can_close(&[
            ContactStatus::Contacted,
            ContactStatus::Unreachable,
            ContactStatus::NotRequired
        ])
        .is_ok());
        assert!(
            can_close(&[ContactStatus::Contacted, ContactStatus::Pending])
                .unwrap_err()
                .to_string()
                .contains("1 patient")
        );
    }
}
