package checks

// The TLS Secrets an Ingress terminates with, and cert-manager's part in
// creating them.

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var ingressTLSSecretMissing = &diagnose.Check{
	ID:       "ingress-tls-secret-missing",
	Layer:    diagnose.LayerIngress,
	Severity: diagnose.SeverityError,
	Doc:      "An Ingress TLS entry names a Secret that is not in the Ingress's namespace (the controller serves its default certificate).",
	Run:      runIngressTLSSecretMissing,
}

// ingressCertManagerAnnotations make cert-manager create the TLS Secret of
// an Ingress after it is applied.
var ingressCertManagerAnnotations = []string{"cert-manager.io/cluster-issuer", "cert-manager.io/issuer"}

func runIngressTLSSecretMissing(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, ing := range s.Ingresses {
		if len(ing.Spec.TLS) == 0 {
			continue
		}
		ns := ing.Namespace
		ref := snapshot.Ref(snapshot.KindIngress, ing)
		issuer := ""
		for _, a := range ingressCertManagerAnnotations {
			if v := ing.Annotations[a]; v != "" {
				issuer = a + ": " + v
			}
		}
		fromCluster := fromCluster(s, ing)
		if issuer != "" && !fromCluster {
			// cert-manager creates the Secret once the Ingress is applied.
			continue
		}
		var missing []int
		for i, t := range ing.Spec.TLS {
			if t.SecretName != "" && s.Secret(ns, t.SecretName) == nil {
				missing = append(missing, i)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if !s.Knows(snapshot.KindSecret, ns) {
			r.NotChecked(ref, fmt.Sprintf("the input has no Secrets in namespace %s: cannot tell whether TLS Secret %q exists", ns, ing.Spec.TLS[missing[0]].SecretName))
			continue
		}
		r.Report(ingressTLSFinding(s, ing, missing, issuer))
	}
}

func ingressTLSFinding(s *snapshot.Snapshot, ing *networkingv1.Ingress, missing []int, issuer string) diagnose.Finding {
	ns := ing.Namespace
	ref := snapshot.Ref(snapshot.KindIngress, ing)
	var existing []string
	for _, sec := range s.Secrets {
		if sec.Namespace == ns {
			existing = append(existing, sec.Name)
		}
	}
	sort.Strings(existing)
	var evidence, hosts []string
	var ops []diagnose.JSONPatchOp
	allClose := true
	for _, i := range missing {
		t := ing.Spec.TLS[i]
		hosts = append(hosts, t.Hosts...)
		evidence = append(evidence, fmt.Sprintf("spec.tls[%d] hosts [%s] → secretName %q: no Secret of that name in namespace %s", i, strings.Join(t.Hosts, ", "), t.SecretName, ns))
		if best, dist, ok := nearestName(t.SecretName, existing); ok && typoOrSuffix(t.SecretName, best) {
			evidence = append(evidence, fmt.Sprintf("closest existing Secret: %q (edit distance %d)", best, dist))
			ptr := fmt.Sprintf("/spec/tls/%d/secretName", i)
			ops = append(ops, diagnose.JSONPatchOp{Op: "test", Path: ptr, Value: t.SecretName}, diagnose.JSONPatchOp{Op: "replace", Path: ptr, Value: best})
		} else {
			allClose = false
		}
	}
	if issuer != "" {
		evidence = append(evidence, fmt.Sprintf("annotation %s: cert-manager has not issued the certificate yet (%s)",
			issuer, diagnose.KubectlOn([]string{"describe", "certificate", "-n", ns}, ing.Spec.TLS[missing[0]].SecretName)))
	}
	first := ing.Spec.TLS[missing[0]].SecretName
	secretRef := snapshot.ObjectRef{Kind: snapshot.KindSecret, Namespace: ns, Name: first}
	fix := diagnose.KubectlOn([]string{"create", "secret", "tls", "-n", ns, "--cert=tls.crt", "--key=tls.key"}, first)
	verify := diagnose.GetCmd(secretRef)
	switch {
	case issuer != "":
		// cert-manager owns the Secret: its Certificate (named after the
		// Secret by the ingress-shim) says why it was not issued.
		cert := snapshot.ObjectRef{Kind: "Certificate", Namespace: ns, Name: first}
		fix = diagnose.DescribeCmd(cert)
		evidence = append(evidence, "then follow the issuance chain: "+diagnose.Kubectl("get", "certificaterequests,orders,challenges", "-n", ns))
	case allClose && len(ops) > 0:
		fix = diagnose.JSONPatchCmd(ref, ops...)
		verify = diagnose.DescribeCmd(ref)
	}
	hostText := "its TLS hosts"
	if len(hosts) > 0 {
		hostText = joinLimit(hosts, maxListed)
	}
	return diagnose.Finding{
		Object:   ref,
		Symptom:  fmt.Sprintf("HTTPS clients of %s get the controller's default certificate (\"Kubernetes Ingress Controller Fake Certificate\" on ingress-nginx) and a certificate error", hostText),
		Cause:    fmt.Sprintf("Ingress %s terminates TLS with Secret %q, which does not exist in namespace %s", ing.Name, first, ns),
		Evidence: evidence,
		Fix:      fix,
		Verify:   verify,
		Origin:   originOf(s, ref),
	}
}
