//! What a deployed Worker must not run with. A Worker whose `REDIRECT_URI`
//! is https faces real people, so it refuses to start (a `Config` error,
//! see [`crate::service::misconfigured`]) with a `STANDIN_ORIGIN` that is
//! not loopback (every call to Meta, app secret and tokens included, would
//! go to that host) or with a sample secret from `.dev.vars.example` (known
//! to anyone who read the repository). Local runs (http `REDIRECT_URI`)
//! keep using both.

use crate::core::error::Error;

/// The secrets `.dev.vars.example` ships, by setting name (the test
/// `service_config_guard` checks this list against the file).
pub const SAMPLE_SECRETS: &[(&str, &str)] = &[
    ("APP_SECRET", "standin-app-secret"),
    ("INSTAGRAM_APP_SECRET", "standin-app-secret"),
    ("FACEBOOK_APP_SECRET", "standin-app-secret"),
    ("SESSION_KEY", "dev-session-key-change-me-0123456789abcdef"),
    ("API_KEY", "dev-api-key-change-me"),
    ("WEBHOOK_VERIFY_TOKEN", "dev-verify-token"),
];

/// The key material of the sample `TOKEN_KEYS` (bytes 0..31), base64
/// without padding: found in any entry, whatever its id.
pub const SAMPLE_TOKEN_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// Refuses development-only settings when `redirect_uri` is https. `var`
/// reads a setting (trimmed, `None` when unset).
pub fn refuse_development_settings(
    redirect_uri: &str,
    var: impl Fn(&str) -> Option<String>,
) -> Result<(), Error> {
    if !redirect_uri.starts_with("https://") {
        return Ok(());
    }
    if let Some(origin) = var("STANDIN_ORIGIN") {
        if !is_loopback_origin(&origin) {
            return Err(Error::config(
                "STANDIN_ORIGIN",
                "STANDIN_ORIGIN must be a loopback origin (http://127.0.0.1:PORT) or unset when \
                 REDIRECT_URI is https: remove it from a deployed Worker",
            ));
        }
    }
    for (name, sample) in SAMPLE_SECRETS {
        if var(name).as_deref() == Some(*sample) {
            return Err(Error::config(
                name,
                format!(
                    "{name} is the sample value from .dev.vars.example: set a secret of your own \
                     (wrangler secret put {name})"
                ),
            ));
        }
    }
    if var("TOKEN_KEYS").is_some_and(|keys| keys.contains(SAMPLE_TOKEN_KEY)) {
        return Err(Error::config(
            "TOKEN_KEYS",
            "TOKEN_KEYS holds the sample key from .dev.vars.example: make one with \
             openssl rand -base64 32 (wrangler secret put TOKEN_KEYS)",
        ));
    }
    Ok(())
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some(host_port) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => host_port.split(':').next().map(str::to_owned),
    };
    matches!(host.as_deref(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins() {
        for ok in [
            "http://127.0.0.1:8790",
            "http://localhost:1",
            "http://[::1]:8790",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:8790",
            "http://127.0.0.1.evil.example",
            "http://10.0.0.1:8790",
            "http://localhost.example",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }
}
