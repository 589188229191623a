// Package watch keeps a cluster's diagnosis current and publishes it as
// Prometheus metrics: the always-on form of `hopscope diagnose -A`.
//
// A Watcher opens one LIST+WATCH per kind the diagnosis reads (the Gateway
// API kinds where discovery says they are served), through client-go
// shared informers, and trims every object as it arrives (no
// managedFields, no kubectl last-applied annotation) so that the cache holds
// what the checks read and little more. Secrets are watched through the
// metadata API: their data never reaches the process. A kind the
// ServiceAccount may not list, or that the API server does not serve, is
// reported as not checked, exactly as a live scan reports it, and the watch
// goes on retrying it.
//
// After a change the Watcher waits for the cluster to settle (Debounce)
// and diagnoses again, from the informer caches, only the namespaces the
// changes touched (and those whose paths walk through them), unless a
// change reaches beyond its namespace (changes.go); then, and Reconcile
// after a partial diagnosis to check it, the whole cluster. Diagnoses
// read only memory: a steady cluster costs one watch stream per kind, no
// requests and no diagnosis.
//
// Only with EmitEvents does it write: one Kubernetes Event on the
// root-cause object when a path breaks and one when it recovers
// (events.go).
//
// The metrics describe the latest diagnosis only. They are computed at
// scrape time from it, so a finding that is fixed is gone from the next
// scrape after the next diagnosis: no series lingers.
//
//	w, err := watch.New(watch.Options{Config: cfg, Version: "v1.2.3"})
//	if err != nil { ... }
//	go http.ListenAndServe(":8080", w.Handler())
//	err = w.Run(ctx)
package watch
