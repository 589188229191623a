// Package watch keeps a cluster's diagnosis current and publishes it as
// Prometheus metrics: the always-on form of `hopscope diagnose -A`.
//
// A Watcher opens one LIST+WATCH per kind the diagnosis reads, through
// client-go shared informers, and trims every object as it arrives (no
// managedFields, no kubectl last-applied annotation) so that the cache holds
// what the checks read and little more. Secrets are watched through the
// metadata API: their data never reaches the process. A kind the
// ServiceAccount may not list, or that the API server does not serve, is
// reported as not checked, exactly as a live scan reports it, and the watch
// goes on retrying it.
//
// After a change the Watcher waits for the cluster to settle (Debounce),
// rebuilds the snapshot from the informer caches and runs the whole
// diagnosis again. The rebuild and the diagnosis read only memory: a steady
// cluster costs one watch stream per kind and no requests.
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
