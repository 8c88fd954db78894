//! The server's settings in layers: defaults, then a TOML file (`--config`), then the
//! `ONSITE_*` environment, then flags, each layer replacing what the one below says.
//!
//! The file mirrors [`Settings`] (a sample with every key is `deploy/onsite.toml`); an
//! unknown key is an error, so that a misspelt setting is not silently left at its default.
//! Environment and flags are read by clap ([`crate::cli`]) into [`Overrides`], which holds
//! only what was given.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::Config;

/// The effective settings of a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Directory of the embedded database (unused with `database`).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL instead of the embedded database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The company's time zone (an IANA name): reports count its days and months.
    pub timezone: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Database connections (PostgreSQL's pool; SQLite's readers kept open).
    pub connections: u32,
    pub tls: Tls,
    pub tokens: Tokens,
    pub limits: Limits,
    pub sla: Sla,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// HTTPS served by the server itself: a PEM certificate chain and its private key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tokens {
    pub access_ttl_secs: i64,
    pub refresh_ttl_days: i64,
    /// A file holding the signing secret (else `ONSITE_JWT_SECRET`, else the database's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret_file: Option<PathBuf>,
    /// A file holding the secret replaced by the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_previous_secret_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_sync_body_mb: usize,
    pub max_json_body_kb: usize,
    pub sign_ins_per_account_per_minute: u32,
    pub sign_ins_per_address_per_minute: u32,
}

/// Service-level targets of the reports, in the units the after-sales practice states them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sla {
    pub response_hours: i64,
    pub arrival_near_hours: i64,
    pub arrival_far_hours: i64,
    pub diagnosis_minutes: i64,
    pub handling_avg_minutes: i64,
}

const HOUR_MS: i64 = 60 * 60 * 1000;
const MINUTE_MS: i64 = 60 * 1000;

impl Default for Settings {
    fn default() -> Self {
        let config = Config::new("./onsite-data");
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: config.data_dir,
            database: None,
            timezone: "UTC".into(),
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            connections: config.connections,
            tls: Tls::default(),
            tokens: Tokens {
                access_ttl_secs: config.access_token_ttl_secs,
                refresh_ttl_days: config.refresh_token_ttl_secs / (24 * 60 * 60),
                jwt_secret_file: None,
                jwt_previous_secret_file: None,
            },
            limits: Limits {
                max_sync_body_mb: config.max_sync_body_bytes / (1024 * 1024),
                max_json_body_kb: config.max_json_body_bytes / 1024,
                sign_ins_per_account_per_minute: config.login_per_account_per_minute,
                sign_ins_per_address_per_minute: config.login_per_address_per_minute,
            },
            sla: Sla::from(config.sla_targets),
        }
    }
}

impl Default for Tokens {
    fn default() -> Self {
        Settings::default().tokens
    }
}

impl Default for Limits {
    fn default() -> Self {
        Settings::default().limits
    }
}

impl Default for Sla {
    fn default() -> Self {
        Sla::from(onsite_domain::service::Targets::default())
    }
}

impl From<onsite_domain::service::Targets> for Sla {
    fn from(t: onsite_domain::service::Targets) -> Self {
        Sla {
            response_hours: t.response_ms / HOUR_MS,
            arrival_near_hours: t.arrival_near_ms / HOUR_MS,
            arrival_far_hours: t.arrival_far_ms / HOUR_MS,
            diagnosis_minutes: t.diagnosis_ms / MINUTE_MS,
            handling_avg_minutes: t.handling_avg_ms / MINUTE_MS,
        }
    }
}

/// What the environment and the flags gave; `None` leaves the layer below.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<IpAddr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
    pub tls: TlsOverrides,
    pub tokens: TokenOverrides,
    pub limits: LimitOverrides,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_ttl_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_ttl_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_previous_secret_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LimitOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sync_body_mb: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_json_body_kb: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_ins_per_account_per_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_ins_per_address_per_minute: Option<u32>,
}

