//! Standard Webhooks 1.0 signatures: `webhook-signature` is a space-separated list of
//! `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per
//! secret.
//!
//! A secret is `whsec_` followed by the base64 of the key (the form Standard Webhooks
//! libraries take); any other text is used as the key bytes as written. During a
//! rotation a team's secret holds two secrets separated by white space
//! (`whsec_new whsec_old`): every call carries a signature by each, so a receiver that
//! knows either verifies it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The key bytes of one secret.
fn key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// The `v1,…` signature of one message by one secret.
#[must_use]
pub fn sign_one(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key(secret)) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header value for `secrets` (white-space separated, one
/// signature each).
#[must_use]
pub fn signature_header(secrets: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .split_whitespace()
        .map(|s| sign_one(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification.
        let sig = sign_one(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn two_secrets_sign_twice() {
        let h = signature_header("whsec_YWJj  raw-key", "id", 1, b"{}");
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign_one("whsec_YWJj", "id", 1, b"{}"));
        assert_eq!(parts[1], sign_one("raw-key", "id", 1, b"{}"));
        assert_ne!(parts[0], parts[1]);
    }
}
