//! GS1 codes as a scanner sends them, read into a [`Scan`]: GTIN, lot, dates, serial.
//!
//! Three forms are accepted, because that is what reaches `POST /api/v1/scan`:
//! - the element string of a GS1 DataMatrix, GS1-128, GS1 QR or GS1 DataBar symbol, with or
//!   without the AIM symbology identifier (`]d2`, `]C1`, `]Q3`, `]e0`; keyboard-wedge
//!   scanners often drop it), and ASCII 29 (GS) standing for FNC1 after each variable-length
//!   field that is not last (a leading, doubled or trailing GS is harmless);
//! - the bracketed human-readable form `(01)09506000134352(17)261231(10)ABC123` (a literal
//!   `(` inside a value may be escaped as `\(`, as gs1-syntax-engine does);
//! - a GS1 Digital Link URI: scheme `http` or `https` in lower case, any host, an optional
//!   path prefix, then `/01/{gtin}` with the full 14-digit GTIN and optionally `/22/…`,
//!   `/10/{lot}`, `/21/{serial}` in that order, no trailing slash, other AIs as query
//!   parameters (`?17=YYMMDD`); values are percent-decoded, and query parameters whose name
//!   is not numeric (`linkType`, tracking tags) are ignored. A `]Q1` or `]d1` prefix is
//!   accepted in front of a URI, since Digital Link is printed in plain QR or DataMatrix.
//!   The strict form is the one resolvers and other readers agree on, so a link that only
//!   a lenient reader understands is refused rather than guessed at.
//!
//! Only the application identifiers found on the boxes the clinic receives are read: (01)
//! GTIN, (10) lot, (11) production date, (15) best before, (17) expiry, (21) serial, (22)
//! consumer product variant, (30) count, (240) additional product id, (7003) expiry date
//! and time, and (90)–(99) internal data (company-specific, kept as given: up to 90
//! characters of set 82). (22) and (240) are checked and then dropped. Any other AI is an error rather
//! than skipped, so that nobody records a lot from a code that was only half understood.
//! Lengths and character sets follow the GS1 General Specifications and the AI table of
//! gs1/gs1-syntax-engine (`src/c-lib/gs1-syntax-dictionary.txt`): lot, serial and (240) use
//! character set 82 (checked by [`parse_lot_number`]). Dates are YYMMDD with day `00`
//! meaning the last day of the month, and the century chosen by the sliding window of GS1
//! General Specifications §7.12. See the project's shared/DOMAIN.md, "GS1 barcodes on the box".
//!
//! Positions in error messages count characters of the trimmed input from 1.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::gtin::Gtin;
use super::lot::{parse_lot_number, LOT_NUMBER_MAX};
use super::FieldError;

/// ASCII 29, group separator: how scanners transmit FNC1.
const GS: char = '\u{1d}';

/// AIM symbology identifiers of GS1 symbols: DataMatrix, GS1-128, QR, DataBar.
const GS1_SYMBOLOGIES: [&str; 4] = ["]d2", "]C1", "]Q3", "]e0"];

/// Plain QR and DataMatrix: not GS1 element strings, but they carry Digital Link URIs.
const URI_SYMBOLOGIES: [&str; 2] = ["]Q1", "]d1"];

/// What a scanned GS1 code says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// AI (01), as GTIN-14.
    pub gtin: Option<Gtin>,
    /// AI (10).
    pub lot_number: Option<String>,
    /// AI (17), or the date of AI (7003).
    pub expires_on: Option<NaiveDate>,
    /// AI (15).
    pub best_before: Option<NaiveDate>,
    /// AI (11).
    pub production_date: Option<NaiveDate>,
    /// AI (21).
    pub serial: Option<String>,
    /// AI (30).
    pub count: Option<u32>,
    /// AIs (90)–(99), company-internal: (AI, value as given), in the order read.
    pub internal: Vec<(String, String)>,
    /// The input as received, trimmed: kept for traceability.
    pub raw: String,
}

/// What is kept of a scanned code with the stock it received or used: the serial (AI 21)
/// and the code as scanned, so a box can be traced back to its exact label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanDetail {
    pub serial: Option<String>,
    pub raw: String,
}

impl Scan {
    pub fn detail(&self) -> ScanDetail {
        ScanDetail {
            serial: self.serial.clone(),
            raw: self.raw.clone(),
        }
    }
}

/// Why a scan could not be read. `Display` gives a message a clinic user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gs1Error {
    /// Nothing but blanks, a symbology identifier or separators.
    Empty,
    /// The scanner announced a symbology that does not carry GS1 data.
    NotGs1 { symbology: String },
    /// An application identifier was expected at `position`; `found` is the character
    /// there, or `None` when the code ends.
    ExpectedAi {
        position: usize,
        found: Option<char>,
    },
    /// An application identifier this service does not read; `position` is `None` in a
    /// Digital Link.
    UnknownAi { ai: String, position: Option<usize> },
    /// The value of a known AI is malformed, too long, has a wrong check digit or an
    /// impossible date.
    Invalid { ai: &'static str, problem: String },
    /// The same AI twice with different values.
    Duplicate { ai: &'static str },
    /// A Digital Link URI that does not have the GS1 structure.
    DigitalLink { problem: String },
}

impl Gs1Error {
    /// The request field to blame: a scan has only one.
    pub fn field(&self) -> &'static str {
        "code"
    }
}

impl fmt::Display for Gs1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gs1Error::Empty => f.write_str("the scan is empty: scan the GS1 code on the box again"),
            Gs1Error::NotGs1 { symbology } => write!(
                f,
                "the scanner read a barcode of type {symbology}, which holds no GS1 data: \
                 scan the GS1 DataMatrix, GS1-128 or GS1 QR code on the box"
            ),
            Gs1Error::ExpectedAi {
                position,
                found: Some(c),
            } => write!(
                f,
                "expected the digits of an application identifier at position {position}, \
                 found {c:?}: check that the whole code was scanned or typed"
            ),
            Gs1Error::ExpectedAi {
                position,
                found: None,
            } => write!(
                f,
                "the code stops at position {position} in the middle of an application \
                 identifier: scan it again"
            ),
            Gs1Error::UnknownAi {
                ai,
                position: Some(position),
            } => write!(
                f,
                "unknown application identifier ({ai}) at position {position}: this code \
                 holds data mesoledger does not read, enter the details by hand"
            ),
            Gs1Error::UnknownAi { ai, position: None } => write!(
                f,
                "unknown application identifier ({ai}) in the Digital Link: this code holds \
                 data mesoledger does not read, enter the details by hand"
            ),
            Gs1Error::Invalid { ai, problem } => write!(f, "AI ({ai}) {}: {problem}", label(ai)),
            Gs1Error::Duplicate { ai } => write!(
                f,
                "AI ({ai}) {}: appears twice with different values",
                label(ai)
            ),
            Gs1Error::DigitalLink { problem } => write!(f, "GS1 Digital Link: {problem}"),
        }
    }
}