impl Settings {
    /// The settings of `file` (if any) under `overrides`, checked.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                bail!("the configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let settings: Settings = figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        self.zone()?;
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            bail!("configuration: tls needs both cert and key, or neither");
        }
        for (name, value) in [
            ("tokens.access_ttl_secs", self.tokens.access_ttl_secs),
            ("tokens.refresh_ttl_days", self.tokens.refresh_ttl_days),
            ("sla.response_hours", self.sla.response_hours),
            ("sla.arrival_near_hours", self.sla.arrival_near_hours),
            ("sla.arrival_far_hours", self.sla.arrival_far_hours),
            ("sla.diagnosis_minutes", self.sla.diagnosis_minutes),
            ("sla.handling_avg_minutes", self.sla.handling_avg_minutes),
        ] {
            if value <= 0 {
                bail!("configuration: {name} must be positive, not {value}");
            }
        }
        let limits = &self.limits;
        for (name, value) in [
            ("connections", self.connections as usize),
            ("limits.max_sync_body_mb", limits.max_sync_body_mb),
            ("limits.max_json_body_kb", limits.max_json_body_kb),
            (
                "limits.sign_ins_per_account_per_minute",
                limits.sign_ins_per_account_per_minute as usize,
            ),
            (
                "limits.sign_ins_per_address_per_minute",
                limits.sign_ins_per_address_per_minute as usize,
            ),
        ] {
            if value == 0 {
                bail!("configuration: {name} must be at least 1");
            }
        }
        Ok(())
    }

    fn zone(&self) -> anyhow::Result<onsite_store::report::Tz> {
        self.timezone.parse().map_err(|_| {
            anyhow::anyhow!(
                "configuration: timezone {:?} is not a time zone name (e.g. Asia/Shanghai, UTC)",
                self.timezone
            )
        })
    }

    /// The server's configuration; the signing secrets are read from their files or the
    /// environment here.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::new(&self.data_dir);
        config.database = self.database.clone();
        config.timezone = self.zone()?;
        config.trusted_proxies = self.trusted_proxies.clone();
        config.connections = self.connections;
        config.access_token_ttl_secs = self.tokens.access_ttl_secs;
        config.refresh_token_ttl_secs = self.tokens.refresh_ttl_days * 24 * 60 * 60;
        config.jwt_secret = secret("ONSITE_JWT_SECRET", self.tokens.jwt_secret_file.as_deref())?;
        config.jwt_previous_secret = secret(
            "ONSITE_JWT_PREVIOUS_SECRET",
            self.tokens.jwt_previous_secret_file.as_deref(),
        )?;
        config.max_sync_body_bytes = self.limits.max_sync_body_mb * 1024 * 1024;
        config.max_json_body_bytes = self.limits.max_json_body_kb * 1024;
        config.login_per_account_per_minute = self.limits.sign_ins_per_account_per_minute;
        config.login_per_address_per_minute = self.limits.sign_ins_per_address_per_minute;
        config.sla_targets = onsite_domain::service::Targets {
            response_ms: self.sla.response_hours * HOUR_MS,
            arrival_near_ms: self.sla.arrival_near_hours * HOUR_MS,
            arrival_far_ms: self.sla.arrival_far_hours * HOUR_MS,
            diagnosis_ms: self.sla.diagnosis_minutes * MINUTE_MS,
            handling_avg_ms: self.sla.handling_avg_minutes * MINUTE_MS,
        };
        Ok(config)
    }

    /// The settings as TOML for `onsite config show`: the password of a database URL is
    /// hidden, and a signing secret given in the environment is named, never printed.
    pub fn show(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database = shown.database.as_deref().map(hide_password);
        let mut text = toml::to_string(&shown).context("writing the settings")?;
        for var in ["ONSITE_JWT_SECRET", "ONSITE_JWT_PREVIOUS_SECRET"] {
            if std::env::var_os(var).is_some() {
                text.push_str(&format!("# {var} is set (hidden)\n"));
            }
        }
        Ok(text)
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.into();
    };
    let (userinfo, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.into(),
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.into(),
    }
}

