//! The `mesoledger` command line. Parsing only; the work is in the library.

use clap::{Parser, Subcommand};

use mesoledger::commands::{self, ExportWhat, ImportWhat};
use mesoledger::db::exports::ExportFilter;
use mesoledger::domain::ids::{ClinicId, LotId, ProductId};
use mesoledger::services::parse_time;
use mesoledger::startup::{Application, Settings};

#[derive(Parser)]
#[command(
    name = "mesoledger",
    version,
    about = "Stock and lot traceability for a mesotherapy clinic"
)]
struct Cli {
    /// SQLite path (or sqlite://path) or postgres://… URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "mesoledger.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrating the database first).
    Serve {
        #[arg(long, env = "MESOLEDGER_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Load the demo clinic and print a token for each role.
        #[arg(long)]
        demo: bool,
        /// With --demo: also write the tokens, emails and passwords printed at start to
        /// this file (mode 0600) as shell variables, for `. FILE` in scripts.
        #[arg(long, env = "MESOLEDGER_DEMO_CREDENTIALS", requires = "demo")]
        demo_credentials: Option<std::path::PathBuf>,
        /// Token for the admin created on an empty database (otherwise one is generated and printed).
        #[arg(long, env = "MESOLEDGER_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "MESOLEDGER_WORKERS")]
        workers: Option<usize>,
        /// Database connections in the pool.
        #[arg(long, env = "MESOLEDGER_POOL_SIZE", default_value_t = 16)]
        pool_size: u32,
        /// The URL people open (e.g. https://stock.clinic.example); https marks the
        /// session cookie Secure, and forms must come from this origin.
        #[arg(long, env = "MESOLEDGER_PUBLIC_URL")]
        public_url: Option<String>,
        /// Minutes after which an unused browser session ends.
        #[arg(long, env = "MESOLEDGER_SESSION_IDLE_MINUTES", default_value_t = 30)]
        session_idle_minutes: i64,
        /// Hours after which a browser session ends in any case.
        #[arg(long, env = "MESOLEDGER_SESSION_ABSOLUTE_HOURS", default_value_t = 12)]
        session_absolute_hours: i64,
        /// Failed bearer tokens per client address and minute before 429 (per instance).
        #[arg(long, env = "MESOLEDGER_AUTH_FAILURES_PER_MINUTE", default_value_t = mesoledger::domain::accounts::TOKEN_FAILURES_PER_MINUTE)]
        auth_failures_per_minute: usize,
        /// Seconds between two sweeps of open vials past their beyond-use time.
        #[arg(long, env = "MESOLEDGER_VIAL_SWEEP_SECONDS", default_value_t = 300)]
        vial_sweep_seconds: u64,
    },
    /// Give the admin account an email and print an invitation code to set its password.
    Invite {
        #[arg(long)]
        email: String,
    },
    /// Create or update the database schema, then exit.
    Migrate,
    /// Write a CSV export (the same bytes as the API's) to a file.
    Export {
        #[arg(value_enum)]
        what: ExportArg,
        #[arg(long)]
        clinic: ClinicId,
        /// RFC 3339 or YYYY-MM-DD, inclusive.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339 or YYYY-MM-DD, exclusive.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        product_id: Option<ProductId>,
        #[arg(long)]
        lot_number: Option<String>,
        /// The lot of a recall export.
        #[arg(long, required_if_eq("what", "recall"))]
        lot_id: Option<LotId>,
        /// Start with a UTF-8 byte-order mark (for Excel).
        #[arg(long)]
        bom: bool,
        #[arg(long, short)]
        output: String,
    },
    /// Import products, lots or fridge readings from CSV: all rows or none. Readings
    /// files of any size (the API takes 16 MB at most).
    Import {
        #[arg(value_enum)]
        what: ImportArg,
        #[arg(long)]
        clinic: ClinicId,
        file: String,
    },
    /// Copy a SQLite database to a new file while it may be serving.
    Backup {
        #[arg(long, short)]
        output: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportArg {
    Traceability,
    Movements,
    Variance,
    Recall,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportArg {
    Products,
    Lots,
    Readings,
}

fn main() -> anyhow::Result<()> {
    mesoledger::telemetry::init();
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate => {
            mesoledger::db::connect(&cli.database_url, 1)?;
            println!("database is up to date");
            Ok(())
        }
        Command::Export {
            what,
            clinic,
            from,
            to,
            product_id,
            lot_number,
            lot_id,
            bom,
            output,
        } => {
            let mut filter = ExportFilter::default();
            if let Some(f) = from {
                filter.from = parse_time("from", &f).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            if let Some(t) = to {
                filter.to = parse_time("to", &t).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            filter.product_id = product_id.unwrap_or_default();
            filter.lot_number = lot_number.unwrap_or_default();
            let what = match what {
                ExportArg::Traceability => ExportWhat::Traceability,
                ExportArg::Movements => ExportWhat::Movements,
                ExportArg::Variance => ExportWhat::Variance,
                ExportArg::Recall => ExportWhat::Recall {
                    lot_id: lot_id.unwrap_or_default(),
                },
            };
            let rows = commands::export(&cli.database_url, &clinic, what, &filter, bom, &output)?;
            eprintln!("{rows} rows written to {output}");
            Ok(())
        }
        Command::Import { what, clinic, file } => {
            let what = match what {
                ImportArg::Products => ImportWhat::Products,
                ImportArg::Lots => ImportWhat::Lots,
                ImportArg::Readings => ImportWhat::Readings,
            };
            let n = commands::import(&cli.database_url, &clinic, what, &file)?;
            eprintln!("{n} rows imported from {file}");
            Ok(())
        }
        Command::Backup { output } => {
            commands::backup(&cli.database_url, &output)?;
            eprintln!("backup written to {output}");
            Ok(())
        }
        Command::Invite { email } => {
            let (code, expires_at) = commands::invite_admin(&cli.database_url, &email)?;
            let until = expires_at.format("%Y-%m-%d %H:%M UTC");
            println!(
                "invitation code for the admin account {email} (shown once, valid until {until}):"
            );
            println!("{code}");
            println!("set a password on the web page /invitation?code={code}");
            println!("(or with POST /api/v1/invitations/accept {{\"code\": \"…\", \"password\": \"…\"}})");
            Ok(())
        }
        Command::Serve {
            bind,
            demo,
            demo_credentials,
            admin_token,
            workers,
            pool_size,
            public_url,
            session_idle_minutes,
            session_absolute_hours,
            auth_failures_per_minute,
            vial_sweep_seconds,
        } => {
            let settings = Settings {
                admin_token,
                demo,
                workers,
                pool_size,
                public_url,
                session_idle_minutes,
                session_absolute_hours,
                auth_failures_per_minute,
                vial_sweep_seconds,
                ..Settings::new(cli.database_url, bind)
            };
            actix_web::rt::System::new().block_on(serve(settings, demo_credentials))
        }
    }
}

async fn serve(
    settings: Settings,
    demo_credentials: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let app = Application::build(&settings)?;
    if let Some(path) = &demo_credentials {
        write_demo_credentials(path, &app)?;
    }
    if let Some(token) = &app.admin_token {
        println!("admin token (shown once, keep it safe): {token}");
    }
    if let Some(demo) = &app.demo {
        let what = if demo.created {
            "loaded"
        } else {
            "already present; new tokens issued"
        };
        println!(
            "demo clinic {} {what}; tokens (shown once):",
            demo.clinic_id
        );
        for (role, token) in &demo.tokens {
            println!("  {:<13} {token}", role.as_str());
        }
        println!("sign in on the web page /sign-in with (passwords shown once):");
        for (role, email, password) in &demo.logins {
            println!("  {:<13} {email:<37} {password}", role.as_str());
        }
    }
    println!(
        "mesoledger listening on http://{} (docs: /api/v1/docs)",
        display_addr(&settings.bind, app.port)
    );
    app.run().await?;
    Ok(())
}

fn display_addr(bind: &str, port: u16) -> String {
    match bind.rsplit_once(':') {
        Some((host, _)) => format!("{host}:{port}"),
        None => bind.to_string(),
    }
}

/// The demo's credentials as shell assignments (`ADMIN_TOKEN`, `CLINIC_ID`,
/// `MANAGER_TOKEN`, `MANAGER_EMAIL`, `MANAGER_PASSWORD`, … per role), written before the
/// service answers, so a script that waits for `/readyz` can source the file. The file is
/// created with mode 0600 and replaced on every start: it holds secrets.
fn write_demo_credentials(path: &std::path::Path, app: &Application) -> anyhow::Result<()> {
    use std::io::Write;
    let quote = |v: &str| format!("'{}'", v.replace('\'', "'\\''"));
    let mut text = String::from("# mesoledger serve --demo: credentials of this start (secret)\n");
    if let Some(token) = &app.admin_token {
        text.push_str(&format!("ADMIN_TOKEN={}\n", quote(token)));
    }
    if let Some(demo) = &app.demo {
        text.push_str(&format!(
            "CLINIC_ID={}\n",
            quote(&demo.clinic_id.to_string())
        ));
        for (role, token) in &demo.tokens {
            let role = role.as_str().to_uppercase();
            text.push_str(&format!("{role}_TOKEN={}\n", quote(token)));
        }
        for (role, email, password) in &demo.logins {
            let role = role.as_str().to_uppercase();
            text.push_str(&format!("{role}_EMAIL={}\n", quote(email)));
            text.push_str(&format!("{role}_PASSWORD={}\n", quote(password)));
        }
    }
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot write the demo credentials to {}: {e}",
            path.display()
        )
    })?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
