package source

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/hopscope/hopscope/pkg/snapshot"
)

// MaxFollowedNamespaces bounds the namespaces one scan looks into for names
// that point out of it: a namespace whose ConfigMaps name a hundred others
// is diagnosed from the first ones, and the rest are reported not checked.
const MaxFollowedNamespaces = 20

// FollowReferences is the pass of a scoped live diagnosis that follows
// names out of the scanned namespace: for each namespace that env values
// and ConfigMaps name (checks.ReferencedNamespaces) it sends one GET of the
// Namespace, when the scan could not list Namespaces, and one LIST of the
// namespace's Services when it exists, and marks what it learnt in s so
// that the DNS checks judge the names there. Nothing is listed across the
// whole cluster and nothing is written. RBAC: `get namespaces` and `list
// services` in the named namespaces, both optional.
//
// A refused GET or LIST is recorded in s.Forbidden under
// "Namespace/NS" or "Service/NS" ("forbidden: ..."), never an error;
// namespaces beyond MaxFollowedNamespaces are recorded there as not
// followed. Only a failure to reach the API server, or a cancelled context,
// ends the pass with an error. s is indexed again when it changed.
func (l Live) FollowReferences(ctx context.Context, s *snapshot.Snapshot, namespaces []string) error {
	if len(namespaces) == 0 {
		return nil
	}
	sc, cs, err := l.connect()
	if err != nil {
		return err
	}
	var services kindList
	for _, k := range kinds(cs, nil) {
		if k.kind == snapshot.KindService {
			services = k
		}
	}
	var listings []listing
	for i, ns := range namespaces {
		if i >= MaxFollowedNamespaces {
			s.Forbidden[snapshot.KindService+"/"+ns] = fmt.Sprintf("not followed: env values and ConfigMaps name more than %d other namespaces; diagnose namespace %s with -n %s", MaxFollowedNamespaces, ns, ns)
			continue
		}
		exists, err := l.lookUpNamespace(ctx, cs, s, ns)
		if err != nil {
			return fmt.Errorf("get namespace %s from %s: %w", ns, sc.server, err)
		}
		if exists {
			listings = append(listings, listing{kind: services.kind, resource: services.resource, namespace: ns, fetch: services.fetch})
		}
	}
	if err := l.listInto(ctx, sc, s, listings); err != nil {
		return err
	}
	s.Index()
	return nil
}

// lookUpNamespace says whether namespace ns may hold Services. When the
// scan listed Namespaces it holds the answer; otherwise one GET asks, and
// s records that ns was looked up (Listed "Namespace/NS"), with the object
// when it exists. A refused GET leaves the question open: the LIST of
// Services goes ahead.
func (l Live) lookUpNamespace(ctx context.Context, cs kubernetes.Interface, s *snapshot.Snapshot, ns string) (bool, error) {
	if s.Listed[snapshot.KindNamespace] {
		return s.Namespace(ns) != nil, nil
	}
	key := snapshot.KindNamespace + "/" + ns
	obj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case err == nil:
		obj.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(snapshot.KindNamespace))
		if err := s.Add(obj, snapshot.Origin{}); err != nil {
			return false, err
		}
		s.Listed[key] = true
		return true, nil
	case apierrors.IsNotFound(err):
		s.Listed[key] = true
		return false, nil
	case apierrors.IsForbidden(err):
		s.Forbidden[key] = "forbidden: " + APIMessage(err)
		return true, nil
	default:
		return false, err
	}
}
