#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Load generator: boots the real service in-process over a fresh database, seeds a
//! clinic through the HTTP API, then logs treatment sessions as fast as it can, either
//! over HTTP (`--mode http`) or by calling `services::sessions::log` on the pool from OS
//! threads (`--mode direct`). Prints latency percentiles, verifies every lot's balance
//! against its ledger and ends with one summary line.
//!
//! ```text
//! cargo run --release --example loadgen -- [--database-url URL] [--clients 16]
//!     [--sessions 4000] [--clinics 1] [--mode http|direct] [--direct-like-handler]
//! ```
//!
//! `--clinics N` seeds N clinics, each with its own staff, catalog and lots (a chain on
//! one database), and gives client `c` the clinic `c mod N`: the realistic spread. With
//! one clinic every client works on the same three lots: the hot spot.
//!
//! Without `--database-url` the database is a new SQLite file in a temporary directory.
//! With `--database-url postgres://…/db`, a new database `mesoledger_bench_<random>` is
//! created on that server for the run and dropped (`WITH (FORCE)`) at the end.
//! `RUST_LOG` sets the service's log level (default `warn`, so 500 causes are shown).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use actix_web::ResponseError;
use anyhow::{anyhow, bail, Context};
use awc::http::Method;
use clap::{Parser, ValueEnum};
use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::join_all;
use mesoledger::db::{Pool, Writer};
use mesoledger::error::AppResult;
use mesoledger::services::{auth, sessions, Actor};
use mesoledger::startup::{Application, Settings};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "loadgen-admin-token-0123456789abcdef";
const PRACTITIONERS: usize = 4;
/// Error bodies printed in full.
const SHOWN_ERRORS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Http,
    Direct,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Http => "http",
            Mode::Direct => "direct",
        }
    }
}

#[derive(Debug, Clone, Parser)]
#[command(about = "Load generator for POST /api/v1/sessions")]
struct Args {
    /// A PostgreSQL server URL (a new database is created on it); default: temp SQLite.
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent clients (HTTP) or OS threads (direct).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Sessions to log in total.
    #[arg(long, default_value_t = 4000)]
    sessions: usize,
    /// Clinics the clients are spread over, each with its own catalog and lots.
    #[arg(long, default_value_t = 1)]
    clinics: usize,
    #[arg(long, value_enum, default_value_t = Mode::Http)]
    mode: Mode,
    /// Direct mode only: per session, also authenticate the token and read the session
    /// back (`sessions::get`) on two pool checkouts, which is the database work the HTTP
    /// handler does besides `log`.
    #[arg(long)]
    direct_like_handler: bool,
    /// Service pool size.
    #[arg(long, default_value_t = 16)]
    pool_size: u32,
    /// HTTP workers (default: actix's, one per physical core).
    #[arg(long)]
    workers: Option<usize>,
}

// ---------------------------------------------------------------------------------------
// A fresh database per run.

