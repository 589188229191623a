package cli

import (
	"testing"
)

// Tracing a gRPC call from the command line: grpcs:// names the call, the
// GRPCRoute rule is chosen by service and method, and a call no rule
// matches is named in the error.
func TestTraceGRPCCall(t *testing.T) {
	const routing = "../../testdata/realworld-gateway/gateway-api-grpc-routing.yaml"
	cases := []commandCase{
		{"service and method", []string{"trace", "grpcs://foo.example.com:50051/com.example.User/Login", "-f", routing, "--no-color", "--explain"}, 0, "foo.example.com/com.example.User/Login → Service/default/foo-svc:50051", ""},
		{"a header picks the canary rule", []string{"trace", "grpcs://bar.example.com:50051/pkg.Bar/Get", "-H", "env: canary", "-f", routing, "--no-color"}, 0, "→ Service/default/bar-svc-canary:50051", ""},
		{"a call no rule matches", []string{"trace", "grpcs://foo.example.com:50051/com.example.User/Logout", "-f", routing}, 2, "", "no route it accepts matches gRPC call /com.example.User/Logout"},
		{"a gRPC URL without a method", []string{"trace", "grpcs://foo.example.com:50051/com.example.User", "-f", routing}, 2, "", "/package.Service/Method"},
	}
	runCases(t, cases)
}
