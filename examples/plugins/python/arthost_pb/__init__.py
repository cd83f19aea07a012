"""Generated gRPC stubs (gen.sh); do not edit."""
