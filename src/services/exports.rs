//! CSV exports: the column lists (the one place they are defined) and the writer that
//! streams them page by page. The API and the command line both call `write`, so the
//! same data gives the same bytes.
//!
//! RFC 4180 with CRLF line ends, UTF-8, a header row, optionally a byte-order mark for
//! spreadsheets. Text cells are neutralised against formula injection
//! (`domain::csv_safety`); numbers, dates and ids the service writes are left as they are.

use chrono::{NaiveDateTime, SecondsFormat};
use rust_decimal::Decimal;

use super::Actor;
use crate::db::exports::{self as q, ExportFilter};
use crate::db::{self, Conn};
use crate::domain::csv_safety::neutralize;
use crate::domain::ids::{ClinicId, LotId};
use crate::domain::role::Action;
use crate::error::{AppError, AppResult};

// New columns go at the end, so readers that pick columns by position keep working.
pub const TRACEABILITY_COLUMNS: [&str; 21] = [
    "session_id",
    "performed_at",
    "patient_ref",
    "practitioner",
    "area",
    "method",
    "formulation",
    "formulation_version",
    "product_sku",
    "product_name",
    "gtin",
    "lot_number",
    "expires_on",
    "quantity",
    "unit",
    "session_status",
    "override_reason",
    "gs1_serial",
    "gs1_raw",
    "area_override_reason",
    "excursions",
];

pub const MOVEMENT_COLUMNS: [&str; 15] = [
    "created_at",
    "movement_id",
    "kind",
    "product_sku",
    "product_name",
    "lot_number",
    "expires_on",
    "quantity",
    "unit",
    "actor",
    "reason",
    "session_id",
    "reverses_id",
    "gs1_serial",
    "gs1_raw",
];

pub const VARIANCE_COLUMNS: [&str; 13] = [
    "session_id",
    "performed_at",
    "patient_ref",
    "practitioner",
    "formulation",
    "formulation_version",
    "product_sku",
    "product_name",
    "planned",
    "actual",
    "difference",
    "unit",
    "session_status",
];

pub const RECALL_COLUMNS: [&str; 11] = [
    "lot_number",
    "product_sku",
    "session_id",
    "performed_at",
    "patient_ref",
    "practitioner",
    "quantity",
    "session_status",
    "contact_status",
    "contact_note",
    "contact_updated_at",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Traceability,
    Movements,
    Variance,
}

/// A cell: text from people (neutralised) or a value the service formats itself.
enum Cell {
    Text(String),
    Value(String),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn value(s: impl ToString) -> Cell {
    Cell::Value(s.to_string())
}

fn opt_text(s: Option<String>) -> Cell {
    Cell::Text(s.unwrap_or_default())
}

fn opt_value<T: ToString>(v: Option<T>) -> Cell {
    Cell::Value(v.map(|v| v.to_string()).unwrap_or_default())
}

pub fn time(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Rows between two hand-overs to the sink and progress reports.
const FLUSH_EVERY: u64 = 5_000;

pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark, so Excel reads UTF-8 on double-click.
    pub bom: bool,
}

/// Hands the CSV writer's buffered bytes to the sink.
struct SinkWriter<'a>(&'a mut dyn FnMut(&[u8]) -> std::io::Result<()>);

impl std::io::Write for SinkWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (self.0)(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct CsvOut<'a> {
    writer: csv::Writer<SinkWriter<'a>>,
    rows: u64,
}

impl CsvOut<'_> {
    fn record(&mut self, cells: Vec<Cell>) -> AppResult<()> {
        let fields: Vec<std::borrow::Cow<'_, str>> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => neutralize(s),
                Cell::Value(s) => std::borrow::Cow::Borrowed(s.as_str()),
            })
            .collect();
        self.writer
            .write_record(fields.iter().map(|f| f.as_bytes()))
            .map_err(csv_err)?;
        self.rows += 1;
        Ok(())
    }

    /// Hands what is buffered to the sink (at the latest, once per page).
    fn flush(&mut self) -> AppResult<()> {
        self.writer
            .flush()
            .map_err(|e| AppError::Internal(format!("export aborted: {e}")))
    }
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::Internal(format!("csv: {e}"))
}

