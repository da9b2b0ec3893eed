//! Built-in HTTPS for a showroom server.
//!
//! The sales staff's tablets reach the server over the showroom Wi-Fi, by its
//! LAN address or its `.local` name. Browsers only run the PWA's service
//! worker (offline use, installing to the home screen) on a secure origin, and
//! `http://192.168.x.y` is not one: the server has to speak HTTPS itself.
//!
//! This module provides the pieces:
//!
//! - [`init`] (`showroom-server tls init`) creates a small local certificate
//!   authority and issues the server's certificate from it. The CA
//!   certificate (`ca.crt`) is installed once on each tablet; re-running `init`
//!   (a new IP address, another name) reuses the CA and re-issues only the
//!   server certificate, so the tablets keep trusting the server.
//! - [`load_server_config`] turns a certificate chain and key (PEM) into a
//!   rustls configuration.
//! - [`DualListener`] serves TLS and plain TCP on the same port: it sniffs the
//!   first byte of each connection, handshakes the TLS ones and hands the
//!   others on as they are, so the HTTP layer can redirect `http://` to
//!   `https://` on the same address. Each request learns which it was through
//!   axum's connect info, [`Peer`].
//! - [`lan_names`], [`fingerprint`] and [`spki_sha256_base64`] help print
//!   what a user needs to set up a tablet (or a test browser) to trust it.

use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData as _, SanType,
    SerialNumber,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a new connection may take to send its first byte, and then to
/// complete the TLS handshake, before it is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections accepted but not yet handed to the HTTP layer (sniffing or
/// handshaking). At the limit the listener stops accepting until one finishes,
/// leaving further clients in the kernel's backlog.
const MAX_PENDING: usize = 1024;

/// Connections sniffed (and handshaken) but not yet taken by the HTTP layer.
const READY_QUEUE: usize = 64;

/// The first byte of a TLS record carrying a handshake message: every TLS
/// connection starts with a ClientHello in one.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// How long the CA is valid.
const CA_VALIDITY_DAYS: i64 = 3652;

/// How long a server certificate is valid: Apple's limit for certificates
/// chaining to a user-trusted CA.
const SERVER_VALIDITY_DAYS: i64 = 825;

/// Certificates start this long before they are made, so a tablet whose
/// clock is a little behind still accepts a freshly issued one.
const BACKDATE: Duration = Duration::from_secs(3600);

/// Everything that can go wrong loading or creating certificates and keys.
/// Each error names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: no such file", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: not a valid PEM file: {detail}", path.display())]
    Pem { path: PathBuf, detail: String },
    #[error("{}: no certificate in it (expected a PEM \"BEGIN CERTIFICATE\" block)", path.display())]
    NoCertificate { path: PathBuf },
    #[error(
        "{}: no private key in it (expected a PEM PKCS#8, PKCS#1 or SEC1 key: \"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\")",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("{}: unusable private key: {detail}", path.display())]
    BadKey { path: PathBuf, detail: String },
    #[error("the key in {} does not match the certificate in {}", key.display(), cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("{}: malformed certificate: {detail}", path.display())]
    BadCertificate { path: PathBuf, detail: String },
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
    #[error("no host names or IP addresses to put in the certificate")]
    NoNames,
    #[error("not a usable host name: {name:?}")]
    BadName { name: String },
    #[error(
        "{} exists but {} does not: restore it, or remove both to create a new CA (tablets will then have to trust the new one)",
        present.display(),
        missing.display()
    )]
    IncompleteCa { present: PathBuf, missing: PathBuf },
    #[error("generating a certificate: {0}")]
    Generate(rcgen::Error),
    #[error("the system clock is before 1970 or out of range")]
    Clock,
    #[error("no randomness for a certificate serial number: {0}")]
    Random(getrandom::Error),
    #[error("the issued certificate does not chain to the CA in {}", ca.display())]
    Chain { ca: PathBuf },
    #[error("cannot create {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

/// The TCP peer of a request and whether it came over TLS. Used as axum's
/// connect info: handlers extract `ConnectInfo<Peer>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub addr: SocketAddr,
    pub tls: bool,
}

/// A served connection: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connections that know whether they are TLS.
pub trait TransportInfo {
    fn is_tls(&self) -> bool;
}

/// A plain TCP listener that sets TCP_NODELAY on every connection and can
/// tell a [`Peer`] (always `tls: false`): for serving without TLS with the
/// same `ConnectInfo<Peer>` handlers (axum's `tap_io` cannot do that, see
/// [`PeerListener`]).
#[derive(Debug)]
pub struct PlainListener(pub TcpListener);

