package source

import jsoniter "github.com/json-iterator/go"

// fastJSON decodes objects into the typed API structs. json-iterator in
// its encoding/json-compatible mode honours the same struct tags and
// custom unmarshalers (resource.Quantity, IntOrString, metav1.Time) at
// about twice the speed; Kubernetes itself decoded with it for years. On
// any error the loader asks encoding/json again, so that what is accepted
// and how failures read stays the reference behaviour; the comparison
// tests hold the two to the same objects.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary
