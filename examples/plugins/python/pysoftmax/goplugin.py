"""go-plugin's side of the connection for a plugin not written in Go
(hashicorp/go-plugin v1.8.0, docs/guide-plugin-write-non-go.md):

- refuse to run unless the host set the magic cookie;
- pick an app protocol version from PLUGIN_PROTOCOL_VERSIONS;
- listen on a Unix socket in a private directory;
- with AutoMTLS (the host sets PLUGIN_CLIENT_CERT), answer with a
  self-signed certificate and accept only the host's;
- serve grpc.health.v1.Health with "plugin" SERVING, the
  plugin.GRPCController (Shutdown) and plugin.GRPCStdio (StreamStdio);
- print one handshake line on stdout:
  CORE|APP|unix|SOCKET|grpc|BASE64-DER-CERT
- log JSON lines on stderr, which the host reads as hclog records.
"""

import base64
import datetime
import io
import json
import os
import queue
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures

import grpc

from arthost_pb import goplugin_pb2, goplugin_pb2_grpc, health_pb2, health_pb2_grpc

CORE_PROTOCOL_VERSION = 1
COOKIE_KEY = "ARTHOST_PLUGIN_COOKIE"
COOKIE_VALUE = "4f1c9a2e-arthost-estimator-v1"
# The same cap as the Go side's shared.MaxMessageSize.
MAX_MESSAGE_SIZE = 256 << 20
# sun_path holds 108 bytes with the terminating NUL on Linux.
MAX_SOCKET_PATH = 107


