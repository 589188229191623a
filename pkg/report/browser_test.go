package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hopscope/hopscope/internal/diagnosetest"
	"github.com/hopscope/hopscope/internal/golden"
	"github.com/hopscope/hopscope/internal/testbinary"
	"github.com/hopscope/hopscope/pkg/diagnose/checks"
)

// chromium finds Debian's chromium (or a chromium-browser / google-chrome
// on other systems). The test is skipped only when none is installed and
// HOPSCOPE_REQUIRE_BROWSER is not 1; CI sets it, so CI cannot skip.
func chromium(t *testing.T) string {
	return testbinary.Find(t, "HOPSCOPE_REQUIRE_BROWSER", "Debian: apt-get install -y chromium",
		"chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// runChromium runs one headless chromium with a private profile and every
// background network feature off, so the test touches nothing outside.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// brokenLabPage writes the HTML report of the seed's lab 1 (plus the other
// fixture paths) to a temporary file and returns its file:// URL.
func brokenLabPage(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, render(t, "html", labResult(), labOptions()), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

func TestBrowserRendersBrokenHop(t *testing.T) {
	bin := chromium(t)
	url := brokenLabPage(t)

	dom := string(runChromium(t, bin, "--dump-dom", url))
	// The broken Service hop of lab 1, as the browser parsed it.
	brokenSvc := regexp.MustCompile(`<g class="hop s-broken root" data-status="broken" data-layer="service" data-object="Service/default/api-svc">`)
	if !brokenSvc.MatchString(dom) {
		t.Errorf("DOM has no broken service hop for Service/default/api-svc:\n%s", dom)
	}
	for _, want := range []string{
		`data-status="affected" data-layer="endpoints" data-object="Endpoints/default/api-svc"`,
		`data-status="broken" data-layer="container" data-object="Pod/default/worker-6c9f7d8b5-2xkqp"`,
		"the Service selects app=api but no pod carries that label",
		"ENDPOINTS: &lt;none&gt; for Service api-svc",
		"kubectl get endpoints api-svc -n default",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	// The filter script ran: it shows the form the static page hides.
	if !strings.Contains(dom, `<form id="filters">`) {
		t.Error("the filter form is still hidden: the page's script did not run")
	}

	img, _ := screenshot(t, bin, url)
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
		t.Errorf("screenshot is %dx%d, want 1200x800", b.Dx(), b.Dy())
	}
	red, amber, colours := countColours(img)
	// A hop box is 184x58 px; most of the broken one is solid red.
	if red < 4000 {
		t.Errorf("only %d pixels of the broken colour #c62828: the broken hop is not drawn in the first screen", red)
	}
	if amber < 4000 {
		t.Errorf("only %d pixels of the affected colour #f59e0b", amber)
	}
	if colours < 50 {
		t.Errorf("only %d distinct colours: the screenshot looks blank", colours)
	}
}

// TestBrowserShowsARealIncident renders what the real loader and engine
// say about one incident of the corpus (a liveness probe killing a slow
// app behind an Ingress), checks the browser marks the container as the
// root cause, and keeps that screenshot for the README (-update).
func TestBrowserShowsARealIncident(t *testing.T) {
	bin := chromium(t)
	res := diagnosetest.Files(t, "../../testdata/incidents/liveness-kills-slow-spring-boot/state.yaml")
	path := filepath.Join(t.TempDir(), "incident.html")
	if err := os.WriteFile(path, render(t, "html", res, Options{Checks: checks.All()}), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path
	dom := string(runChromium(t, bin, "--dump-dom", url))
	if !regexp.MustCompile(`class="hop s-broken root" data-status="broken" data-layer="container"`).MatchString(dom) {
		t.Errorf("the container hop is not drawn as the root cause:\n%s", dom)
	}
	img, data := screenshot(t, bin, url)
	if red, amber, _ := countColours(img); red < 4000 || amber < 4000 {
		t.Errorf("broken (%d px) or affected (%d px) hops missing from the first screen", red, amber)
	}
	if golden.Updating() {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", "report.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// countColours counts pixels close to the broken red and the affected amber
// of the page's palette, and how many distinct colours the image has.
func countColours(img image.Image) (red, amber, distinct int) {
	near := func(r, g, b uint32, tr, tg, tb int) bool {
		d := func(a uint32, t int) int {
			x := int(a>>8) - t
			if x < 0 {
				return -x
			}
			return x
		}
		return d(r, tr) <= 12 && d(g, tg) <= 12 && d(b, tb) <= 12
	}
	seen := map[uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|b>>8] = true
			switch {
			case near(r, g, b, 0xc6, 0x28, 0x28):
				red++
			case near(r, g, b, 0xf5, 0x9e, 0x0b):
				amber++
			}
		}
	}
	return red, amber, len(seen)
}

// screenshot takes a 1200x800 screenshot of url and returns it decoded and
// as PNG bytes.
func screenshot(t *testing.T, bin, url string) (image.Image, []byte) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,800", url)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	return img, data
}
