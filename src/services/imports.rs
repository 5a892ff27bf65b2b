//! CSV imports, all or nothing: every row is checked first and every bad row reported
//! with its line number (the header is line 1); only a clean file is written, in one
//! transaction, through the same use cases as the API.
//!
//! Products: `sku,name,kind,ingredients,gtin,stock_unit,content,single_use,
//! beyond_use_days,storage,reorder_point,reorder_quantity,supplier,unit_cost`
//! (`ingredients` separated by `;`, `supplier` by name; only sku, name, kind,
//! stock_unit, single_use and storage are required columns).
//! Lots: `sku,lot_number,expires_on,containers,unit_cost,supplier,received_at,fridge`
//! (`fridge` by name). Readings: `fridge,at,celsius` (`fridge` by name).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::cold_chain::{self as cold, ReadingsStored};
use super::lots::receive_lot;
use super::{catalog, Actor};
use crate::db::cold_chain::Fridge;
use crate::db::{self, cold_chain as fridges, lots, products, suppliers, Conn};
use crate::domain::ids::{ClinicId, ProductId, SupplierId};
use crate::domain::lot::{check_top_up, parse_lot_number, TopUpRefusal};
use crate::domain::product::ValidProduct;
use crate::domain::requests::{ProductInput, ReceiveLotInput};
use crate::domain::role::Action;
use crate::domain::treatment::{check_back_dating, parse_time};
use crate::domain::{no_control, quantity, FieldError};
use crate::error::{AppError, AppResult};

pub const PRODUCT_COLUMNS: [&str; 14] = [
    "sku",
    "name",
    "kind",
    "ingredients",
    "gtin",
    "stock_unit",
    "content",
    "single_use",
    "beyond_use_days",
    "storage",
    "reorder_point",
    "reorder_quantity",
    "supplier",
    "unit_cost",
];
const PRODUCT_REQUIRED: [&str; 6] = ["sku", "name", "kind", "stock_unit", "single_use", "storage"];

pub const LOT_COLUMNS: [&str; 8] = [
    "sku",
    "lot_number",
    "expires_on",
    "containers",
    "unit_cost",
    "supplier",
    "received_at",
    "fridge",
];
const LOT_REQUIRED: [&str; 4] = ["sku", "lot_number", "expires_on", "containers"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductRow {
    sku: String,
    name: String,
    kind: String,
    ingredients: String,
    gtin: String,
    stock_unit: String,
    content: String,
    single_use: String,
    beyond_use_days: String,
    storage: String,
    reorder_point: String,
    reorder_quantity: String,
    supplier: String,
    unit_cost: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LotRow {
    sku: String,
    lot_number: String,
    expires_on: String,
    containers: String,
    unit_cost: String,
    supplier: String,
    received_at: String,
    fridge: String,
}

pub const READING_COLUMNS: [&str; 3] = ["fridge", "at", "celsius"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReadingRow {
    fridge: String,
    at: String,
    celsius: String,
}

/// Row errors of one file.
struct Report(Vec<FieldError>);

impl Report {
    /// What the `field` column of a row names (a supplier, a fridge), if any; an unknown
    /// name is an error.
    fn named<T: Clone>(
        &mut self,
        line: u64,
        field: &str,
        name: &str,
        by_name: &HashMap<String, T>,
    ) -> Option<T> {
        let name = blank(name)?;
        let found = by_name.get(name).cloned();
        if found.is_none() {
            self.fail(
                line,
                field,
                format!("no {field} named {name:?}; create it first"),
            );
        }
        found
    }

    fn fail(&mut self, line: u64, field: &str, message: impl std::fmt::Display) {
        self.0.push(FieldError::new(field, message).at_line(line));
    }

    fn take<T, E: std::fmt::Display>(
        &mut self,
        line: u64,
        field: &str,
        r: Result<T, E>,
    ) -> Option<T> {
        r.map_err(|e| self.fail(line, field, e)).ok()
    }
}

fn blank(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

fn integer(s: &str) -> Result<i64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))
}

fn boolean(s: &str) -> Result<bool, String> {
    match s.trim().to_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(format!("{other:?} is not true/false")),
    }
}

