//! Plain HTTP and HTTPS on one port, for both emulators.
//!
//! Some widely used clients only speak `https://` (simple-salesforce builds
//! every URL as `https://{instance}`; MSAL insists on an `https` authority),
//! while cosell and curl examples use `http://`. Each accepted connection is
//! classified by its first byte: `0x16` opens a TLS handshake record (RFC 8446
//! §5.1, content type `handshake(22)`), anything else is plain HTTP. TLS is
//! served with a certificate issued at start by a throwaway CA whose PEM
//! ([`TlsIdentity::ca_pem`]) clients can trust.
//!
//! Classification and the handshake run in the connection's own task, under
//! [`HANDSHAKE_TIMEOUT`], so a silent or broken client never blocks others.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// First byte of a TLS record carrying a handshake message (RFC 8446 §5.1).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Longest wait for a connection's first byte and, for TLS, its handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Classified connections waiting for the HTTP server to take them.
const ACCEPT_QUEUE: usize = 128;
/// Pause after an accept error that is not about one connection (e.g. EMFILE).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Names the server certificate covers: the loopback forms clients use.
const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];
/// Common name of the throwaway CA.
const CA_NAME: &str = "Cosell Emulator Local HTTPS CA";
/// Validity window of both certificates.
const NOT_BEFORE: (i32, u8, u8) = (2020, 1, 1);
const NOT_AFTER: (i32, u8, u8) = (2045, 1, 1);
/// The only application protocol offered over TLS (the server speaks HTTP/1.1).
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Failure to set up HTTPS.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsSetupError {
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the generated certificate or its configuration.
    #[error("TLS configuration rejected: {0}")]
    Config(#[from] tokio_rustls::rustls::Error),
}

impl From<TlsSetupError> for io::Error {
    fn from(e: TlsSetupError) -> Self {
        io::Error::other(e)
    }
}

/// The HTTPS certificate chain and server configuration. Debug never shows the key.
#[derive(Clone)]
pub(crate) struct TlsIdentity {
    ca_pem: String,
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

fn validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(NOT_BEFORE.0, NOT_BEFORE.1, NOT_BEFORE.2);
    params.not_after = rcgen::date_time_ymd(NOT_AFTER.0, NOT_AFTER.1, NOT_AFTER.2);
}

impl TlsIdentity {
    /// Issues a fresh CA and a server certificate for [`SERVER_NAMES`] (ECDSA P-256).
    pub(crate) fn generate() -> Result<Self, TlsSetupError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, CA_NAME);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity(&mut ca_params);
        let ca = ca_params.self_signed(&ca_key)?;

        let server_key = KeyPair::generate()?;
        // rcgen turns names that parse as IP addresses into iPAddress SANs.
        let mut params = CertificateParams::new(SERVER_NAMES.map(str::to_owned).to_vec())?;
        params
            .distinguished_name
            .push(DnType::CommonName, SERVER_NAMES[0]);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        validity(&mut params);
        let server = params.signed_by(&server_key, &ca, &ca_key)?;

        let chain = vec![
            CertificateDer::from(server.der().to_vec()),
            CertificateDer::from(ca.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(Self {
            ca_pem: ca.pem(),
            config: Arc::new(config),
        })
    }

    /// PEM of the CA that issued the HTTPS certificate: what clients trust.
    pub(crate) fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

/// How a connection reached the server; handlers read it as `ConnectInfo<Connection>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Connection {
    /// The peer's address.
    pub(crate) remote: SocketAddr,
    /// Whether the connection speaks TLS.
    pub(crate) tls: bool,
}

impl Connection {
    /// `https` or `http`, as the client addressed the server.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `base_url` (`http://host:port`) with the scheme this connection used.
    pub(crate) fn origin(&self, base_url: &str) -> String {
        let authority = base_url
            .split_once("://")
            .map_or(base_url, |(_, authority)| authority);
        format!("{}://{authority}", self.scheme())
    }
}

impl Connected<IncomingStream<'_, DualListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, DualListener>) -> Self {
        *stream.remote_addr()
    }
}

/// A plain or TLS connection.
pub(crate) enum Stream {
    /// Plain HTTP.
    Plain(TcpStream),
    /// HTTPS.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An axum [`Listener`] handing over connections already classified (and,
/// for TLS, handshaken) by a background accept loop.
pub(crate) struct DualListener {
    ready: mpsc::Receiver<(Stream, Connection)>,
    local_addr: SocketAddr,
}

impl Listener for DualListener {
    type Io = Stream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept loop only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Connection {
            remote: self.local_addr,
            tls: false,
        })
    }
}

impl DualListener {
    /// Starts accepting on `listener`; the loop ends when the result is dropped.
    pub(crate) fn new(listener: TcpListener, tls: &TlsIdentity) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(ACCEPT_QUEUE);
        tokio::spawn(accept_loop(
            listener,
            TlsAcceptor::from(Arc::clone(&tls.config)),
            sender,
        ));
        Ok(Self { ready, local_addr })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    sender: mpsc::Sender<(Stream, Connection)>,
) {
    loop {
        let accepted = tokio::select! {
            () = sender.closed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => {
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    if let Some(ready) = classify(stream, remote, acceptor).await {
                        let _ = sender.send(ready).await;
                    }
                });
            }
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                tracing::warn!(%error, "emulator accept failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
}

/// Errors that concern one connection only, as axum's own listener treats them.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Peeks the first byte and, for TLS, completes the handshake; `None` drops
/// a connection that closed, stayed silent or failed its handshake.
async fn classify(
    stream: TcpStream,
    remote: SocketAddr,
    acceptor: TlsAcceptor,
) -> Option<(Stream, Connection)> {
    let _ = stream.set_nodelay(true);
    let work = async {
        let mut first = [0u8; 1];
        if stream.peek(&mut first).await.ok()? == 0 {
            return None;
        }
        if first[0] != TLS_HANDSHAKE_RECORD {
            return Some((Stream::Plain(stream), false));
        }
        match acceptor.accept(stream).await {
            Ok(tls) => Some((Stream::Tls(Box::new(tls)), true)),
            Err(error) => {
                tracing::debug!(%error, %remote, "emulator TLS handshake failed");
                None
            }
        }
    };
    let (stream, tls) = tokio::time::timeout(HANDSHAKE_TIMEOUT, work).await.ok()??;
    Some((stream, Connection { remote, tls }))
}

/// Serves `app` over plain HTTP and HTTPS on `listener` until the task is aborted.
pub(crate) fn serve(
    listener: TcpListener,
    tls: &TlsIdentity,
    app: Router,
    name: &'static str,
) -> io::Result<JoinHandle<()>> {
    let listener = DualListener::new(listener, tls)?;
    Ok(tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<Connection>();
        if let Err(error) = axum::serve(listener, service).await {
            tracing::error!(%error, emulator = name, "emulator stopped");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_a_ca_pem_and_hides_its_key() {
        let identity = TlsIdentity::generate().unwrap();
        assert!(identity.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(format!("{identity:?}"), "TlsIdentity { .. }");
    }

    #[test]
    fn schemes_follow_the_connection() {
        let remote: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(Connection { remote, tls: true }.scheme(), "https");
        assert_eq!(Connection { remote, tls: false }.scheme(), "http");
        assert_eq!(
            Connection { remote, tls: true }.origin("http://127.0.0.1:8081"),
            "https://127.0.0.1:8081"
        );
    }
}
