//! Minimal entry point for the simulator branch (the portal's main.rs wires the full CLI).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "anaf-portal", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the standalone ANAF simulator.
    Simulator(anaf_portal::anaf::simulator::SimulatorArgs),
}

#[actix_web::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulator(args) => anaf_portal::anaf::simulator::run(args).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
