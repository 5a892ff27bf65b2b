//! Treatment courses: the usual schedule per area (SPEC, "Typical courses"), which the
//! clinic may override per course. Planned sessions drive the demand forecast.

use chrono::{Duration, NaiveDate};

use super::treatment::Area;

/// (sessions, days between sessions) when the practitioner gives none:
/// face and nearby areas 4 sessions a week apart; body 7 sessions every 15 days;
/// scalp every 5 weeks for 6 months.
pub fn default_schedule(area: Area) -> (i64, i64) {
    match area {
        Area::Face | Area::Eyes | Area::Neck | Area::Neckline | Area::Hands => (4, 7),
        Area::Belly | Area::Legs => (7, 15),
        Area::Scalp => (6, 35),
    }
}

/// The planned dates of a course.
pub fn planned_dates(start_on: NaiveDate, sessions: i64, interval_days: i64) -> Vec<NaiveDate> {
    (0..sessions)
        .map(|i| start_on + Duration::days(i * interval_days))
        .collect()
}

/// Checks a requested schedule.
pub fn check_schedule(sessions: i64, interval_days: i64) -> Result<(), ScheduleError> {
    if !(1..=52).contains(&sessions) {
        return Err(ScheduleError::Sessions);
    }
    if !(1..=365).contains(&interval_days) {
        return Err(ScheduleError::Interval);
    }
    Ok(())
}

/// Why a requested course schedule is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a course has 1 to 52 sessions")]
    Sessions,
    #[error("sessions are 1 to 365 days apart")]
    Interval,
}

impl ScheduleError {
    /// The request field the refusal is about.
    pub fn field(self) -> &'static str {
        match self {
            ScheduleError::Sessions => "sessions",
            ScheduleError::Interval => "interval_days",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalp_course_spans_six_months() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let (n, every) = default_schedule(Area::Scalp);
        let dates = planned_dates(start, n, every);
        assert_eq!(dates.len(), 6);
        assert!(*dates.last().unwrap() <= start + Duration::days(183));
        assert_eq!(
            planned_dates(start, 4, 7)[3],
            NaiveDate::from_ymd_opt(2026, 1, 26).unwrap()
        );
        assert!(check_schedule(0, 7).is_err());
    }
}
