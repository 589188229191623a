package checks

// What the API server's validation says about a field of a manifest,
// worded as `kubectl apply` prints it, so that a finding about an object
// the API server would reject quotes the very message the user will see.

import (
	"fmt"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

// fieldRejection is one field the API server rejects.
type fieldRejection struct {
	Path  string // spec.ports[1].name
	Value any    // the value as written; nil for a missing one
	Why   string // "Duplicate value", or the validation message
}

// String words the rejection as the API server does:
// `spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`.
func (r fieldRejection) String() string {
	switch {
	case r.Value == nil:
		return r.Path + ": Required value: " + r.Why
	case r.Why == "":
		return fmt.Sprintf("%s: Duplicate value: %s", r.Path, rejectedValue(r.Value))
	}
	return fmt.Sprintf("%s: Invalid value: %s: %s", r.Path, rejectedValue(r.Value), r.Why)
}

func rejectedValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// invalid turns validation messages about one field into rejections.
func invalid(path string, value any, msgs []string) []fieldRejection {
	var out []fieldRejection
	for _, m := range msgs {
		out = append(out, fieldRejection{Path: path, Value: value, Why: m})
	}
	return out
}

// rejectedFinding is the finding on an object of a manifest that the API
// server rejects for the given fields.
func rejectedFinding(s *snapshot.Snapshot, ref snapshot.ObjectRef, what string, rejected []fieldRejection) diagnose.Finding {
	ev := make([]string, 0, len(rejected)+1)
	for _, r := range rejected {
		ev = append(ev, r.String())
	}
	ev = append(ev, "an object the API server rejects is never created: fix the manifest, then apply it")
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("`kubectl apply` fails: The %s %q is invalid: %s", ref.Kind, ref.Name, rejected[0]),
		Cause:    fmt.Sprintf("the API server rejects %s: %s", ref, what),
		Evidence: ev,
		Fix:      rejectedManifestFix(s, ref),
		Verify:   rejectedManifestVerify(s, ref),
		Origin:   originOf(s, ref),
	}
}

// rejectedManifestVerify asks the API server to validate the corrected
// file without creating anything; without a file, it shows the object once
// it was created.
func rejectedManifestVerify(s *snapshot.Snapshot, ref snapshot.ObjectRef) string {
	if o, ok := s.Origin(ref); ok && o.File != "" && o.File != "<stdin>" {
		return diagnose.Kubectl("apply", "--dry-run=server", "-f", o.File, "-n", ref.Namespace)
	}
	return diagnose.GetCmd(ref)
}
