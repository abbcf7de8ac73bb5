package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

func renderHTML(t testing.TB, opts Options, r *finding.Report) []byte {
	t.Helper()
	return render(t, FormatHTML, opts, r)
}

var dataElement = regexp.MustCompile(`(?s)<script type="application/json" id="amiaudit-data">(.*?)</script>`)

// decodePayload reads the findings back out of the page, as its script does.
func decodePayload(t *testing.T, page []byte) htmlPayload {
	t.Helper()
	m := dataElement.FindSubmatch(page)
	if m == nil {
		t.Fatal("no #amiaudit-data script element in the page")
	}
	var p htmlPayload
	if err := json.Unmarshal(m[1], &p); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	return p
}

// baselineReport is last night's run of the fixture: the public AMI was not
// there yet, and a snapshot share since removed was.
func baselineReport() *Baseline {
	var old []finding.Finding
	for _, f := range testReport().Findings {
		if f.RuleID != "AMI-001" {
			old = append(old, f)
		}
	}
	old = append(old, finding.Finding{
		RuleID: "SNAP-002", Severity: finding.High, Title: "Snapshot shared with an untrusted account",
		Message: "Snapshot snap-0fedcba9876543210 can be restored by account 999988887777, which is not trusted.",
		Resource: finding.Resource{Type: "snapshot", ID: "snap-0fedcba9876543210", ARN: "arn:aws:ec2:eu-west-1::snapshot/snap-0fedcba9876543210",
			Account: accountB, Region: region2},
		Remediation: "Remove the permission.",
	})
	return &Baseline{Name: "reports/2026-11-21.json", CollectedAt: collectedAt.Add(-24 * time.Hour), Findings: old}
}

func trendPoints() []TrendPoint {
	// Deliberately out of order: the chart orders runs by collection time.
	return []TrendPoint{
		{Name: "audits/2026-11-22", CollectedAt: collectedAt, Summary: testReport().Summary},
		{Name: "audits/2026-11-20", CollectedAt: collectedAt.Add(-48 * time.Hour), Summary: finding.Summary{Critical: 4, High: 6, Medium: 2, Low: 3, Info: 1}},
		{Name: "audits/2026-11-21", CollectedAt: collectedAt.Add(-24 * time.Hour), Summary: finding.Summary{Critical: 1, High: 3, Medium: 1, Low: 1, Info: 1, Waived: 1}},
	}
}

func TestHTMLGolden(t *testing.T) {
	tests := []struct {
		golden string
		opts   Options
		report func() *finding.Report
	}{
		{"report.html.golden", Options{}, testReport},
		{"report-baseline-trend.html.golden", Options{Baseline: baselineReport(), Trend: trendPoints()}, testReport},
		{"empty.html.golden", Options{}, emptyReport},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, "go test ./report -run TestHTMLGolden", func() []byte { return renderHTML(t, tt.opts, tt.report()) })
		})
	}
}

// The page opens from disk with no network: nothing in it may load a
// resource. Links in the evidence are created as <a> by the script on demand
// and are not fetches.
func TestHTMLSelfContained(t *testing.T) {
	page := string(renderHTML(t, Options{Baseline: baselineReport(), Trend: trendPoints()}, testReport()))
	for _, bad := range []string{"<link", " src=", "@import", "url(", "fetch(", "XMLHttpRequest", "<iframe", "<img", "http://"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q: it must load nothing", bad)
		}
	}
	// The only https:// strings are the rules' references, inside the JSON payload.
	outside := dataElement.ReplaceAllString(page, "")
	if strings.Contains(outside, "https://") {
		t.Error("an https:// URL appears outside the data payload")
	}
	// The browser enforces it too: a Content-Security-Policy that allows no
	// source but the page's own script and style, named by their hashes.
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	policy := html.UnescapeString(csp[1])
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if script == nil || style == nil {
		t.Fatal("no inline script or style")
	}
	for _, want := range []string{"default-src 'none'", "script-src '" + cspHash([]byte(script[1])) + "'", "style-src '" + cspHash([]byte(style[1])) + "'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("the policy %q lacks %q", policy, want)
		}
	}
	if regexp.MustCompile(`\son[a-z]+=`).MatchString(outside) || strings.Contains(page, " style=") {
		t.Error("an inline event handler or style attribute, which the policy would block")
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Error("the page lacks its doctype")
	}
}

