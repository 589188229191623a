package testenv_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/golden"
	"github.com/hopscope/hopscope/pkg/labs"
	"github.com/hopscope/hopscope/testenv"
)

// TestGatewayAPICRDsAreTheRelease holds the CRDs the local cluster installs
// to the standard channel of the sigs.k8s.io/gateway-api module in the
// build, file for file, and that module to the release the lab messages
// name. `go test -run TestGatewayAPICRDsAreTheRelease -update` rewrites the
// bundle after a gateway-api upgrade.
func TestGatewayAPICRDsAreTheRelease(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("locate the gateway-api module: %v", err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if version != labs.GatewayAPIRelease {
		t.Errorf("the build uses gateway-api %s, labs.GatewayAPIRelease says %s", version, labs.GatewayAPIRelease)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	sort.Strings(files)
	var want bytes.Buffer
	n := 0
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "vap_") {
			// An admission policy against installing another bundle over
			// this one, not a CRD: the local cluster installs only this one.
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteString("---\n")
		want.Write(data)
		n++
	}
	if n < 8 {
		t.Fatalf("found %d standard-channel CRDs in %s", n, dir)
	}
	if golden.Updating() {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		if _, err := zw.Write(want.Bytes()); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(testenv.GatewayAPICRDsFile, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := testenv.GatewayAPICRDs()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s is not the standard channel of gateway-api %s (%d bytes, want %d): run `go test -run TestGatewayAPICRDsAreTheRelease -update`",
			testenv.GatewayAPICRDsFile, version, len(got), want.Len())
	}
	if c := strings.Count(string(got), "gateway.networking.k8s.io/bundle-version: "+labs.GatewayAPIRelease+"\n"); c != n {
		t.Errorf("%d of %d CRDs carry bundle-version %s", c, n, labs.GatewayAPIRelease)
	}
}
