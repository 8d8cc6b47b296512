//! The checks behind each fuzz target, as plain functions: the libFuzzer
//! targets (fuzz_targets/*.rs) call them, and `tests/fuzz_regressions.rs`
//! replays the seed inputs and every saved crash through them in the
//! ordinary `cargo test`, on stable Rust. Each must never panic on any
//! input; the asserts are the properties a parser must keep.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use instagate::core::config::{Config, Product};
use instagate::core::error::Error;
use instagate::core::http::Response;
use instagate::core::meta_body::parse_success;
use instagate::core::oauth::callback::{validate_callback, validate_callback_query};
use instagate::core::oauth::exchange::process_code_exchange;
use instagate::core::oauth::refresh::process_refresh;
use instagate::core::publish::spec::MediaSpec;
use instagate::core::publish::video_file::{
    inspect_mp4, parse_box_header, Mp4Step, Mp4Walk, BOX_HEADER_MAX,
};
use instagate::core::secret::AccessToken;
use instagate::core::secret::ClientSecret;
use instagate::core::time::Timestamp;
use instagate::core::token::{TokenKind, TokenRecord};
use instagate::service::accounts::AccountRecord;
use instagate::service::crypto::hmac_sha256;
use instagate::service::crypto::Keyring;
use instagate::service::webhooks::parse_signed_request;

const STATE: &str = "st4te-0123456789abcdef";
/// The OAuth callback parser: the URL (or query) a browser lands on, with
/// anything in it. It must never panic, and it may accept only a callback
/// on the exact redirect URI that carries the expected state and a code.
pub fn callback(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (product, redirect) in [
        (Product::Instagram, "https://app.example/callback"),
        (Product::Facebook, "https://app.example/cb?tenant=a%20b"),
    ] {
        let config = Config::new(product, "1000000000000001", redirect).expect("config");
        if let Ok(ok) = validate_callback(&config, text, STATE) {
            assert_eq!(ok.state(), STATE);
            assert!(text.starts_with(redirect.split('?').next().unwrap()));
        }
        if let Ok(ok) = validate_callback_query(&config, text, STATE) {
            assert_eq!(ok.state(), STATE);
        }
        // The same text after the configured URI, as Meta would send it.
        let url = format!(
            "{redirect}{}{text}",
            if redirect.contains('?') { "&" } else { "?" }
        );
        if let Ok(ok) = validate_callback(&config, &url, STATE) {
            assert_eq!(ok.state(), STATE);
        }
    }
}

/// Meta's answers, as the Graph and OAuth parsers read them: any status,
/// `Retry-After` and body. Error parsing must never panic; a parsed error
/// must keep the status; a success is only read from a 2xx.
pub fn meta_errors(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let split = (data[2] as usize).min(data.len() - 3);
    let (header, body) = data[3..].split_at(split);
    let mut response = Response::new(status, String::from_utf8_lossy(body).into_owned());
    if !header.is_empty() {
        response = response.with_header("Retry-After", &String::from_utf8_lossy(header));
    }

    let e = Error::from_response(&response);
    assert_eq!(e.status, Some(status));
    let _ = (
        e.kind().as_str(),
        e.retryable(),
        e.code(),
        e.subcode(),
        e.to_string(),
    );

    let generic = parse_success::<serde_json::Value>(&response, "fuzz");
    if generic.is_ok() {
        assert!(response.is_success());
    }
    let now = Timestamp::from_secs(1_800_000_000);
    for product in [Product::Instagram, Product::Facebook] {
        if process_code_exchange(product, &response, now).is_ok() {
            assert!(response.is_success());
        }
    }
    let previous = TokenRecord {
        access_token: AccessToken::new("IGQVJold"),
        kind: TokenKind::InstagramLongLived,
        issued_at: Timestamp::from_secs(1_790_000_000),
        expires_at: Some(Timestamp::from_secs(1_795_184_000)),
        scopes: vec!["instagram_business_basic".into()],
        ig_user_id: Some("17841400000000001".into()),
    };
    if let Ok(record) = process_refresh(&response, &previous, now) {
        assert!(response.is_success());
        assert!(record.expires_at.is_none_or(|e| e >= now));
    }
}

