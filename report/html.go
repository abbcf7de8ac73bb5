package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/amiaudit/amiaudit/finding"
)

// FormatHTML is the self-contained HTML report for people.
const FormatHTML = "html"

// Baseline is an earlier run an HTML report is compared with: its findings
// are matched with the report's by finding.Compare, the matcher of 'amiaudit
// diff', so that the page and the diff always agree on what is new.
type Baseline struct {
	// Name says where the baseline came from (a file name), as shown on the page.
	Name string
	// CollectedAt is when the baseline's snapshot was collected; zero when unknown.
	CollectedAt time.Time
	Findings    []finding.Finding
}

// TrendPoint is one run of a trend: its findings counted as the report
// summary counts them.
type TrendPoint struct {
	// Name says where the run came from (an evidence bundle or report file).
	Name string
	// CollectedAt is when the run's snapshot was collected: the x of the trend.
	CollectedAt time.Time
	Summary     finding.Summary
}

// The page's CSS, script and template live beside this file so that they can
// be read and linted as what they are; the writer inlines them, since the
// report must open from disk with no network.
//
//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlAssets embed.FS

var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"thousands": thousands,
	"segments":  func() []string { return segmentSeverities },
}).ParseFS(htmlAssets, "html/report.html.tmpl"))

// htmlWriter writes the HTML report.
type htmlWriter struct {
	opts Options
}