/// Whether a line ends at byte `i`: a LF, or a CR not followed by a LF.
fn line_ends_at(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// RFC 4180 quoting, checked before parsing: a `"` may only open a field, and a closing
/// `"` must be followed by a comma or a line end. Answers (line, message) per bad field.
fn stray_quotes(bytes: &[u8]) -> Vec<(u64, String)> {
    let mut errors = Vec::new();
    let (mut line, mut i) = (1u64, 0usize);
    let mut field_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        if field_start && b == b'"' {
            // A quoted field: runs to the next lone quote; "" is a quote inside.
            let opened_at = line;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        errors.push((opened_at, "a quoted field is never closed".into()));
                        return errors;
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => break,
                    Some(_) => {
                        if line_ends_at(bytes, i) {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            i += 1;
            if !matches!(bytes.get(i), None | Some(b',' | b'\r' | b'\n')) {
                errors.push((
                    line,
                    "text follows a closing quote; quote the whole field and write a quote inside as \"\"".into(),
                ));
            }
            field_start = false;
            continue;
        }
        match b {
            b',' => field_start = true,
            b'\n' | b'\r' => {
                if line_ends_at(bytes, i) {
                    line += 1;
                }
                field_start = true;
            }
            b'"' => errors.push((
                line,
                "a quote inside an unquoted field; quote the whole field and write a quote inside as \"\"".into(),
            )),
            // Spaces before an opening quote are trimmed like the cells themselves.
            b' ' | b'\t' if field_start => {}
            _ => field_start = false,
        }
        i += 1;
    }
    errors
}

/// Every column is one we know, and every required one is there (reported on line 1).
fn check_header(
    headers: &csv::StringRecord,
    known: &[&str],
    required: &[&str],
    report: &mut Report,
) {
    for h in headers.iter() {
        if !known.contains(&h) {
            report.fail(
                1,
                h,
                format!("unknown column; the columns are: {}", known.join(",")),
            );
        }
    }
    for r in required {
        if !headers.iter().any(|h| h == *r) {
            report.fail(1, r, "required column is missing");
        }
    }
}

/// Reads the rows, checking the header; answers (line, row) pairs.
fn read<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    known: &[&str],
    required: &[&str],
    report: &mut Report,
) -> Vec<(u64, T)> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    // The csv crate reads a stray quote as text; RFC 4180 does not, and such a file was
    // most likely cut or mangled, so it is refused rather than guessed at.
    for (line, message) in stray_quotes(bytes) {
        report.fail(line, "row", message);
    }
    if !report.0.is_empty() {
        return Vec::new();
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            report.fail(1, "header", format!("cannot read the header row: {e}"));
            return Vec::new();
        }
    };
    check_header(&headers, known, required, report);
    if !report.0.is_empty() {
        return Vec::new();
    }
    // Line numbers from byte offsets: the csv crate's own line count is off by one
    // after CRLF line ends, which spreadsheets write, and ignores bare CR line ends (old
    // Mac files). After a CRLF a record's offset points at the LF, so the byte at the
    // offset is counted too.
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(bytes.len());
        if byte >= counted.0 {
            counted.1 += (counted.0..byte)
                .filter(|i| line_ends_at(bytes, *i))
                .count() as u64;
            counted.0 = byte;
        }
        counted.1
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| line_at(p.byte()));
                for (cell, column) in rec.iter().zip(headers.iter()) {
                    if let Err(e) = no_control(cell) {
                        report.fail(line, column, e);
                    }
                }
                match rec.deserialize::<T>(Some(&headers)) {
                    Ok(row) => rows.push((line, row)),
                    Err(e) => report.fail(line, "row", e.to_string()),
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                report.fail(line, "row", format!("not a valid CSV row: {e}"));
            }
        }
    }
    if rows.is_empty() && report.0.is_empty() {
        report.fail(2, "row", "the file has no rows under its header");
    }
    rows
}

/// All or nothing: any reported row refuses the whole file; otherwise every valid row is
/// written in one transaction, and an error while writing still names its line.
fn finish<T>(
    conn: &mut Conn,
    report: Report,
    valid: Vec<(u64, T)>,
    mut write: impl FnMut(&mut Conn, T) -> AppResult<()>,
) -> AppResult<usize> {
    if !report.0.is_empty() {
        return Err(AppError::Invalid(report.0));
    }
    let n = valid.len();
    db::write_tx(conn, |conn| {
        for (line, row) in valid {
            write(conn, row).map_err(|e| e.at_line(line))?;
        }
        Ok::<(), AppError>(())
    })?;
    Ok(n)
}

