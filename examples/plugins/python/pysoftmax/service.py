"""The arthost.v1.Estimator service backed by the numpy softmax model.

Every method validates its input first and answers a gRPC status code the
contract names: InvalidArgument for bad input, FailedPrecondition before
Load, Unimplemented for what the capability flags do not claim, Internal
for anything unexpected (never an uncaught exception)."""

import functools
import threading
import time

import grpc
import numpy as np

from arthost_pb import estimator_pb2 as pb
from arthost_pb import estimator_pb2_grpc as pb_grpc

from . import tensors
from .model import ModelError, parse_model

PROTOCOL_VERSION = 1
NAME = "pysoftmax"
VERSION = "1.0.0"


def _rpc(method):
    """Maps exceptions of an RPC to status codes naming the method."""

    def wrap(f):
        @functools.wraps(f)
        def call(self, request, context):
            try:
                with self.lock:
                    if self.model is None and method != "load":
                        context.abort(grpc.StatusCode.FAILED_PRECONDITION, "no model loaded")
                    return f(self, request, context)
            except (tensors.BadInput, ModelError) as e:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
            except grpc.RpcError:
                raise
            except Exception as e:  # noqa: BLE001 - the contract wants a status, never a traceback
                if context.code() is not None:  # context.abort already set it
                    raise
                self.log.error("unexpected error", method=method, error=repr(e))
                context.abort(grpc.StatusCode.INTERNAL, f"plugin {NAME} failed in {method}: {e!r}")

        return call

    return wrap


def _unimplemented(method):
    def call(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{NAME} does not support {method}")

    return call


class Estimator(pb_grpc.EstimatorServicer):
    """One loaded softmax model; calls run one at a time."""

    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()
        self.model = None
        self.path = ""

    def _description(self):
        m = self.model
        d = pb.Description(
            name=NAME, version=VERSION, framework="numpy",
            input_shape=[m.features], nb_classes=m.classes,
            output=pb.OUTPUT_KIND_PROBABILITIES,
            capabilities=pb.Capabilities(loss=True, loss_gradient=True, class_gradient=True),
            native_dtype=pb.DTYPE_FLOAT64, protocol_version=PROTOCOL_VERSION,
            info={"model": self.path, "numpy": np.__version__},
        )
        if m.clip:
            d.clip_min.append(m.clip[0])
            d.clip_max.append(m.clip[1])
        return d

    @_rpc("load")
    def Load(self, request, context):
        if request.options:
            raise tensors.BadInput(f"unknown option {sorted(request.options)[0]!r} (this plugin takes none)")
        data = request.model_bytes
        if not data:
            if not request.model_path:
                raise tensors.BadInput("a model file is required (--model)")
            try:
                with open(request.model_path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise tensors.BadInput(f"{e.strerror}: {request.model_path}") from None
        try:
            model = parse_model(data)
        except ModelError as e:
            raise ModelError(f"model {request.model_path!r}: {e}") from None
        self.model, self.path = model, request.model_path
        self.log.info("model loaded", path=request.model_path, classes=model.classes, features=model.features)
        return pb.LoadResponse(description=self._description())

    @_rpc("describe")
    def Describe(self, request, context):
        return pb.DescribeResponse(description=self._description())

    @_rpc("predict")
    def Predict(self, request, context):
        x = tensors.check_input(request.x, self.model.features)
        y = self.model.logits(x) if request.logits else self.model.probabilities(x)
        return pb.PredictResponse(y=tensors.encode(y, request.x))

    @_rpc("loss")
    def Loss(self, request, context):
        x = tensors.check_input(request.x, self.model.features)
        q = tensors.labels(request.labels, x.shape[0], self.model.classes)
        loss = self.model.loss(x, q)
        if request.reduction == pb.REDUCTION_MEAN:
            loss = np.array([loss.mean()])
        elif request.reduction == pb.REDUCTION_SUM:
            loss = np.array([loss.sum()])
        elif request.reduction != pb.REDUCTION_NONE:
            raise tensors.BadInput(f"unknown reduction {request.reduction}")
        return pb.LossResponse(loss=tensors.encode(loss, request.x))

    @_rpc("loss_gradient")
    def LossGradient(self, request, context):
        x = tensors.check_input(request.x, self.model.features)
        q = tensors.labels(request.labels, x.shape[0], self.model.classes)
        return pb.LossGradientResponse(gradient=tensors.encode(self.model.loss_gradient(x, q), request.x))

    @_rpc("class_gradient")
    def ClassGradient(self, request, context):
        x = tensors.check_input(request.x, self.model.features)
        c = tensors.classes(request.classes, x.shape[0], self.model.classes)
        return pb.ClassGradientResponse(gradient=tensors.encode(self.model.class_gradient(x, c), request.x))

    @_rpc("health")
    def Health(self, request, context):
        start = time.perf_counter()
        x = np.full((1, self.model.features), 0.5)
        p = self.model.probabilities(x)
        micros = int((time.perf_counter() - start) * 1e6)
        if not np.all(np.isfinite(p)) or abs(p.sum() - 1) > 1e-6:
            return pb.HealthResponse(ok=False, detail=f"canary gave {p.tolist()}", canary_micros=micros)
        return pb.HealthResponse(ok=True, detail="canary predict ok", canary_micros=micros)

    PredictUncertainty = _unimplemented("predict_uncertainty")
    Activations = _unimplemented("activations")
    Save = _unimplemented("save")

    def Fit(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{NAME} does not support fit")
