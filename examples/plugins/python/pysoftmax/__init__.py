"""pysoftmax: an arthost estimator plugin written in Python.

A numpy softmax regression (the same JSON model format as the Go linear
example) served over arthost's published gRPC contract, with go-plugin's
handshake for non-Go plugins implemented in goplugin.py.
"""
