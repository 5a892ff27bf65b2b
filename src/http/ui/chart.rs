//! Chart geometry for server-drawn SVG: days and quantities scaled into a fixed viewBox.
//! Presentation only (no rule lives here); exact decimals throughout, rounded to a tenth
//! of a unit of the viewBox when written out.

use rust_decimal::Decimal;

/// The viewBox is `0 0 WIDTH HEIGHT`; the CSS scales it to the page's width.
pub const WIDTH: i64 = 640;
pub const HEIGHT: i64 = 220;
const LEFT: i64 = 56;
const RIGHT: i64 = 12;
const TOP: i64 = 12;
const BOTTOM: i64 = 28;
/// Length of a planned-session mark, up from the day axis.
const MARK: i64 = 14;

/// A plot of `days` days (x) against quantities from `bottom` (0 unless made with
/// `spanning`) to `top` (y). The x unit may be any whole step: the fridge chart uses
/// minutes.
#[derive(Debug, Clone)]
pub struct Plot {
    days: i64,
    bottom: Decimal,
    top: Decimal,
}

/// A rectangle in the viewBox, as SVG attributes.
#[derive(Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
}

impl Plot {
    /// A plot whose y axis reaches a round number at or above every value.
    pub fn new(days: i64, values: impl IntoIterator<Item = Decimal>) -> Plot {
        let max = values.into_iter().fold(Decimal::ZERO, Decimal::max);
        Plot {
            days: days.max(1),
            bottom: Decimal::ZERO,
            top: round_up(max),
        }
    }

