package testenv

import (
	"context"
	"embed"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

//go:embed seed/*.yaml
var seedFS embed.FS

// seedFiles are applied in this order.
var seedFiles = []string{"seed/kube-system.yaml", "seed/ingress-nginx.yaml"}

// seed installs what a real cluster has before anyone deploys anything:
// CoreDNS with the kube-dns Service, and an ingress controller with its
// IngressClass. Objects that already exist (a restart on a data directory)
// are left as the user left them. It waits until the controllers settled,
// so a diagnosis right after Start sees the cluster as it will stay.
func (c *Cluster) seed(ctx context.Context) error {
	for _, f := range seedFiles {
		b, err := seedFS.ReadFile(f)
		if err != nil {
			return fmt.Errorf("seed %s: %w", f, err)
		}
		if err := c.applier.createMissing(ctx, b, metav1.NamespaceSystem, seedManager); err != nil {
			return fmt.Errorf("seed %s: %w", f, err)
		}
	}
	return c.WaitSettled(ctx, metav1.NamespaceSystem, "ingress-nginx")
}

// settle bounds every wait on controllers; a healthy lab settles in a
// second or two.
const settle = 60 * time.Second