impl std::error::Error for Gs1Error {}

impl From<&Gs1Error> for FieldError {
    fn from(e: &Gs1Error) -> Self {
        FieldError::new(e.field(), e.to_string())
    }
}

/// Reads a scanned GS1 code. `today` fixes the century of two-digit years.
pub fn parse(input: &str, today: NaiveDate) -> Result<Scan, Gs1Error> {
    let raw = input.trim();
    let (body, uri_only) = strip_symbology(raw)?;
    if body.trim_matches(GS).is_empty() {
        return Err(Gs1Error::Empty);
    }
    let mut fields = Fields::default();
    if looks_like_uri(body) {
        parse_digital_link(body.trim_end_matches(GS), today, &mut fields)?;
    } else if let Some(symbology) = uri_only {
        return Err(Gs1Error::NotGs1 {
            symbology: symbology.to_string(),
        });
    } else if body.trim_start_matches(GS).starts_with('(') {
        parse_bracketed(raw, body, today, &mut fields)?;
    } else {
        parse_element_string(raw, body, today, &mut fields)?;
    }
    fields.finish(raw)
}

/// Removes the AIM symbology identifier. The second value is set when the symbology only
/// makes sense for a Digital Link URI.
fn strip_symbology(raw: &str) -> Result<(&str, Option<&'static str>), Gs1Error> {
    if !raw.starts_with(']') {
        return Ok((raw, None));
    }
    if let Some(body) = GS1_SYMBOLOGIES.iter().find_map(|p| raw.strip_prefix(p)) {
        return Ok((body, None));
    }
    for p in URI_SYMBOLOGIES {
        if let Some(body) = raw.strip_prefix(p) {
            return Ok((body, Some(p)));
        }
    }
    Err(Gs1Error::NotGs1 {
        symbology: raw.chars().take(3).collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Application identifiers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gtin,
    Lot,
    ProductionDate,
    BestBefore,
    Expiry,
    ExpiryTime,
    Serial,
    /// Character set 82, checked and dropped.
    Ignored,
    Count,
    /// AIs (90)–(99): character set 82, kept as given.
    Internal,
}

#[derive(Debug)]
struct AiDef {
    ai: &'static str,
    label: &'static str,
    kind: Kind,
    /// Fixed-length AIs never take a separator; `max` is then their length.
    fixed: bool,
    max: usize,
}

/// AIs (90)–(99): data agreed between trading partners, X..90 (General Specifications
/// §3.9.21).
const fn internal(ai: &'static str) -> AiDef {
    AiDef {
        ai,
        label: "internal",
        kind: Kind::Internal,
        fixed: false,
        max: 90,
    }
}

const AIS: [AiDef; 20] = [
    AiDef {
        ai: "01",
        label: "GTIN",
        kind: Kind::Gtin,
        fixed: true,
        max: 14,
    },
    AiDef {
        ai: "10",
        label: "lot",
        kind: Kind::Lot,
        fixed: false,
        max: LOT_NUMBER_MAX,
    },
    AiDef {
        ai: "11",
        label: "production date",
        kind: Kind::ProductionDate,
        fixed: true,
        max: 6,
    },
    AiDef {
        ai: "15",
        label: "best before",
        kind: Kind::BestBefore,
        fixed: true,
        max: 6,
    },
    AiDef {
        ai: "17",
        label: "expiry",
        kind: Kind::Expiry,
        fixed: true,
        max: 6,
    },
    AiDef {
        ai: "21",
        label: "serial",
        kind: Kind::Serial,
        fixed: false,
        max: 20,
    },
    AiDef {
        ai: "22",
        label: "consumer product variant",
        kind: Kind::Ignored,
        fixed: false,
        max: 20,
    },
    AiDef {
        ai: "240",
        label: "additional product id",
        kind: Kind::Ignored,
        fixed: false,
        max: 30,
    },
    AiDef {
        ai: "30",
        label: "count",
        kind: Kind::Count,
        fixed: false,
        max: 8,
    },
    AiDef {
        ai: "7003",
        label: "expiry date and time",
        kind: Kind::ExpiryTime,
        fixed: false,
        max: 10,
    },
    internal("90"),
    internal("91"),
    internal("92"),
    internal("93"),
    internal("94"),
    internal("95"),
    internal("96"),
    internal("97"),
    internal("98"),
    internal("99"),
];

fn lookup(ai: &str) -> Option<&'static AiDef> {
    AIS.iter().find(|d| d.ai == ai)
}

fn label(ai: &str) -> &'static str {
    lookup(ai).map_or("", |d| d.label)
}

