//! Checking the redirect back from Meta's consent page.
//!
//! Meta redirects to `redirect_uri?code=...&state=...#_` on success
//! (Instagram appends `#_`, Facebook `#_=_`) and to
//! `redirect_uri?error=access_denied&error_reason=user_denied&error_description=...&state=...`
//! when the person declines
//! (<https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login>,
//! <https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow>).
//!
//! The checks run in this order, and nothing in the callback is believed
//! before the ones above it pass:
//! 1. the URL without query and fragment equals the configured
//!    `redirect_uri` exactly (no prefix, case, port or trailing-slash slack);
//! 2. no parameter appears twice (parameter pollution: which copy would
//!    Meta, a proxy or this code read?), and there are at most 64;
//! 3. `state` is present and equals the pending one (constant time);
//! 4. an `error` becomes `oauth_denied` with Meta's reason and description;
//! 5. `code` is present.
//!
//! Why the denial comes after the state: anyone can send a browser to
//! `redirect_uri?error=access_denied`. If that were believed first, a forged
//! link could cancel (and show a "you declined" page for) a login the person
//! is in the middle of. With the state checked first, only the login this
//! browser started can be reported as declined; anything else is a
//! `state_mismatch`, which is what it is.
//!
//! Entry points: [`validate_callback`] (the full URL the browser landed on),
//! [`validate_callback_query`] (its query string, for a server that routed
//! the path itself), [`validate_callback_params`] (already-decoded pairs).

use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::secret::{constant_time_eq, AuthorizationCode};

/// A callback whose redirect URI and state were checked: the only value
/// the code exchange accepts. Constructed only by [`validate_callback`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedCallback {
    code: AuthorizationCode,
    state: String,
}

impl ValidatedCallback {
    /// The one-time authorization code.
    pub fn code(&self) -> &AuthorizationCode {
        &self.code
    }

    /// The state it came back with (equal to the pending login's).
    pub fn state(&self) -> &str {
        &self.state
    }
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidCallback, message).with_field(field)
}

/// Validates the full callback URL the browser landed on against the
/// configured redirect URI and the state of the pending login.
pub fn validate_callback(
    config: &Config,
    callback_url: &str,
    expected_state: &str,
) -> Result<ValidatedCallback, Error> {
    let without_fragment = strip_fragment(callback_url);
    let (base, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let (expected_base, _) = split_redirect_uri(config);
    if base != expected_base {
        return Err(invalid(
            "redirect_uri",
            format!(
                "the callback URL is not the configured redirect_uri: its address (without the query) must be exactly {expected_base}"
            ),
        ));
    }
    validate_callback_query(config, query, expected_state)
}

/// Validates the query string of a callback whose path the caller already
/// routed to the redirect URI (a Worker's `/auth/callback`). A leading `?`
/// and any fragment are ignored; parameters that belong to a `redirect_uri`
/// with its own query string must come back unchanged.
pub fn validate_callback_query(
    config: &Config,
    query: &str,
    expected_state: &str,
) -> Result<ValidatedCallback, Error> {
    let query = strip_fragment(query);
    let query = query.strip_prefix('?').unwrap_or(query);
    let (_, expected_query) = split_redirect_uri(config);
    let mut params = parse_unique(query)?;
    // A redirect_uri with its own query string gets those parameters back
    // unchanged; they are not part of Meta's answer.
    for (key, value) in form_urlencoded::parse(expected_query.as_bytes()) {
        match params.iter().position(|(k, _)| *k == key) {
            Some(i) if params[i].1 == value => {
                params.remove(i);
            }
            _ => {
                return Err(invalid(
                    "redirect_uri",
                    format!("the callback lost the redirect_uri's own parameter {key:?}"),
                ))
            }
        }
    }
    validate_callback_params(&params, expected_state)
}

/// The same checks for a backend that already has the query parameters
/// (and has checked the path itself).
pub fn validate_callback_params(
    params: &[(String, String)],
    expected_state: &str,
) -> Result<ValidatedCallback, Error> {
    check_unique(params)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let state = get("state").filter(|s| !s.is_empty()).ok_or_else(|| {
        invalid(
            "state",
            "the callback has no state: it did not come from a login started here",
        )
    })?;
    if expected_state.is_empty() || !constant_time_eq(state, expected_state) {
        return Err(Error::new(
            ErrorKind::StateMismatch,
            "the callback's state does not match the login started in this browser (or it was already used)",
        ));
    }
    if let Some(error) = get("error") {
        let reason = get("error_reason").unwrap_or("");
        let description = get("error_description").unwrap_or("");
        let mut message = format!("the login was not authorized ({error}");
        if !reason.is_empty() {
            message.push_str(&format!(", {reason}"));
        }
        message.push(')');
        if !description.is_empty() {
            message.push_str(&format!(": {description}"));
        }
        return Err(Error::new(ErrorKind::OAuthDenied, message));
    }
    // Some copy-paste paths keep Meta's "#_" glued to the code.
    let code = get("code")
        .map(|c| c.trim_end_matches("#_"))
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid("code", "the callback has neither a code nor an error"))?;
    Ok(ValidatedCallback {
        code: AuthorizationCode::new(code),
        state: state.to_owned(),
    })
}

