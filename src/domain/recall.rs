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

/// A case closes only when no patient is still pending.
pub fn can_close(statuses: &[ContactStatus]) -> Result<(), String> {
    let pending = statuses
        .iter()
        .filter(|s| **s == ContactStatus::Pending)
        .count();
    if pending == 0 {
        Ok(())
    } else {
        Err(format!(
            "{pending} patient(s) still pending; record a contact status for each first"
        ))
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
                .contains("1 patient")
        );
    }
}
