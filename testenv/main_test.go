package testenv_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/hopscope/hopscope/testenv"
)

// cluster is the one control plane every test of this binary shares;
// tests isolate themselves by namespace.
var cluster *testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var log io.Writer
	if os.Getenv("HOPSCOPE_LAB_LOG") != "" {
		log = os.Stderr
	}
	start := time.Now()
	// The cluster starts without the Gateway API, so that a scan of a
	// cluster that lacks it is tested (TestGatewayAPILive); the tests that
	// need it install it as `hopscope lab up` does (InstallGatewayAPI).
	c, err := testenv.Start(context.Background(), testenv.Options{Log: log, NoGatewayAPI: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start local cluster: %v\n", err)
		return 1
	}
	defer c.Stop()
	fmt.Fprintf(os.Stderr, "local cluster ready in %s\n", time.Since(start).Round(10*time.Millisecond))
	cluster = c
	return m.Run()
}

// eventually polls cond every interval until it holds or timeout has
// passed, and says whether it held: for state the controllers and the
// kubelet stand-in write a moment after a change.
func eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}
