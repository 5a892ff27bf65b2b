//! The `mesoledger` command line. Parsing only; the work is in the library.

use clap::{Parser, Subcommand};

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
        /// Token for the admin created on an empty database (otherwise one is generated and printed).
        #[arg(long, env = "MESOLEDGER_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "MESOLEDGER_WORKERS")]
        workers: Option<usize>,
        /// Database connections in the pool.
        #[arg(long, env = "MESOLEDGER_POOL_SIZE", default_value_t = 16)]
        pool_size: u32,
    },
    /// Create or update the database schema, then exit.
    Migrate,
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
        Command::Serve {
            bind,
            demo,
            admin_token,
            workers,
            pool_size,
        } => {
            let settings = Settings {
                admin_token,
                demo,
                workers,
                pool_size,
                ..Settings::new(cli.database_url, bind)
            };
            actix_web::rt::System::new().block_on(serve(settings))
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(&settings)?;
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