    /// A plot of `units` steps whose y axis spans every value with a whole unit to spare
    /// on each side (temperatures may be below zero, so the axis does not start at 0).
    pub fn spanning(units: i64, values: impl IntoIterator<Item = Decimal>) -> Plot {
        let (mut lo, mut hi) = (None::<Decimal>, None::<Decimal>);
        for v in values {
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
        let lo = lo.unwrap_or(Decimal::ZERO);
        let hi = hi.unwrap_or(Decimal::ONE);
        Plot {
            days: units.max(1),
            bottom: (lo.floor() - Decimal::ONE).normalize(),
            top: (hi.ceil() + Decimal::ONE).normalize(),
        }
    }

    /// The value at the bottom of the y axis.
    pub fn bottom(&self) -> Decimal {
        self.bottom
    }

    /// The value at the top of the y axis.
    pub fn top(&self) -> Decimal {
        self.top
    }

    pub fn x(&self, day: i64) -> Decimal {
        let inner = Decimal::from(WIDTH - LEFT - RIGHT);
        Decimal::from(LEFT)
            + inner * Decimal::from(day.clamp(0, self.days)) / Decimal::from(self.days)
    }

    /// Below the bottom (zero for stock) is drawn at the bottom: the chart shows stock,
    /// the table the shortfall.
    pub fn y(&self, value: Decimal) -> Decimal {
        let inner = Decimal::from(HEIGHT - TOP - BOTTOM);
        let v = value.clamp(self.bottom, self.top);
        Decimal::from(TOP) + inner * (self.top - v) / (self.top - self.bottom)
    }

    /// The x axis' baseline (y of the bottom).
    pub fn base(&self) -> Decimal {
        self.y(self.bottom)
    }

    /// A line through points (x in the plot's units), as a polyline's `points`.
    pub fn line(&self, points: &[(i64, Decimal)]) -> String {
        points
            .iter()
            .map(|(x, v)| format!("{},{}", num(self.x(*x)), num(self.y(*v))))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The full height of the plot between two x positions (clamped to the plot): a
    /// shaded stretch of time.
    pub fn column(&self, from: i64, to: i64) -> Rect {
        let (x0, x1) = (self.x(from), self.x(to));
        rect(
            x0,
            self.y(self.top),
            x1 - x0,
            self.base() - self.y(self.top),
        )
    }

    /// The full width of the plot between two values: an allowed range.
    pub fn band(&self, low: Decimal, high: Decimal) -> Rect {
        let (y0, y1) = (self.y(high), self.y(low));
        rect(self.x(0), y0, self.x(self.days) - self.x(0), y1 - y0)
    }

    /// A step line: `start` until day 0's use, then the level left at the end of each day.
    pub fn steps(&self, start: Decimal, left: &[Decimal]) -> String {
        let mut d = format!("M{} {}", num(self.x(0)), num(self.y(start)));
        let mut last = self.y(start);
        for (i, level) in left.iter().enumerate() {
            let y = self.y(*level);
            if y != last {
                d.push_str(&format!(" H{} V{}", num(self.x(i as i64)), num(y)));
                last = y;
            }
        }
        d.push_str(&format!(" H{}", num(self.x(self.days))));
        d
    }

    /// A horizontal line across the plot at `value`.
    pub fn level(&self, value: Decimal) -> String {
        let y = num(self.y(value));
        format!("M{} {y} H{}", num(self.x(0)), num(self.x(self.days)))
    }

    /// A short vertical mark on the day axis at each day (days outside the plot are
    /// left out).
    pub fn marks(&self, days: &[i64]) -> String {
        let base = num(self.base());
        days.iter()
            .filter(|d| (0..self.days).contains(*d))
            .map(|d| format!("M{} {base} v-{MARK}", num(self.x(*d))))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The two axes: left and bottom.
    pub fn axes(&self) -> String {
        format!(
            "M{l} {t} V{b} H{r}",
            l = num(self.x(0)),
            t = TOP,
            b = num(self.base()),
            r = num(self.x(self.days))
        )
    }
}

fn rect(x: Decimal, y: Decimal, width: Decimal, height: Decimal) -> Rect {
    Rect {
        x: num(x),
        y: num(y),
        width: num(width),
        height: num(height),
    }
}

/// Where the axis labels go: the y labels end left of the y axis, the dates sit below the
/// x axis at its two ends.
pub struct Labels {
    pub left: String,
    pub top: String,
    pub base: String,
    pub below: String,
    pub start: String,
    pub end: String,
}

impl Plot {
    pub fn labels(&self) -> Labels {
        Labels {
            left: (LEFT - 6).to_string(),
            top: (TOP + 5).to_string(),
            base: num(self.base()),
            below: (HEIGHT - 8).to_string(),
            start: num(self.x(0)),
            end: num(self.x(self.days)),
        }
    }
}

/// A coordinate as written in the SVG: at most one decimal.
pub fn num(d: Decimal) -> String {
    d.round_dp(1).normalize().to_string()
}

/// The smallest of 1, 2, 2.5, 5 × a power of ten at or above `max` (1 when nothing is
/// above zero), so the axis' top label reads well.
fn round_up(max: Decimal) -> Decimal {
    if max <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut unit = Decimal::ONE;
    while unit * Decimal::TEN <= max {
        unit *= Decimal::TEN;
    }
    while unit > max && unit > Decimal::new(1, 6) {
        unit /= Decimal::TEN;
    }
    for step in [
        Decimal::ONE,
        Decimal::TWO,
        Decimal::new(25, 1),
        Decimal::new(5, 0),
    ] {
        if unit * step >= max {
            return (unit * step).normalize();
        }
    }
    (unit * Decimal::TEN).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_top_is_a_round_number_at_or_above_the_largest_value() {
        assert_eq!(round_up(d("47")), d("50"));
        assert_eq!(round_up(d("50")), d("50"));
        assert_eq!(round_up(d("51")), d("100"));
        assert_eq!(round_up(d("4")), d("5"));
        assert_eq!(round_up(d("1.2")), d("2"));
        assert_eq!(round_up(d("0.3")), d("0.5"));
        assert_eq!(round_up(d("0")), d("1"));
        assert_eq!(round_up(d("21")), d("25"));
    }

    #[test]
    fn points_scale_into_the_view_box() {
        let p = Plot::new(30, [d("40"), d("10")]);
        assert_eq!(p.top(), d("50"));
        assert_eq!(p.x(0), Decimal::from(LEFT));
        assert_eq!(p.x(30), Decimal::from(WIDTH - RIGHT));
        assert_eq!(p.x(99), p.x(30));
        assert_eq!(p.y(d("50")), Decimal::from(TOP));
        assert_eq!(p.y(d("0")), Decimal::from(HEIGHT - BOTTOM));
        assert_eq!(p.y(d("-5")), p.y(d("0")), "a shortfall is drawn at zero");
        assert_eq!(p.y(d("25")), d("102"));
    }

    #[test]
    fn a_temperature_plot_spans_below_zero_and_shades_stretches() {
        // 60 minutes of readings from -0.5 to 9.2 °C: the axis runs from -2 to 11.
        let p = Plot::spanning(60, [d("-0.5"), d("9.2"), d("2"), d("8")]);
        assert_eq!((p.bottom(), p.top()), (d("-2"), d("11")));
        assert_eq!(p.base(), Decimal::from(HEIGHT - BOTTOM));
        assert_eq!(p.y(d("11")), Decimal::from(TOP));
        assert_eq!(
            p.y(d("-5")),
            p.base(),
            "below the axis is drawn at its bottom"
        );
        assert_eq!(p.line(&[(0, d("-2")), (30, d("11"))]), "56,192 342,12");
        assert_eq!(
            p.column(15, 45),
            Rect {
                x: "199".into(),
                y: "12".into(),
                width: "286".into(),
                height: "180".into()
            }
        );
        assert_eq!(p.column(-10, 90), p.column(0, 60), "clamped to the plot");
        let band = p.band(d("2"), d("8"));
        assert_eq!((band.x.as_str(), band.width.as_str()), ("56", "572"));
        assert_eq!(band.y, num(d("12") + d("180") * d("3") / d("13")));
        assert_eq!(band.height, num(d("180") * d("6") / d("13")));
        assert_eq!(Plot::spanning(0, []).top(), d("2"));
    }

    #[test]
    fn paths_step_down_on_the_days_of_use() {
        let p = Plot::new(4, [d("10")]);
        // 10 left, 4 used on day 1, nothing else, then 8 more on day 3 (a shortfall).
        let left = [d("10"), d("6"), d("6"), d("-2")];
        assert_eq!(p.steps(d("10"), &left), "M56 12 H199 V84 H485 V192 H628");
        assert_eq!(p.level(d("5")), "M56 102 H628");
        assert_eq!(p.marks(&[1, 3, 4, -1]), "M199 192 v-14 M485 192 v-14");
        assert_eq!(p.axes(), "M56 12 V192 H628");
        assert_eq!(num(d("12.3456")), "12.3");
        assert_eq!(num(d("12.00")), "12");
    }
}
