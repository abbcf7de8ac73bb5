package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/amiaudit/amiaudit/internal/cli"
	"github.com/amiaudit/amiaudit/snapshot"
)

// updateScreenshot rewrites the screenshots of the example organization's
// report kept in docs/ (go test ./e2e -run TestHTMLReportInChromium -update-screenshot).
var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite docs/report-html*.png from the example organization's report")

// chromium finds Debian's chromium (or another Chrome): the test skips
// without one, except under CI, where scripts/test-deps installs it.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const hint = "no chromium on PATH: install Debian's chromium package (apt-get install chromium, as scripts/test-deps does)"
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}

// browser starts a headless chromium with a fixed window, for the life of the test.
func browser(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("lang", "en-US"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// open loads the page and waits for its script to have run to the end.
func open(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+abs))
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(wait, chromedp.WaitReady(chromedp.CSS(`html[data-ready="true"]`))); err != nil {
		t.Fatalf("the page's script did not finish (a script error?): %v", err)
	}
}

func do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// amiaudit runs the command line in-process, at a pinned time.
func amiaudit(t testing.TB, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := cli.Run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("amiaudit %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// exampleNights writes five nightly evidence bundles of the example
// organization under dir: three AMIs that were public four nights ago are
// fixed one a night, today's public AMI became public today, and a share to
// an outside account was removed today. It returns the bundles' directory.
func exampleNights(t testing.TB, examples, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examples, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	bundles := filepath.Join(dir, "audits")
	for night := range 5 {
		doc, err := snapshot.Decode("examples/snapshot.json", data)
		if err != nil {
			t.Fatal(err)
		}
		back := time.Duration(4-night) * 24 * time.Hour
		doc.CollectedAt = doc.CollectedAt.Add(-back)
		if doc.StartedAt != nil {
			s := doc.StartedAt.Add(-back)
			doc.StartedAt = &s
		}
		// Still public on this night: the first 3-night of these.
		stillPublic := []string{"ami-0a1b2c3d4e5f60005", "ami-0a1b2c3d4e5f60006", "ami-0a1b2c3d4e5f60010"}[:max(0, 3-night)]
		for i := range doc.Images {
			img := &doc.Images[i]
			switch {
			case slices.Contains(stillPublic, img.ID):
				img.Public = true
				img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{Group: "all"})
			case img.ID == "ami-0a1b2c3d4e5f60002" && night < 4:
				img.Public = false
				img.LaunchPermissions = slices.DeleteFunc(img.LaunchPermissions, func(lp snapshot.LaunchPermission) bool { return lp.Group == "all" })
			case img.ID == "ami-0a1b2c3d4e5f60008" && night < 4:
				img.LaunchPermissions = append(img.LaunchPermissions, snapshot.LaunchPermission{UserID: "999988887777"})
			}
		}
		name := doc.CollectedAt.Format("2006-01-02")
		snap := filepath.Join(dir, name+".json.gz")
		f, err := os.Create(snap)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.Encode(f, snap); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		amiaudit(t, "evaluate", snap, "--config", filepath.Join(examples, "amiaudit.yaml"), "--fail-on", "none", "--format", "json",
			"--output", filepath.Join(dir, name+".report.json"), "--evidence", filepath.Join(bundles, name))
	}
	return bundles
}

type jsonReport struct {
	Summary  map[string]int `json:"summary"`
	Findings []struct {
		RuleID      string         `json:"rule_id"`
		Severity    string         `json:"severity"`
		Message     string         `json:"message"`
		Key         string         `json:"key"`
		Evidence    map[string]any `json:"evidence"`
		Remediation string         `json:"remediation"`
		Resource    struct {
			ID, ARN, Account, Region string
		} `json:"resource"`
		Waiver *struct{ Status string } `json:"waiver"`
	} `json:"findings"`
}

func readReport(t testing.TB, path string) jsonReport {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHTMLReportInChromium opens the example organization's HTML report (five
// nights of evidence bundles: today's run, compared with yesterday's, and the
// trend) in a real headless Chromium, and checks through the DOM that the
// counts are the JSON report's, that the filters narrow the table, and that a
// finding opens to its evidence and remediation.
func TestHTMLReportInChromium(t *testing.T) {
	chromium(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1795564800")
	// Relative names, as a user types them: the page names its runs so.
	dir := t.TempDir()
	example, err := filepath.Abs("../examples")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	bundles := exampleNights(t, example, ".")
	dir = "."
	page := filepath.Join(dir, "report.html")
	amiaudit(t, "report", "--trend", bundles, "--output", page, "--fail-on", "none")
	today := readReport(t, filepath.Join(dir, "2026-11-20.report.json"))
	yesterday := readReport(t, filepath.Join(dir, "2026-11-19.report.json"))

	ctx := browser(t, 1440, 1500)
	open(t, ctx, page)
	// reset clears every filter with the page's reset button and waits until
	// the view shows it (no filter left in the URL): the next step must not
	// start from a half-applied state on a loaded machine.
	reset := func(t *testing.T) {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.CSS(`#f-reset`)),
			chromedp.Poll[chromedp.Void](`location.hash === "" && document.getElementById("f-text").value === ""`, chromedp.WithPollingTimeout(20*time.Second)))
	}
	count := func() int {
		t.Helper()
		return eval[int](t, ctx, `+document.getElementById("shown-count").dataset.count`)
	}
	rows := func() []map[string]string {
		t.Helper()
		return eval[[]map[string]string](t, ctx, `Array.from(document.querySelectorAll("#findings-body tr.row")).map(r => ({
			severity: r.dataset.severity, rule: r.querySelector(".rule-id").textContent,
			id: r.querySelector(".res-id").textContent, text: r.querySelector(".msg").textContent}))`)
	}

	t.Run("the page's own style and script pass its Content-Security-Policy", func(t *testing.T) {
		// The script ran (open waited for it); the style applied too.
		if got := eval[string](t, ctx, `getComputedStyle(document.querySelector("header.top")).backgroundColor`); got != "rgb(36, 59, 83)" {
			t.Errorf("header background %s: the inline style was blocked or changed", got)
		}
		if got := eval[string](t, ctx, `document.querySelector('meta[http-equiv="Content-Security-Policy"]').content`); !strings.HasPrefix(got, "default-src 'none'") {
			t.Errorf("policy %q", got)
		}
	})

	t.Run("summary counts are the report's", func(t *testing.T) {
		for _, sev := range []string{"critical", "high", "medium", "low", "info"} {
			got := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('.card[data-severity=%q] .count').textContent`, sev))
			if got != fmt.Sprint(today.Summary[sev]) {
				t.Errorf("%s card shows %s, the JSON report counts %d", sev, got, today.Summary[sev])
			}
		}
		if got := eval[string](t, ctx, `document.getElementById("count-waived").textContent`); got != fmt.Sprint(today.Summary["waived"]) {
			t.Errorf("waived card shows %s, want %d", got, today.Summary["waived"])
		}
		if got := count(); got != len(today.Findings) {
			t.Errorf("the table lists %d findings, want all %d", got, len(today.Findings))
		}
		if got := len(rows()); got != len(today.Findings) {
			t.Errorf("%d rows rendered, want %d (one page)", got, len(today.Findings))
		}
		if got := eval[int](t, ctx, `document.querySelectorAll(".trend-table tbody tr").length`); got != 5 {
			t.Errorf("%d runs in the trend, want 5", got)
		}
	})

	t.Run("baseline marks new and resolved", func(t *testing.T) {
		// A finding is the same across runs when its rule, resource and key
		// are (finding.Compare, as diff matches them): never by its message.
		key := func(rule, arn, k string) string { return rule + "|" + arn + "|" + k }
		old := map[string]bool{}
		for _, f := range yesterday.Findings {
			old[key(f.RuleID, f.Resource.ARN, f.Key)] = true
		}
		now := map[string]bool{}
		wantNew := 0
		for _, f := range today.Findings {
			now[key(f.RuleID, f.Resource.ARN, f.Key)] = true
			if !old[key(f.RuleID, f.Resource.ARN, f.Key)] {
				wantNew++
			}
		}
		wantResolved := 0
		for k := range old {
			if !now[k] {
				wantResolved++
			}
		}
		if wantNew == 0 || wantResolved == 0 {
			t.Fatalf("fixture: want new and resolved findings, got %d and %d", wantNew, wantResolved)
		}
		if got := eval[string](t, ctx, `document.getElementById("count-new").textContent`); got != fmt.Sprint(wantNew) {
			t.Errorf("new = %s, want %d", got, wantNew)
		}
		if got := eval[int](t, ctx, `document.querySelectorAll("#findings-body .tag.new").length`); got != wantNew {
			t.Errorf("%d rows tagged new, want %d", got, wantNew)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`button.change.resolved`)))
		if got := count(); got != wantResolved {
			t.Errorf("resolved filter shows %d, want %d", got, wantResolved)
		}
		for _, r := range rows() {
			if !strings.Contains(r["text"], "resolved") {
				t.Errorf("row %v under the resolved filter is not tagged resolved", r)
			}
		}
		reset(t)
	})

	t.Run("filters narrow the table", func(t *testing.T) {
		// A severity card: the open findings of that severity only.
		do(t, ctx, chromedp.Click(chromedp.CSS(`.card[data-severity="critical"]`)))
		if got := count(); got != today.Summary["critical"] {
			t.Errorf("critical card: %d rows, want %d", got, today.Summary["critical"])
		}
		for _, r := range rows() {
			if r["severity"] != "critical" {
				t.Errorf("critical filter shows %v", r)
			}
		}
		reset(t)
		if got := count(); got != len(today.Findings) {
			t.Fatalf("reset: %d rows, want %d", got, len(today.Findings))
		}

		// Unticking a severity chip drops that severity.
		high := 0
		for _, f := range today.Findings {
			if f.Severity == "high" {
				high++
			}
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`input[name=sev][value=high]`)))
		if got := count(); got != len(today.Findings)-high {
			t.Errorf("without high: %d rows, want %d", got, len(today.Findings)-high)
		}
		reset(t)

		// A bar of the rule chart filters on its rule.
		rule := "AMI-004"
		want := 0
		for _, f := range today.Findings {
			if f.RuleID == rule {
				want++
			}
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`#chart-rule .bar[data-value="`+rule+`"] rect`)))
		if got := count(); got != want || want == 0 {
			t.Errorf("rule bar %s: %d rows, want %d", rule, got, want)
		}
		for _, r := range rows() {
			if r["rule"] != rule {
				t.Errorf("rule filter shows %v", r)
			}
		}
		if got := eval[string](t, ctx, `document.getElementById("f-rule").value`); got != rule {
			t.Errorf("rule select = %q after the bar click, want %s", got, rule)
		}
		reset(t)

		// Text typed in the search box: every finding that names the AMI.
		ami := "ami-0a1b2c3d4e5f60004"
		want = 0
		for _, f := range today.Findings {
			if strings.Contains(strings.ToLower(f.Message+f.Resource.ID+f.Resource.ARN), ami) {
				want++
			}
		}
		// The search box waits for typing to pause before it filters; wait
		// until the filter is applied (it then writes the query into the
		// URL), not for a fixed time a loaded machine may overrun.
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#f-text`), ami),
			chromedp.Poll[chromedp.Void](`location.hash.includes("q=`+ami+`")`, chromedp.WithPollingTimeout(20*time.Second)))
		if got := count(); got != want || want < 2 {
			t.Errorf("search %s: %d rows, want %d", ami, got, want)
		}
		if !strings.Contains(eval[string](t, ctx, `location.hash`), "q="+ami) {
			t.Error("the search is not kept in the URL fragment")
		}
		reset(t)
	})

	t.Run("a finding opens to its evidence and remediation", func(t *testing.T) {
		// The detail row is drawn after the click is handled: wait for it
		// rather than read it at once (a loaded machine loses that race).
		do(t, ctx, chromedp.Click(chromedp.CSS(`#findings-body tr.row:nth-of-type(1) td.msg`)),
			chromedp.Poll[chromedp.Void](`document.querySelector("#findings-body tr.detail pre.evidence") !== null`, chromedp.WithPollingTimeout(20*time.Second)))
		first := today.Findings[0]
		evidenceText := eval[string](t, ctx, `document.querySelector("#findings-body tr.detail pre.evidence").textContent`)
		var evidence map[string]any
		if err := json.Unmarshal([]byte(evidenceText), &evidence); err != nil {
			t.Fatalf("evidence is not the finding's JSON: %v: %q", err, evidenceText)
		}
		wantEvidence, _ := json.Marshal(first.Evidence)
		gotEvidence, _ := json.Marshal(evidence)
		if !bytes.Equal(wantEvidence, gotEvidence) {
			t.Errorf("evidence shown %s, want %s", gotEvidence, wantEvidence)
		}
		if got := eval[string](t, ctx, `document.querySelector("#findings-body tr.detail p.remediation").textContent`); got != first.Remediation {
			t.Errorf("remediation shown %q, want %q", got, first.Remediation)
		}
		if got := eval[string](t, ctx, `document.querySelector("#findings-body tr.row.open .toggle").getAttribute("aria-expanded")`); got != "true" {
			t.Errorf("the open row's toggle says aria-expanded=%s", got)
		}
		// A waived finding shows its waiver.
		do(t, ctx, chromedp.Click(chromedp.CSS(`.card[data-waiver]`)), chromedp.Click(chromedp.CSS(`#findings-body tr.row td.msg`)))
		if got := eval[string](t, ctx, `document.querySelector("#findings-body tr.detail dl.waiver").textContent`); !strings.Contains(got, "Approved by") {
			t.Errorf("waived finding's detail lacks the waiver: %q", got)
		}
		reset(t)
	})

	shoot := func(name string) {
		t.Helper()
		img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil || cfg.Width < 1000 {
			t.Fatalf("screenshot %s: %v (%dx%d)", name, err, cfg.Width, cfg.Height)
		}
		path := filepath.Join(dir, name)
		if *updateScreenshot {
			path = filepath.Join(example, "..", "docs", name)
		}
		if err := os.WriteFile(path, img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("screenshots", func(t *testing.T) {
		// The pointer away from the charts, whose bars it would highlight.
		do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1430, 5), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		shoot("report-html.png")
		// The table, filtered to the new findings, one of them open.
		do(t, ctx, chromedp.Click(chromedp.CSS(`button.change.new`)),
			chromedp.Click(chromedp.CSS(`#findings-body tr.row td.msg`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("findings").scrollIntoView({block: "start"}); window.scrollBy(0, -160)`),
			chromedp.Sleep(300*time.Millisecond))
		shoot("report-html-detail.png")
	})
}

// Finding text is attacker-influenced (AMI names and descriptions): in a real
// browser, markup in it stays text and runs nothing.
func TestHTMLReportHostileTextInChromium(t *testing.T) {
	chromium(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1795564800")
	dir := t.TempDir()
	saved := filepath.Join(dir, "report.json")
	amiaudit(t, "evaluate", "../examples/snapshot.json", "--fail-on", "none", "--output", saved)
	var doc map[string]any
	data, _ := os.ReadFile(saved)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	hostile := `</script><script>window.__pwned=1</script><!-- <img src=x onerror="window.__pwned=2">`
	f := doc["findings"].([]any)[0].(map[string]any)
	f["message"] = "AMI named " + hostile
	f["evidence"] = map[string]any{"name": hostile}
	data, _ = json.Marshal(doc)
	if err := os.WriteFile(saved, data, 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	amiaudit(t, "report", saved, "--output", page, "--fail-on", "none")

	ctx := browser(t, 1200, 900)
	open(t, ctx, page)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#findings-body tr.row td.msg`)), chromedp.Sleep(200*time.Millisecond))
	if got := eval[any](t, ctx, `window.__pwned === undefined ? null : window.__pwned`); got != nil {
		t.Fatalf("markup in a finding ran: window.__pwned = %v", got)
	}
	if got := eval[int](t, ctx, `document.scripts.length`); got != 2 {
		t.Errorf("%d script elements, want 2", got)
	}
	if got := eval[int](t, ctx, `document.querySelectorAll("img, iframe").length`); got != 0 {
		t.Errorf("%d img/iframe elements: finding text became markup", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#findings-body tr.row .msg span").textContent`); got != "AMI named "+hostile {
		t.Errorf("message shown as %q, want the text itself", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#findings-body tr.detail pre.evidence").textContent`); !strings.Contains(got, `window.__pwned=1`) {
		t.Errorf("evidence shown as %q, want the text itself", got)
	}
}

// BenchmarkHTML50kInChromium is a one-off measurement, not a test: how long a
// page of 50,000 findings takes to become interactive in headless Chromium,
// and how long a filter over all of them takes (go test ./e2e -run '^$'
// -bench HTML50kInChromium -benchtime 3x).
func BenchmarkHTML50kInChromium(b *testing.B) {
	chromium(b)
	b.Setenv("SOURCE_DATE_EPOCH", "1795564800")
	dir := b.TempDir()
	saved := filepath.Join(dir, "example.json")
	amiaudit(b, "evaluate", "../examples/snapshot.json", "--config", "../examples/amiaudit.yaml", "--fail-on", "none", "--output", saved)
	data, err := os.ReadFile(saved)
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	base := doc["findings"].([]any)
	var many []any
	for i := range 50000 {
		src := base[i%len(base)].(map[string]any)
		f := map[string]any{}
		for k, v := range src {
			f[k] = v
		}
		res := map[string]any{}
		for k, v := range src["resource"].(map[string]any) {
			res[k] = v
		}
		res["account"] = fmt.Sprintf("%012d", 210000000000+i%400)
		res["arn"] = fmt.Sprintf("%s#%d", res["arn"], i)
		f["resource"] = res
		f["message"] = fmt.Sprintf("%s (copy %d)", src["message"], i)
		many = append(many, f)
	}
	doc["findings"] = many
	data, _ = json.Marshal(doc)
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, data, 0o644); err != nil {
		b.Fatal(err)
	}
	page := filepath.Join(dir, "big.html")
	amiaudit(b, "report", big, "--output", page, "--fail-on", "none")
	fi, err := os.Stat(page)
	if err != nil {
		b.Fatal(err)
	}
	ctx := browser(b, 1440, 1000)
	var load, filter, search time.Duration
	for b.Loop() {
		start := time.Now()
		open(b, ctx, page)
		load = time.Since(start)
		start = time.Now()
		do(b, ctx, chromedp.Click(chromedp.CSS(`.card[data-severity="critical"]`)))
		_ = eval[int](b, ctx, `+document.getElementById("shown-count").dataset.count`)
		filter = time.Since(start)
		do(b, ctx, chromedp.Click(chromedp.CSS(`#f-reset`)))
		start = time.Now()
		// The search box is debounced by 150 ms; that wait is part of what a user sees.
		do(b, ctx, chromedp.SendKeys(chromedp.CSS(`#f-text`), "copy 4999"),
			chromedp.WaitReady(chromedp.CSS(`#shown-count[data-count="11"]`)))
		search = time.Since(start)
	}
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
	b.ReportMetric(float64(filter.Milliseconds()), "filter-ms")
	b.ReportMetric(float64(search.Milliseconds()), "search-ms")
}