impl Listener for PlainListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's impl logs and retries accept errors.
        let (stream, addr) = Listener::accept(&mut self.0).await;
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%addr, %err, "cannot turn off Nagle's algorithm");
        }
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl TransportInfo for TcpStream {
    fn is_tls(&self) -> bool {
        false
    }
}

impl TransportInfo for Transport {
    fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}

/// Listeners whose connections can tell a [`Peer`]: [`DualListener`],
/// [`PlainListener`] and tokio's `TcpListener` (both never TLS).
///
/// A local trait rather than a bound on `L::Io`: axum implements `Connected`
/// for `<L as Listener>::Addr` on every `tap_io` listener, which rustc must
/// assume could be `Peer`, so an impl for all listeners conflicts with it.
/// For the same reason a `tap_io` listener cannot be one (it would conflict
/// again); [`DualListener`] and [`PlainListener`] set TCP_NODELAY themselves.
pub trait PeerListener: Listener<Addr = SocketAddr, Io: TransportInfo> {}

impl PeerListener for TcpListener {}
impl PeerListener for DualListener {}
impl PeerListener for PlainListener {}

impl<'a, L> Connected<IncomingStream<'a, L>> for Peer
where
    L: PeerListener,
{
    fn connect_info(stream: IncomingStream<'a, L>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            tls: stream.io().is_tls(),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Transport::Plain(s) => s.is_write_vectored(),
            Transport::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

// ---------------------------------------------------------------------------
// Server configuration
// ---------------------------------------------------------------------------

/// Loads a certificate chain and private key (PEM files; the key PKCS#8,
/// PKCS#1 or SEC1) into a rustls server config: ring provider, TLS 1.2 and
/// 1.3, ALPN "http/1.1" only (the server speaks HTTP/1.1; WebSockets upgrade
/// over it). Errors name the file and what is wrong.
pub fn load_server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = read_certificates(cert)?;
    let key_der = read_private_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|err| match err {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            },
            other => TlsError::BadKey {
                path: key.to_path_buf(),
                detail: other.to_string(),
            },
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn pem_error(path: &Path, err: rustls_pki_types::pem::Error) -> TlsError {
    use rustls_pki_types::pem::Error;
    match err {
        Error::Io(source) if source.kind() == io::ErrorKind::NotFound => TlsError::Missing {
            path: path.to_path_buf(),
        },
        Error::Io(source) => TlsError::Read {
            path: path.to_path_buf(),
            source,
        },
        other => TlsError::Pem {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// All certificates in a PEM file, in order; at least one.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|err| pem_error(path, err))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| pem_error(path, err))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(chain)
}

fn read_first_certificate(path: &Path) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_file(path).map_err(|err| match err {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoCertificate {
            path: path.to_path_buf(),
        },
        other => pem_error(path, other),
    })
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|err| match err {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_path_buf(),
        },
        other => pem_error(path, other),
    })
}

// ---------------------------------------------------------------------------
// The dual listener
// ---------------------------------------------------------------------------

/// A listener on one port that serves both TLS and plain TCP.
///
/// A connection whose first byte is 0x16 (a TLS ClientHello) is handshaken
/// (10 s limit; a failed or slow handshake is dropped and logged at debug);
/// anything else is handed on as plain TCP, so the HTTP layer can redirect it
/// to `https://`. Sniffing and handshakes run in their own tasks, so one slow
/// client never holds up the others. TCP_NODELAY is set on every socket.
///
/// The work starts on the first [`Listener::accept`] (so [`DualListener::new`]
/// needs no runtime); dropping the listener stops it and closes the port.
pub struct DualListener {
    tcp: Arc<TcpListener>,
    acceptor: TlsAcceptor,
    ready: Option<mpsc::Receiver<(Transport, SocketAddr)>>,
    task: Option<JoinHandle<()>>,
}

impl DualListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        DualListener {
            tcp: Arc::new(tcp),
            acceptor: TlsAcceptor::from(config),
            ready: None,
            task: None,
        }
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Starts (or, should it ever have died, restarts) the accept loop.
    fn start(&mut self) -> &mut mpsc::Receiver<(Transport, SocketAddr)> {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let (tx, rx) = mpsc::channel(READY_QUEUE);
        self.task = Some(tokio::spawn(accept_loop(
            Arc::clone(&self.tcp),
            self.acceptor.clone(),
            tx,
        )));
        self.ready.insert(rx)
    }
}