const SECRET: &str = "fuzz-app-secret";
/// Meta's `signed_request` (data deletion / deauthorize callbacks). Two
/// halves: the raw text (only a correctly signed one may pass), and a
/// correctly signed wrapper around a fuzzed payload, so the JSON behind the
/// signature check is exercised too. Never a panic; an accepted request
/// names a decimal user ID.
pub fn signed_request(data: &[u8]) {
    let secret = ClientSecret::new(SECRET);
    let other = ClientSecret::new("another-secret");
    let secrets = [&other, &secret];
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ok) = parse_signed_request(text, &secrets) {
            // Only a text whose signature verifies gets here.
            let (sig, payload) = text.trim().split_once('.').unwrap();
            let tag = hmac_sha256(SECRET.as_bytes(), payload.as_bytes());
            let tag2 = hmac_sha256(b"another-secret", payload.as_bytes());
            let sig = instagate::service::crypto::b64url_decode(sig).unwrap();
            assert!(sig == tag || sig == tag2);
            assert!(ok.user_id.bytes().all(|b| b.is_ascii_digit()));
        }
    }
    let payload = URL_SAFE_NO_PAD.encode(data);
    let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(SECRET.as_bytes(), payload.as_bytes()));
    if let Ok(ok) = parse_signed_request(&format!("{sig}.{payload}"), &secrets) {
        assert!(!ok.user_id.is_empty());
        assert!(ok.user_id.bytes().all(|b| b.is_ascii_digit()));
    }
}

const KEYS: &str = "k2:__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA,k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Token records at rest: opening a sealed record from KV (any text, or a
/// genuine one with bytes changed) and decoding the account record inside.
/// Never a panic; a tampered record never opens; a record always opens to
/// what was sealed.
pub fn token_record(data: &[u8]) {
    let ring = Keyring::parse(KEYS).expect("keyring");
    let aad = "token:17841400000000001";
    // Any text as a stored value.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(plain) = ring.open(text, aad) {
            let _ = serde_json::from_slice::<AccountRecord>(&plain);
        }
        let _ = Keyring::key_id_of(text);
        let _ = Keyring::parse(text);
    }
    // Any bytes as a decrypted record.
    let _ = serde_json::from_slice::<AccountRecord>(data);
    // A genuine sealed record: opens to the plaintext; with one byte of
    // its JSON changed (where that keeps it JSON) it opens to the same or not at all.
    let mut nonce = [0u8; 12];
    for (n, b) in nonce.iter_mut().zip(data) {
        *n = *b;
    }
    let sealed = ring.seal(data, aad, nonce);
    assert_eq!(ring.open(&sealed, aad).expect("own record opens"), data);
    assert!(
        ring.open(&sealed, "token:2").is_err(),
        "bound to its KV key"
    );
    if let Some(&pos) = data.first() {
        let mut bytes = sealed.clone().into_bytes();
        let i = pos as usize % bytes.len();
        bytes[i] = bytes[i].wrapping_add(1);
        if let Ok(tampered) = String::from_utf8(bytes) {
            if let Ok(plain) = ring.open(&tampered, aad) {
                assert_eq!(plain, data, "a changed record opened to something else");
            }
        }
    }
}

/// Publish request validation: a media spec as JSON text, as the npm
/// package and the Worker's publish API receive it. Never a panic; an
/// accepted spec, saved (serialized) and read back, is the same spec and
/// still valid.
pub fn publish_spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = MediaSpec::from_json_str(text) {
        let saved = serde_json::to_string(&spec).expect("a spec serializes");
        let back = MediaSpec::from_json_str(&saved).expect("a saved spec validates again");
        assert_eq!(back, spec);
        let read: MediaSpec = serde_json::from_str(&saved).expect("a saved job's spec reads back");
        assert_eq!(read, spec);
    }
}

/// An uploaded video's MP4 header walk (`video_file::Mp4Walk`, run by
/// `inspect_mp4` over a buffer and by the Worker over ranged R2 reads):
/// any bytes. Never a panic; every read it asks for lies inside the file
/// and is small; reads are at most one per box header plus one; a
/// duration is reported only for a file `inspect_mp4` accepts, with the
/// same duration; a box header parsed fits where it was read.
pub fn mp4_walk(data: &[u8]) {
    let size = data.len() as u64;
    if let Ok(h) = parse_box_header(&data[..data.len().min(16)], size) {
        assert!(h.header_len <= h.size && h.size <= size);
    }
    let mut walk = Mp4Walk::new(size);
    let mut step = walk.start();
    let walked = loop {
        match step {
            Err(_) => break None,
            Ok(Mp4Step::Done { duration_ms }) => break Some(duration_ms),
            Ok(Mp4Step::Read { offset, len }) => {
                assert!(offset + len <= size, "a read past the end");
                assert!(len <= BOX_HEADER_MAX.max(32), "a large read");
                assert!(walk.reads as u64 <= size / 8 + 2, "more reads than boxes");
                step = walk.next(&data[offset as usize..(offset + len) as usize]);
            }
        }
    };
    let inspected = inspect_mp4("video", data).ok();
    assert_eq!(walked, inspected.as_ref().map(|f| f.duration_ms));
    if let Some(file) = inspected {
        assert_eq!(file.size, size);
    }
}