/// One row of a products file as a valid product, or its errors in the report.
fn product_row(
    line: u64,
    r: ProductRow,
    supplier_ids: &HashMap<String, SupplierId>,
    report: &mut Report,
) -> Option<ValidProduct> {
    let before = report.0.len();
    let num = |field: &str, v: &str, report: &mut Report| -> Option<Decimal> {
        blank(v).and_then(|v| report.take(line, field, quantity::parse_decimal(v)))
    };
    let content = num("content", &r.content, report);
    let reorder_point = num("reorder_point", &r.reorder_point, report);
    let unit_cost = num("unit_cost", &r.unit_cost, report);
    let single_use = report.take(line, "single_use", boolean(&r.single_use));
    let beyond_use_days =
        blank(&r.beyond_use_days).and_then(|v| report.take(line, "beyond_use_days", integer(v)));
    let reorder_quantity =
        blank(&r.reorder_quantity).and_then(|v| report.take(line, "reorder_quantity", integer(v)));
    let supplier_id = report.named(line, "supplier", &r.supplier, supplier_ids);
    let single_use = single_use?;
    let input = ProductInput {
        sku: r.sku.clone(),
        name: r.name,
        kind: r.kind,
        ingredients: r
            .ingredients
            .split(';')
            .filter_map(blank)
            .map(str::to_string)
            .collect(),
        gtin: blank(&r.gtin).map(str::to_string),
        stock_unit: r.stock_unit,
        content,
        single_use,
        beyond_use_days,
        storage: r.storage,
        reorder_point: reorder_point.unwrap_or_default(),
        reorder_quantity: reorder_quantity.unwrap_or_default(),
        supplier_id,
        unit_cost: unit_cost.unwrap_or_default(),
    };
    match ValidProduct::try_from(input) {
        Err(errs) => {
            for e in errs {
                report.fail(line, &e.field, e.message);
            }
            None
        }
        // A row whose numbers did not parse is reported, never imported.
        Ok(p) => (report.0.len() == before).then_some(p),
    }
}

pub fn import_products(
    conn: &mut Conn,
    actor: &Actor,
    bytes: &[u8],
    progress: &mut dyn FnMut(u64),
) -> AppResult<usize> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut report = Report(Vec::new());
    let rows: Vec<(u64, ProductRow)> =
        read(bytes, &PRODUCT_COLUMNS, &PRODUCT_REQUIRED, &mut report);
    let supplier_ids: HashMap<String, SupplierId> = suppliers::list(conn, &clinic, None)?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut valid = Vec::new();
    for (line, r) in rows {
        if let Some(p) = product_row(line, r, &supplier_ids, &mut report) {
            if !seen.insert(p.sku.clone()) {
                report.fail(line, "sku", format!("{} appears twice in the file", p.sku));
            } else if products::find_by_sku(conn, &clinic, &p.sku)?.is_some() {
                report.fail(line, "sku", format!("a product {} already exists", p.sku));
            } else {
                valid.push((line, p));
            }
        }
        progress(line);
    }
    finish(conn, report, valid, |conn, p| {
        catalog::create_valid_product(conn, actor, &clinic, p).map(|_| ())
    })
}

/// What checking a lots file needs beyond one row: the clinic's catalog and suppliers,
/// and the expiry each lot number had higher up in the file.
struct LotFile<'a> {
    products_by_sku: HashMap<String, products::Product>,
    supplier_ids: HashMap<String, SupplierId>,
    fridge_ids: HashMap<String, String>,
    lots: SeenLots<'a>,
}

/// The lot numbers met so far in the file, and the clinic's lots they may top up.
struct SeenLots<'a> {
    clinic: &'a ClinicId,
    expiry_in_file: HashMap<(ProductId, String), NaiveDate>,
}

