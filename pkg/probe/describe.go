package probe

import (
	"bufio"
	"fmt"
	"io"

	"github.com/hopscope/hopscope/pkg/safetext"
)

// Describe writes what --dry-run shows: every request the plan would make,
// the writes apart, the RBAC it needs with the API server's answer to each
// access review (access nil: not reviewed), and what will not be probed.
// Names come from the cluster, so every value passes safetext.
func Describe(w io.Writer, plan Plan, access []Access) error {
	b := bufio.NewWriter(w)
	s := safetext.Sanitize
	reqs := plan.Requests()
	writes := 0
	for _, r := range reqs {
		if r.Write {
			writes++
		}
	}
	fmt.Fprintf(b, "DRY RUN — probe level %d: %d request(s), %d of them write(s); none was sent (only the access reviews below).\n\n", plan.Level, len(reqs), writes)
	fmt.Fprintf(b, "READS\n")
	if writes == len(reqs) {
		fmt.Fprintf(b, "  (none)\n")
	}
	for _, r := range reqs {
		if !r.Write {
			fmt.Fprintf(b, "  %-4s %s\n       %s", r.Method, s(r.Path), s(r.What))
			if r.Needs.Verb != "" {
				fmt.Fprintf(b, " — needs %s", s(r.Needs.String()))
			}
			fmt.Fprintf(b, "\n")
		}
	}
	fmt.Fprintf(b, "\nWRITES\n")
	if writes == 0 {
		fmt.Fprintf(b, "  none: level 0 only reads, through the API server's proxy\n")
	}
	for _, r := range reqs {
		if r.Write {
			fmt.Fprintf(b, "  %-4s %s\n       %s — needs %s\n", r.Method, s(r.Path), s(r.What), s(r.Needs.String()))
		}
	}
	if writes > 0 {
		fmt.Fprintf(b, "       Kubernetes cannot remove an ephemeral container: once it has exited it stays listed in the pod's spec, running nothing, until the pod is replaced.\n")
	}
	fmt.Fprintf(b, "\nRBAC\n")
	allowed := map[Permission]Access{}
	for _, a := range access {
		allowed[a.Permission] = a
	}
	for _, p := range plan.Permissions() {
		a, reviewed := allowed[p]
		switch {
		case !reviewed:
			fmt.Fprintf(b, "  %-11s %s\n", "needed", s(p.String()))
		case a.Allowed:
			fmt.Fprintf(b, "  %-11s %s\n", "allowed", s(p.String()))
		default:
			fmt.Fprintf(b, "  %-11s %s: %s\n", "NOT ALLOWED", s(p.String()), s(a.Reason))
		}
	}
	if len(plan.NotRun) > 0 {
		fmt.Fprintf(b, "\nNOT PROBED\n")
		for _, p := range plan.NotRun {
			fmt.Fprintf(b, "  %s: %s\n", s(p.Path), s(p.Detail))
		}
	}
	return b.Flush()
}