// Finding text is attacker-influenced: an AMI name can hold markup. None of it
// may close the data element, open a comment, or reach the page as markup.
func TestHTMLEscapesUntrustedText(t *testing.T) {
	hostile := `</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> & "quotes" ` + "\u2028"
	r := testReport()
	r.Findings[0].Message = "AMI named " + hostile
	r.Findings[0].Evidence = map[string]any{"image": map[string]any{"name": hostile, "</script>": hostile}}
	r.Findings[0].Resource.Account = hostile
	r.Findings[0].Resource.Region = "<b>region</b>"
	r.Findings[0].RuleID = `AMI-001"><svg onload=alert(3)>`
	page := renderHTML(t, Options{Baseline: &Baseline{Name: hostile}, Trend: []TrendPoint{{Name: hostile, CollectedAt: collectedAt}}}, r)

	if n := bytes.Count(page, []byte("</script")); n != 2 {
		t.Errorf("%d </script in the page, want 2 (the data element's and the script's own)", n)
	}
	for _, bad := range []string{"<!--", "<img", "<script>alert", "<svg onload", "<b>region"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	p := decodePayload(t, page)
	if got := p.Findings[0].Message; got != "AMI named "+hostile {
		t.Errorf("message did not survive the round trip: %q", got)
	}
	if got := p.Findings[0].Account; got != hostile {
		t.Errorf("account did not survive the round trip: %q", got)
	}
	// The script never hands data to innerHTML, insertAdjacentHTML or document.write.
	js, err := htmlAssets.ReadFile("html/report.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, sink := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if bytes.Contains(js, []byte(sink)) {
			t.Errorf("report.js uses %s", sink)
		}
	}
}

func TestHTMLPayload(t *testing.T) {
	r := testReport()
	p := decodePayload(t, renderHTML(t, Options{}, r))
	if len(p.Findings) != len(r.Findings) {
		t.Fatalf("%d findings in the payload, want %d", len(p.Findings), len(r.Findings))
	}
	for i, f := range p.Findings {
		want := r.Findings[i]
		if f.Rule != want.RuleID || f.ARN != want.Resource.ARN || f.Message != want.Message || f.Severity != want.Severity || f.Change != "" {
			t.Errorf("finding %d = %+v, want the report's %s on %s in report order, no change mark", i, f, want.RuleID, want.Resource.ARN)
		}
		rule := p.Rules[f.Rule]
		if title := f.Title; title == "" && rule.Title != want.Title || title != "" && title != want.Title {
			t.Errorf("finding %d: title %q (rule %q), want %q", i, f.Title, rule.Title, want.Title)
		}
		if rem := f.Remediation; rem == "" && rule.Remediation != want.Remediation || rem != "" && rem != want.Remediation {
			t.Errorf("finding %d: remediation %q (rule %q), want %q", i, f.Remediation, rule.Remediation, want.Remediation)
		}
		if (f.Waiver == nil) != (want.Waiver == nil) {
			t.Errorf("finding %d: waiver %+v, want %+v", i, f.Waiver, want.Waiver)
		}
	}
	if refs := p.Rules["AMI-001"].References; len(refs) != 2 {
		t.Errorf("AMI-001 references = %v, want the rule's two", refs)
	}

	// A report read back from JSON has no rule metadata: titles still reach the page.
	r.Rules = nil
	p = decodePayload(t, renderHTML(t, Options{}, r))
	if got := p.Rules["KMS-003"].Title; got != "Key backing AMIs is unusable" {
		t.Errorf("rule title from the findings = %q", got)
	}
}