/// How many digits an AI starting with these two digits has (GS1 General Specifications,
/// table of AI prefixes). Only used to name an unknown AI in full.
fn ai_length(prefix: &str) -> usize {
    match prefix {
        "23" | "24" | "25" | "40" | "41" | "42" | "71" => 3,
        "31" | "32" | "33" | "34" | "35" | "36" | "39" | "43" | "70" | "72" | "80" | "81"
        | "82" => 4,
        _ => 2,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The 1-based character position in `raw` at which its suffix `rest` starts.
fn position(raw: &str, rest: &str) -> usize {
    let offset = raw.len().saturating_sub(rest.len());
    raw.get(..offset).map_or(0, |s| s.chars().count()) + 1
}

// ---------------------------------------------------------------------------------------
// Values

/// The fields read so far.
#[derive(Default)]
struct Fields {
    gtin: Option<Gtin>,
    lot_number: Option<String>,
    expiry: Option<NaiveDate>,
    expiry_time: Option<NaiveDate>,
    best_before: Option<NaiveDate>,
    production_date: Option<NaiveDate>,
    serial: Option<String>,
    count: Option<u32>,
    internal: Vec<(String, String)>,
    seen: Vec<(&'static str, String)>,
}

impl Fields {
    fn apply(&mut self, def: &AiDef, value: &str, today: NaiveDate) -> Result<(), Gs1Error> {
        if let Some((_, previous)) = self.seen.iter().find(|(ai, _)| *ai == def.ai) {
            return if previous == value {
                Ok(())
            } else {
                Err(Gs1Error::Duplicate { ai: def.ai })
            };
        }
        let invalid = |problem: String| Gs1Error::Invalid {
            ai: def.ai,
            problem,
        };
        if value.is_empty() {
            return Err(invalid("the value is empty".into()));
        }
        if !def.fixed && value.chars().count() > def.max {
            return Err(invalid(format!(
                "has {} characters, at most {} are allowed",
                value.chars().count(),
                def.max
            )));
        }
        match def.kind {
            Kind::Gtin => {
                if value.len() != 14 || !is_digits(value) {
                    return Err(invalid(format!("must be 14 digits, found {value:?}")));
                }
                self.gtin = Some(Gtin::parse(value).map_err(|e| invalid(e.to_string()))?);
            }
            Kind::Lot => {
                // parse_lot_number trims; inside a code an edge blank is part of the value.
                if value.trim() != value {
                    return Err(invalid(
                        "a space is not allowed in a GS1 lot number (letters, digits and \
                         !\"%&'()*+,-./:;<=>?_ only)"
                            .into(),
                    ));
                }
                self.lot_number =
                    Some(parse_lot_number(value).map_err(|e| invalid(e.to_string()))?);
            }
            Kind::Serial | Kind::Ignored | Kind::Internal => {
                if let Some(c) = first_outside_cset82(value) {
                    return Err(invalid(format!(
                        "{c:?} is not allowed (letters, digits and !\"%&'()*+,-./:;<=>?_ only)"
                    )));
                }
                match def.kind {
                    Kind::Serial => self.serial = Some(value.to_string()),
                    Kind::Internal => self.internal.push((def.ai.to_string(), value.to_string())),
                    _ => {}
                }
            }
            Kind::ProductionDate => {
                self.production_date = Some(yymmdd(value, today, true).map_err(invalid)?)
            }
            Kind::BestBefore => {
                self.best_before = Some(yymmdd(value, today, true).map_err(invalid)?)
            }
            Kind::Expiry => self.expiry = Some(yymmdd(value, today, true).map_err(invalid)?),
            Kind::ExpiryTime => self.expiry_time = Some(yymmddhhmm(value, today).map_err(invalid)?),
            Kind::Count => {
                if !is_digits(value) {
                    return Err(invalid(format!("must be 1 to 8 digits, found {value:?}")));
                }
                self.count = Some(
                    value
                        .parse()
                        .map_err(|_| invalid(format!("{value:?} is not a count")))?,
                );
            }
        }
        self.seen.push((def.ai, value.to_string()));
        Ok(())
    }

    fn finish(self, raw: &str) -> Result<Scan, Gs1Error> {
        if self.seen.is_empty() {
            return Err(Gs1Error::Empty);
        }
        let expires_on = match (self.expiry, self.expiry_time) {
            (Some(date), Some(with_time)) if date != with_time => {
                return Err(Gs1Error::Invalid {
                    ai: "7003",
                    problem: format!("says {with_time}, but AI (17) expiry says {date}"),
                })
            }
            (date, with_time) => date.or(with_time),
        };
        Ok(Scan {
            gtin: self.gtin,
            lot_number: self.lot_number,
            expires_on,
            best_before: self.best_before,
            production_date: self.production_date,
            serial: self.serial,
            count: self.count,
            internal: self.internal,
            raw: raw.to_string(),
        })
    }
}

/// The first character outside GS1 character set 82, as lot.rs defines it: a character is
/// in the set when it is a valid one-character lot number.
fn first_outside_cset82(value: &str) -> Option<char> {
    value.chars().find(|c| {
        let mut buf = [0u8; 4];
        parse_lot_number(c.encode_utf8(&mut buf)).is_err()
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Two ASCII digits at `at` of an all-digit string.
fn two_digits(s: &str, at: usize) -> Option<u32> {
    s.get(at..at + 2).and_then(|d| d.parse().ok())
}

/// The full year of a two-digit year, by the GS1 sliding window (General Specifications
/// §7.12): 49 years back to 50 years ahead of `today`'s year.
fn full_year(yy: i32, today: NaiveDate) -> i32 {
    let current = today.year().rem_euclid(100);
    let century = today.year() - current;
    match yy - current {
        51..=99 => century - 100 + yy,
        -99..=-50 => century + 100 + yy,
        _ => century + yy,
    }
}

/// A GS1 date YYMMDD; day `00` is the last day of the month where `day_00` allows it.
fn yymmdd(value: &str, today: NaiveDate, day_00: bool) -> Result<NaiveDate, String> {
    if value.len() != 6 || !is_digits(value) {
        return Err(format!("a date is 6 digits YYMMDD, found {value:?}"));
    }
    let (Some(yy), Some(mm), Some(dd)) = (
        two_digits(value, 0),
        two_digits(value, 2),
        two_digits(value, 4),
    ) else {
        return Err(format!("a date is 6 digits YYMMDD, found {value:?}"));
    };
    let Some(month) = mm.checked_sub(1).and_then(|i| MONTHS.get(i as usize)) else {
        return Err(format!("month {mm:02} does not exist in {value}"));
    };
    let year = full_year(yy as i32, today);
    if dd == 0 {
        if !day_00 {
            return Err(format!("day 00 is not allowed here, in {value}"));
        }
        return (28..=31)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, mm, d))
            .ok_or_else(|| format!("{month} {year} is out of range"));
    }
    NaiveDate::from_ymd_opt(year, mm, dd)
        .ok_or_else(|| format!("day {dd} does not exist in {month} {year}"))
}

/// AI (7003): YYMMDDHHMM, day `00` not allowed. The time is checked, then dropped.
fn yymmddhhmm(value: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if value.len() != 10 || !is_digits(value) {
        return Err(format!("must be 10 digits YYMMDDHHMM, found {value:?}"));
    }
    let date = yymmdd(value.get(..6).unwrap_or(""), today, false)?;
    match (two_digits(value, 6), two_digits(value, 8)) {
        (Some(hh), _) if hh > 23 => Err(format!("hour {hh} does not exist in {value}")),
        (_, Some(mi)) if mi > 59 => Err(format!("minute {mi} does not exist in {value}")),
        (Some(_), Some(_)) => Ok(date),
        _ => Err(format!("must be 10 digits YYMMDDHHMM, found {value:?}")),
    }
}

// ---------------------------------------------------------------------------------------
// Element string: AI, value, AI, value… with GS after variable-length values

fn parse_element_string(
    raw: &str,
    body: &str,
    today: NaiveDate,
    fields: &mut Fields,
) -> Result<(), Gs1Error> {
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches(GS);
        if rest.is_empty() {
            return Ok(());
        }
        let def = read_ai(raw, rest)?;
        rest = rest.get(def.ai.len()..).unwrap_or("");
        let (value, after) = if def.fixed {
            let n = rest
                .bytes()
                .take(def.max)
                .take_while(u8::is_ascii_digit)
                .count();
            if n < def.max {
                let problem = match rest.get(n..).and_then(|s| s.chars().next()) {
                    None => format!("needs {} digits, the code ends after {n}", def.max),
                    Some(GS) => format!("needs {} digits, found {n} before a separator", def.max),
                    Some(c) => format!("needs {} digits, found {c:?} after {n}", def.max),
                };
                return Err(Gs1Error::Invalid {
                    ai: def.ai,
                    problem,
                });
            }
            rest.split_at_checked(n).unwrap_or((rest, ""))
        } else {
            let (value, after) = rest.split_once(GS).unwrap_or((rest, ""));
            let chars = value.chars().count();
            if chars > def.max {
                return Err(Gs1Error::Invalid {
                    ai: def.ai,
                    problem: format!(
                        "has {chars} characters, at most {} are allowed: if another field \
                         follows, the GS separator before it is missing",
                        def.max
                    ),
                });
            }
            (value, after)
        };
        fields.apply(def, value, today)?;
        rest = after;
    }
}

/// The AI at the start of `rest` (a suffix of `raw`).
fn read_ai(raw: &str, rest: &str) -> Result<&'static AiDef, Gs1Error> {
    let at = position(raw, rest);
    let digits = rest.bytes().take(4).take_while(u8::is_ascii_digit).count();
    let want = rest.get(..2).map_or(2, ai_length);
    if digits < want {
        return Err(Gs1Error::ExpectedAi {
            position: at + digits,
            found: rest.get(digits..).and_then(|s| s.chars().next()),
        });
    }
    let ai = rest.get(..want).unwrap_or("");
    lookup(ai).ok_or_else(|| Gs1Error::UnknownAi {
        ai: ai.to_string(),
        position: Some(at),
    })
}

// ---------------------------------------------------------------------------------------
// Bracketed form: (AI)value(AI)value…

fn parse_bracketed(
    raw: &str,
    body: &str,
    today: NaiveDate,
    fields: &mut Fields,
) -> Result<(), Gs1Error> {
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches(GS);
        if rest.is_empty() {
            return Ok(());
        }
        let at = position(raw, rest);
        let Some(inside) = rest.strip_prefix('(') else {
            return Err(Gs1Error::ExpectedAi {
                position: at,
                found: rest.chars().next(),
            });
        };
        let n = inside.bytes().take_while(u8::is_ascii_digit).count();
        let ai = inside.get(..n).unwrap_or("");
        let after = match inside.get(n..).and_then(|s| s.strip_prefix(')')) {
            Some(after) if n > 0 => after,
            _ => {
                return Err(Gs1Error::ExpectedAi {
                    position: at + 1 + n,
                    found: inside.get(n..).and_then(|s| s.chars().next()),
                })
            }
        };
        let def = lookup(ai).ok_or_else(|| Gs1Error::UnknownAi {
            ai: ai.to_string(),
            position: Some(at),
        })?;
        let (value, next) = bracketed_value(after);
        fields.apply(def, value.trim_matches(' '), today)?;
        rest = next;
    }
}

/// Whether `s` starts with `(digits)`, two digits at least: the next AI.
fn starts_with_bracketed_ai(s: &str) -> bool {
    s.strip_prefix('(').is_some_and(|t| {
        let n = t.bytes().take_while(u8::is_ascii_digit).count();
        n >= 2 && t.get(n..).is_some_and(|u| u.starts_with(')'))
    })
}

/// A value runs to the next `(AI)`, GS or the end; `\(` is a literal `(`.
fn bracketed_value(s: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        let here = s.get(i..).unwrap_or("");
        if c == '\\' && here.get(1..).is_some_and(|t| t.starts_with('(')) {
            value.push('(');
            chars.next();
        } else if c == GS || (c == '(' && starts_with_bracketed_ai(here)) {
            return (value, here);
        } else {
            value.push(c);
        }
    }
    (value, "")
}

