package source

import (
	"path/filepath"
	"strings"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// This file knows the directory layouts of cluster captures, for what their
// files do not say themselves:
//
//   - must-gather (`oc adm must-gather`, `oc adm inspect`):
//     namespaces/NS/GROUP/RESOURCE.yaml (a List, or one object),
//     cluster-scoped-resources/GROUP/RESOURCE/NAME.yaml, and container logs
//     at namespaces/NS/pods/POD/CONTAINER/CONTAINER/logs/{current,previous}.log;
//   - sonobuoy results: resources/ns/NS/GROUP_VERSION_RESOURCE.json and
//     resources/cluster/GROUP_VERSION_RESOURCE.json (Lists, or in older
//     releases arrays of objects), podlogs/NS/POD/logs/CONTAINER.txt;
//   - troubleshoot support bundles: cluster-resources/RESOURCE/NS.json and
//     cluster-resources/RESOURCE.json, arrays or Lists whose items older
//     releases wrote without apiVersion and kind, and container logs at
//     cluster-resources/pods/logs/NS/POD/CONTAINER[-previous].log;
//   - `kubectl cluster-info dump --output-directory`: NS/RESOURCE.json
//     (typed Lists) and NS/POD/logs.txt.
//
// The kind of items that name none comes from the resource in the path;
// log files are recorded, not read.

// kindHint is the kind a capture's layout gives the items of a file that
// name none; the zero value gives none.
type kindHint struct{ apiVersion, kind string }

// list is the typed list of the hinted kind, as decodeObject reads the kind
// of kindless items from it.
func (h kindHint) list() (kind, apiVersion string) {
	return h.kind + "List", h.apiVersion
}

// resourceKinds maps the resource names of the kinds hopscope models, and
// the directory names support bundles use for some of them, to their
// current API version and kind.
var resourceKinds = map[string]kindHint{
	"pods":                   {"v1", snapshot.KindPod},
	"services":               {"v1", snapshot.KindService},
	"endpoints":              {"v1", snapshot.KindEndpoints},
	"endpointslices":         {"discovery.k8s.io/v1", snapshot.KindEndpointSlice},
	"ingresses":              {"networking.k8s.io/v1", snapshot.KindIngress},
	"ingress":                {"networking.k8s.io/v1", snapshot.KindIngress},
	"ingressclasses":         {"networking.k8s.io/v1", snapshot.KindIngressClass},
	"networkpolicies":        {"networking.k8s.io/v1", snapshot.KindNetworkPolicy},
	"network-policy":         {"networking.k8s.io/v1", snapshot.KindNetworkPolicy},
	"namespaces":             {"v1", snapshot.KindNamespace},
	"nodes":                  {"v1", snapshot.KindNode},
	"configmaps":             {"v1", snapshot.KindConfigMap},
	"secrets":                {"v1", snapshot.KindSecret},
	"events":                 {"v1", snapshot.KindEvent},
	"deployments":            {"apps/v1", snapshot.KindDeployment},
	"statefulsets":           {"apps/v1", snapshot.KindStatefulSet},
	"daemonsets":             {"apps/v1", snapshot.KindDaemonSet},
	"replicasets":            {"apps/v1", snapshot.KindReplicaSet},
	"replicationcontrollers": {"v1", snapshot.KindReplicationController},
	"jobs":                   {"batch/v1", snapshot.KindJob},
	"cronjobs":               {"batch/v1", snapshot.KindCronJob},
}

// layoutKind is the kind a capture's layout gives the items of the file at
// path: the resource its name spells (pods.json, core_v1_pods.json,
// apps_v1_deployments.json), or for a support bundle's
// cluster-resources/RESOURCE/NS.json the resource of its folder.
func layoutKind(path string) kindHint {
	segs := segments(path)
	name := strings.TrimSuffix(segs[len(segs)-1], filepath.Ext(path))
	if h, ok := resourceKinds[name]; ok {
		return h
	}
	// sonobuoy before 0.11 named the files for the kind's plural
	// (resources/ns/NS/Pods.json, ReplicaSets.json).
	if h, ok := resourceKinds[strings.ToLower(name)]; ok {
		return h
	}
	if h, ok := sonobuoyKind(name); ok {
		return h
	}
	if n := len(segs); n >= 3 && segs[n-3] == "cluster-resources" {
		return resourceKinds[segs[n-2]]
	}
	// Insights archive: config/pod/NS/NAME.json and config/node/NAME.json,
	// one object each without TypeMeta.
	if n := len(segs); n >= 4 && segs[n-4] == "config" && segs[n-3] == "pod" {
		return resourceKinds["pods"]
	}
	if n := len(segs); n >= 3 && segs[n-3] == "config" && segs[n-2] == "node" {
		return resourceKinds["nodes"]
	}
	return kindHint{}
}

// sonobuoyKind reads a sonobuoy file name, GROUP_VERSION_RESOURCE with
// "core" for the core group.
func sonobuoyKind(name string) (kindHint, bool) {
	parts := strings.Split(name, "_")
	if len(parts) != 3 {
		return kindHint{}, false
	}
	h, ok := resourceKinds[parts[2]]
	if !ok {
		return kindHint{}, false
	}
	group, _, _ := strings.Cut(h.apiVersion, "/")
	if !strings.Contains(h.apiVersion, "/") {
		group = "core"
	}
	if parts[0] != group && !(h.kind == snapshot.KindIngress && parts[0] == "extensions") {
		return kindHint{}, false
	}
	h.apiVersion = parts[1]
	if parts[0] != "core" {
		h.apiVersion = parts[0] + "/" + parts[1]
	}
	return h, true
}

// layoutLog recognises a container log file of a capture layout: its path
// matches a layout and names a namespace, pod and container the API server
// would accept.
func layoutLog(path string) (snapshot.ContainerLog, bool) {
	l, ok := layoutLogPath(path)
	if !ok || !isDNS1123Label(l.Namespace) || !isDNS1123Subdomain(l.Pod) || (l.Container != "" && !isDNS1123Label(l.Container)) {
		return snapshot.ContainerLog{}, false
	}
	return l, true
}

func layoutLogPath(path string) (snapshot.ContainerLog, bool) {
	segs := segments(path)
	n := len(segs)
	base := segs[n-1]
	at := func(i int) string {
		if n-i < 0 {
			return ""
		}
		return segs[n-i]
	}
	switch {
	// must-gather: namespaces/NS/pods/POD/CONTAINER/CONTAINER/logs/current.log
	case at(2) == "logs" && at(6) == "pods" && at(8) == "namespaces" && at(3) == at(4) &&
		(strings.HasPrefix(base, "current.") || strings.HasPrefix(base, "previous.")) && strings.HasSuffix(base, ".log"):
		return snapshot.ContainerLog{Namespace: at(7), Pod: at(5), Container: at(3), Previous: strings.HasPrefix(base, "previous."), File: path}, true
	// support bundle: cluster-resources/pods/logs/NS/POD/CONTAINER[-previous].log
	case at(4) == "logs" && at(5) == "pods" && at(6) == "cluster-resources" && strings.HasSuffix(base, ".log"):
		container := strings.TrimSuffix(base, ".log")
		previous := strings.HasSuffix(container, "-previous")
		return snapshot.ContainerLog{Namespace: at(3), Pod: at(2), Container: strings.TrimSuffix(container, "-previous"), Previous: previous, File: path}, true
	// sonobuoy: podlogs/NS/POD/logs/CONTAINER.txt
	case at(2) == "logs" && at(5) == "podlogs" && strings.HasSuffix(base, ".txt"):
		return snapshot.ContainerLog{Namespace: at(4), Pod: at(3), Container: strings.TrimSuffix(base, ".txt"), File: path}, true
	// cluster-info dump: NS/POD/logs.txt, every container's log in one file
	case base == "logs.txt" && n >= 3:
		return snapshot.ContainerLog{Namespace: at(3), Pod: at(2), File: path}, true
	}
	return snapshot.ContainerLog{}, false
}

func segments(path string) []string {
	return strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
}
