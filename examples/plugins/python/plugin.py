"""Entry point of the pysoftmax arthost plugin (see README.md)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from arthost_pb import direct_pb2_grpc, estimator_pb2_grpc  # noqa: E402
from pysoftmax import direct, goplugin  # noqa: E402
from pysoftmax.service import PROTOCOL_VERSION, Estimator  # noqa: E402


def main():
    log = goplugin.Logger("pysoftmax", sys.stderr)
    estimator = Estimator(log)

    def add_services(server, version):
        # Only one contract version exists; a plugin speaking several would
        # register a different servicer per version here.
        estimator_pb2_grpc.add_EstimatorServicer_to_server(estimator, server)
        # Optional: the hot calls as frames on a socket (docs/plugins.md).
        direct_pb2_grpc.add_DirectChannelServicer_to_server(direct.DirectChannel(estimator, log), server)

    goplugin.serve(add_services, [PROTOCOL_VERSION], log)


if __name__ == "__main__":
    main()
