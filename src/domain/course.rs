//! Treatment courses: the usual schedule per area (SPEC, "Typical courses"), which the
//! clinic may override per course. Planned sessions drive the demand forecast.

use chrono::{Duration, NaiveDate};

use super::product::text_enum;
use super::treatment::Area;

text_enum!(
    /// Where a course stands: `active` while planned sessions are left, `completed` once
    /// the last is done (voiding that session makes it active again), `cancelled` by the
    /// practitioner, for good.
    CourseStatus {
        Active => "active",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

/// Why a course cannot move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CourseStateError {
    #[error("the course is already {0}")]
    NotActive(CourseStatus),
}

impl CourseStatus {
    /// Only an active course can be cancelled.
    pub fn cancel(self) -> Result<CourseStatus, CourseStateError> {
        match self {
            CourseStatus::Active => Ok(CourseStatus::Cancelled),
            other => Err(CourseStateError::NotActive(other)),
        }
    }

    /// Whether the course goes on into maintenance sessions once its own are done
    /// (a cancelled one does not).
    pub fn maintained(self) -> bool {
        self != CourseStatus::Cancelled
    }
}

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

/// Days between maintenance sessions once a course is over, when the course does not
/// say: face and nearby areas every 3 months (protocols say every 2 to 4), body every 4
/// months, scalp once a semester.
pub fn default_maintenance_days(area: Area) -> i64 {
    match area {
        Area::Face | Area::Eyes | Area::Neck | Area::Neckline | Area::Hands => 91,
        Area::Belly | Area::Legs => 122,
        Area::Scalp => 183,
    }
}

/// A course's maintenance interval: as stored, else (`None`, courses planned before
/// maintenance existed) its area's default. 0 means none.
pub fn maintenance_days(stored: Option<i64>, area: &str) -> i64 {
    stored.unwrap_or_else(|| Area::parse(area).map_or(0, default_maintenance_days))
}

/// Maintenance sessions every `every` days after the course's `last` session, those from
/// `from` (inclusive) to `until` (exclusive); none when `every` is 0 (no maintenance).
pub fn maintenance_dates(
    last: NaiveDate,
    every: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> Vec<NaiveDate> {
    if every <= 0 {
        return Vec::new();
    }
    // The first maintenance on or after `from`, without walking the years before it.
    let behind = (from - last).num_days().max(every);
    let first = last + Duration::days((behind + every - 1) / every * every);
    (0..)
        .map(|i| first + Duration::days(i * every))
        .take_while(|d| *d < until)
        .collect()
}

/// Checks a requested maintenance interval: 0 (none) or 14 to 365 days.
pub fn check_maintenance(every: i64) -> Result<(), ScheduleError> {
    if every == 0 || (14..=365).contains(&every) {
        Ok(())
    } else {
        Err(ScheduleError::Maintenance)
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
    #[error("maintenance is 0 (none) or every 14 to 365 days")]
    Maintenance,
}

impl ScheduleError {
    /// The request field the refusal is about.
    pub fn field(self) -> &'static str {
        match self {
            ScheduleError::Sessions => "sessions",
            ScheduleError::Interval => "interval_days",
            ScheduleError::Maintenance => "maintenance_every_days",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_active_course_is_cancelled_and_a_cancelled_one_has_no_maintenance() {
        assert_eq!(CourseStatus::Active.cancel(), Ok(CourseStatus::Cancelled));
        for s in [CourseStatus::Completed, CourseStatus::Cancelled] {
            assert_eq!(s.cancel(), Err(CourseStateError::NotActive(s)));
        }
        assert_eq!(
            CourseStateError::NotActive(CourseStatus::Completed).to_string(),
            "the course is already completed"
        );
        let maintained: Vec<_> = CourseStatus::ALL
            .iter()
            .filter(|s| s.maintained())
            .collect();
        assert_eq!(
            maintained,
            [&CourseStatus::Active, &CourseStatus::Completed]
        );
    }

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

    #[test]
    fn maintenance_follows_the_last_session() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(default_maintenance_days(Area::Face), 91);
        assert_eq!(default_maintenance_days(Area::Legs), 122);
        assert_eq!(default_maintenance_days(Area::Scalp), 183);
        // Last session 1 Jan, every 91 days: 2 Apr, 2 Jul, 1 Oct…
        let last = d(1, 1);
        assert_eq!(
            maintenance_dates(last, 91, d(1, 1), d(7, 3)),
            vec![d(4, 2), d(7, 2)]
        );
        // From a later day: only those on or after it.
        assert_eq!(maintenance_dates(last, 91, d(4, 3), d(7, 3)), vec![d(7, 2)]);
        assert_eq!(maintenance_dates(last, 91, d(7, 2), d(7, 3)), vec![d(7, 2)]);
        assert!(maintenance_dates(last, 0, d(1, 1), d(12, 31)).is_empty());
        assert!(maintenance_dates(last, 91, d(1, 1), d(4, 2)).is_empty());
        assert!(check_maintenance(0).is_ok() && check_maintenance(60).is_ok());
        assert_eq!(check_maintenance(7), Err(ScheduleError::Maintenance));
        assert_eq!(ScheduleError::Maintenance.field(), "maintenance_every_days");
    }
}