func (h *htmlWriter) Write(w io.Writer, r *finding.Report) error {
	if r == nil {
		return errNilReport
	}
	page, err := h.page(r)
	if err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	// Rendered in memory first: a template error half-way must not leave a
	// truncated page behind on stdout.
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the template renders. Every string from the report is
// escaped by html/template; the findings travel as JSON in a script element
// and are put on the page by the script with textContent only.
type htmlPage struct {
	Title        string
	Tool         finding.Tool
	GeneratedAt  string
	CollectedAt  string
	SnapshotSHA  string
	PolicyDigest string
	Accounts     []string
	Regions      []string
	Total        int
	Unwaived     int
	Cards        []severityCard
	Waived       int
	Expired      int
	Baseline     *baselineView
	Charts       []chartView
	Trend        *trendView
	CSS          template.CSS
	JS           template.JS
	// CSP is the page's Content-Security-Policy: nothing may load, and only
	// the page's own script and style (by hash) may run, so that even text
	// that slipped through as markup could neither run nor send anything.
	CSP string
	// Data is the JSON payload; see payload. It is HTML-escaped JSON (no <,
	// > or & appears in it), which is what makes it safe inside <script>.
	Data template.JS
}

type severityCard struct {
	Severity string
	Count    int
}

type baselineView struct {
	Name                     string
	CollectedAt              string
	New, Resolved, Unchanged int
	NewBySeverity            []severityCard
}

type chartView struct {
	ID, Title, Note string
	// Key is the table filter a click on a bar sets (rule, account or region).
	Key string
	SVG template.HTML
}

type trendView struct {
	SVG  template.HTML
	Rows []trendRow
}

type trendRow struct {
	Name, CollectedAt string
	Counts            []int // critical … info, then waived
}

func (h *htmlWriter) page(r *finding.Report) (*htmlPage, error) {
	n := normalize(r)
	css, err := htmlAssets.ReadFile("html/report.css")
	if err != nil {
		return nil, err
	}
	js, err := htmlAssets.ReadFile("html/report.js")
	if err != nil {
		return nil, err
	}
	p := &htmlPage{
		Title:        "AMI sharing posture",
		Tool:         n.Tool,
		GeneratedAt:  formatTime(n.GeneratedAt),
		CollectedAt:  formatTime(n.Snapshot.CollectedAt),
		SnapshotSHA:  n.Snapshot.SHA256,
		PolicyDigest: n.PolicyDigest,
		Accounts:     n.Snapshot.Accounts,
		Regions:      sortedCopy(n.Snapshot.Regions),
		Total:        len(n.Findings),
		Waived:       n.Summary.Waived,
		CSS:          template.CSS(css),
		JS:           template.JS(js),
	}
	p.CSP = fmt.Sprintf("default-src 'none'; script-src '%s'; style-src '%s'; base-uri 'none'; form-action 'none'", cspHash(js), cspHash(css))
	p.Cards = severityCards(n.Summary)
	p.Unwaived = p.Total - p.Waived
	for i := range n.Findings {
		if n.Findings[i].ExpiredWaiver() {
			p.Expired++
		}
	}

	var d *finding.Diff
	if b := h.opts.Baseline; b != nil {
		d = finding.Compare(b.Findings, n.Findings)
		p.Baseline = &baselineView{
			Name: b.Name, CollectedAt: formatTime(b.CollectedAt),
			New: d.Summary.New, Resolved: d.Summary.Resolved, Unchanged: d.Summary.Unchanged,
			NewBySeverity: severityCards(d.Summary.NewBySeverity),
		}
	}
	p.Charts = []chartView{
		barChart("chart-rule", "Findings by rule", "rule", groupCounts(n.Findings, func(f *finding.Finding) string { return f.RuleID }), ruleTitles(&n), 0),
		barChart("chart-account", "Findings by account", "account", groupCounts(n.Findings, func(f *finding.Finding) string { return f.Resource.Account }), nil, maxBars),
		barChart("chart-region", "Findings by region", "region", groupCounts(n.Findings, func(f *finding.Finding) string { return f.Resource.Region }), nil, maxBars),
	}
	if len(h.opts.Trend) > 0 {
		p.Trend = trendChart(h.opts.Trend)
	}
	data, err := payload(&n, d)
	if err != nil {
		return nil, err
	}
	p.Data = template.JS(data)
	return p, nil
}

// cspHash is a CSP source for an inline element with this exact content.
func cspHash(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func severityCards(s finding.Summary) []severityCard {
	cards := make([]severityCard, len(finding.Severities))
	for i, sev := range finding.Severities {
		cards[i] = severityCard{string(sev), s.Count(sev)}
	}
	return cards
}

// thousands prints 50000 as 50,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// The payload is the findings as the page's script reads them. Keys are short
// because a report of 50,000 findings repeats them 50,000 times; a rule's
// title and remediation are given once in "rules" and left out of a finding
// that has the same.
type htmlPayload struct {
	Rules    map[string]htmlRule `json:"rules"`
	Findings []htmlFinding       `json:"findings"`
}

type htmlRule struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	References  []string `json:"references,omitempty"`
}

type htmlFinding struct {
	Rule        string                 `json:"r"`
	Severity    finding.Severity       `json:"s"`
	Title       string                 `json:"t,omitempty"`
	Message     string                 `json:"m"`
	Type        string                 `json:"ty"`
	ID          string                 `json:"id"`
	ARN         string                 `json:"a"`
	Account     string                 `json:"ac"`
	Region      string                 `json:"rg"`
	Evidence    map[string]any         `json:"e,omitempty"`
	Remediation string                 `json:"x,omitempty"`
	Location    *finding.Location      `json:"l,omitempty"`
	Waiver      *finding.AppliedWaiver `json:"w,omitempty"`
	// Change is "new" or "unchanged" against a baseline, "resolved" for a
	// baseline finding gone from this run, and empty without a baseline.
	Change string `json:"c,omitempty"`
}

func payload(r *finding.Report, d *finding.Diff) ([]byte, error) {
	p := htmlPayload{Rules: map[string]htmlRule{}, Findings: make([]htmlFinding, 0, len(r.Findings))}
	for _, rule := range r.Rules {
		p.Rules[rule.ID] = htmlRule{Title: rule.Title, Description: rule.Description, Remediation: rule.Remediation, References: rule.References}
	}
	add := func(f *finding.Finding, change string) {
		rule, ok := p.Rules[f.RuleID]
		if !ok {
			// A report read back from JSON has no rule metadata: the first
			// finding of each rule stands in for it.
			rule = htmlRule{Title: f.Title, Remediation: f.Remediation}
			p.Rules[f.RuleID] = rule
		}
		hf := htmlFinding{
			Rule: f.RuleID, Severity: f.Severity, Message: f.Message,
			Type: f.Resource.Type, ID: f.Resource.ID, ARN: f.Resource.ARN, Account: f.Resource.Account, Region: f.Resource.Region,
			Evidence: f.Evidence, Location: f.Location, Waiver: f.Waiver, Change: change,
		}
		if len(hf.Evidence) == 0 {
			hf.Evidence = nil
		}
		if f.Title != rule.Title {
			hf.Title = f.Title
		}
		if f.Remediation != rule.Remediation {
			hf.Remediation = f.Remediation
		}
		p.Findings = append(p.Findings, hf)
	}
	if d == nil {
		for i := range r.Findings {
			add(&r.Findings[i], "")
		}
	} else {
		// The report's order is kept; Compare tells which findings are new.
		newer := map[finding.Identity]int{}
		for i := range d.New {
			newer[finding.IdentityOf(&d.New[i])]++
		}
		for i := range r.Findings {
			change := "unchanged"
			if k := finding.IdentityOf(&r.Findings[i]); newer[k] > 0 {
				newer[k]--
				change = "new"
			}
			add(&r.Findings[i], change)
		}
		for i := range d.Resolved {
			add(&d.Resolved[i], "resolved")
		}
	}
	// encoding/json escapes <, > and & (and U+2028/U+2029) by default: with
	// them gone, no message can close the script element or open a comment.
	return json.Marshal(p)
}

func ruleTitles(r *finding.Report) map[string]string {
	titles := map[string]string{}
	for _, rule := range r.Rules {
		titles[rule.ID] = rule.Title
	}
	for i := range r.Findings {
		if _, ok := titles[r.Findings[i].RuleID]; !ok {
			titles[r.Findings[i].RuleID] = r.Findings[i].Title
		}
	}
	return titles
}

// group is one bar of a chart: the findings of one rule, account or region,
// counted by severity (unwaived) and waived apart.
type group struct {
	Key     string
	Summary finding.Summary
	Total   int
}

func groupCounts(fs []finding.Finding, key func(*finding.Finding) string) []group {
	idx := map[string]int{}
	var groups []group
	for i := range fs {
		f := &fs[i]
		k := key(f)
		j, ok := idx[k]
		if !ok {
			j = len(groups)
			idx[k] = j
			groups = append(groups, group{Key: k})
		}
		g := &groups[j]
		g.Total++
		g.Summary.Add(finding.Summarize(fs[i : i+1]))
	}
	// Most findings first, by severity and then count (one critical finding
	// outranks ten low ones for the people this page is for); the key breaks
	// ties so that the output is stable.
	sort.Slice(groups, func(a, b int) bool {
		if c := slices.Compare(segments(groups[a].Summary), segments(groups[b].Summary)); c != 0 {
			return c > 0
		}
		return groups[a].Key < groups[b].Key
	})
	return groups
}

// maxBars caps the account and region charts: an organization of 400
// accounts gets its 15 worst and a bar for the rest, not a chart nobody reads.
const maxBars = 15

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartWidth  = 640
	labelWidth  = 110
	countWidth  = 50
	barHeight   = 16
	barGap      = 5
	chartMargin = 4
)

