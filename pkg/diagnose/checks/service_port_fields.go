package checks

// Service ports of a manifest that the API server rejects: no port at all
// on a Service that routes, a port or numeric targetPort outside 1-65535, a
// named targetPort that is not an IANA service name, a port name that is
// not a DNS label or is missing while the Service has several ports, and a
// name or port/protocol used twice. The Service is never created, so its
// name resolves to nothing. Only manifests can carry such ports (see
// container_port_fields.go), and a Service whose controller-written
// Endpoints are in the input is not one; node ports are
// exposure-nodeport-invalid's.

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/snapshot"
)

var servicePortInvalid = &diagnose.Check{
	ID:       "service-port-invalid",
	Layer:    diagnose.LayerService,
	Severity: diagnose.SeverityError,
	Doc:      "A manifest's Service port is missing, out of 1-65535, unnamed or repeated among several, or targets an invalid port number or name: the API server rejects the Service.",
	Run:      runServicePortInvalid,
}

func runServicePortInvalid(s *snapshot.Snapshot, r *diagnose.Reporter) {
	for _, svc := range s.Services {
		// Endpoints of a Service with a selector are written by the
		// endpoints controllers: when the input holds them, the Service
		// exists in a cluster and passed validation, whatever fields its
		// copy in the input lost.
		_, published := serviceAddresses(s, svc.Namespace, svc.Name)
		if fromCluster(s, svc) || published && len(svc.Spec.Selector) > 0 {
			continue
		}
		if bad := servicePortRejections(svc); len(bad) > 0 {
			r.Report(rejectedFinding(s, snapshot.Ref(snapshot.KindService, svc), "Service ports that are not valid", bad))
		}
	}
}

// servicePortRejections validates a Service's ports as the API server does
// after defaulting (an unset targetPort takes the port's number).
func servicePortRejections(svc *corev1.Service) []fieldRejection {
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	if len(svc.Spec.Ports) == 0 {
		if headless || svc.Spec.Type == corev1.ServiceTypeExternalName {
			return nil
		}
		return []fieldRejection{{Path: "spec.ports", Why: "a Service that is not headless or ExternalName needs at least one port"}}
	}
	var out []fieldRejection
	names := map[string]bool{}
	ports := map[string]bool{}
	several := len(svc.Spec.Ports) > 1
	for i, sp := range svc.Spec.Ports {
		path := fmt.Sprintf("spec.ports[%d]", i)
		switch {
		case sp.Name == "" && several:
			out = append(out, fieldRejection{Path: path + ".name", Why: "every port of a Service with several ports needs a name"})
		case sp.Name != "":
			if msgs := validation.IsDNS1123Label(sp.Name); len(msgs) > 0 {
				out = append(out, invalid(path+".name", sp.Name, msgs)...)
			} else if names[sp.Name] {
				out = append(out, fieldRejection{Path: path + ".name", Value: sp.Name})
			}
			names[sp.Name] = true
		}
		if msgs := validation.IsValidPortNum(int(sp.Port)); len(msgs) > 0 {
			out = append(out, invalid(path+".port", sp.Port, msgs)...)
		} else if key := fmt.Sprintf("%d/%s", sp.Port, snapshot.ProtocolOrTCP(sp.Protocol)); ports[key] {
			out = append(out, fieldRejection{Path: path, Value: key})
		} else {
			ports[key] = true
		}
		switch tp := sp.TargetPort; {
		case tp.Type == intstr.String && tp.StrVal != "":
			out = append(out, invalid(path+".targetPort", tp.StrVal, validation.IsValidPortName(tp.StrVal))...)
		case tp.Type == intstr.Int && tp.IntVal != 0:
			out = append(out, invalid(path+".targetPort", tp.IntVal, validation.IsValidPortNum(int(tp.IntVal)))...)
		}
	}
	return out
}