class Logger:
    """hclog-compatible JSON lines on the real stderr."""

    def __init__(self, name, stream):
        self.name, self.stream = name, stream
        self.mu = threading.Lock()

    def _log(self, level, msg, **kv):
        rec = {"@level": level, "@message": msg, "@module": self.name,
               "@timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        rec.update({k: str(v) for k, v in kv.items()})
        with self.mu:
            self.stream.write(json.dumps(rec) + "\n")
            self.stream.flush()

    def debug(self, msg, **kv):
        self._log("debug", msg, **kv)

    def info(self, msg, **kv):
        self._log("info", msg, **kv)

    def error(self, msg, **kv):
        self._log("error", msg, **kv)


def check_cookie():
    """Exits with a message when not launched by an arthost host."""
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        sys.stderr.write(
            "This binary is an arthost plugin. It is not meant to be run directly:\n"
            "the arthost host starts it (for example `arthost plugins test pysoftmax`).\n")
        sys.exit(1)


def negotiate(supported):
    """The highest version both sides speak, or None. Without
    PLUGIN_PROTOCOL_VERSIONS (a legacy host) the host's handshake version
    is assumed to be our first."""
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    if not offered:
        return supported[0]
    host = set()
    for v in offered.split(","):
        try:
            host.add(int(v))
        except ValueError:
            pass
    common = sorted(host.intersection(supported))
    return common[-1] if common else None


def socket_path():
    """A fresh socket path: in the private directory the host names in
    PLUGIN_UNIX_SOCKET_DIR, else (no such folder, or one so deep the path
    would pass the 107-byte limit of a Unix socket path) in a new 0700
    directory of our own. Returns the directory to remove on exit (None for
    the host's) and the path."""
    name = "plugin" + secrets.token_hex(4)
    host_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR")
    if host_dir and len(os.path.join(host_dir, name).encode()) <= MAX_SOCKET_PATH:
        return None, os.path.join(host_dir, name)
    base = None
    if len(tempfile.gettempdir().encode()) > MAX_SOCKET_PATH - 32:
        base = "/tmp"  # a deep TMPDIR would make the path too long as well
    own = tempfile.mkdtemp(prefix="arthost-py-", dir=base)
    os.chmod(own, 0o700)
    return own, os.path.join(own, name)


def server_credentials(client_cert_pem):
    """A fresh self-signed ECDSA P-256 certificate for "localhost", valid
    as both server and CA, and gRPC credentials that require the host's
    certificate. Returns (credentials, base64 DER without padding)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    try:
        x509.load_pem_x509_certificate(client_cert_pem.encode())
    except ValueError as e:
        raise ValueError(f"PLUGIN_CLIENT_CERT is not a PEM certificate: {e}") from None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "arthost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_agreement=True,
                                     key_cert_sign=True, content_commitment=False, data_encipherment=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_cert_pem.encode(),
                                        require_client_auth=True)
    der = cert.public_bytes(serialization.Encoding.DER)
    return creds, base64.b64encode(der).decode().rstrip("=")


class _Health(health_pb2_grpc.HealthServicer):
    def __init__(self, stopped):
        self.stopped = stopped

    def Check(self, request, context):
        if request.service in ("", "plugin"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")

    def Watch(self, request, context):
        yield self.Check(request, context)
        self.stopped.wait()


class _Controller(goplugin_pb2_grpc.GRPCControllerServicer):
    def __init__(self, shutdown):
        self.shutdown = shutdown

    def Shutdown(self, request, context):
        # Answer first, then stop: the host waits for this reply.
        threading.Timer(0.05, self.shutdown).start()
        return goplugin_pb2.Empty()


class _StdioWriter(io.TextIOBase):
    """A text stream that forwards writes to the StreamStdio queue."""

    def __init__(self, q, channel):
        self.q, self.channel = q, channel

    def writable(self):
        return True

    def write(self, s):
        if s:
            self.q.put(goplugin_pb2.StdioData(channel=self.channel, data=s.encode()))
        return len(s)


class _Stdio(goplugin_pb2_grpc.GRPCStdioServicer):
    """Streams what the plugin prints after the handshake; the host calls
    StreamStdio once and mirrors it into its own log."""

    def __init__(self, q, stopped):
        self.q, self.stopped = q, stopped

    def StreamStdio(self, request, context):
        while not self.stopped.is_set():
            try:
                yield self.q.get(timeout=0.5)
            except queue.Empty:
                continue


def serve(add_services, versions, log):
    """Runs the plugin until the host shuts it down or kills it.
    add_services(server, version) registers the application's services for
    the negotiated version; versions lists the app versions it speaks."""
    check_cookie()
    version = negotiate(versions)
    if version is None:
        sys.stderr.write(f"plugin speaks protocol versions {versions}, the host offers "
                         f"{os.environ.get('PLUGIN_PROTOCOL_VERSIONS')}\n")
        sys.exit(1)
    sockdir, path = socket_path()
    stopped = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_SIZE),
        ("grpc.max_send_message_length", MAX_MESSAGE_SIZE),
    ])

    def shutdown(*_):
        if not stopped.is_set():
            log.debug("shutting down")
            stopped.set()
            server.stop(grace=1)

    stdio = queue.Queue()
    add_services(server, version)
    health_pb2_grpc.add_HealthServicer_to_server(_Health(stopped), server)
    goplugin_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(shutdown), server)
    goplugin_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(stdio, stopped), server)
    cert = ""
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "")
    try:
        if client_cert:
            creds, cert = server_credentials(client_cert)
            server.add_secure_port("unix:" + path, creds)
        else:
            server.add_insecure_port("unix:" + path)
    except (RuntimeError, ValueError) as e:
        sys.stderr.write(f"plugin cannot listen on unix:{path}: {e}\n")
        if sockdir:
            shutil.rmtree(sockdir, ignore_errors=True)
        sys.exit(1)
    server.start()
    signal.signal(signal.SIGTERM, shutdown)
    # go-plugin's own plugins ignore SIGINT: the host decides when they stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    real_stdout = sys.stdout
    real_stdout.write(f"{CORE_PROTOCOL_VERSION}|{version}|unix|{path}|grpc|{cert}\n")
    real_stdout.flush()
    # From here on, stray prints travel to the host through GRPCStdio.
    sys.stdout = _StdioWriter(stdio, goplugin_pb2.StdioData.STDOUT)
    log.debug("plugin started", socket=path, protocol=version, mtls=bool(cert))
    try:
        stopped.wait()
        server.wait_for_termination(timeout=2)
    finally:
        if sockdir:
            shutil.rmtree(sockdir, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