impl Drop for DualListener {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for DualListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DualListener")
            .field("local_addr", &self.tcp.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Listener for DualListener {
    type Io = Transport;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let ready = match self.ready.as_mut() {
                Some(ready) => ready,
                None => self.start(),
            };
            if let Some(conn) = ready.recv().await {
                return conn;
            }
            // The accept loop only ends by panicking; start it again.
            tracing::error!("the TLS accept loop stopped; restarting it");
            self.ready = None;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        DualListener::local_addr(self)
    }
}

async fn accept_loop(
    tcp: Arc<TcpListener>,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(Transport, SocketAddr)>,
) {
    let pending = Arc::new(Semaphore::new(MAX_PENDING));
    loop {
        let Ok(permit) = Arc::clone(&pending).acquire_owned().await else {
            return; // never closed
        };
        let (stream, addr) = tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    handle_accept_error(err).await;
                    continue;
                }
            },
            () = ready.closed() => return,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%addr, %err, "cannot turn off Nagle's algorithm");
        }
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let conn = tokio::select! {
                conn = sniff(stream, addr, &acceptor) => conn,
                () = ready.closed() => return,
            };
            drop(permit);
            if let Some(conn) = conn {
                // Fails only when the listener is gone; the connection is dropped.
                let _ = ready.send((conn, addr)).await;
            }
        });
    }
}

/// Decides what the connection is by its first byte; handshakes TLS.
/// `None`: the client left, stalled, or failed the handshake.
async fn sniff(stream: TcpStream, addr: SocketAddr, acceptor: &TlsAcceptor) -> Option<Transport> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(0)) => {
            tracing::debug!(%addr, "connection closed before sending anything");
            return None;
        }
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::debug!(%addr, %err, "connection failed before sending anything");
            return None;
        }
        Err(_) => {
            tracing::debug!(%addr, "connection sent nothing in time; dropped");
            return None;
        }
    }
    if first[0] != TLS_HANDSHAKE_RECORD {
        return Some(Transport::Plain(stream));
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(Transport::Tls(Box::new(tls))),
        Ok(Err(err)) => {
            tracing::debug!(%addr, %err, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%addr, "TLS handshake timed out");
            None
        }
    }
}

/// As axum's `TcpListener` does: a connection that failed before it was
/// accepted is not worth a pause; anything else (out of file descriptors…)
/// is logged and retried after a second.
async fn handle_accept_error(err: io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%err, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

// ---------------------------------------------------------------------------
// The local certificate authority
// ---------------------------------------------------------------------------

/// What `tls init` is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOptions {
    /// Where the CA and the server certificate go.
    pub dir: PathBuf,
    /// DNS names the server certificate is valid for.
    pub names: Vec<String>,
    /// IP addresses the server certificate is valid for.
    pub ips: Vec<IpAddr>,
}

/// What `tls init` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A new CA was created (false: the existing one was reused).
    pub ca_created: bool,
    /// The DNS names in the server certificate.
    pub names: Vec<String>,
    /// The IP addresses in the server certificate.
    pub ips: Vec<IpAddr>,
    /// SHA-256 of the CA certificate's DER, colon-separated upper hex.
    pub ca_sha256: String,
    /// When the server certificate expires, `YYYY-MM-DD`.
    pub not_after: String,
}