enum BenchDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Pg {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl BenchDb {
    fn create(server: Option<&str>) -> anyhow::Result<BenchDb> {
        match server {
            Some(admin_url) if is_postgres(admin_url) => {
                let name = format!("mesoledger_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(admin_url)
                    .with_context(|| format!("cannot reach PostgreSQL at {admin_url}"))?;
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .with_context(|| format!("CREATE DATABASE {name}"))?;
                eprintln!("created database {name}");
                let url = with_database(admin_url, &name);
                Ok(BenchDb::Pg {
                    admin_url: admin_url.to_string(),
                    name,
                    url,
                })
            }
            Some(other) => bail!(
                "--database-url must be a postgres:// URL (a new database is created on it); \
                 leave it out for a temporary SQLite file, got {other:?}"
            ),
            None => {
                let dir = tempfile::tempdir().context("temp dir")?;
                let url = dir.path().join("bench.db").to_string_lossy().into_owned();
                Ok(BenchDb::Sqlite { _dir: dir, url })
            }
        }
    }

    fn url(&self) -> &str {
        match self {
            BenchDb::Sqlite { url, .. } | BenchDb::Pg { url, .. } => url,
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            BenchDb::Sqlite { .. } => "sqlite",
            BenchDb::Pg { .. } => "postgres",
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let BenchDb::Pg {
            admin_url, name, ..
        } = self
        {
            let dropped = PgConnection::establish(admin_url)
                .map_err(|e| e.to_string())
                .and_then(|mut conn| {
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .map_err(|e| e.to_string())
                });
            match dropped {
                Ok(_) => eprintln!("dropped database {name}"),
                Err(e) => eprintln!("could not drop database {name}: {e}"),
            }
        }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The same server and credentials with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = main.find("://").map_or(0, |i| i + 3);
    let base = match main[scheme_end..].find('/') {
        Some(i) => &main[..scheme_end + i],
        None => main,
    };
    format!("{base}/{name}{query}")
}

// ---------------------------------------------------------------------------------------
// A small HTTP client.

struct Api {
    client: awc::Client,
    base: String,
}

struct Answer {
    status: u16,
    body: Value,
    text: String,
}

impl Api {
    fn new(base: &str) -> Api {
        Api {
            client: awc::Client::builder()
                .timeout(Duration::from_secs(120))
                .finish(),
            base: base.to_string(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<Answer> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b)
                    .await
            }
            None => req.send().await,
        }
        .map_err(|e| anyhow!("{path}: request failed: {e}"))?;
        let status = res.status().as_u16();
        let bytes = res
            .body()
            .limit(512 * 1024 * 1024)
            .await
            .map_err(|e| anyhow!("{path}: reading the body failed: {e}"))?;
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Sends and insists on `want`.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let what = format!("{method} {path}");
        let a = self
            .send(method, path, Some(token), body.map(|b| b.to_string()))
            .await?;
        if a.status != want {
            bail!("{what}: expected {want}, got {} {}", a.status, a.text);
        }
        Ok(a.body)
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.expect(Method::POST, path, token, Some(body), 201)
            .await
    }

    async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.expect(Method::GET, path, token, None, 200).await
    }
}

fn text<'a>(v: &'a Value, field: &str) -> anyhow::Result<&'a str> {
    v[field]
        .as_str()
        .ok_or_else(|| anyhow!("expected a string {field:?} in {v}"))
}

fn decimal(v: &Value, field: &str) -> anyhow::Result<Decimal> {
    let s = text(v, field)?;
    s.parse()
        .map_err(|e| anyhow!("{field} = {s:?} is not a decimal: {e}"))
}

// ---------------------------------------------------------------------------------------
// Seeding.

/// One product used by every session, with the lot that feeds the whole run.
struct Supply {
    sku: String,
    product_id: String,
    lot_id: String,
    /// Per session, in the stock unit.
    dose: Decimal,
    received: Decimal,
}

struct Seed {
    manager: String,
    practitioners: Vec<String>,
    supplies: Vec<Supply>,
}