// segmentSeverities name the segments of a stacked bar (and its CSS class
// sev-…): the severity scale, highest first, then the waived findings.
var segmentSeverities = append(finding.SeverityNames(), "waived")

// segments are a summary's counts in segmentSeverities' order.
func segments(s finding.Summary) []int {
	counts := make([]int, 0, len(finding.Severities)+1)
	for _, sev := range finding.Severities {
		counts = append(counts, s.Count(sev))
	}
	return append(counts, s.Waived)
}

// barChart draws horizontal bars, one per group, stacked by severity.
func barChart(id, title, key string, groups []group, labels map[string]string, limit int) chartView {
	c := chartView{ID: id, Title: title, Key: key}
	if len(groups) == 0 {
		c.Note = "No findings."
		return c
	}
	var rest *group
	if limit > 0 && len(groups) > limit {
		other := group{Key: ""}
		for _, g := range groups[limit:] {
			other.Total += g.Total
			other.Summary.Add(g.Summary)
		}
		c.Note = fmt.Sprintf("The %d with the most severe findings; %d more grouped as \u201cothers\u201d.", limit, len(groups)-limit)
		groups = groups[:limit]
		rest = &other
	}
	// The bars are scaled to the largest group shown by name: "others" may
	// sum hundreds of accounts, and would flatten every other bar. A longer
	// "others" keeps its mix of severities, squeezed to the full width.
	maxTotal := 0
	for _, g := range groups {
		maxTotal = max(maxTotal, g.Total)
	}
	rows := len(groups)
	if rest != nil {
		rows++
	}
	height := chartMargin*2 + rows*(barHeight+barGap) - barGap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bars" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartWidth, height, esc(title))
	full := float64(chartWidth - labelWidth - countWidth)
	draw := func(i int, g group, label, filter string) {
		scale := full / float64(maxTotal)
		if g.Total > maxTotal {
			scale = full / float64(g.Total)
		}
		y := chartMargin + i*(barHeight+barGap)
		tip := label
		if filter != "" && labels[g.Key] != "" {
			tip += " \u2014 " + labels[g.Key]
		}
		tip += ": " + countPhrase(g.Summary)
		if filter != "" {
			fmt.Fprintf(&b, `<g class="bar" data-key="%s" data-value="%s" tabindex="0" role="button">`, esc(key), esc(filter))
		} else {
			b.WriteString(`<g class="bar">`)
		}
		fmt.Fprintf(&b, `<title>%s</title>`, esc(tip))
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d">%s</text>`, labelWidth-8, y+barHeight-5, esc(truncate(label, 16)))
		x := float64(labelWidth)
		for s, n := range segments(g.Summary) {
			if n == 0 {
				continue
			}
			w := float64(n) * scale
			fmt.Fprintf(&b, `<rect class="sev-%s" x="%.1f" y="%d" width="%.1f" height="%d"/>`, segmentSeverities[s], x, y, w, barHeight)
			x += w
		}
		fmt.Fprintf(&b, `<text class="count" x="%.1f" y="%d">%s</text>`, x+6, y+barHeight-5, thousands(g.Total))
		b.WriteString(`</g>`)
	}
	for i, g := range groups {
		label := g.Key
		if label == "" {
			label = "(none)"
		}
		draw(i, g, label, g.Key)
	}
	if rest != nil {
		draw(len(groups), *rest, "others", "")
	}
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String())
	return c
}