/// Creates (or reuses, when `dir/ca.crt` and `dir/ca.key` exist) a local CA
/// and issues a server certificate from it for `names` and `ips`.
///
/// The CA, "Showroom local CA (<first name>)", is ECDSA P-256, valid 10
/// years, a CA with path length 0 that may sign certificates and CRLs. The
/// server certificate is ECDSA P-256, valid 825 days, for server
/// authentication only. Written: `dir/ca.crt`, `dir/ca.key`, `dir/server.crt`
/// (the server certificate followed by the CA's) and `dir/server.key`; keys
/// are mode 0600 from the start, `dir` is created 0700. Reusing the CA
/// re-issues only the server certificate, so tablets that already trust the
/// CA keep working. A name that is an IP address counts as one.
pub fn init(opts: &InitOptions) -> Result<InitReport, TlsError> {
    let (names, ips) = normalise_names(&opts.names, &opts.ips)?;
    let first = names
        .first()
        .cloned()
        .or_else(|| ips.first().map(IpAddr::to_string))
        .ok_or(TlsError::NoNames)?;

    let dir = opts.dir.as_path();
    create_private_dir(dir)?;
    let ca_cert_path = dir.join("ca.crt");
    let ca_key_path = dir.join("ca.key");
    let server_cert_path = dir.join("server.crt");
    let server_key_path = dir.join("server.key");

    let now = now()?;
    let (ca, ca_created) = match (ca_cert_path.exists(), ca_key_path.exists()) {
        (true, true) => (load_ca(&ca_cert_path, &ca_key_path)?, false),
        (false, false) => {
            let ca = new_ca(&first, now)?;
            write_file(&ca_key_path, ca.key.serialize_pem().as_bytes(), 0o600)?;
            write_file(&ca_cert_path, pem_encode(&ca.cert).as_bytes(), 0o644)?;
            (ca, true)
        }
        (true, false) => {
            return Err(TlsError::IncompleteCa {
                present: ca_cert_path,
                missing: ca_key_path,
            });
        }
        (false, true) => {
            return Err(TlsError::IncompleteCa {
                present: ca_key_path,
                missing: ca_cert_path,
            });
        }
    };

    let server_key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(TlsError::Generate)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, first);
    params.subject_alt_names = names
        .iter()
        .map(|name| {
            rcgen::string::Ia5String::try_from(name.as_str())
                .map(SanType::DnsName)
                .map_err(|_| TlsError::BadName { name: name.clone() })
        })
        .chain(ips.iter().map(|ip| Ok(SanType::IpAddress(*ip))))
        .collect::<Result<_, _>>()?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial()?);
    params.not_before = now - BACKDATE;
    params.not_after = params.not_before + time::Duration::days(SERVER_VALIDITY_DAYS);
    let not_after = params.not_after;
    let issuer = Issuer::new(ca.params, &ca.key);
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .map_err(TlsError::Generate)?;

    // The issuer name must repeat the CA's subject byte for byte, or clients
    // cannot build the chain: check rather than hand out a broken certificate.
    let issued = cert_parts(server_cert.der()).map_err(|_| TlsError::Chain {
        ca: ca_cert_path.clone(),
    })?;
    let ca_parts = cert_parts(&ca.cert).map_err(|detail| TlsError::BadCertificate {
        path: ca_cert_path.clone(),
        detail: detail.to_string(),
    })?;
    if issued.issuer != ca_parts.subject {
        return Err(TlsError::Chain { ca: ca_cert_path });
    }

    write_file(
        &server_key_path,
        server_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    let chain = format!("{}{}", pem_encode(server_cert.der()), pem_encode(&ca.cert));
    write_file(&server_cert_path, chain.as_bytes(), 0o644)?;

    Ok(InitReport {
        ca_cert: ca_cert_path,
        server_cert: server_cert_path,
        server_key: server_key_path,
        ca_created,
        names,
        ips,
        ca_sha256: sha256_hex(&ca.cert),
        not_after: format!(
            "{:04}-{:02}-{:02}",
            not_after.year(),
            u8::from(not_after.month()),
            not_after.day()
        ),
    })
}

/// A CA: its certificate, the parameters to issue with, and its key.
struct Ca {
    cert: CertificateDer<'static>,
    params: CertificateParams,
    key: KeyPair,
}

fn ca_params(name: DistinguishedName) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn new_ca(first: &str, now: time::OffsetDateTime) -> Result<Ca, TlsError> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(TlsError::Generate)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, format!("Showroom local CA ({first})"));
    let mut params = ca_params(name);
    params.serial_number = Some(random_serial()?);
    params.not_before = now - BACKDATE;
    params.not_after = params.not_before + time::Duration::days(CA_VALIDITY_DAYS);
    let cert = params.self_signed(&key).map_err(TlsError::Generate)?;
    Ok(Ca {
        cert: cert.der().clone(),
        params,
        key,
    })
}

/// Loads an existing CA. Only its subject name and key are needed to issue
/// certificates (the key identifier is derived from the key, as at creation).
fn load_ca(cert_path: &Path, key_path: &Path) -> Result<Ca, TlsError> {
    let cert = read_first_certificate(cert_path)?;
    let key_pem = fs::read_to_string(key_path).map_err(|source| TlsError::Read {
        path: key_path.to_path_buf(),
        source,
    })?;
    let key = KeyPair::from_pem(&key_pem).map_err(|err| TlsError::BadKey {
        path: key_path.to_path_buf(),
        detail: format!("{err} (the CA key must be an unencrypted PKCS#8 PEM key)"),
    })?;
    let bad_cert = |detail: &str| TlsError::BadCertificate {
        path: cert_path.to_path_buf(),
        detail: detail.to_string(),
    };
    let parts = cert_parts(&cert).map_err(bad_cert)?;
    if parts.spki != key.subject_public_key_info().as_slice() {
        return Err(TlsError::KeyMismatch {
            cert: cert_path.to_path_buf(),
            key: key_path.to_path_buf(),
        });
    }
    let name = parse_name(parts.subject).map_err(bad_cert)?;
    Ok(Ca {
        cert,
        params: ca_params(name),
        key,
    })
}