impl LotFile<'_> {
    /// One row as a delivery, or its errors in the report.
    fn row(
        &mut self,
        conn: &mut Conn,
        line: u64,
        r: LotRow,
        report: &mut Report,
    ) -> AppResult<Option<ReceiveLotInput>> {
        let before = report.0.len();
        let product = self.products_by_sku.get(r.sku.trim());
        if product.is_none() {
            report.fail(line, "sku", format!("no product with sku {:?}", r.sku));
        }
        let lot_number = report.take(line, "lot_number", parse_lot_number(&r.lot_number));
        let expires_on = report.take(
            line,
            "expires_on",
            NaiveDate::parse_from_str(r.expires_on.trim(), "%Y-%m-%d")
                .map_err(|_| format!("{:?} is not a date; use YYYY-MM-DD", r.expires_on)),
        );
        let containers = report.take(
            line,
            "containers",
            integer(&r.containers)
                .and_then(|c| quantity::count(c, 1, 100_000).map_err(|e| e.to_string())),
        );
        let unit_cost = blank(&r.unit_cost).and_then(|v| {
            report.take(
                line,
                "unit_cost",
                quantity::parse_decimal(v)
                    .map_err(|e| e.to_string())
                    .and_then(|d| quantity::non_negative(d).map_err(|e| e.to_string())),
            )
        });
        let supplier_id = report.named(line, "supplier", &r.supplier, &self.supplier_ids);
        let fridge_id = report.named(line, "fridge", &r.fridge, &self.fridge_ids);
        // A delivery entered after the fact, under the sessions' back-dating window.
        let received_at = blank(&r.received_at).and_then(|t| {
            let at = report.take(line, "received_at", parse_time(t))?;
            report.take(
                line,
                "received_at",
                check_back_dating(at.naive_utc(), crate::db::now()).map(|()| at),
            )
        });
        if let (Some(p), Some(n), Some(e)) = (product, &lot_number, expires_on) {
            self.lots.check(conn, line, p, n, e, report)?;
        }
        if report.0.len() != before {
            return Ok(None);
        }
        Ok(match (product, lot_number, expires_on, containers) {
            (Some(p), Some(lot_number), Some(expires_on), Some(containers)) => {
                Some(ReceiveLotInput {
                    product_id: p.id.clone(),
                    lot_number,
                    expires_on,
                    containers,
                    unit_cost,
                    supplier_id,
                    received_at,
                    fridge_id,
                })
            }
            _ => None,
        })
    }
}

impl SeenLots<'_> {
    /// A lot number seen above with another expiry, or one already here that cannot be
    /// topped up, is an error of this row.
    fn check(
        &mut self,
        conn: &mut Conn,
        line: u64,
        p: &products::Product,
        n: &str,
        e: NaiveDate,
        report: &mut Report,
    ) -> AppResult<()> {
        let key = (p.id.clone(), n.to_string());
        match self.expiry_in_file.get(&key) {
            Some(prev) if *prev != e => report.fail(
                line,
                "expires_on",
                format!("lot {n} appears above with expiry {prev}"),
            ),
            _ => {
                self.expiry_in_file.insert(key, e);
            }
        }
        if let Some(existing) = lots::find_by_number(conn, self.clinic, &p.id, n)? {
            if let Err(refusal) = check_top_up(n, &p.sku, existing.status, existing.expires_on, e) {
                let field = match refusal {
                    TopUpRefusal::OtherExpiry { .. } => "expires_on",
                    TopUpRefusal::Recalled { .. } => "lot_number",
                };
                report.fail(line, field, refusal.to_string());
            }
        }
        Ok(())
    }
}

pub fn import_lots(
    conn: &mut Conn,
    actor: &Actor,
    bytes: &[u8],
    progress: &mut dyn FnMut(u64),
) -> AppResult<usize> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut report = Report(Vec::new());
    let rows: Vec<(u64, LotRow)> = read(bytes, &LOT_COLUMNS, &LOT_REQUIRED, &mut report);
    let mut file = LotFile {
        products_by_sku: products::list(conn, &clinic, None)?
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect(),
        supplier_ids: suppliers::list(conn, &clinic, None)?
            .into_iter()
            .map(|s| (s.name, s.id))
            .collect(),
        fridge_ids: fridge_names(conn, &clinic)?
            .into_iter()
            .map(|(name, f)| (name, f.id))
            .collect(),
        lots: SeenLots {
            clinic: &clinic,
            expiry_in_file: HashMap::new(),
        },
    };
    let mut valid = Vec::new();
    for (line, r) in rows {
        if let Some(lot) = file.row(conn, line, r, &mut report)? {
            valid.push((line, lot));
        }
        progress(line);
    }
    finish(conn, report, valid, |conn, lot| {
        receive_lot(conn, actor, lot)
            .map(|_| ())
            .map_err(|e| match e {
                // The file names the fridge in its `fridge` column.
                AppError::Invalid(mut errs) => {
                    for f in errs.iter_mut().filter(|f| f.field == "fridge_id") {
                        f.field = "fridge".into();
                    }
                    AppError::Invalid(errs)
                }
                other => other,
            })
    })
}

