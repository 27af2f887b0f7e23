//! Random tokens and digests: session-bound tokens, invitation links, calendar feed keys.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, hex: session-bound tokens and invitation links.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}
