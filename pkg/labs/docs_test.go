package labs

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hopscope/hopscope/internal/golden"
)

// TestDocsUpToDate keeps docs/labs.md generated from the catalog: change a
// lab, then run `go test ./pkg/labs -run TestDocsUpToDate -update`.
func TestDocsUpToDate(t *testing.T) {
	all := loadCatalog(t)
	var b bytes.Buffer
	writeDocs(&b, all)
	golden.Check(t, "../../docs/labs.md", b.Bytes(), "go test ./pkg/labs -run TestDocsUpToDate -update")
}

func writeDocs(b *bytes.Buffer, all []*Lab) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Labs\n\n")
	p("<!-- Generated from pkg/labs/catalog by `go test ./pkg/labs -run TestDocsUpToDate -update`; edit the catalog, not this file. -->\n\n")
	p("Each lab breaks a small app the way real incidents do, in its own namespace `hopscope-lab-<ID>`.\n")
	p("Find the fault walking the layers (Ingress or Gateway → route, then Service → Endpoints → Pod → Container), fix it with\n")
	p("kubectl, and let hopscope tell you whether the whole path is healthy again.\n\n")
	p("```sh\n")
	p("hopscope lab list                # the catalog\n")
	p("hopscope lab start 1             # server-side apply the broken app into hopscope-lab-1\n")
	p("hopscope lab hint 1              # the next hint, a little more each time (--level N for one)\n")
	p("hopscope lab check 1             # PASS, or the layer that is still broken (--explain for the full diagnosis)\n")
	p("hopscope lab solution 1          # root cause, fix, verify, interview answer (--apply repairs the lab)\n")
	p("hopscope lab reset 1             # delete the lab's namespace and wait until it is gone\n")
	p("```\n\n")
	p("Labs run on any cluster your kubeconfig points at, or on hopscope's local practice cluster (`hopscope lab up`).\n")
	p("`lab start` only writes into namespaces it created and labelled `%s=%s`; it refuses any other.\n", ManagedByLabel, ManagedByValue)
	p("A cluster-wide lab (it breaks something in kube-system) runs only on the local cluster, which carries the\n")
	p("ConfigMap `%s/%s`, unless you pass `--i-know-this-breaks-cluster-dns`; `lab reset` restores what it broke.\n\n", LocalClusterMarkerNamespace, LocalClusterMarkerName)
	p("On the local cluster no container really runs: a kubelet stand-in writes the pod status a real node would\n")
	p("report (a readiness probe naming a port the container does not declare never succeeds; the pod annotation\n")
	p("`hopscope.dev/simulate: crashloop` reports a crash loop). The diagnosis reads that state like any other.\n\n")
	p("The Gateway API labs (layers `gateway` and `route`) need the Gateway API's CRDs and the GatewayClass `%s`,\n", LabGatewayClass)
	p("which are cluster-scoped, so a lab never creates them: the local cluster installs the %s standard-channel CRDs\n", GatewayAPIRelease)
	p("and the class at `lab up`. On another cluster `lab start` names what is missing and exits 2 (install the CRDs with\n")
	p("`%s`, and create the class for your implementation). No Gateway API\n", GatewayAPIInstallCmd)
	p("controller runs on the local cluster: Gateways get no address and nothing writes status, so `kubectl describe`\n")
	p("shows no conditions and `%s` is reported on every Gateway. These labs are judged from the spec, as\n", controllerUnavailable)
	p("a controller would judge it; that finding is shown as a note and never keeps a lab unsolved.\n\n")
	p("| ID | Title | Difficulty | Seed lab | Runs in | Root-cause check | Seen offline |\n")
	p("|---|---|---|---|---|---|---|\n")
	for _, l := range all {
		seed, where, offline := "", l.Namespace(), "yes"
		if l.SeedLab > 0 {
			seed = fmt.Sprint(l.SeedLab)
		}
		if l.ClusterWide {
			where = "whole cluster"
		}
		if !l.Offline {
			offline = "no"
		}
		p("| [%s](#lab-%s) | %s | %s | %s | %s | `%s` | %s |\n", l.ID, l.ID, mdCell(l.Title), l.Difficulty, seed, where, l.Expect.Reported(), offline)
	}
	p("\n\"Seed lab\" is the lab of the article hopscope grows from that the scenario comes from. \"Seen offline\" says\n")
	p("whether `hopscope diagnose -f` on the broken manifests alone already names the root cause; the others need\n")
	p("the state of a cluster. It is judged on the lab's objects placed as `lab start` places them: a lab with a\n")
	p("second namespace keeps that namespace's manifests in a subfolder of `broken/` without a namespace, so\n")
	p("`diagnose -f broken/` alone reads them into the default namespace and reports the other as not checked.\n\n")
	p("Some faults show in no declared state at all, only in what the cluster does: an app bound to 127.0.0.1, plain\n")
	p("HTTP spoken to a port that serves only TLS, a dependency's name that does not resolve. For those labs (%s)\n", needsList(all))
	p("`lab check` also reads, and only reads: the bounded logs of failing containers (`needs: logs`, GET pods/log) and\n")
	p("level-0 probes of every path in the lab (`needs: probe`, GET through the API server's pods/proxy and\n")
	p("services/proxy; see docs/probes.md). Their manifests misbehave for real on any cluster (busybox's httpd bound\n")
	p("to 127.0.0.1, nginx serving only TLS, a script that exits when its lookup fails). On the local cluster, where no\n")
	p("container runs, the kubelet stand-in plays the same app from the pod annotations `hopscope.dev/app` (how it\n")
	p("listens: 127.0.0.1 only, TLS, ...) and `hopscope.dev/logs` (the lines it prints), which a real kubelet ignores;\n")
	p("each such lab's solution says which is which.\n\n")
	p("A NetworkPolicy lab whose state allows traffic while a probe shows it blocked is out of reach here: the local\n")
	p("cluster's stand-in does not enforce NetworkPolicy (pods get no network namespaces and no CNI runs), so a\n")
	p("policy can never block a probe there. The NetworkPolicy labs (12, 13) are judged from the policies as written.\n")
	for _, l := range all {
		p("\n## Lab %s\n\n### %s\n\n", l.ID, l.Title)
		p("%s · namespace `%s`", l.Difficulty, strings.Join(l.Namespaces(), "`, `"))
		if l.SeedLab > 0 {
			p(" · from the seed article's lab %d", l.SeedLab)
		}
		p("\n\n")
		if len(l.Needs) > 0 {
			p("> **Shows only in the cluster's behaviour.** `lab check` also %s. The fault shows on any cluster;\n", l.NeedsText())
			p("> on the local cluster the kubelet stand-in plays it (the solution says how).\n\n")
		}
		if l.ClusterWide {
			p("> **Cluster-wide.** This lab breaks `%s/%s` for every namespace.\n\n", l.ClusterBreak.ScaleDeployment.Namespace, l.ClusterBreak.ScaleDeployment.Name)
		}
		p("%s\n\n**What people see**\n\n", strings.TrimSpace(l.Scenario))
		for _, s := range l.Symptoms {
			p("- %s\n", s)
		}
		p("\n**Observe**\n\n```sh\n%s\n```\n\n", strings.Join(l.Observe, "\n"))
		p("<details><summary>Hints</summary>\n\n")
		for i, h := range l.Hints {
			p("%d. %s\n", i+1, h)
		}
		p("\n</details>\n\n<details><summary>Solution</summary>\n\n")
		p("%s\n\n", strings.TrimSpace(l.Solution))
		if l.Expect.Probe != "" {
			p("hopscope's level-0 probe `%s` is %s on %s `%s` (or one of its pods), where the declared state says it answers", l.Expect.Probe, l.Expect.Outcome, l.Expect.Kind, l.Expect.Name)
		} else {
			p("hopscope reports `%s` on %s `%s`", l.Expect.Check, l.Expect.Kind, l.Expect.Name)
		}
		if l.Expect.Namespace != "" {
			p(" in `%s`", l.Expect.Namespace)
		}
		p(".\n\nFix:\n\n```sh\n%s\n```\n\nVerify:\n\n```sh\n%s\n```\n", strings.Join(l.FixSteps, "\n"), l.Verify)
		if len(l.Fix) > 0 {
			var files []string
			for _, m := range l.Fix {
				files = append(files, "`"+m.Path+"`")
			}
			p("\nThe fixed manifests (%s) are what `hopscope lab solution %s --apply` applies.\n", strings.Join(files, ", "), l.ID)
		}
		for _, t := range l.Tolerate {
			p("\n`%s` is not held against this lab: %s.\n", t.Check, t.Why)
		}
		if l.Source != "" {
			p("\nModelled on %s.\n", l.Source)
		}
		if l.Simulated != "" {
			p("\n%s\n", strings.TrimSpace(l.Simulated))
		}
		p("\n</details>\n\n**Interview question:** %s\n\n<details><summary>Answer</summary>\n\n%s\n\n</details>\n",
			l.Interview.Question, strings.TrimSpace(l.Interview.Answer))
		docList(p, "When to use", l.WhenToUse)
		docList(p, "Pros", l.Pros)
		docList(p, "Cons", l.Cons)
	}
}

// needsList names the labs that need logs or probes: "24, 25 and 26".
func needsList(all []*Lab) string {
	var ids []string
	for _, l := range all {
		if len(l.Needs) > 0 {
			ids = append(ids, l.ID)
		}
	}
	if len(ids) < 2 {
		return strings.Join(ids, "")
	}
	return strings.Join(ids[:len(ids)-1], ", ") + " and " + ids[len(ids)-1]
}

func docList(p func(string, ...any), title string, items []string) {
	if len(items) == 0 {
		return
	}
	p("\n**%s**\n\n", title)
	for _, it := range items {
		p("- %s\n", it)
	}
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
