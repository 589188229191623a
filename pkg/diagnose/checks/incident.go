package checks

import "github.com/hopscope/hopscope/pkg/diagnose"

// incidentChecks are checks added for incident families the layer files do
// not cover yet.
var incidentChecks = []*diagnose.Check{}
