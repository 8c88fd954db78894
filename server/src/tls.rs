//! HTTPS served by the server itself, for a small site without a reverse proxy: the
//! certificate chain and key from PEM files, TLS 1.2 and 1.3 by rustls, and the handshakes
//! run concurrently beside the accept loop (a slow client does not hold up the others).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How long a client has to finish its handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A listener that hands axum connections after their TLS handshake.
pub type TlsListener = tls_listener::TlsListener<TcpListener, TlsAcceptor>;

/// The acceptor for the chain in `cert` and the private key in `key`, checked now: a bad
/// file stops the server at start, not at the first client.
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("reading the certificate chain in {}", cert.display()))?;
    if chain.is_empty() {
        bail!("{} holds no PEM certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading the private key in {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and the key do not go together")?;
    // The server speaks HTTP/1.1 (WebSockets included), over TLS as in clear.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `listener` with TLS in front of it.
pub fn listener(listener: TcpListener, acceptor: TlsAcceptor) -> TlsListener {
    tls_listener::builder(acceptor)
        .handshake_timeout(HANDSHAKE_TIMEOUT)
        .listen(listener)
}
