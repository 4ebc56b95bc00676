//! The binary run as a process: `config check`, `init`, `emulator`.

use std::process::{Command, Output};

use crate::config_support::*;

/// Runs the binary with only the given environment.
fn cosell(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("run cosell")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_check_accepts_the_example() {
    let fx = Fixture::new();
    let path = fx.write("cosell.toml", EXAMPLE);
    let out = cosell(
        &["config", "check", "-c", path.to_str().unwrap()],
        &[("COSELL_PC_REFRESH_TOKEN", "refresh-9a8b7c")],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    assert!(stdout.contains("is valid"), "{stdout}");
    assert!(stdout.contains("Qualification"), "{stdout}");
    assert!(stdout.contains("COSELL_PC_REFRESH_TOKEN"), "{stdout}");
    assert!(!stdout.contains("refresh-9a8b7c"), "{stdout}");
}

#[test]
fn config_check_exits_2_naming_the_key() {
    let fx = Fixture::new();
    let path = fx.write(
        "cosell.toml",
        &with_str(EXAMPLE, "server.listen", "localhost"),
    );
    let out = cosell(
        &["config", "check", "-c", path.to_str().unwrap()],
        &[("COSELL_PC_REFRESH_TOKEN", "x")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("server.listen"), "{stderr}");
    assert!(stderr.contains("Fix:"), "{stderr}");

    let path = fx.write(
        "typo.toml",
        &with(
            EXAMPLE,
            "sync.show_checkmrk",
            Some(toml::Value::Boolean(true)),
        ),
    );
    let out = cosell(
        &["config", "check", "-c", path.to_str().unwrap()],
        &[("COSELL_PC_REFRESH_TOKEN", "x")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sync.show_checkmrk") && stderr.contains("show_checkmark"),
        "{stderr}"
    );
}

#[test]
fn config_check_names_missing_secrets() {
    let fx = Fixture::new();
    let path = fx.write("cosell.toml", EXAMPLE);
    let out = cosell(&["config", "check", "-c", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("COSELL_PC_REFRESH_TOKEN"));
}

#[test]
fn config_check_reports_a_missing_file() {
    let fx = Fixture::new();
    let path = fx.path().join("nope.toml");
    let out = cosell(&["config", "check", "-c", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope.toml"));
}

#[test]
fn init_writes_the_example_and_will_not_overwrite() {
    let fx = Fixture::new();
    let path = fx.path().join("new.toml");
    let p = path.to_str().unwrap();
    let out = cosell(&["init", p], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);

    std::fs::write(&path, "# mine\n").unwrap();
    let out = cosell(&["init", p], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    let out = cosell(&["init", p, "--force"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
}

#[test]
fn json_logs_and_bad_usage() {
    let out = cosell(&["no-such-command"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = cosell(&["--log-level", "cosell=loud", "status"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cosell=loud"));
}

/// Starts `cosell emulator ...` and returns it with what it printed up to "Press Ctrl-C".
async fn start_emulator(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["--log-format", "json", "emulator"])
        .args(args)
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the emulator");
    let stdout = child.stdout.take().expect("stdout");
    let printed = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.starts_with("Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines.join("\n")
    })
    .await
    .expect("read stdout");
    (child, printed)
}

/// The string value of `key = "..."` in printed TOML.
fn printed_value(printed: &str, key: &str) -> String {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {key} in: {printed}"))
        .to_owned()
}

#[tokio::test]
async fn the_partner_center_emulator_prints_working_credentials() {
    let (mut child, printed) = start_emulator(&[
        "partner-center",
        "--listen",
        "127.0.0.1:0",
        "--client-id",
        "it-client",
        "--client-secret",
        "it-secret",
        "--refresh-token",
        "it-refresh",
        "--tenant",
        "it-tenant",
    ])
    .await;
    let token_url = printed_value(&printed, "token_url");
    assert!(
        token_url.ends_with("/it-tenant/oauth2/v2.0/token"),
        "{token_url}"
    );
    assert!(
        printed.contains("export COSELL_PC_REFRESH_TOKEN=it-refresh"),
        "{printed}"
    );
    assert!(printed.contains("client_id = \"it-client\""), "{printed}");

    let response = reqwest::Client::new()
        .post(&token_url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "it-client"),
            ("client_secret", "it-secret"),
            ("refresh_token", "it-refresh"),
            ("scope", "https://api.partner.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    child.kill().expect("stop the emulator");
    let _ = child.wait();
    assert!(status.is_success(), "token endpoint answered {status}");
}

#[tokio::test]
async fn the_salesforce_emulator_prints_working_credentials() {
    let (mut child, printed) = start_emulator(&[
        "salesforce",
        "--listen",
        "127.0.0.1:0",
        "--client-id",
        "it-key",
        "--client-secret",
        "it-secret",
        "--username",
        "it@example.com",
        "--password",
        "it-password",
        "--daily-limit",
        "500",
    ])
    .await;
    let login_url = printed_value(&printed, "login_url");
    assert_eq!(printed_value(&printed, "client_id"), "it-key");
    assert_eq!(printed_value(&printed, "username"), "it@example.com");
    assert!(
        printed.contains("export COSELL_SF_PASSWORD=it-password"),
        "{printed}"
    );
    assert!(printed.contains("500 requests"), "{printed}");

    let response = reqwest::Client::new()
        .post(format!("{login_url}/services/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "it-key"),
            ("client_secret", "it-secret"),
            ("username", "it@example.com"),
            ("password", "it-password"),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    child.kill().expect("stop the emulator");
    let _ = child.wait();
    assert!(status.is_success(), "token endpoint answered {status}");
}