/// Trims, drops empties and duplicates, moves IP addresses given as names to
/// the addresses, and refuses an empty result.
fn normalise_names(
    names: &[String],
    ips: &[IpAddr],
) -> Result<(Vec<String>, Vec<IpAddr>), TlsError> {
    let mut out_names: Vec<String> = Vec::new();
    let mut out_ips: Vec<IpAddr> = Vec::new();
    for name in names {
        let name = name.trim().trim_end_matches('.');
        if name.is_empty() {
            continue;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            if !out_ips.contains(&ip) {
                out_ips.push(ip);
            }
            continue;
        }
        if !name.is_ascii()
            || name
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_ascii_control() || c == '/')
        {
            return Err(TlsError::BadName {
                name: name.to_string(),
            });
        }
        let name = name.to_ascii_lowercase();
        if !out_names.contains(&name) {
            out_names.push(name);
        }
    }
    for ip in ips {
        if !out_ips.contains(ip) {
            out_ips.push(*ip);
        }
    }
    if out_names.is_empty() && out_ips.is_empty() {
        return Err(TlsError::NoNames);
    }
    Ok((out_names, out_ips))
}

fn now() -> Result<time::OffsetDateTime, TlsError> {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| TlsError::Clock)?
        .as_secs();
    let secs = i64::try_from(secs).map_err(|_| TlsError::Clock)?;
    time::OffsetDateTime::from_unix_timestamp(secs).map_err(|_| TlsError::Clock)
}

/// 16 random bytes, positive (RFC 5280: at most 20 octets, non-negative).
fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(TlsError::Random)?;
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // no leading zero octet to strip
    Ok(SerialNumber::from_slice(&bytes))
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| TlsError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `path` through a temporary file renamed over it, so a reader never
/// sees half a file. The temporary file is created with `mode` (on Unix), so
/// a key is never readable by others, not even for a moment.
fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let err = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_os_string();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

fn pem_encode(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

// ---------------------------------------------------------------------------
// Names, fingerprints
// ---------------------------------------------------------------------------

/// This machine's names and addresses a tablet on the LAN may use:
/// "localhost", the host name, "<hostname>.local" (mDNS), 127.0.0.1, ::1 and
/// the primary LAN IPv4 address (the one the default route leaves from).
pub fn lan_names() -> (Vec<String>, Vec<IpAddr>) {
    let mut names = vec!["localhost".to_string()];
    let mut push = |name: String| {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    };
    if let Some(host) = hostname() {
        // mDNS publishes the first label: "box.example.com" is "box.local".
        let short = host.split('.').next().unwrap_or_default().to_string();
        push(host);
        if !short.is_empty() && short != "localhost" {
            push(format!("{short}.local"));
        }
    }
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    if let Some(ip) = primary_ipv4()
        && !ips.contains(&ip)
    {
        ips.push(ip);
    }
    (names, ips)
}

fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
        .find(|s| {
            !s.is_empty()
                && s.is_ascii()
                && !s
                    .chars()
                    .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
        })
}

/// The address the default route leaves from: connecting a UDP socket sends
/// nothing but makes the kernel pick the source address. 192.0.2.1 is a
/// documentation address (TEST-NET-1) that nothing answers.
fn primary_ipv4() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// The SHA-256 fingerprint (colon-separated upper hex) of the first
/// certificate in a PEM file.
pub fn fingerprint(cert_pem: &Path) -> Result<String, TlsError> {
    let cert = read_first_certificate(cert_pem)?;
    Ok(sha256_hex(&cert))
}

/// The SHA-256 of the first certificate's SubjectPublicKeyInfo, standard
/// base64: what Chromium's `--ignore-certificate-errors-spki-list` takes.
pub fn spki_sha256_base64(cert_pem: &Path) -> Result<String, TlsError> {
    let cert = read_first_certificate(cert_pem)?;
    let parts = cert_parts(&cert).map_err(|detail| TlsError::BadCertificate {
        path: cert_pem.to_path_buf(),
        detail: detail.to_string(),
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(parts.spki)))
}

fn sha256_hex(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

// ---------------------------------------------------------------------------
// A minimal DER reader: just enough of X.509 to find names and the key.
// ---------------------------------------------------------------------------

const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_INTEGER: u8 = 0x02;
const TAG_OID: u8 = 0x06;
const TAG_UTF8_STRING: u8 = 0x0c;
const TAG_PRINTABLE_STRING: u8 = 0x13;
const TAG_IA5_STRING: u8 = 0x16;
const TAG_EXPLICIT_0: u8 = 0xa0;

/// One DER element: its tag, its whole encoding and its contents.
struct Element<'a> {
    tag: u8,
    full: &'a [u8],
    contents: &'a [u8],
}

/// Splits the first element off `input`.
fn next_element(input: &[u8]) -> Result<(Element<'_>, &[u8]), &'static str> {
    let (&tag, rest) = input.split_first().ok_or("truncated")?;
    if tag & 0x1f == 0x1f {
        return Err("unsupported multi-byte tag");
    }
    let (&first, rest) = rest.split_first().ok_or("truncated")?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("bad length");
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return Err("truncated");
    }
    let header = input.len() - rest.len();
    let (contents, rest) = rest.split_at(len);
    Ok((
        Element {
            tag,
            full: &input[..header + len],
            contents,
        },
        rest,
    ))
}

