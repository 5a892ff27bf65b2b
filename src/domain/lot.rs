//! Lots: the manufacturer's lot number, expiry and status, and the rules that decide
//! whether a lot may be used.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::product::text_enum;

/// GS1 AI (10): at most 20 characters from GS1 character set 82, which has no space.
pub const LOT_NUMBER_MAX: usize = super::limits::LOT_NUMBER;

pub fn parse_lot_number(input: &str) -> Result<String, LotNumberError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(LotNumberError::Empty);
    }
    if s.chars().count() > LOT_NUMBER_MAX {
        return Err(LotNumberError::TooLong(s.chars().count()));
    }
    if let Some(bad) = s.chars().find(|c| !is_cset82(*c)) {
        return Err(LotNumberError::Character(bad));
    }
    Ok(s.to_string())
}

/// Why a lot number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LotNumberError {
    #[error("must not be empty")]
    Empty,
    #[error("a GS1 lot number has at most {LOT_NUMBER_MAX} characters, this one has {0}")]
    TooLong(usize),
    #[error(
        "{0:?} is not allowed in a GS1 lot number (letters, digits and !\"%&'()*+,-./:;<=>?_ only)"
    )]
    Character(char),
}

fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

text_enum!(
    /// The status a manager sets. `expired` and `depleted` are derived, never stored.
    LotStatus {
        Available => "available",
        Quarantined => "quarantined",
        Recalled => "recalled",
    }
);

/// Derived states the lot list filters by besides the stored ones: past expiry with
/// stock left, and usable today.
pub const DERIVED_FILTERS: &[&str] = &["expired", "usable"];

text_enum!(
    /// A manager's status change.
    StatusChange {
        Quarantine => "quarantine",
        Release => "release",
        Recall => "recall",
    }
);

/// The status after `change`, or why the change is not allowed. A recall is final.
pub fn apply_status_change(
    current: LotStatus,
    change: StatusChange,
) -> Result<LotStatus, StatusChangeError> {
    use LotStatus as S;
    use StatusChange as C;
    match (current, change) {
        (S::Recalled, C::Recall) => Err(StatusChangeError::AlreadyRecalled),
        (S::Recalled, _) => Err(StatusChangeError::RecallIsFinal),
        (S::Available, C::Quarantine) => Ok(S::Quarantined),
        (S::Quarantined, C::Quarantine) => Err(StatusChangeError::AlreadyQuarantined),
        (S::Quarantined, C::Release) => Ok(S::Available),
        (S::Available, C::Release) => Err(StatusChangeError::NotQuarantined),
        (_, C::Recall) => Ok(S::Recalled),
    }
}

/// A lot's number and expiry may be corrected until it is recalled: the recall case and
/// its notices name the lot as it was when recalled.
pub fn check_correctable(status: LotStatus) -> Result<(), StatusChangeError> {
    match status {
        LotStatus::Recalled => Err(StatusChangeError::RecallIsFinal),
        LotStatus::Available | LotStatus::Quarantined => Ok(()),
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusChangeError {
    #[error("the lot is recalled; a recall is final")]
    RecallIsFinal,
    #[error("the lot is already recalled")]
    AlreadyRecalled,
    #[error("the lot is already quarantined")]
    AlreadyQuarantined,
    #[error("the lot is not quarantined")]
    NotQuarantined,
}

/// A lot is expired after its expiry date: the printed date is the last day of use.
pub fn is_expired(expires_on: NaiveDate, today: NaiveDate) -> bool {
    expires_on < today
}

/// Why a lot cannot be used today, if it cannot.
pub fn unusable_reason(
    status: LotStatus,
    expires_on: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    match status {
        LotStatus::Quarantined => Some("quarantined".into()),
        LotStatus::Recalled => Some("recalled".into()),
        LotStatus::Available if is_expired(expires_on, today) => {
            Some(format!("expired on {expires_on}"))
        }
        LotStatus::Available => None,
    }
}

/// Stock that counts as available: usable and on the shelf.
pub fn available_quantity(
    status: LotStatus,
    expires_on: NaiveDate,
    on_hand: Decimal,
    today: NaiveDate,
) -> Decimal {
    if unusable_reason(status, expires_on, today).is_none() {
        on_hand
    } else {
        Decimal::ZERO
    }
}

/// Why another delivery of a lot number already held is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopUpRefusal {
    /// One lot has one expiry: another date means the label was misread.
    #[error("lot {lot_number} of {sku} is already recorded with expiry {recorded}, not {delivered}; check the label")]
    OtherExpiry {
        lot_number: String,
        sku: String,
        recorded: NaiveDate,
        delivered: NaiveDate,
    },
    #[error("lot {lot_number} of {sku} is recalled; do not receive it")]
    Recalled { lot_number: String, sku: String },
}

/// One lot has one expiry: a box (delivered or scanned at the chair) of a lot on file
/// with another expiry is another box than the one recorded, or a misread label.
pub fn check_expiry_matches(
    lot_number: &str,
    sku: &str,
    recorded: NaiveDate,
    seen: NaiveDate,
) -> Result<(), TopUpRefusal> {
    if recorded != seen {
        return Err(TopUpRefusal::OtherExpiry {
            lot_number: lot_number.into(),
            sku: sku.into(),
            recorded,
            delivered: seen,
        });
    }
    Ok(())
}

/// A delivery of a lot number already held is a second box of that lot: same expiry,
/// and never of a recalled lot.
pub fn check_top_up(
    lot_number: &str,
    sku: &str,
    status: LotStatus,
    recorded: NaiveDate,
    delivered: NaiveDate,
) -> Result<(), TopUpRefusal> {
    check_expiry_matches(lot_number, sku, recorded, delivered)?;
    if status == LotStatus::Recalled {
        return Err(TopUpRefusal::Recalled {
            lot_number: lot_number.into(),
            sku: sku.into(),
        });
    }
    Ok(())
}

/// What a lot's stored status, expiry and balance mean today. `expired` and `depleted`
/// are never stored: they follow from the date and the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedState {
    pub expired: bool,
    pub depleted: bool,
    /// May be used today: available, not expired, in stock.
    pub usable: bool,
    /// Why it may not be used, when the status or the date forbid it.
    pub blocked_reason: Option<String>,
}

