package checks

// Container ports of a manifest that the API server rejects: a port number
// outside 1-65535, a name that is not an IANA service name (at most 15
// characters of lower-case letters, digits and single inner dashes, with at
// least one letter), and one name used twice in a container. The object is
// never created, so nothing it would run exists. A cluster's state holds
// only accepted objects: such ports cannot occur there, and the check
// judges manifests only.

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var containerPortInvalid = &diagnose.Check{
	ID:       "container-port-invalid",
	Layer:    diagnose.LayerContainer,
	Severity: diagnose.SeverityError,
	Doc:      "A manifest's container port is out of 1-65535, is named other than an IANA service name (15 characters, lower-case, a letter), or repeats a name in its container: the API server rejects the object.",
	Run:      runContainerPortInvalid,
}

func runContainerPortInvalid(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, w := range s.Workloads() {
		if w.Template == nil || fromCluster(s, w.Object) {
			continue
		}
		base := strings.Join(templatePath(w.Ref.Kind), ".") + ".spec"
		if bad := containerPortRejections(base, &w.Template.Spec); len(bad) > 0 {
			r.Report(rejectedFinding(s, w.Ref, "container ports that are not valid", bad))
		}
	}
	for _, p := range s.Pods {
		if snapshot.IsTemplatePod(p) || fromCluster(s, p) {
			continue
		}
		if bad := containerPortRejections("spec", &p.Spec); len(bad) > 0 {
			r.Report(rejectedFinding(s, snapshot.Ref(snapshot.KindPod, p), "container ports that are not valid", bad))
		}
	}
}

// containerPortRejections validates the ports of every container of spec
// as the API server does; base is the path of the pod spec in the object.
func containerPortRejections(base string, spec *corev1.PodSpec) []fieldRejection {
	var out []fieldRejection
	for _, c := range specContainers(spec) {
		list := "containers"
		if c.Init {
			list = "initContainers"
		}
		names := map[string]bool{}
		for i, port := range c.Spec.Ports {
			path := fmt.Sprintf("%s.%s[%d].ports[%d]", base, list, c.Index, i)
			if port.Name != "" {
				if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
					out = append(out, invalid(path+".name", port.Name, msgs)...)
				} else if names[port.Name] {
					out = append(out, fieldRejection{Path: path + ".name", Value: port.Name})
				}
				names[port.Name] = true
			}
			out = append(out, invalid(path+".containerPort", port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
			if port.HostPort != 0 {
				out = append(out, invalid(path+".hostPort", port.HostPort, validation.IsValidPortNum(int(port.HostPort)))...)
			}
		}
	}
	return out
}
