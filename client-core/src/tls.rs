//! How the client checks the server's certificate, for HTTPS and the live-notice socket.
//!
//! By default the platform's verifier decides (the system trust store on iOS, macOS,
//! Windows and Linux), so a company CA installed on the device works as in a browser.
//! On Android the platform verifier needs JNI set-up that the library does not do, so
//! there the Mozilla roots compiled into the library (`webpki-roots`) decide instead;
//! an app can ask for them elsewhere too ([`Trust::bundled_roots`]). Either way, an app may
//! add certificate authorities of its own, in PEM ([`Trust::extra_roots`]): a company's
//! private CA, or a test CA.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Error, Result};

/// Which certificate authorities the client trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Authorities trusted beside the usual ones.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// The roots compiled into the library instead of the platform's verifier (always so
    /// on Android).
    pub bundled_roots: bool,
}

impl Trust {
    /// The certificates of a PEM text: at least one, and nothing that is not one.
    pub fn parse_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
        let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid(format!("the trusted certificates are not PEM: {e}")))?;
        if roots.is_empty() {
            return Err(Error::invalid(
                "the trusted certificates hold no PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        Ok(roots)
    }

    /// The TLS configuration of this trust.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig> {
        crate::transport::install_crypto_provider();
        if self.bundled_roots || cfg!(target_os = "android") {
            return self.with_bundled_roots();
        }
        self.with_platform_verifier()
    }

    fn with_bundled_roots(&self) -> Result<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in &self.extra_roots {
            roots
                .add(root.clone())
                .map_err(|e| Error::invalid(format!("a trusted certificate is unusable: {e}")))?;
        }
        Ok(rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(tls_setup)?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }

    #[cfg(not(target_os = "android"))]
    fn with_platform_verifier(&self) -> Result<rustls::ClientConfig> {
        let verifier = if self.extra_roots.is_empty() {
            rustls_platform_verifier::Verifier::new(provider())
        } else {
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                self.extra_roots.iter().cloned(),
                provider(),
            )
        }
        .map_err(tls_setup)?;
        Ok(rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(tls_setup)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth())
    }

    #[cfg(target_os = "android")]
    fn with_platform_verifier(&self) -> Result<rustls::ClientConfig> {
        self.with_bundled_roots()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_setup(e: rustls::Error) -> Error {
    Error::Internal(format!("cannot set up HTTPS: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn trusted_certificates_must_be_pem_certificates() {
        for bad in [
            "",
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
        ] {
            let err = Trust::parse_roots(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad:?}: {err}");
        }
    }
}