fn start<'a>(
    header: &[&str],
    opts: &CsvOptions,
    sink: &'a mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> AppResult<CsvOut<'a>> {
    if opts.bom {
        sink("\u{feff}".as_bytes())
            .map_err(|e| AppError::Internal(format!("export aborted: {e}")))?;
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(256 * 1024)
        .from_writer(SinkWriter(sink));
    writer.write_record(header).map_err(csv_err)?;
    let mut out = CsvOut { writer, rows: 0 };
    // The header goes out at once: the client sees the first bytes before any query.
    out.flush()?;
    Ok(out)
}

/// Checks the caller may export (managers and auditors).
pub fn authorize(actor: &Actor) -> AppResult<ClinicId> {
    Ok(actor.clinic_for(Action::Audit)?.clone())
}

/// Writes a whole export to `sink` from one streamed query inside one read snapshot,
/// calling `progress` with the rows written so far. Answers the number of data rows.
pub fn write(
    conn: &mut Conn,
    clinic: &ClinicId,
    kind: ExportKind,
    filter: &ExportFilter,
    opts: &CsvOptions,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    progress: &mut dyn FnMut(u64),
) -> AppResult<u64> {
    let header: &[&str] = match kind {
        ExportKind::Traceability => &TRACEABILITY_COLUMNS,
        ExportKind::Movements => &MOVEMENT_COLUMNS,
        ExportKind::Variance => &VARIANCE_COLUMNS,
    };
    let mut out = start(header, opts, sink)?;
    db::read_snapshot(conn, |conn| {
        let each = &mut |cells: Vec<Cell>| -> AppResult<()> {
            out.record(cells)?;
            if out.rows % FLUSH_EVERY == 0 {
                out.flush()?;
                progress(out.rows);
            }
            Ok(())
        };
        match kind {
            ExportKind::Traceability => {
                q::traceability(conn, clinic, filter, &mut |r| each(r.cells()))
            }
            ExportKind::Movements => q::movements(conn, clinic, filter, &mut |r| each(r.cells())),
            ExportKind::Variance => q::variance(conn, clinic, filter, &mut |r| each(r.cells())),
        }
    })?;
    out.flush()?;
    progress(out.rows);
    Ok(out.rows)
}

/// A row of an export: its cells in the documented column order.
trait ExportRow {
    fn cells(self) -> Vec<Cell>;
}

impl ExportRow for q::TraceRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            value(&self.session_id),
            value(time(self.performed_at)),
            text(self.patient_ref),
            text(self.practitioner),
            value(self.area),
            value(self.method),
            opt_text(self.formulation),
            opt_value(self.formulation_version),
            text(self.product_sku),
            text(self.product_name),
            opt_value(self.gtin),
            text(self.lot_number),
            value(self.expires_on),
            value(self.quantity),
            value(self.unit),
            value(self.session_status),
            opt_text(self.override_reason),
            // A scanned code is outside text: neutralised like people's text.
            opt_text(self.gs1_serial),
            opt_text(self.gs1_raw),
            opt_text(self.area_override_reason),
            value(self.excursions),
        ]
    }
}

impl ExportRow for q::MovementRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            value(time(self.created_at)),
            value(self.id),
            value(self.kind),
            text(self.product_sku),
            text(self.product_name),
            text(self.lot_number),
            value(self.expires_on),
            value(self.quantity),
            value(self.unit),
            text(self.actor),
            opt_text(self.reason),
            opt_value(self.session_id),
            opt_value(self.reverses_id),
            opt_text(self.gs1_serial),
            opt_text(self.gs1_raw),
        ]
    }
}

