use clap::Parser;

#[actix_web::main]
async fn main() {
    anaf_portal::telemetry::init();
    let cli = anaf_portal::cli::Cli::parse();
    if let Err(error) = anaf_portal::cli::run(cli).await {
        eprintln!("error: {error}");
        std::process::exit(error.exit_code());
    }
}
