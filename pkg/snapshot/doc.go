// Package snapshot holds the typed Kubernetes objects one diagnosis looks at,
// together with the indexes the checks need to answer "which pods does this
// selector pick?" or "which Endpoints belong to this Service?" in time
// proportional to the answer rather than to the size of the cluster.
//
// A Snapshot is filled by a source (files or a live cluster) through Add, then
// frozen with Index; after that it is read-only and safe for concurrent use by
// checks.
//
//	s := snapshot.New()
//	s.Add(svc, snapshot.Origin{File: "app.yaml", Document: 2, Line: 14})
//	s.Index()
//	pods := s.PodsMatching("default", svc.Spec.Selector)
package snapshot