/// Meta appends `#_` (Instagram) or `#_=_` (Facebook); any fragment is
/// dropped, since a browser never sends one to a server either.
fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

fn split_redirect_uri(config: &Config) -> (&str, &str) {
    config
        .redirect_uri
        .split_once('?')
        .unwrap_or((&config.redirect_uri, ""))
}

fn parse_unique(query: &str) -> Result<Vec<(String, String)>, Error> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    check_unique(&params)?;
    Ok(params)
}

/// Meta's callback carries a handful of parameters (`code`, `state`, the
/// `error*` ones, the redirect URI's own); a query with more is not one.
pub const MAX_CALLBACK_PARAMS: usize = 64;

/// Refuses a repeated parameter (which copy would count is ambiguous) and a
/// query with more than [`MAX_CALLBACK_PARAMS`]. A plain scan of at most 64
/// names: no hash set, which costs the login-only wasm about 1.5 KB gzip.
fn check_unique(params: &[(String, String)]) -> Result<(), Error> {
    if params.len() > MAX_CALLBACK_PARAMS {
        return Err(invalid(
            "callbackUrl",
            format!("the callback has more than {MAX_CALLBACK_PARAMS} query parameters"),
        ));
    }
    for (i, (key, _)) in params.iter().enumerate() {
        if params[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid(
                key,
                format!("the callback repeats the parameter {key:?}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Product;

    const STATE: &str = "s7aTe-0123456789abcdefghijklmnopqrstuvwxyzA";

    fn config(redirect: &str) -> Config {
        Config::new(Product::Instagram, "1000000000000001", redirect).unwrap()
    }

    fn check(redirect: &str, url: &str) -> Result<ValidatedCallback, Error> {
        validate_callback(&config(redirect), url, STATE)
    }

    fn kind(r: Result<ValidatedCallback, Error>) -> (ErrorKind, Option<String>) {
        let e = r.unwrap_err();
        (e.kind, e.field)
    }

    #[test]
    fn accepts_a_good_callback_and_strips_the_fragment() {
        for suffix in ["#_", "#_=_", ""] {
            let url = format!("https://app.example/cb?code=AQBx-1%2B2&state={STATE}{suffix}");
            let cb = check("https://app.example/cb", &url).unwrap();
            assert_eq!(cb.code().expose_secret(), "AQBx-1+2");
            assert_eq!(cb.state(), STATE);
        }
    }

    #[test]
    fn redirect_uri_must_match_exactly() {
        let good = "https://app.example/cb";
        for url in [
            "https://app.example/cb/",
            "https://app.example/cbx",
            "https://app.example/c",
            "https://APP.example/cb",
            "https://app.example:443/cb",
            "http://app.example/cb",
            "https://app.example.evil.test/cb",
            "https://evil.test/https://app.example/cb",
            "https://app.example/CB",
        ] {
            let full = format!("{url}?code=c&state={STATE}");
            assert_eq!(
                kind(check(good, &full)),
                (ErrorKind::InvalidCallback, Some("redirect_uri".into())),
                "{url}"
            );
        }
    }

    #[test]
    fn redirect_uri_with_its_own_query() {
        let redirect = "https://app.example/cb?app=1";
        assert!(check(
            redirect,
            &format!("https://app.example/cb?app=1&code=c&state={STATE}")
        )
        .is_ok());
        assert_eq!(
            kind(check(
                redirect,
                &format!("https://app.example/cb?app=2&code=c&state={STATE}")
            ))
            .0,
            ErrorKind::InvalidCallback
        );
        assert_eq!(
            kind(check(
                redirect,
                &format!("https://app.example/cb?code=c&state={STATE}")
            ))
            .0,
            ErrorKind::InvalidCallback
        );
    }

    #[test]
    fn a_query_with_more_parameters_than_a_callback_has_is_refused() {
        let r = "https://app.example/cb";
        let padding: String = (0..MAX_CALLBACK_PARAMS - 2)
            .map(|i| format!("&p{i}=x"))
            .collect();
        let at_limit = format!("https://app.example/cb?code=c&state={STATE}{padding}");
        assert!(check(r, &at_limit).is_ok());
        let over = format!("{at_limit}&one=more");
        assert_eq!(
            kind(check(r, &over)),
            (ErrorKind::InvalidCallback, Some("callbackUrl".into()))
        );
    }

    #[test]
    fn missing_and_repeated_parameters() {
        let r = "https://app.example/cb";
        assert_eq!(
            kind(check(r, "https://app.example/cb?code=c")),
            (ErrorKind::InvalidCallback, Some("state".into()))
        );
        assert_eq!(
            kind(check(r, &format!("https://app.example/cb?state={STATE}"))),
            (ErrorKind::InvalidCallback, Some("code".into()))
        );
        assert_eq!(
            kind(check(
                r,
                &format!("https://app.example/cb?code=&state={STATE}#_")
            ))
            .1,
            Some("code".into())
        );
        assert_eq!(
            kind(check(
                r,
                &format!("https://app.example/cb?code=a&code=b&state={STATE}")
            )),
            (ErrorKind::InvalidCallback, Some("code".into()))
        );
        assert_eq!(
            kind(check(
                r,
                &format!("https://app.example/cb?code=a&state={STATE}&state={STATE}")
            ))
            .1,
            Some("state".into())
        );
    }

    #[test]
    fn state_is_compared_exactly() {
        let r = "https://app.example/cb";
        let other = format!("{}B", &STATE[..STATE.len() - 1]);
        assert_eq!(
            kind(check(
                r,
                &format!("https://app.example/cb?code=c&state={other}")
            ))
            .0,
            ErrorKind::StateMismatch
        );
        assert_eq!(
            kind(check(
                r,
                &format!("https://app.example/cb?code=c&state={STATE}x")
            ))
            .0,
            ErrorKind::StateMismatch
        );
        // An empty expected state never matches (a lost pending login).
        let e =
            validate_callback(&config(r), "https://app.example/cb?code=c&state=", "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidCallback);
        let e =
            validate_callback(&config(r), "https://app.example/cb?code=c&state=x", "").unwrap_err();
        assert_eq!(e.kind, ErrorKind::StateMismatch);
    }

    #[test]
    fn denial_is_typed_but_only_with_the_right_state() {
        let r = "https://app.example/cb";
        let denied = format!(
            "https://app.example/cb?error=access_denied&error_reason=user_denied&error_description=Permissions+error&state={STATE}#_"
        );
        let e = check(r, &denied).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OAuthDenied);
        assert!(
            e.message.contains("access_denied, user_denied"),
            "{}",
            e.message
        );
        assert!(e.message.contains("Permissions error"), "{}", e.message);
        let forged = "https://app.example/cb?error=access_denied&state=forged";
        assert_eq!(check(r, forged).unwrap_err().kind, ErrorKind::StateMismatch);
    }

    #[test]
    fn params_variant_for_backends() {
        let p = vec![
            ("code".to_owned(), "c#_".to_owned()),
            ("state".to_owned(), STATE.to_owned()),
        ];
        assert_eq!(
            validate_callback_params(&p, STATE)
                .unwrap()
                .code()
                .expose_secret(),
            "c"
        );
        let debug = format!("{:?}", validate_callback_params(&p, STATE).unwrap());
        assert!(!debug.contains("code: AuthorizationCode(\"c"), "{debug}");
    }
}
