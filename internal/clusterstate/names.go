package clusterstate

// NameChars are the characters Kubernetes draws generated name suffixes
// from (k8s.io/apimachinery/pkg/util/rand): no vowels, no confusable
// digits.
const NameChars = "bcdfghjklmnpqrstvwxz2456789"

// NameSuffix is an n-character generated-name suffix whose characters are
// drawn with intn (a random source's Intn), as a controller names the pods
// of a ReplicaSet or the slices of a Service.
func NameSuffix(intn func(int) int, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = NameChars[intn(len(NameChars))]
	}
	return string(b)
}
