package probe

import (
	"context"
	"fmt"
	"sort"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Permission is one RBAC permission a plan needs.
type Permission struct {
	Verb, Resource, Subresource, Namespace string
}

func (p Permission) String() string {
	r := p.Resource
	if p.Subresource != "" {
		r += "/" + p.Subresource
	}
	return fmt.Sprintf("%s %s in namespace %s", p.Verb, r, p.Namespace)
}

// Request is one API request a plan makes.
type Request struct {
	Method, Path string
	// Write marks the requests that change the cluster.
	Write bool
	// Needs is the permission the request needs.
	Needs Permission
	// What says what the request is for.
	What string
}

// Requests lists every request Run would make, in order: each level-0
// GET, then for each level-1 run its access reviews, the GET of the client
// pod, the write that adds the container and the reads that wait for it.
func (plan Plan) Requests() []Request {
	var out []Request
	for _, p := range plan.Proxies {
		out = append(out, Request{Method: "GET", Path: p.URLPath(), Needs: Permission{"get", p.Resource, "proxy", p.Namespace},
			What: fmt.Sprintf("%s of %s", p.Test, p.Path)})
	}
	for _, run := range plan.Clients {
		podPath := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", run.Client.Namespace, run.Client.Name)
		for _, need := range run.Needs() {
			out = append(out, Request{Method: "POST", Path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
				What: "access review: may I " + need.String() + "? (creates nothing)"})
		}
		out = append(out,
			Request{Method: "GET", Path: podPath, Needs: Permission{"get", "pods", "", run.Client.Namespace}, What: "read the client pod before adding the probe container"},
			Request{Method: "PUT", Path: podPath + "/ephemeralcontainers", Write: true, Needs: Permission{"update", "pods", "ephemeralcontainers", run.Client.Namespace},
				What: "add the probe container: " + run.Describe()},
			Request{Method: "GET", Path: podPath, Needs: Permission{"get", "pods", "", run.Client.Namespace},
				What: "read the pod back until the probe container has terminated, to read its termination message"},
		)
	}
	return out
}

// Permissions lists, once each and sorted, what the plan's requests need.
func (plan Plan) Permissions() []Permission {
	seen := map[Permission]bool{}
	var out []Permission
	for _, r := range plan.Requests() {
		if r.Needs.Verb != "" && !seen[r.Needs] {
			seen[r.Needs] = true
			out = append(out, r.Needs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Needs lists what one level-1 run needs; every one is reviewed before
// the write.
func (run ClientRun) Needs() []Permission {
	ns := run.Client.Namespace
	return []Permission{{"get", "pods", "", ns}, {"update", "pods", "ephemeralcontainers", ns}}
}

// Access is the API server's answer to one access review.
type Access struct {
	Permission
	Allowed bool
	// Reason is the authorizer's reason, or why the review failed.
	Reason string
}

// Review asks the API server, with one SelfSubjectAccessReview each,
// whether the user may do what perms name. A review that cannot be made
// counts as not allowed, with why: nothing is written on a guess.
func Review(ctx context.Context, cs kubernetes.Interface, perms []Permission) []Access {
	out := make([]Access, 0, len(perms))
	for _, p := range perms {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: p.Namespace, Verb: p.Verb, Resource: p.Resource, Subresource: p.Subresource},
		}}
		got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		switch {
		case err != nil:
			out = append(out, Access{Permission: p, Reason: "the access review failed: " + err.Error()})
		case got.Status.Allowed:
			out = append(out, Access{Permission: p, Allowed: true, Reason: got.Status.Reason})
		default:
			why := got.Status.Reason
			if got.Status.EvaluationError != "" {
				why += " (" + got.Status.EvaluationError + ")"
			}
			if why == "" {
				why = "no RBAC rule allows it"
			}
			out = append(out, Access{Permission: p, Reason: why})
		}
	}
	return out
}
