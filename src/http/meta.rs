//! Health, readiness, metrics and the API documents: everything that is about the service
//! rather than the clinic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{get, web, HttpResponse};

use super::extract::{run, AppState};
use super::API_DOC;
use crate::error::AppResult;

/// Request counters for `/metrics`, by status class.
pub struct Metrics {
    started: Instant,
    by_class: [AtomicU64; 5],
    duration_us: AtomicU64,
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            started: Instant::now(),
            by_class: Default::default(),
            duration_us: AtomicU64::new(0),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let counters = req.app_data::<web::Data<Metrics>>().cloned();
    let start = Instant::now();
    let res = next.call(req).await?;
    if let Some(m) = counters {
        let class = usize::from(res.status().as_u16() / 100).clamp(1, 5) - 1;
        m.by_class[class].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        m.duration_us.fetch_add(us, Ordering::Relaxed);
    }
    Ok(res)
}

/// Liveness: the process answers.
#[utoipa::path(tag = "service", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers.
#[utoipa::path(tag = "service", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    run(&state, |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// Prometheus text format.
#[get("/metrics")]
pub async fn metrics(m: web::Data<Metrics>, state: web::Data<AppState>) -> HttpResponse {
    let mut out = String::new();
    out.push_str(
        "# HELP mesoledger_http_requests_total HTTP requests answered, by status class.\n",
    );
    out.push_str("# TYPE mesoledger_http_requests_total counter\n");
    for (i, c) in m.by_class.iter().enumerate() {
        out.push_str(&format!(
            "mesoledger_http_requests_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    out.push_str(
        "# HELP mesoledger_http_request_duration_seconds_sum Time spent answering requests.\n",
    );
    out.push_str("# TYPE mesoledger_http_request_duration_seconds_sum counter\n");
    let us = m.duration_us.load(Ordering::Relaxed);
    out.push_str(&format!(
        "mesoledger_http_request_duration_seconds_sum {}.{:06}\n",
        us / 1_000_000,
        us % 1_000_000
    ));
    let pool = state.pool.state();
    out.push_str("# TYPE mesoledger_db_connections gauge\n");
    out.push_str(&format!(
        "mesoledger_db_connections{{state=\"idle\"}} {}\n",
        pool.idle_connections
    ));
    out.push_str(&format!(
        "mesoledger_db_connections{{state=\"open\"}} {}\n",
        pool.connections
    ));
    out.push_str("# TYPE mesoledger_uptime_seconds gauge\n");
    out.push_str(&format!(
        "mesoledger_uptime_seconds {}\n",
        m.started.elapsed().as_secs()
    ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out)
}

#[get("/api/v1/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(&*API_DOC)
}

/// A self-contained docs page rendered from the OpenAPI document: no scripts, no CDN, so
/// it works on a clinic network without internet.
#[get("/api/v1/docs")]
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(render_docs(&API_DOC))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render_docs(doc: &utoipa::openapi::OpenApi) -> String {
    // The style is a file of its own: the Content-Security-Policy allows no inline style.
    let mut html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mesoledger API</title>\
         <link rel=\"stylesheet\" href=\"{}\"></head><body>\
         <h1>mesoledger API</h1><p>Send <code>Authorization: Bearer &lt;token&gt;</code>. Decimals are \
         strings, times RFC 3339 UTC, errors <code>application/problem+json</code>. \
         Machine-readable: <a href=\"/api/v1/openapi.json\">openapi.json</a>.</p>",
        *super::ui::assets::DOCS_CSS_PATH
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            html.push_str(&format!(
                "<div class=\"op\"><span class=\"m\">{method}</span><code>{}</code>",
                esc(path)
            ));
            if let Some(s) = &op.summary {
                html.push_str(&format!("<p>{}</p>", esc(s)));
            }
            if let Some(d) = &op.description {
                html.push_str(&format!("<p>{}</p>", esc(d)));
            }
            if let Some(body) = &op.request_body {
                if let Ok(j) = serde_json::to_string_pretty(body) {
                    html.push_str(&format!(
                        "<details><summary>request body</summary><pre>{}</pre></details>",
                        esc(&j)
                    ));
                }
            }
            if let Ok(j) = serde_json::to_string_pretty(&op.responses) {
                html.push_str(&format!(
                    "<details><summary>responses</summary><pre>{}</pre></details>",
                    esc(&j)
                ));
            }
            html.push_str("</div>");
        }
    }
    if let Some(components) = &doc.components {
        html.push_str("<h2>Schemas</h2>");
        for (name, schema) in &components.schemas {
            if let Ok(j) = serde_json::to_string_pretty(schema) {
                html.push_str(&format!(
                    "<details id=\"{0}\"><summary>{0}</summary><pre>{1}</pre></details>",
                    esc(name),
                    esc(&j)
                ));
            }
        }
    }
    html.push_str("</body></html>");
    html
}