/// A signing secret from its file, else from the environment variable `var` (never a
/// flag: the command line is visible to every user of the machine).
fn secret(var: &str, file: Option<&Path>) -> anyhow::Result<Option<String>> {
    let secret = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the secret in {}", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ),
        None => std::env::var(var).ok(),
    };
    if let Some(s) = &secret
        && s.len() < 32
    {
        bail!("a signing secret must be at least 32 bytes (from {var} or its file)");
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn each_layer_replaces_the_one_below() {
        let f = file(
            "listen = \"0.0.0.0:9000\"\ntimezone = \"Asia/Shanghai\"\n\
             [limits]\nsign_ins_per_address_per_minute = 600\nmax_sync_body_mb = 8\n\
             [sla]\nresponse_hours = 4\n",
        );
        let overrides = Overrides {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            limits: LimitOverrides {
                max_sync_body_mb: Some(16),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = Settings::load(Some(f.path()), &overrides).unwrap();
        assert_eq!(
            s.listen,
            "127.0.0.1:7000".parse().unwrap(),
            "flag over file"
        );
        assert_eq!(s.timezone, "Asia/Shanghai", "file over default");
        assert_eq!(s.limits.max_sync_body_mb, 16);
        assert_eq!(s.limits.sign_ins_per_address_per_minute, 600);
        assert_eq!(s.limits.sign_ins_per_account_per_minute, 10, "default kept");
        let config = s.config().unwrap();
        assert_eq!(config.sla_targets.response_ms, 4 * HOUR_MS);
        assert_eq!(config.sla_targets.arrival_far_ms, 48 * HOUR_MS);
        assert_eq!(config.max_sync_body_bytes, 16 * 1024 * 1024);
        assert_eq!(config.login_per_address_per_minute, 600);
    }

    #[test]
    fn the_defaults_are_the_servers_defaults() {
        let config = Settings::load(None, &Overrides::default())
            .unwrap()
            .config()
            .unwrap();
        let defaults = Config::new("./onsite-data");
        assert_eq!(config.sla_targets, defaults.sla_targets);
        assert_eq!(
            config.refresh_token_ttl_secs,
            defaults.refresh_token_ttl_secs
        );
        assert_eq!(config.max_json_body_bytes, defaults.max_json_body_bytes);
        assert_eq!(config.max_sync_body_bytes, defaults.max_sync_body_bytes);
    }

    #[test]
    fn a_misspelt_or_bad_setting_is_an_error_that_names_it() {
        for (text, says) in [
            ("listn = \"0.0.0.0:1\"\n", "listn"),
            ("[limits]\nsign_ins_per_minute = 5\n", "sign_ins_per_minute"),
            ("timezone = \"Mars/Olympus\"\n", "Mars/Olympus"),
            ("[tls]\ncert = \"/c.pem\"\n", "both cert and key"),
            ("[sla]\nresponse_hours = 0\n", "sla.response_hours"),
            ("listen = 8080\n", "listen"),
        ] {
            let f = file(text);
            let err = Settings::load(Some(f.path()), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        let err = Settings::load(
            Some(Path::new("/nonexistent/onsite.toml")),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn shown_settings_hide_the_database_password_and_read_back() {
        let overrides = Overrides {
            database: Some("postgres://onsite:s3cret@db.internal:5432/onsite".into()),
            ..Default::default()
        };
        let s = Settings::load(None, &overrides).unwrap();
        let shown = s.show().unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://onsite:***@db.internal:5432/onsite"));
        let f = file(&shown);
        let again = Settings::load(Some(f.path()), &Overrides::default()).unwrap();
        assert_eq!(again.sla, s.sla);
        assert_eq!(again.limits, s.limits);
    }
}