// The page's new / resolved marks are finding.Compare's, the diff command's matcher.
func TestHTMLBaseline(t *testing.T) {
	r := testReport()
	b := baselineReport()
	d := finding.Compare(b.Findings, r.Findings)
	page := renderHTML(t, Options{Baseline: b}, r)
	p := decodePayload(t, page)
	counts := map[string]int{}
	for _, f := range p.Findings {
		counts[f.Change]++
	}
	if counts["new"] != d.Summary.New || counts["resolved"] != d.Summary.Resolved || counts["unchanged"] != d.Summary.Unchanged || counts[""] != 0 {
		t.Errorf("change marks %v, want %+v", counts, d.Summary)
	}
	if counts["new"] != 1 || counts["resolved"] != 1 {
		t.Fatalf("fixture: want 1 new and 1 resolved, got %v", counts)
	}
	for _, f := range p.Findings {
		switch f.Change {
		case "new":
			if f.Rule != "AMI-001" {
				t.Errorf("new finding is %s, want AMI-001", f.Rule)
			}
		case "resolved":
			if f.ID != "snap-0fedcba9876543210" {
				t.Errorf("resolved finding is %s, want the removed snapshot share", f.ID)
			}
		}
	}
	for _, want := range []string{
		`<strong>reports/2026-11-21.json</strong> (collected 2026-11-21 02:00 UTC)`,
		`<span id="count-new">1</span> new`,
		`<span id="count-resolved">1</span> resolved`,
		`<option value="resolved">resolved</option>`,
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if plain := renderHTML(t, Options{}, r); bytes.Contains(plain, []byte(`id="f-change"`)) || bytes.Contains(plain, []byte(`count-new`)) {
		t.Error("without a baseline the page offers a change filter")
	}
}

func TestHTMLSummaryCounts(t *testing.T) {
	r := testReport()
	page := string(renderHTML(t, Options{}, r))
	s := finding.Summarize(r.Findings)
	for sev, n := range map[string]int{"critical": s.Critical, "high": s.High, "medium": s.Medium, "low": s.Low, "info": s.Info} {
		want := fmt.Sprintf(`data-severity="%s" title="Show only the open %s findings">
    <span class="count">%d</span>`, sev, sev, n)
		if !strings.Contains(page, want) {
			t.Errorf("no %s card counting %d", sev, n)
		}
	}
	if want := fmt.Sprintf(`<span class="count" id="count-waived">%d</span>`, s.Waived); !strings.Contains(page, want) {
		t.Errorf("no waived card counting %d", s.Waived)
	}
	if !strings.Contains(page, "1 expired waiver no longer applies") {
		t.Error("the expired waiver is not called out")
	}
	for _, want := range []string{r.Snapshot.SHA256, r.PolicyDigest, "2026-11-22 02:00 UTC", "2026-11-22 02:15 UTC"} {
		if !strings.Contains(page, want) {
			t.Errorf("the header lacks %s", want)
		}
	}
}

var barValue = regexp.MustCompile(`<g class="bar" data-key="([a-z]+)" data-value="([^"]*)"`)

func TestHTMLCharts(t *testing.T) {
	r := testReport()
	page := renderHTML(t, Options{}, r)
	bars := map[string][]string{}
	for _, m := range barValue.FindAllSubmatch(page, -1) {
		bars[string(m[1])] = append(bars[string(m[1])], string(m[2]))
	}
	rulesSeen := map[string]bool{}
	for _, f := range r.Findings {
		rulesSeen[f.RuleID] = true
	}
	if len(bars["rule"]) != len(rulesSeen) || len(bars["account"]) != 2 || len(bars["region"]) != 2 {
		t.Errorf("bars = %v, want one per rule (%d), account (2) and region (2)", bars, len(rulesSeen))
	}
	// Most severe first: a rule with a critical finding before any high one.
	if first := bars["rule"][0]; first != "AMI-001" && first != "AMI-007" {
		t.Errorf("first rule bar = %s, want a critical rule", first)
	}

	// An organization of many accounts: the 15 worst and one bar for the rest.
	many := testReport()
	many.Findings = nil
	for i := range 40 {
		f := testFindings()[0]
		f.Resource.Account = fmt.Sprintf("%012d", 100000000000+i)
		if i == 39 {
			f.Severity = finding.Critical
		}
		many.Findings = append(many.Findings, f)
	}
	finding.Sort(many.Findings)
	page = renderHTML(t, Options{}, many)
	accounts := 0
	for _, m := range barValue.FindAllSubmatch(page, -1) {
		if string(m[1]) == "account" {
			if accounts == 0 && string(m[2]) != "100000000039" {
				t.Errorf("first account bar = %s, want the one with the critical finding", m[2])
			}
			accounts++
		}
	}
	if accounts != maxBars {
		t.Errorf("%d account bars, want %d", accounts, maxBars)
	}
	if !bytes.Contains(page, []byte("25 more grouped as \u201cothers\u201d")) || !bytes.Contains(page, []byte(">others</text>")) {
		t.Error("the accounts beyond the 15th are not grouped as others")
	}
	// "others" (25 findings) is squeezed to the width of a full bar; the named
	// bars (1 finding each) keep theirs.
	others := regexp.MustCompile(`<g class="bar"><title>others: 25 low</title>.*?</g>`).Find(page)
	if others == nil {
		t.Fatalf("no others bar titled with its counts")
	}
	width := 0.0
	for _, m := range regexp.MustCompile(`width="([0-9.]+)"`).FindAllSubmatch(others, -1) {
		var w float64
		fmt.Sscan(string(m[1]), &w)
		width += w
	}
	if full := float64(chartWidth - labelWidth - countWidth); width < full-0.5 || width > full+0.5 {
		t.Errorf("others bar is %.1f wide, want the full %.0f", width, full)
	}
}

func TestHTMLTrend(t *testing.T) {
	page := string(renderHTML(t, Options{Trend: trendPoints()}, testReport()))
	if !strings.Contains(page, "Open findings by severity over time") {
		t.Fatal("no trend panel")
	}
	// Rows in collection order, whatever order the points came in.
	i20 := strings.Index(page, "<td>audits/2026-11-20</td>")
	i21 := strings.Index(page, "<td>audits/2026-11-21</td>")
	i22 := strings.Index(page, "<td>audits/2026-11-22</td>")
	if i20 < 0 || i21 < 0 || i22 < 0 || i20 > i21 || i21 > i22 {
		t.Errorf("trend rows not in time order: %d %d %d", i20, i21, i22)
	}
	if n := strings.Count(page, `<path class="line sev-`); n != 6 {
		t.Errorf("%d trend lines, want 6 (five severities and waived)", n)
	}
	if n := strings.Count(page, `<circle class="dot sev-critical"`); n != 3 {
		t.Errorf("%d critical points, want 3", n)
	}
	if !strings.Contains(page, "<title>2026-11-20 02:00 UTC: 4 critical</title>") {
		t.Error("the first run's critical count is not on its point")
	}
	if !strings.Contains(page, `text-anchor="middle">Nov 20</text>`) {
		t.Error("nightly runs are not labelled by day")
	}
	hourly := []TrendPoint{{CollectedAt: collectedAt}, {CollectedAt: collectedAt.Add(6 * time.Hour)}}
	if p := string(renderHTML(t, Options{Trend: hourly}, testReport())); !strings.Contains(p, ">Nov 22 08:00</text>") {
		t.Error("two runs of one day are not labelled with their time")
	}
	yearly := []TrendPoint{{CollectedAt: collectedAt.AddDate(-1, 0, 0)}, {CollectedAt: collectedAt}}
	if p := string(renderHTML(t, Options{Trend: yearly}, testReport())); !strings.Contains(p, ">Nov 22 2025</text>") {
		t.Error("runs a year apart are not labelled with their year")
	}
	if strings.Contains(string(renderHTML(t, Options{}, testReport())), "over time") {
		t.Error("a trend panel without a trend")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 50000: "50,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int]int{0: 4, 3: 4, 5: 8, 12: 20, 37: 40, 101: 200, 50000: 50000} {
		got := niceCeil(n)
		if got != want || got < n || got%4 != 0 {
			t.Errorf("niceCeil(%d) = %d, want %d (>= n, divisible by 4)", n, got, want)
		}
	}
}

// synthReport is an organization-sized run: n findings over 400 accounts, 17
// regions and every rule of the fixture, with evidence like the real rules'.
func synthReport(n int) *finding.Report {
	r := testReport()
	base := testFindings()
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
		"eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "af-south-1"}
	r.Findings = make([]finding.Finding, 0, n)
	for i := range n {
		f := base[i%len(base)]
		account := fmt.Sprintf("%012d", 210000000000+i%400)
		region := regions[i%len(regions)]
		id := fmt.Sprintf("ami-%017x", i)
		f.Resource = finding.Resource{Type: "ami", ID: id, ARN: "arn:aws:ec2:" + region + "::image/" + id, Account: account, Region: region}
		f.Message = fmt.Sprintf("AMI %s (build-%d) in %s is shared with account %012d, which is not trusted.", id, i, region, 990000000000+i%97)
		r.Findings = append(r.Findings, f)
	}
	finding.Sort(r.Findings)
	r.Summary = finding.Summarize(r.Findings)
	return r
}

// BenchmarkHTML50k renders the page for 50,000 findings (go test ./report
// -run '^$' -bench HTML50k -benchtime 5x); MB is the page's size.
func BenchmarkHTML50k(b *testing.B) {
	r := synthReport(50000)
	w, _ := New(FormatHTML, Options{})
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}

// A clean run says so, instead of three empty charts.
func TestHTMLNoFindings(t *testing.T) {
	page := string(renderHTML(t, Options{}, emptyReport()))
	if !strings.Contains(page, "<h2>No findings</h2>") || !strings.Contains(page, "2 accounts and 2 regions") {
		t.Error("a run without findings does not say so")
	}
	if strings.Contains(page, `<svg class="bars"`) || strings.Contains(page, `id="chart-rule"`) {
		t.Error("a run without findings draws charts")
	}
	if strings.Contains(string(renderHTML(t, Options{}, testReport())), "<h2>No findings</h2>") {
		t.Error("a run with findings says it has none")
	}
}