impl ExportRow for q::VarianceRow {
    fn cells(self) -> Vec<Cell> {
        let difference = (self.actual - self.planned.unwrap_or(Decimal::ZERO)).normalize();
        vec![
            value(&self.session_id),
            value(time(self.performed_at)),
            text(self.patient_ref),
            text(self.practitioner),
            opt_text(self.formulation),
            opt_value(self.formulation_version),
            text(self.product_sku),
            text(self.product_name),
            opt_value(self.planned),
            value(self.actual),
            value(difference),
            value(self.unit),
            value(self.session_status),
        ]
    }
}

/// One recalled (or any) lot: every session that used it with the contact status of
/// its patient when a recall case exists.
pub fn write_recall(
    conn: &mut Conn,
    clinic: &ClinicId,
    lot_id: &LotId,
    opts: &CsvOptions,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> AppResult<u64> {
    let mut out = start(&RECALL_COLUMNS, opts, sink)?;
    db::read_snapshot(conn, |conn| {
        let lot = crate::db::lots::get(conn, clinic, lot_id)?
            .ok_or_else(|| AppError::not_found(format!("lot {lot_id}")))?;
        let product = crate::db::products::get(conn, clinic, &lot.product_id)?
            .ok_or_else(|| AppError::Internal("lot without product".into()))?;
        let contacts = crate::db::recalls::contacts_for_lot(conn, clinic, lot_id)?;
        for u in crate::db::sessions::sessions_using_lot(conn, clinic, lot_id)? {
            let contact = contacts.iter().find(|c| c.patient_ref == u.patient_ref);
            out.record(vec![
                text(&lot.lot_number),
                text(&product.sku),
                value(&u.session_id),
                value(time(u.performed_at)),
                text(u.patient_ref.clone()),
                text(u.practitioner),
                value(u.quantity),
                value(u.status),
                opt_value(contact.map(|c| c.status)),
                opt_text(contact.and_then(|c| c.note.clone())),
                opt_value(contact.and_then(|c| c.updated_at).map(time)),
            ])?;
        }
        out.flush()?;
        Ok(out.rows)
    })
}

/// The order's own details are repeated on every row, after the line's columns: a file
/// forwarded alone still says which order it is, and every row keeps one shape for the
/// programs that read it.
pub const PURCHASE_ORDER_COLUMNS: [&str; 10] = [
    "sku",
    "gtin",
    "name",
    "containers",
    "unit_cost",
    "line_total",
    "order_number",
    "order_date",
    "clinic",
    "supplier",
];

/// Who orders what from whom, repeated on each row of a purchase order's CSV.
pub struct OrderHeader {
    pub order_number: String,
    pub order_date: chrono::NaiveDate,
    pub clinic: String,
    pub supplier: String,
}

/// The order as the supplier gets it: one row per line, then a `TOTAL` row.
pub fn write_purchase_order(
    header: &OrderHeader,
    lines: &[crate::db::orders::OrderLine],
    opts: &CsvOptions,
) -> AppResult<Vec<u8>> {
    let order_cells = || {
        vec![
            value(&header.order_number),
            value(header.order_date),
            text(header.clinic.clone()),
            text(header.supplier.clone()),
        ]
    };
    let mut bytes = Vec::new();
    let mut sink = |b: &[u8]| {
        bytes.extend_from_slice(b);
        Ok(())
    };
    let mut out = start(&PURCHASE_ORDER_COLUMNS, opts, &mut sink)?;
    let mut total = Decimal::ZERO;
    for l in lines {
        total += l.total();
        let mut cells = vec![
            text(l.sku.clone()),
            opt_value(l.gtin.clone()),
            text(l.name.clone()),
            value(l.containers),
            value(l.unit_cost),
            value(l.total()),
        ];
        cells.extend(order_cells());
        out.record(cells)?;
    }
    let mut cells = vec![
        value("TOTAL"),
        value(""),
        value(""),
        value(""),
        value(""),
        value(total),
    ];
    cells.extend(order_cells());
    out.record(cells)?;
    out.flush()?;
    drop(out);
    Ok(bytes)
}
