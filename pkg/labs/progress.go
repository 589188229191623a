package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateDirEnv overrides where lab progress is kept (tests, shared machines).
const StateDirEnv = "HOPSCOPE_STATE_DIR"

// Progress is what a learner has seen of each lab, kept on their machine
// (not in the cluster) so that hints work without cluster access.
type Progress struct {
	// Hints maps a lab ID to how many of its hints were shown.
	Hints map[string]int `json:"hints"`
}

// ProgressPath is the progress file: $HOPSCOPE_STATE_DIR/labs.json, or
// hopscope/labs.json under the user's configuration directory.
func ProgressPath() (string, error) {
	if dir := os.Getenv(StateDirEnv); dir != "" {
		return filepath.Join(dir, "labs.json"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find a place for lab progress: %w (set %s)", err, StateDirEnv)
	}
	return filepath.Join(dir, "hopscope", "labs.json"), nil
}

// LoadProgress reads the progress file; a missing file is empty progress.
func LoadProgress(path string) (*Progress, error) {
	p := &Progress{Hints: map[string]int{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lab progress %s: %w", path, err)
	}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("read lab progress %s: %w (delete the file to start over)", path, err)
	}
	if p.Hints == nil {
		p.Hints = map[string]int{}
	}
	return p, nil
}

// Save writes the progress file, creating its directory.
func (p *Progress) Save(path string) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save lab progress: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save lab progress: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save lab progress: %w", err)
	}
	return nil
}