func countPhrase(s finding.Summary) string {
	var parts []string
	for i, n := range segments(s) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", thousands(n), segmentSeverities[i]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "\u2026"
}

// esc escapes text for SVG markup built by hand (html/template does not see
// inside it).
func esc(s string) string {
	return template.HTMLEscapeString(s)
}

// Trend chart geometry.
const (
	trendWidth  = 1100
	trendHeight = 230
	trendLeft   = 44
	trendRight  = 36
	trendTop    = 12
	trendBottom = 36
)

// trendChart draws the unwaived findings of each severity, and the waived
// ones, over the runs' collection times.
func trendChart(points []TrendPoint) *trendView {
	pts := append([]TrendPoint(nil), points...)
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].CollectedAt.Before(pts[j].CollectedAt) })
	tv := &trendView{}
	maxY := 1
	for _, p := range pts {
		counts := segments(p.Summary)
		for _, n := range counts {
			maxY = max(maxY, n)
		}
		tv.Rows = append(tv.Rows, trendRow{Name: p.Name, CollectedAt: formatTime(p.CollectedAt), Counts: counts})
	}
	maxY = niceCeil(maxY)
	plotW := float64(trendWidth - trendLeft - trendRight)
	plotH := float64(trendHeight - trendTop - trendBottom)
	first, last := pts[0].CollectedAt, pts[len(pts)-1].CollectedAt
	span := last.Sub(first)
	xOf := func(i int) float64 {
		if len(pts) == 1 {
			return trendLeft + plotW/2
		}
		if span <= 0 {
			return trendLeft + plotW*float64(i)/float64(len(pts)-1)
		}
		return trendLeft + plotW*float64(pts[i].CollectedAt.Sub(first))/float64(span)
	}
	yOf := func(n int) float64 { return trendTop + plotH - plotH*float64(n)/float64(maxY) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" viewBox="0 0 %d %d" role="img" aria-label="Findings by severity over %d runs">`, trendWidth, trendHeight, len(pts))
	for i := 0; i <= 4; i++ {
		v := maxY * i / 4
		y := yOf(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, trendLeft, trendWidth-trendRight, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, trendLeft-6, y+4, thousands(v))
	}
	// At most 8 date labels, evenly picked, the last always; with the time of
	// day when two runs fall on one day, and the year when they span two.
	layout := "Jan 2"
	for i := 1; i < len(pts); i++ {
		if pts[i].CollectedAt.UTC().Format("2006-01-02") == pts[i-1].CollectedAt.UTC().Format("2006-01-02") {
			layout = "Jan 2 15:04"
		}
	}
	if first.UTC().Year() != last.UTC().Year() {
		layout = "Jan 2 2006"
	}
	step := max(1, (len(pts)+7)/8)
	for i := range pts {
		if i%step != 0 && i != len(pts)-1 {
			continue
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, xOf(i), trendHeight-trendBottom+18, esc(pts[i].CollectedAt.UTC().Format(layout)))
	}
	for s := range segmentSeverities {
		var path strings.Builder
		for i, p := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f", cmd, xOf(i), yOf(segments(p.Summary)[s]))
		}
		fmt.Fprintf(&b, `<path class="line sev-%s" d="%s"/>`, segmentSeverities[s], path.String())
		for i, p := range pts {
			n := segments(p.Summary)[s]
			fmt.Fprintf(&b, `<circle class="dot sev-%s" cx="%.1f" cy="%.1f" r="3"><title>%s: %s %s</title></circle>`,
				segmentSeverities[s], xOf(i), yOf(n), esc(formatTime(p.CollectedAt)), thousands(n), segmentSeverities[s])
		}
	}
	b.WriteString(`</svg>`)
	tv.SVG = template.HTML(b.String())
	return tv
}

// niceCeil rounds an axis maximum up to 1, 2, 2.5 or 5 times a power of ten,
// so that the four grid lines fall on round numbers.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	pow := 1
	for pow*10 < n {
		pow *= 10
	}
	for _, m := range []int{1, 2, 4, 5, 8, 10} {
		if c := m * pow; c >= n && c%4 == 0 {
			return c
		}
	}
	return 20 * pow
}
