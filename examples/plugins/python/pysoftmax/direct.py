"""The direct channel (docs/plugins.md, shared/proto/arthost/v1/direct.proto):
the Estimator calls an attack repeats, as frames on a Unix socket beside
gRPC. Optional: a plugin without it stays on gRPC. Frames carry the same
request and response messages the gRPC service does, and each request runs
through the same servicer method, so answers and errors are the same.

    request:  u32 body length | u8 method | i64 deadline (Unix ns) | request
    response: u32 body length | u8 kind (0 message, 1 google.rpc.Status) | body
"""

import atexit
import hmac
import secrets
import shutil
import socket
import struct
import threading

import grpc
from google.protobuf.message import DecodeError

from arthost_pb import direct_pb2, direct_pb2_grpc
from arthost_pb import estimator_pb2 as pb
from pysoftmax import goplugin

VERSION = 1
TOKEN_SIZE = 32
_REQUEST = struct.Struct("<IBq")
_RESPONSE = struct.Struct("<IB")
_METHODS = {
    1: ("Predict", pb.PredictRequest),
    2: ("PredictUncertainty", pb.PredictUncertaintyRequest),
    3: ("Loss", pb.LossRequest),
    4: ("LossGradient", pb.LossGradientRequest),
    5: ("ClassGradient", pb.ClassGradientRequest),
    6: ("Activations", pb.ActivationsRequest),
}


class _Aborted(grpc.RpcError):
    pass


class _Context:
    """The part of grpc.ServicerContext the servicer uses: abort and code."""

    def __init__(self):
        self._code, self._details = None, ""

    def abort(self, code, details):
        self._code, self._details = code, details
        raise _Aborted(details)

    def code(self):
        return self._code


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int32 values are sent as 64-bit varints
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _status(code, message):
    """google.rpc.Status{code, message}, encoded by hand: the message has two
    fields and grpcio does not ship its generated class."""
    text = message.encode()
    return b"\x08" + _varint(code.value[0]) + b"\x12" + _varint(len(text)) + text


def _read_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class DirectChannel(direct_pb2_grpc.DirectChannelServicer):
    """Listens on a socket in the plugin's private folder and answers frames
    with estimator, the gRPC servicer."""

    def __init__(self, estimator, log):
        self.estimator, self.log = estimator, log
        own_dir, self.path = goplugin.socket_path()
        self.token = secrets.token_bytes(TOKEN_SIZE)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen()
        atexit.register(self._remove, own_dir)
        threading.Thread(target=self._accept, daemon=True).start()

    def _remove(self, own_dir):
        self.sock.close()
        if own_dir:
            shutil.rmtree(own_dir, ignore_errors=True)

    def Open(self, request, context):
        if request.version < VERSION:
            context.abort(grpc.StatusCode.UNIMPLEMENTED,
                          f"direct channel: host speaks framing version {request.version}, this plugin {VERSION}")
        return direct_pb2.OpenDirectResponse(version=VERSION, socket_path=self.path, token=self.token)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed at exit
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            try:
                self._frames(conn)
            except OSError:
                pass  # the host closed the connection or the plugin is stopping

    def _frames(self, conn):
        conn.settimeout(10)
        token = _read_exact(conn, TOKEN_SIZE)
        if token is None or not hmac.compare_digest(token, self.token):
            return
        conn.settimeout(None)
        while True:
            header = _read_exact(conn, _REQUEST.size)
            if header is None:
                return
            length, method, _deadline = _REQUEST.unpack(header)
            if length > goplugin.MAX_MESSAGE_SIZE:
                return  # the framing is broken: end the connection
            body = _read_exact(conn, length)
            if body is None:
                return
            kind, answer = self._answer(method, body)
            conn.sendall(_RESPONSE.pack(len(answer), kind) + answer)

    def _answer(self, method, body):
        entry = _METHODS.get(method)
        if entry is None:
            return 1, _status(grpc.StatusCode.UNIMPLEMENTED, f"direct channel: unknown method {method}")
        name, request_type = entry
        try:
            request = request_type.FromString(body)
        except DecodeError as e:
            return 1, _status(grpc.StatusCode.INVALID_ARGUMENT, f"direct channel: malformed request: {e}")
        context = _Context()
        try:
            return 0, getattr(self.estimator, name)(request, context).SerializeToString()
        except _Aborted:
            return 1, _status(context.code(), context._details)
        except Exception as e:  # noqa: BLE001 - the contract wants a status, never a traceback
            self.log.error("unexpected error", method=name, error=repr(e))
            return 1, _status(grpc.StatusCode.INTERNAL, f"direct channel: {name} failed: {e!r}")