// ---------------------------------------------------------------------------------------
// GS1 Digital Link

/// `scheme://…` with a syntactically valid scheme.
fn looks_like_uri(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        let mut cs = scheme.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic())
            && cs.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 percent-decoding (`+` stays `+`); the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_value);
            let lo = bytes.next().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi * 16 + lo),
                _ => return Err(format!("in {s:?} a % is not followed by two hex digits")),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not valid UTF-8 once decoded"))
}

fn parse_digital_link(uri: &str, today: NaiveDate, fields: &mut Fields) -> Result<(), Gs1Error> {
    let link = |problem: String| Gs1Error::DigitalLink { problem };
    let (scheme, after_scheme) = uri.split_once("://").unwrap_or(("", uri));
    if scheme != "http" && scheme != "https" {
        return Err(link(format!(
            "the address must start with http:// or https:// in lower case, found {scheme}://"
        )));
    }
    let host_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (host, rest) = after_scheme
        .split_at_checked(host_end)
        .unwrap_or((after_scheme, ""));
    if host.is_empty() {
        return Err(link("the address has no host name".into()));
    }
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.len() > 1 && path.ends_with('/') {
        return Err(link("the path ends with a slash: remove it".into()));
    }

    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments
        .iter()
        .position(|s| *s == "01")
        .ok_or_else(|| link("the path has no /01/ followed by a GTIN".into()))?;
    let mut last_rank = 0;
    for pair in segments.get(start..).unwrap_or(&[]).chunks(2) {
        let (key, value) = match pair {
            [key, value] => (*key, *value),
            [key] => return Err(link(format!("/{key}/ has no value after it"))),
            _ => return Err(link("the path is malformed".into())),
        };
        let key = percent_decode(key).map_err(link)?;
        let def = match lookup(&key) {
            Some(def) => def,
            None if is_digits(&key) => {
                return Err(Gs1Error::UnknownAi {
                    ai: key,
                    position: None,
                })
            }
            None => {
                return Err(link(format!(
                    "unexpected path segment {key:?} after the GTIN"
                )))
            }
        };
        let rank = match def.kind {
            Kind::Gtin => 1,
            Kind::Ignored if def.ai == "22" => 2,
            Kind::Lot => 3,
            Kind::Serial => 4,
            _ => {
                return Err(link(format!(
                    "AI ({}) {} belongs in the query (?{}=…), not in the path",
                    def.ai, def.label, def.ai
                )))
            }
        };
        if rank <= last_rank {
            return Err(link(
                "after /01/{gtin} the path takes /22/, /10/ and /21/, each at most once and \
                 in that order"
                    .into(),
            ));
        }
        last_rank = rank;
        let value = percent_decode(value).map_err(|problem| Gs1Error::Invalid {
            ai: def.ai,
            problem,
        })?;
        if def.kind == Kind::Gtin && !(value.len() == 14 && is_digits(&value)) {
            return Err(link(format!(
                "the GTIN after /01/ must be written with all 14 digits (pad with leading \
                 zeros), found {value:?}"
            )));
        }
        fields.apply(def, &value, today)?;
    }

    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let key = percent_decode(key).map_err(link)?;
        if !is_digits(&key) {
            continue; // not an AI: linkType, tracking tags…
        }
        let def = lookup(&key).ok_or_else(|| Gs1Error::UnknownAi {
            ai: key.clone(),
            position: None,
        })?;
        if matches!(def.ai, "01" | "10" | "21" | "22") {
            return Err(link(format!(
                "AI ({}) {} belongs in the path (/{}/…), not in the query",
                def.ai, def.label, def.ai
            )));
        }
        let value = percent_decode(value).map_err(|problem| Gs1Error::Invalid {
            ai: def.ai,
            problem,
        })?;
        fields.apply(def, &value, today)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        day(2026, 3, 15)
    }

    fn ok(code: &str) -> Scan {
        parse(code, today()).unwrap_or_else(|e| panic!("{code:?}: {e}"))
    }

    fn err(code: &str) -> Gs1Error {
        match parse(code, today()) {
            Ok(scan) => panic!("{code:?} should fail, got {scan:?}"),
            Err(e) => e,
        }
    }

    fn gtin(s: &str) -> Option<Gtin> {
        Some(Gtin::parse(s).unwrap())
    }

    fn expiry_of(code: &str, today: NaiveDate) -> NaiveDate {
        parse(code, today).unwrap().expires_on.unwrap()
    }

    // --- public vectors of DOMAIN.md ---

    #[test]
    fn datamatrix_with_expiry_lot_and_serial() {
        let code = "]d201095011010209171719050810ABCD1234\u{1d}2110";
        assert_eq!(
            ok(code),
            Scan {
                gtin: gtin("09501101020917"),
                lot_number: Some("ABCD1234".into()),
                expires_on: Some(day(2019, 5, 8)),
                best_before: None,
                production_date: None,
                serial: Some("10".into()),
                count: None,
                internal: vec![],
                raw: code.into(),
            }
        );
    }

    #[test]
    fn serial_before_lot() {
        let s = ok("]d20104150000021126172506302112345ABC\u{1d}10LOT42X");
        assert_eq!(s.gtin, gtin("04150000021126"));
        assert_eq!(s.expires_on, Some(day(2025, 6, 30)));
        assert_eq!(s.serial.as_deref(), Some("12345ABC"));
        assert_eq!(s.lot_number.as_deref(), Some("LOT42X"));
    }

    #[test]
    fn gs_ends_the_lot_and_without_it_the_lot_swallows_the_rest() {
        let s = ok("0107032069804988100329\u{1d}15210526");
        assert_eq!(s.gtin, gtin("07032069804988"));
        assert_eq!(s.lot_number.as_deref(), Some("0329"));
        assert_eq!(s.best_before, Some(day(2021, 5, 26)));

        let s = ok("010703206980498810032915210526");
        assert_eq!(s.lot_number.as_deref(), Some("032915210526"));
        assert_eq!(s.best_before, None);
    }

    #[test]
    fn digital_link_vector() {
        let code = "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426";
        let s = ok(code);
        assert_eq!(s.gtin, gtin("09520123456788"));
        assert_eq!(s.lot_number.as_deref(), Some("ABC1"));
        assert_eq!(s.serial.as_deref(), Some("12345"));
        assert_eq!(s.expires_on, Some(day(2018, 4, 26)));
        assert_eq!(s.raw, code);
    }

    #[test]
    fn bad_check_digit() {
        let e = err("]d201095011010209181719050810ABCD1234");
        assert!(matches!(e, Gs1Error::Invalid { ai: "01", .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("AI (01) GTIN: check digit is wrong"),
            "{msg}"
        );
        assert!(msg.contains("should end in 7"), "{msg}");
        assert_eq!(e.field(), "code");
    }

    #[test]
    fn impossible_dates() {
        assert_eq!(
            err("17131300").to_string(),
            "AI (17) expiry: month 13 does not exist in 131300"
        );
        assert_eq!(
            err("17260230").to_string(),
            "AI (17) expiry: day 30 does not exist in February 2026"
        );
        assert!(err("17260000").to_string().contains("month 00"));
        assert!(err("11250431")
            .to_string()
            .contains("day 31 does not exist in April 2025"));
        assert!(err("15250229")
            .to_string()
            .starts_with("AI (15) best before"));
    }

    #[test]
    fn bad_lots() {
        let lot21 = "A".repeat(21);
        for code in [
            format!("10{lot21}"),
            format!("]d2010950110102091710{lot21}"),
            format!("(10){lot21}"),
            format!("https://x.example/01/09501101020917/10/{lot21}"),
        ] {
            let e = err(&code);
            assert!(
                matches!(e, Gs1Error::Invalid { ai: "10", .. }),
                "{code}: {e:?}"
            );
            assert!(e.to_string().contains("21 characters"), "{e}");
        }
        // The element string hints at a missing separator.
        assert!(err(&format!("10{lot21}")).to_string().contains("separator"));
        assert_eq!(
            ok(&format!("10{}", "A".repeat(20))).lot_number,
            Some("A".repeat(20))
        );

        for code in [
            "10AB C",
            "10AB \u{1d}17261231",
            "10 AB",
            "(10)AB C",
            "https://x.example/01/09501101020917/10/AB%20C",
            "10LOTé",
        ] {
            let e = err(code);
            assert!(
                matches!(e, Gs1Error::Invalid { ai: "10", .. }),
                "{code}: {e:?}"
            );
            assert!(e.to_string().contains("not allowed"), "{e}");
        }
        assert!(matches!(
            err("10\u{1d}17261231"),
            Gs1Error::Invalid { ai: "10", .. }
        ));
        assert_eq!(ok("10=1+2").lot_number.as_deref(), Some("=1+2"));
    }

    // --- dates ---

    #[test]
    fn day_00_is_the_last_day_of_the_month() {
        assert_eq!(ok("17240200").expires_on, Some(day(2024, 2, 29)));
        assert_eq!(ok("17250200").expires_on, Some(day(2025, 2, 28)));
        assert_eq!(ok("17261200").expires_on, Some(day(2026, 12, 31)));
        assert_eq!(ok("17260400").expires_on, Some(day(2026, 4, 30)));
        // 2000 is a leap year, 2100 is not.
        assert_eq!(ok("17000200").expires_on, Some(day(2000, 2, 29)));
        assert_eq!(expiry_of("17000200", day(2099, 1, 1)), day(2100, 2, 28));
        assert_eq!(ok("11240200").production_date, Some(day(2024, 2, 29)));
        assert_eq!(ok("15240200").best_before, Some(day(2024, 2, 29)));
    }

    #[test]
    fn century_window() {
        // Current two-digit year 26: 76 is +50 (this century), 77 is +51 (last century).
        let t = day(2026, 3, 15);
        assert_eq!(expiry_of("17760101", t), day(2076, 1, 1));
        assert_eq!(expiry_of("17770101", t), day(1977, 1, 1));
        assert_eq!(expiry_of("17260101", t), day(2026, 1, 1));
        assert_eq!(expiry_of("17000101", t), day(2000, 1, 1));
        // Current 75: 25 is −50 (next century), 26 is −49 (this century).
        let t = day(2075, 6, 1);
        assert_eq!(expiry_of("17250101", t), day(2125, 1, 1));
        assert_eq!(expiry_of("17260101", t), day(2026, 1, 1));
        // Current 99: 00 is −99, 49 is −50 (next century); 50 is −49.
        let t = day(2099, 12, 31);
        assert_eq!(expiry_of("17000101", t), day(2100, 1, 1));
        assert_eq!(expiry_of("17490101", t), day(2149, 1, 1));
        assert_eq!(expiry_of("17500101", t), day(2050, 1, 1));
        // Current 00: 99 is +99 and 51 is +51 (last century); 50 is +50.
        let t = day(2000, 1, 1);
        assert_eq!(expiry_of("17990101", t), day(1999, 1, 1));
        assert_eq!(expiry_of("17510101", t), day(1951, 1, 1));
        assert_eq!(expiry_of("17500101", t), day(2050, 1, 1));
    }

    #[test]
    fn expiry_date_and_time() {
        let s = ok("010950110102091770032612311430");
        assert_eq!(s.expires_on, Some(day(2026, 12, 31)));
        // Agreeing with (17) is fine, disagreeing is not.
        assert_eq!(
            ok("17261231\u{1d}70032612311430").expires_on,
            Some(day(2026, 12, 31))
        );
        assert!(matches!(
            err("1726123070032612311430"),
            Gs1Error::Invalid { ai: "7003", .. }
        ));
        assert!(err("70032612001430")
            .to_string()
            .contains("day 00 is not allowed"));
        assert!(err("70032612312430").to_string().contains("hour 24"));
        assert!(err("70032612311460").to_string().contains("minute 60"));
        assert!(err("7003261231143").to_string().contains("10 digits"));
        // 7003 needs a separator even though its value has a fixed length.
        assert!(err("700326123114301012")
            .to_string()
            .starts_with("AI (7003)"));
        assert!(err("70032613311430").to_string().contains("month 13"));
    }

    // --- other AIs ---

    #[test]
    fn count_serial_and_additional_id() {
        let s = ok("]C13012\u{1d}240REF-9/A\u{1d}21S/N-1");
        assert_eq!(s.count, Some(12));
        assert_eq!(s.serial.as_deref(), Some("S/N-1"));
        assert_eq!(ok("3099999999").count, Some(99_999_999));
        assert!(matches!(
            err("30123456789"),
            Gs1Error::Invalid { ai: "30", .. }
        ));
        assert!(matches!(err("3012A"), Gs1Error::Invalid { ai: "30", .. }));
        assert!(matches!(err("21A B"), Gs1Error::Invalid { ai: "21", .. }));
        assert!(matches!(
            err(&format!("21{}", "9".repeat(21))),
            Gs1Error::Invalid { ai: "21", .. }
        ));
        assert!(ok(&format!("240{}", "R".repeat(30))).gtin.is_none());
        assert!(matches!(
            err(&format!("240{}", "R".repeat(31))),
            Gs1Error::Invalid { ai: "240", .. }
        ));
    }

    #[test]
    fn fixed_length_fields_need_all_their_digits() {
        assert!(err("01095011010209")
            .to_string()
            .contains("needs 14 digits"));
        assert!(err("0109501101020\u{1d}917")
            .to_string()
            .contains("separator"));
        assert!(err("1726123").to_string().contains("needs 6 digits"));
        assert!(err("17ABCDEF")
            .to_string()
            .starts_with("AI (17) expiry: needs 6 digits"));
        // Full-width digits are not ASCII digits, and slicing them must not panic.
        assert!(matches!(
            err("01０９５０１１０１０２０９１７"),
            Gs1Error::Invalid { ai: "01", .. }
        ));
    }

    #[test]
    fn unknown_and_malformed_ais() {
        let e = err("0109506000134352892");
        assert_eq!(
            e,
            Gs1Error::UnknownAi {
                ai: "89".into(),
                position: Some(17)
            }
        );
        assert!(e
            .to_string()
            .starts_with("unknown application identifier (89) at position 17"));
        // Positions count the prefix too, in characters.
        assert_eq!(
            err("]d20109506000134352\u{1d}89"),
            Gs1Error::UnknownAi {
                ai: "89".into(),
                position: Some(21)
            }
        );
        // Four-digit AIs are named in full.
        assert!(matches!(err("7001123"), Gs1Error::UnknownAi { ai, .. } if ai == "7001"));
        assert!(matches!(err("241X"), Gs1Error::UnknownAi { ai, .. } if ai == "241"));
        assert_eq!(
            err("ABC"),
            Gs1Error::ExpectedAi {
                position: 1,
                found: Some('A')
            }
        );
        assert_eq!(
            err("17261231\u{1d}7"),
            Gs1Error::ExpectedAi {
                position: 11,
                found: None
            }
        );
        assert!(matches!(err("(89)1"), Gs1Error::UnknownAi { .. }));
        assert!(matches!(
            err("(A)1"),
            Gs1Error::ExpectedAi { position: 2, .. }
        ));
        assert!(matches!(
            err("(10"),
            Gs1Error::ExpectedAi { found: None, .. }
        ));
    }

    #[test]
    fn duplicates() {
        assert_eq!(ok("10AB\u{1d}10AB").lot_number.as_deref(), Some("AB"));
        assert_eq!(err("10AB\u{1d}10CD"), Gs1Error::Duplicate { ai: "10" });
        assert!(err("1726123117261230")
            .to_string()
            .contains("appears twice"));
    }

    // --- forms ---

    #[test]
    fn bracketed_form() {
        let s = ok("(01)09506000134352(17)261231(10)ABC123");
        assert_eq!(s.gtin, gtin("09506000134352"));
        assert_eq!(s.expires_on, Some(day(2026, 12, 31)));
        assert_eq!(s.lot_number.as_deref(), Some("ABC123"));
        // Spaces between the fields, as people type them.
        assert_eq!(
            ok("(01) 09506000134352 (10) ABC123").lot_number.as_deref(),
            Some("ABC123")
        );
        // A bracket in a lot: kept when it cannot start an AI, or escaped.
        assert_eq!(
            ok("(10)A(B)C(17)261231").lot_number.as_deref(),
            Some("A(B)C")
        );
        assert_eq!(ok(r"(10)A\(10)C").lot_number.as_deref(), Some("A(10)C"));
        assert_eq!(ok("]d2(10)X1\u{1d}").lot_number.as_deref(), Some("X1"));
        // Fixed lengths are still enforced.
        assert!(err("(01)9506000134352").to_string().contains("14 digits"));
        assert!(err("(17)2612310").to_string().contains("6 digits"));
        assert!(matches!(
            err("(17)261331"),
            Gs1Error::Invalid { ai: "17", .. }
        ));
        assert!(matches!(
            err("(01)09506000134352x"),
            Gs1Error::Invalid { ai: "01", .. }
        ));
    }

    #[test]
    fn digital_link_forms() {
        let s = ok("https://example.com/01/09501101020917/10/LOT%2F7?17=261200&linkType=all");
        assert_eq!(s.lot_number.as_deref(), Some("LOT/7"));
        assert_eq!(s.expires_on, Some(day(2026, 12, 31)));
        // Path prefix, /22/, GTIN-13, fragment, plain-QR prefix, other query AIs.
        let s = ok("]Q1http://brand.example/dl/01/09501101020917/22/V1/10/L%3D1%2B2/21/S%2F1?11=250101&15=270101&30=5#top");
        assert_eq!(s.gtin, gtin("09501101020917"));
        assert_eq!(s.lot_number.as_deref(), Some("L=1+2"));
        assert_eq!(s.production_date, Some(day(2025, 1, 1)));
        assert_eq!(s.best_before, Some(day(2027, 1, 1)));
        assert_eq!(s.serial.as_deref(), Some("S/1"));
        assert_eq!(s.count, Some(5));
    }

    #[test]
    fn production_and_best_before_dates() {
        let s = ok("(01)09506000134352(11)250100(15)270228(10)L1");
        // Day 00 is the month's last day, as for (17).
        assert_eq!(s.production_date, Some(day(2025, 1, 31)));
        assert_eq!(s.best_before, Some(day(2027, 2, 28)));
        assert_eq!(s.expires_on, None);
        assert!(matches!(
            err("11251301"),
            Gs1Error::Invalid { ai: "11", .. }
        ));
        assert!(matches!(
            err("15270230"),
            Gs1Error::Invalid { ai: "15", .. }
        ));
    }

    #[test]
    fn internal_ais_are_kept_raw() {
        let s = ok("010950110102091791ABC-1/2\u{1d}99X\u{1d}10L1");
        assert_eq!(
            s.internal,
            vec![("91".into(), "ABC-1/2".into()), ("99".into(), "X".into())]
        );
        assert_eq!(s.lot_number.as_deref(), Some("L1"));
        assert_eq!(ok("(90)A(10)B").internal, vec![("90".into(), "A".into())]);
        let s = ok("https://example.com/01/09501101020917?92=Q%2F1&17=261231");
        assert_eq!(s.internal, vec![("92".into(), "Q/1".into())]);
        assert_eq!(ok(&format!("95{}", "9".repeat(90))).internal.len(), 1);
        assert!(matches!(
            err(&format!("95{}", "9".repeat(91))),
            Gs1Error::Invalid { ai: "95", .. }
        ));
        assert!(matches!(err("93A B"), Gs1Error::Invalid { ai: "93", .. }));
        assert_eq!(err("91A\u{1d}91B"), Gs1Error::Duplicate { ai: "91" });
    }

    #[test]
    fn digital_link_is_strict() {
        let dl = |e: Gs1Error| matches!(e, Gs1Error::DigitalLink { .. });
        for code in [
            "HTTPS://example.com/01/09501101020917",
            "Http://example.com/01/09501101020917",
            "ftp://example.com/01/09501101020917",
            "https://example.com/01/09501101020917/",
            "https://example.com/01/09501101020917/10/L1/",
            "https://example.com/01/09501101020917/?17=261231",
            "https://example.com/01/9501101020917",
            "https://example.com/01/95011015",
            "https://example.com/01/095011010209170",
        ] {
            assert!(dl(err(code)), "{code}");
        }
        assert!(err("https://example.com/01/9501101020917")
            .to_string()
            .contains("14 digits"));
        assert!(err("HTTPS://example.com/01/09501101020917")
            .to_string()
            .contains("lower case"));
        assert_eq!(
            ok("http://example.com/01/09501101020917/10/L1")
                .lot_number
                .as_deref(),
            Some("L1")
        );
    }

    #[test]
    fn digital_link_errors() {
        let base = "https://example.com/01/09501101020917";
        let dl = |e: Gs1Error| matches!(e, Gs1Error::DigitalLink { .. });
        assert!(dl(err("https://example.com/10/ABC")));
        assert!(dl(err(&format!("{base}/21/S/10/L"))));
        assert!(dl(err(&format!("{base}/10/L/10/L"))));
        assert!(dl(err(&format!("{base}/17/261231"))));
        assert!(dl(err(&format!("{base}?10=L"))));
        assert!(dl(err(&format!("{base}/10"))));
        assert!(dl(err("https:///01/09501101020917")));
        assert!(dl(err(&format!("{base}/lot/L"))));
        assert_eq!(
            err(&format!("{base}?89=1")),
            Gs1Error::UnknownAi {
                ai: "89".into(),
                position: None
            }
        );
        assert!(matches!(
            err(&format!("{base}/10/L%2")),
            Gs1Error::Invalid { ai: "10", .. }
        ));
        assert!(matches!(
            err(&format!("{base}/10/L%FF")),
            Gs1Error::Invalid { ai: "10", .. }
        ));
        assert!(matches!(
            err(&format!("{base}?17=261331")),
            Gs1Error::Invalid { ai: "17", .. }
        ));
        assert!(matches!(
            err("https://example.com/01/09501101020918"),
            Gs1Error::Invalid { ai: "01", .. }
        ));
        assert!(err(&format!("{base}/21/S%201"))
            .to_string()
            .starts_with("AI (21) serial"));
    }

    #[test]
    fn prefixes_and_separators() {
        let element = "0109501101020917172612311012AB\u{1d}2199";
        for prefix in ["", "]d2", "]C1", "]Q3", "]e0"] {
            let s = ok(&format!("{prefix}{element}"));
            assert_eq!(s.gtin, gtin("09501101020917"), "{prefix}");
            assert_eq!(s.lot_number.as_deref(), Some("12AB"));
            assert_eq!(s.serial.as_deref(), Some("99"));
        }
        // Trailing, leading and doubled GS; GS after a fixed-length field.
        for code in [
            "]d20109501101020917\u{1d}10AB\u{1d}",
            "\u{1d}0109501101020917\u{1d}\u{1d}10AB\u{1d}\u{1d}",
            "]C1\u{1d}010950110102091710AB",
        ] {
            assert_eq!(ok(code).lot_number.as_deref(), Some("AB"), "{code:?}");
        }
        assert_eq!(ok("  ]d210AB\u{1d} \n").raw, "]d210AB\u{1d}");
        assert_eq!(
            err("]C010AB"),
            Gs1Error::NotGs1 {
                symbology: "]C0".into()
            }
        );
        assert_eq!(
            err("]Q110AB"),
            Gs1Error::NotGs1 {
                symbology: "]Q1".into()
            }
        );
        assert!(matches!(err("]é"), Gs1Error::NotGs1 { .. }));
        assert!(err("]C0").to_string().contains("GS1 DataMatrix"));
    }

    #[test]
    fn empty_input() {
        for code in ["", "   ", "]d2", "]C1\u{1d}", "\u{1d}\u{1d}"] {
            assert_eq!(err(code), Gs1Error::Empty, "{code:?}");
        }
        assert_eq!(Gs1Error::Empty.field(), "code");
        let fe = FieldError::from(&err("17131300"));
        assert_eq!(fe.field, "code");
        assert!(fe.message.contains("month 13"));
    }

    #[test]
    fn percent_decoder() {
        assert_eq!(percent_decode("a%2Fb%2fc+d").unwrap(), "a/b/c+d");
        assert_eq!(percent_decode("%C3%A9").unwrap(), "é");
        assert!(percent_decode("%").is_err());
        assert!(percent_decode("%G0").is_err());
        assert!(percent_decode("%C3").is_err());
    }

    // --- properties ---

    const CSET82: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'()*+,-./:;<=>?_";

    fn cset82_text(max: usize) -> impl Strategy<Value = String> {
        let chars: Vec<char> = CSET82.chars().collect();
        proptest::collection::vec(proptest::sample::select(chars), 1..=max)
            .prop_map(|v| v.into_iter().collect())
    }

    fn with_check_digit(data: &[u32]) -> String {
        let check = crate::domain::gtin::check_digit(data);
        data.iter()
            .chain(std::iter::once(&check))
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect()
    }

    /// A date in the window of `today()` (1977…2076), and its YYMMDD, sometimes with day 00.
    fn window_date() -> impl Strategy<Value = (NaiveDate, String)> {
        (1977i32..=2076, 1u32..=12, 1u32..=31, any::<bool>()).prop_map(|(y, m, d, use_00)| {
            let last = (28..=31)
                .rev()
                .find_map(|d| NaiveDate::from_ymd_opt(y, m, d))
                .unwrap();
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(last);
            let dd = if use_00 && date == last {
                0
            } else {
                date.day()
            };
            (date, format!("{:02}{m:02}{dd:02}", y % 100))
        })
    }

    #[derive(Debug, Clone)]
    struct Example {
        gtin: String,
        lot: String,
        serial: String,
        expiry: (NaiveDate, String),
        best_before: (NaiveDate, String),
        count: u32,
    }

    fn example() -> impl Strategy<Value = Example> {
        (
            proptest::collection::vec(0u32..10, 13),
            cset82_text(20),
            cset82_text(20),
            window_date(),
            window_date(),
            0u32..100_000_000,
        )
            .prop_map(|(data, lot, serial, expiry, best_before, count)| Example {
                gtin: with_check_digit(&data),
                lot,
                serial,
                expiry,
                best_before,
                count,
            })
    }

    fn check_scan(scan: &Scan, ex: &Example) {
        assert_eq!(scan.gtin.as_ref().map(Gtin::as_str), Some(ex.gtin.as_str()));
        assert_eq!(scan.lot_number.as_deref(), Some(ex.lot.as_str()));
        assert_eq!(scan.serial.as_deref(), Some(ex.serial.as_str()));
        assert_eq!(scan.expires_on, Some(ex.expiry.0));
    }

    fn percent_encode(s: &str) -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_string()
                } else {
                    format!("%{:02X}", c as u32)
                }
            })
            .collect()
    }

    fn arbitrary_code() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9\u{1d}]{0,80}",
            "\\]d2[0-9\u{1d}A-Za-z%/ ]{0,60}",
            "(\\]C1|\\]Q3|\\]Q1|\\]e0)?[0-9\u{1d}é漢]{0,40}",
            "\\(([0-9]{0,5}\\)?[ -~\u{1d}é]{0,16}){0,5}",
            "https?://[a-z.]{0,12}(/[0-9A-Za-z%]{0,16}){0,8}(\\?[0-9a-z=&%]{0,30})?(#.*)?",
            "https://x/01/[0-9]{8,14}(/(22|10|21|17)/[ -~]{0,8}){0,4}(\\?[0-9=&%]{0,20})?",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics(code in arbitrary_code(), y in -3000i32..5000, doy in 1u32..=365) {
            let today = NaiveDate::from_yo_opt(y, doy).unwrap();
            let _ = parse(&code, today);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn century_stays_in_the_window(yy in 0u32..100, y in 1i32..9000) {
            let today = day(y, 6, 15);
            let got = expiry_of(&format!("17{yy:02}0101"), today).year();
            prop_assert!((y - 49..=y + 50).contains(&got), "{yy} in {y} gave {got}");
            prop_assert_eq!(got.rem_euclid(100), yy as i32);
        }

        #[test]
        fn element_string_round_trip(ex in example(), order in Just([0usize, 1, 2, 3, 4, 5]).prop_shuffle(), prefix in prop::sample::select(vec!["", "]d2", "]C1"]), trailing_gs in any::<bool>()) {
            let fields = [
                ("01", ex.gtin.clone(), true),
                ("10", ex.lot.clone(), false),
                ("21", ex.serial.clone(), false),
                ("17", ex.expiry.1.clone(), true),
                ("15", ex.best_before.1.clone(), true),
                ("30", ex.count.to_string(), false),
            ];
            let mut code = prefix.to_string();
            for (i, index) in order.iter().enumerate() {
                let (ai, value, fixed) = &fields[*index];
                code.push_str(ai);
                code.push_str(value);
                if !fixed && (i + 1 < order.len() || trailing_gs) {
                    code.push(GS);
                }
            }
            let scan = parse(&code, today()).map_err(|e| TestCaseError::fail(format!("{code:?}: {e}")))?;
            check_scan(&scan, &ex);
            prop_assert_eq!(scan.best_before, Some(ex.best_before.0));
            prop_assert_eq!(scan.count, Some(ex.count));
            prop_assert_eq!(scan.raw, code);
        }

        #[test]
        fn bracketed_round_trip(ex in example()) {
            let code = format!(
                "(01){}(10){}(17){}(21){}",
                ex.gtin,
                ex.lot.replace('(', "\\("),
                ex.expiry.1,
                ex.serial.replace('(', "\\(")
            );
            let scan = parse(&code, today()).map_err(|e| TestCaseError::fail(format!("{code:?}: {e}")))?;
            check_scan(&scan, &ex);
        }

        #[test]
        fn digital_link_round_trip(ex in example()) {
            let code = format!(
                "https://id.example.org/01/{}/10/{}/21/{}?17={}&30={}",
                ex.gtin,
                percent_encode(&ex.lot),
                percent_encode(&ex.serial),
                ex.expiry.1,
                ex.count
            );
            let scan = parse(&code, today()).map_err(|e| TestCaseError::fail(format!("{code:?}: {e}")))?;
            check_scan(&scan, &ex);
            prop_assert_eq!(scan.count, Some(ex.count));
        }
    }
}