/// Seeds clinic number `n` with stock for `sessions` sessions.
async fn seed(api: &Api, n: usize, sessions: usize) -> anyhow::Result<Seed> {
    let clinic = api
        .post(
            "/api/v1/clinics",
            ADMIN_TOKEN,
            json!({ "name": format!("Loadgen clinic {n}") }),
        )
        .await?;
    let clinic_id = text(&clinic, "id")?.to_string();
    let staff_path = format!("/api/v1/clinics/{clinic_id}/staff");
    let manager = api
        .post(
            &staff_path,
            ADMIN_TOKEN,
            json!({ "name": "Load manager", "role": "manager" }),
        )
        .await?;
    let manager = text(&manager, "token")?.to_string();
    let mut practitioners = Vec::new();
    for i in 0..PRACTITIONERS {
        let p = api
            .post(
                &staff_path,
                &manager,
                json!({ "name": format!("Practitioner {i}"), "role": "practitioner" }),
            )
            .await?;
        practitioners.push(text(&p, "token")?.to_string());
    }

    let expires_on = (chrono::Utc::now().date_naive() + chrono::Duration::days(365)).to_string();
    // (sku, name, kind, ingredients, unit, content, single use, dose)
    let catalog = [
        (
            "LG-NEEDLE-30G",
            "Needle 30G 4 mm, box of 100",
            "needle",
            json!([]),
            "piece",
            "100",
            true,
            "1",
        ),
        (
            "LG-HA-2ML",
            "Hyaluronic acid 2 ml, single use",
            "vial",
            json!(["hyaluronic acid"]),
            "ml",
            "2",
            true,
            "2",
        ),
        (
            "LG-VITC-10ML",
            "Vitamin C 10 ml, multi-dose",
            "vial",
            json!(["ascorbic acid"]),
            "ml",
            "10",
            false,
            "0.5",
        ),
    ];
    let mut supplies = Vec::new();
    for (sku, name, kind, ingredients, unit, content, single_use, dose) in catalog {
        let product = api
            .post(
                "/api/v1/products",
                &manager,
                json!({
                    "sku": sku,
                    "name": name,
                    "kind": kind,
                    "ingredients": ingredients,
                    "stock_unit": unit,
                    "content": content,
                    "single_use": single_use,
                    "storage": "room",
                    "reorder_point": "0",
                    "reorder_quantity": 1,
                    "unit_cost": "1.00"
                }),
            )
            .await?;
        let product_id = text(&product, "id")?.to_string();
        let content: Decimal = content.parse()?;
        let dose: Decimal = dose.parse()?;
        // Enough whole containers for every session, plus two spare.
        let need = dose * Decimal::from(sessions);
        let mut containers = (need / content)
            .ceil()
            .to_i64()
            .ok_or_else(|| anyhow!("{need} / {content} containers do not fit an i64"))?
            + 2;
        let lot_number = format!("LG{}", sku.replace('-', ""));
        let mut lot = Value::Null;
        // A delivery holds at most 100 000 containers; top the same lot up past that.
        while containers > 0 {
            let now = containers.min(100_000);
            lot = api
                .post(
                    "/api/v1/lots",
                    &manager,
                    json!({
                        "product_id": product_id,
                        "lot_number": lot_number,
                        "expires_on": expires_on,
                        "containers": now
                    }),
                )
                .await?;
            containers -= now;
        }
        supplies.push(Supply {
            sku: sku.to_string(),
            product_id,
            lot_id: text(&lot, "id")?.to_string(),
            dose,
            received: decimal(&lot, "received_quantity")?,
        });
    }
    Ok(Seed {
        manager,
        practitioners,
        supplies,
    })
}

fn session_body(n: usize, supplies: &[Supply]) -> Value {
    let items: Vec<Value> = supplies
        .iter()
        .map(|s| json!({ "product_id": s.product_id, "quantity": s.dose.to_string() }))
        .collect();
    json!({
        "patient_ref": format!("P-{n}"),
        "area": "face",
        "method": "injectable",
        "conditions": [],
        "items": items,
    })
}

/// The session numbers client `c` of `clients` sends.
fn share(c: usize, clients: usize, sessions: usize) -> impl Iterator<Item = usize> {
    (c..sessions).step_by(clients)
}

// ---------------------------------------------------------------------------------------
// Results.

#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    ok: usize,
    /// Clinic number → sessions logged in it.
    ok_by_clinic: BTreeMap<usize, usize>,
    /// "status type" → count.
    errors: BTreeMap<String, usize>,
    samples: Vec<String>,
}

impl Outcome {
    fn succeeded(&mut self, clinic: usize) {
        self.ok += 1;
        *self.ok_by_clinic.entry(clinic).or_default() += 1;
    }

