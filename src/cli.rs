//! The command line: `serve` (the default), `migrate`, `user create`, `api-key create`, `simulator`.

use std::io::BufRead;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::config::{Config, ConfigError, ServeArgs};
use crate::db::Db;
use crate::db::models::users::{self, CreateUserError};
use crate::domain::{Email, Password, Role};

#[derive(Parser, Debug)]
#[command(
    name = "anaf-portal",
    version,
    about = "Connects Romanian companies to ANAF e-Factura and keeps their OAuth tokens alive.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the portal (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage REST API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Run the standalone ANAF simulator (ANAF's paths at the root).
    #[cfg(feature = "sandbox")]
    Simulator(anaf_simulator::SimulatorArgs),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create(UserCreateArgs),
}

#[derive(Args, Debug)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long, default_value = "user", value_parser = ["admin", "support", "user"])]
    pub role: String,
    #[command(flatten)]
    pub settings: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create an API key for an existing user and print it (it is shown only this once).
    Create(ApiKeyCreateArgs),
}

#[derive(Args, Debug)]
pub struct ApiKeyCreateArgs {
    /// The user the key acts as.
    #[arg(long)]
    pub email: String,
    /// A name that says where the key is used (e.g. "ERP production").
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub settings: ServeArgs,
}

/// A failure the command line reports as one line, with the exit code to use.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Other(_) => 1,
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => {
            let config = Config::from_args(args)?;
            let db = Db::connect(&config.database_url)?;
            tokio::task::spawn_blocking(move || db.migrate())
                .await
                .map_err(anyhow::Error::from)??;
            println!(
                "migrations applied ({})",
                config.database_url.backend_name()
            );
            Ok(())
        }
        Some(Command::User(UserCommand::Create(args))) => create_user(args).await,
        Some(Command::ApiKey(ApiKeyCommand::Create(args))) => create_api_key(args).await,
        #[cfg(feature = "sandbox")]
        Some(Command::Simulator(args)) => Ok(anaf_simulator::run(args).await?),
    }
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let config = Config::from_args(args)?;
    let app = crate::startup::Application::build(config).await?;
    app.run_until_stopped().await.map_err(anyhow::Error::from)?;
    Ok(())
}

async fn create_user(args: UserCreateArgs) -> Result<(), CliError> {
    let email = Email::parse(&args.email)
        .map_err(|_| CliError::Usage(format!("--email: '{}' is not a valid email", args.email)))?;
    let role: Role = args.role.parse().map_err(CliError::Usage)?;
    let config = Config::from_args(args.settings)?;

    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(anyhow::Error::from)?;
    let password = Password::parse(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
    .map_err(|problem| {
        CliError::Usage(format!(
            "password from stdin: {}",
            crate::i18n::Lang::En.catalog().get(problem.message_key())
        ))
    })?;

    let db = Db::connect(&config.database_url)?;
    let hash = crate::auth::Passwords::default()
        .hash(password.secret().clone())
        .await?;
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        db.migrate()?;
        let mut conn = db.get_blocking()?;
        Ok(users::create(&mut conn, &email, &hash, Some(role)))
    })
    .await
    .map_err(anyhow::Error::from)??;
    match created {
        Ok(user) => {
            println!(
                "created user {} <{}> with role {}",
                user.id, user.email, user.role
            );
            Ok(())
        }
        Err(CreateUserError::EmailTaken) => Err(CliError::Usage(format!(
            "--email: an account with {} already exists",
            args.email
        ))),
        Err(CreateUserError::Database(e)) => Err(CliError::Other(e.into())),
    }
}

async fn create_api_key(args: ApiKeyCreateArgs) -> Result<(), CliError> {
    let email = Email::parse(&args.email)
        .map_err(|_| CliError::Usage(format!("--email: '{}' is not a valid email", args.email)))?;
    let name = args.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > crate::db::models::api_keys::MAX_NAME_CHARS {
        return Err(CliError::Usage(format!(
            "--name: give 1 to {} characters",
            crate::db::models::api_keys::MAX_NAME_CHARS
        )));
    }
    let config = Config::from_args(args.settings)?;
    let db = Db::connect(&config.database_url)?;
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        db.migrate()?;
        let mut conn = db.get_blocking()?;
        let Some(user) = users::find_by_email(&mut conn, &email)? else {
            return Ok(None);
        };
        if user.is_disabled() {
            return Ok(Some(Err(user.email)));
        }
        let (_, key) = crate::db::models::api_keys::create(&mut conn, user.id, &name)?;
        Ok(Some(Ok(key)))
    })
    .await
    .map_err(anyhow::Error::from)??;
    match created {
        Some(Ok(key)) => {
            println!("{key}");
            Ok(())
        }
        Some(Err(email)) => Err(CliError::Usage(format!(
            "--email: the account {email} is disabled"
        ))),
        None => Err(CliError::Usage(format!(
            "--email: no account with {}",
            args.email
        ))),
    }
}
