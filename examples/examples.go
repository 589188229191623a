// Package examples embeds the article's five broken labs as manifests and
// cluster dumps. They are the input of `hopscope demo` (the README's first
// command) and of the engine's seed-lab tests.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed seed/*.yaml
var files embed.FS

// Example is one embedded input with what it demonstrates.
type Example struct {
	File  string // path inside the embedded tree, e.g. seed/lab1-as-written.yaml
	Title string
}

// Seed lists the broken variants of the article's labs in lab order.
var Seed = []Example{
	{"seed/lab1-as-written.yaml", "Lab 1 — ClusterIP selector mismatch, manifests exactly as the article writes them"},
	{"seed/lab1-cluster.yaml", "Lab 1 — the same fault as a cluster dump holds it (pods Running, ENDPOINTS <none>)"},
	{"seed/lab2-nodeport.yaml", "Lab 2 — NodePort exposure"},
	{"seed/lab3-wrong-port.yaml", "Lab 3 — LoadBalancer unreachable: Service targets a port the app does not listen on"},
	{"seed/lab3-as-written.yaml", "Lab 3 — LoadBalancer in front of pods without a readiness probe"},
	{"seed/lab4-ingress.yaml", "Lab 4 — Ingress 404: backend Service does not exist"},
	{"seed/lab5-coredns-down.yaml", "Lab 5 — DNS failure: CoreDNS scaled to zero (cluster dump)"},
	{"seed/lab5-wrong-namespace.yaml", "Lab 5 — DNS failure: Service called by its short name from another namespace"},
}

// Read returns the content of an embedded example.
func Read(file string) ([]byte, error) { return fs.ReadFile(files, file) }
