package snapshot

// MaxSkippedFiles bounds how many skipped files a snapshot names; a
// must-gather can hold thousands of files that are not objects, and a report
// names a few and counts the rest.
const MaxSkippedFiles = 50

// SkippedFile is a file of a scanned directory that the loader did not read
// into objects, and why.
type SkippedFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// SkipFile records a file that was not read into objects.
func (s *Snapshot) SkipFile(path, reason string) {
	s.SkippedFileCount++
	if len(s.SkippedFiles) < MaxSkippedFiles {
		s.SkippedFiles = append(s.SkippedFiles, SkippedFile{Path: path, Reason: reason})
	}
}

// MaxLogTail bounds the part of a container log kept in memory when the log
// was a section of an input stream.
const MaxLogTail = 64 << 10

// ContainerLog is one container's log as a capture holds it: a file of a
// capture directory (must-gather, support bundle, sonobuoy, `kubectl
// cluster-info dump --output-directory`), the tail of a log section of a
// `kubectl cluster-info dump` stream, or the tail a live source fetched
// for a container the diagnosis asked about (pods/log). The check
// container-log-failure reads them for failing containers only.
type ContainerLog struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	// Container is empty when File holds the logs of every container of
	// the pod, each between `==== START logs for container NAME` and
	// `==== END logs for container NAME` lines (cluster-info dump's
	// logs.txt).
	Container string `json:"container,omitempty"`
	// Previous marks the log of the container's previous, terminated
	// instance (`kubectl logs --previous`).
	Previous bool `json:"previous,omitempty"`
	// File is the file that holds the log, when it is a file of its own.
	// It is not read at load time.
	File string `json:"file,omitempty"`
	// Tail is the end of the log, at most MaxLogTail bytes, when the log
	// was a section of a stream; Truncated says that earlier lines were
	// dropped.
	Tail      string `json:"tail,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// Unread says why a live source could not fetch the log ("forbidden:
	// ..."); File and Tail are empty then.
	Unread string `json:"unread,omitempty"`
}
