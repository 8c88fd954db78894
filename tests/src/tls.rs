//! A certificate authority made by a test, and a server certificate it signed for
//! 127.0.0.1 and localhost, in files (as an operator gives them to `onsite serve`).

use std::path::PathBuf;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tempfile::TempDir;

/// The files of a test CA; removed when dropped.
#[derive(Debug)]
pub struct TestCa {
    /// The CA's certificate, which clients are told to trust.
    pub ca_pem: String,
    /// The server's certificate chain and private key.
    pub cert: PathBuf,
    pub key: PathBuf,
    _dir: TempDir,
}

impl TestCa {
    pub fn new() -> anyhow::Result<TestCa> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Onsite test CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
        let mut server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])?;
        server
            .distinguished_name
            .push(DnType::CommonName, "onsite test server");
        let server_key = KeyPair::generate()?;
        let server_cert = server.signed_by(&server_key, &ca)?;
        let dir = tempfile::tempdir()?;
        let cert = dir.path().join("fullchain.pem");
        let key = dir.path().join("privkey.pem");
        std::fs::write(&cert, server_cert.pem()).context("writing the certificate")?;
        std::fs::write(&key, server_key.serialize_pem()).context("writing the key")?;
        Ok(TestCa {
            ca_pem: ca.pem(),
            cert,
            key,
            _dir: dir,
        })
    }

    /// An HTTP client that trusts this CA and no other.
    pub fn http(&self) -> anyhow::Result<reqwest::Client> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        for cert in onsite_client::Trust::parse_roots(&self.ca_pem)? {
            roots.add(cert)?;
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .build()?)
    }

    /// What a client core is told to trust to reach a server of this CA.
    pub fn trust(&self, bundled_roots: bool) -> anyhow::Result<onsite_client::Trust> {
        Ok(onsite_client::Trust {
            extra_roots: onsite_client::Trust::parse_roots(&self.ca_pem)?,
            bundled_roots,
        })
    }
}
