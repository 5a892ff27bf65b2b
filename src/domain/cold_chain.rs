//! The cold chain's rules: a fridge's range and tolerance, what a reading may say, and
//! which runs of readings are excursions.

use chrono::{Duration, NaiveDateTime};
use rust_decimal::Decimal;

/// A refrigerator keeps 2–8 °C (USP) unless the fridge says otherwise.
pub const DEFAULT_MIN_CELSIUS: Decimal = Decimal::from_parts(2, 0, 0, false, 0);
pub const DEFAULT_MAX_CELSIUS: Decimal = Decimal::from_parts(8, 0, 0, false, 0);
/// How long readings may stay out of range before it is an excursion.
pub const DEFAULT_TOLERANCE_MINUTES: i64 = 30;
/// A fridge with no reading for this long shows in the alerts: its logger went quiet.
pub const SILENT_AFTER_MINUTES: i64 = 120;
/// The most a tolerance may be: a day.
pub const MAX_TOLERANCE_MINUTES: i64 = 24 * 60;
/// Readings a logger could plausibly send; anything beyond is a typo or a broken probe.
pub const CELSIUS_LIMIT: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColdChainError {
    #[error("must be from -100 to 100 °C")]
    OutOfScale,
    #[error("the minimum must be below the maximum")]
    EmptyRange,
    #[error("must be a whole number of minutes from 0 to {MAX_TOLERANCE_MINUTES}")]
    Tolerance,
}

/// A temperature as a reading or a range bound may give it.
pub fn celsius(value: Decimal) -> Result<Decimal, ColdChainError> {
    if value.abs() > CELSIUS_LIMIT {
        return Err(ColdChainError::OutOfScale);
    }
    Ok(value.normalize())
}

/// A fridge's range: defaults for what is not given; min < max.
pub fn range(
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> Result<(Decimal, Decimal), ColdChainError> {
    let min = celsius(min.unwrap_or(DEFAULT_MIN_CELSIUS))?;
    let max = celsius(max.unwrap_or(DEFAULT_MAX_CELSIUS))?;
    if min >= max {
        return Err(ColdChainError::EmptyRange);
    }
    Ok((min, max))
}

pub fn tolerance(minutes: Option<i64>) -> Result<i64, ColdChainError> {
    let m = minutes.unwrap_or(DEFAULT_TOLERANCE_MINUTES);
    if !(0..=MAX_TOLERANCE_MINUTES).contains(&m) {
        return Err(ColdChainError::Tolerance);
    }
    Ok(m)
}

/// A fridge's logger went quiet: no reading for `SILENT_AFTER_MINUTES`, counted from its
/// last reading, or from when the fridge was added if it never reported.
pub fn is_silent(
    last_reading: Option<NaiveDateTime>,
    added: NaiveDateTime,
    now: NaiveDateTime,
) -> bool {
    now - last_reading.unwrap_or(added) > Duration::minutes(SILENT_AFTER_MINUTES)
}

/// A run of readings outside the range that lasted longer than the tolerance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The first reading out of range.
    pub started_at: NaiveDateTime,
    /// The first reading back in range; None while the fridge is still out of range.
    pub ended_at: Option<NaiveDateTime>,
    pub min_celsius: Decimal,
    pub max_celsius: Decimal,
}

/// The excursions in time-ordered readings. A run lasts from its first reading out of
/// range to the first reading back in range (or, while it goes on, to its last reading);
/// it is an excursion when that is longer than `tolerance_minutes`. The bounds are in
/// range: 2.0 °C in a 2–8 °C fridge is fine.
pub fn excursions(
    readings: &[(NaiveDateTime, Decimal)],
    min: Decimal,
    max: Decimal,
    tolerance_minutes: i64,
) -> Vec<Run> {
    let tolerance = Duration::minutes(tolerance_minutes);
    let mut found = Vec::new();
    let mut open: Option<(Run, NaiveDateTime)> = None;
    for &(at, c) in readings {
        let out = c < min || c > max;
        match (&mut open, out) {
            (None, true) => {
                let run = Run {
                    started_at: at,
                    ended_at: None,
                    min_celsius: c,
                    max_celsius: c,
                };
                open = Some((run, at));
            }
            (Some((run, last)), true) => {
                run.min_celsius = run.min_celsius.min(c);
                run.max_celsius = run.max_celsius.max(c);
                *last = at;
            }
            (Some(_), false) => {
                if let Some((mut run, _)) = open.take() {
                    if at - run.started_at > tolerance {
                        run.ended_at = Some(at);
                        found.push(run);
                    }
                }
            }
            (None, false) => {}
        }
    }
    if let Some((run, last)) = open {
        if last - run.started_at > tolerance {
            found.push(run);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_790_000_000, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default()
            + Duration::minutes(minute)
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn readings(temps: &[&str]) -> Vec<(NaiveDateTime, Decimal)> {
        // One reading every 10 minutes.
        temps
            .iter()
            .enumerate()
            .map(|(i, t)| (at(i as i64 * 10), d(t)))
            .collect()
    }

    #[test]
    fn a_run_longer_than_the_tolerance_is_an_excursion() {
        let r = readings(&["5", "9", "11", "10.5", "9.1", "7", "6"]);
        let found = excursions(&r, d("2"), d("8"), 30);
        assert_eq!(
            found,
            vec![Run {
                started_at: at(10),
                ended_at: Some(at(50)),
                min_celsius: d("9"),
                max_celsius: d("11"),
            }]
        );
    }

    #[test]
    fn a_short_run_or_the_bounds_themselves_are_not() {
        // 20 minutes out (10 → 30), tolerance 30: fine.
        let r = readings(&["5", "9", "9", "7"]);
        assert!(excursions(&r, d("2"), d("8"), 30).is_empty());
        // Exactly 30 minutes is not longer than 30.
        let r = readings(&["5", "9", "9", "9", "7"]);
        assert!(excursions(&r, d("2"), d("8"), 30).is_empty());
        let r = readings(&["2", "8", "2.0", "8.00"]);
        assert!(excursions(&r, d("2"), d("8"), 0).is_empty());
    }

    #[test]
    fn a_run_still_going_counts_up_to_its_last_reading() {
        let r = readings(&["5", "1.5", "0.5", "1", "1.9"]);
        let found = excursions(&r, d("2"), d("8"), 20);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ended_at, None);
        assert_eq!(
            (found[0].min_celsius, found[0].max_celsius),
            (d("0.5"), d("1.9"))
        );
        assert!(excursions(&r, d("2"), d("8"), 30).is_empty());
    }

    #[test]
    fn a_fridge_is_silent_after_two_hours_without_a_reading() {
        assert!(!is_silent(Some(at(0)), at(-600), at(120)));
        assert!(is_silent(Some(at(0)), at(-600), at(121)));
        assert!(!is_silent(None, at(0), at(60)), "just added");
        assert!(is_silent(None, at(0), at(121)), "never reported");
    }

    #[test]
    fn ranges_and_readings_are_checked() {
        assert_eq!(range(None, None), Ok((d("2"), d("8"))));
        assert_eq!(range(Some(d("8")), None), Err(ColdChainError::EmptyRange));
        assert_eq!(
            range(Some(d("-101")), None),
            Err(ColdChainError::OutOfScale)
        );
        assert_eq!(tolerance(None), Ok(30));
        assert_eq!(tolerance(Some(-1)), Err(ColdChainError::Tolerance));
        assert_eq!(celsius(d("4.50")), Ok(d("4.5")));
    }
}
