package sdktest

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
)

// RunEstimator serves impl in process over an in-memory gRPC connection
// and runs the checks as subtests of t. It exercises the same wire path as
// a plugin process without starting one.
func RunEstimator(t *testing.T, impl sdk.Estimator, cfg Config) {
	t.Helper()
	c, stop := Serve(impl)
	defer stop()
	report(t, Check(context.Background(), c, cfg))
}

// Serve returns a client for impl served in process, and a function that
// stops the server.
func Serve(impl sdk.Estimator) (estimatorv1.EstimatorClient, func()) {
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(shared.ServerOptions()...)
	estimatorv1.RegisterEstimatorServer(s, sdk.NewServer(impl, nil, false))
	go func() { _ = s.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		append(shared.DialOptions(),
			grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		panic("sdktest: " + err.Error())
	}
	return estimatorv1.NewEstimatorClient(conn), func() { conn.Close(); s.Stop() }
}
