//! Who may do what: the spec's role table in one place. Handlers ask `require(role,
//! action)`; nothing else decides permissions.

use super::product::text_enum;

text_enum!(
    Role {
        Admin => "admin",
        Manager => "manager",
        Practitioner => "practitioner",
        Auditor => "auditor",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create clinics (admin only).
    ManageClinics,
    /// Add staff to a clinic (admin, or a manager of that clinic).
    ManageStaff,
    /// Suppliers, products, lots, ledger corrections, status changes.
    ManageStock,
    /// Read catalog, lots and stock.
    ReadStock,
    /// Read the ledger, traces and exports.
    Audit,
    /// Log a treatment session, screen a patient.
    Treat,
}

impl Action {
    pub fn describe(self) -> &'static str {
        match self {
            Action::ManageClinics => "create clinics (admin only)",
            Action::ManageStaff => "add staff (admin, or a manager of the clinic)",
            Action::ManageStock => {
                "manage the catalog, stock, ledger, forecast and orders (managers only)"
            }
            Action::ReadStock => "read a clinic's catalog and stock (clinic staff only)",
            Action::Audit => "read the ledger and traceability (managers and auditors)",
            Action::Treat => "log sessions or screen patients (practitioners and managers)",
        }
    }
}

pub fn allows(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::ManageClinics => role == R::Admin,
        A::ManageStaff => matches!(role, R::Admin | R::Manager),
        A::ManageStock => role == R::Manager,
        A::ReadStock => matches!(role, R::Manager | R::Practitioner | R::Auditor),
        A::Audit => matches!(role, R::Manager | R::Auditor),
        A::Treat => matches!(role, R::Manager | R::Practitioner),
    }
}

/// Roles a clinic's staff may have; the admin is global and bootstrapped, never created.
pub const ASSIGNABLE: &[Role] = &[Role::Manager, Role::Practitioner, Role::Auditor];

pub fn assignable(role: Role) -> bool {
    ASSIGNABLE.contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditors_never_write() {
        for a in [
            Action::ManageClinics,
            Action::ManageStaff,
            Action::ManageStock,
        ] {
            assert!(!allows(Role::Auditor, a));
        }
        assert!(allows(Role::Auditor, Action::Audit));
        assert!(!allows(Role::Practitioner, Action::Audit));
        assert!(!allows(Role::Admin, Action::ReadStock));
        assert!(!allows(Role::Auditor, Action::Treat));
    }
}
