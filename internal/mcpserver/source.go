package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/hopscope/hopscope/pkg/diagnose"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
	"github.com/hopscope/hopscope/pkg/safetext"
	"github.com/hopscope/hopscope/pkg/snapshot"
	"github.com/hopscope/hopscope/pkg/source"
)

// Source is where diagnose and trace read objects. It is read afresh on
// every call: manifests an assistant just helped to edit, or a cluster a
// fix was just applied to, are diagnosed as they are now.
type Source struct {
	// Files are manifests, dumps or directories of them; when empty, the
	// cluster of Kube is read.
	Files []string
	// Kube are the kubectl connection flags of the server's command line.
	Kube *genericclioptions.ConfigFlags
	// Namespace is the default namespace of a call that names none: -n,
	// else the kubeconfig context's. For files it is also where objects
	// without a namespace are placed, as `kubectl apply -n` would.
	Namespace string
	// ExplicitNamespace is true when Namespace came from -n: a call that
	// names no namespace is then scoped to it for files too.
	ExplicitNamespace bool
	// AllNamespaces makes every namespace the default scope (-A).
	AllNamespaces bool
	// Warnings receives the API server's warnings; never the MCP stream.
	Warnings io.Writer
}

// live reports whether the source is a cluster.
func (s Source) live() bool { return len(s.Files) == 0 }

// scope is what one call diagnoses: one namespace, or all of them.
type scope struct {
	// namespace is where named entries are looked up and, unless all is
	// set, the one namespace diagnosed.
	namespace string
	all       bool
	// explicit is true when the call or the server's -n named namespace.
	explicit bool
}

// scopeOf resolves a call's namespace arguments against the server's
// defaults: a call may narrow to a namespace or widen to all of them, as
// `hopscope diagnose -n` and `-A` do.
func (s Source) scopeOf(namespace string, all bool) (scope, error) {
	switch {
	case namespace != "" && all:
		return scope{}, fmt.Errorf("namespace %q and allNamespaces contradict each other: give one", namespace)
	case namespace != "":
		return scope{namespace: namespace, explicit: true}, nil
	case all:
		return scope{namespace: s.defaultNamespace(), all: true}, nil
	case s.AllNamespaces:
		return scope{namespace: s.defaultNamespace(), all: true}, nil
	case s.ExplicitNamespace:
		return scope{namespace: s.Namespace, explicit: true}, nil
	case !s.live():
		// Manifests and dumps are diagnosed whole unless narrowed, as
		// `hopscope diagnose -f` does.
		return scope{namespace: s.defaultNamespace(), all: true}, nil
	}
	return scope{namespace: s.defaultNamespace()}, nil
}

func (s Source) defaultNamespace() string {
	if s.Namespace == "" {
		return "default"
	}
	return s.Namespace
}

// describe names the scope for a reply, so that an assistant never reads
// one namespace's silence as the cluster's health.
func (s Source) describe(sc scope) string {
	where := "namespace " + safetext.Sanitize(sc.namespace)
	if sc.all {
		where = "every namespace"
	}
	if s.live() {
		return where + " of the cluster, read just now"
	}
	// File names reach the reply like any quoted text: through the boundary.
	return where + " of " + safetext.Sanitize(strings.Join(s.Files, ", ")) + ", read just now"
}

// load reads a snapshot of sc; a trace reads only the kinds its paths can
// use. The checks mirror `hopscope diagnose`: an input without objects and
// a namespace the cluster does not have are errors, not a clean result. A
// cluster's scan follows names into other namespaces as the CLI's does;
// logs, when asked for, are read as the CLI reads them (checks.LogsToRead,
// bounded GET pods/log), and only then: a reply to an assistant quotes
// them.
func (s Source) load(ctx context.Context, sc scope, entries []string, logs bool) (*snapshot.Snapshot, error) {
	if !s.live() {
		snap, err := source.Files{Paths: s.Files, DefaultNamespace: s.Namespace}.Load()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", strings.Join(s.Files, ", "), err)
		}
		if snap.ObjectCount() == 0 && snap.SkippedTotal() == 0 {
			return nil, fmt.Errorf("%s: the input holds no Kubernetes objects", strings.Join(s.Files, ", "))
		}
		return snap, nil
	}
	if s.Kube == nil {
		return nil, errors.New("no cluster connection configured: start the server with kubectl flags or -f")
	}
	live := source.Live{Flags: s.Kube, Namespace: sc.namespace, AllNamespaces: sc.all, Warnings: s.Warnings}
	if len(entries) > 0 {
		live.Kinds = source.TraceKinds(entries)
	}
	follow := source.FollowUp{Namespaces: checks.ReferencedNamespaces}
	if logs {
		follow.Logs = checks.LogsToRead
	}
	snap, err := live.LoadAndFollow(ctx, follow)
	if err != nil {
		return nil, fmt.Errorf("read the cluster: %w", err)
	}
	if sc.explicit && !sc.all && snap.Knows(snapshot.KindNamespace, "") && snap.Namespace(sc.namespace) == nil {
		return nil, fmt.Errorf("namespace %q does not exist in this cluster (diagnose with allNamespaces lists what exists)", sc.namespace)
	}
	return snap, nil
}

// options are the engine's options for sc, as `hopscope diagnose` sets
// them: a live scan and a named namespace are diagnosed alone, a whole
// input everywhere.
func (s Source) options(sc scope, entries, skip []string) diagnose.Options {
	opt := diagnose.Options{Entries: entries, Namespace: sc.namespace, Skip: skip}
	if !sc.all && (sc.explicit || s.live()) {
		opt.Namespaces = []string{sc.namespace}
	}
	return opt
}
