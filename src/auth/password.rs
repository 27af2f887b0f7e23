//! Password hashing with Argon2id, off the async threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

use crate::error::{AppError, Result};

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

/// A new password, checked for length.
pub fn check_new(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars == 0 {
        Err("Enter a new password".into())
    } else if chars < MIN_LEN {
        Err(format!("Password must be {MIN_LEN} characters or more"))
    } else if chars > MAX_LEN {
        Err(format!("Password must be {MAX_LEN} characters or fewer"))
    } else {
        Ok(())
    }
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

/// Whether `password` matches `stored`. With no stored hash (unknown account,
/// or one that has not set a password) a dummy hash is checked anyway, so the
/// answer takes as long and tells nothing about whether the account exists.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash().to_owned(), false),
        };
        let matches =
            PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
        real && matches
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("not a password anyone has").expect("hashing a constant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong horse battery".into(), Some(stored)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[test]
    fn new_passwords_must_be_long_enough() {
        assert!(check_new("").is_err());
        assert!(check_new("short").is_err());
        assert!(check_new("long enough now").is_ok());
        assert!(check_new(&"x".repeat(129)).is_err());
    }
}