fn fridge_names(conn: &mut Conn, clinic: &ClinicId) -> AppResult<HashMap<String, Fridge>> {
    Ok(fridges::list(conn, clinic)?
        .into_iter()
        .map(|f| (f.name.clone(), f))
        .collect())
}

/// A reading of a file: (line, time, °C).
type LineReading = (u64, chrono::DateTime<chrono::Utc>, Decimal);

/// What a readings file did: its rows, the readings new to the database (a time already
/// known is kept once), and the excursions they are part of.
pub struct ReadingsImported {
    pub rows: usize,
    pub stored: ReadingsStored,
}

/// Readings of the clinic's fridges (by name), all or nothing like the other imports,
/// then stored fridge by fridge in one transaction, finding excursions as the API does.
pub fn import_readings(
    conn: &mut Conn,
    actor: &Actor,
    bytes: &[u8],
    progress: &mut dyn FnMut(u64),
) -> AppResult<ReadingsImported> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut report = Report(Vec::new());
    let rows: Vec<(u64, ReadingRow)> = read(bytes, &READING_COLUMNS, &READING_COLUMNS, &mut report);
    let fridges = fridge_names(conn, &clinic)?;
    // Per fridge, in file order.
    let mut by_fridge: HashMap<String, (Fridge, Vec<LineReading>)> = HashMap::new();
    let n = rows.len();
    for (line, r) in rows {
        let fridge = report.named(line, "fridge", &r.fridge, &fridges);
        if blank(&r.fridge).is_none() {
            report.fail(line, "fridge", "give the fridge's name");
        }
        let at = report.take(line, "at", parse_time(r.at.trim()));
        let celsius = report.take(line, "celsius", quantity::parse_decimal(r.celsius.trim()));
        if let (Some(f), Some(at), Some(celsius)) = (fridge, at, celsius) {
            by_fridge
                .entry(f.id.clone())
                .or_insert_with(|| (f, Vec::new()))
                .1
                .push((line, at, celsius));
        }
        progress(line);
    }
    let mut valid = Vec::new();
    for (fridge, rows) in by_fridge.into_values() {
        let checked = cold::check_readings(rows.iter().map(|r| (r.1, r.2)), |i, f, m| {
            report.fail(rows.get(i).map_or(0, |r| r.0), f, m)
        });
        valid.push((rows.first().map_or(0, |r| r.0), (fridge, checked)));
    }
    report.0.sort_by_key(|e| e.line);
    let mut stored = ReadingsStored {
        stored: 0,
        excursions: Vec::new(),
    };
    finish(conn, report, valid, |conn, (fridge, readings)| {
        let done = cold::store(conn, actor, &fridge, readings)?;
        stored.stored += done.stored;
        stored.excursions.extend(done.excursions);
        Ok(())
    })?;
    Ok(ReadingsImported { rows: n, stored })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Row {
        a: String,
    }

    #[test]
    fn line_numbers_count_the_header_as_one() {
        for text in [
            "a,b\n1,2\n3,4\n",
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\n\"x\ny\",2\n3,4\n",
            "a,b\r1,2\r3,4\r",
            "a,b\r\"x\ry\",2\r3,4",
        ] {
            let mut report = Report(Vec::new());
            let rows: Vec<(u64, Row)> = read(text.as_bytes(), &["a", "b"], &["a"], &mut report);
            let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
            let expected = if text.contains('"') {
                vec![2, 4]
            } else {
                vec![2, 3]
            };
            assert_eq!(lines, expected, "{text:?}");
            assert_eq!(rows[1].1.a, "3");
        }
    }

    #[test]
    fn stray_quotes_are_errors_with_their_line() {
        assert!(stray_quotes(b"a,b\n\"x,\"\"y\"\"\",2\n \"z\",3\n").is_empty());
        let lines =
            |t: &str| -> Vec<u64> { stray_quotes(t.as_bytes()).iter().map(|e| e.0).collect() };
        assert_eq!(lines("a,b\n1,2\n3,x\"y\n"), vec![3]);
        assert_eq!(lines("a,b\r1,2\r\"x\"y,2\r"), vec![3]);
        assert_eq!(lines("a,b\r\n1,\"open\r\n"), vec![2]);
        let mut report = Report(Vec::new());
        let rows: Vec<(u64, Row)> = read(b"a\n1\nx\"\n", &["a"], &["a"], &mut report);
        assert!(rows.is_empty());
        assert_eq!(report.0[0].line, Some(3));
    }
}