    fn error(&mut self, key: String, sample: String) {
        *self.errors.entry(key).or_default() += 1;
        if self.samples.len() < SHOWN_ERRORS {
            self.samples.push(sample);
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        for (c, n) in other.ok_by_clinic {
            *self.ok_by_clinic.entry(c).or_default() += n;
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        for s in other.samples {
            if self.samples.len() < SHOWN_ERRORS {
                self.samples.push(s);
            }
        }
    }

    fn error_count(&self) -> usize {
        self.errors.values().sum()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v < 10.0 {
        format!("{v:.2}ms")
    } else {
        format!("{v:.1}ms")
    }
}

// ---------------------------------------------------------------------------------------
// The two workloads.

async fn run_http(address: &str, args: &Args, seeds: &[Seed]) -> (Duration, Outcome) {
    let clients: Vec<_> = (0..args.clients)
        .map(|c| {
            let api = Api::new(address);
            let clinic = c % seeds.len();
            let seed = &seeds[clinic];
            let token = seed.practitioners[(c / seeds.len()) % seed.practitioners.len()].clone();
            let bodies: Vec<String> = share(c, args.clients, args.sessions)
                .map(|n| session_body(n, &seed.supplies).to_string())
                .collect();
            async move {
                let mut out = Outcome::default();
                out.ok_by_clinic.insert(clinic, 0);
                for body in bodies {
                    let start = Instant::now();
                    let answer = api
                        .send(Method::POST, "/api/v1/sessions", Some(&token), Some(body))
                        .await;
                    out.latencies.push(start.elapsed());
                    match answer {
                        Ok(a) if a.status == 201 => out.succeeded(clinic),
                        Ok(a) => {
                            let kind = a.body["type"].as_str().unwrap_or("-").to_string();
                            out.error(
                                format!("{} {kind}", a.status),
                                format!("{} {}", a.status, a.text),
                            );
                        }
                        Err(e) => out.error("transport".into(), e.to_string()),
                    }
                }
                out
            }
        })
        .collect();
    let start = Instant::now();
    let results = join_all(clients).await;
    let wall = start.elapsed();
    let mut all = Outcome::default();
    for r in results {
        all.merge(r);
    }
    (wall, all)
}

async fn run_direct(
    pool: Pool,
    url: &str,
    args: &Args,
    seeds: &[Seed],
) -> anyhow::Result<(Duration, Outcome)> {
    // The practitioners as the service sees them, per clinic.
    let actors: Vec<Vec<(String, Actor)>> = {
        let mut conn = pool.get().context("pool")?;
        seeds
            .iter()
            .map(|seed| {
                seed.practitioners
                    .iter()
                    .map(|t| {
                        auth::authenticate(&mut conn, t)
                            .map(|a| (t.clone(), a))
                            .map_err(|e| anyhow!("authenticate: {e}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()
            })
            .collect::<anyhow::Result<_>>()?
    };
    let work: Vec<(usize, String, Actor, Vec<Value>)> = (0..args.clients)
        .map(|c| {
            let clinic = c % seeds.len();
            let staff = &actors[clinic];
            let (token, actor) = staff[(c / seeds.len()) % staff.len()].clone();
            let bodies = share(c, args.clients, args.sessions)
                .map(|n| session_body(n, &seeds[clinic].supplies))
                .collect();
            (clinic, token, actor, bodies)
        })
        .collect();
    let like_handler = args.direct_like_handler;
    // The service's writer, as the handlers use it (grouped on SQLite).
    let writer = Writer::start(url).context("writer")?;
    let joined = actix_web::rt::task::spawn_blocking(move || {
        let start = Instant::now();
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = work
                .into_iter()
                .map(|(clinic, token, actor, bodies)| {
                    let pool = pool.clone();
                    let writer = &writer;
                    s.spawn(move || {
                        direct_client(&pool, writer, clinic, &token, &actor, bodies, like_handler)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("client thread panicked"))
                .collect()
        });
        let wall = start.elapsed();
        let mut all = Outcome::default();
        for o in outcomes {
            all.merge(o);
        }
        (wall, all)
    })
    .await
    .map_err(|e| anyhow!("direct workload failed: {e}"))?;
    Ok(joined)
}

fn direct_client(
    pool: &Pool,
    writer: &Writer,
    clinic: usize,
    token: &str,
    actor: &Actor,
    bodies: Vec<Value>,
    like_handler: bool,
) -> Outcome {
    let mut out = Outcome::default();
    out.ok_by_clinic.insert(clinic, 0);
    for body in bodies {
        // Parsed exactly as the handler parses it, before the clock starts.
        let input: mesoledger::domain::requests::SessionInput =
            serde_json::from_value(body).expect("the session body parses");
        let start = Instant::now();
        let result = (|| -> AppResult<()> {
            if like_handler {
                // The `Actor` extractor's checkout, then the handler's.
                let actor = {
                    let mut conn = pool.get()?;
                    auth::authenticate(&mut conn, token)?
                };
                let mut conn = pool.get()?;
                sessions::log(&mut conn, writer, &actor, input, None).map(|_| ())
            } else {
                let mut conn = pool.get()?;
                sessions::log(&mut conn, writer, actor, input, None).map(|_| ())
            }
        })();
        out.latencies.push(start.elapsed());
        match result {
            Ok(()) => out.succeeded(clinic),
            Err(e) => {
                let status = e.status_code().as_u16();
                out.error(
                    format!("{status} {e:?}").chars().take(60).collect(),
                    format!("{status} {e}"),
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Balances.

/// Checks each lot's `on_hand` against the sum of its movements and against what the
/// successful sessions should have taken. Answers the report and whether all held.
async fn verify(api: &Api, seed: &Seed, ok: usize) -> anyhow::Result<(String, bool)> {
    let mut report = String::new();
    let mut all_good = true;
    for s in &seed.supplies {
        let lot = api
            .get(&format!("/api/v1/lots/{}", s.lot_id), &seed.manager)
            .await?;
        let on_hand = decimal(&lot, "on_hand")?;
        let movements = api
            .get(
                &format!("/api/v1/movements?lot_id={}", s.lot_id),
                &seed.manager,
            )
            .await?;
        let rows = movements
            .as_array()
            .ok_or_else(|| anyhow!("movements: expected a list, got {movements}"))?;
        let mut sum = Decimal::ZERO;
        let mut kinds: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
        for m in rows {
            let q = decimal(m, "quantity")?;
            sum += q;
            let k = kinds.entry(text(m, "kind")?.to_string()).or_default();
            k.0 += 1;
            k.1 += q;
        }
        let expected = s.received - s.dose * Decimal::from(ok);
        let good = on_hand == sum && on_hand == expected;
        all_good &= good;
        let by_kind: Vec<String> = kinds
            .iter()
            .map(|(k, (n, q))| format!("{k}:{n}({q})"))
            .collect();
        let _ = writeln!(
            report,
            "  lot of {:<14} on_hand={} ledger_sum={} expected={} movements={} [{}] {}",
            s.sku,
            on_hand.normalize(),
            sum.normalize(),
            expected.normalize(),
            rows.len(),
            by_kind.join(" "),
            if good { "OK" } else { "MISMATCH" }
        );
    }
    Ok((report, all_good))
}

/// Server-side request count and time from `/metrics`.
async fn server_metrics(api: &Api) -> Option<(u64, f64)> {
    let a = api.send(Method::GET, "/metrics", None, None).await.ok()?;
    let mut count = 0;
    let mut seconds = 0.0;
    for line in a.text.lines() {
        if let Some(rest) = line.strip_prefix("mesoledger_http_requests_total{") {
            count += rest.rsplit(' ').next()?.parse::<u64>().ok()?;
        } else if let Some(rest) =
            line.strip_prefix("mesoledger_http_request_duration_seconds_sum ")
        {
            seconds = rest.trim().parse().ok()?;
        }
    }
    Some((count, seconds))
}

// ---------------------------------------------------------------------------------------

async fn bench(args: Args, url: String, backend: &'static str) -> anyhow::Result<bool> {
    let mut settings = Settings::new(url, "127.0.0.1:0");
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.pool_size = args.pool_size;
    settings.workers = args.workers;
    let app = Application::build(&settings)?;
    let address = format!("http://127.0.0.1:{}", app.port);
    let pool = app.pool.clone();
    actix_web::rt::spawn(app.run());

    let api = Api::new(&address);
    let seeding = Instant::now();
    let mut seeds = Vec::new();
    for n in 0..args.clinics {
        // Each clinic's lots hold what its share of the clients can log.
        let share = args.sessions.div_ceil(args.clinics) + args.clients;
        seeds.push(seed(&api, n, share).await?);
    }
    eprintln!(
        "seeded {} clinic(s), each with 1 manager, {PRACTITIONERS} practitioners, {} products with one lot each in {:.2}s",
        seeds.len(),
        seeds.first().map_or(0, |s| s.supplies.len()),
        seeding.elapsed().as_secs_f64()
    );

    let before = server_metrics(&api).await;
    let (wall, mut out) = match args.mode {
        Mode::Http => run_http(&address, &args, &seeds).await,
        Mode::Direct => run_direct(pool.clone(), &settings.database_url, &args, &seeds).await?,
    };
    let after = server_metrics(&api).await;

    out.latencies.sort_unstable();
    let errors = out.error_count();
    let rate = out.ok as f64 / wall.as_secs_f64();
    let mean = if out.latencies.is_empty() {
        Duration::ZERO
    } else {
        out.latencies.iter().sum::<Duration>() / u32::try_from(out.latencies.len())?
    };
    if errors > 0 {
        eprintln!("errors by kind:");
        for (k, n) in &out.errors {
            eprintln!("  {n:>6}  {k}");
        }
        eprintln!("first {} error bodies:", out.samples.len());
        for s in &out.samples {
            eprintln!("  {s}");
        }
    }
    if let (Mode::Http, Some((c0, s0)), Some((c1, s1))) = (args.mode, before, after) {
        // The /metrics request itself is counted in `after`, not its duration.
        let n = c1.saturating_sub(c0).saturating_sub(1);
        if n > 0 {
            eprintln!(
                "server-side mean (middleware to response, {n} requests) = {:.2}ms; client-side mean = {}",
                (s1 - s0) / n as f64 * 1e3,
                ms(mean)
            );
        }
    }
    let mut balanced = true;
    for (n, seed) in seeds.iter().enumerate() {
        let ok = out.ok_by_clinic.get(&n).copied().unwrap_or(0);
        let (report, good) = verify(&api, seed, ok).await?;
        balanced &= good;
        if n < 2 || !good {
            eprint!(
                "clinic {n}: balances (on_hand = sum of movements = received - ok x dose):\n{report}"
            );
        }
    }

    let mode = match (args.mode, args.direct_like_handler) {
        (Mode::Direct, true) => "direct+handler-db-work",
        (m, _) => m.as_str(),
    };
    println!(
        "backend={backend} mode={mode} clinics={} clients={} sessions={} ok={} errors={errors} wall={:.2}s rate={rate:.0}/s mean={} p50={} p90={} p99={} max={} balances={}",
        args.clinics,
        args.clients,
        args.sessions,
        out.ok,
        wall.as_secs_f64(),
        ms(mean),
        ms(percentile(&out.latencies, 50.0)),
        ms(percentile(&out.latencies, 90.0)),
        ms(percentile(&out.latencies, 99.0)),
        ms(out.latencies.last().copied().unwrap_or_default()),
        if balanced { "ok" } else { "MISMATCH" },
    );
    let state = pool.state();
    eprintln!(
        "pool: {} open, {} idle",
        state.connections, state.idle_connections
    );
    Ok(errors == 0 && balanced)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.clients == 0 || args.sessions == 0 || args.clinics == 0 {
        bail!("--clients, --sessions and --clinics must be at least 1");
    }
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    mesoledger::telemetry::init();
    let db = BenchDb::create(args.database_url.as_deref())?;
    let (url, backend) = (db.url().to_string(), db.backend());
    let result = actix_web::rt::System::new().block_on(bench(args, url, backend));
    drop(db);
    match result {
        Ok(true) => Ok(()),
        Ok(false) => bail!("errors or balance mismatches (see above)"),
        Err(e) => Err(e),
    }
}
