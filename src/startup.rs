//! Builds the service from settings: pool and migrations, bootstrap, routes, listener.
//! Binding its own listener lets tests ask for port 0.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::db::{self, Pool};
use crate::domain::accounts::{self as accounts_rules, SessionLimits};
use crate::http::ui::session::WebConfig;
use crate::http::{self, edge, extract::AppState, meta};
use crate::services::{accounts, auth, demo, open_vials};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub admin_token: Option<String>,
    pub demo: bool,
    pub workers: Option<usize>,
    pub pool_size: u32,
    /// `MESOLEDGER_PUBLIC_URL`: the address people open; `https://` marks the session
    /// cookie `Secure`, and cookie requests must come from its origin.
    pub public_url: Option<String>,
    /// Browser sessions end after this many idle minutes (default 30)…
    pub session_idle_minutes: i64,
    /// …and after this many hours in any case (default 12).
    pub session_absolute_hours: i64,
    /// Failed bearer tokens per client address and minute before 429 (per instance).
    pub auth_failures_per_minute: usize,
    /// Seconds between two sweeps of open vials past their beyond-use time (default 300;
    /// one sweep also runs at start).
    pub vial_sweep_seconds: u64,
}

impl Settings {
    pub fn new(database_url: impl Into<String>, bind: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.into(),
            bind: bind.into(),
            admin_token: None,
            demo: false,
            workers: None,
            pool_size: 16,
            public_url: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            auth_failures_per_minute: accounts_rules::TOKEN_FAILURES_PER_MINUTE,
            vial_sweep_seconds: 300,
        }
    }
}

pub struct Application {
    pub port: u16,
    pub pool: Pool,
    /// Set when this start created the admin with a generated token.
    pub admin_token: Option<String>,
    pub demo: Option<demo::DemoLogin>,
    server: Server,
    vial_sweep: std::time::Duration,
}

impl Application {
    pub fn build(settings: &Settings) -> anyhow::Result<Application> {
        // Refused even when the database already has staff and the token would be
        // ignored: a short secret in the configuration is a mistake worth stopping for.
        if let Some(token) = settings
            .admin_token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            accounts_rules::check_admin_token(token)?;
        }
        let mut admin_token = None;
        let mut demo = None;
        let pool = db::connect_then(&settings.database_url, settings.pool_size, |conn| {
            admin_token = auth::bootstrap_admin(conn, settings.admin_token.as_deref())
                .map_err(|e| anyhow::anyhow!("bootstrap failed: {e}"))?;
            sweep_vials(conn);
            if settings.demo {
                let loaded = demo::load(conn)
                    .map_err(|e| anyhow::anyhow!("loading demo data failed: {e}"))?;
                demo = Some(loaded);
            }
            Ok(())
        })?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(
            pool.clone(),
            db::Writer::start(&settings.database_url)?,
            accounts_rules::token_failures(settings.auth_failures_per_minute),
        ));
        let metrics = web::Data::new(meta::Metrics::new());
        let web_config = web::Data::new(WebConfig {
            limits: SessionLimits {
                idle: chrono::Duration::minutes(settings.session_idle_minutes.max(1)),
                absolute: chrono::Duration::hours(settings.session_absolute_hours.max(1)),
            },
            public_url: settings.public_url.clone().filter(|u| !u.trim().is_empty()),
        });
        // The dummy password hash that makes unknown emails as slow as wrong passwords;
        // computed aside so that start-up does not wait for it.
        std::thread::spawn(accounts::warm_up);
        let mut server = HttpServer::new(move || {
            // The last `wrap` is the outermost: the security headers reach every answer,
            // including the ones the edge guard and the error handlers make.
            App::new()
                .wrap(from_fn(edge::guard))
                .wrap(edge::framework_errors())
                .wrap(from_fn(meta::track))
                .wrap(Compress::default())
                .wrap(TracingLogger::default())
                .wrap(edge::security_headers())
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(web_config.clone())
                .app_data(web::PayloadConfig::new(edge::MAX_BODY_BYTES))
                .service(meta::healthz)
                .service(meta::readyz)
                .service(meta::metrics)
                .service(meta::openapi)
                .service(meta::docs)
                .service(web::scope("/api/v1").configure(http::api))
                .configure(http::ui::routes)
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?;
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        Ok(Application {
            port,
            pool,
            admin_token,
            demo,
            server: server.run(),
            vial_sweep: std::time::Duration::from_secs(settings.vial_sweep_seconds.max(1)),
        })
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests finish first. Sweeps stale open
    /// vials every `vial_sweep_seconds` meanwhile.
    pub async fn run(self) -> std::io::Result<()> {
        let pool = self.pool.clone();
        let every = self.vial_sweep;
        let sweeper = actix_web::rt::spawn(async move {
            let mut ticks = actix_web::rt::time::interval(every);
            ticks.tick().await; // the first tick is now; start-up already swept
            loop {
                ticks.tick().await;
                let pool = pool.clone();
                let _ = web::block(move || match pool.get() {
                    Ok(mut conn) => sweep_vials(&mut conn),
                    Err(e) => tracing::warn!(error = %e, "open-vial sweep: no connection"),
                })
                .await;
            }
        });
        let served = self.server.await;
        sweeper.abort();
        served
    }
}

/// Wastes the rest of open vials past their beyond-use time; a failure is logged and
/// the next sweep tries again.
fn sweep_vials(conn: &mut db::Conn) {
    match open_vials::sweep_stale(conn, db::now()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(vials = n, "open vials past their beyond-use time wasted"),
        Err(e) => tracing::warn!(error = %e, "open-vial sweep failed"),
    }
}
