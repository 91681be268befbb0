//! The command line: `serve` (the default), `worker`, `migrate`, `rotate-keys`, `user create`,
//! `user verify`, `user set-password`, `api-key create`, `simulator`.

use std::io::BufRead;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::config::{Config, ConfigError, ServeArgs};
use crate::db::Db;
use crate::db::models::users::{self, CreateUserError};
use crate::domain::{Cif, Email, KeyCompanies, KeyScope, Password, Permission, Permissions, Role};

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
    /// Run the refresh engine without the web server (needs ANAF credentials).
    Worker(ServeArgs),
    /// Re-seal every stored token with the current secret key and report what each key still
    /// seals, so previous keys can be removed safely. Portals may keep running.
    #[command(name = "rotate-keys")]
    RotateKeys(ServeArgs),
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
    /// Create an account; the password is read from standard input. Its email counts as
    /// verified: the operator vouches for it.
    Create(UserCreateArgs),
    /// Mark an account's email as verified (for a portal that sends no email).
    Verify(UserVerifyArgs),
    /// Set an account's password, read from standard input; ends every session of the account.
    #[command(name = "set-password")]
    SetPassword(UserVerifyArgs),
}

#[derive(Args, Debug)]
pub struct UserVerifyArgs {
    #[arg(long)]
    pub email: String,
    #[command(flatten)]
    pub settings: ServeArgs,
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
    /// What the key may do, space- or comma-separated: efactura:read efactura:write tokens:read
    /// tokens:write tokens:secret (default: all of them; a viewer's key still only reads).
    #[arg(long)]
    pub permissions: Option<String>,
    /// A CIF the key may act for (repeat it; default: every company of the user's).
    #[arg(long = "cif")]
    pub cifs: Vec<String>,
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

impl Cli {
    /// The command line, or the process ends: a refused setting as one line naming its variable
    /// (exit code 2), anything else as clap words it (help, version, usage errors).
    pub fn parse_or_exit() -> Cli {
        Cli::try_parse().unwrap_or_else(|error| match crate::config::refused_setting(&error) {
            Some(refused) => {
                eprintln!("error: {refused}");
                std::process::exit(2);
            }
            None => error.exit(),
        })
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => {
            use crate::services::tokens::keys;
            let config = Config::from_args(args)?;
            let master_key = crate::secrets::MasterKey::from_config(
                config.secret_key.as_ref(),
                &config.data_dir,
            )?;
            let vault = keys::configured_vault(&config, &master_key)?;
            let db = Db::connect(&config.database_url)?;
            // The SQL migrations, then the upgrades of stored values that need the keys.
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                db.migrate()?;
                let mut conn = db.get_blocking()?;
                keys::adopt_and_check(&mut conn, &vault)?;
                keys::bind_to_tokens(&mut conn, &vault)?;
                Ok(())
            })
            .await
            .map_err(anyhow::Error::from)??;
            println!(
                "migrations applied ({})",
                config.database_url.backend_name()
            );
            Ok(())
        }
        Some(Command::RotateKeys(args)) => rotate_keys(args).await,
        Some(Command::Worker(args)) => {
            let config = Config::from_args(args)?;
            crate::startup::Worker::build(config)
                .await?
                .run_until_stopped()
                .await;
            Ok(())
        }
        Some(Command::User(UserCommand::Create(args))) => create_user(args).await,
        Some(Command::User(UserCommand::Verify(args))) => verify_user(args).await,
        Some(Command::User(UserCommand::SetPassword(args))) => set_password(args).await,
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

async fn rotate_keys(args: ServeArgs) -> Result<(), CliError> {
    use crate::services::tokens::keys;
    let config = Config::from_args(args)?;
    let master_key =
        crate::secrets::MasterKey::from_config(config.secret_key.as_ref(), &config.data_dir)?;
    let vault = keys::configured_vault(&config, &master_key)?;
    let db = Db::connect(&config.database_url)?;
    for line in keys::describe(&vault) {
        println!("{line}");
    }
    let current = vault.current_key().clone();
    let rotated = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        db.migrate()?;
        let mut conn = db.get_blocking()?;
        let rotation = keys::rotate(&mut conn, &vault)?;
        let per_key = crate::db::models::tokens::count_by_key(&mut conn)?;
        let hooks = crate::services::webhooks::rotate_secrets(&mut conn, &vault)?;
        let hooks_per_key = crate::db::models::webhooks::secrets_by_key(&mut conn)?;
        let authenticators = crate::services::two_factor::reseal_secrets(&mut conn, &vault)?;
        Ok((rotation, per_key, hooks, hooks_per_key, authenticators))
    })
    .await
    .map_err(anyhow::Error::from)??;
    let (rotation, per_key, hooks, hooks_per_key, (authenticators, unopened)) = rotated;
    println!("re-sealed {authenticators} two-factor secret(s) with key {current}");
    if !unopened.is_empty() {
        println!(
            "{} two-factor secret(s) do not open with their key (users {unopened:?}): those people switch two-factor off with a recovery code and enrol again",
            unopened.len()
        );
    }

    let sources: Vec<String> = rotation
        .resealed
        .iter()
        .map(|(key, n)| format!("{n} from key {key}"))
        .collect();
    match sources.is_empty() {
        true => println!("re-sealed 0 tokens: every stored token already uses key {current}"),
        false => println!(
            "re-sealed {} token(s) with key {current} ({})",
            rotation.total(),
            sources.join(", ")
        ),
    }
    if rotation.changed_meanwhile > 0 {
        println!(
            "{} token(s) changed meanwhile (a refresh or a delete); the counts below say where they are",
            rotation.changed_meanwhile
        );
    }
    let stored: Vec<String> = per_key
        .iter()
        .map(|(key, n)| format!("key {key}: {n}"))
        .collect();
    println!(
        "stored tokens per key: {}",
        if stored.is_empty() {
            "none".to_owned()
        } else {
            stored.join(", ")
        }
    );
    if !rotation.unreadable.is_empty() {
        return Err(CliError::Other(anyhow::anyhow!(
            "{} token(s) do not open with their key and were left as they are (ids {:?}); \
             keep the previous keys until they are deleted or reconnected",
            rotation.unreadable.len(),
            rotation.unreadable
        )));
    }
    println!(
        "re-sealed {} webhook secret(s) with key {current}",
        hooks.resealed
    );
    if !hooks.unreadable.is_empty() {
        return Err(CliError::Other(anyhow::anyhow!(
            "{} webhook secret(s) do not open with their key and were left as they are \
             (endpoints {:?}); keep the previous keys until those endpoints are registered again",
            hooks.unreadable.len(),
            hooks.unreadable
        )));
    }
    if per_key
        .iter()
        .chain(&hooks_per_key)
        .all(|(key, _)| *key == current.as_str())
    {
        println!(
            "no stored token or webhook secret needs a previous key: \
             ANAF_PORTAL_PREVIOUS_SECRET_KEYS can be emptied"
        );
    }
    Ok(())
}