fn expect_element(input: &[u8], tag: u8) -> Result<(Element<'_>, &[u8]), &'static str> {
    let (element, rest) = next_element(input)?;
    if element.tag != tag {
        return Err("unexpected element");
    }
    Ok((element, rest))
}

/// The parts of a certificate this module needs, each a whole DER element.
struct CertParts<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
}

/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
/// TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
/// issuer, validity, subject, subjectPublicKeyInfo, ... }
fn cert_parts(der: &[u8]) -> Result<CertParts<'_>, &'static str> {
    let (cert, _) = expect_element(der, TAG_SEQUENCE)?;
    let (tbs, _) = expect_element(cert.contents, TAG_SEQUENCE)?;
    let mut rest = tbs.contents;
    let (first, after) = next_element(rest)?;
    if first.tag == TAG_EXPLICIT_0 {
        rest = after;
    }
    let (_serial, rest) = expect_element(rest, TAG_INTEGER)?;
    let (_signature, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (issuer, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (_validity, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (subject, rest) = expect_element(rest, TAG_SEQUENCE)?;
    let (spki, _) = expect_element(rest, TAG_SEQUENCE)?;
    Ok(CertParts {
        issuer: issuer.full,
        subject: subject.full,
        spki: spki.full,
    })
}

/// Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }, for the
/// string types rcgen can write back (UTF8String, PrintableString, IA5String).
fn parse_name(der: &[u8]) -> Result<DistinguishedName, &'static str> {
    let (name, _) = expect_element(der, TAG_SEQUENCE)?;
    let mut out = DistinguishedName::new();
    let mut rdns = name.contents;
    while !rdns.is_empty() {
        let (rdn, rest) = expect_element(rdns, TAG_SET)?;
        rdns = rest;
        let mut attrs = rdn.contents;
        while !attrs.is_empty() {
            let (attr, rest) = expect_element(attrs, TAG_SEQUENCE)?;
            attrs = rest;
            let (oid, rest) = expect_element(attr.contents, TAG_OID)?;
            let (value, _) = next_element(rest)?;
            let text = std::str::from_utf8(value.contents)
                .map_err(|_| "name is not valid text")?
                .to_string();
            let value = match value.tag {
                TAG_UTF8_STRING => DnValue::Utf8String(text),
                TAG_PRINTABLE_STRING => DnValue::PrintableString(
                    text.try_into().map_err(|_| "bad PrintableString in name")?,
                ),
                TAG_IA5_STRING => {
                    DnValue::Ia5String(text.try_into().map_err(|_| "bad IA5String in name")?)
                }
                _ => return Err("unsupported string type in name"),
            };
            out.push(DnType::from_oid(&decode_oid(oid.contents)?), value);
        }
    }
    Ok(out)
}

fn decode_oid(bytes: &[u8]) -> Result<Vec<u64>, &'static str> {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if value > (u64::MAX >> 7) {
            return Err("OID arc too large");
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i + 1 == bytes.len() {
            return Err("truncated OID");
        }
    }
    if arcs.is_empty() {
        return Err("empty OID");
    }
    Ok(arcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::Router;
    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: showroom.test\r\nConnection: close\r\n\r\n";

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("showroom-tls-{}", uuid::Uuid::new_v4()));
            TempDir(dir.join("tls"))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            if let Some(parent) = self.0.parent() {
                let _ = fs::remove_dir_all(parent);
            }
        }
    }

    fn options(dir: &Path) -> InitOptions {
        InitOptions {
            dir: dir.to_path_buf(),
            names: vec!["showroom.test".into(), "localhost".into()],
            ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn verify_chain(report: &InitReport, name: &str) -> Result<(), rustls::Error> {
        use rustls::client::danger::ServerCertVerifier as _;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(&report.ca_cert).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        let chain = read_certificates(&report.server_cert).unwrap();
        let name = rustls_pki_types::ServerName::try_from(name.to_string()).unwrap();
        verifier
            .verify_server_cert(
                &chain[0],
                &chain[1..],
                &name,
                &[],
                rustls_pki_types::UnixTime::now(),
            )
            .map(|_| ())
    }

    #[test]
    fn init_creates_then_reuses_the_ca() {
        let tmp = TempDir::new();
        let first = init(&options(&tmp.0)).unwrap();
        assert!(first.ca_created);
        assert_eq!(first.names, ["showroom.test", "localhost"]);
        assert_eq!(first.ips, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(first.ca_sha256, fingerprint(&first.ca_cert).unwrap());
        assert_eq!(first.ca_sha256.len(), 32 * 3 - 1);
        assert_eq!(first.not_after.len(), 10);
        load_server_config(&first.server_cert, &first.server_key).unwrap();
        #[cfg(unix)]
        {
            assert_eq!(mode(&tmp.0.join("ca.key")), 0o600);
            assert_eq!(mode(&first.server_key), 0o600);
            assert_eq!(mode(&tmp.0), 0o700);
        }
        // server.crt is the server certificate then the CA's.
        let chain = read_certificates(&first.server_cert).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(sha256_hex(&chain[1]), first.ca_sha256);
        verify_chain(&first, "showroom.test").unwrap();
        verify_chain(&first, "127.0.0.1").unwrap();
        assert!(verify_chain(&first, "elsewhere.test").is_err());

        let server_fp = fingerprint(&first.server_cert).unwrap();
        let ca_key = fs::read(tmp.0.join("ca.key")).unwrap();
        let mut again_opts = options(&tmp.0);
        again_opts.names.push("second.test".into());
        let again = init(&again_opts).unwrap();
        assert!(!again.ca_created);
        assert_eq!(again.ca_sha256, first.ca_sha256);
        assert_eq!(fs::read(tmp.0.join("ca.key")).unwrap(), ca_key);
        assert_ne!(fingerprint(&again.server_cert).unwrap(), server_fp);
        load_server_config(&again.server_cert, &again.server_key).unwrap();
        // The re-issued certificate chains to the reused CA.
        verify_chain(&again, "second.test").unwrap();
        verify_chain(&again, "showroom.test").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&again.server_key), 0o600);
    }

    #[test]
    fn init_refuses_no_names_and_half_a_ca() {
        let tmp = TempDir::new();
        let empty = InitOptions {
            dir: tmp.0.clone(),
            names: vec![" ".into()],
            ips: vec![],
        };
        assert!(matches!(init(&empty), Err(TlsError::NoNames)));
        let bad = InitOptions {
            dir: tmp.0.clone(),
            names: vec!["two words".into()],
            ips: vec![],
        };
        assert!(matches!(init(&bad), Err(TlsError::BadName { .. })));

        init(&options(&tmp.0)).unwrap();
        fs::remove_file(tmp.0.join("ca.key")).unwrap();
        let err = init(&options(&tmp.0)).unwrap_err();
        assert!(matches!(err, TlsError::IncompleteCa { .. }), "{err}");
        assert!(err.to_string().contains("ca.key"), "{err}");
    }

    #[test]
    fn names_given_as_ips_become_ips() {
        let tmp = TempDir::new();
        let opts = InitOptions {
            dir: tmp.0.clone(),
            names: vec!["192.168.1.20".into(), "Showroom.Test.".into()],
            ips: vec!["192.168.1.20".parse().unwrap()],
        };
        let report = init(&opts).unwrap();
        assert_eq!(report.names, ["showroom.test"]);
        assert_eq!(report.ips, ["192.168.1.20".parse::<IpAddr>().unwrap()]);
        verify_chain(&report, "192.168.1.20").unwrap();
    }

    #[test]
    fn load_errors_name_the_file() {
        let tmp = TempDir::new();
        let report = init(&options(&tmp.0)).unwrap();

        let missing = tmp.0.join("nope.crt");
        let err = load_server_config(&missing, &report.server_key).unwrap_err();
        assert!(matches!(err, TlsError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("nope.crt"), "{err}");

        // A certificate file given as the key: no key in it.
        let err = load_server_config(&report.server_cert, &report.server_cert).unwrap_err();
        assert!(matches!(err, TlsError::NoKey { .. }), "{err}");
        assert!(err.to_string().contains("server.crt"), "{err}");

        // A key file given as the certificate: no certificate in it.
        let err = load_server_config(&report.server_key, &report.server_key).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("server.key"), "{err}");

        // The CA's key does not match the server certificate.
        let ca_key = tmp.0.join("ca.key");
        let err = load_server_config(&report.server_cert, &ca_key).unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
        assert!(err.to_string().contains("ca.key"), "{err}");
    }

    #[test]
    fn spki_hash_matches_the_key() {
        let tmp = TempDir::new();
        let report = init(&options(&tmp.0)).unwrap();
        let key = KeyPair::from_pem(&fs::read_to_string(&report.server_key).unwrap()).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(key.subject_public_key_info()));
        assert_eq!(spki_sha256_base64(&report.server_cert).unwrap(), expected);
        // The CA's too (the second certificate is not looked at).
        let ca_key = KeyPair::from_pem(&fs::read_to_string(tmp.0.join("ca.key")).unwrap()).unwrap();
        assert_eq!(
            spki_sha256_base64(&report.ca_cert).unwrap(),
            base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(ca_key.subject_public_key_info()))
        );
    }

    #[test]
    fn der_helpers() {
        // 2.5.4.3 (commonName) and 1.2.840.10045.2.1 (ecPublicKey).
        assert_eq!(decode_oid(&[0x55, 0x04, 0x03]).unwrap(), [2, 5, 4, 3]);
        assert_eq!(
            decode_oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]).unwrap(),
            [1, 2, 840, 10045, 2, 1]
        );
        assert!(decode_oid(&[0x86]).is_err());
        assert!(cert_parts(&[0x30, 0x05, 0x30]).is_err());
        assert!(cert_parts(&[]).is_err());
    }

    #[test]
    fn lan_names_include_localhost() {
        let (names, ips) = lan_names();
        assert!(names.iter().any(|n| n == "localhost"), "{names:?}");
        assert!(ips.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)), "{ips:?}");
        assert!(ips.contains(&IpAddr::V6(Ipv6Addr::LOCALHOST)), "{ips:?}");
    }

    async fn read_all(stream: &mut (impl AsyncRead + Unpin)) -> String {
        let mut buf = Vec::new();
        // A peer closing without close_notify ends the read with an error;
        // what was read before it counts.
        let _ = stream.read_to_end(&mut buf).await;
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(ca).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    async fn tls_get(addr: SocketAddr, ca: &Path) -> io::Result<String> {
        let connector = tokio_rustls::TlsConnector::from(client_config(ca));
        let tcp = TcpStream::connect(addr).await?;
        let name = rustls_pki_types::ServerName::try_from("showroom.test").unwrap();
        let mut tls = connector.connect(name, tcp).await?;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(REQUEST).await?;
        Ok(read_all(&mut tls).await)
    }

    async fn plain_get(addr: SocketAddr) -> String {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(REQUEST).await.unwrap();
        read_all(&mut tcp).await
    }

    #[tokio::test]
    async fn serves_tls_and_plain_on_one_port() {
        let tmp = TempDir::new();
        let report = init(&options(&tmp.0)).unwrap();
        let other = TempDir::new();
        let other_report = init(&options(&other.0)).unwrap();
        let config = load_server_config(&report.server_cert, &report.server_key).unwrap();

        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let listener = DualListener::new(tcp, config);
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route(
            "/",
            get(|ConnectInfo(peer): ConnectInfo<Peer>| async move {
                format!("tls={} from={}", peer.tls, peer.addr.ip())
            }),
        );
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<Peer>(),
            )
            .await
        });

        // Clients that stall, before the first byte and mid-handshake, do
        // not hold up the others.
        let _silent = TcpStream::connect(addr).await.unwrap();
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled
            .write_all(&[TLS_HANDSHAKE_RECORD, 0x03])
            .await
            .unwrap();

        let deadline = Duration::from_secs(5);
        let answer = tokio::time::timeout(deadline, tls_get(addr, &report.ca_cert))
            .await
            .unwrap()
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("tls=true from=127.0.0.1"), "{answer}");

        let answer = tokio::time::timeout(deadline, plain_get(addr))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("tls=false from=127.0.0.1"), "{answer}");

        // A client trusting another CA fails the handshake...
        let refused = tokio::time::timeout(deadline, tls_get(addr, &other_report.ca_cert))
            .await
            .unwrap();
        assert!(refused.is_err(), "{refused:?}");
        // ...and the listener carries on.
        let answer = tokio::time::timeout(deadline, tls_get(addr, &report.ca_cert))
            .await
            .unwrap()
            .unwrap();
        assert!(answer.ends_with("tls=true from=127.0.0.1"), "{answer}");

        // A client that hangs up at once is dropped quietly.
        drop(TcpStream::connect(addr).await.unwrap());
        let answer = tokio::time::timeout(deadline, plain_get(addr))
            .await
            .unwrap();
        assert!(answer.ends_with("tls=false from=127.0.0.1"), "{answer}");

        assert!(!server.is_finished());
        server.abort();
    }

    #[tokio::test]
    async fn dropping_the_listener_closes_the_port() {
        let tmp = TempDir::new();
        let report = init(&options(&tmp.0)).unwrap();
        let config = load_server_config(&report.server_cert, &report.server_key).unwrap();
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let mut listener = DualListener::new(tcp, config);
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tcp.write_all(b"GET").await.unwrap();
            tcp
        });
        let (io, peer) = Listener::accept(&mut listener).await;
        assert!(!io.is_tls());
        assert_eq!(peer.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let _client = client.await.unwrap();
        drop(io);
        drop(listener);
        // The accept task is aborted and releases the socket.
        let mut rebound = None;
        for _ in 0..50 {
            if let Ok(l) = TcpListener::bind(addr).await {
                rebound = Some(l);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(rebound.is_some(), "port {addr} still in use");
    }
}
