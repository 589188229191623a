package testenv

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"io"

	"github.com/hopscope/hopscope/pkg/labs"
)

// The local cluster serves the Gateway API as a cluster does once its
// standard-channel CRDs are installed, and nothing more: no Gateway API
// controller runs, so Gateways get no address and nothing writes status
// beyond the defaults the CRDs give (a GatewayClass stays Accepted Unknown,
// "Waiting for controller"). The Gateway labs are judged from their spec.
//
// The CRDs are the release the root module decodes with
// (labs.GatewayAPIRelease), embedded so that hopscope-lab needs no network
// and no module cache at run time. They are the upstream files unchanged,
// concatenated and gzipped; TestGatewayAPICRDsAreTheRelease holds them to
// the module's copy, and its -update flag writes them again.

// GatewayAPICRDsFile is the embedded bundle, relative to this package.
const GatewayAPICRDsFile = "seed/gateway-api-standard-crds.yaml.gz"

//go:embed seed/gateway-api-standard-crds.yaml.gz
var gatewayAPICRDs []byte

// gatewayAPIServed are the resources the labs use; the install waits until
// discovery lists them all.
var gatewayAPIServed = map[string][]string{
	labs.GatewayAPIGroup + "/v1":      {"gatewayclasses", "gateways", "httproutes", "referencegrants", "backendtlspolicies"},
	labs.GatewayAPIGroup + "/v1beta1": {"referencegrants"},
}

// labGatewayClass is the class every lab Gateway names. A lab never
// creates a cluster-scoped object, so the cluster brings it; its controller
// name is one no controller serves.
var labGatewayClass = fmt.Sprintf(`apiVersion: %s/v1
kind: GatewayClass
metadata:
  name: %s
  annotations:
    hopscope.dev/purpose: "the GatewayClass of hopscope's Gateway API labs; no controller serves it on the local cluster"
spec:
  controllerName: %s
`, labs.GatewayAPIGroup, labs.LabGatewayClass, labs.LabGatewayController)

// GatewayAPICRDs returns the embedded standard-channel CRDs as one
// multi-document YAML manifest.
func GatewayAPICRDs() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gatewayAPICRDs))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", GatewayAPICRDsFile, err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", GatewayAPICRDsFile, err)
	}
	return b, nil
}

// InstallGatewayAPI applies the standard-channel CRDs (server-side, so a
// restart on a data directory upgrades them to the release built in), waits
// until the API server serves the kinds the labs use, and creates the lab
// GatewayClass unless it exists. Calling it again changes nothing.
func (c *Cluster) InstallGatewayAPI(ctx context.Context) error {
	crds, err := GatewayAPICRDs()
	if err != nil {
		return err
	}
	if err := c.applier.applyAll(ctx, crds, "", seedManager); err != nil {
		return fmt.Errorf("install the Gateway API CRDs: %w", err)
	}
	for gv, resources := range gatewayAPIServed {
		err := waitFor(ctx, settle, "the API server to serve "+gv, func(context.Context) (bool, error) {
			list, err := c.Client.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				return false, err
			}
			served := map[string]bool{}
			for _, r := range list.APIResources {
				served[r.Name] = true
			}
			for _, r := range resources {
				if !served[r] {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("install the Gateway API CRDs: %w", err)
		}
	}
	if err := c.applier.createMissing(ctx, []byte(labGatewayClass), "", seedManager); err != nil {
		return fmt.Errorf("create GatewayClass %s: %w", labs.LabGatewayClass, err)
	}
	return nil
}
