use clap::Parser;
use labelhive::cli::{Cli, Command, ProjectCommand};
use labelhive::server::Server;

/// mimalloc rather than glibc's allocator: many small allocations across threads
/// (rows, JSON, SQLite pages) made glibc's free lists a measurable share of a write.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = args.into_config()?;
            labelhive::telemetry::init(config.log_json);
            let server = Server::bind(config).await?;
            tracing::info!(listen = %server.addr(), "labelhive listening");
            server.run_until(shutdown_signal()).await
        }
        Command::Project(ProjectCommand::Create(args)) => {
            labelhive::telemetry::init(false);
            let line = labelhive::projects::create_from_cli(args).await?;
            println!("{line}");
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM, so jobs stop between batches and leases are released.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