pub fn derived_state(
    status: LotStatus,
    expires_on: NaiveDate,
    on_hand: Decimal,
    today: NaiveDate,
) -> DerivedState {
    let blocked_reason = unusable_reason(status, expires_on, today);
    DerivedState {
        expired: is_expired(expires_on, today),
        depleted: on_hand <= Decimal::ZERO,
        usable: blocked_reason.is_none() && on_hand > Decimal::ZERO,
        blocked_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_recalled_lot_is_not_corrected() {
        assert!(check_correctable(LotStatus::Available).is_ok());
        assert!(check_correctable(LotStatus::Quarantined).is_ok());
        assert!(check_correctable(LotStatus::Recalled).is_err());
    }

    #[test]
    fn lot_numbers_follow_gs1() {
        assert_eq!(parse_lot_number(" ABC-123/7 ").unwrap(), "ABC-123/7");
        assert_eq!(parse_lot_number("=1+2").unwrap(), "=1+2");
        assert!(parse_lot_number("A B").is_err());
        assert!(parse_lot_number(&"X".repeat(21)).is_err());
        assert!(parse_lot_number("").is_err());
        assert!(parse_lot_number("LOTé").is_err());
    }

    #[test]
    fn status_changes() {
        use LotStatus as S;
        use StatusChange as C;
        assert_eq!(
            apply_status_change(S::Available, C::Quarantine),
            Ok(S::Quarantined)
        );
        assert_eq!(
            apply_status_change(S::Quarantined, C::Release),
            Ok(S::Available)
        );
        assert_eq!(
            apply_status_change(S::Quarantined, C::Recall),
            Ok(S::Recalled)
        );
        assert!(apply_status_change(S::Recalled, C::Release).is_err());
        assert_eq!(
            apply_status_change(S::Recalled, C::Recall),
            Err(StatusChangeError::AlreadyRecalled)
        );
        assert!(apply_status_change(S::Available, C::Release).is_err());
    }

    #[test]
    fn derived_state_follows_status_date_and_balance() {
        let d = day("2026-11-24");
        let s = derived_state(LotStatus::Available, d, Decimal::ONE, d);
        assert!(s.usable && !s.expired && !s.depleted);
        let s = derived_state(LotStatus::Available, d, Decimal::ZERO, d);
        assert!(!s.usable && s.depleted && s.blocked_reason.is_none());
        let s = derived_state(LotStatus::Available, day("2026-11-23"), Decimal::ONE, d);
        assert!(!s.usable && s.expired);
        let s = derived_state(LotStatus::Quarantined, d, Decimal::ONE, d);
        assert_eq!(s.blocked_reason.as_deref(), Some("quarantined"));
    }

    #[test]
    fn a_lot_number_has_one_expiry_and_a_recall_is_not_topped_up() {
        let d = day("2027-01-31");
        assert!(check_top_up("L1", "HA", LotStatus::Available, d, d).is_ok());
        let e = check_top_up("L1", "HA", LotStatus::Available, d, day("2027-02-28")).unwrap_err();
        assert!(e.to_string().contains("2027-01-31") && e.to_string().contains("2027-02-28"));
        assert!(matches!(
            check_top_up("L1", "HA", LotStatus::Recalled, d, d),
            Err(TopUpRefusal::Recalled { .. })
        ));
    }

    #[test]
    fn expiry_day_is_still_usable() {
        let d = day("2026-11-24");
        assert_eq!(unusable_reason(LotStatus::Available, d, d), None);
        assert!(unusable_reason(LotStatus::Available, day("2026-11-23"), d).is_some());
        assert_eq!(
            unusable_reason(LotStatus::Recalled, day("2030-01-01"), d).as_deref(),
            Some("recalled")
        );
    }
}
