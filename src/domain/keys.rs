//! Key material: RSA key pairs for HTTP Signatures, random tokens and passwords, bcrypt hashes.

use rand::distributions::Alphanumeric;
use rand::Rng;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// An RSA-2048 key pair as (SPKI public PEM, PKCS#8 private PEM), as Misskey stores them.
pub async fn generate_rsa_pem() -> anyhow::Result<(String, String)> {
    tokio::task::spawn_blocking(|| {
        let mut rng = rand::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048)?;
        let public = private.to_public_key();
        let public_pem = public.to_public_key_pem(LineEnding::LF)?;
        let private_pem = private.to_pkcs8_pem(LineEnding::LF)?.to_string();
        Ok((public_pem, private_pem))
    })
    .await?
}

/// A random alphanumeric string (Misskey's native tokens are 16 of these).
pub fn random_token(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let p = password.to_string();
    // $2a$ like Misskey's bcryptjs, so hashes move freely between the two.
    Ok(tokio::task::spawn_blocking(move || {
        bcrypt::hash_with_result(p, 10).map(|h| h.format_for_version(bcrypt::Version::TwoA))
    })
    .await??)
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (p, h) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || bcrypt::verify(p, &h).unwrap_or(false)).await.unwrap_or(false)
}
