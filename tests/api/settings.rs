//! Bad settings stop start-up with one line naming the variable, and exit code 2.

use std::process::Command;

fn start_with(env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_anaf-portal"));
    command
        .arg("migrate")
        .env("ANAF_PORTAL_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("ANAF_CLIENT_ID")
        .env_remove("ANAF_CLIENT_SECRET")
        .env_remove("ANAF_PORTAL_SECRET_KEY");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn each_bad_setting_is_named_in_one_line_with_exit_code_2() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("ANAF_PORTAL_BIND", "not-an-address")],
            "ANAF_PORTAL_BIND",
        ),
        (
            &[("ANAF_PORTAL_BASE_URL", "ftp://x")],
            "ANAF_PORTAL_BASE_URL",
        ),
        (&[("DATABASE_URL", "mysql://db/x")], "DATABASE_URL"),
        (
            &[("ANAF_PORTAL_SECRET_KEY", "c2hvcnQ=")],
            "ANAF_PORTAL_SECRET_KEY",
        ),
        (
            &[("ANAF_PORTAL_REGISTRATION", "maybe")],
            "ANAF_PORTAL_REGISTRATION",
        ),
        (
            &[("ANAF_PORTAL_SESSION_IDLE_TIMEOUT", "soon")],
            "ANAF_PORTAL_SESSION_IDLE_TIMEOUT",
        ),
        (
            &[("ANAF_PORTAL_LOGIN_MAX_FAILURES", "0")],
            "ANAF_PORTAL_LOGIN_MAX_FAILURES",
        ),
        (&[("ANAF_OAUTH_URL", "logincert")], "ANAF_OAUTH_URL"),
        (
            &[("ANAF_PORTAL_API_RATE_LIMIT", "lots")],
            "ANAF_PORTAL_API_RATE_LIMIT",
        ),
        (
            &[("ANAF_PORTAL_API_RATE_LIMIT", "0/minute")],
            "ANAF_PORTAL_API_RATE_LIMIT",
        ),
        (&[("ANAF_CLIENT_ID", "abc")], "ANAF_CLIENT_SECRET"),
        (
            &[("ANAF_CLIENT_ID", "abc"), ("ANAF_CLIENT_SECRET", "s3cret")],
            "ANAF_PORTAL_SECRET_KEY",
        ),
    ];
    for (env, variable) in cases {
        let (code, stderr) = start_with(env);
        assert_eq!(code, 2, "{env:?}: {stderr}");
        let lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{env:?}: {stderr}");
        assert!(lines[0].contains(variable), "{env:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "secrets are never echoed");
    }
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "ANAF_PORTAL_BIND",
        "ANAF_PORTAL_BASE_URL",
        "DATABASE_URL",
        "ANAF_PORTAL_SECRET_KEY",
        "ANAF_PORTAL_REGISTRATION",
        "ANAF_PORTAL_SESSION_IDLE_TIMEOUT",
        "ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT",
        "ANAF_CLIENT_ID",
        "ANAF_CLIENT_SECRET",
        "ANAF_REDIRECT_URI",
        "ANAF_OAUTH_URL",
        "ANAF_API_URL",
    ] {
        assert!(help.contains(variable), "--help lacks {variable}");
    }
    assert!(help.contains("127.0.0.1:8080"), "defaults are shown");
}

#[test]
fn migrate_on_an_empty_database_succeeds() {
    let (code, stderr) = start_with(&[]);
    assert_eq!(code, 0, "{stderr}");
}

/// docs/settings.md lists exactly the settings `ServeArgs` defines, each with the default the
/// code applies: a setting added, renamed or given a new default without its row fails here.
#[test]
fn the_settings_page_matches_the_settings_the_code_defines() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/settings.md"))
        .expect("docs/settings.md");
    let rows: std::collections::BTreeMap<String, String> = page
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| `")?.splitn(2, "` |");
            let variable = cells.next()?.to_owned();
            let default = cells.next()?.split(" | ").next()?.trim().to_owned();
            Some((variable, default))
        })
        .collect();
    let defined = anaf_portal::config::documented_settings();
    let defined_names: std::collections::BTreeSet<&str> =
        defined.iter().map(|(variable, _, _)| *variable).collect();
    let documented: std::collections::BTreeSet<&str> = rows.keys().map(String::as_str).collect();
    assert_eq!(
        documented, defined_names,
        "docs/settings.md and ServeArgs list different settings"
    );
    for (variable, default, help) in &defined {
        assert!(!help.is_empty(), "{variable} has no help text");
        if let Some(default) = default {
            assert!(
                rows[*variable].contains(&format!("`{default}`")),
                "docs/settings.md gives {variable} the default {:?}, the code {default:?}",
                rows[*variable]
            );
        }
    }
}
