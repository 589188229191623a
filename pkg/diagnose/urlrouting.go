// A URL entry point ("hopscope trace https://shop.example.com/api") is the
// Ingress rule path an ingress controller would route it to. Picking it the
// way the controllers do keeps the trace on the path the request really takes.

package diagnose

import (
	"fmt"
	"net/url"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// urlEntry picks the Ingress rule path that would serve a URL, the way
// Ingress controllers resolve it: an exact host beats a wildcard host
// ("*.example.com" covers one label), which beats a rule without host; among
// the paths of the chosen host, an Exact match beats a Prefix match, and the
// longest Prefix wins. Prefix matching is by path element ("/app" matches
// "/app/x", not "/apple"). ImplementationSpecific is treated as Prefix.
func (d *diagnosis) urlEntry(raw string) (entry, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return entry{}, &EntryError{Entry: raw, Why: notAURL}
	}
	host := strings.ToLower(u.Hostname())
	path := u.Path
	if path == "" {
		path = "/"
	}
	type candidate struct {
		en        entry
		hostScore int // 3 exact, 2 wildcard, 1 any host
		exact     bool
		length    int
	}
	var best *candidate
	better := func(c candidate) bool {
		if best == nil {
			return true
		}
		if c.hostScore != best.hostScore {
			return c.hostScore > best.hostScore
		}
		if c.exact != best.exact {
			return c.exact
		}
		return c.length > best.length
	}
	for _, ing := range d.s.Ingresses {
		if !d.inNS(ing.Namespace) {
			continue
		}
		all := ingressEntries(ing)
		n := 0
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			hs := hostScore(rule.Host, host)
			for _, p := range rule.HTTP.Paths {
				en := all[n]
				n++
				if hs == 0 {
					continue
				}
				exact, length, ok := pathMatch(p, path)
				if !ok {
					continue
				}
				c := candidate{en: en, hostScore: hs, exact: exact, length: length}
				if better(c) {
					best = &c
				}
			}
		}
	}
	if best == nil {
		for _, ing := range d.s.Ingresses {
			if d.inNS(ing.Namespace) && ing.Spec.DefaultBackend != nil {
				all := ingressEntries(ing)
				return all[len(all)-1], nil
			}
		}
		return entry{}, &EntryError{Entry: raw, Why: fmt.Sprintf("no Ingress rule serves host %q path %q", host, path)}
	}
	return best.en, nil
}

func hostScore(ruleHost, host string) int {
	switch {
	case ruleHost == "":
		return 1
	case strings.EqualFold(ruleHost, host):
		return 3
	case strings.HasPrefix(ruleHost, "*."):
		suffix := strings.ToLower(ruleHost[1:])
		if strings.HasSuffix(host, suffix) && !strings.Contains(strings.TrimSuffix(host, suffix), ".") && len(host) > len(suffix) {
			return 2
		}
	}
	return 0
}

// pathMatch reports whether an Ingress path serves reqPath, whether it is an
// Exact match, and the length of the matched path for longest-match order.
func pathMatch(p networkingv1.HTTPIngressPath, reqPath string) (exact bool, length int, ok bool) {
	rulePath := p.Path
	if rulePath == "" {
		rulePath = "/"
	}
	if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
		return true, len(rulePath), rulePath == reqPath
	}
	trimmed := strings.TrimSuffix(rulePath, "/")
	if trimmed == "" {
		return false, 1, true
	}
	if reqPath == trimmed || strings.HasPrefix(reqPath, trimmed+"/") {
		return false, len(trimmed), true
	}
	return false, 0, false
}
