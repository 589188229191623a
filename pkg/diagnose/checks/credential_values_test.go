package checks

import (
	"strings"
	"testing"

	"github.com/hopscope/hopscope/pkg/safetext"
)

// A host fix in a value that holds a password is an edit with the change
// spelled out: no printed line carries the password, and no command would
// set it to REDACTED when pasted from a report.
func TestHostFixNeverRepeatsACredential(t *testing.T) {
	const file = "testdata/dns-name-unresolvable/bad-credential-in-url.yaml"
	for _, tc := range []struct {
		ref, fix, where, host, note string
	}{
		{"Deployment/shop/orders", "kubectl edit deployment -n shop -- orders", "env DB_URL of container orders", `"postgress" with "postgres"`, ""},
		{"ConfigMap/shop/orders-config", "kubectl edit configmap -n shop -- orders-config", "key DATABASE_URL", `"postgress.shop.svc" with "postgres.shop.svc"`, "restart them"},
	} {
		f := findingOn(t, dnsNameUnresolvable, file, tc.ref)
		wantEqual(t, tc.ref+" fix", f.Fix, tc.fix)
		wantEvidenceLine(t, f, "fix: in "+tc.where, "replace the host "+tc.host, "holds a credential")
		wantContains(t, tc.ref+" cause", f.Cause, "misspelt", tc.note)
		for _, text := range append([]string{f.Fix, f.Verify}, f.Evidence...) {
			if shown := safetext.SanitizeLines(text); strings.Contains(shown, "hunter2") {
				t.Errorf("%s: the password survives the report: %s", tc.ref, shown)
			}
		}
		if strings.Contains(f.Fix, "REDACTED") || strings.Contains(safetext.SanitizeLines(f.Fix), "REDACTED") {
			t.Errorf("%s: the fix would set a credential to REDACTED: %s", tc.ref, f.Fix)
		}
	}
}