/// A new password, one line of standard input, as the password policy takes it.
fn password_from_stdin() -> Result<Password, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(anyhow::Error::from)?;
    Password::parse(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
    .map_err(|problem| {
        CliError::Usage(format!(
            "password from stdin: {}",
            crate::i18n::Lang::En.catalog().get(problem.message_key())
        ))
    })
}

async fn set_password(args: UserVerifyArgs) -> Result<(), CliError> {
    let email = Email::parse(&args.email)
        .map_err(|_| CliError::Usage(format!("--email: '{}' is not a valid email", args.email)))?;
    let config = Config::from_args(args.settings)?;
    let password = password_from_stdin()?;
    let db = Db::connect(&config.database_url)?;
    let migrating = db.clone();
    tokio::task::spawn_blocking(move || migrating.migrate())
        .await
        .map_err(anyhow::Error::from)??;
    match crate::services::accounts::recovery::set_password_by_operator(&db, &email, &password)
        .await?
    {
        Some((user, ended)) => {
            println!(
                "set a new password for {}; {ended} session(s) ended",
                user.email
            );
            Ok(())
        }
        None => Err(CliError::Usage(format!(
            "--email: no account with {}",
            args.email
        ))),
    }
}

async fn create_user(args: UserCreateArgs) -> Result<(), CliError> {
    let email = Email::parse(&args.email)
        .map_err(|_| CliError::Usage(format!("--email: '{}' is not a valid email", args.email)))?;
    let role: Role = args.role.parse().map_err(CliError::Usage)?;
    let config = Config::from_args(args.settings)?;
    let password = password_from_stdin()?;

    let db = Db::connect(&config.database_url)?;
    let hash = crate::services::accounts::Passwords::default()
        .hash(password.secret().clone())
        .await?;
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        db.migrate()?;
        let mut conn = db.get_blocking()?;
        Ok(users::create(
            &mut conn,
            &email,
            &hash,
            Some(role),
            "ro",
            users::Verified::ByOperator,
        ))
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

async fn verify_user(args: UserVerifyArgs) -> Result<(), CliError> {
    let email = Email::parse(&args.email)
        .map_err(|_| CliError::Usage(format!("--email: '{}' is not a valid email", args.email)))?;
    let config = Config::from_args(args.settings)?;
    let db = Db::connect(&config.database_url)?;
    let lookup = db.clone();
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        lookup.migrate()?;
        let mut conn = lookup.get_blocking()?;
        Ok(users::find_by_email(&mut conn, &email)?)
    })
    .await
    .map_err(anyhow::Error::from)??;
    let Some(user) = found else {
        return Err(CliError::Usage(format!(
            "--email: no account with {}",
            args.email
        )));
    };
    if user.is_verified() {
        println!("{} was verified already", user.email);
        return Ok(());
    }
    let audit = crate::services::audit::AuditLog::new(db.clone());
    let user_id = user.id;
    db.run(move |conn| Ok(users::mark_verified(conn, user_id)?))
        .await?;
    audit
        .record(
            &crate::domain::Actor::system(),
            crate::domain::AuditEvent::success(crate::domain::AuditAction::EmailVerified).detail(
                format!("{} (by the operator, anaf-portal user verify)", user.email),
            ),
        )
        .await;
    println!("{} is verified", user.email);
    Ok(())
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
    let permissions = match &args.permissions {
        None => Permissions::new(Permission::ALL),
        Some(text) => Permissions::parse(&text.replace(',', " "))
            .map_err(|e| CliError::Usage(format!("--permissions: {e}")))?,
    };
    if permissions.is_empty() {
        return Err(CliError::Usage(
            "--permissions: give at least one".to_owned(),
        ));
    }
    let cifs = args
        .cifs
        .iter()
        .map(|raw| Cif::parse(raw).map_err(|e| CliError::Usage(format!("--cif: '{raw}': {e}"))))
        .collect::<Result<Vec<Cif>, CliError>>()?;
    let config = Config::from_args(args.settings)?;
    let db = Db::connect(&config.database_url)?;
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        db.migrate()?;
        let mut conn = db.get_blocking()?;
        let Some(user) = users::find_by_email(&mut conn, &email)? else {
            return Ok(None);
        };
        if user.is_disabled() {
            return Ok(Some(Err(format!("the account {} is disabled", user.email))));
        }
        let mut companies = std::collections::BTreeSet::new();
        for cif in &cifs {
            match crate::db::models::companies::find_by_cif_for_member(&mut conn, cif, user.id)? {
                Some((company, _)) => companies.insert(company.id),
                None => {
                    return Ok(Some(Err(format!(
                        "{} is not a member of {cif}",
                        user.email
                    ))));
                }
            };
        }
        let scope = KeyScope {
            permissions,
            companies: match cifs.is_empty() {
                true => KeyCompanies::All,
                false => KeyCompanies::Only(companies),
            },
        };
        let (_, key) = crate::db::write_transaction(&mut conn, |conn| {
            crate::db::models::api_keys::create(conn, user.id, &name, &scope)
        })?;
        Ok(Some(Ok(key)))
    })
    .await
    .map_err(anyhow::Error::from)??;
    match created {
        Some(Ok(key)) => {
            println!("{key}");
            Ok(())
        }
        Some(Err(why)) => Err(CliError::Usage(why)),
        None => Err(CliError::Usage(format!(
            "--email: no account with {}",
            args.email
        ))),
    }
}
